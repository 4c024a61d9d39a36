// The same two figures in every browser engine the tests run: MD5 in one hashing Worker and an
// upload of the comparison file (partwise STS, MD5), in headless Firefox ESR and WebKitGTK through
// WebDriver (tests/webkit/webkit.mjs); Chromium's come from the main cases. An engine that is slow
// shows here. WebKit needs an X display: `npm run bench` runs under xvfb-run.
import { openFirefox, openWebKit } from '../tests/webkit/webkit.mjs';
import { median } from './system.mjs';

const MIB = 1024 * 1024;
const ENGINES = { Firefox: openFirefox, WebKit: openWebKit };

/** `{engine: {userAgent, md5MbPerSecond, uploadMbPerSecond}}` over `runs` runs each. */
export async function engineFigures({ origin, file, poolPath, runs, hashMib, sizeMib, remove, log }) {
  const figures = {};
  for (const [engine, open] of Object.entries(ENGINES)) {
    const page = await open();
    try {
      await page.goto(`${origin}/bench/page.html?pool=${encodeURIComponent(poolPath)}`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      await page.evaluate(() => window.bench.preload());
      await page.setInputFiles('#file', file);
      const md5 = [];
      const upload = [];
      for (let run = 1; run <= runs; run += 1) {
        const hashSeconds = await page.evaluate(
          async ({ bytes }) => {
            const blob = document.getElementById('file').files[0].slice(0, bytes);
            const started = performance.now();
            await window.bench.hashers['partwise, 1 Worker'](blob);
            return (performance.now() - started) / 1000;
          },
          { bytes: hashMib * MIB },
        );
        md5.push((hashMib * 1.048576) / hashSeconds);
        const key = `bench/${engine}/${run}`;
        const uploadSeconds = await page.evaluate(async (key) => {
          const started = performance.now();
          await window.bench.uploads['partwise STS, MD5'](document.getElementById('file').files[0], key);
          return (performance.now() - started) / 1000;
        }, key);
        await remove(key);
        upload.push((sizeMib * 1.048576) / uploadSeconds);
        log(`run ${run} · ${engine}: MD5 ${md5.at(-1).toFixed(0)} MB/s, upload ${upload.at(-1).toFixed(0)} MB/s`);
      }
      figures[engine] = {
        userAgent: await page.evaluate(() => navigator.userAgent),
        md5MbPerSecond: median(md5),
        uploadMbPerSecond: median(upload),
      };
    } finally {
      await page.close();
    }
  }
  return figures;
}
