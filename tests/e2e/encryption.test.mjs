// Server-side encryption end to end in Chromium against the test SeaweedFS (README "Encryption"):
// SSE-C in STS and presigned mode, in one PutObject and in parts, read back with the same key by
// the AWS SDK (and refused without it); SSE-S3 recorded on the object; and, through
// scripts/fault-proxy.mjs answering parts with ETags that are not their MD5s (as S3 does under
// SSE-KMS and SSE-C), an upload that declares SSE-C completes while one without encryption fails
// typed. SeaweedFS 4.48 has no KMS configured, so SSE-KMS is covered by the native tests only.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { startFaultProxy } from '../../scripts/fault-proxy.mjs';
import { md5, pseudoRandom, store, uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
const Bucket = process.env.PARTWISE_TEST_BUCKET;
let proxy;
let page;

chromiumSuite((opened) => ({ page } = opened));

before(async () => {
  proxy = await startFaultProxy({ upstream: process.env.PARTWISE_TEST_ENDPOINT, lifetimeMs: 10 * 60_000 });
});

after(() => proxy?.close());

/** A fresh 256-bit key and the AWS SDK's fields for it. */
function customerKey() {
  const key = randomBytes(32);
  return {
    base64: key.toString('base64'),
    sdk: {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: key.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
    },
  };
}

async function readBack(key, fields = {}) {
  const answer = await store().send(new GetObjectCommand({ Bucket, Key: key, ...fields }));
  return Buffer.from(await answer.Body.transformToByteArray());
}

for (const mode of ['sts', 'presigned']) {
  test(`SSE-C (${mode}): stored encrypted, read back with the same key only`, async () => {
    for (const size of [1000, 11 * MIB]) {
      const key = `encryption/sse-c-${mode}-${Date.now()}-${size}.bin`;
      const secret = customerKey();
      const run = await uploadInPage(page, {
        key,
        size,
        seed: 5,
        presigned: mode === 'presigned',
        object: { encryption: { type: 'SSE-C', key: secret.base64 } },
      });
      assert.ok(run.ok, JSON.stringify(run.error));
      assert.equal(run.result.parts, size > 5 * MIB ? 3 : 1);
      assert.equal(md5(await readBack(key, secret.sdk)), md5(pseudoRandom(size, 5)));
      const head = await store().send(new HeadObjectCommand({ Bucket, Key: key, ...secret.sdk }));
      assert.equal(head.SSECustomerAlgorithm, 'AES256');
      await assert.rejects(readBack(key), 'without the key the object cannot be read');
      await assert.rejects(readBack(key, customerKey().sdk), 'nor with another key');
    }
  });
}

test('SSE-S3: the object is recorded as encrypted', async () => {
  const key = `encryption/sse-s3-${Date.now()}.bin`;
  const run = await uploadInPage(page, { key, size: 6 * MIB, seed: 6, object: { encryption: { type: 'SSE-S3' } } });
  assert.ok(run.ok, JSON.stringify(run.error));
  const head = await store().send(new HeadObjectCommand({ Bucket, Key: key }));
  assert.equal(head.ServerSideEncryption, 'AES256');
  assert.equal(md5(await readBack(key)), md5(pseudoRandom(6 * MIB, 6)));
});

test('part ETags that are not MD5s: accepted under SSE-C, a typed failure without encryption', async () => {
  proxy.setRules([{ method: 'PUT', query: 'partNumber', faults: ['opaque-etag'] }]);
  const secret = customerKey();
  const key = `encryption/opaque-${Date.now()}.bin`;
  const declared = await uploadInPage(page, {
    key,
    size: 11 * MIB,
    seed: 9,
    endpoint: proxy.url,
    object: { encryption: { type: 'SSE-C', key: secret.base64 } },
  });
  const plain = await uploadInPage(page, { key: `${key}.plain`, size: 11 * MIB, seed: 9, endpoint: proxy.url });
  proxy.setRules([]);
  assert.ok(declared.ok, JSON.stringify(declared.error));
  assert.equal(md5(await readBack(key, secret.sdk)), md5(pseudoRandom(11 * MIB, 9)));
  assert.equal(plain.ok, false);
  assert.equal(plain.error.code, 'InvalidResponse');
  assert.match(plain.error.message, /is not the MD5 of the bytes sent/);
});
