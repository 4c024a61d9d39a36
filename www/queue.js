// The upload queue: files wait their turn, at most `limit` upload at once, and each can be paused,
// resumed or cancelled, waiting or running. It fires `change` (detail: the item) on every update.

let nextId = 1;

/** One file in the queue. `state`: waiting (for a free slot), uploading, other-tab (the same file
 * uploads to the same key in another tab: this one goes on when it stops), paused, complete, error
 * or aborted. */
class Item {
  constructor(file, { uploader, key, provider, handle }) {
    this.id = nextId++;
    this.file = file;
    this.key = key;
    this.uploader = uploader;
    this.provider = provider;
    this.handle = handle;
    this.state = 'waiting';
    this.task = null;
    this.progress = null;
    this.result = null;
    this.error = null;
    this.retry = null;
    this.startedAt = null;
    this.finishedAt = null;
  }

  /** Whether it is still to finish (waiting, uploading or paused). */
  get open() {
    return ['waiting', 'uploading', 'other-tab', 'paused'].includes(this.state);
  }
}

export class Queue extends EventTarget {
  constructor({ limit = 2 } = {}) {
    super();
    this.limit = limit;
    this.items = [];
  }

  /** Adds a file to upload to `key` with `uploader`; it starts when a slot is free. */
  add(file, options) {
    const item = new Item(file, options);
    this.items.push(item);
    this.#changed(item);
    this.#pump();
    return item;
  }

  /** Whether the queue holds `key`: running, waiting, paused, or failed with a checkpoint to retry. */
  has(key) {
    return this.items.some((item) => item.key === key && (item.open || item.state === 'error'));
  }

  pause(item) {
    if (item.state === 'waiting') this.#set(item, 'paused');
    else if (item.state === 'uploading' || item.state === 'other-tab') item.task.pause();
  }

  resume(item) {
    if (item.state !== 'paused') return;
    if (item.task) item.task.resume();
    else {
      this.#set(item, 'waiting');
      this.#pump();
    }
  }

  cancel(item) {
    if (item.task && item.open) item.task.abort();
    else if (item.open) this.#set(item, 'aborted');
  }

  /** Tries a failed file again (it resumes from its checkpoint). */
  retryFailed(item) {
    if (item.state !== 'error') return;
    item.task = null;
    item.error = null;
    this.#set(item, 'waiting');
    this.#pump();
  }

  /** Removes a finished row. */
  remove(item) {
    if (item.open) return;
    this.items = this.items.filter((other) => other !== item);
    this.dispatchEvent(new CustomEvent('remove', { detail: item }));
  }

  pauseAll() {
    for (const item of this.items) this.pause(item);
  }
  resumeAll() {
    for (const item of this.items) this.resume(item);
  }
  cancelAll() {
    for (const item of this.items) this.cancel(item);
  }

  /** Paused files hold no slot: they use no bandwidth, and the next file may start meanwhile. */
  #running() {
    return this.items.filter((item) => item.state === 'uploading').length;
  }

  #pump() {
    for (const item of this.items) {
      if (this.#running() >= this.limit) return;
      if (item.state === 'waiting') this.#start(item);
    }
  }

  #start(item) {
    item.startedAt = performance.now();
    const task = item.uploader.upload(item.file, { key: item.key });
    item.task = task;
    this.#set(item, 'uploading');
    task.addEventListener('progress', ({ detail }) => {
      item.progress = detail;
      item.retry = null;
      this.#changed(item);
    });
    task.addEventListener('retry', ({ detail }) => {
      item.retry = detail;
      this.#changed(item);
    });
    task.addEventListener('statechange', ({ detail }) => {
      if (detail.state === 'uploading' || detail.state === 'paused') this.#set(item, detail.state);
      else if (detail.state === 'waiting') this.#set(item, 'other-tab');
      this.#pump();
    });
    task.done
      .then(
        (result) => {
          item.result = result;
          item.finishedAt = performance.now();
          this.#set(item, 'complete');
        },
        (error) => {
          item.error = error;
          this.#set(item, error.code === 'Aborted' ? 'aborted' : 'error');
        },
      )
      .finally(() => this.#pump());
  }

  #set(item, state) {
    item.state = state;
    this.#changed(item);
  }

  #changed(item) {
    this.dispatchEvent(new CustomEvent('change', { detail: item }));
  }
}
