// Every service end to end in Chromium: the local SeaweedFS (S3) and the local OSS, OBS, NOS and
// KS3 gateways (scripts/gateway/, signatures checked by the vendors' SDKs), each in STS mode
// (partwise signs) and presigned mode (the vendor SDK presigns in the development backend):
// 0 B, one part and three parts; a wrong secret; a corrupted part body; OSS's and KS3's object
// CRC-64/ECMA (checked on every upload, a wrong one answered by the fault proxy); and for the gateways a
// reload mid-upload resumed through ListParts pages (PARTWISE_GATEWAY_PAGE=2) with no finished
// part sent again, listUploads() across pages and abortUpload(), an expired session token
// (SeaweedFS: the same in checkpoints, api and expiry.test.mjs). Objects are read back with the
// vendor's SDK (tests/gateway/read_object.py). Prints one line per service.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readTargets } from '../../scripts/backend/targets.mjs';
import { startFaultProxy } from '../../scripts/fault-proxy.mjs';
import {
  launchChromium,
  md5,
  pseudoRandom,
  readWithSdk,
  startDevServer,
  throttleUploads,
  uploadInPage,
} from './browser.mjs';

const MIB = 1024 * 1024;
const targets = readTargets().filter((t) => t.id === 'seaweedfs' || t.local);
const summary = new Map(targets.map((t) => [t.id, { modes: new Set(), passed: 0, failed: 0 }]));
let server;
let browser;
let page;
let blank;

before(async () => {
  ({ server, blank } = await startDevServer());
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(blank);
});

after(async () => {
  await browser?.close();
  server?.close();
  for (const [id, s] of summary)
    console.log(`service ${id}: modes ${[...s.modes].join('+')}; ${s.passed} cases passed, ${s.failed} failed`);
});

/** A test of one service, counted in the summary. */
function serviceTest(target, mode, name, body) {
  test(`${target.id} (${mode}): ${name}`, async () => {
    const s = summary.get(target.id);
    s.modes.add(mode);
    try {
      await body();
      s.passed += 1;
    } catch (error) {
      s.failed += 1;
      throw error;
    }
  });
}

/** The gateway's latest requests: {operation, key, partNumber, status, code}. */
async function gatewayLog(target) {
  return (await fetch(new URL('/_requests', target.endpoint))).json();
}

/** The gateway's log once no request has been added to it for half a second. */
async function settledLog(target) {
  let log = await gatewayLog(target);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await gatewayLog(target);
    if (now.length === log.length) return now;
    log = now;
  }
}

const unique = (target, name) => `services/${target.id}/${Date.now()}-${name}`;

async function uploadsExactly(target, mode, size, seed, extra = {}) {
  const key = unique(target, `${size}.bin`);
  const run = await uploadInPage(page, {
    key,
    size,
    seed,
    target: target.id,
    presigned: mode === 'presigned',
    ...extra,
  });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(md5(await readWithSdk(target, key)), md5(pseudoRandom(size, seed)), 'the stored object is the file');
  return run;
}

for (const target of targets) {
  for (const mode of ['sts', 'presigned']) {
    serviceTest(target, mode, '0 B, one part and three parts, byte-exact', async () => {
      for (const [i, size] of [0, 3 * MIB + 7, 12 * MIB + 5].entries())
        await uploadsExactly(target, mode, size, 40 + i);
    });

    if (!target.local) continue; // SeaweedFS: resume and lists are covered by checkpoints.test.mjs and api.test.mjs
    serviceTest(
      target,
      mode,
      'a reload mid-upload resumes through paged ListParts, no finished part sent twice',
      async () => {
        const key = unique(target, 'reload.bin');
        const size = 26 * MIB + 3;
        const spec = {
          key,
          size,
          seed: 50,
          target: target.id,
          presigned: mode === 'presigned',
          options: { concurrency: 2 },
        };
        const first = await uploadInPage(page, { ...spec, pauseAfterParts: 3 });
        assert.ok(first.ok && first.paused, JSON.stringify(first));
        // Requests the pause cut off may still be landing: wait until the gateway's log holds still.
        const settled = await settledLog(target);
        const before = settled.length;
        const finished = new Set(
          settled
            .filter((r) => r.key === key && r.operation === 'uploadPart' && r.status === 200)
            .map((r) => r.partNumber),
        );
        await page.reload();
        const again = await uploadInPage(page, spec);
        assert.ok(again.ok, JSON.stringify(again.error));
        const second = (await gatewayLog(target)).slice(before).filter((r) => r.key === key);
        const resent = second.filter((r) => r.operation === 'uploadPart' && finished.has(r.partNumber));
        assert.deepEqual(resent, [], `parts finished before the reload (${[...finished]}) were not sent again`);
        const pages = second.filter((r) => r.operation === 'listParts' && r.status === 200).length;
        assert.ok(pages >= 2, `ListParts read ${finished.size} parts in ${pages} pages`);
        assert.equal(md5(await readWithSdk(target, key)), md5(pseudoRandom(size, 50)));
      },
    );

    serviceTest(target, mode, 'listUploads() reads every page; abortUpload() aborts each', async () => {
      const prefix = unique(target, 'list/');
      for (const i of [1, 2, 3]) {
        const run = await uploadInPage(page, {
          key: `${prefix}${i}.bin`,
          size: 11 * MIB,
          seed: 60 + i,
          target: target.id,
          presigned: mode === 'presigned',
          pauseAfterParts: 1,
          options: { concurrency: 1 },
        });
        assert.ok(run.ok && run.paused, JSON.stringify(run));
      }
      const before = (await gatewayLog(target)).length;
      const outcome = await page.evaluate(
        async ({ targetId, presigned, prefix }) => {
          const { createUploader } = await import('/pkg/index.js');
          const target = (await (await fetch('/targets')).json()).find((t) => t.id === targetId);
          const uploader = createUploader({
            provider: target.provider,
            endpoint: target.endpoint,
            bucket: target.bucket,
            region: target.region,
            ...(presigned
              ? {
                  presign: async (r) =>
                    (await fetch(`/presign?target=${targetId}`, { method: 'POST', body: JSON.stringify(r) })).json(),
                }
              : { credentials: async () => (await fetch(`/credentials?target=${targetId}`)).json() }),
          });
          const listed = await uploader.listUploads({ prefix });
          for (const u of listed) await uploader.abortUpload(u);
          return { listed: listed.map((u) => u.key).sort(), left: (await uploader.listUploads({ prefix })).length };
        },
        { targetId: target.id, presigned: mode === 'presigned', prefix },
      );
      assert.deepEqual(
        outcome.listed,
        [1, 2, 3].map((i) => `${prefix}${i}.bin`),
      );
      assert.equal(outcome.left, 0, 'every upload was aborted');
      const log = (await gatewayLog(target)).slice(before);
      assert.ok(log.filter((r) => r.operation === 'listMultipartUploads').length >= 2, 'the list took several pages');
      assert.equal(log.filter((r) => r.operation === 'abortMultipartUpload' && r.status < 300).length, 3);
    });
  }
}

for (const target of targets) {
  serviceTest(
    target,
    'sts',
    'a wrong secret fails as ProviderError with the service code and request id, no retry storm',
    async () => {
      await page.evaluate((id) => {
        window.wrongSecret = async () => {
          const c = await (await fetch(`/credentials?target=${id}`)).json();
          return { ...c, secretAccessKey: `${c.secretAccessKey}x` };
        };
      }, target.id);
      const before = target.local ? (await gatewayLog(target)).length : 0;
      const run = await uploadInPage(page, {
        key: unique(target, 'wrong-secret.bin'),
        size: 12 * MIB,
        seed: 70,
        target: target.id,
        credentialsFunction: 'wrongSecret',
        abortOnFailure: false,
      });
      assert.ok(!run.ok && run.isPartwiseError, JSON.stringify(run));
      assert.equal(run.error.code, 'ProviderError');
      assert.equal(run.error.providerCode, 'SignatureDoesNotMatch');
      assert.ok(run.error.requestId, 'the request id is reported');
      assert.equal(run.error.status, 403);
      assert.ok(run.retries.length <= 1, `retried ${JSON.stringify(run.retries)}`);
      if (target.local) {
        const sent = (await gatewayLog(target)).length - before;
        assert.ok(sent <= 3, `${sent} requests reached the service`);
      }
    },
  );

  serviceTest(target, 'sts', 'a part body corrupted on the way is refused by Content-MD5 and sent again', async () => {
    const proxy = await startFaultProxy({ upstream: target.endpoint, lifetimeMs: 5 * 60_000 });
    try {
      proxy.setRules([{ method: 'PUT', query: 'partNumber', limit: 1, faults: ['corrupt-body'] }], 7);
      const run = await uploadsExactly(target, 'sts', 12 * MIB + 1, 72, { endpoint: proxy.url });
      assert.equal(proxy.stats.faults['corrupt-body'], 1);
      assert.equal(run.retries.length, 1, JSON.stringify(run.retries));
      assert.match(run.retries[0].code, /BadDigest|InvalidDigest/);
    } finally {
      proxy.close();
    }
  });

  if (['oss', 'ks3'].includes(target.provider))
    serviceTest(
      target,
      'sts',
      "the object's CRC-64/ECMA after Complete: another one is an IntegrityError",
      async () => {
        const proxy = await startFaultProxy({ upstream: target.endpoint, lifetimeMs: 5 * 60_000 });
        try {
          proxy.setRules([{ method: 'POST', query: 'uploadId', faults: ['wrong-crc'] }]);
          const key = unique(target, 'wrong-crc.bin');
          const run = await uploadInPage(page, {
            key,
            size: 11 * MIB,
            seed: 73,
            target: target.id,
            endpoint: proxy.url,
          });
          assert.equal(proxy.stats.faults['wrong-crc'], 1);
          assert.ok(!run.ok && run.isPartwiseError, JSON.stringify(run));
          assert.equal(run.error.code, 'IntegrityError');
          assert.match(run.error.message, /CRC64ECMA/);
          assert.equal(run.checkpointKept, false, "the spent upload's checkpoint goes");
        } finally {
          proxy.close();
        }
      },
    );

  // SeaweedFS's sessions last at least 15 minutes: its expiry is tested by expiry.test.mjs.
  if (!target.local) continue;

  serviceTest(target, 'sts', 'an expired session token: one shared refresh and the upload goes on', async () => {
    const slow = await browser.newPage();
    await slow.goto(blank);
    await throttleUploads(slow, 3 * MIB);
    await slow.evaluate((id) => {
      window.fetched = 0;
      // Sessions of 3 s that claim an hour: only the service's answer can tell them over.
      window.shortCredentials = async () => {
        window.fetched += 1;
        const c = await (await fetch(`/credentials?target=${id}&durationSeconds=3`)).json();
        return { ...c, expiration: new Date(Date.now() + 3600_000).toISOString() };
      };
    }, target.id);
    const key = unique(target, 'expired-token.bin');
    const size = 16 * MIB + 9;
    const run = await uploadInPage(slow, {
      key,
      size,
      seed: 71,
      target: target.id,
      credentialsFunction: 'shortCredentials',
    });
    const fetched = await slow.evaluate(() => window.fetched);
    await slow.close();
    assert.ok(run.ok, JSON.stringify(run.error));
    // OSS: SecurityTokenExpired; OBS: InvalidAccessKeyId ("The security token is invalid"); NOS, KS3: ExpiredToken.
    const expired = run.retries.filter((r) => /Expired|InvalidAccessKeyId/.test(r.code));
    assert.ok(expired.length >= 1, `the service refused an expired token: ${JSON.stringify(run.retries)}`);
    const sessions = Math.ceil(run.ms / 3000) + 1;
    assert.ok(fetched >= 2 && fetched <= sessions, `${fetched} credential requests in ${Math.round(run.ms)} ms`);
    assert.equal(md5(await readWithSdk(target, key)), md5(pseudoRandom(size, 71)));
  });
}

// The second scheme of OSS (V1) and KS3 (V2), signed by partwise and presigned by the vendor's SDK.
for (const [id, signature] of [
  ['oss-local', 'oss-v1'],
  ['ks3-local', 'ks3-v2'],
]) {
  const target = targets.find((t) => t.id === id);
  if (!target) continue;
  for (const mode of ['sts', 'presigned'])
    serviceTest(target, mode, `${signature}: three parts, byte-exact`, () =>
      uploadsExactly(target, mode, 12 * MIB + 11, 80, { signature }),
    );
}
