// The development backend against the running SeaweedFS: its temporary credentials work, and the
// URLs it presigns (with an independent signer, the AWS SDK) accept a part with its Content-MD5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Client, CreateMultipartUploadCommand, AbortMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { assumeRole, presign } from '../scripts/dev-backend.mjs';

const endpoint = process.env.PARTWISE_TEST_ENDPOINT;
const bucket = process.env.PARTWISE_TEST_BUCKET;

test('AssumeRole gives working temporary credentials', async () => {
  const creds = await assumeRole();
  assert.match(creds.accessKeyId, /^ASIA/);
  assert.ok(creds.sessionToken.length > 100);
  assert.ok(Date.parse(creds.expiration) > Date.now());
  const credentials = { ...creds, expiration: new Date(creds.expiration) };
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backend/sts.txt', Body: 'hello' }));
});

test('presigned UploadPart accepts the part and checks its Content-MD5', async () => {
  const s3 = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: process.env.PARTWISE_TEST_ACCESS_KEY, secretAccessKey: process.env.PARTWISE_TEST_SECRET_KEY },
  });
  const key = `backend/presigned ${Date.now()}.bin`;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  try {
    const part = Buffer.from('part bytes');
    const md5 = createHash('md5').update(part).digest('base64');
    const signed = await presign({ operation: 'uploadPart', bucket, key, uploadId: UploadId, partNumber: 1, headers: { 'content-md5': md5 } });
    assert.match(signed.url, /X-Amz-Signature=/);
    assert.doesNotMatch(signed.url, /x-amz-checksum/i);
    const stored = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: part });
    assert.equal(stored.status, 200);
    assert.equal(stored.headers.get('etag'), `"${createHash('md5').update(part).digest('hex')}"`);
    const wrong = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('other bytes') });
    assert.equal(wrong.status, 400, 'the signed Content-MD5 no longer matches');
  } finally {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
  }
});
