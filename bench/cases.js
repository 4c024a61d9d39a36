// The benchmark's contenders, run in the same page on the same File against the same server.
// Each upload case is `(file, key) => Promise`, with 8 MiB parts and 4 in flight.
import { createUploader, preload } from '/pkg/index.js';

const MIB = 1024 * 1024;
const PART = 8 * MIB;
const CONCURRENCY = 4;

const target = async () => {
  const [{ provider, endpoint, bucket, region }] = await (await fetch('/targets')).json();
  return { provider, endpoint, bucket, region };
};
const getJson = async (url, init) => (await fetch(url, init)).json();
const presign = (request) => getJson('/presign', { method: 'POST', body: JSON.stringify(request) });

async function partwise(file, key, options) {
  const uploader = createUploader({
    ...(await target()),
    partSize: PART,
    concurrency: CONCURRENCY,
    checkpoints: false,
    ...options,
  });
  return uploader.upload(file, { key }).done;
}

/** Runs `work` for each item with at most `limit` at once. */
async function pool(items, limit, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export const uploads = {
  'partwise STS, MD5': (file, key) => partwise(file, key, { credentials: () => getJson('/credentials') }),
  'partwise presigned, MD5': (file, key) => partwise(file, key, { presign }),
  'partwise STS, CRC64NVME': (file, key) =>
    partwise(file, key, { credentials: () => getJson('/credentials'), checksum: 'crc64nvme' }),
  'partwise STS, no checksum': (file, key) =>
    partwise(file, key, { credentials: () => getJson('/credentials'), checksum: 'none' }),
  async 'AWS SDK lib-storage'(file, key) {
    const { S3Client, Upload } = await import('/bench/.build/aws.js');
    const { endpoint, bucket, region } = await target();
    const creds = await getJson('/credentials');
    const client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { ...creds, expiration: new Date(creds.expiration) },
    });
    await new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: file },
      partSize: PART,
      queueSize: CONCURRENCY,
    }).done();
  },
  /** The ceiling: parallel fetch PUTs of file.slice() to presigned UploadPart URLs, no hashing. */
  'raw fetch (ceiling)': (file, key) => rawUpload(file, key, null, fetchPut),
  /** The ceiling's requests sent by XMLHttpRequest, partwise's transport for parts, with an upload
   * progress listener as partwise has. */
  'raw XMLHttpRequest': (file, key) => rawUpload(file, key, null, xhrPut),
  /** The ceiling's requests with S3's CRC-64/NVME on each part, checked by the server. */
  'raw fetch, CRC64NVME computed before (server check only)': (file, key) =>
    rawUpload(file, key, precomputedCrcs.get(file), fetchPut),
};

/** Parts' base64 CRC-64/NVME values for `rawUpload`, computed by `prepare` before the timed run
 * (each run's File is a new object, so they are computed for each run). */
const precomputedCrcs = new WeakMap();

/**
 * What a contender needs before its timed run. The raw fetch with CRC-64/NVME sends values computed
 * here, so its run costs the server's check and none of the page's hashing.
 */
export const prepare = {
  async 'raw fetch, CRC64NVME computed before (server check only)'(file) {
    const hashPool = await partwisePool(2);
    const digests = await Promise.all(parts(file).map((p) => hashPool.hash(p, CRC64NVME_ONLY)));
    hashPool.terminate();
    precomputedCrcs.set(
      file,
      digests.map((d) => btoa(String.fromCharCode(...d))),
    );
  },
};

/** PUTs `body` to `url` with fetch; resolves to the answer's ETag. */
async function fetchPut(url, headers, body) {
  const answer = await fetch(url, { method: 'PUT', headers, body });
  if (!answer.ok) throw new Error(`PUT: ${answer.status}`);
  return answer.headers.get('etag');
}

/** PUTs `body` to `url` with XMLHttpRequest, listening to its upload progress. */
function xhrPut(url, headers, body) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    let sent = 0;
    xhr.upload.onprogress = (event) => {
      sent = event.loaded;
    };
    xhr.onload = () =>
      xhr.status === 200
        ? resolve(xhr.getResponseHeader('etag'))
        : reject(new Error(`PUT: ${xhr.status} after ${sent} B`));
    xhr.onerror = () => reject(new Error('PUT: network error'));
    xhr.send(body);
  });
}

/** Parallel PUTs (by `put`) of file.slice() to presigned UploadPart URLs; with `crcs`, each part declares
 * its CRC-64/NVME (the upload is created for it) for the server to check. */
async function rawUpload(file, key, crcs, put) {
  const { bucket } = await target();
  const base = { bucket, key };
  const declared = crcs ? { 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'FULL_OBJECT' } : {};
  const initiate = await presign({
    ...base,
    headers: declared,
    operation: 'createMultipartUpload',
    method: 'POST',
    query: { uploads: '' },
  });
  const xml = await (await fetch(initiate.url, { method: 'POST', headers: declared })).text();
  const uploadId = xml.match(/<UploadId>([^<]+)<\/UploadId>/)[1];
  const numbers = Array.from({ length: Math.ceil(file.size / PART) }, (_, i) => i + 1);
  const etags = [];
  await pool(numbers, CONCURRENCY, async (n) => {
    const headers = crcs ? { 'x-amz-checksum-crc64nvme': crcs[n - 1] } : {};
    const part = await presign({
      ...base,
      headers,
      operation: 'uploadPart',
      method: 'PUT',
      uploadId,
      partNumber: n,
      query: { partNumber: String(n), uploadId },
    });
    etags[n - 1] = await put(part.url, headers, file.slice((n - 1) * PART, n * PART));
  });
  const complete = await presign({
    ...base,
    headers: {},
    operation: 'completeMultipartUpload',
    method: 'POST',
    uploadId,
    query: { uploadId },
  });
  const body = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const done = await fetch(complete.url, { method: 'POST', body });
  if (!done.ok) throw new Error(`complete: ${done.status}`);
}

/** The longest main-thread task (ms) while `work` runs. */
export async function longestTask(work) {
  let longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
  });
  observer.observe({ type: 'longtask' });
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return { seconds, longestTaskMs: longest };
}

// ---- Hashing: 8 MiB parts of a Blob ----

// The hash pool's codes (src/web/hash.rs `code`): a checksum's place in ChecksumAlgorithm::ALL plus
// one (CRC-32 1, CRC-32C 2, CRC-64/NVME 3, SHA-256 4, CRC-64/ECMA 5), with 0x100 to leave MD5 out.
const MD5 = 0;
const CRC64NVME_ONLY = 3 | 0x100;
const CRC32C_ONLY = 2 | 0x100;
const MD5_AND_CRC64ECMA = 5;
const READ_ONLY = 0x100;

const parts = (blob) =>
  Array.from({ length: Math.ceil(blob.size / PART) }, (_, i) => blob.slice(i * PART, (i + 1) * PART));

/** The package's hash pool module and its compiled wasm module. */
const loadPool = () =>
  Promise.all([
    // Its path in pkg/, set by the runner (an init script, or the page's `pool` query).
    import(window.benchHashPool ?? new URLSearchParams(location.search).get('pool')),
    WebAssembly.compileStreaming(fetch('/pkg/partwise_bg.wasm')),
  ]);

async function partwisePool(workers) {
  const [{ HashPool }, module] = await loadPool();
  return new HashPool(module, workers);
}

/** Hashes `blob`'s parts with `workers` of partwise's hashing Workers, as `code` says. */
async function partwiseHash(blob, workers, code) {
  const hashPool = await partwisePool(workers);
  await Promise.all(parts(blob).map((p) => hashPool.hash(p, code)));
  hashPool.terminate();
}

export const hashers = {
  'partwise, 1 Worker': (blob) => partwiseHash(blob, 1, MD5),
  'partwise, Worker pool': (blob) => partwiseHash(blob, Math.min(4, navigator.hardwareConcurrency || 2), MD5),
  'partwise, 1 Worker, CRC-64/NVME (no MD5)': (blob) => partwiseHash(blob, 1, CRC64NVME_ONLY),
  'partwise, 1 Worker, CRC-32C (no MD5)': (blob) => partwiseHash(blob, 1, CRC32C_ONLY),
  'partwise, 1 Worker, MD5 + CRC-64/ECMA (OSS, KS3)': (blob) => partwiseHash(blob, 1, MD5_AND_CRC64ECMA),
  // The same Worker reading the parts into its memory and hashing nothing: the Blob read ceiling.
  'partwise, 1 Worker, reading only (no hash)': (blob) => partwiseHash(blob, 1, READ_ONLY),
  async 'hash-wasm (main thread)'(blob) {
    const { createMD5 } = await import('/bench/.build/hash-wasm.js');
    const md5 = await createMD5();
    for (const p of parts(blob)) {
      md5.init();
      md5.update(new Uint8Array(await p.arrayBuffer()));
      md5.digest('binary');
    }
  },
  async 'spark-md5 (main thread)'(blob) {
    const { default: SparkMD5 } = await import('/bench/.build/spark-md5.js');
    for (const p of parts(blob)) {
      const spark = new SparkMD5.ArrayBuffer();
      spark.append(await p.arrayBuffer());
      spark.end(true);
    }
  },
};

// ---- Hashing bytes a Worker already holds: the hash code's own speed, without the Blob reads ----

/** The Worker: the module's hashing exports over one 8 MiB buffer, `mib` MiB in all, in 8 MiB digests,
 * copied in `chunk` bytes at a time as the pool's Workers do. */
function computeWorker() {
  self.onmessage = async ({ data: { module, code, mib, part, chunk } }) => {
    const imports = {};
    for (const { module: from, name } of WebAssembly.Module.imports(module)) {
      imports[from] ??= {};
      imports[from][name] = () => {
        throw new Error(name);
      };
    }
    const wasm = (await WebAssembly.instantiate(module, imports)).exports;
    const bytes = crypto.getRandomValues(new Uint8Array(part).subarray(0, 65536));
    const buffer = new Uint8Array(part).map((_, i) => bytes[i % bytes.length] ^ (i >> 16));
    const hash = () => {
      wasm.partwise_md5_reset(code);
      for (let at = 0; at < part; at += chunk) {
        const piece = buffer.subarray(at, at + chunk);
        const into = wasm.partwise_md5_buffer(piece.length); // may grow the memory: its buffer is read after
        new Uint8Array(wasm.memory.buffer, into, piece.length).set(piece);
        wasm.partwise_md5_update(piece.length);
      }
      wasm.partwise_md5_finish();
    };
    hash();
    const started = performance.now();
    for (let done = 0; done < mib * MIB; done += part) hash();
    self.postMessage((performance.now() - started) / 1000);
  };
}

/** Seconds one Worker takes to hash `mib` MiB it already holds, as `code` says. */
async function computeSeconds(code, mib) {
  const [{ CHUNK_BYTES }, module] = await loadPool();
  const source = `const MIB = ${MIB};\n(${computeWorker})()`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  const seconds = await new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => resolve(data);
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ module, code, mib, part: PART, chunk: CHUNK_BYTES });
  });
  worker.terminate();
  return seconds;
}

export const computed = {
  MD5: (mib) => computeSeconds(MD5, mib),
  'CRC-64/NVME (no MD5)': (mib) => computeSeconds(CRC64NVME_ONLY, mib),
  'CRC-32C (no MD5)': (mib) => computeSeconds(CRC32C_ONLY, mib),
  'MD5 + CRC-64/ECMA (OSS, KS3)': (mib) => computeSeconds(MD5_AND_CRC64ECMA, mib),
};

// ---- Resume: a stored 1,000-part checkpoint → the first byte of the first new part ----

/** Each part request sent: its number and when (performance.now()), seen through XMLHttpRequest. */
const partSends = [];
const { open, send } = XMLHttpRequest.prototype;
XMLHttpRequest.prototype.open = function openAndRemember(method, url, ...rest) {
  this.benchPart = Number(String(url).match(/[?&]partNumber=(\d+)/)?.[1] ?? 0);
  return open.call(this, method, url, ...rest);
};
XMLHttpRequest.prototype.send = function sendAndRecord(body) {
  if (this.benchPart) partSends.push({ number: this.benchPart, at: performance.now() });
  return send.call(this, body);
};

/** 5 MiB parts (the smallest S3 allows), so 1,000 parts take 5,000 MiB; checkpoints on. */
const resumable = async (options) =>
  createUploader({
    ...(await target()),
    partSize: 5 * MIB,
    concurrency: CONCURRENCY,
    credentials: () => getJson('/credentials'),
    ...options,
  });

const stateReached = (task, state) =>
  new Promise((resolve) => {
    if (task.state === state) resolve();
    task.addEventListener('statechange', (event) => event.detail.state === state && resolve());
  });

/** Uploads `file` to `key` until `parts` parts are stored, then pauses, leaving its checkpoint. */
async function storeParts(file, key, parts) {
  const partsDone = async () => (await (await resumable()).checkpoints()).find((c) => c.key === key)?.partsDone ?? 0;
  // An upload that fails on the way (SeaweedFS once answered 500 beyond the retries) goes on from its
  // checkpoint, up to three times.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    let stored = await partsDone();
    if (stored >= parts) break;
    const task = (await resumable({ checksum: 'none' })).upload(file, { key });
    task.addEventListener('part', () => {
      stored += 1;
      if (stored === parts) task.pause();
    });
    try {
      await Promise.race([stateReached(task, 'paused'), task.done]);
    } catch (error) {
      console.warn(`storing the resume case's parts failed (${error}); going on from the checkpoint`);
    }
  }
  return partsDone();
}

/** Resumes `file` (MD5 on): milliseconds from `upload()` to the first part request, then pauses. */
async function resumeToFirstByte(file, key) {
  const uploader = await resumable();
  const kept = (await uploader.checkpoints()).find((c) => c.key === key)?.partsDone ?? 0;
  const before = partSends.length;
  const started = performance.now();
  const task = uploader.upload(file, { key });
  let failure;
  task.done.catch((error) => {
    failure = error;
  });
  while (partSends.length === before) {
    if (failure) throw failure;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const first = partSends[before];
  task.pause();
  await Promise.race([stateReached(task, 'paused'), task.done]);
  return { ms: first.at - started, keptParts: kept, firstPartSent: first.number };
}

/** Aborts the upload of `key` on the server and forgets its checkpoint. */
async function forget(key) {
  const uploader = await resumable();
  for (const c of await uploader.checkpoints()) if (c.key === key) await uploader.abortUpload(c);
}

export const resume = { storeParts, resumeToFirstByte, forget };

window.bench = { uploads, prepare, hashers, computed, resume, longestTask, preload };
document.body.dataset.ready = 'true';
