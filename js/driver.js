// Runs the core's machines in the browser: each machine (an upload, a listing, an abort) says what
// to do as commands; this carries them out — requests through XMLHttpRequest or fetch, hashes in
// the Worker pool, checkpoints in IndexedDB (in order), Web Locks, the app's callbacks, timers —
// and hands back what happened. Nothing is decided here.
import { CheckpointStore, describe, expires, lock, offline, send, sendPart, slices, warnOnce } from './browser.js';
import { HashPool } from './hash_pool.js';

/** The machines of one uploader: its core client, the app's callbacks, Workers and checkpoints. */
export class Runner {
  #client;
  #callbacks;
  #pool;
  #store = new CheckpointStore();
  /** The `credentials` call in progress, shared by every machine that asks meanwhile. */
  #credentials = null;
  /** How to have each running machine polled, by its id. */
  #nudges = new Map();

  /** `client` is a WasmClient; `callbacks` holds the app's `credentials` or `presign`. */
  constructor(client, callbacks) {
    this.#client = client;
    this.#callbacks = callbacks;
  }

  /** Starts uploading `file` as `object` (JSON): `{done, pause(), resume(), abort(), uploadId, stats}`. */
  upload(file, object, emit) {
    const seed = Math.random() * 2 ** 53;
    const machine = this.#client.upload(
      file.name ?? '',
      file.size,
      file.lastModified ?? 0,
      file.type,
      object,
      Date.now(),
      seed,
    );
    const task = { uploadId: null, stats: { partRequests: 0, maxPartsInFlight: 0 } };
    const after = () => {
      const { uploadId, ...stats } = machine.stats();
      Object.assign(task, { uploadId, stats });
    };
    const run = this.#drive(machine, file, emit, after);
    task.pause = () => run.signal(1);
    task.resume = () => run.signal(2);
    task.abort = () => run.signal(3);
    task.done = run.outcome;
    return task;
  }

  /** The stored checkpoints of unfinished uploads to this bucket: `[{key, uploadId, size, name, partsDone, partsTotal, partSize, createdAt}]`. */
  async checkpoints() {
    return (await this.#stored()).map(({ id, createdAt, ...checkpoint }) => ({
      ...checkpoint,
      createdAt: new Date(createdAt),
    }));
  }

  /** This bucket's stored checkpoints, with their record ids. */
  async #stored() {
    const all = [];
    for (const record of await this.#store.records()) {
      const summary = this.#client.summary(record);
      if (summary) all.push(summary);
    }
    return all;
  }

  /** The server's unfinished multipart uploads under `prefix`, all pages. */
  listUploads(prefix) {
    return this.#drive(this.#client.listUploads(prefix, Math.random() * 2 ** 53)).outcome;
  }

  /** Aborts upload `uploadId` of `key` on the server, then forgets its checkpoint (kept when the abort fails). */
  async abortUpload(key, uploadId) {
    await this.#drive(this.#client.abortUpload(key, uploadId, Math.random() * 2 ** 53)).outcome;
    for (const checkpoint of await this.#stored()) {
      if (checkpoint.key === key && checkpoint.uploadId === uploadId) await this.#store.delete(checkpoint.id);
    }
  }

  /** Stops the hashing Workers for good; later hashes run on the main thread. */
  dispose() {
    this.#pool?.terminate();
    this.#pool = null;
  }

  /** Has the machines the request budget handed a permit polled. */
  #wakeGranted() {
    for (const id of this.#client.woken()) this.#nudges.get(id)?.();
  }

  /** The hashing Workers, started on first use; null where they cannot run. */
  #workers() {
    if (this.#pool === undefined) {
      try {
        this.#pool = new HashPool(this.#client.module, this.#client.workers);
      } catch (error) {
        warnOnce('NoWorkers', `Web Workers are unavailable (${describe(error)}); parts are hashed on the main thread`);
        this.#pool = null;
      }
    }
    return this.#pool;
  }

  /**
   * The digest of `blob` numbered by `code`: in a Worker, or on the main thread where Workers cannot
   * run or were stopped by `dispose()` (unless the hash was `cancelled()` meanwhile).
   */
  async #hash(blob, code, cancelled) {
    const pool = this.#workers();
    if (pool) {
      try {
        return await pool.hash(blob, code);
      } catch (error) {
        if (error?.name !== 'WorkerError' || (!pool.broken && cancelled())) throw error;
        if (pool.broken) {
          warnOnce(
            'NoWorkers',
            'Web Workers are unavailable (they could not start: does the Content-Security-Policy allow worker-src blob:?); parts are hashed on the main thread',
          );
          this.dispose();
        }
      }
    }
    return this.#client.digest(code, new Uint8Array(await blob.arrayBuffer()));
  }

  /** The app's credentials call: the one in progress while unanswered and not given up, else a new one. */
  #credentialsCall() {
    let call = this.#credentials;
    if (!call || call.settled || call.controller.signal.aborted) {
      const controller = new AbortController();
      call = { controller, waiting: 0, settled: false };
      call.answer = Promise.resolve()
        .then(() => this.#callbacks.credentials({ signal: controller.signal }))
        .finally(() => {
          call.settled = true;
        });
      this.#credentials = call;
    }
    call.waiting += 1;
    return call;
  }

  /**
   * Runs `machine` to its outcome: `{outcome, signal(n)}`, `outcome` resolving with its result or
   * rejecting with its error object; `signal` reports pause (1), resume (2) or abort (3). `file`
   * is what parts and hashes come from; `emit(name, detail)` gets events; `after()` runs after every step.
   */
  #drive(machine, file, emit, after = () => {}) {
    const inbox = [];
    let wakeUp = null;
    const push = (input) => {
      inbox.push(input);
      wakeUp?.();
    };
    /** Work the machine may cancel, by job id: its cancel function. */
    const jobs = new Map();
    /** Work it never cancels (the online watch), stopped when it is done. */
    const untracked = new Set();
    /** Web Locks held or asked for, by name. */
    const locks = new Map();
    let stored = Promise.resolve();
    const store = (op) => {
      stored = stored.then(op).catch(() => {});
    };
    let wake = null;

    /** Runs `work(cancelled)` as job `id`; its answer `report(now)` is handed back unless the job is cancelled. */
    const job = (id, work, onCancel = () => {}) => {
      const token = { cancelled: false };
      jobs.get(id)?.();
      jobs.set(id, () => {
        token.cancelled = true;
        onCancel();
      });
      work(() => token.cancelled).then((report) => {
        if (token.cancelled) return;
        jobs.delete(id);
        push(report);
      });
    };
    const failure = (id, network) => (error) => (now) =>
      machine.failure(id, describe(error), network, network && offline(), now);

    const execute = (commands) => {
      for (const c of commands) {
        try {
          carryOut(c);
        } catch (error) {
          // A browser refusing synchronously (no XMLHttpRequest here, say) fails that job alone.
          if (c.id !== undefined) push(failure(c.id, false)(error));
        }
      }
    };
    /** Carries out one command. */
    const carryOut = (c) => {
      switch (c.t) {
        case 'send': {
          if (c.offset !== undefined) {
            const blob = file.slice(c.offset, c.offset + c.len);
            const part = sendPart(c, blob, (sent) => push((now) => machine.activity(c.id, sent, now)));
            const answer = part.answer.then(
              (r) => (now) => machine.answer(c.id, r.status, r.headers, r.body, now),
              failure(c.id, true),
            );
            job(c.id, () => answer, part.cancel);
          } else {
            const controller = new AbortController();
            job(
              c.id,
              () =>
                send(c, controller.signal).then(
                  (r) => (now) => machine.answer(c.id, r.status, r.headers, r.body, now),
                  failure(c.id, true),
                ),
              () => controller.abort(),
            );
          }
          break;
        }
        case 'presign': {
          const controller = new AbortController();
          job(
            c.id,
            () =>
              Promise.resolve()
                .then(() => this.#callbacks.presign(c.request, { signal: controller.signal }))
                .then(
                  (answer) => (now) => machine.presigned(c.id, answer, now),
                  (error) => (now) =>
                    machine.refused(c.id, 'presign', describe(error), error?.retryable !== false, now),
                ),
            () => controller.abort(),
          );
          break;
        }
        case 'credentials': {
          const call = this.#credentialsCall();
          let waiting = true;
          const leave = () => {
            if (waiting) call.waiting -= 1;
            waiting = false;
          };
          job(
            c.id,
            () =>
              call.answer
                .then(
                  (answer) => (now) => machine.credentials(c.id, answer, expires(answer), now),
                  (error) => (now) =>
                    machine.refused(c.id, 'credentials', describe(error), error?.retryable !== false, now),
                )
                .finally(leave),
            () => {
              leave();
              // The last machine to give up on an unanswered call aborts its signal.
              if (call.waiting === 0 && !call.settled) call.controller.abort();
            },
          );
          break;
        }
        case 'hash':
          job(c.id, (cancelled) =>
            this.#hash(slices(file, c.ranges), c.code, cancelled).then(
              (digest) => (now) => machine.hashed(c.id, digest, c.md5, now),
              failure(c.id, false),
            ),
          );
          break;
        case 'cancel':
          jobs.get(c.id)?.();
          jobs.delete(c.id);
          break;
        case 'lock':
          locks.set(
            c.name,
            lock(c.name, (state) => push((now) => machine.lock(state, now))),
          );
          break;
        case 'unlock': {
          const held = locks.get(c.name);
          locks.delete(c.name);
          // Let go once the writes before it have landed.
          if (held) store(() => held.release());
          break;
        }
        case 'load':
          store(async () => {
            const records = await this.#store.records(c.prefix);
            push((now) => machine.loaded(records, now));
          });
          break;
        case 'save':
          store(() => this.#store.put(c.key, c.record));
          break;
        case 'delete':
          store(() => this.#store.delete(c.key));
          break;
        case 'online': {
          let timer;
          const stop = () => clearTimeout(timer);
          const check = () => {
            if (offline()) {
              timer = setTimeout(check, 1000);
              return;
            }
            untracked.delete(stop);
            push((now) => machine.signal(0, now));
          };
          untracked.add(stop);
          check();
          break;
        }
        case 'sleep':
          wake = wake === null ? c.until : Math.min(wake, c.until);
          break;
        case 'emit':
          try {
            emit?.(c.name, c.detail);
          } catch {
            // An exception in an app's event listener must not stop the upload.
          }
          break;
      }
    };

    let id = machine.id;
    const nudge = () => push(null);
    this.#nudges.set(id, nudge);
    const step = (commands) => {
      execute(commands);
      if (machine.id !== id) {
        this.#nudges.delete(id);
        id = machine.id;
        this.#nudges.set(id, nudge);
      }
      this.#wakeGranted();
      after();
    };
    const outcome = (async () => {
      let result;
      try {
        for (;;) {
          step(machine.poll(Date.now()));
          result = machine.outcome();
          if (result) break;
          if (inbox.length === 0) {
            let timer;
            const timedOut = await new Promise((resolve) => {
              wakeUp = () => resolve(false);
              if (wake !== null) timer = setTimeout(() => resolve(true), Math.max(0, wake - Date.now()));
            });
            clearTimeout(timer);
            wakeUp = null;
            if (timedOut && inbox.length === 0) {
              wake = null;
              continue;
            }
          }
          const input = inbox.shift();
          if (input) step(input(Date.now()));
        }
      } finally {
        // The browser's side first: it must end even when the module trapped.
        this.#nudges.delete(id);
        for (const cancel of jobs.values()) cancel();
        for (const stop of untracked) stop();
        try {
          machine.leave();
          this.#wakeGranted();
        } catch {
          // A trapped module: its error is the outcome.
        }
        // The last checkpoint writes (or the deletion) land before the outcome is reported; only
        // then may another tab waiting for this upload read its checkpoint.
        await stored;
        for (const held of locks.values()) held.release();
        try {
          machine.free();
        } catch {
          // Already unusable.
        }
      }
      if (result.error) throw result.error;
      return result.ok;
    })();
    return { outcome, signal: (what) => push((now) => machine.signal(what, now)) };
  }
}
