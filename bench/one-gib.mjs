// Uploads one large file from disk through the built package in headless Chromium, to the
// SeaweedFS named by PARTWISE_TEST_* (scripts/seaweedfs.sh start prints them), and reports the
// throughput and the browser's peak resident memory above its idle level.
//   node bench/one-gib.mjs [MiB]      (default 1024; run `npm run build` first)
import { execFileSync } from 'node:child_process';
import { openSync, writeSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { createDevServer } from '../scripts/serve.mjs';

const mib = Number(process.argv[2] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'partwise-bench-'));
const path = join(dir, `${mib}MiB.bin`);
const fd = openSync(path, 'w');
const chunk = randomBytes(16 * 1024 * 1024);
for (let written = 0; written < mib; written += 16) writeSync(fd, chunk, 0, Math.min(16, mib - written) * 1024 * 1024);
closeSync(fd);

/** Resident memory of every Chromium process, in MiB. */
function browserRss() {
  const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).reduce((sum, kb) => sum + Number(kb), 0) / 1024;
}

const server = createDevServer().listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/e2e/blank.html`);
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'file';
    document.body.append(input);
    return import('/pkg/index.js').then((m) => m.preload());
  });
  await page.setInputFiles('#file', path);
  const idle = browserRss();
  let peak = idle;
  const sampler = setInterval(() => { peak = Math.max(peak, browserRss()); }, 250);
  const result = await page.evaluate(async () => {
    const { createUploader } = await import('/pkg/index.js');
    const [{ provider, endpoint, bucket, region }] = await (await fetch('/targets')).json();
    const config = { provider, endpoint, bucket, region };
    const uploader = createUploader({ ...config, credentials: async () => (await fetch('/credentials')).json() });
    const file = document.getElementById('file').files[0];
    const started = performance.now();
    const done = await uploader.upload(file, { key: `bench/${file.name}` }).done;
    return { seconds: (performance.now() - started) / 1000, parts: done.parts, size: done.size };
  });
  clearInterval(sampler);
  const mibPerSecond = result.size / 1048576 / result.seconds;
  console.log(`${mib} MiB in ${result.parts} parts: ${result.seconds.toFixed(1)} s, ${mibPerSecond.toFixed(0)} MiB/s; ` +
    `browser RSS idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (+${(peak - idle).toFixed(0)} MiB)`);
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
