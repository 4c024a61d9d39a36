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
      (imports[from] ??= {})[name] = () => { throw new Error(`partwise hash worker: ${name} is not available`); };
    }
    return (await WebAssembly.instantiate(module, imports)).exports;
  };
  // The blob's bytes, streamed with the default reader. Not a BYOB reader, although reusing one
  // buffer would leave less garbage: in Chromium a BYOB read of a disk-backed File's slice now and
  // then never settled, which stalled a 4 GiB upload for good (tests/e2e/hash-pool.test.mjs).
  async function* chunks(blob) {
    const reader = blob.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  // One hasher state per instance: requests are hashed one after another, in arrival order.
  let queue;
  const hashOne = async ({ id, blob, chunk, algorithm }) => {
    try {
      const wasm = await ready;
      wasm.partwise_md5_reset(algorithm);
      for await (const bytes of chunks(blob)) {
        for (let at = 0; at < bytes.length; at += chunk) {
          const piece = bytes.subarray(at, at + chunk);
          const pointer = wasm.partwise_md5_buffer(piece.length);
          new Uint8Array(wasm.memory.buffer, pointer, piece.length).set(piece);
          wasm.partwise_md5_update(piece.length);
        }
      }
      const pointer = wasm.partwise_md5_finish();
      const digest = new Uint8Array(wasm.memory.buffer, pointer, wasm.partwise_digest_len()).slice();
      self.postMessage({ id, digest });
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

/**
 * A fixed set of hashing workers; `hash(blob, algorithm)` resolves to the blob's MD5 (16 bytes)
 * followed by its checksum numbered `algorithm` (0: none), as one Uint8Array.
 */
export class HashPool {
  constructor(module, size, chunk) {
    workerUrl ??= URL.createObjectURL(new Blob([`(${workerMain})()`], { type: 'text/javascript' }));
    this.chunk = chunk;
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
    if (this.broken) return Promise.reject(Object.assign(new Error('the hash workers cannot run'), { name: 'WorkerError' }));
    const id = this.next++;
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, blob, chunk: this.chunk, algorithm });
    });
  }

  settle({ id, digest, error, name = 'Error' }) {
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
