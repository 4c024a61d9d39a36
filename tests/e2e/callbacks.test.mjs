// The app's callbacks in a real browser: `credentials({signal})` and `presign(request, {signal})`
// retried like failed requests, the signal aborted at `callbackTimeoutMs`, `retryable: false`
// failing at once, and `retry.shouldRetry` stopping retries.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromiumSuite } from './suite.mjs';

let page;
chromiumSuite((opened) => ({ page } = opened));

/**
 * Uploads 1 KiB to `key` in the page with `options` (JS source of an object that may use
 * `credentials`, the backend's, and `calls`, a list to record into); returns the outcome, the
 * `retry` events and what was recorded.
 */
function run(key, options) {
  return page.evaluate(
    async ({ key, options }) => {
      const { createUploader } = await import('/pkg/index.js');
      const [target] = await (await fetch('/targets')).json();
      const credentials = async () => (await fetch('/credentials')).json();
      const calls = [];
      const extra = new Function('credentials', 'calls', `return (${options});`)(credentials, calls);
      const uploader = createUploader({ ...target, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 }, ...extra });
      const task = uploader.upload(new Blob([new Uint8Array(1024)]), { key });
      const retries = [];
      task.addEventListener('retry', ({ detail }) =>
        retries.push({ partNumber: detail.partNumber, attempt: detail.attempt, code: detail.error.code }),
      );
      const outcome = await task.done.then(
        () => ({ ok: true }),
        (error) => ({ ok: false, code: error.code, retryable: error.retryable, message: error.message }),
      );
      // Give aborted signals' listeners their turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      uploader.dispose();
      return { outcome, retries, calls };
    },
    { key, options },
  );
}

test('a credentials callback that throws once is retried: the upload completes after a retry event', async () => {
  const { outcome, retries, calls } = await run(
    `e2e/callbacks-once-${Date.now()}.bin`,
    `{
      credentials: async (context) => {
        calls.push({ signal: context?.signal instanceof AbortSignal });
        if (calls.length === 1) throw new Error('the backend answered 502');
        return credentials();
      },
    }`,
  );
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(calls, [{ signal: true }, { signal: true }], 'each call gets {signal}');
  assert.deepEqual(retries, [{ partNumber: null, attempt: 1, code: 'CredentialsError' }]);
});

test('a credentials callback that never answers sees its signal aborted at callbackTimeoutMs and fails typed after the retries', async () => {
  const started = Date.now();
  const { outcome, retries, calls } = await run(
    `e2e/callbacks-hang-${Date.now()}.bin`,
    `{
      callbackTimeoutMs: 1000,
      credentials: ({ signal }) => {
        const call = { aborted: false, reason: null };
        signal.addEventListener('abort', () => {
          call.aborted = signal.aborted;
          call.reason = String(signal.reason?.name);
        });
        calls.push(call);
        return new Promise(() => {});
      },
    }`,
  );
  assert.equal(outcome.ok, false);
  assert.equal(outcome.code, 'CredentialsError', JSON.stringify(outcome));
  assert.match(outcome.message, /did not answer within 1000 ms/);
  assert.equal(calls.length, 3, 'the first call and two retries');
  assert.ok(
    calls.every((call) => call.aborted && call.reason === 'AbortError'),
    `every call's signal aborted: ${JSON.stringify(calls)}`,
  );
  assert.deepEqual(
    retries.map((r) => r.code),
    ['CredentialsError', 'CredentialsError'],
  );
  assert.ok(Date.now() - started >= 3000, 'three calls of 1 s each');
});

test('a callback error with retryable: false fails at once', async () => {
  const { outcome, retries, calls } = await run(
    `e2e/callbacks-final-${Date.now()}.bin`,
    `{
      credentials: async () => {
        calls.push('called');
        throw Object.assign(new Error('signed out'), { retryable: false });
      },
    }`,
  );
  assert.deepEqual(outcome.ok, false);
  assert.equal(outcome.code, 'CredentialsError');
  assert.equal(outcome.retryable, false);
  assert.match(outcome.message, /signed out/);
  assert.deepEqual(calls, ['called']);
  assert.deepEqual(retries, []);
});

test('shouldRetry returning false stops retrying with the error it was shown', async () => {
  const { outcome, retries, calls } = await run(
    `e2e/callbacks-hook-${Date.now()}.bin`,
    `{
      credentials: async () => {
        calls.push('called');
        throw new Error('the backend answered 503');
      },
      retry: {
        attempts: 5,
        baseDelayMs: 10,
        shouldRetry: (error, attempt) => {
          calls.push({ hook: error.name, code: error.code, retryable: error.retryable, attempt });
          return false;
        },
      },
    }`,
  );
  assert.equal(outcome.ok, false);
  assert.equal(outcome.code, 'CredentialsError');
  assert.deepEqual(calls, ['called', { hook: 'PartwiseError', code: 'CredentialsError', retryable: true, attempt: 1 }]);
  assert.deepEqual(retries, []);
});

test('a presign call that hangs has its signal aborted and is made again', async () => {
  const { outcome, retries, calls } = await run(
    `e2e/callbacks-presign-${Date.now()}.bin`,
    `{
      credentials: undefined,
      callbackTimeoutMs: 1000,
      presign: async (request, { signal }) => {
        const call = { operation: request.operation, aborted: false };
        signal.addEventListener('abort', () => (call.aborted = true));
        calls.push(call);
        if (calls.length === 1) return new Promise(() => {});
        const answer = await fetch('/presign', { method: 'POST', body: JSON.stringify(request), signal });
        return answer.json();
      },
    }`,
  );
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(calls, [
    { operation: 'putObject', aborted: true },
    { operation: 'putObject', aborted: false },
  ]);
  assert.deepEqual(retries, [{ partNumber: 1, attempt: 1, code: 'CredentialsError' }]);
});

test('pausing the upload (as dispose() does) aborts the signal of the call it waits for; resume() calls again', async () => {
  const outcome = await page.evaluate(async (key) => {
    const { createUploader } = await import('/pkg/index.js');
    const [target] = await (await fetch('/targets')).json();
    const calls = [];
    const uploader = createUploader({
      ...target,
      credentials: ({ signal }) => {
        const call = { aborted: false };
        calls.push(call);
        if (calls.length > 1) return fetch('/credentials', { signal }).then((r) => r.json());
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            call.aborted = true;
            reject(signal.reason);
          }),
        );
      },
    });
    const task = uploader.upload(new Blob([new Uint8Array(1024)]), { key });
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    task.pause();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const paused = { aborted: calls[0].aborted, calls: calls.length };
    task.resume();
    const done = await task.done.then(
      () => 'complete',
      (error) => error.code,
    );
    uploader.dispose();
    return { paused, done, calls: calls.length };
  }, `e2e/callbacks-pause-${Date.now()}.bin`);
  assert.deepEqual(outcome, { paused: { aborted: true, calls: 1 }, done: 'complete', calls: 2 });
});
