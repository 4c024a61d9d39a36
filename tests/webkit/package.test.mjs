// The built package in WebKit (WebKitGTK's MiniBrowser over WebDriver), unbundled: a page imports
// /pkg/index.js from the development server and uploads to the test SeaweedFS in STS and presigned
// mode; pause, resume and abort; a reload mid-upload resumed without sending a finished part again;
// no IndexedDB at all. The in-page code is the Playwright tests' (tests/e2e/browser.mjs). Run by
// scripts/test.sh under xvfb-run.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { md5, pseudoRandom, readObject, startDevServer, unfinishedUploads, uploadInPage } from '../e2e/browser.mjs';
import { openWebKit, startPartProxy } from './webkit.mjs';

const MIB = 1024 * 1024;
let server;
let blank;
let page;
let proxy;

before(async () => {
  ({ server, blank } = await startDevServer());
  page = await openWebKit();
  await page.goto(blank);
});

after(async () => {
  await page?.close();
  server?.close();
  proxy?.close();
});

const key = (name) => `webkit/${Date.now()}-${name}`;

test('the unbundled package loads: preload() and the engine', async () => {
  const loaded = await page.evaluate(async () => {
    const api = await import('/pkg/index.js');
    await api.preload();
    return { exports: Object.keys(api).sort(), userAgent: navigator.userAgent };
  });
  assert.deepEqual(loaded.exports, ['PartwiseError', 'UploadTask', 'Uploader', 'createUploader', 'preload']);
  assert.match(loaded.userAgent, /AppleWebKit/);
  assert.doesNotMatch(loaded.userAgent, /Chrome|Firefox/);
});

test('STS mode: a multipart file is stored exactly', async () => {
  const size = 11 * MIB + 3;
  const k = key('sts.bin');
  const run = await uploadInPage(page, { key: k, size, seed: 60, quickRetries: false });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 3);
  assert.match(run.result.etag, /-3"?$/);
  assert.equal(run.events.part, 3);
  assert.deepEqual(run.events.states, ['uploading', 'complete']);
  assert.ok((await readObject(k)).equals(pseudoRandom(size, 60)), 'the object is the file');
});

test('presigned mode: a multipart file is stored exactly', async () => {
  const size = 18 * MIB + 1;
  const k = key('presigned.bin');
  const run = await uploadInPage(page, { key: k, size, seed: 61, presigned: true, quickRetries: false });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 4);
  assert.ok((await readObject(k)).equals(pseudoRandom(size, 61)), 'the object is the file');
});

test('presigned mode: a small file goes up in one request', async () => {
  const k = key('small.bin');
  const run = await uploadInPage(page, { key: k, size: 1000, seed: 62, presigned: true });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.uploadId, null);
  assert.ok((await readObject(k)).equals(pseudoRandom(1000, 62)));
});

test('pause sends nothing until resume, which finishes the file; abort removes the upload', async () => {
  proxy ??= await startPartProxy({ upstream: process.env.PARTWISE_TEST_ENDPOINT, bytesPerSecond: 16 * MIB });
  const size = 31 * MIB + 5;
  const [paused, aborted] = [key('paused.bin'), key('aborted.bin')];
  const outcome = await page.evaluate(
    async ({ paused, aborted, size, endpoint }) => {
      const { createUploader } = await import('/pkg/index.js');
      const { seededBytes } = await import('/scripts/seeded-random.mjs');
      const [target] = await (await fetch('/targets')).json();
      const uploader = createUploader({
        provider: target.provider,
        bucket: target.bucket,
        region: target.region,
        endpoint,
        credentials: async () => (await fetch('/credentials')).json(),
        partSize: 5 * 1024 * 1024,
        concurrency: 2,
      });
      const file = new File([seededBytes(size, 63)], 'paused.bin');
      const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const when = (task, type, test = () => true) =>
        new Promise((resolve) =>
          task.addEventListener(type, ({ detail }) => {
            if (test(detail)) resolve(detail);
          }),
        );

      const task = uploader.upload(file, { key: paused });
      const states = [];
      task.addEventListener('statechange', ({ detail }) => states.push(detail.state));
      await when(task, 'part');
      task.pause();
      await when(task, 'statechange', (d) => d.state === 'paused');
      const requestsWhenPaused = task.stats.partRequests;
      await wait(1000);
      const requestsAfterWaiting = task.stats.partRequests;
      const checkpointsWhilePaused = (await uploader.checkpoints()).filter((c) => c.key === paused).length;
      task.resume();
      const result = await task.done;

      const doomed = uploader.upload(file, { key: aborted });
      await when(doomed, 'part');
      doomed.abort();
      const error = await doomed.done.then(
        () => null,
        (e) => e.code,
      );
      return {
        states,
        requestsWhenPaused,
        requestsAfterWaiting,
        checkpointsWhilePaused,
        result,
        abortError: error,
        abortState: doomed.state,
        checkpointsAfterAbort: (await uploader.checkpoints()).filter((c) => c.key === aborted).length,
      };
    },
    { paused, aborted, size, endpoint: proxy.url },
  );
  assert.equal(outcome.requestsAfterWaiting, outcome.requestsWhenPaused, 'no part request while paused');
  assert.equal(outcome.checkpointsWhilePaused, 1, 'the paused upload can be resumed after a reload');
  assert.deepEqual(outcome.states, ['uploading', 'paused', 'uploading', 'complete']);
  assert.equal(outcome.result.parts, 7);
  assert.ok((await readObject(paused)).equals(pseudoRandom(size, 63)), 'the resumed object is the file');
  assert.equal(outcome.abortError, 'Aborted');
  assert.equal(outcome.abortState, 'aborted');
  assert.equal(outcome.checkpointsAfterAbort, 0);
  assert.deepEqual(await unfinishedUploads(aborted), [], 'the aborted upload is gone from the server');
});

test('after a reload mid-upload the same upload resumes and no finished part is sent again', async (t) => {
  proxy ??= await startPartProxy({ upstream: process.env.PARTWISE_TEST_ENDPOINT, bytesPerSecond: 16 * MIB });
  const size = 48 * MIB + 7;
  const k = key('reloaded.bin');
  // A File of the same name, size and date after the reload: the one the checkpoint names.
  const spec = { key: k, size, seed: 64, endpoint: proxy.url, options: { concurrency: 3, stallTimeoutMs: 15_000 } };
  const first = uploadInPage(page, spec);
  first.catch(() => {}); // it rejects when the page reloads
  await page.waitForFunction(() => window.partsUploaded >= 2);
  await page.reload();
  await assert.rejects(first, /reloaded/);
  const ofThisKey = proxy.parts.filter((p) => p.path.endsWith(`/${k}`));
  const uploadIds = new Set(ofThisKey.map((p) => p.uploadId));
  assert.equal(uploadIds.size, 1, 'one upload before the reload');
  const [uploadId] = uploadIds;
  const finished = new Set(ofThisKey.filter((p) => p.status === 200).map((p) => p.partNumber));
  const sentBefore = proxy.parts.length;
  assert.ok(finished.size >= 2, `parts were finished before the reload: ${[...finished]}`);

  const again = await uploadInPage(page, spec);
  assert.ok(again.ok, JSON.stringify(again.error));
  assert.equal(again.result.uploadId, uploadId, 'the same upload continued');
  assert.deepEqual(again.retries, [], 'nothing failed on the way');
  const sentAfter = proxy.parts.slice(sentBefore).filter((p) => p.path.endsWith(`/${k}`) && p.status === 'sent');
  assert.ok(sentAfter.length > 0, 'the rest was sent after the reload');
  for (const p of sentAfter) {
    assert.equal(p.uploadId, uploadId, 'no other upload was started');
    assert.ok(!finished.has(p.partNumber), `part ${p.partNumber} was finished before the reload and sent again`);
  }
  t.diagnostic(
    `${finished.size} of ${again.result.parts} parts finished before the reload; ${sentAfter.length} part requests after it, none for those`,
  );
  assert.equal(md5(await readObject(k)), md5(pseudoRandom(size, 64)), 'the object is the file');
  assert.deepEqual(await unfinishedUploads(k), []);
});

// Before the package is imported, as a browser that blocks storage (or lacks it) would have it.
const withoutIndexedDb = {
  'blocked (reading it throws)': () => {
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('blocked by the test', 'SecurityError');
      },
    });
  },
  missing: () => {
    Object.defineProperty(window, 'indexedDB', { configurable: true, get: () => undefined });
  },
};

for (const [how, remove] of Object.entries(withoutIndexedDb)) {
  test(`with IndexedDB ${how}, uploads still complete and one warning says why`, async (t) => {
    const bare = await openWebKit();
    t.after(() => bare.close());
    await bare.goto(blank);
    await bare.evaluate(remove);
    for (const [size, seed] of [
      [6 * MIB, 65],
      [11 * MIB, 66],
    ]) {
      const k = key(`no-idb-${size}.bin`);
      const run = await uploadInPage(bare, { key: k, size, seed });
      assert.ok(run.ok, JSON.stringify(run.error));
      assert.ok((await readObject(k)).equals(pseudoRandom(size, seed)));
    }
    const { warnings, errors } = await bare.recorded();
    const ours = warnings.filter((w) => w.startsWith('partwise:'));
    assert.equal(ours.length, 1, ours.join('\n'));
    assert.match(ours[0], /IndexedDB is unavailable.*will not resume/);
    assert.deepEqual(errors, []);
  });
}
