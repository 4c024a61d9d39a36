// Temporary credentials that expire every 5 s, from a second SeaweedFS whose STS sessions last 5 s
// (`PARTWISE_STS_DURATION=5s`), during uploads slowed to span several expiries (DevTools upload
// throttling). The page gets its credentials from this process (AssumeRole with the AWS SDK), which
// counts every request for them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { s3Signer } from '../../scripts/backend/s3.mjs';
import { readTargets } from '../../scripts/backend/targets.mjs';
import {
  launchChromium,
  md5,
  pseudoRandom,
  readObject,
  startDevServer,
  throttleUploads,
  uploadInPage,
} from './browser.mjs';

const MIB = 1024 * 1024;
const script = new URL('../../scripts/seaweedfs.sh', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'partwise-expiry-'));
let server;
let browser;
let page;
let short;
let signer;
const fetched = [];
let lie = false;

before(async () => {
  const exports = execFileSync('bash', [script, 'start', dir], {
    encoding: 'utf8',
    env: { ...process.env, PARTWISE_STS_DURATION: '5s' },
  });
  short = Object.fromEntries([...exports.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name, value]));
  [signer] = readTargets(short).map(s3Signer);
  let blank;
  ({ server, blank } = await startDevServer());
  browser = await launchChromium();
  page = await browser.newPage();
  await page.exposeFunction('shortLivedCredentials', async () => {
    fetched.push(Date.now());
    const credentials = await signer.assumeRole();
    // `lie`: claim an hour, so only the server's answer can tell the session is over.
    return lie ? { ...credentials, expiration: new Date(Date.now() + 3600_000).toISOString() } : credentials;
  });
  await page.goto(blank);
  await throttleUploads(page, 4 * MIB);
});

after(async () => {
  await browser?.close();
  server?.close();
  execFileSync('bash', [script, 'stop', dir]);
});

/** Uploads `size` bytes to the short-session store with 4 parts in flight; returns the run and the fetch times. */
async function uploadWithShortSessions(name, size) {
  fetched.length = 0;
  const key = `expiry/${name}-${Date.now()}.bin`;
  const run = await uploadInPage(page, {
    key,
    size,
    seed: 60,
    endpoint: short.PARTWISE_TEST_ENDPOINT,
    credentialsFunction: 'shortLivedCredentials',
    options: { concurrency: 4, retry: { attempts: 10, baseDelayMs: 50, maxDelayMs: 500 } },
  });
  assert.ok(run.ok, `${JSON.stringify(run.error)} after ${JSON.stringify(run.retries)}`);
  assert.equal(md5(await readObject(key, short)), md5(pseudoRandom(size, 60)), 'the object is the file');
  return { run, fetched: [...fetched] };
}

test('credentials lasting 5 s are refreshed before they expire, once per expiry with 4 parts in flight', async () => {
  const { run, fetched: times } = await uploadWithShortSessions('ahead', 60 * MIB);
  const seconds = run.ms / 1000;
  console.log(
    `ahead: ${seconds.toFixed(1)} s, ${times.length} credential requests, retries ${JSON.stringify(run.retries)}`,
  );
  assert.ok(seconds > 12, `the upload spanned several sessions (${seconds.toFixed(1)} s)`);
  assert.ok(times.length >= Math.floor(seconds / 5), 'a new session before each one ran out');
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(
    gaps.every((gap) => gap >= 2000),
    `one refresh per session, never one per part: ${gaps.join(', ')} ms`,
  );
  assert.ok(
    run.retries.filter((r) => r.code === 'InvalidAccessKeyId').length <= 1,
    `expired credentials were rarely used: ${JSON.stringify(run.retries)}`,
  );
});

test('an answer saying the session expired causes one refresh and a retry', async () => {
  lie = true;
  try {
    const { run, fetched: times } = await uploadWithShortSessions('told', 40 * MIB);
    const expired = run.retries.filter((r) => r.code === 'InvalidAccessKeyId');
    console.log(
      `told: ${(run.ms / 1000).toFixed(1)} s, ${times.length} credential requests, ${expired.length} expired-session answers`,
    );
    assert.ok(expired.length >= 1, `the server refused an expired session: ${JSON.stringify(run.retries)}`);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(
      gaps.every((gap) => gap >= 2000),
      `4 refused parts shared one refresh: ${gaps.join(', ')} ms`,
    );
  } finally {
    lie = false;
  }
});
