// What one hashing Worker costs: its start (from `new HashPool(module, 1)` to the first digest
// of a tiny Blob, the module compiled beforehand as the uploader has it) and its memory (the growth
// of the resident memory of this browser's renderer processes, found through CDP's
// SystemInfo.getProcessInfo, with WORKERS_PER_SAMPLE started Workers, divided by their number:
// Workers are threads of the page's renderer), once started and once each has hashed an 8 MiB
// part. A bare Worker (no module) is measured alike, as the floor. Run by `npm run bench`, or
// alone: `xvfb-run -a node bench/workers.mjs` (BENCH_RUNS runs, default 3) merges its figures
// into bench/results.json and rewrites bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, startDevServer } from '../tests/e2e/browser.mjs';
import { writeReport } from './report.mjs';
import { median } from './system.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKERS_PER_SAMPLE = 4;
const STARTS_PER_RUN = 10;
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of `browser`'s renderer processes in MiB (its own: other Chromiums on the machine are not counted). */
async function rendererMiB(browser) {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    let kib = 0;
    for (const { id } of processInfo.filter((p) => p.type === 'renderer')) {
      const status = existsSync(`/proc/${id}/status`) ? readFileSync(`/proc/${id}/status`, 'utf8') : '';
      kib += Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0);
    }
    return kib / 1024;
  } finally {
    await cdp.detach();
  }
}

/** Loads the hashing pool in `page` (served from `origin`) as `window.workerBench`. */
async function preparePage(page, origin, poolPath) {
  await page.goto(`${origin}/tests/e2e/blank.html`);
  await page.evaluate(async (poolPath) => {
    const { HashPool } = await import(poolPath);
    const module = await WebAssembly.compileStreaming(fetch('/pkg/partwise_bg.wasm'));
    const tiny = new Blob([new Uint8Array(64)]);
    const part = new Blob([new Uint8Array(8 * 1024 * 1024)]);
    /** `count` started Workers: the pool, once each has hashed a tiny Blob (or, `working`, an 8 MiB part). */
    const start = async (count, working) => {
      const pool = new HashPool(module, count);
      await Promise.all(Array.from({ length: count }, () => pool.hash(working ? part : tiny, 0)));
      return pool;
    };
    // The floor: a Worker that only answers a message, with no module.
    const bareUrl = URL.createObjectURL(new Blob(['onmessage = () => postMessage(0);'], { type: 'text/javascript' }));
    const startBare = async (count) => {
      const workers = Array.from({ length: count }, () => new Worker(bareUrl));
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise((resolve) => {
              worker.onmessage = resolve;
              worker.postMessage(0);
            }),
        ),
      );
      return {
        terminate() {
          for (const worker of workers) worker.terminate();
        },
      };
    };
    window.workerBench = {
      async startMs(bare) {
        const started = performance.now();
        const pool = await (bare ? startBare : start)(1);
        const ms = performance.now() - started;
        pool.terminate();
        return ms;
      },
      async startMany(count, bare, working) {
        window.workerBench.pool = await (bare ? startBare : start)(count, working);
      },
      stop() {
        window.workerBench.pool?.terminate();
        window.workerBench.pool = null;
      },
    };
  }, poolPath);
}

/** One Worker's start (ms) and memory (MiB) as medians over `runs` runs, the hashing Workers' and a
 * bare Worker's, with each run's figures. */
export async function workerFigures({ browser, origin, poolPath, runs, log }) {
  const page = await browser.newPage();
  try {
    await preparePage(page, origin, poolPath);
    const firstStartMs = await page.evaluate(() => window.workerBench.startMs(false));
    /** The median start of STARTS_PER_RUN pools of one Worker. */
    const startMs = async (bare) => {
      const starts = [];
      for (let i = 0; i < STARTS_PER_RUN; i += 1)
        starts.push(await page.evaluate((b) => window.workerBench.startMs(b), bare));
      return median(starts);
    };
    /** One Worker's memory: WORKERS_PER_SAMPLE of them started (and, `working`, each has hashed a part). */
    const memoryMiB = async (bare, working) => {
      await settle(1000);
      const idle = await rendererMiB(browser);
      await page.evaluate((args) => window.workerBench.startMany(...args), [WORKERS_PER_SAMPLE, bare, working]);
      await settle(1000);
      const grown = (await rendererMiB(browser)) - idle;
      await page.evaluate(() => window.workerBench.stop());
      return grown / WORKERS_PER_SAMPLE;
    };
    const samples = [];
    for (let run = 1; run <= runs; run += 1) {
      const sample = {
        startMs: await startMs(false),
        memoryMiB: await memoryMiB(false, false),
        workingMemoryMiB: await memoryMiB(false, true),
        bareStartMs: await startMs(true),
        bareMemoryMiB: await memoryMiB(true, false),
      };
      samples.push(sample);
      log(
        `run ${run} · a hashing Worker: start ${sample.startMs.toFixed(1)} ms, ${sample.memoryMiB.toFixed(2)} MiB, ${sample.workingMemoryMiB.toFixed(2)} MiB after a part; a bare Worker: ${sample.bareStartMs.toFixed(1)} ms, ${sample.bareMemoryMiB.toFixed(2)} MiB`,
      );
    }
    const of = (key) => median(samples.map((s) => s[key]));
    return {
      firstStartMs,
      startMs: of('startMs'),
      memoryMiB: of('memoryMiB'),
      workingMemoryMiB: of('workingMemoryMiB'),
      bareStartMs: of('bareStartMs'),
      bareMemoryMiB: of('bareMemoryMiB'),
      workersPerSample: WORKERS_PER_SAMPLE,
      startsPerRun: STARTS_PER_RUN,
      runs: samples,
    };
  } finally {
    await page.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { hashPoolPath } = await import('../scripts/size.mjs');
  const log = (...args) => console.log('[workers]', ...args);
  const { server, origin } = await startDevServer();
  const browser = await launchChromium();
  try {
    const workers = await workerFigures({
      browser,
      origin,
      poolPath: `/${hashPoolPath()}`,
      runs: Number(process.env.BENCH_RUNS ?? 3),
      log,
    });
    log(`medians: ${JSON.stringify({ ...workers, runs: undefined })}`);
    const path = join(root, 'bench/results.json');
    if (existsSync(path) && !process.env.BENCH_ONLY) {
      const results = { ...JSON.parse(readFileSync(path, 'utf8')), workers };
      writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
      writeReport(results, join(root, 'bench/RESULTS.md'));
      log('wrote bench/results.json and bench/RESULTS.md');
    }
  } finally {
    await browser.close();
    server.close();
  }
}
