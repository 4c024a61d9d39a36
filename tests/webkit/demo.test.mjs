// The demo page in WebKit (WebKitGTK's MiniBrowser over WebDriver), as a person uses it: two files
// picked from disk in its file input upload side by side and are read back exactly from SeaweedFS.
// Screenshots go to test-results/webkit/. Run by scripts/test.sh under xvfb-run.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pseudoRandom, readObject, startDevServer } from '../e2e/browser.mjs';
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

/** The state of the queue row of `key` (`data-state`), once it is `wanted`. */
const state = (page, key, wanted) =>
  page.waitForFunction(
    ([key, wanted]) => document.querySelector(`#queue li[data-key="${key}"]`)?.dataset.state === wanted,
    [key, wanted],
  );

test('two files picked from disk upload side by side and are stored exactly', async (t) => {
  const page = await openWebKit();
  t.after(() => page.close());
  await page.goto(`${origin}/www/`);
  await page.waitForFunction(() => document.body.hasAttribute('data-ready'));
  await page.screenshot({ path: `${shots}demo-1-ready.png` });
  const stamp = Date.now();
  const files = [
    { name: `${stamp}-video.mp4`, buffer: pseudoRandom(21 * MIB + 5, 1) },
    { name: `${stamp}-notes.txt`, buffer: pseudoRandom(3 * MIB + 1, 2) },
  ].map((file) => {
    const path = join(disk, file.name);
    writeFileSync(path, file.buffer);
    return { ...file, path, key: `demo/${file.name}` };
  });
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
