// `npm run bench`: every contender in the same page, on the same disk-backed File, against the same
// fresh SeaweedFS, in one run; each case BENCH_RUNS times (default 3), medians reported.
// Writes bench/results.json and bench/RESULTS.md. Firefox and WebKit give the per-engine figures
// (bench/engines.mjs). Sizes: BENCH_MIB (default 1024) for the
// comparison, BENCH_BIG_MIB (default 4096) for partwise's memory on a bigger file,
// BENCH_RESUME_PARTS (default 1000) stored parts for the resume case.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { gzipBytes, hashPoolPath, partwiseSizes } from '../scripts/size.mjs';
import { launchChromium, startDevServer, store } from '../tests/e2e/browser.mjs';
import { engineFigures } from './engines.mjs';
import { writeReport } from './report.mjs';
import { machine, median, withPeakRss } from './system.mjs';
import { workerFigures } from './workers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 1024);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 4096);
// The hashers take the first 256 MiB of the file (all of it when BENCH_MIB is smaller).
const HASH_MIB = Math.min(256, SIZE_MIB);
const RESUME_PARTS = Number(process.env.BENCH_RESUME_PARTS ?? 1000);
// BENCH_ONLY=<regex> runs only the matching contenders (for profiling one; the report needs all).
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const chosen = (names) => names.filter((n) => !only || only.test(n));
const log = (...args) => console.log('[bench]', ...args);

/** A file of random bytes on disk. */
function randomFile(dir, mib) {
  const path = join(dir, `${mib}MiB.bin`);
  const fd = openSync(path, 'w');
  const chunk = randomBytes(16 * 1024 * 1024);
  for (let written = 0; written < mib; written += 16)
    writeSync(fd, chunk, 0, Math.min(16, mib - written) * 1024 * 1024);
  closeSync(fd);
  return path;
}

/** The browser bundles: the AWS SDK (minified, as an app would ship it) and the two MD5 libraries. */
async function bundle() {
  const out = join(root, 'bench/.build');
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, minify: true, format: 'esm', platform: 'browser', logLevel: 'error' };
  await build({ ...common, entryPoints: [join(root, 'bench/aws-entry.js')], outfile: join(out, 'aws.js') });
  await build({
    ...common,
    stdin: { contents: "export * from 'hash-wasm';", resolveDir: root },
    outfile: join(out, 'hash-wasm.js'),
  });
  await build({
    ...common,
    stdin: { contents: "export { default } from 'spark-md5';", resolveDir: root },
    outfile: join(out, 'spark-md5.js'),
  });
  return out;
}

/** What each side ships once an app's bundler has minified it: partwise as scripts/size.mjs measures it,
 * the AWS SDK bundle minified by esbuild. */
async function sizes(built) {
  return { ...(await partwiseSizes()), awsSdkGzipBytes: gzipBytes(readFileSync(join(built, 'aws.js'))) };
}

function startStore(dir) {
  const exports = execFileSync('bash', [join(root, 'scripts/seaweedfs.sh'), 'start', dir], { encoding: 'utf8' });
  for (const [, name, value] of exports.matchAll(/^export (\w+)=(.*)$/gm)) process.env[name] = value;
}

const dir = mkdtempSync(join(tmpdir(), 'partwise-bench-'));
const storeDir = join(dir, 'store');
let browser;
let server;
try {
  log('bundling the AWS SDK and the MD5 libraries with esbuild');
  const built = await bundle();
  log(`writing ${SIZE_MIB} MiB and ${BIG_MIB} MiB files of random bytes`);
  const file = randomFile(dir, SIZE_MIB);
  const big = only ? null : randomFile(dir, BIG_MIB);
  startStore(storeDir);
  log(`SeaweedFS at ${process.env.PARTWISE_TEST_ENDPOINT}`);
  const dev = await startDevServer();
  server = dev.server;
  const remove = (key) =>
    store()
      .send(new DeleteObjectCommand({ Bucket: process.env.PARTWISE_TEST_BUCKET, Key: key }))
      .catch(() => {});

  browser = await launchChromium();
  const page = await browser.newPage();
  page.on('pageerror', (error) => log('page error:', error.message));
  page.on('console', (message) => message.type() === 'warning' && log('page:', message.text()));
  await page.addInitScript((path) => {
    window.benchHashPool = path;
  }, `/${hashPoolPath()}`);
  await page.goto(`${dev.origin}/bench/page.html`);
  await page.waitForSelector('body[data-ready]');
  await page.evaluate(() => window.bench.preload());

  /** One upload of the chosen file by `name`: seconds, longest task, RSS growth. */
  async function uploadOnce(name, path, run) {
    await page.setInputFiles('#file', path);
    const key = `bench/${run}/${name.replace(/\W+/g, '-')}`;
    await page.evaluate((name) => window.bench.prepare[name]?.(document.getElementById('file').files[0]), name);
    const { result, idle, peak, peakGrowthByKind } = await withPeakRss(() =>
      page.evaluate(
        async ({ name, key }) => {
          const file = document.getElementById('file').files[0];
          return window.bench.longestTask(() => window.bench.uploads[name](file, key));
        },
        { name, key },
      ),
    );
    await remove(key);
    return { ...result, rssGrowthMiB: peak - idle, rssGrowthByProcessMiB: peakGrowthByKind };
  }

  const names = chosen(await page.evaluate(() => Object.keys(window.bench.uploads)));
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let run = 1; run <= RUNS; run += 1) {
    // A different order each run, so no contender always goes first (cold) or last (warm).
    const order = names.map((_, i) => names[(i + run - 1) % names.length]);
    for (const name of order) {
      const sample = await uploadOnce(name, file, run);
      samples[name].push(sample);
      log(
        `run ${run} · ${name}: ${((SIZE_MIB * 1.048576) / sample.seconds).toFixed(0)} MB/s, +${sample.rssGrowthMiB.toFixed(0)} MiB RSS, longest task ${sample.longestTaskMs.toFixed(0)} ms, by process ${JSON.stringify(sample.rssGrowthByProcessMiB)}`,
      );
    }
  }
  const bigSamples = [];
  for (let run = 1; run <= RUNS && !only; run += 1) {
    const sample = await uploadOnce('partwise STS, MD5', big, `big-${run}`);
    bigSamples.push(sample);
    log(
      `run ${run} · partwise STS, MD5, ${BIG_MIB} MiB: ${((BIG_MIB * 1.048576) / sample.seconds).toFixed(0)} MB/s, +${sample.rssGrowthMiB.toFixed(0)} MiB RSS`,
    );
  }

  await page.setInputFiles('#file', file);
  const hasherNames = chosen(await page.evaluate(() => Object.keys(window.bench.hashers)));
  const hashSamples = Object.fromEntries(hasherNames.map((n) => [n, []]));
  for (let run = 1; run <= RUNS; run += 1) {
    for (const name of hasherNames) {
      const seconds = await page.evaluate(
        async ({ name, mib }) => {
          const blob = document.getElementById('file').files[0].slice(0, mib * 1024 * 1024);
          const started = performance.now();
          await window.bench.hashers[name](blob);
          return (performance.now() - started) / 1000;
        },
        { name, mib: HASH_MIB },
      );
      hashSamples[name].push(seconds);
      log(`run ${run} · hashing ${name}: ${((HASH_MIB * 1.048576) / seconds).toFixed(0)} MB/s`);
    }
  }

  // The same hashing in one Worker over bytes it already holds (no Blob reads).
  const computedNames = chosen(await page.evaluate(() => Object.keys(window.bench.computed)));
  const computeSamples = Object.fromEntries(computedNames.map((n) => [n, []]));
  for (let run = 1; run <= RUNS; run += 1) {
    for (const name of computedNames) {
      const seconds = await page.evaluate(({ name, mib }) => window.bench.computed[name](mib), { name, mib: HASH_MIB });
      computeSamples[name].push(seconds);
      log(`run ${run} · hashing in memory ${name}: ${((HASH_MIB * 1.048576) / seconds).toFixed(0)} MB/s`);
    }
  }

  const workers =
    !only || only.test('workers')
      ? await workerFigures({ browser, origin: dev.origin, poolPath: `/${hashPoolPath()}`, runs: RUNS, log })
      : null;

  const engines =
    !only || only.test('engines')
      ? await engineFigures({
          origin: dev.origin,
          file,
          poolPath: `/${hashPoolPath()}`,
          runs: RUNS,
          hashMib: HASH_MIB,
          sizeMib: SIZE_MIB,
          remove,
          log,
        })
      : {};

  // Resume: a checkpoint of RESUME_PARTS stored 5 MiB parts, then each run reloads the page and
  // times upload() → the first part request (the first new part), and pauses again.
  const resumeSamples = [];
  if (!only || only.test('resume')) {
    const resumeFile = randomFile(dir, RESUME_PARTS * 5 + 40);
    const key = 'bench/resume';
    await page.setInputFiles('#file', resumeFile);
    log(`storing ${RESUME_PARTS} parts of 5 MiB for the resume case`);
    const stored = await page.evaluate(
      async ({ key, parts }) => window.bench.resume.storeParts(document.getElementById('file').files[0], key, parts),
      { key, parts: RESUME_PARTS },
    );
    log(`checkpoint with ${stored} parts stored`);
    for (let run = 1; run <= RUNS; run += 1) {
      await page.reload();
      await page.waitForSelector('body[data-ready]');
      await page.evaluate(() => window.bench.preload());
      await page.setInputFiles('#file', resumeFile);
      const sample = await page.evaluate(
        async (key) => window.bench.resume.resumeToFirstByte(document.getElementById('file').files[0], key),
        key,
      );
      resumeSamples.push(sample);
      log(
        `run ${run} · resume with ${sample.keptParts} parts kept: first part request (part ${sample.firstPartSent}) after ${sample.ms.toFixed(0)} ms`,
      );
    }
    await page.evaluate((key) => window.bench.resume.forget(key), key);
  }

  const summarize = (list, mib) => ({
    mbPerSecond: median(list.map((s) => (mib * 1.048576) / s.seconds)),
    rssGrowthMiB: median(list.map((s) => s.rssGrowthMiB)),
    longestTaskMs: median(list.map((s) => s.longestTaskMs)),
    runs: list,
  });
  const results = {
    date: new Date().toISOString(),
    machine: machine(),
    browser: browser.version(),
    runs: RUNS,
    fileMiB: SIZE_MIB,
    bigFileMiB: BIG_MIB,
    partSizeMiB: 8,
    concurrency: 4,
    uploads: Object.fromEntries(names.map((n) => [n, summarize(samples[n], SIZE_MIB)])),
    bigUpload: summarize(bigSamples, BIG_MIB),
    md5: Object.fromEntries(
      hasherNames.map((n) => [
        n,
        { mbPerSecond: median(hashSamples[n].map((s) => (HASH_MIB * 1.048576) / s)), seconds: hashSamples[n] },
      ]),
    ),
    md5MiB: HASH_MIB,
    computed: Object.fromEntries(
      computedNames.map((n) => [
        n,
        { mbPerSecond: median(computeSamples[n].map((s) => (HASH_MIB * 1.048576) / s)), seconds: computeSamples[n] },
      ]),
    ),
    workers,
    resume: { firstByteMs: median(resumeSamples.map((s) => s.ms)), runs: resumeSamples },
    engines,
    sizes: await sizes(built),
  };
  if (only) {
    log('BENCH_ONLY set: results not written');
  } else {
    writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeReport(results, join(root, 'bench/RESULTS.md'));
    log('wrote bench/results.json and bench/RESULTS.md');
  }
} finally {
  await browser?.close();
  server?.close();
  try {
    execFileSync('bash', [join(root, 'scripts/seaweedfs.sh'), 'stop', storeDir]);
  } catch {
    /* not started */
  }
  rmSync(dir, { recursive: true, force: true });
}
