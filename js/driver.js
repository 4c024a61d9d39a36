// Runs the core's machines in the browser: each machine (an upload, a listing, an abort) says what
// to do as commands; this carries them out — requests through XMLHttpRequest or fetch, hashes in
// the Worker pool, checkpoints in IndexedDB (in order), Web Locks, the app's callbacks, timers —
// and hands back what happened. Nothing is decided here. One module: the download is smaller so.
import { HashPool } from './hash_pool.js';

/** Request headers the browser sets itself and refuses from scripts. */
const FORBIDDEN = new Set(['host', 'content-length', 'date', 'connection']);

/** A request with no body or a text body, through fetch: `{status, headers: [name, value, …], body}`. */
async function send({ method, url, headers, text }, signal) {
  const all = new Headers();
  for (let i = 0; i < headers.length; i += 2) all.append(headers[i], headers[i + 1]);
  const answer = await fetch(url, { method, headers: all, body: text, signal });
  const flat = [];
  for (const [name, value] of answer.headers) flat.push(name, value);
  return { status: answer.status, headers: flat, body: await answer.text() };
}

/**
 * A part's body (`blob`) through XMLHttpRequest, which, unlike fetch over HTTP/1.1, reports upload
 * progress: `progress(bytesSent)` at every sign of life. `answer` resolves as `send` does; `cancel()` aborts.
 */
function sendPart({ method, url, headers }, blob, progress) {
  const xhr = new XMLHttpRequest();
  const cancel = () => xhr.abort();
  let sent = 0;
  const answer = new Promise((resolve, reject) => {
    xhr.onload = () => {
      progress(Math.max(sent, blob.size));
      const flat = [];
      for (const line of xhr.getAllResponseHeaders().split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) flat.push(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({ status: xhr.status, headers: flat, body: xhr.responseText });
    };
    xhr.onerror = () => reject('the connection failed');
    xhr.ontimeout = () => reject('the request timed out');
  });
  xhr.upload.onprogress = (event) => {
    sent = event.loaded;
    progress(sent);
  };
  xhr.onprogress = () => progress(sent);
  try {
    xhr.open(method, url, true);
    for (let i = 0; i < headers.length; i += 2) {
      if (!FORBIDDEN.has(headers[i].toLowerCase())) xhr.setRequestHeader(headers[i], headers[i + 1]);
    }
    xhr.send(blob);
  } catch (error) {
    return { answer: Promise.reject(error), cancel };
  }
  return { answer, cancel };
}

/** Whether the browser says it is offline (`navigator.onLine`; online where it does not say). */
const offline = () => globalThis.navigator?.onLine === false;

/** A credentials answer's `expiration` in milliseconds since the epoch (NaN when no date reads from it), if it has one. */
function expires(answer) {
  const expiration = answer?.expiration;
  if (expiration === undefined || expiration === null) return undefined;
  try {
    return new Date(expiration).getTime();
  } catch {
    return Number.NaN;
  }
}

/** `ranges` (`[offset, length, …]`) of `file` as one Blob: no bytes read. */
function slices(file, ranges) {
  const pieces = [];
  for (let i = 0; i < ranges.length; i += 2) pieces.push(file.slice(ranges[i], ranges[i] + ranges[i + 1]));
  return pieces.length === 1 ? pieces[0] : new Blob(pieces);
}

/**
 * Asks for the Web Lock `name` (first only if free; when another tab holds it, `report(0)` and
 * waits in line), `report(1)` once held, or `report(2)` at once where Web Locks are missing or
 * refuse. `release()` lets it go (or gives it up unheld).
 */
function lock(name, report) {
  const locks = globalThis.navigator?.locks;
  let done = false;
  let reported = false;
  let release;
  const locked = (guarded) => {
    if (!reported) report(guarded ? 1 : 2);
    reported = true;
  };
  const hold = () => {
    if (done) return undefined;
    locked(true);
    return new Promise((resolve) => {
      release = resolve;
    });
  };
  const ask = (options, callback) => {
    try {
      locks.request(name, options, callback).catch(() => done || locked(false));
    } catch {
      locked(false);
    }
  };
  if (typeof locks?.request !== 'function') locked(false);
  else
    ask({ ifAvailable: true }, (held) => {
      if (held || done) return hold();
      report(0);
      ask({}, hold);
      return undefined;
    });
  return {
    release() {
      done = true;
      release?.();
    },
  };
}

// Checkpoints in IndexedDB: each record is the core's checkpoint JSON plus its `id`; they hold no
// credentials, tokens or URLs. Without IndexedDB uploads still work, without resume, and a console
// warning says so. Records cross to and from the core as JSON text.

const DATABASE = 'partwise';
const STORE = 'checkpoints';

/** A request's result once it succeeds; its error otherwise. */
const result = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/** Waits until a read-write transaction is committed. */
const committed = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });

/** The checkpoint store; opened on first use. */
class CheckpointStore {
  #database;

  /** The database, or null (with a warning) where IndexedDB cannot be opened. */
  #open() {
    this.#database ??= (async () => {
      const request = globalThis.indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
      return result(request);
    })().catch((error) => {
      warnOnce('NoIndexedDb', `IndexedDB is unavailable (${describe(error)}); uploads will not resume after a reload`);
      return null;
    });
    return this.#database;
  }

  /** Saves (or replaces) the record `json` under `id`. Failures only warn: the upload goes on without resume. */
  async put(id, json) {
    const db = await this.#open();
    if (!db) return;
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put({ ...JSON.parse(json), id });
      await committed(tx);
    } catch (error) {
      warnOnce(
        'NotSaved',
        `a checkpoint could not be saved (${describe(error)}); this upload may not resume after a reload`,
      );
    }
  }

  /** Deletes the record `id`. */
  async delete(id) {
    const db = await this.#open();
    if (!db) return;
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).delete(id);
      await committed(tx);
    } catch {
      // Nothing to do: a record left behind is found again and checked against the server.
    }
  }

  /** The records (as JSON) whose id starts with `prefix`, or every record. */
  async records(prefix) {
    const db = await this.#open();
    if (!db) return [];
    try {
      // Every string that starts with `prefix` sorts between it and `prefix` + U+FFFF.
      const range = prefix === undefined ? undefined : IDBKeyRange.bound(prefix, `${prefix}\uffff`);
      const records = await result(db.transaction(STORE, 'readonly').objectStore(STORE).getAll(range));
      // A record JSON cannot hold (a BigInt) goes to the core as nothing, which it ignores with a warning.
      return records.map((record) => {
        try {
          return JSON.stringify(record) ?? '';
        } catch {
          return '';
        }
      });
    } catch {
      return [];
    }
  }
}

// Console warnings, once per page for each kind (the upload goes on, with less), and how a thrown
// value is described in them and in errors.

const warned = new Set();

/** Logs `message` unless a warning of this `kind` was already given. */
function warnOnce(kind, message) {
  if (warned.has(kind)) return;
  warned.add(kind);
  console.warn(`partwise: ${message}`);
}

/** The JS `name: message` of a thrown value, or its text. */
function describe(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : 'an unknown error';
}

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

  /** Starts uploading `file` as `object`: `{done, pause(), resume(), abort(), uploadId, stats}`. */
  upload(file, object, emit) {
    const seed = Math.random() * 2 ** 53;
    const info = { name: file.name ?? '', size: file.size, lastModified: file.lastModified ?? 0, type: file.type };
    const machine = this.#client.upload(info, object, Date.now(), seed);
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
