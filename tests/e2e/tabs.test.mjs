// Many tabs, in headless Chromium against the test SeaweedFS: two pages of one browser context
// (shared IndexedDB and Web Locks) uploading the same file to the same key, another file given
// for a key whose upload is stored, and (without Web Locks) two files that differ only inside
// part 2 completing one upload. Bytes are always read back.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFaultProxy } from '../../scripts/fault-proxy.mjs';
import {
  abortUnfinished,
  launchChromium,
  md5,
  pseudoRandom,
  readObject,
  startDevServer,
  throttleUploads,
  unfinishedUploads,
  uploadInPage,
} from './browser.mjs';

const MIB = 1024 * 1024;
let server;
let browser;
let blank;

before(async () => {
  ({ server, blank } = await startDevServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** The part numbers of `page`'s UploadPart requests (`sent`) and of those answered 200 (`stored`). */
function countParts(page) {
  const parts = { sent: [], stored: [] };
  const number = (url) => Number(new URL(url).searchParams.get('partNumber'));
  page.on(
    'request',
    (r) => r.method() === 'PUT' && r.url().includes('partNumber=') && parts.sent.push(number(r.url())),
  );
  page.on('response', (r) => {
    const request = r.request();
    if (request.method() === 'PUT' && request.url().includes('partNumber=') && r.status() === 200)
      parts.stored.push(number(request.url()));
  });
  return parts;
}

for (const stop of ['closes', 'pauses']) {
  test(`a second tab uploading the same file to the same key waits until the first ${stop}, then sends only the parts left`, async () => {
    const context = await browser.newContext();
    const [first, second] = [await context.newPage(), await context.newPage()];
    await Promise.all([first.goto(blank), second.goto(blank)]);
    const [firstParts, secondParts] = [countParts(first), countParts(second)];
    await throttleUploads(first, 8 * MIB);
    await throttleUploads(second, 8 * MIB);
    const key = `tabs/same-${stop}-${Date.now()}.bin`;
    const size = 23 * MIB + 5;
    const spec = { key, size, seed: 41, options: { concurrency: 1 } };
    // Both tabs upload at once; the first stops after two parts: its tab closes, or it pauses.
    const firstRun = uploadInPage(first, stop === 'pauses' ? { ...spec, pauseAfterParts: 2 } : spec).catch((error) => ({
      closed: String(error),
    }));
    while (firstParts.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const secondRun = uploadInPage(second, spec);
    while (firstParts.stored.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(secondParts.sent.length, 0, 'the second tab sends nothing while the first uploads');
    if (stop === 'closes') await first.close();
    else assert.ok((await firstRun).paused, 'the first tab paused');
    const run = await secondRun;
    assert.ok(run.ok, JSON.stringify(run.error));
    assert.deepEqual(run.events.states, ['uploading', 'waiting', 'uploading', 'complete']);
    const again = secondParts.sent.filter((n) => firstParts.stored.includes(n));
    assert.deepEqual(again, [], `the second tab sent ${secondParts.sent}; the first stored ${firstParts.stored}`);
    assert.equal(run.result.parts, 5);
    assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 41)), 'the object is the file');
    await abortUnfinished(key);
    await context.close();
  });
}

test('another file for a key with a stored upload aborts that upload and fires replaced', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(blank);
  const key = `tabs/replaced-${Date.now()}.bin`;
  const size = 12 * MIB;
  const first = await uploadInPage(page, { key, size, seed: 42, pauseAfterParts: 1, options: { concurrency: 1 } });
  assert.ok(first.ok && first.paused, JSON.stringify(first));
  const [old] = await unfinishedUploads(key);
  assert.ok(old, 'the first file has an upload on the server');
  const run = await uploadInPage(page, { key, size, seed: 43 });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.deepEqual(run.events.replaced, [{ key, uploadId: old.uploadId }]);
  const listed = (await unfinishedUploads(key)).map((u) => u.uploadId);
  assert.ok(!listed.includes(old.uploadId), `the old upload is still listed: ${listed}`);
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 43)), 'the object is the new file');
  await abortUnfinished(key);
  await context.close();
});

test('without Web Locks, two files that differ inside part 2 in one upload: one tab completes with its own bytes, the other gets IntegrityError, never a success', async () => {
  const proxy = await startFaultProxy({ upstream: process.env.PARTWISE_TEST_ENDPOINT, lifetimeMs: 5 * 60_000 });
  const context = await browser.newContext();
  // As in a browser without Web Locks: both tabs take the same checkpoint.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  const [first, second] = [await context.newPage(), await context.newPage()];
  await Promise.all([first.goto(blank), second.goto(blank)]);
  const secondParts = countParts(second);
  const key = `tabs/two-files-${Date.now()}.bin`;
  const size = 12 * MIB;
  const flipByte = 5 * MIB + 1000; // inside part 2, away from the fingerprint's sampled ends
  const firstFile = pseudoRandom(size, 44);
  const secondFile = Buffer.from(firstFile);
  secondFile[flipByte] ^= 0xff;
  try {
    // The first tab's part 3 is held in the proxy until the second tab, which takes the stored
    // upload, has stored its own part 2 and part 3; every Complete waits 10 s. Which part 2 the
    // store completes with is its own choice (SeaweedFS keeps both and lists the one it uses last).
    proxy.setRules([
      { method: 'PUT', query: 'partNumber=3', limit: 1, faults: ['hold'] },
      { method: 'POST', query: 'uploadId', faults: ['stall'], stallMs: 10_000 },
    ]);
    const spec = { key, size, seed: 44, endpoint: proxy.url, quickRetries: false, abortOnFailure: false };
    const firstRun = uploadInPage(first, { ...spec, options: { concurrency: 1 } });
    while ((await first.evaluate(() => window.partsUploaded ?? 0)) < 2)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const secondRun = uploadInPage(second, { ...spec, flipByte });
    while (!(secondParts.stored.includes(2) && secondParts.stored.includes(3)))
      await new Promise((resolve) => setTimeout(resolve, 20));
    proxy.release();
    const runs = await Promise.all([firstRun, secondRun]);
    assert.deepEqual(secondParts.sent.sort(), [2, 3], 'the second tab kept part 1 (the same bytes)');
    const winners = [0, 1].filter((i) => runs[i].ok);
    assert.equal(winners.length, 1, `exactly one tab completes: ${JSON.stringify(runs.map((r) => r.error))}`);
    const [winner] = winners;
    const loser = runs[1 - winner];
    assert.ok(loser.isPartwiseError, JSON.stringify(loser));
    assert.equal(loser.error.code, 'IntegrityError', JSON.stringify(loser.error));
    assert.match(loser.error.message, /part 2/);
    const stored = md5(await readObject(key));
    assert.equal(stored, md5([firstFile, secondFile][winner]), 'the object holds the file of the tab that completed');
    console.log(`${['first', 'second'][winner]} tab completed; the other: ${loser.error.message}`);
  } finally {
    proxy.close();
    await abortUnfinished(key);
    await context.close();
  }
});
