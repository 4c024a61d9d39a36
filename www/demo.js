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
import { Rows } from './row.js';

const $ = (selector) => document.querySelector(selector);
const queue = new Queue({ limit: 2 });
const rows = new Rows($('#queue'), { queue, discard });
const uploaders = new Map();
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
  rows.render(item);
  summarize();
  if (['complete', 'aborted'].includes(item.state)) handles.forget(item.key);
  if (['complete', 'aborted', 'error'].includes(item.state)) {
    showServer();
    if (item.state !== 'complete') showResumable();
  }
});
queue.addEventListener('remove', ({ detail: item }) => {
  rows.remove(item);
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
