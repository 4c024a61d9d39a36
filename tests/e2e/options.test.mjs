// Object options end to end in Chromium: every typed option of `upload(file, {key, …})` — a
// Chinese file name in contentDisposition, a non-ASCII metadata value, storage class, ACL, tags —
// on the local SeaweedFS (S3) and the local OSS, OBS, NOS and KS3 gateways, in STS and presigned
// mode, one PutObject and one multipart upload each. The stored headers are read back from
// SeaweedFS with the AWS SDK (the gateways store into `partwise-<s>` under the same key). An
// option a service lacks fails before a request goes out.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { readTargets } from '../../scripts/backend/targets.mjs';
import { store, uploadInPage } from './browser.mjs';
import { chromiumSuite } from './suite.mjs';

const MIB = 1024 * 1024;
const targets = readTargets().filter((t) => t.id === 'seaweedfs' || t.local);
let page;
chromiumSuite((opened) => ({ page } = opened));

const TITLE = '季度报告：Grüße';
const DISPOSITION =
  'attachment; filename="____ 2026.pdf"; filename*=UTF-8\'\'%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A%202026.pdf';

/** Per service: the storage class sent and as SeaweedFS keeps it, whether it has ACLs and tags,
 * and how a non-ASCII metadata value reads back (README "Object options"). */
const SERVICES = {
  s3: { storageClass: ['STANDARD_IA', 'STANDARD_IA'], acl: true, tagging: true, meta: rfc2047 },
  oss: { storageClass: ['IA', 'STANDARD_IA'], acl: true, tagging: true, meta: encodeURIComponent },
  obs: { storageClass: ['WARM', 'STANDARD_IA'], acl: true, tagging: false, meta: encodeURIComponent },
  nos: { storageClass: ['STANDARD', 'STANDARD'], acl: false, tagging: false, meta: encodeURIComponent },
  ks3: { storageClass: ['STANDARD_IA', 'STANDARD_IA'], acl: true, tagging: true, meta: encodeURIComponent },
};

function rfc2047(text) {
  return `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

/** Every option the service has. */
function everyOption(service) {
  const s = SERVICES[service];
  return {
    contentType: 'text/plain; charset=utf-8',
    contentDisposition: { filename: '季度报告 2026.pdf' },
    cacheControl: 'max-age=3600',
    contentEncoding: 'identity',
    expires: new Date(Date.UTC(2030, 0, 1)),
    storageClass: s.storageClass[0],
    ...(s.acl && { acl: 'private' }),
    ...(s.tagging && { tagging: { project: 'blue sky', team: 'α&β' } }),
    metadata: { author: 'alice', title: TITLE },
  };
}

for (const target of targets) {
  const service = target.local ? target.provider : 's3';
  const s = SERVICES[service];
  for (const mode of ['sts', 'presigned']) {
    test(`${target.id} (${mode}): every option is stored, in one PutObject and in parts`, async () => {
      for (const size of [1000, 6 * MIB + 1]) {
        const key = `options/${target.id}/${mode}/${Date.now()}-${size}.pdf`;
        const run = await uploadInPage(page, {
          key,
          size,
          seed: 7,
          target: target.id,
          presigned: mode === 'presigned',
          object: everyOption(service),
        });
        assert.ok(run.ok, JSON.stringify(run.error));
        assert.equal(run.result.parts, size > 5 * MIB ? 2 : 1);
        const s3 = store();
        const head = await s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
        assert.equal(head.ContentLength, size);
        assert.equal(head.ContentType, 'text/plain; charset=utf-8');
        assert.equal(head.ContentDisposition, DISPOSITION);
        assert.equal(head.CacheControl, 'max-age=3600');
        assert.equal(head.ContentEncoding, 'identity');
        assert.equal(head.ExpiresString, 'Tue, 01 Jan 2030 00:00:00 GMT');
        assert.equal(head.StorageClass, s.storageClass[1]);
        assert.deepEqual(head.Metadata, { author: 'alice', title: s.meta(TITLE) });
        if (s.tagging) {
          const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: target.bucket, Key: key }));
          const tags = Object.fromEntries(TagSet.map((t) => [t.Key, t.Value]));
          assert.deepEqual(tags, { project: 'blue sky', team: 'α&β' });
        }
      }
    });
  }
  if (!s.acl || !s.tagging) {
    test(`${target.id}: an option the service lacks fails at once, naming it`, async () => {
      const lacking = s.acl ? 'tagging' : 'acl';
      const run = await uploadInPage(page, {
        key: `options/${target.id}/lacking-${Date.now()}`,
        size: 10,
        seed: 1,
        target: target.id,
        object: { acl: 'private', tagging: { a: 'b' } },
      });
      assert.equal(run.ok, false);
      assert.equal(run.error.code, 'InvalidInput');
      assert.match(run.error.message, new RegExp(`invalid ${lacking}: is not supported by ${service}`));
    });
  }
}
