// What the driver (driver.js) asks of the browser: requests (fetch, and XMLHttpRequest for part
// bodies), Blob slices, Web Locks, checkpoints in IndexedDB, console warnings once per kind.

/** Request headers the browser sets itself and refuses from scripts. */
const FORBIDDEN = new Set(['host', 'content-length', 'date', 'connection']);

/** A request with no body or a text body, through fetch: `{status, headers: [name, value, …], body}`. */
export async function send({ method, url, headers, text }, signal) {
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
export function sendPart({ method, url, headers }, blob, progress) {
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
export const offline = () => globalThis.navigator?.onLine === false;

/** A credentials answer's `expiration` in milliseconds since the epoch (NaN when no date reads from it), if it has one. */
export function expires(answer) {
  const expiration = answer?.expiration;
  if (expiration === undefined || expiration === null) return undefined;
  try {
    return new Date(expiration).getTime();
  } catch {
    return Number.NaN;
  }
}

/** `ranges` (`[offset, length, …]`) of `file` as one Blob: no bytes read. */
export function slices(file, ranges) {
  const pieces = [];
  for (let i = 0; i < ranges.length; i += 2) pieces.push(file.slice(ranges[i], ranges[i] + ranges[i + 1]));
  return pieces.length === 1 ? pieces[0] : new Blob(pieces);
}

/**
 * Asks for the Web Lock `name` (first only if free; when another tab holds it, `report(0)` and
 * waits in line), `report(1)` once held, or `report(2)` at once where Web Locks are missing or
 * refuse. `release()` lets it go (or gives it up unheld).
 */
export function lock(name, report) {
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
export class CheckpointStore {
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
export function warnOnce(kind, message) {
  if (warned.has(kind)) return;
  warned.add(kind);
  console.warn(`partwise: ${message}`);
}

/** The JS `name: message` of a thrown value, or its text. */
export function describe(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : 'an unknown error';
}
