// Where the browser has the File System Access API (Chromium), files picked or dropped come with a
// handle; the demo keeps the handle (not the file, not any credential) in its own IndexedDB store,
// keyed by the upload's object key, so after a reload the upload continues without picking the file
// again. Everywhere else these functions do nothing.

const DB = 'partwise-demo';
const STORE = 'handles';

function open() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) return reject(new Error('no IndexedDB'));
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  try {
    const db = await open();
    return await new Promise((resolve, reject) => {
      const request = work(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }).finally(() => db.close());
  } catch {
    return undefined;
  }
}

/** Whether this browser can pick files with handles. */
export const supported = typeof globalThis.showOpenFilePicker === 'function';

/** Keeps `handle` for the upload to `key`. */
export const keep = (key, handle) => run('readwrite', (store) => store.put(handle, key));

/** The handle kept for `key`, if any. */
export const find = (key) => run('readonly', (store) => store.get(key));

/** Forgets the handle of `key`. */
export const forget = (key) => run('readwrite', (store) => store.delete(key));

/** The file behind `handle`, asking for read permission if the browser wants it (needs a click). */
export async function fileOf(handle) {
  const options = { mode: 'read' };
  if (
    (await handle.queryPermission?.(options)) === 'prompt' &&
    (await handle.requestPermission(options)) !== 'granted'
  ) {
    throw new Error('Permission to read the file was not granted.');
  }
  return handle.getFile();
}

/** Files chosen in the system picker, with their handles: `[{file, handle}]`. */
export async function pick() {
  const handles = await globalThis.showOpenFilePicker({ multiple: true });
  return Promise.all(handles.map(async (handle) => ({ file: await handle.getFile(), handle })));
}

/** Dropped files, with handles where the browser gives them. Call during the drop event. */
export function dropped(dataTransfer) {
  const items = [...(dataTransfer.items ?? [])].filter((item) => item.kind === 'file');
  if (!items.length) return Promise.resolve([...(dataTransfer.files ?? [])].map((file) => ({ file, handle: null })));
  // Both are read synchronously, before the event ends and the items are emptied.
  const entries = items.map((item) => ({ file: item.getAsFile(), handle: item.getAsFileSystemHandle?.() ?? null }));
  return Promise.all(
    entries.map(async ({ file, handle }) => {
      const h = await Promise.resolve(handle).catch(() => null);
      return { file, handle: h?.kind === 'file' ? h : null };
    }),
  );
}
