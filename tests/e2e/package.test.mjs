// The published API in a real browser, unbundled: a page imports pkg/index.js (built by
// `npm run build`) straight from a static server and uploads with createUploader, in STS and in
// presigned mode; errors arrive as PartwiseError. Run by scripts/test.sh against its SeaweedFS.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDevServer } from '../../scripts/serve.mjs';
import { launchChromium } from './browser.mjs';

let server;
let browser;
let page;
let origin;

before(async () => {
  server = createDevServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  browser = await launchChromium();
  origin = `http://127.0.0.1:${server.address().port}`;
  page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${origin}/tests/e2e/blank.html`);
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Runs an upload in the page: a File of `size` pseudo-random bytes to a fresh key. */
function upload(mode, size, extra = {}, options = {}, on = page) {
  return on.evaluate(
    async ({ mode, size, extra, options }) => {
      const { createUploader, PartwiseError } = await import('/pkg/index.js');
      const [{ provider, endpoint, bucket, region }] = await (await fetch('/targets')).json();
      const config = { provider, endpoint, bucket, region };
      const { seededBytes } = await import('/scripts/seeded-random.mjs');
      const file = new File([seededBytes(size, 2463534242)], 'e2e.bin', { type: 'application/octet-stream' });
      const signing =
        mode === 'sts'
          ? { credentials: async () => ({ ...(await (await fetch('/credentials')).json()), ...extra }) }
          : {
              presign: async (request) =>
                (await fetch('/presign', { method: 'POST', body: JSON.stringify(request) })).json(),
            };
      const uploader = createUploader({ ...config, ...signing, partSize: 5 * 1024 * 1024, ...options });
      const key = `e2e/${mode}-${size}-${Date.now()}.bin`;
      const task = uploader.upload(file, { key });
      const events = { progress: 0, part: 0, states: [] };
      task.addEventListener('progress', () => {
        events.progress += 1;
      });
      task.addEventListener('part', () => {
        events.part += 1;
        window.partsSeen = (window.partsSeen ?? 0) + 1;
      });
      task.addEventListener('statechange', ({ detail }) => events.states.push(detail.state));
      try {
        return { ok: true, result: await task.done, events };
      } catch (error) {
        return {
          ok: false,
          isPartwiseError: error instanceof PartwiseError,
          error: { ...error, message: error.message, name: error.name },
          events,
        };
      }
    },
    { mode, size, extra, options },
  );
}

test('STS mode: a multipart file through the unbundled package', async () => {
  const run = await upload('sts', 11 * 1024 * 1024 + 3);
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 3);
  assert.equal(run.result.size, 11 * 1024 * 1024 + 3);
  assert.match(run.result.etag, /-3"?$/);
  assert.equal(run.events.part, 3);
  assert.ok(run.events.progress >= 3);
  assert.deepEqual(run.events.states, ['uploading', 'complete']);
});

test('presigned mode: a one-part file through the unbundled package', async () => {
  const run = await upload('presign', 1000);
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.result.parts, 1);
  assert.equal(run.result.uploadId, null);
});

test('a wrong secret rejects with a typed PartwiseError', async () => {
  const run = await upload('sts', 10, { secretAccessKey: 'not-the-secret' });
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
    window.partsSeen = 0;
  });
  const running = upload('sts', 30 * 1024 * 1024, {}, { concurrency: 2, retry: { attempts: 1, baseDelayMs: 10 } });
  await page.waitForFunction(() => window.partsSeen >= 1);
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
  await bare.goto(`${origin}/tests/e2e/blank.html`);
  for (const size of [6 * 1024 * 1024, 11 * 1024 * 1024]) {
    const run = await upload('sts', size, {}, {}, bare);
    assert.ok(run.ok, JSON.stringify(run.error));
  }
  const ours = warnings.filter((w) => w.startsWith('partwise:'));
  assert.equal(ours.length, 1, ours.join('\n'));
  assert.match(ours[0], /IndexedDB/);
  await context.close();
});
