// The public API's edges, as an app meets them in a real browser: a WebAssembly load that fails
// once, arguments that are not a file or have no key, a file changed on disk after it was chosen,
// the checkpoint list's dates, and abort() removing the upload on the server before its checkpoint.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { abortUnfinished, launchChromium, startDevServer, unfinishedUploads, uploadInPage } from './browser.mjs';

let server;
let browser;
let blank;

before(async () => {
  ({ server, blank } = await startDevServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/**
 * A fresh page on the development server's empty page, with `window.createTestUploader(options)`:
 * an uploader to the backend's first bucket (the test SeaweedFS) with 5 MiB parts, signing with the
 * backend's temporary credentials unless `options` has `presign`; `options` go over these.
 */
async function freshPage() {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.addInitScript(() => {
    window.createTestUploader = async (options = {}) => {
      const { createUploader } = await import('/pkg/index.js');
      const [target] = await (await fetch('/targets')).json();
      const credentials = async () => (await fetch('/credentials')).json();
      return createUploader({
        ...target,
        partSize: 5 * 1024 * 1024,
        ...(!options.presign && { credentials }),
        ...options,
      });
    };
  });
  await page.goto(blank);
  return page;
}

test('a failed WebAssembly load is not remembered: the next call loads it', async () => {
  const page = await freshPage();
  let refused = 0;
  await page.route('**/partwise_bg.wasm', (route) => {
    if (refused === 0) {
      refused += 1;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  const outcome = await page.evaluate(async () => {
    const { preload, PartwiseError } = await import('/pkg/index.js');
    const first = await preload().then(
      () => 'loaded',
      (error) => ({ partwise: error instanceof PartwiseError, code: error.code }),
    );
    const second = await preload();
    return { first, second: second === undefined ? 'undefined' : typeof second };
  });
  await page.close();
  assert.equal(refused, 1);
  assert.equal(outcome.first.partwise, true, JSON.stringify(outcome.first));
  assert.equal(outcome.second, 'undefined', 'preload() resolves to nothing once the module loads');
});

test('anything that is not a Blob, or a missing key, is InvalidInput naming the argument', async () => {
  const page = await freshPage();
  const outcomes = await page.evaluate(async () => {
    const { createUploader } = await import('/pkg/index.js');
    const uploader = createUploader({
      endpoint: 'http://127.0.0.1:1',
      bucket: 'bucket',
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
    });
    const tries = {
      null: () => uploader.upload(null, { key: 'k' }),
      text: () => uploader.upload('text', { key: 'k' }),
      'no key': () => uploader.upload(new Blob(['x'])),
      'empty key': () => uploader.upload(new Blob(['x']), { key: '' }),
    };
    const out = {};
    for (const [name, start] of Object.entries(tries)) {
      out[name] = await start().done.then(
        () => 'uploaded',
        (error) => ({ code: error.code, message: error.message, retryable: error.retryable }),
      );
    }
    return out;
  });
  await page.close();
  for (const [name, field] of [
    ['null', 'file'],
    ['text', 'file'],
    ['no key', 'key'],
    ['empty key', 'key'],
  ]) {
    assert.equal(outcomes[name].code, 'InvalidInput', `${name}: ${JSON.stringify(outcomes[name])}`);
    assert.match(outcomes[name].message, new RegExp(field), name);
    assert.equal(outcomes[name].retryable, false, name);
  }
});

test('options JSON cannot hold (NaN, a BigInt, an invalid Date, a cycle) are InvalidInput naming the option', async () => {
  const page = await freshPage();
  const outcomes = await page.evaluate(async () => {
    const { createUploader } = await import('/pkg/index.js');
    const base = {
      endpoint: 'http://127.0.0.1:1',
      bucket: 'bucket',
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
    };
    const refusal = (error) => ({ code: error.code, message: error.message });
    const tryUpload = async (uploaderOptions, uploadOptions = {}) => {
      try {
        const uploader = createUploader({ ...base, ...uploaderOptions });
        return await uploader
          .upload(new Blob(['x']), { key: 'k', ...uploadOptions })
          .done.then(() => 'uploaded', refusal);
      } catch (error) {
        return refusal(error);
      }
    };
    const cycle = {};
    cycle.self = cycle;
    return {
      nan: await tryUpload({ partSize: Number.NaN }),
      infinity: await tryUpload({ concurrency: Number.POSITIVE_INFINITY }),
      bigint: await tryUpload({ retry: { attempts: 3n } }),
      invalidDate: await tryUpload({}, { expires: new Date(Number.NaN) }),
      cycle: await tryUpload({ metadataOf: cycle }),
      uploadCycle: await tryUpload({}, { metadata: cycle }),
    };
  });
  await page.close();
  for (const [name, message] of [
    ['nan', /invalid partSize: must be a whole number/],
    ['infinity', /invalid concurrency: must be a whole number/],
    ['bigint', /invalid attempts: must be a whole number/],
    ['invalidDate', /invalid expires: is an invalid Date/],
    ['cycle', /invalid options: must be plain data/],
    ['uploadCycle', /invalid upload options: must be plain data/],
  ]) {
    assert.equal(outcomes[name].code, 'InvalidInput', `${name}: ${JSON.stringify(outcomes[name])}`);
    assert.match(outcomes[name].message, message, name);
  }
});

test("a presign answer that is not the request's own URL is refused before any byte goes out", async () => {
  const page = await freshPage();
  const puts = [];
  page.on('request', (request) => {
    if (request.method() === 'PUT' || request.method() === 'POST') puts.push(request.url());
  });
  const outcome = await page.evaluate(async () => {
    const presign = async (request) =>
      (await fetch('/presign', { method: 'POST', body: JSON.stringify(request) })).json();
    const run = async (answer) => {
      const uploader = await window.createTestUploader({ presign: answer });
      const file = new File([new Uint8Array(11 * 1024 * 1024)], 'zeros.bin');
      return uploader.upload(file, { key: `e2e/api-presign-${Date.now()}.bin` }).done.then(
        () => 'uploaded',
        (error) => ({ code: error.code, message: error.message }),
      );
    };
    return {
      'not a url': await run(async () => 'not a url'),
      'parts swapped': await run(async (request) => {
        if (request.operation !== 'uploadPart') return presign(request);
        const other = request.partNumber === 1 ? 2 : 1;
        return presign({ ...request, partNumber: other, query: { ...request.query, partNumber: String(other) } });
      }),
    };
  });
  await page.close();
  for (const [name, result] of Object.entries(outcome)) {
    assert.equal(result.code, 'CredentialsError', `${name}: ${JSON.stringify(result)}`);
  }
  assert.match(outcome['not a url'].message, /not an absolute/);
  assert.match(outcome['parts swapped'].message, /partNumber/);
  assert.deepEqual(
    puts.filter((url) => url.includes('partNumber')),
    [],
    'no part was sent, to the page origin or anywhere',
  );
});

test('a file changed on disk after it was chosen fails as a BrowserError, not as a network fault', async () => {
  const page = await freshPage();
  const path = join(mkdtempSync(join(tmpdir(), 'partwise-changed-')), 'changed.bin');
  writeFileSync(path, Buffer.alloc(11 * 1024 * 1024, 1));
  await page.evaluate(() => {
    document.body.innerHTML = '<input type="file" id="file">';
  });
  await page.setInputFiles('#file', path);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  writeFileSync(path, Buffer.alloc(11 * 1024 * 1024 + 7, 2));
  const run = await uploadInPage(page, { key: `e2e/api-changed-${Date.now()}.bin`, input: '#file' });
  await page.close();
  assert.equal(run.ok, false);
  assert.equal(run.error.code, 'BrowserError', JSON.stringify(run.error));
  assert.equal(run.error.retryable, false);
  assert.deepEqual(run.retries, [], 'not retried as if the network had failed');
});

test('a task names its key and upload id; checkpoints() count parts and date uploads in milliseconds; abort() removes the server upload, then the checkpoint', async () => {
  const page = await freshPage();
  const key = `e2e/api-abort-${Date.now()}.bin`;
  const outcome = await page.evaluate(async (key) => {
    const uploader = await window.createTestUploader({ concurrency: 1 });
    const file = new File([new Uint8Array(11 * 1024 * 1024)], 'zeros.bin', { lastModified: 1 });
    const task = uploader.upload(file, { key });
    await new Promise((resolve) => task.addEventListener('part', resolve, { once: true }));
    task.pause();
    const [checkpoint] = (await uploader.checkpoints()).filter((c) => c.key === key);
    const named = { key: task.key, uploadId: task.uploadId, partsTotal: checkpoint.partsTotal };
    const sameUpload = checkpoint.uploadId === task.uploadId;
    const started = Date.now();
    task.abort();
    const error = await task.done.then(
      () => null,
      (e) => e.code,
    );
    return {
      named,
      sameUpload,
      createdAt: checkpoint.createdAt instanceof Date ? checkpoint.createdAt.getTime() : null,
      now: started,
      error,
      state: task.state,
      left: (await uploader.checkpoints()).filter((c) => c.key === key).length,
    };
  }, key);
  await page.close();
  assert.equal(outcome.named.key, key, 'the task names its key');
  assert.ok(outcome.named.uploadId, 'and, once started, its upload id');
  assert.ok(outcome.sameUpload, 'the one its checkpoint records');
  assert.equal(outcome.named.partsTotal, 3, '11 MiB in 5 MiB parts');
  assert.ok(Math.abs(outcome.createdAt - outcome.now) < 60_000, `createdAt ${outcome.createdAt} vs ${outcome.now}`);
  assert.equal(outcome.error, 'Aborted');
  assert.equal(outcome.state, 'aborted');
  assert.equal(outcome.left, 0, 'the checkpoint is gone');
  assert.deepEqual(await unfinishedUploads(key), [], 'nothing left on the server');
});

test('abort() of a task that failed aborts its kept upload on the server and deletes the checkpoint', async () => {
  const page = await freshPage();
  const key = `e2e/api-abort-failed-${Date.now()}.bin`;
  await page.route('**/*partNumber=2*', (route) => route.abort('connectionreset'));
  const outcome = await page.evaluate(async (key) => {
    const uploader = await window.createTestUploader({ concurrency: 1, retry: { attempts: 1 } });
    const task = uploader.upload(new File([new Uint8Array(11 * 1024 * 1024)], 'zeros.bin'), { key });
    const failed = await task.done.then(
      () => null,
      (e) => e.code,
    );
    const kept = (await uploader.checkpoints()).filter((c) => c.key === key).length;
    const uploadId = task.uploadId;
    const states = [];
    task.addEventListener('statechange', (e) => states.push(e.detail.state));
    const ended = await task.abort();
    const left = (await uploader.checkpoints()).filter((c) => c.key === key).length;
    return { failed, kept, uploadId, ended, state: task.state, states, left };
  }, key);
  await page.close();
  assert.equal(outcome.failed, 'NetworkError');
  assert.equal(outcome.kept, 1, 'the failed upload kept its checkpoint');
  assert.ok(outcome.uploadId);
  assert.equal(outcome.ended, 'aborted');
  assert.equal(outcome.state, 'aborted');
  assert.deepEqual(outcome.states, ['aborted']);
  assert.equal(outcome.left, 0, 'the checkpoint is gone');
  assert.deepEqual(await unfinishedUploads(key), [], 'nothing left on the server');
});

test('an AbortSignal aborts the upload, abort() says how it ended, dispose() pauses and stops the Workers', async () => {
  const page = await freshPage();
  const key = `e2e/api-signal-${Date.now()}.bin`;
  const outcome = await page.evaluate(async (key) => {
    const workers = { started: 0, stopped: 0 };
    const RealWorker = window.Worker;
    window.Worker = class extends RealWorker {
      constructor(...args) {
        super(...args);
        workers.started += 1;
      }
      terminate() {
        workers.stopped += 1;
        super.terminate();
      }
    };
    const uploader = await window.createTestUploader({ concurrency: 1 });
    const file = () => new File([new Uint8Array(16 * 1024 * 1024)], 'zeros.bin', { lastModified: 2 });
    const firstPart = (task) => new Promise((resolve) => task.addEventListener('part', resolve, { once: true }));

    const controller = new AbortController();
    const signalled = uploader.upload(file(), { key, signal: controller.signal });
    await firstPart(signalled);
    controller.abort();
    const bySignal = await signalled.done.then(
      () => 'complete',
      (e) => e.code,
    );
    const again = uploader.upload(file(), { key: `${key}.2` });
    await firstPart(again);
    const ended = await again.abort();

    const running = uploader.upload(file(), { key: `${key}.3` });
    await firstPart(running);
    uploader.dispose();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const afterDispose = await uploader.upload(file(), { key: `${key}.4` }).done.then(
      () => 'uploaded',
      (e) => e.code,
    );
    const lister = await window.createTestUploader({ presign: async () => '' });
    const left = (await lister.checkpoints()).filter((c) => c.key === `${key}.3`).length;
    return { bySignal, ended, state: running.state, afterDispose, workers, left };
  }, key);
  await page.close();
  assert.equal(outcome.bySignal, 'Aborted');
  assert.equal(outcome.ended, 'aborted');
  assert.equal(outcome.state, 'paused', 'dispose() pauses what runs');
  assert.equal(outcome.left, 1, 'and keeps its checkpoint');
  assert.equal(outcome.afterDispose, 'InvalidInput');
  assert.ok(outcome.workers.started >= 1, JSON.stringify(outcome.workers));
  assert.equal(outcome.workers.stopped, outcome.workers.started, 'every hashing Worker stopped');
  const unfinished = (await unfinishedUploads(key)).map((u) => u.key);
  assert.deepEqual(unfinished, [`${key}.3`], 'the aborted uploads are gone from the server, the paused one stays');
  await abortUnfinished(`${key}.3`);
});
