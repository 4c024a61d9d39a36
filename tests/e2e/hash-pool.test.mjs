// The hashing Workers read a disk-backed File's parts to the end: 1 GiB in 8 MiB slices through the
// package's own pool (one Worker, CRC-32: the fastest reads), every digest right, none unanswered.
// Chromium now and then leaves a BYOB read of such a slice unsettled (a 4 GiB upload stalled for
// good; a read benchmark stopped within 1 GiB in two runs of three; the first test here did not
// catch it in three runs): the Workers give up a read that takes too long and read the rest again,
// which the second test forces with a patience of a microsecond.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { hashPoolPath } from '../../scripts/size.mjs';
import { pseudoRandom } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
const PART = 8 * MIB;
const PARTS = 128;
/** The Workers' code for CRC-32 without MD5 (src/web/hash.rs): the fastest reads, so the most of them. */
const CRC32_ONLY = 1 | 0x100;

let page;
chromiumSuite((opened) => ({ page } = opened));

const dir = mkdtempSync(join(tmpdir(), 'partwise-hash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Hashes each `PART` of the file at `path` through one Worker: the CRC-32s (hex) and the reads made again. */
async function hashParts(path, parts, patience) {
  await page.setContent('<input type="file" id="file">');
  await page.setInputFiles('#file', path);
  return page.evaluate(
    async ({ pool, part, parts, patience, CRC32_ONLY }) => {
      const [{ HashPool }, module] = await Promise.all([
        import(pool),
        WebAssembly.compileStreaming(fetch('/pkg/partwise_bg.wasm')),
      ]);
      const file = document.getElementById('file').files[0];
      const hashPool = new HashPool(module, 1, { patience });
      const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      const stalled = new Promise((_, reject) => setTimeout(() => reject(new Error('a hash never answered')), 120_000));
      try {
        const all = Array.from({ length: parts }, (_, i) =>
          hashPool.hash(file.slice(i * part, (i + 1) * part), CRC32_ONLY),
        );
        const digests = (await Promise.race([Promise.all(all), stalled])).map(hex);
        return { digests, rereads: hashPool.rereads };
      } finally {
        hashPool.terminate();
      }
    },
    { pool: `/${hashPoolPath()}`, part: PART, parts, patience, CRC32_ONLY },
  );
}

const crcHex = (bytes) => crc32(bytes).toString(16).padStart(8, '0');

test('the hash Workers read 1 GiB of a disk-backed File to the end, digests right', async () => {
  const part = pseudoRandom(PART, 7);
  const path = join(dir, 'big.bin');
  writeFileSync(path, Buffer.alloc(0));
  for (let i = 0; i < PARTS; i += 1) writeFileSync(path, part, { flag: 'a' });
  const { digests } = await hashParts(path, PARTS, undefined);
  assert.equal(digests.length, PARTS);
  assert.deepEqual(new Set(digests), new Set([crcHex(part)]));
});

test('reads given up as stalled are made again from where they stopped, digests right', async () => {
  const parts = Array.from({ length: 8 }, (_, i) => pseudoRandom(PART, 100 + i));
  const path = join(dir, 'parts.bin');
  writeFileSync(path, Buffer.concat(parts));
  // A microsecond: the first reads are given up, then the patience doubles until reads get through.
  const { digests, rereads } = await hashParts(path, parts.length, 0.001);
  assert.ok(rereads > 0, 'no read was given up');
  assert.deepEqual(digests, parts.map(crcHex));
});
