// The in-page side of tests/engines/uploader.test.mjs: each export runs one scenario through the
// built package in the page it is imported into (any engine) and returns what it saw.
import { createUploader } from '/pkg/index.js';
import { seededBytes } from '/scripts/seeded-random.mjs';
import {
  captureConsole,
  countWorkerHashes,
  dumpCheckpoints,
  expiringCredentials,
  holdingPresigner,
  presigner,
  stsCredentials,
} from '/tests/support.js';

const MIB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The callback of `mode` ('sts' or 'presigned') from the development server's backend. */
const callback = (mode) => (mode === 'sts' ? stsCredentials('') : presigner(''));

/** An uploader to the test SeaweedFS with 5 MiB parts, 4 at a time, signing through `signer`. */
async function uploader(signer) {
  const [target] = await (await fetch('/targets')).json();
  const mode = signer.count ? { presign: signer } : { credentials: signer };
  return createUploader({
    provider: target.provider,
    endpoint: target.endpoint,
    bucket: target.bucket,
    region: target.region,
    ...mode,
    partSize: 5 * MIB,
    concurrency: 4,
    hashWorkers: 2,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
  });
}

/** A File of `size` seeded bytes (`change(bytes)` may alter them). */
function file(size, seed, name = 'f.bin', change = () => {}) {
  const bytes = seededBytes(size, seed);
  change(bytes);
  return new File([bytes], name, { type: 'application/octet-stream', lastModified: 1_700_000_000_000 });
}

/** Starts `blob` at `key`, recording its events; pauses after `pauseAfterParts` parts. */
function start(up, blob, key, { pauseAfterParts } = {}) {
  const task = up.upload(blob, { key });
  const seen = { parts: [], states: [], retries: 0, loaded: [] };
  task.addEventListener('part', ({ detail }) => {
    seen.parts.push(detail.partNumber);
    if (seen.parts.length === pauseAfterParts) task.pause();
  });
  task.addEventListener('statechange', ({ detail }) => seen.states.push(detail.state));
  task.addEventListener('retry', () => {
    seen.retries += 1;
  });
  task.addEventListener('progress', ({ detail }) => seen.loaded.push(detail.loaded));
  const outcome = task.done.then(
    (result) => ({ result }),
    (error) => ({
      error: { code: error.code, status: error.status, providerCode: error.providerCode, retryable: error.retryable },
    }),
  );
  return { task, seen, outcome };
}

async function until(what, done) {
  for (let i = 0; i < 1500; i += 1) {
    if (done()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Uploads `size` seeded bytes in `mode`: the result, the events, whether a checkpoint is left, the callback's calls. */
export async function uploadOnce({ mode, size, seed, key }) {
  const signer = callback(mode);
  const up = await uploader(signer);
  const { seen, outcome } = start(up, file(size, seed), key);
  const { result, error } = await outcome;
  const left = (await up.checkpoints()).some((c) => c.key === key);
  return { result, error, seen, left, calls: signer.calls?.() ?? null };
}

/** 40 MiB through a presigner that holds the first two parts' URLs until both are asked for. */
export async function parallel({ key, seed }) {
  const presign = holdingPresigner('', 2);
  const up = await uploader(presign);
  const counter = countWorkerHashes();
  const { task, outcome } = start(up, file(40 * MIB, seed), key);
  const { error } = await outcome;
  return { error, workerHashes: counter.stop(), stats: task.stats, uploadParts: presign.count('uploadPart') };
}

/** Pauses after the first part, waits, resumes. */
export async function pauseResume({ key, size, seed }) {
  const up = await uploader(callback('sts'));
  const { task, seen, outcome } = start(up, file(size, seed), key, { pauseAfterParts: 1 });
  await until('pause', () => seen.states.includes('paused'));
  const partsAtPause = seen.parts.length;
  await sleep(300);
  const partsAfterWait = seen.parts.length;
  task.resume();
  const { error } = await outcome;
  return { error, partsAtPause, partsAfterWait, states: seen.states };
}

/** Aborts a running upload after its first part: the checkpoint before and after, the server's list
 * after. It pauses at the first part while the checkpoint is read (the other parts could otherwise
 * finish the upload meanwhile), then resumes and aborts at once, with its parts under way again. */
export async function abortMidway({ key, seed }) {
  const up = await uploader(callback('sts'));
  const { task, seen, outcome } = start(up, file(20 * MIB, seed), key, { pauseAfterParts: 1 });
  await until('the pause after a first part', () => seen.states.includes('paused'));
  const checkpointWhileRunning = (await up.checkpoints()).some((c) => c.key === key);
  task.resume();
  task.abort();
  const { error } = await outcome;
  return {
    error,
    lastState: seen.states.at(-1),
    checkpointWhileRunning,
    checkpointAfter: (await up.checkpoints()).some((c) => c.key === key),
    listed: (await up.listUploads({ prefix: key })).filter((u) => u.key === key).length,
  };
}

/** Starts `blob` at `key` and leaves it paused after `parts` parts, unreachable, as a reload would. */
async function stopAfter(mode, blob, key, parts) {
  const up = await uploader(callback(mode));
  const { seen } = start(up, blob, key, { pauseAfterParts: parts });
  await until('pause', () => seen.states.includes('paused'));
  return seen.parts.length;
}

/** Stops after 3 parts, then uploads the same file again with a new uploader (presigned). */
export async function reload({ key, size, seed }) {
  const stored = await stopAfter('presigned', file(size, seed, 'reload.bin'), key, 3);
  const presign = presigner('');
  const { outcome } = start(await uploader(presign), file(size, seed, 'reload.bin'), key);
  const { result, error } = await outcome;
  return {
    stored,
    result,
    error,
    created: presign.count('createMultipartUpload'),
    uploadParts: presign.count('uploadPart'),
  };
}

/** Stops after 2 parts, then uploads a file of the same name, size and date whose part 1 differs. */
export async function changedFile({ key, size, seed }) {
  await stopAfter('sts', file(size, seed, 'same.bin'), key, 2);
  const flip = (bytes) => {
    for (let i = MIB; i < MIB + 100; i += 1) bytes[i] ^= 0xff;
  };
  const { seen, outcome } = start(await uploader(callback('sts')), file(size, seed, 'same.bin', flip), key);
  const { error } = await outcome;
  return { error, parts: seen.parts };
}

/** A 1000-byte upload with a wrong secret key. */
export async function wrongSecret({ key, seed }) {
  const credentials = stsCredentials('', { secretAccessKey: 'not-the-secret' });
  const { task, seen, outcome } = start(await uploader(credentials), file(1000, seed), key);
  const { error } = await outcome;
  return { error, stats: task.stats, retries: seen.retries, calls: credentials.calls() };
}

/** Pauses after 2 parts, reads IndexedDB, aborts: every secret looked for in the records and the console. */
export async function secrets({ key, seed }) {
  const printed = captureConsole();
  const credentials = stsCredentials('');
  const { task, seen } = start(await uploader(credentials), file(20 * MIB, seed), key, { pauseAfterParts: 2 });
  await until('pause', () => seen.states.includes('paused'));
  const records = await dumpCheckpoints();
  task.abort();
  await until('abort', () => seen.states.includes('aborted'));
  return { records, printed: printed.join('\n'), issued: credentials.issued() };
}

/** 3 MiB with credentials whose first answer is an unknown temporary key. */
export async function expired({ key, seed }) {
  const credentials = expiringCredentials('');
  const { outcome } = start(await uploader(credentials), file(3 * MIB, seed), key);
  const { error } = await outcome;
  return { error, calls: credentials.calls() };
}
