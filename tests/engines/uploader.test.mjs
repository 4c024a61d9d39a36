// The uploader end to end in one engine — PARTWISE_ENGINE: chromium (Playwright, the default),
// firefox (headless Firefox ESR) or webkit (WebKitGTK's MiniBrowser, under xvfb-run), both over
// WebDriver — through the built package against the test SeaweedFS: each test runs a scenario of
// uploader-page.js in a fresh page and checks what it saw and what the store holds. scripts/test.sh
// runs this file once per engine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchChromium, md5, pseudoRandom, readObject, startDevServer } from '../e2e/browser.mjs';
import { openFirefox, openWebKit } from '../webkit/webkit.mjs';

const MIB = 1024 * 1024;
const engine = process.env.PARTWISE_ENGINE ?? 'chromium';
let server;
let blank;
let chromium;

before(async () => {
  ({ server, blank } = await startDevServer());
  if (engine === 'chromium') chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  server?.close();
});

/** Runs scenario `name` of uploader-page.js with `arg` in a fresh page of the engine. */
async function scenario(name, arg) {
  const opened = { chromium: () => chromium.newPage(), firefox: openFirefox, webkit: openWebKit }[engine];
  const page = await opened();
  try {
    await page.goto(blank);
    return await page.evaluate(
      async ([name, arg]) => (await import('/tests/engines/uploader-page.js'))[name](arg),
      [name, arg],
    );
  } finally {
    await page.close();
  }
}

const unique = (name) => `uploader/${engine} ${Date.now()} ${name}.bin`;

/** Uploads `size` bytes in `mode` and checks the object, the events and that no checkpoint is left. */
async function uploadAndCheck(mode, size, seed) {
  const key = unique(`${mode} ${size}`);
  const outcome = await scenario('uploadOnce', { mode, size, seed, key });
  const what = `${mode} ${size} B`;
  assert.ok(!outcome.error, `${what}: ${JSON.stringify(outcome.error)}`);
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, seed)), `${what}: the object equals the file`);
  assert.equal(outcome.left, false, 'no checkpoint is left');
  const { states, loaded } = outcome.seen;
  assert.equal(states[0], 'uploading');
  assert.equal(states.at(-1), 'complete');
  assert.ok(
    loaded.every((l, i) => i === 0 || loaded[i - 1] <= l),
    `progress is monotonic: ${loaded}`,
  );
  assert.equal(loaded.at(-1), size, '100% at the end');
  assert.ok(size === 0 || loaded.slice(0, -1).every((l) => l < size), '100% only after Complete');
  return outcome;
}

test('STS mode uploads empty, single-part and multipart files', async () => {
  const empty = await uploadAndCheck('sts', 0, 1);
  assert.deepEqual([empty.result.parts, empty.result.uploadId], [1, null], 'PutObject');
  assert.equal((await uploadAndCheck('sts', 3 * MIB + 1, 2)).result.parts, 1);
  const multi = await uploadAndCheck('sts', 37 * MIB + 3, 3);
  assert.equal(multi.result.parts, 8);
  assert.equal(multi.calls, 1, 'one credentials call served every part');
  assert.ok(
    multi.result.uploadId && multi.result.etag.replaceAll('"', '').endsWith('-8'),
    JSON.stringify(multi.result),
  );
});

test('presigned mode uploads empty, single-part and multipart files', async () => {
  await uploadAndCheck('presigned', 0, 4);
  await uploadAndCheck('presigned', 3 * MIB + 1, 5);
  assert.equal((await uploadAndCheck('presigned', 37 * MIB + 3, 6)).result.parts, 8);
});

test('parts go up in parallel and are hashed off the main thread', async () => {
  const key = unique('parallel');
  const outcome = await scenario('parallel', { key, seed: 7 });
  assert.ok(!outcome.error, JSON.stringify(outcome.error));
  assert.ok(outcome.stats.maxPartsInFlight >= 2, 'two parts asked for their URLs together, then went up together');
  assert.equal(outcome.stats.partRequests, 8);
  assert.equal(outcome.uploadParts, 8);
  // The 8 parts and the file's fingerprint sample, all in Workers, none on the main thread.
  assert.equal(outcome.workerHashes, 9, 'every hash ran in a Worker');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(40 * MIB, 7)), 'the object equals the file');
});

test('pause, then resume, finishes the object', async () => {
  const key = unique('pause');
  const size = 37 * MIB + 3;
  const outcome = await scenario('pauseResume', { key, size, seed: 8 });
  assert.ok(!outcome.error, JSON.stringify(outcome.error));
  assert.equal(outcome.partsAfterWait, outcome.partsAtPause, 'no part is stored while paused');
  assert.deepEqual(outcome.states, ['uploading', 'paused', 'uploading', 'complete']);
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 8)));
});

test('abort removes the server upload and the checkpoint', async () => {
  const outcome = await scenario('abortMidway', { key: unique('abort'), seed: 9 });
  assert.equal(outcome.error?.code, 'Aborted');
  assert.equal(outcome.lastState, 'aborted');
  assert.ok(outcome.checkpointWhileRunning, 'a checkpoint while running');
  assert.equal(outcome.checkpointAfter, false, 'the checkpoint is gone');
  assert.equal(outcome.listed, 0, 'the server upload is gone');
});

test('after a reload, finished parts are not sent again', async () => {
  const key = unique('reload');
  const size = 37 * MIB + 3;
  const outcome = await scenario('reload', { key, size, seed: 10 });
  assert.ok(outcome.stored >= 3);
  assert.ok(!outcome.error, JSON.stringify(outcome.error));
  assert.equal(outcome.result.parts, 8);
  assert.equal(outcome.created, 0, 'the old upload was resumed');
  // At most the parts the page never saw finish: one the server stored just as the page paused
  // is found by ListParts, checked against the file and kept.
  assert.ok(outcome.uploadParts <= 8 - outcome.stored, `only missing parts were sent: ${outcome.uploadParts}`);
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 10)), 'the object equals the file');
});

test('a changed file is never stitched onto the old upload', async () => {
  const key = unique('changed');
  const size = 37 * MIB + 3;
  const outcome = await scenario('changedFile', { key, size, seed: 11 });
  assert.ok(!outcome.error, JSON.stringify(outcome.error));
  assert.ok(outcome.parts.includes(1), 'the changed part was sent again');
  const changed = pseudoRandom(size, 11);
  for (let i = MIB; i < MIB + 100; i += 1) changed[i] ^= 0xff;
  assert.equal(md5(await readObject(key)), md5(changed), 'the object is the new file, not a mix');
});

test('a wrong secret fails typed, without a retry storm', async () => {
  const outcome = await scenario('wrongSecret', { key: unique('wrong secret'), seed: 12 });
  assert.equal(outcome.error?.providerCode, 'SignatureDoesNotMatch', JSON.stringify(outcome.error));
  assert.equal(outcome.error.status, 403);
  assert.equal(outcome.error.retryable, false);
  assert.equal(outcome.stats.partRequests, 1, 'sent once, not retried');
  assert.equal(outcome.retries, 0);
  assert.equal(outcome.calls, 1);
});

test('no secret reaches IndexedDB or the console', async () => {
  const key = unique('secrets');
  const outcome = await scenario('secrets', { key, seed: 13 });
  assert.ok(outcome.records.includes(key), 'the checkpoint is stored');
  assert.equal(outcome.issued.length, 2, 'one secret key and one session token were issued');
  for (const [what, text] of [
    ['IndexedDB', outcome.records],
    ['console', outcome.printed],
  ]) {
    for (const secret of [...outcome.issued, 'X-Amz-Signature', 'X-Amz-Credential', 'Signature=']) {
      assert.ok(!text.includes(secret), `${what} holds ${secret.slice(0, 16)}`);
    }
  }
});

test('expired credentials are refreshed and the upload goes on', async () => {
  const key = unique('expired');
  const outcome = await scenario('expired', { key, seed: 16 });
  assert.ok(!outcome.error, JSON.stringify(outcome.error));
  assert.equal(outcome.calls, 2, 'one refresh after the expired answer');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(3 * MIB, 16)));
});
