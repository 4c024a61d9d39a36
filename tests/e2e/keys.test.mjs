// Object keys with every awkward character upload and read back exactly, under path-style
// (127.0.0.1:port/bucket/key) and virtual-hosted (bucket.localhost:port/key) addressing, signed in
// the browser (STS) — one part and several parts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortUnfinished, md5, pseudoRandom, readObject, uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
let page;

chromiumSuite((opened) => ({ page } = opened));

const run = Date.now();
const KEYS = [
  `keys/${run}/unicode 日本語 ünïcödé 🎉.bin`,
  `keys/${run}/all + % ~ ! * ' ( ) = & ? # ; : @ , $ of them.bin`,
  `keys/${run}/%2F%20already-encoded%25.bin`,
  `/keys/${run}/leading-slash.bin`,
  `keys/${run}//doubled///slashes/.bin`,
];

const { port } = new URL(process.env.PARTWISE_TEST_ENDPOINT);
const STYLES = {
  'path-style': { endpoint: `http://127.0.0.1:${port}`, options: { pathStyle: true } },
  'virtual-hosted': { endpoint: `http://localhost:${port}`, options: { pathStyle: false } },
};

for (const [style, { endpoint, options }] of Object.entries(STYLES)) {
  test(`awkward keys upload and read back exactly, ${style}`, async () => {
    for (const [i, base] of KEYS.entries()) {
      for (const size of [1000 + i, 11 * MIB + i]) {
        const key = `${base}.${style}.${size}`;
        const outcome = await uploadInPage(page, { key, size, seed: 50 + i, endpoint, options });
        assert.ok(outcome.ok, `${key}: ${JSON.stringify(outcome.error)}`);
        assert.equal(outcome.result.key, key);
        const host = new URL(outcome.result.location).hostname;
        assert.equal(
          host,
          style === 'path-style' ? '127.0.0.1' : `${process.env.PARTWISE_TEST_BUCKET}.localhost`,
          outcome.result.location,
        );
        assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 50 + i)), `${key} reads back`);
      }
    }
    await abortUnfinished(`keys/${run}`);
  });
}
