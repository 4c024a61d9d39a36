// Fault tolerance through scripts/fault-proxy.mjs: the page uploads to the proxy, which forwards to
// the test SeaweedFS and injects the faults each test sets. Bytes are always read back and compared.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFaultProxy } from '../../scripts/fault-proxy.mjs';
import { md5, pseudoRandom, readObject, unfinishedUploads, uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
let proxy;
let page;

let browser;
chromiumSuite((opened) => ({ browser, page } = opened));

before(async () => {
  proxy = await startFaultProxy({ upstream: process.env.PARTWISE_TEST_ENDPOINT, lifetimeMs: 10 * 60_000 });
});

after(() => proxy?.close());

/** An upload through the proxy (see `uploadInPage`), in `on` (default: the shared page). */
const upload = ({ on = page, ...spec }) => uploadInPage(on, { endpoint: proxy.url, ...spec });

test('20 odd-sized uploads with 20 % of part requests faulted all complete with their exact bytes', async () => {
  const kinds = ['reset', '500', 'slowdown', 'skewed', 'expired-token', 'stall', 'cut-body'];
  proxy.setRules([{ method: 'PUT', query: 'partNumber', rate: 0.2, faults: kinds, stallMs: 5000 }], 20261121);
  const before = { ...proxy.stats.faults };
  const sizes = [1, 5 * MIB - 1, 5 * MIB + 1, 7 * MIB + 13, 9 * MIB + 4095];
  for (let i = sizes.length; i < 20; i += 1) sizes.push(5 * MIB + ((i * 2_654_435_761) % (18 * MIB)));
  let retried = 0;
  const codes = [];
  for (const [i, size] of sizes.entries()) {
    const key = `faults/mixed-${Date.now()}-${i}.bin`;
    const run = await upload({ key, size, seed: 1000 + i });
    assert.ok(run.ok, `upload ${i} (${size} B): ${JSON.stringify(run.error)} after ${JSON.stringify(run.retries)}`);
    assert.equal(
      md5(await readObject(key)),
      md5(pseudoRandom(size, 1000 + i)),
      `upload ${i}: the stored bytes are the file's`,
    );
    retried += run.retries.length;
    codes.push(...run.retries.map((r) => r.code));
  }
  proxy.setRules([]);
  const injected = Object.fromEntries(kinds.map((k) => [k, proxy.stats.faults[k] - before[k]]));
  const total = Object.values(injected).reduce((a, b) => a + b, 0);
  console.log(
    `faults injected over 20 uploads: ${JSON.stringify(injected)} (${total}); retries seen: ${retried} ${JSON.stringify(codes)}`,
  );
  assert.ok(
    kinds.every((k) => injected[k] > 0),
    `every kind was injected: ${JSON.stringify(injected)}`,
  );
  // Chromium itself re-sends a request whose reused connection was reset before any answer, so a
  // reset need not reach partwise; every other fault must have been seen and retried.
  assert.ok(retried >= total - injected.reset, 'each fault was seen and retried');
  assert.deepEqual(await unfinishedUploads('faults/mixed-'), [], 'nothing left unfinished on the server');
});

test('a stalled part is aborted after the stall timeout and sent again', async () => {
  proxy.setRules([{ method: 'PUT', query: 'partNumber', limit: 1, faults: ['stall'], stallMs: 60_000 }]);
  const key = `faults/stall-${Date.now()}.bin`;
  const run = await upload({ key, size: 11 * MIB, seed: 7 });
  proxy.setRules([]);
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(run.retries.length, 1, JSON.stringify(run.retries));
  assert.equal(run.retries[0].code, 'NetworkError');
  assert.ok(run.retries[0].part >= 1);
  assert.ok(run.ms < 60_000, 'it did not wait for the stalled answer');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 7)));
});

test('an ETag hidden from the page fails fast with the CORS explanation and keeps the checkpoint', async () => {
  proxy.setRules([{ method: 'PUT', query: 'partNumber', faults: ['drop-etag'] }]);
  const key = `faults/etag-${Date.now()}.bin`;
  const run = await upload({ key, size: 11 * MIB, seed: 8 });
  proxy.setRules([]);
  assert.equal(run.ok, false);
  assert.equal(run.error.code, 'EtagNotExposed');
  assert.match(run.error.message, /ExposeHeaders|Expose/);
  assert.deepEqual(run.retries, [], 'no retries: it cannot succeed until the CORS rule changes');
  assert.ok(run.checkpointKept, 'the checkpoint stays so the upload can resume once CORS is fixed');
});

test('a Complete whose answer is lost is checked on the object and reported done', async () => {
  // S3 forgets a completed upload: the retried Complete is told NoSuchUpload (SeaweedFS would
  // answer it again; the proxy answers as S3 does).
  proxy.setRules([
    { method: 'POST', query: 'uploadId', limit: 1, faults: ['lose-answer'] },
    { method: 'POST', query: 'uploadId', limit: 1, faults: ['no-such-upload'] },
  ]);
  const before = proxy.stats.faults['lose-answer'];
  const heads = proxy.stats.methods.HEAD ?? 0;
  const key = `faults/lost-complete-${Date.now()}.bin`;
  const run = await upload({ key, size: 11 * MIB, seed: 12 });
  proxy.setRules([]);
  assert.equal(proxy.stats.faults['lose-answer'], before + 1, 'the Complete was carried out, its answer lost');
  assert.ok(run.ok, `${JSON.stringify(run.error)} after ${JSON.stringify(run.retries)}`);
  assert.ok(
    run.retries.some((r) => r.part === null && r.code === 'NetworkError'),
    `the lost answer was noticed: ${JSON.stringify(run.retries)}`,
  );
  assert.equal(proxy.stats.methods.HEAD, heads + 1, 'the retried Complete found no upload: the object was checked');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 12)));
  assert.deepEqual(await unfinishedUploads(key), []);
});

for (const hours of [-2, 2]) {
  test(`a client clock ${Math.abs(hours)} hours ${hours < 0 ? 'slow' : 'fast'} is corrected from the server's Date`, async () => {
    const skewed = await browser.newPage();
    await skewed.addInitScript((offset) => {
      const RealDate = Date;
      const now = RealDate.now;
      globalThis.Date = class extends RealDate {
        constructor(...args) {
          super(...(args.length ? args : [now() + offset]));
        }
        static now() {
          return now() + offset;
        }
      };
    }, hours * 3600_000);
    await skewed.goto(page.url());
    const key = `faults/clock-${hours}-${Date.now()}.bin`;
    const run = await upload({ key, size: 11 * MIB, seed: 9, on: skewed });
    await skewed.close();
    assert.ok(run.ok, `${JSON.stringify(run.error)} after ${JSON.stringify(run.retries)}`);
    assert.ok(
      run.retries.some((r) => r.code === 'RequestTimeTooSkewed'),
      `the server saw the skew: ${JSON.stringify(run.retries)}`,
    );
    assert.ok(run.retries.length <= 4, `corrected at once, not per part: ${JSON.stringify(run.retries)}`);
    assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 9)));
  });
}
