// The demo page end to end, as a person uses it: files chosen in the page, the queue's buttons,
// a reload mid-upload and the "continue" list, cancel, an error explained, the local service
// emulations in the service selector. Every stored object is read back (from SeaweedFS, or with
// the vendor's SDK) and compared. Screenshots of each state go to test-results/demo/.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readTargets } from '../../scripts/backend/targets.mjs';
import {
  launchChromium,
  pseudoRandom,
  readObject,
  readWithSdk,
  startDevServer,
  throttleUploads,
  unfinishedUploads,
} from './browser.mjs';

const MIB = 1024 * 1024;
const shots = fileURLToPath(new URL('../../test-results/demo/', import.meta.url));
let server;
let browser;
let origin;
let disk;

before(async () => {
  mkdirSync(shots, { recursive: true });
  disk = mkdtempSync(join(tmpdir(), 'partwise-demo-'));
  ({ server, origin } = await startDevServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(disk, { recursive: true, force: true });
});

/** A file on disk, as a person picks it: the same name, bytes and date when picked again. */
function onDisk(name, buffer) {
  const path = join(disk, name);
  writeFileSync(path, buffer);
  return { name, path, buffer };
}

/** A fresh page (its own storage) on the demo, ready; `bytesPerSecond` throttles its uploads. */
async function openDemo({ bytesPerSecond = 0, width = 1100 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  if (bytesPerSecond) await throttleUploads(page, bytesPerSecond);
  await page.goto(`${origin}/www/`);
  await page.waitForSelector('body[data-ready]');
  return page;
}

/** The part PUTs the page sends, as `{uploadId, partNumber, status}` once answered. */
function recordParts(page) {
  const parts = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (response.request().method() === 'PUT' && url.searchParams.has('partNumber')) {
      parts.push({
        uploadId: url.searchParams.get('uploadId'),
        partNumber: Number(url.searchParams.get('partNumber')),
        status: response.status(),
      });
    }
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() === 'PUT' && url.searchParams.has('partNumber')) {
      parts.push({
        uploadId: url.searchParams.get('uploadId'),
        partNumber: Number(url.searchParams.get('partNumber')),
        status: 'sent',
      });
    }
  });
  return parts;
}

const row = (page, key) => page.locator(`#queue li[data-key="${key}"]`);
const state = (page, key, wanted, timeout = 60000) =>
  page.waitForSelector(`#queue li[data-key="${key}"][data-state="${wanted}"]`, { timeout });
const partsDone = (page, key, n) =>
  page.waitForFunction(
    ([k, n]) => Number(document.querySelector(`#queue li[data-key="${k}"]`)?.dataset.partsDone ?? 0) >= n,
    [key, n],
  );
const shot = (page, name) => page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
const unique = (name) => `${Date.now()}-${name}`;

test('two files upload side by side and are stored exactly', async () => {
  const page = await openDemo({ bytesPerSecond: 24 * MIB });
  const files = [
    { name: unique('video.mp4'), mimeType: 'video/mp4', buffer: pseudoRandom(21 * MIB + 5, 1) },
    { name: unique('notes.txt'), mimeType: 'text/plain', buffer: pseudoRandom(3 * MIB + 1, 2) },
  ];
  await page.setInputFiles('#files', files);
  await state(page, `demo/${files[0].name}`, 'uploading');
  await partsDone(page, `demo/${files[0].name}`, 1);
  await shot(page, '1-uploading');
  for (const file of files) await state(page, `demo/${file.name}`, 'complete');
  await shot(page, '2-complete');
  for (const file of files)
    assert.ok((await readObject(`demo/${file.name}`)).equals(file.buffer), `${file.name} is stored exactly`);
  assert.match(await page.textContent('#summary'), /2 of 2 done/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('presigned mode, chosen in the page, uploads through URLs the backend signs', async () => {
  const page = await openDemo();
  const presigned = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/presign') presigned.push(request.url());
  });
  await page.getByRole('radio', { name: 'Presigned URLs' }).check();
  assert.match(await page.textContent('#target-hint'), /presigned by the backend/);
  const file = {
    name: unique('presigned.bin'),
    mimeType: 'application/octet-stream',
    buffer: pseudoRandom(18 * MIB + 1, 10),
  };
  await page.setInputFiles('#files', [file]);
  await state(page, `demo/${file.name}`, 'complete');
  assert.ok((await readObject(`demo/${file.name}`)).equals(file.buffer));
  assert.ok(presigned.length >= 5, `initiate, 3 parts and complete were presigned (${presigned.length})`);
  await page.reload();
  await page.waitForSelector('body[data-ready]');
  assert.equal(
    await page.locator('input[name=mode]:checked').getAttribute('value'),
    'presign',
    'the choice is remembered',
  );
  await page.context().close();
});

test('pause stops sending parts; resume finishes the file', async () => {
  const page = await openDemo({ bytesPerSecond: 16 * MIB });
  const parts = recordParts(page);
  const file = { name: unique('paused.bin'), mimeType: 'application/octet-stream', buffer: pseudoRandom(40 * MIB, 3) };
  const key = `demo/${file.name}`;
  await page.setInputFiles('#files', [file]);
  await partsDone(page, key, 1);
  await page.getByRole('button', { name: `Pause ${file.name}` }).click();
  await state(page, key, 'paused');
  const sentWhenPaused = parts.filter((p) => p.status === 'sent').length;
  await page.waitForTimeout(800);
  assert.equal(parts.filter((p) => p.status === 'sent').length, sentWhenPaused, 'no part is sent while paused');
  await shot(page, '3-paused');
  await page.getByRole('button', { name: `Resume ${file.name}` }).click();
  await state(page, key, 'complete');
  assert.ok((await readObject(key)).equals(file.buffer));
  await page.context().close();
});

test('the same file in a second tab shows "In another tab" and goes on when the first tab pauses', async () => {
  const first = await openDemo({ bytesPerSecond: 8 * MIB });
  const second = await first.context().newPage();
  second.errors = [];
  second.on('pageerror', (error) => second.errors.push(error.message));
  await second.goto(`${origin}/www/`);
  await second.waitForSelector('body[data-ready]');
  const file = onDisk(unique('both-tabs.bin'), pseudoRandom(24 * MIB + 3, 9));
  const key = `demo/${file.name}`;
  await first.setInputFiles('#files', [file.path]);
  await partsDone(first, key, 1);
  await second.setInputFiles('#files', [file.path]);
  await state(second, key, 'other-tab');
  assert.match(await row(second, key).textContent(), /another tab of this browser is uploading this file/);
  await shot(second, '3b-other-tab');
  await first.bringToFront();
  await first.getByRole('button', { name: `Pause ${file.name}` }).click();
  await state(second, key, 'complete');
  assert.ok((await readObject(key)).equals(file.buffer), 'stored exactly');
  assert.deepEqual([...first.errors, ...second.errors], []);
  await first.context().close();
});

test('files dropped on the page join the queue', async () => {
  const page = await openDemo();
  const name = unique('dropped.txt');
  const dataTransfer = await page.evaluateHandle((name) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['dropped on the page\n'], name, { type: 'text/plain' }));
    return transfer;
  }, name);
  await page.dispatchEvent('#drop', 'dragover', { dataTransfer });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer });
  await state(page, `demo/${name}`, 'complete');
  assert.equal((await readObject(`demo/${name}`)).toString(), 'dropped on the page\n');
  await page.context().close();
});

test('Pause all, Resume all and Cancel all act on every file, running or waiting', async () => {
  const page = await openDemo({ bytesPerSecond: 8 * MIB });
  const files = [1, 2, 3].map((n) => onDisk(unique(`all-${n}.bin`), pseudoRandom(20 * MIB, 20 + n)));
  const keys = files.map((f) => `demo/${f.name}`);
  await page.setInputFiles(
    '#files',
    files.map((f) => f.path),
  );
  await partsDone(page, keys[0], 1);
  assert.equal(await row(page, keys[2]).getAttribute('data-state'), 'waiting', 'two at a time; the third waits');
  await page.click('#pause-all');
  for (const key of keys) await state(page, key, 'paused');
  await page.click('#resume-all');
  await state(page, keys[0], 'uploading');
  await partsDone(page, keys[1], 1);
  await page.click('#cancel-all');
  for (const key of keys) await state(page, key, 'aborted');
  for (const key of keys) assert.deepEqual(await unfinishedUploads(key), [], `${key} is gone from the server`);
  await page.context().close();
});

test('after a reload mid-upload, choosing the file again resumes it without sending a finished part twice', async () => {
  const page = await openDemo({ bytesPerSecond: 16 * MIB });
  const parts = recordParts(page);
  const file = onDisk(unique('reloaded.bin'), pseudoRandom(48 * MIB + 7, 4));
  const key = `demo/${file.name}`;
  await page.setInputFiles('#files', file.path);
  await partsDone(page, key, 2);
  await page.reload();
  const finished = parts.filter((p) => p.status === 200);
  const sentBefore = parts.length;
  await page.waitForSelector('body[data-ready]');
  const entry = page.locator(`#resumable li[data-key="${key}"]`);
  await entry.waitFor();
  await shot(page, '4-resumable-after-reload');
  const chooser = page.waitForEvent('filechooser');
  await entry.getByRole('button', { name: `Choose ${file.name} to continue` }).click();
  await (await chooser).setFiles(file.path);
  await state(page, key, 'complete');
  const after = parts.slice(sentBefore).filter((p) => p.status === 'sent');
  assertResumed(finished, after);
  assert.ok((await readObject(key)).equals(file.buffer));
  assert.equal(await page.locator(`#resumable li[data-key="${key}"]`).count(), 0, 'no longer listed as resumable');
  assert.deepEqual(await unfinishedUploads(key), []);
  await page.context().close();
});

/** The parts sent after a reload continue the same upload and skip every part finished before it. */
function assertResumed(finished, after) {
  assert.ok(finished.length >= 1, 'parts were finished before the reload');
  assert.ok(after.length > 0, 'the rest was sent after it');
  const [uploadId] = new Set(finished.map((p) => p.uploadId));
  for (const p of after) {
    assert.equal(p.uploadId, uploadId, 'the same upload continues');
    assert.ok(!finished.some((f) => f.partNumber === p.partNumber), `part ${p.partNumber} was sent again`);
  }
}

test('with the File System Access API, a reloaded upload continues without picking the file again', async () => {
  const page = await openDemo({ bytesPerSecond: 16 * MIB });
  const parts = recordParts(page);
  const name = unique('handle.bin');
  const key = `demo/${name}`;
  const bytes = pseudoRandom(30 * MIB + 3, 5);
  // The system picker can't be driven headless: stand in for the person's pick with a handle to a
  // file in the origin's private file system (a real FileSystemFileHandle, kept across reloads).
  await page.evaluate(
    async ({ name, base64 }) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle(name, { create: true });
      const writable = await handle.createWritable();
      await writable.write(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      await writable.close();
      window.showOpenFilePicker = async () => [handle];
    },
    { name, base64: bytes.toString('base64') },
  );
  await page.getByRole('button', { name: 'choose files' }).click();
  await partsDone(page, key, 1);
  await page.reload();
  const finished = parts.filter((p) => p.status === 200);
  const sentBefore = parts.length;
  await page.waitForSelector('body[data-ready]');
  await page
    .locator(`#resumable li[data-key="${key}"]`)
    .getByRole('button', { name: `Continue ${name}` })
    .click();
  await state(page, key, 'complete');
  assertResumed(
    finished,
    parts.slice(sentBefore).filter((p) => p.status === 'sent'),
  );
  assert.ok((await readObject(key)).equals(bytes));
  assert.deepEqual(await unfinishedUploads(key), []);
  await page.context().close();
});

test('cancel aborts the upload on the server', async () => {
  const page = await openDemo({ bytesPerSecond: 16 * MIB });
  const file = {
    name: unique('cancelled.bin'),
    mimeType: 'application/octet-stream',
    buffer: pseudoRandom(40 * MIB, 6),
  };
  const key = `demo/${file.name}`;
  await page.setInputFiles('#files', [file]);
  await partsDone(page, key, 1);
  assert.equal((await unfinishedUploads(key)).length, 1, 'the upload is open on the server');
  await page.getByRole('button', { name: `Cancel ${file.name}` }).click();
  await state(page, key, 'aborted');
  assert.deepEqual(await unfinishedUploads(key), [], 'the server upload is gone');
  await page.waitForFunction((k) => !document.querySelector(`#server-list li[data-key="${k}"]`), key);
  await shot(page, '5-cancelled');
  await page.context().close();
});

test('an unreadable ETag is explained with the CORS rule that fixes it', async () => {
  const page = await openDemo();
  // The store answers a part without exposing its ETag to the page, as a bucket whose CORS rule
  // lacks `ExposeHeader ETag` does.
  await page.route(
    (url) => url.searchParams.has('partNumber'),
    (route) =>
      route.fulfill({
        status: 200,
        headers: { 'access-control-allow-origin': '*', etag: '"0123456789abcdef0123456789abcdef"' },
        body: '',
      }),
  );
  const file = { name: unique('no-etag.bin'), mimeType: 'application/octet-stream', buffer: pseudoRandom(20 * MIB, 7) };
  const key = `demo/${file.name}`;
  await page.setInputFiles('#files', [file]);
  await state(page, key, 'error');
  const problem = row(page, key).locator('.problem');
  assert.match(await problem.textContent(), /can’t read the ETag/);
  assert.match(await problem.textContent(), /<ExposeHeader>ETag<\/ExposeHeader>/);
  await shot(page, '6-error-explained');
  await page.context().close();
});

test('by keyboard alone: Tab reaches the controls, Enter pauses, and focus stays for Enter to resume', async () => {
  const page = await openDemo({ bytesPerSecond: 12 * MIB });
  // 6 parts: with 4 in flight, the first finishes while others are still to send.
  const file = onDisk(unique('keyboard.bin'), pseudoRandom(48 * MIB, 9));
  const key = `demo/${file.name}`;
  const focused = () =>
    page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Skip to the upload area');
  const reached = [];
  for (let i = 0; i < 8 && !reached.includes('choose files'); i += 1) {
    await page.keyboard.press('Tab');
    reached.push(await focused());
  }
  assert.ok(reached.includes('choose files'), `Tab reaches the file button: ${reached.join(' → ')}`);
  await page.setInputFiles('#files', file.path);
  await partsDone(page, key, 1);
  await page.getByRole('button', { name: `Pause ${file.name}` }).focus();
  await page.keyboard.press('Enter');
  await state(page, key, 'paused');
  assert.equal(await focused(), `Resume ${file.name}`, 'focus stays on the same button, now Resume');
  await page.keyboard.press('Enter');
  await state(page, key, 'complete');
  assert.ok((await readObject(key)).equals(file.buffer));
  await page.context().close();
});

test('at phone width every control is on screen', async () => {
  const page = await openDemo({ width: 390, bytesPerSecond: 8 * MIB });
  const file = { name: unique('phone.bin'), mimeType: 'application/octet-stream', buffer: pseudoRandom(12 * MIB, 8) };
  await page.setInputFiles('#files', [file]);
  await state(page, `demo/${file.name}`, 'uploading');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await shot(page, '7-phone');
  await state(page, `demo/${file.name}`, 'complete');
  await page.context().close();
});

test('the service selector offers the local OSS, OBS, NOS and KS3 emulations, each uploading in both modes', async () => {
  const page = await openDemo();
  const locals = readTargets().filter((t) => t.local);
  assert.equal(locals.length, 4, 'the four gateways run');
  const offered = await page.locator('#target option').allTextContents();
  for (const target of locals) {
    assert.match(target.label, /\(local emulation\)$/);
    assert.ok(offered.includes(target.label), `${target.label} is offered (${offered.join(', ')})`);
    await page.selectOption('#target', target.id);
    for (const mode of ['Temporary keys', 'Presigned URLs']) {
      await page.getByRole('radio', { name: mode }).check();
      const file = {
        name: unique(`${target.id}.bin`),
        mimeType: 'application/octet-stream',
        buffer: pseudoRandom(6 * MIB + 5, 11),
      };
      await page.setInputFiles('#files', [file]);
      await state(page, `demo/${file.name}`, 'complete');
      assert.ok((await readWithSdk(target, `demo/${file.name}`)).equals(file.buffer), `${target.id}, ${mode}`);
    }
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
