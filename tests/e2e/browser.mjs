// Shared by the Playwright tests and the bench: Debian's Chromium, started the way this machine
// needs, the development server, upload throttling, an upload run in the page, and the store's
// objects read back with the development keys.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { chromium } from 'playwright-core';
import { seededBytes } from '../../scripts/seeded-random.mjs';

const run = promisify(execFile);

/** Headless Debian Chromium with no background network traffic. */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The development server (static files and the backend's API) on a free loopback port: its
 * origin and the address of its empty page. */
export async function startDevServer() {
  const { createDevServer } = await import('../../scripts/serve.mjs');
  const server = createDevServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { server, origin, blank: `${origin}/tests/e2e/blank.html` };
}

/** Limits the page's uploads to `bytesPerSecond` (Chromium's network emulation; downloads are not limited). */
export async function throttleUploads(page, bytesPerSecond) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** Hex MD5 of bytes. */
export const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

const clients = new Map();
/** An S3 client of a test store (`env`: its PARTWISE_TEST_* variables), with the long-term
 * development keys (never given to a page). */
export function store(env = process.env) {
  if (!clients.has(env.PARTWISE_TEST_ENDPOINT)) {
    clients.set(
      env.PARTWISE_TEST_ENDPOINT,
      new S3Client({
        endpoint: env.PARTWISE_TEST_ENDPOINT,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: env.PARTWISE_TEST_ACCESS_KEY, secretAccessKey: env.PARTWISE_TEST_SECRET_KEY },
      }),
    );
  }
  return clients.get(env.PARTWISE_TEST_ENDPOINT);
}

/** The stored object's bytes (from the store `env` names). */
export async function readObject(key, env = process.env) {
  const answer = await store(env).send(new GetObjectCommand({ Bucket: env.PARTWISE_TEST_BUCKET, Key: key }));
  return Buffer.from(await answer.Body.transformToByteArray());
}

const python = new URL('../../.tools/venv/bin/python', import.meta.url).pathname;
const reader = new URL('../gateway/read_object.py', import.meta.url).pathname;
/** The object's bytes as the service's own SDK reads them: the vendor's Python SDK for a local
 * emulation (tests/gateway/read_object.py), the AWS SDK for SeaweedFS. `target`: a development
 * backend target. */
export async function readWithSdk(target, key) {
  if (!target.local) return readObject(key);
  const { stdout } = await run(python, [reader, target.provider, key], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

/** The store's unfinished multipart uploads under `prefix`. */
export async function unfinishedUploads(prefix) {
  const answer = await store().send(
    new ListMultipartUploadsCommand({ Bucket: process.env.PARTWISE_TEST_BUCKET, Prefix: prefix }),
  );
  return (answer.Uploads ?? []).map((u) => ({ key: u.Key, uploadId: u.UploadId }));
}

/** Aborts the store's unfinished uploads under `prefix` (a test's leftovers). */
export async function abortUnfinished(prefix) {
  for (const u of await unfinishedUploads(prefix)) {
    await store().send(
      new AbortMultipartUploadCommand({ Bucket: process.env.PARTWISE_TEST_BUCKET, Key: u.key, UploadId: u.uploadId }),
    );
  }
}

/** `seededBytes(size, seed)` as a Buffer: the same bytes a page makes from the same seed. */
export const pseudoRandom = (size, seed) => Buffer.from(seededBytes(size, seed).buffer);

/**
 * Uploads `size` pseudo-random bytes (`seededBytes` of `seed`) as a File named `odd.bin` (fixed
 * date, so a reloaded page offers the same file) to `key`, from `page`, in STS mode (presigned with
 * `presigned`; credentials from `window[credentialsFunction]()` when named), with 5 MiB parts and,
 * unless `quickRetries` is false (then the library's defaults), 4 parts at once, a 1.5 s stall
 * timeout and fast retries; `options` go over these. `endpoint` replaces the store's address (a
 * proxy); `pauseAfterParts` pauses after that many parts and returns. `window.partsUploaded` counts
 * parts as they land. Returns `{ ok, result | error and isPartwiseError, events, retries, ms, paused,
 * checkpointKept }` (`events`: how many `progress` and `part` events, the states in order, the `replaced` details; `error`:
 * the error's own fields, `name` and `message`); a failed upload is aborted on the server after its
 * checkpoint was looked at, unless `abortOnFailure` is false. With `input` (a selector), the file
 * is the one chosen in that `<input type=file>` instead. `target` names the development backend's
 * bucket (default: its first, the test SeaweedFS); `signature` picks the scheme (for presigned
 * URLs: the scheme the backend presigns with). `object` goes into `upload()`'s options beside the
 * key (`contentDisposition`, `metadata`, …). `flipByte` (an offset) inverts that byte of the file: a
 * file that differs from the seed's there only.
 */
export function uploadInPage(page, spec) {
  return page.evaluate(
    async ({
      key,
      size,
      seed,
      endpoint,
      options = {},
      quickRetries = true,
      pauseAfterParts,
      presigned = false,
      credentialsFunction,
      abortOnFailure = true,
      input,
      target: targetId,
      signature,
      object = {},
      flipByte,
    }) => {
      const { createUploader, PartwiseError } = await import('/pkg/index.js');
      const { seededBytes } = await import('/scripts/seeded-random.mjs');
      const targets = await (await fetch('/targets')).json();
      const target = targetId ? targets.find((t) => t.id === targetId) : targets[0];
      const ask = new URLSearchParams({ ...(targetId && { target: targetId }), ...(signature && { signature }) });
      const bytes = input ? null : seededBytes(size, seed);
      if (flipByte !== undefined) bytes[flipByte] ^= 0xff;
      const file = input ? document.querySelector(input).files[0] : new File([bytes], 'odd.bin', { lastModified: 1 });
      const uploader = createUploader({
        provider: target.provider,
        endpoint: endpoint ?? target.endpoint,
        bucket: target.bucket,
        region: target.region,
        ...(presigned
          ? {
              presign: async (request) =>
                (await fetch(`/presign?${ask}`, { method: 'POST', body: JSON.stringify(request) })).json(),
            }
          : {
              ...(signature && { signature }),
              credentials: credentialsFunction
                ? () => window[credentialsFunction]()
                : async () => (await fetch(`/credentials?${ask}`)).json(),
            }),
        partSize: 5 * 1024 * 1024,
        ...(quickRetries && {
          concurrency: 4,
          stallTimeoutMs: 1500,
          retry: { attempts: 10, baseDelayMs: 20, maxDelayMs: 300 },
        }),
        ...options,
      });
      const task = uploader.upload(file, { ...object, key });
      const events = { progress: 0, part: 0, states: [], replaced: [] };
      task.addEventListener('replaced', ({ detail }) => events.replaced.push(detail));
      const retries = [];
      task.addEventListener('progress', () => {
        events.progress += 1;
      });
      task.addEventListener('retry', ({ detail }) =>
        retries.push({ part: detail.partNumber, code: detail.error.providerCode ?? detail.error.code }),
      );
      window.partsUploaded = 0;
      const paused = new Promise((resolve) => {
        task.addEventListener('part', () => {
          events.part += 1;
          window.partsUploaded += 1;
          if (window.partsUploaded === pauseAfterParts) task.pause();
        });
        task.addEventListener('statechange', ({ detail }) => {
          events.states.push(detail.state);
          if (detail.state === 'paused') resolve();
        });
      });
      const started = performance.now();
      try {
        const result = await (pauseAfterParts ? Promise.race([task.done, paused]) : task.done);
        return { ok: true, result, events, retries, ms: performance.now() - started, paused: !result };
      } catch (error) {
        const checkpoints = (await uploader.checkpoints()).filter((c) => c.key === key);
        if (abortOnFailure) for (const c of checkpoints) await uploader.abortUpload(c);
        return {
          ok: false,
          error: { ...error, name: error.name, message: error.message },
          isPartwiseError: error instanceof PartwiseError,
          events,
          retries,
          ms: performance.now() - started,
          checkpointKept: checkpoints.length > 0,
        };
      } finally {
        uploader.dispose();
      }
    },
    spec,
  );
}
