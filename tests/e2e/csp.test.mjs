// The Content-Security-Policy the package needs, proven on pages under it (csp.html,
// csp-no-workers.html): a strict policy with only 'wasm-unsafe-eval' (to compile the module) and
// `worker-src blob:` (the hashing Workers) added lets an upload run with no violation; without
// `worker-src blob:` uploads still work, hashed on the main thread, and a warning says so.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchChromium, md5, pseudoRandom, readObject, startDevServer, uploadInPage } from './browser.mjs';

const MIB = 1024 * 1024;
let server;
let browser;
let origin;

before(async () => {
  ({ server, origin } = await startDevServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** `page` (csp.html, or csp-no-workers.html without `worker-src blob:`: their meta tags hold the
 * policies), recording its violations, the Workers it starts and its console warnings. */
async function pageUnder(name) {
  const page = await browser.newPage();
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
    window.workersStarted = 0;
    const RealWorker = window.Worker;
    window.Worker = class extends RealWorker {
      constructor(...args) {
        super(...args);
        window.workersStarted += 1;
      }
    };
  });
  await page.goto(`${origin}/tests/e2e/${name}`);
  return { page, warnings };
}

test("under default-src 'self' plus 'wasm-unsafe-eval' and worker-src blob:, uploads run in Workers with no violation", async () => {
  const { page, warnings } = await pageUnder('csp.html');
  const key = `e2e/csp-${Date.now()}.bin`;
  const run = await uploadInPage(page, { key, size: 11 * MIB, seed: 70 });
  const seen = await page.evaluate(() => ({ violations: window.violations, workers: window.workersStarted }));
  await page.close();
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.deepEqual(seen.violations, []);
  assert.ok(seen.workers >= 1, 'parts were hashed in Workers');
  assert.deepEqual(warnings, []);
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 70)));
});

test('without worker-src blob: uploads still complete, hashed on the main thread, and a warning says so', async () => {
  const { page, warnings } = await pageUnder('csp-no-workers.html');
  const key = `e2e/csp-no-workers-${Date.now()}.bin`;
  const run = await uploadInPage(page, { key, size: 11 * MIB, seed: 71 });
  await page.close();
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.ok(
    warnings.some((w) => /Workers are unavailable/.test(w)),
    `a warning names the fallback: ${JSON.stringify(warnings)}`,
  );
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 71)));
});
