// The demo page in WebKit (WebKitGTK's MiniBrowser over WebDriver), as a person uses it: two files
// picked from disk in its file input upload side by side, and a reload mid-upload is continued by
// picking the file again (WebKit has no File System Access API, so the demo keeps no file handle).
// Objects are read back exactly from SeaweedFS; screenshots go to test-results/webkit/. Run by
// scripts/test.sh under xvfb-run.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pseudoRandom, readObject, startDevServer, unfinishedUploads } from '../e2e/browser.mjs';
import { openWebKit } from './webkit.mjs';

const MIB = 1024 * 1024;
const shots = fileURLToPath(new URL('../../test-results/webkit/', import.meta.url));
let server;
let origin;
let disk;

before(async () => {
  mkdirSync(shots, { recursive: true });
  disk = mkdtempSync(join(tmpdir(), 'partwise-webkit-demo-'));
  ({ server, origin } = await startDevServer());
});

after(async () => {
  server?.close();
  rmSync(disk, { recursive: true, force: true });
});

/** Resolves once the queue row of `key` is in state `wanted`. */
const state = (page, key, wanted) =>
  page.waitForFunction(
    ([key, wanted]) => document.querySelector(`#queue li[data-key="${key}"]`)?.dataset.state === wanted,
    [key, wanted],
  );

/** The demo, ready, in a fresh MiniBrowser closed when test `t` ends. */
async function openDemo(t) {
  const page = await openWebKit();
  t.after(() => page.close());
  await page.goto(`${origin}/www/`);
  await page.waitForFunction(() => document.body.hasAttribute('data-ready'));
  return page;
}

/** A file on disk, as a person picks it. */
function onDisk(name, buffer) {
  const path = join(disk, name);
  writeFileSync(path, buffer);
  return { name, buffer, path, key: `demo/${name}` };
}

test('two files picked from disk upload side by side and are stored exactly', async (t) => {
  const page = await openDemo(t);
  await page.screenshot({ path: `${shots}demo-1-ready.png` });
  const stamp = Date.now();
  const files = [
    onDisk(`${stamp}-video.mp4`, pseudoRandom(21 * MIB + 5, 1)),
    onDisk(`${stamp}-notes.txt`, pseudoRandom(3 * MIB + 1, 2)),
  ];
  await page.setInputFiles(
    '#files',
    files.map((f) => f.path),
  );
  for (const file of files) await state(page, file.key, 'complete');
  await page.screenshot({ path: `${shots}demo-2-complete.png` });
  for (const file of files)
    assert.ok((await readObject(file.key)).equals(file.buffer), `${file.name} is stored exactly`);
  assert.match(await page.textContent('#summary'), /2 of 2 done/);
  const { errors } = await page.recorded();
  assert.deepEqual(errors, []);
});

test('after a reload mid-upload, picking the file again continues the same upload', async (t) => {
  const page = await openDemo(t);
  // Large enough to be mid-upload at the reload: nothing slows the demo's uploads down here.
  const file = onDisk(`${Date.now()}-reloaded.bin`, pseudoRandom(160 * MIB + 7, 4));
  await page.setInputFiles('#files', file.path);
  await page.waitForFunction(
    (key) => Number(document.querySelector(`#queue li[data-key="${key}"]`)?.dataset.partsDone ?? 0) >= 2,
    file.key,
  );
  await page.reload();
  await page.waitForFunction(() => document.body.hasAttribute('data-ready'));
  const entry = `#resumable li[data-key="${file.key}"]`;
  await page.waitForFunction((entry) => document.querySelector(entry), entry);
  assert.match(await page.textContent(entry), /choose the same file to continue/);
  const [open] = await unfinishedUploads(file.key);
  assert.ok(open, 'the upload is open on the server');
  await page.screenshot({ path: `${shots}demo-3-resumable-after-reload.png` });
  // The button opens the file input, as for a person; WebDriver then picks the file in it.
  await page.click(`${entry} button[aria-label="Choose ${file.name} to continue"]`);
  await page.setInputFiles('#pick-again', file.path);
  await state(page, file.key, 'complete');
  assert.ok((await readObject(file.key)).equals(file.buffer), 'the continued object is the file');
  assert.deepEqual(await unfinishedUploads(file.key), [], `upload ${open.uploadId} was completed, not left behind`);
  await page.waitForFunction((entry) => !document.querySelector(entry), entry); // no longer resumable
});
