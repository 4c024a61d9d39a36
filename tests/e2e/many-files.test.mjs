// Many files on one uploader: twelve uploads started at once share `maxRequests` requests in
// flight (counted in the page, at the XMLHttpRequest and fetch calls to the store), all complete
// byte for byte, and none of the parts that waited for their turn is aborted as stalled.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { md5, pseudoRandom, readObject, throttleUploads } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
/** Two or three 5 MiB parts each, none the same size. */
const SIZES = Array.from({ length: 12 }, (_, i) => (i % 2 ? 10 : 5) * MIB + 1 + i * 321_357);

let page;
chromiumSuite((opened) => ({ page } = opened), { prepare: countRequestsInFlight });

/** Counts the requests to `window.storeEndpoint` from the moment they are sent to the moment they
 * are done; the XHR's count drops on its readyState 4, before the library hears of the answer. */
async function countRequestsInFlight(page) {
  await page.addInitScript(() => {
    const flight = { now: 0, most: 0, partsNow: 0, partsMost: 0, requests: 0 };
    window.flight = flight;
    const toStore = (url) => window.storeEndpoint && String(url).startsWith(window.storeEndpoint);
    const start = (part) => {
      flight.requests += 1;
      flight.now += 1;
      flight.most = Math.max(flight.most, flight.now);
      if (part) {
        flight.partsNow += 1;
        flight.partsMost = Math.max(flight.partsMost, flight.partsNow);
      }
    };
    const end = (part) => {
      flight.now -= 1;
      if (part) flight.partsNow -= 1;
    };
    const Xhr = window.XMLHttpRequest;
    window.XMLHttpRequest = class extends Xhr {
      constructor() {
        super();
        this.addEventListener('readystatechange', () => {
          if (this.readyState === 4 && this.counted) {
            this.counted = false;
            end(true);
          }
        });
      }
      open(method, url, ...rest) {
        this.toStore = toStore(url);
        return super.open(method, url, ...rest);
      }
      send(body) {
        if (this.toStore) {
          this.counted = true;
          start(true);
        }
        return super.send(body);
      }
    };
    const originalFetch = window.fetch;
    window.fetch = (input, init) => {
      if (!toStore(input instanceof Request ? input.url : input)) return originalFetch(input, init);
      start(false);
      return originalFetch(input, init).then(
        (response) => {
          end(false);
          return response;
        },
        (error) => {
          end(false);
          throw error;
        },
      );
    };
  });
}

test('twelve files on one uploader with maxRequests 4: never more than 4 requests in flight, all exact, no stall', async () => {
  await throttleUploads(page, 16 * MIB);
  const prefix = `e2e/many-${Date.now()}`;
  const run = await page.evaluate(
    async ({ prefix, sizes }) => {
      const { createUploader } = await import('/pkg/index.js');
      const { seededBytes } = await import('/scripts/seeded-random.mjs');
      const [target] = await (await fetch('/targets')).json();
      window.storeEndpoint = target.endpoint;
      const uploader = createUploader({
        provider: target.provider,
        endpoint: target.endpoint,
        bucket: target.bucket,
        region: target.region,
        credentials: async () => (await fetch('/credentials')).json(),
        partSize: 5 * 1024 * 1024,
        maxRequests: 4,
        stallTimeoutMs: 4000,
      });
      const retries = [];
      const started = performance.now();
      const tasks = sizes.map((size, i) => {
        const file = new File([seededBytes(size, 500 + i)], `many-${i}.bin`, { lastModified: 1 });
        const task = uploader.upload(file, { key: `${prefix}/${i}.bin` });
        task.addEventListener('retry', ({ detail }) =>
          retries.push({ file: i, part: detail.partNumber, code: detail.error.code, message: detail.error.message }),
        );
        return task;
      });
      const results = await Promise.allSettled(tasks.map((task) => task.done));
      uploader.dispose();
      return {
        results: results.map((r) =>
          r.status === 'fulfilled' ? { ok: true, parts: r.value.parts } : { ok: false, code: r.reason.code },
        ),
        retries,
        flight: window.flight,
        ms: performance.now() - started,
      };
    },
    { prefix, sizes: SIZES },
  );
  console.log(
    `12 files, ${run.flight.requests} requests to the store in ${Math.round(run.ms)} ms; most in flight: ` +
      `${run.flight.most} (parts ${run.flight.partsMost})`,
  );
  assert.deepEqual(
    run.results.map((r) => r.ok),
    SIZES.map(() => true),
    JSON.stringify(run.results),
  );
  assert.deepEqual(run.retries, [], 'no request was aborted as stalled or failed');
  assert.equal(run.flight.partsMost, 4, 'parts in flight reach the limit and never pass it');
  assert.ok(run.flight.most <= 4, `at most 4 requests in flight, saw ${run.flight.most}`);
  assert.equal(run.flight.now, 0);
  for (const [i, size] of SIZES.entries()) {
    assert.equal(md5(await readObject(`${prefix}/${i}.bin`)), md5(pseudoRandom(size, 500 + i)), `file ${i} is exact`);
  }
});
