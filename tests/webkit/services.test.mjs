// The three-part upload of every service in Firefox and WebKit (WebDriver), in STS mode (partwise
// signs in the engine) and presigned mode (the vendor SDK presigns), read back with the vendor's
// SDK: the local OSS, OBS, NOS and KS3 gateways (OSS and KS3 with their CRC-64/ECMA checked) and
// the local SeaweedFS, there also with S3's CRC64NVME. Run under xvfb-run.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readTargets } from '../../scripts/backend/targets.mjs';
import { md5, pseudoRandom, readWithSdk, startDevServer, uploadInPage } from '../e2e/browser.mjs';
import { openFirefox, openWebKit } from './webkit.mjs';

const MIB = 1024 * 1024;
const targets = readTargets().filter((t) => t.id === 'seaweedfs' || t.local);
const engines = { Firefox: openFirefox, WebKit: openWebKit };
let server;
let blank;

before(async () => {
  ({ server, blank } = await startDevServer());
});

after(() => server?.close());

for (const [engine, open] of Object.entries(engines)) {
  test(`${engine}: three parts to every service, both modes, byte-exact; CRC64NVME on SeaweedFS`, async () => {
    const page = await open();
    try {
      await page.goto(blank);
      for (const target of targets) {
        for (const presigned of [false, true]) {
          const key = `services/${engine}/${target.id}-${presigned ? 'presigned' : 'sts'}-${Date.now()}.bin`;
          const size = 12 * MIB + 3;
          const run = await uploadInPage(page, { key, size, seed: 90, target: target.id, presigned });
          assert.ok(run.ok, `${target.id} ${presigned ? 'presigned' : 'sts'}: ${JSON.stringify(run.error)}`);
          assert.equal(
            md5(await readWithSdk(target, key)),
            md5(pseudoRandom(size, 90)),
            `${target.id}: the object is the file`,
          );
        }
      }
      // S3's CRC64NVME, hashed without MD5 in the engine's Workers and checked on Complete.
      const key = `services/${engine}/seaweedfs-crc64nvme-${Date.now()}.bin`;
      const run = await uploadInPage(page, { key, size: 12 * MIB + 5, seed: 91, options: { checksum: 'crc64nvme' } });
      assert.ok(run.ok, `crc64nvme: ${JSON.stringify(run.error)}`);
      assert.equal(md5(await readWithSdk(targets[0], key)), md5(pseudoRandom(12 * MIB + 5, 91)));
    } finally {
      await page.close();
    }
  });
}
