// MD5 of Blob parts in a pool of Web Workers. Each worker instantiates the package's own compiled
// WebAssembly module (shared, not fetched again) and uses only its three raw hashing exports, so no
// extra file has to be served. The main thread only posts Blob handles (no bytes) and receives
// 16-byte digests.

function workerMain() {
  // Set when the module arrives; hash requests posted right after it wait for the instance
  // (Firefox instantiates asynchronously while the next messages are already delivered).
  let ready;
  const instantiate = async (module) => {
    const imports = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (kind !== 'function') throw new Error(`partwise hash worker: unexpected ${kind} import`);
      imports[from] ??= {};
      imports[from][name] = () => {
        throw new Error(`partwise hash worker: ${name} is not available`);
      };
    }
    return (await WebAssembly.instantiate(module, imports)).exports;
  };
  // The blob's bytes. Where the browser offers BYOB reads, every read lands in one reused buffer:
  // fresh chunks per read left ~60 MiB of garbage per Worker between collections (Chromium's RSS,
  // `npm run bench`). Chromium now and then leaves a BYOB read of a disk-backed File's slice
  // unsettled, which once stalled a 4 GiB upload for good: a read that takes longer than `patience`
  // ms is given up and the rest of the blob read through a new stream, with twice the patience.
  let spare;
  const within = (promise, ms) => {
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  };
  // `counts.rereads` counts the reads given up.
  async function* chunks(blob, size, patience, counts) {
    for (let offset = 0; ; patience *= 2) {
      const stream = blob.slice(offset).stream();
      let reader;
      let byob = true;
      try {
        reader = stream.getReader({ mode: 'byob' });
      } catch {
        reader = stream.getReader();
        byob = false;
      }
      for (;;) {
        if (byob && spare?.byteLength !== size) spare = new ArrayBuffer(size);
        const read = byob ? reader.read(new Uint8Array(spare)) : reader.read();
        spare = undefined; // transferred to the read: it comes back with the bytes
        const result = await within(read, patience);
        if (!result) {
          reader.cancel().catch(() => {});
          counts.rereads += 1;
          break;
        }
        const { done, value } = result;
        if (byob && value) spare = value.buffer;
        if (done) return;
        offset += value.length;
        yield value;
      }
    }
  }
  // Bytes copied into the module's memory at once: its buffer stays this small whatever a read
  // returns (streams without BYOB choose their own chunk sizes).
  const PIECE = 64 * 1024;
  // One hasher state per instance: requests are hashed one after another, in arrival order.
  let queue;
  const hashOne = async ({ id, blob, chunk, algorithm, patience }) => {
    try {
      const wasm = await ready;
      wasm.partwise_md5_reset(algorithm);
      const counts = { rereads: 0 };
      for await (const bytes of chunks(blob, chunk, patience, counts)) {
        for (let at = 0; at < bytes.length; at += PIECE) {
          const piece = bytes.subarray(at, at + PIECE);
          const pointer = wasm.partwise_md5_buffer(piece.length);
          new Uint8Array(wasm.memory.buffer, pointer, piece.length).set(piece);
          wasm.partwise_md5_update(piece.length);
        }
      }
      const pointer = wasm.partwise_md5_finish();
      const digest = new Uint8Array(wasm.memory.buffer, pointer, wasm.partwise_digest_len()).slice();
      self.postMessage({ id, digest, rereads: counts.rereads });
    } catch (error) {
      self.postMessage({ id, error: String(error) });
    }
  };
  self.onmessage = ({ data }) => {
    if (data.module) {
      ready = instantiate(data.module);
      queue = ready.catch(() => {});
      return;
    }
    queue = queue.then(() => hashOne(data));
  };
}

let workerUrl;

/** Most bytes a Worker reads at once (into its one reused buffer): its memory stays small whatever
 * the part size (1 MiB reads hashed no faster and cost each Worker ~0.9 MiB more, `npm run bench`). */
export const CHUNK_BYTES = 256 * 1024;
/** Milliseconds a read may take before it is given up and made again (twice as long each time). */
const PATIENCE_MS = 1000;

/**
 * A fixed set of hashing workers; `hash(blob, algorithm)` resolves to the blob's MD5 (16 bytes)
 * followed by its checksum numbered `algorithm` (0: none), as one Uint8Array.
 */
export class HashPool {
  /** `size` Workers, each instantiating `module`; `chunk` and `patience` are there for tests. */
  constructor(module, size, { chunk = CHUNK_BYTES, patience = PATIENCE_MS } = {}) {
    workerUrl ??= URL.createObjectURL(new Blob([`(${workerMain})()`], { type: 'text/javascript' }));
    this.chunk = chunk;
    this.patience = patience;
    /** Reads given up and made again, in all. */
    this.rereads = 0;
    this.pending = new Map();
    this.next = 0;
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerUrl);
      worker.onmessage = ({ data }) => this.settle(data);
      // A worker that cannot start or run (a Content-Security-Policy without `worker-src blob:`)
      // fails what it holds with a WorkerError, so the page can hash on the main thread instead.
      worker.onerror = (event) => this.fail(worker, event.message || 'the hash worker failed to start');
      worker.postMessage({ module });
      return { worker, busy: 0 };
    });
  }

  hash(blob, algorithm) {
    if (this.broken)
      return Promise.reject(Object.assign(new Error('the hash workers cannot run'), { name: 'WorkerError' }));
    const id = this.next++;
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, blob, chunk: this.chunk, algorithm, patience: this.patience });
    });
  }

  settle({ id, digest, error, name = 'Error', rereads }) {
    this.rereads += rereads ?? 0;
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.slot.busy -= 1;
    if (error) entry.reject(Object.assign(new Error(error), { name }));
    else entry.resolve(digest);
  }

  fail(worker, message) {
    if (worker) this.broken = true;
    for (const [id, entry] of this.pending) {
      if (worker === null || entry.slot.worker === worker) this.settle({ id, error: message, name: 'WorkerError' });
    }
  }

  terminate() {
    for (const { worker } of this.workers) worker.terminate();
    this.fail(null, 'the hash pool was closed');
  }
}
