// One file's row in the demo's queue: its name and state, a progress bar, what it is doing (speed
// and time left, a retry, the result), the buttons for what can be done next and, after a failure,
// the problem in words with its fix.
import { h } from './dom.js';
import * as format from './format.js';
import { explain } from './messages.js';

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

function controls(item, { queue, discard }) {
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

/** After Pause the same place holds Resume (and back): where the focus goes when buttons change. */
const SAME_PLACE = { Pause: 'Resume', Resume: 'Pause', Retry: 'Pause', Cancel: 'Remove', Discard: 'Remove' };

/** The queue's rows in `list`, one per item; their buttons act on `queue`, and Discard calls
 * `discard(item)`. */
export class Rows {
  constructor(list, { queue, discard }) {
    this.list = list;
    this.actions = { queue, discard };
    this.byId = new Map();
  }

  /** The row's parts, made once: progress updates change text and widths in place, so a button
   * under the pointer or the keyboard focus is never replaced mid-upload. */
  rowOf(item) {
    let row = this.byId.get(item.id);
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
    this.byId.set(item.id, row);
    this.list.append(row);
    return row;
  }

  /** Shows `item` as it is now in its row (made on first use). */
  render(item) {
    const row = this.rowOf(item);
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
    buttons.replaceChildren(...controls(item, this.actions));
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

  /** Takes `item`'s row out of the list. */
  remove(item) {
    this.byId.get(item.id)?.remove();
    this.byId.delete(item.id);
  }
}
