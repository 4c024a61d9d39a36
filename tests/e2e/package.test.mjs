// The published API in a real browser, unbundled: a page imports pkg/index.js (built by
// `npm run build`) straight from a static server and uploads with createUploader, in STS and in
// presigned mode; errors arrive as PartwiseError. Run by scripts/test.sh against its SeaweedFS.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

let page;
let blank;

let browser;
chromiumSuite((opened) => ({ browser, page, blank } = opened));

/** An upload from `on` (default: the shared page) to a fresh key, with the library's own timings. */
const upload = ({ on = page, ...spec }) =>
  uploadInPage(on, { key: `e2e/${spec.size}-${Date.now()}.bin`, seed: 40, quickRetries: false, ...spec });

test('STS mode: a multipart file through the unbundled package', async () => {
  const run = await upload({ size: 11 * 1024 * 1024 + 3 });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 3);
  assert.equal(run.result.size, 11 * 1024 * 1024 + 3);
  assert.match(run.result.etag, /-3"?$/);
  assert.equal(run.events.part, 3);
  assert.ok(run.events.progress >= 3);
  assert.deepEqual(run.events.states, ['uploading', 'complete']);
});

test('presigned mode: a one-part file through the unbundled package', async () => {
  const run = await upload({ size: 1000, presigned: true });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 1);
  assert.equal(run.result.uploadId, null);
});

test('a wrong secret rejects with a typed PartwiseError', async () => {
  await page.evaluate(() => {
    window.wrongSecret = async () => ({
      ...(await (await fetch('/credentials')).json()),
      secretAccessKey: 'not-the-secret',
    });
  });
  const run = await upload({ size: 10, credentialsFunction: 'wrongSecret', abortOnFailure: false });
  assert.equal(run.ok, false);
  assert.ok(run.isPartwiseError);
  assert.equal(run.error.name, 'PartwiseError');
  assert.equal(run.error.code, 'ProviderError');
  assert.equal(run.error.providerCode, 'SignatureDoesNotMatch');
  assert.equal(run.error.status, 403);
  assert.equal(run.error.retryable, false);
  assert.deepEqual(run.events.states, ['uploading', 'error']);
});

test('going offline mid-upload waits for the network instead of failing', async () => {
  await page.evaluate(() => {
    window.partsUploaded = 0;
  });
  const running = upload({
    size: 30 * 1024 * 1024,
    options: { concurrency: 2, retry: { attempts: 1, baseDelayMs: 10 } },
  });
  await page.waitForFunction(() => window.partsUploaded >= 1);
  await page.context().setOffline(true);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await page.context().setOffline(false);
  const run = await running;
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 6);
});

test('without IndexedDB uploads still work, and say so once', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { get: () => undefined }));
  const bare = await context.newPage();
  const warnings = [];
  bare.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await bare.goto(blank);
  for (const size of [6 * 1024 * 1024, 11 * 1024 * 1024]) {
    const run = await upload({ size, on: bare });
    assert.ok(run.ok, JSON.stringify(run.error));
  }
  const ours = warnings.filter((w) => w.startsWith('partwise:'));
  assert.equal(ours.length, 1, ours.join('\n'));
  assert.match(ours[0], /IndexedDB/);
  await context.close();
});
