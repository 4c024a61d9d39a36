// Flexible checksums end to end in Chromium against the test SeaweedFS (README "Checksums"): three
// parts (5 MiB, 5 MiB and an odd last one) with each of crc32, crc32c, crc64nvme and sha256 in STS
// mode and crc64nvme in presigned mode (the development backend signs the x-amz-checksum-*
// headers), read back byte for byte, and the object checksum the store keeps (HeadObject with
// ChecksumMode ENABLED) equal to the one computed here over the file by hash-wasm.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { crc32, crc64 } from 'hash-wasm';
import { md5, pseudoRandom, readObject, store, uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
const SIZE = 10 * MIB + 12_345;
const Bucket = process.env.PARTWISE_TEST_BUCKET;
let page;
chromiumSuite((opened) => ({ page } = opened));

const base64 = (hex) => Buffer.from(hex, 'hex').toString('base64');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

/** The object checksum S3 reports for `bytes` uploaded in 5 MiB parts, with HeadObject's field. */
const expected = {
  crc32: async (bytes) => ({ field: 'ChecksumCRC32', value: base64(await crc32(bytes)) }),
  crc32c: async (bytes) => ({ field: 'ChecksumCRC32C', value: base64(await crc32(bytes, 0x82f63b78)) }),
  crc64nvme: async (bytes) => ({ field: 'ChecksumCRC64NVME', value: base64(await crc64(bytes, '9a6c9329ac4bc9b5')) }),
  sha256: async (bytes) => {
    const parts = [];
    for (let at = 0; at < bytes.length; at += 5 * MIB) parts.push(sha256(bytes.subarray(at, at + 5 * MIB)));
    return { field: 'ChecksumSHA256', value: `${sha256(Buffer.concat(parts)).toString('base64')}-${parts.length}` };
  },
};

for (const [checksum, presigned] of [
  ['crc32', false],
  ['crc32c', false],
  ['crc64nvme', false],
  ['sha256', false],
  ['crc64nvme', true],
]) {
  const mode = presigned ? 'presigned' : 'sts';
  test(`${checksum} (${mode}): three parts stored exactly, with the object's checksum`, async () => {
    const key = `checksums/${checksum}-${mode}-${Date.now()}.bin`;
    const seed = 14;
    const run = await uploadInPage(page, { key, size: SIZE, seed, presigned, options: { checksum } });
    assert.ok(run.ok, JSON.stringify(run.error));
    assert.equal(run.result.parts, 3);
    const file = pseudoRandom(SIZE, seed);
    assert.equal(md5(await readObject(key)), md5(file));
    const head = await store().send(new HeadObjectCommand({ Bucket, Key: key, ChecksumMode: 'ENABLED' }));
    const { field, value } = await expected[checksum](file);
    assert.equal(head[field], value, `${field} of ${JSON.stringify(head)}`);
  });
}
