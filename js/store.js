// Checkpoints in IndexedDB: each record is the core's checkpoint JSON plus its `id`; they hold no
// credentials, tokens or URLs. Without IndexedDB uploads still work, without resume, and a console
// warning says so. Records cross to and from the core as JSON text.
import { describe, warnOnce } from './warn.js';

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
      return records.map((record) => JSON.stringify(record));
    } catch {
      return [];
    }
  }
}
