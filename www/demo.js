// The demo: several files in a queue, uploaded with the public API exactly as an app would —
// temporary keys or presigned URLs from the (development) backend, progress with speed and ETA,
// pause/resume/cancel per file and for all, resume after a reload, and the bucket's unfinished
// multipart uploads with abort buttons.
import { createUploader, preload } from '../pkg/index.js';
import { h } from './dom.js';
import * as format from './format.js';
import * as handles from './handles.js';
import { explain } from './messages.js';
import { Queue } from './queue.js';

const $ = (selector) => document.querySelector(selector);
const queue = new Queue({ limit: 2 });
const uploaders = new Map();
const rows = new Map();
let targets = [];

// ---- settings: which bucket, which signing mode (remembered; no secrets) ----

async function getJson(url, init) {
  const answer = await fetch(url, init);
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.message ?? `${url} answered ${answer.status}`);
  return body;
}

function settings() {
  const target = targets.find((t) => t.id === $('#target').value) ?? targets[0];
  const mode = target.modes.includes(document.forms.settings.mode.value)
    ? document.forms.settings.mode.value
    : target.modes[0];
  return { target, mode };
}

/** The uploader for the chosen bucket and mode (one each, reused). */
function uploader({ target, mode } = settings()) {
  const id = `${target.id}:${mode}`;
  if (!uploaders.has(id)) {
    const { provider, endpoint, bucket, region } = target;
    const q = `target=${encodeURIComponent(target.id)}`;
    const signing =
      mode === 'sts'
        ? { credentials: () => getJson(`/credentials?${q}`) }
        : {
            presign: (request) =>
              getJson(`/presign?${q}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(request),
              }),
          };
    uploaders.set(id, createUploader({ provider, endpoint, bucket, region, ...signing }));
  }
  return uploaders.get(id);
}

function showSettings() {
  const { target, mode } = settings();
  for (const input of document.forms.settings.mode) {
    input.disabled = !target.modes.includes(input.value);
    input.checked = input.value === mode;
  }
  $('#target-hint').textContent =
    `To bucket “${target.bucket}” on ${target.label} · ${new URL(target.endpoint).host} · ${mode === 'sts' ? 'signed here with temporary keys' : 'each request presigned by the backend'}`;
  localStorage.setItem('partwise-demo:settings', JSON.stringify({ target: target.id, mode }));
}

async function loadSettings() {
  const all = await getJson('/targets');
  targets = all.filter((t) => t.configured !== false);
  for (const t of all) {
    $('#target').append(
      h(
        'option',
        { value: t.id, disabled: t.configured === false },
        t.configured === false ? `${t.label} (not configured)` : t.label,
      ),
    );
  }
  const saved = JSON.parse(localStorage.getItem('partwise-demo:settings') ?? '{}');
  if (targets.some((t) => t.id === saved.target)) $('#target').value = saved.target;
  if (saved.mode) document.forms.settings.mode.value = saved.mode;
}

// ---- adding files ----

function keyFor(name) {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let key = `demo/${name}`;
  for (let n = 2; queue.has(key); n += 1) key = `demo/${stem} (${n})${ext}`;
  return key;
}

function add(entries, key = null) {
  const { target } = settings();
  for (const { file, handle } of entries) {
    const item = queue.add(file, {
      uploader: uploader(),
      key: key ?? keyFor(file.name),
      provider: target.provider,
      handle,
    });
    if (handle) handles.keep(item.key, handle);
  }
  showResumable();
}

async function choose() {
  if (!handles.supported) return $('#files').click();
  try {
    add(await handles.pick());
  } catch (error) {
    if (error.name !== 'AbortError') notice(`Couldn’t open the file picker: ${error.message}`);
  }
}

function notice(text) {
  $('#notice').textContent = text;
  $('#notice').hidden = !text;
}

// ---- the queue ----

const LABELS = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  'other-tab': 'In another tab',
  paused: 'Paused',
  complete: 'Done',
  error: 'Failed',
  aborted: 'Cancelled',
};

function detail(item) {
  const p = item.progress;
  const size = item.file.size;
  const loaded = p?.loaded ?? 0;
  switch (item.state) {
    case 'waiting':
      return `${format.bytes(size)} · waiting for a free slot`;
    case 'other-tab':
      return `${format.bytes(size)} · another tab of this browser is uploading this file; this one goes on when it stops`;
    case 'paused':
      return `Paused at ${format.bytes(loaded)} of ${format.bytes(size)} · resumable, even after a reload`;
    case 'complete': {
      const ms = item.finishedAt - item.startedAt;
      return `${format.bytes(item.result.size)} in ${item.result.parts} part${item.result.parts === 1 ? '' : 's'} · ${format.duration(ms)} · ${format.speed(item.result.size / (ms / 1000))} on average`;
    }
    case 'aborted':
      return 'Cancelled · nothing left on the server';
    case 'error':
      return `Stopped at ${format.bytes(loaded)} of ${format.bytes(size)} · progress is saved`;
    default: {
      if (item.retry)
        return `Retrying${item.retry.partNumber ? ` part ${item.retry.partNumber}` : ''} in ${format.duration(item.retry.delayMs)} (${item.retry.error.providerCode ?? item.retry.error.code})`;
      if (!p) return `${format.bytes(size)} · starting`;
      const parts = `${p.partsDone} of ${p.partsTotal} parts done`;
      return [
        `${format.bytes(loaded)} of ${format.bytes(p.total)}`,
        parts,
        p.bytesPerSecond ? format.speed(p.bytesPerSecond) : null,
        format.eta(p.etaSeconds) || null,
      ]
        .filter(Boolean)
        .join(' · ');
    }
  }
}

function controls(item) {
  const name = item.file.name;
  const button = (label, onclick, extra = '') =>
    h('button', { type: 'button', class: `ghost small ${extra}`, 'aria-label': `${label} ${name}`, onclick }, label);
  switch (item.state) {
    case 'waiting':
    case 'uploading':
    case 'other-tab':
      return [button('Pause', () => queue.pause(item)), button('Cancel', () => queue.cancel(item), 'danger')];
    case 'paused':
      return [
        button('Resume', () => queue.resume(item), 'primary'),
        button('Cancel', () => queue.cancel(item), 'danger'),
      ];
    case 'error':
      return [
        button('Retry', () => queue.retryFailed(item), 'primary'),
        button('Discard', () => discard(item), 'danger'),
      ];
    default:
      return [button('Remove', () => queue.remove(item))];
  }
}

function problem(item) {
  if (item.state !== 'error') return null;
  const { title, fix, snippet } = explain(item.error, { provider: item.provider });
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('strong', {}, title),
    h('p', {}, fix),
    snippet ? h('pre', {}, h('code', {}, snippet)) : null,
    snippet
      ? h(
          'button',
          {
            type: 'button',
            class: 'ghost small',
            onclick: (e) =>
              navigator.clipboard?.writeText(snippet).then(() => {
                e.target.textContent = 'Copied';
              }),
          },
          'Copy rule',
        )
      : null,
    h(
      'p',
      { class: 'code' },
      `${item.error.code}${item.error.providerCode ? ` · ${item.error.providerCode}` : ''}${item.error.status ? ` · HTTP ${item.error.status}` : ''}`,
    ),
  );
}

/** The row's parts, made once: progress updates change text and widths in place, so a button
 * under the pointer or the keyboard focus is never replaced mid-upload. */
function rowOf(item) {
  let row = rows.get(item.id);
  if (row) return row;
  const parts = {
    badge: h('span', { class: 'badge' }),
    fill: h('span'),
    detail: h('span', { class: 'detail' }),
    controls: h('span', { class: 'controls' }),
    problem: h('div'),
  };
  parts.bar = h(
    'div',
    {
      class: 'bar',
      role: 'progressbar',
      'aria-label': `${item.file.name} progress`,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
    },
    parts.fill,
  );
  row = h(
    'li',
    { class: 'row item', dataset: { key: item.key } },
    h('div', { class: 'item-title' }, h('span', { class: 'name', title: item.key }, item.file.name), parts.badge),
    parts.bar,
    h('div', { class: 'item-foot' }, parts.detail, parts.controls),
    parts.problem,
  );
  row.parts = parts;
  rows.set(item.id, row);
  $('#queue').append(row);
  return row;
}

/** After Pause the same place holds Resume (and back): where the focus goes when buttons change. */
const SAME_PLACE = { Pause: 'Resume', Resume: 'Pause', Retry: 'Pause', Cancel: 'Remove', Discard: 'Remove' };

function render(item) {
  const row = rowOf(item);
  const { badge, bar, fill, detail: text, controls: buttons, problem: slot } = row.parts;
  const fraction =
    item.state === 'complete' ? 1 : item.progress?.total ? item.progress.loaded / item.progress.total : 0;
  bar.setAttribute('aria-valuenow', String(Math.floor(fraction * 100)));
  fill.style.width = `${(fraction * 100).toFixed(2)}%`;
  text.textContent = detail(item);
  row.dataset.partsDone = item.progress?.partsDone ?? 0;
  if (row.dataset.state === item.state) return;
  row.dataset.state = item.state;
  badge.className = `badge ${item.state}`;
  badge.textContent = LABELS[item.state];
  const focused = buttons.contains(document.activeElement) ? document.activeElement.textContent : null;
  buttons.replaceChildren(...controls(item));
  slot.replaceChildren(problem(item) ?? '');
  if (focused) {
    const next = [...buttons.querySelectorAll('button')];
    (
      next.find((b) => b.textContent === focused) ??
      next.find((b) => b.textContent === SAME_PLACE[focused]) ??
      next[0]
    )?.focus();
  }
}

function summarize() {
  const items = queue.items;
  $('#empty').hidden = items.length > 0;
  const open = items.filter((i) => i.open);
  const done = items.filter((i) => i.state === 'complete').length;
  const speed = items
    .filter((i) => i.state === 'uploading')
    .reduce((sum, i) => sum + (i.progress?.bytesPerSecond ?? 0), 0);
  const left = open.reduce((sum, i) => sum + (i.file.size - (i.progress?.loaded ?? 0)), 0);
  $('#summary').textContent = items.length
    ? [
        `${done} of ${items.length} done`,
        speed ? format.speed(speed) : null,
        speed && left ? format.eta(left / speed) : null,
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
  $('#pause-all').disabled = !items.some((i) => ['uploading', 'waiting', 'other-tab'].includes(i.state));
  $('#resume-all').disabled = !items.some((i) => i.state === 'paused');
  $('#cancel-all').disabled = open.length === 0;
}

queue.addEventListener('change', ({ detail: item }) => {
  render(item);
  summarize();
  if (['complete', 'aborted'].includes(item.state)) handles.forget(item.key);
  if (['complete', 'aborted', 'error'].includes(item.state)) {
    showServer();
    if (item.state !== 'complete') showResumable();
  }
});
queue.addEventListener('remove', ({ detail: item }) => {
  rows.get(item.id)?.remove();
  rows.delete(item.id);
  summarize();
});

async function discard(item) {
  const stored = (await item.uploader.checkpoints()).find((c) => c.key === item.key);
  queue.remove(item);
  await forgetStored(stored ?? { key: item.key }, item.uploader);
}

// ---- resumable uploads of this browser (checkpoints) ----

let resumeTarget = null;

let resumableQuery = 0;

async function showResumable() {
  const query = ++resumableQuery;
  // Files in the queue (running, paused or failed with a Retry button) are not listed again.
  const stored = (await uploader().checkpoints()).filter((c) => !queue.has(c.key));
  const list = $('#resumable-list');
  const items = await Promise.all(
    stored.map(async (c) => {
      const handle = await handles.find(c.key);
      const partsTotal = Math.max(1, Math.ceil(c.size / c.partSize));
      const resume = handle
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary small',
              'aria-label': `Continue ${c.name}`,
              onclick: () => continueWith(c, handle),
            },
            'Continue',
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'primary small',
              'aria-label': `Choose ${c.name} to continue`,
              onclick: () => {
                resumeTarget = c;
                $('#pick-again').click();
              },
            },
            'Choose file…',
          );
      return h(
        'li',
        { class: 'row', dataset: { key: c.key } },
        h(
          'div',
          { class: 'item-title' },
          h('span', { class: 'name', title: c.key }, c.name),
          h('span', { class: 'badge paused' }, `${c.partsDone} of ${partsTotal} parts`),
        ),
        h(
          'div',
          { class: 'item-foot' },
          h(
            'span',
            { class: 'detail' },
            `${format.bytes(c.size)} · started ${format.when(c.createdAt)}${handle ? '' : ' · choose the same file to continue'}`,
          ),
          h(
            'span',
            { class: 'controls' },
            resume,
            h(
              'button',
              {
                type: 'button',
                class: 'ghost small danger',
                'aria-label': `Discard ${c.name}`,
                onclick: () => forgetStored(c),
              },
              'Discard',
            ),
          ),
        ),
      );
    }),
  );
  if (query !== resumableQuery) return; // a later refresh is under way
  list.replaceChildren(...items);
  $('#resumable').hidden = items.length === 0;
}

async function continueWith(stored, handle) {
  try {
    add([{ file: await handles.fileOf(handle), handle }], stored.key);
  } catch (error) {
    notice(`Couldn’t open ${stored.name} again (${error.message}). Choose it instead.`);
    await handles.forget(stored.key);
    showResumable();
  }
}

/** Aborts a stored upload on the server (when it has one) and forgets its checkpoint and file handle. */
async function forgetStored(stored, by = uploader()) {
  if (stored.uploadId) await by.abortUpload(stored).catch((error) => notice(explain(error).title));
  await handles.forget(stored.key);
  showResumable();
  showServer();
}

$('#pick-again').addEventListener('change', () => {
  const file = $('#pick-again').files[0];
  const stored = resumeTarget;
  $('#pick-again').value = '';
  if (!file || !stored) return;
  if (file.size !== stored.size) {
    notice(
      `“${file.name}” is not the file this upload started with (${format.bytes(file.size)}, expected ${stored.name}, ${format.bytes(stored.size)}).`,
    );
    return;
  }
  notice('');
  add([{ file, handle: null }], stored.key);
});

// ---- unfinished multipart uploads on the server ----

let serverQuery = 0;

async function showServer() {
  const list = $('#server-list');
  const query = ++serverQuery;
  try {
    const uploads = (await uploader().listUploads({ prefix: '' })).sort((a, b) =>
      String(b.initiated).localeCompare(String(a.initiated)),
    );
    if (query !== serverQuery) return; // a later refresh is under way
    list.replaceChildren(
      ...uploads.map((u) =>
        h(
          'li',
          { class: 'row', dataset: { key: u.key } },
          h(
            'div',
            { class: 'item-foot' },
            h(
              'span',
              { class: 'detail' },
              h('span', { class: 'name' }, u.key),
              u.initiated ? ` · started ${format.when(u.initiated)}` : '',
              queue.has(u.key) ? ' · in this page’s queue' : '',
            ),
            h(
              'span',
              { class: 'controls' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'ghost small danger',
                  'aria-label': `Abort ${u.key}`,
                  onclick: async () => {
                    await uploader()
                      .abortUpload(u)
                      .catch((error) => notice(explain(error).title));
                    showServer();
                    showResumable();
                  },
                },
                'Abort',
              ),
            ),
          ),
        ),
      ),
    );
    $('#server-empty').hidden = uploads.length > 0;
    $('#server-empty').textContent = 'None.';
  } catch (error) {
    if (query !== serverQuery) return;
    list.replaceChildren();
    $('#server-empty').hidden = false;
    $('#server-empty').textContent = `Couldn’t list them: ${explain(error).title}`;
  }
}

// ---- wiring ----

$('#choose').addEventListener('click', (event) => {
  event.stopPropagation();
  choose();
});
$('#drop').addEventListener('click', (event) => {
  if (event.target === event.currentTarget || !event.target.closest('button')) choose();
});
$('#files').addEventListener('change', () => {
  add([...$('#files').files].map((file) => ({ file, handle: null })));
  $('#files').value = '';
});
for (const type of ['dragenter', 'dragover']) {
  $('#drop').addEventListener(type, (event) => {
    event.preventDefault();
    $('#drop').classList.add('over');
  });
}
$('#drop').addEventListener('dragleave', () => $('#drop').classList.remove('over'));
$('#drop').addEventListener('drop', (event) => {
  event.preventDefault();
  $('#drop').classList.remove('over');
  handles.dropped(event.dataTransfer).then(add);
});
// A file dropped beside the zone must not make the browser navigate away from the page.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());
$('#pause-all').addEventListener('click', () => queue.pauseAll());
$('#resume-all').addEventListener('click', () => queue.resumeAll());
$('#cancel-all').addEventListener('click', () => queue.cancelAll());
$('#refresh').addEventListener('click', () => showServer());
$('#settings').addEventListener('change', () => {
  showSettings();
  showResumable();
  showServer();
});

try {
  await Promise.all([loadSettings(), preload()]);
  showSettings();
  summarize();
  await Promise.all([showResumable(), showServer()]);
  document.body.dataset.ready = 'true';
} catch (error) {
  $('#target-hint').textContent = 'Not connected.';
  notice(`The demo couldn’t start: ${error.message}. Is \`npm start\` still running?`);
}
