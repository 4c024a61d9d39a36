// The development backend: against the running SeaweedFS, its temporary credentials work and the
// URLs it presigns (with an independent signer, the AWS SDK) accept a part with its Content-MD5;
// offline, its targets come from the environment and OSS URLs are signed by ali-oss.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ossSigner } from '../scripts/backend/oss.mjs';
import { s3Signer } from '../scripts/backend/s3.mjs';
import { publicTarget, readTargets } from '../scripts/backend/targets.mjs';
import { assumeRole, presign } from '../scripts/dev-backend.mjs';

const endpoint = process.env.PARTWISE_TEST_ENDPOINT;
const bucket = process.env.PARTWISE_TEST_BUCKET;

test('AssumeRole gives working temporary credentials', async () => {
  const creds = await assumeRole();
  assert.match(creds.accessKeyId, /^ASIA/);
  assert.ok(creds.sessionToken.length > 100);
  assert.ok(Date.parse(creds.expiration) > Date.now());
  const credentials = { ...creds, expiration: new Date(creds.expiration) };
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backend/sts.txt', Body: 'hello' }));
});

test('AssumeRole with a key prefix gives credentials for that prefix only (session policy)', async () => {
  const creds = await assumeRole({ prefix: 'backend/user-42/' });
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { ...creds, expiration: new Date(creds.expiration) },
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backend/user-42/mine.txt', Body: 'mine' }));
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backend/user-7/theirs.txt', Body: 'x' })), {
    name: 'AccessDenied',
  });
});

test('presigned UploadPart accepts the part and checks its Content-MD5', async () => {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: {
      accessKeyId: process.env.PARTWISE_TEST_ACCESS_KEY,
      secretAccessKey: process.env.PARTWISE_TEST_SECRET_KEY,
    },
  });
  const key = `backend/presigned ${Date.now()}.bin`;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  try {
    const part = Buffer.from('part bytes');
    const md5 = createHash('md5').update(part).digest('base64');
    const signed = await presign({
      operation: 'uploadPart',
      bucket,
      key,
      uploadId: UploadId,
      partNumber: 1,
      headers: { 'content-md5': md5 },
    });
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

test('each configured service becomes a target; the page never sees its keys', () => {
  const targets = readTargets({
    PARTWISE_OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com',
    PARTWISE_OSS_BUCKET: 'b',
    PARTWISE_OSS_ACCESS_KEY: 'ak',
    PARTWISE_OSS_SECRET_KEY: 'sk-secret',
    PARTWISE_OSS_ROLE_ARN: 'acs:ram::1:role/uploader',
    PARTWISE_KS3_ENDPOINT: 'https://ks3-cn-beijing.ksyuncs.com',
    PARTWISE_KS3_BUCKET: 'k',
    PARTWISE_KS3_ACCESS_KEY: 'ak2',
    PARTWISE_KS3_SECRET_KEY: 'sk2-secret',
    PARTWISE_OBS_ENDPOINT: 'https://obs.cn-north-4.myhuaweicloud.com',
    PARTWISE_OBS_BUCKET: 'o',
  });
  assert.deepEqual(
    targets.map((t) => [t.id, t.provider, t.region, t.modes]),
    [
      ['oss', 'oss', 'cn-hangzhou', ['sts', 'presign']],
      ['ks3', 'ks3', 'BEIJING', ['presign']],
    ],
  );
  const visible = JSON.stringify(targets.map(publicTarget));
  assert.doesNotMatch(visible, /secret|sk2|"ak"/);
});

test('OSS URLs are signed by ali-oss over the exact headers partwise sends (V1)', async () => {
  const [target] = readTargets({
    PARTWISE_OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com',
    PARTWISE_OSS_BUCKET: 'bucket',
    PARTWISE_OSS_ACCESS_KEY: 'ak',
    PARTWISE_OSS_SECRET_KEY: 'sk',
  });
  const md5 = 'XrY7u+Ae7tCTyyK7j1rNww==';
  const signed = await ossSigner(target).presign({
    operation: 'uploadPart',
    method: 'PUT',
    bucket: 'bucket',
    key: 'dir/a b.bin',
    uploadId: 'U1',
    partNumber: 3,
    query: { partNumber: '3', uploadId: 'U1' },
    headers: { 'content-md5': md5, 'content-type': 'video/mp4' },
  });
  const url = new URL(signed.url);
  assert.equal(url.host, 'bucket.oss-cn-hangzhou.aliyuncs.com');
  assert.equal(url.searchParams.get('OSSAccessKeyId'), 'ak');
  const expires = url.searchParams.get('Expires');
  const toSign = `PUT\n${md5}\nvideo/mp4\n${expires}\n/bucket/dir/a b.bin?partNumber=3&uploadId=U1`;
  assert.equal(url.searchParams.get('Signature'), createHmac('sha1', 'sk').update(toSign).digest('base64'));
  assert.deepEqual(signed.headers, { 'content-md5': md5, 'content-type': 'video/mp4' });
});

test('OBS, NOS and KS3 URLs are SigV4 from the AWS SDK, virtual-hosted, in the region of each service', async () => {
  const env = {};
  for (const [id, endpoint] of [
    ['OBS', 'https://obs.cn-north-4.myhuaweicloud.com'],
    ['NOS', 'https://nos-eastchina1.126.net'],
    ['KS3', 'https://ks3-cn-beijing.ksyuncs.com'],
  ]) {
    Object.assign(env, {
      [`PARTWISE_${id}_ENDPOINT`]: endpoint,
      [`PARTWISE_${id}_BUCKET`]: 'my-bucket',
      [`PARTWISE_${id}_ACCESS_KEY`]: 'ak',
      [`PARTWISE_${id}_SECRET_KEY`]: 'sk',
    });
  }
  const regions = { obs: 'cn-north-4', nos: 'us-east-1', ks3: 'BEIJING' };
  for (const target of readTargets(env)) {
    const { url } = await s3Signer(target).presign({
      operation: 'uploadPart',
      method: 'PUT',
      bucket: 'my-bucket',
      key: 'k.bin',
      uploadId: 'U',
      partNumber: 2,
      query: { partNumber: '2', uploadId: 'U' },
      headers: { 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==' },
    });
    const signed = new URL(url);
    assert.equal(signed.host, `my-bucket.${new URL(target.endpoint).host}`, target.id);
    assert.match(
      signed.searchParams.get('X-Amz-Credential'),
      new RegExp(`^ak/\\d{8}/${regions[target.id]}/s3/aws4_request$`),
      target.id,
    );
    assert.match(signed.searchParams.get('X-Amz-SignedHeaders'), /content-md5/, target.id);
  }
});
