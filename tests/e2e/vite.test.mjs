// The package as an app gets it from npm, in a Vite-built app: `npm pack` → unpacked into the
// example app's node_modules → `vite build` → the built page, served by `vite preview`, uploads a
// file chosen through <input type=file> with credentials from the development backend.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { launchChromium, pseudoRandom, readObject } from './browser.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let app;
let server;
let browser;

before(async () => {
  app = mkdtempSync(join(tmpdir(), 'partwise-vite-'));
  for (const file of ['index.html', 'main.js', 'package.json'])
    cpSync(join(repo, 'examples/vite', file), join(app, file));
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', app], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  const installed = join(app, 'node_modules/partwise');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(app, filename), '-C', installed, '--strip-components=1']);

  process.env.VITE_PARTWISE_ENDPOINT = process.env.PARTWISE_TEST_ENDPOINT;
  process.env.VITE_PARTWISE_BUCKET = process.env.PARTWISE_TEST_BUCKET;
  process.env.VITE_PARTWISE_BACKEND = process.env.PARTWISE_TEST_BACKEND;
  await build({ root: app, logLevel: 'warn', configFile: false });
  server = await preview({ root: app, configFile: false, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1' } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

test('the Vite build emits the wasm module as an asset', () => {
  const assets = readdirSync(join(app, 'dist/assets'));
  assert.ok(
    assets.some((name) => name.endsWith('.wasm')),
    assets.join(', '),
  );
});

test('the Vite-built app uploads a file chosen in the page', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.resolvedUrls.local[0]);
  const bytes = pseudoRandom(7 * 1024 * 1024 + 11, 99);
  const name = `vite-${Date.now()}.bin`;
  await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForSelector('#status[data-state]');
  const state = await page.getAttribute('#status', 'data-state');
  assert.equal(state, 'complete', await page.textContent('#status'));
  assert.deepEqual(errors, []);
  const stored = await readObject(`vite-example/${name}`);
  assert.ok(stored.equals(bytes), 'the stored object equals the file');
});
