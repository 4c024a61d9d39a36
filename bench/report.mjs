// bench/RESULTS.md from the results: one table per question, ratios against the measured peers,
// and the team's goals beside them (goals, not assertions).
import { writeFileSync } from 'node:fs';

const f0 = (n) => n.toFixed(0);
const f2 = (n) => n.toFixed(2);

/** Writes the Markdown report of `r` to `path`. */
export function writeReport(r, path) {
  const ceiling = r.uploads['raw fetch (ceiling)'].mbPerSecond;
  const sdk = r.uploads['AWS SDK lib-storage'].mbPerSecond;
  const ours = r.uploads['partwise STS, MD5'];
  const onePool = r.md5['partwise, 1 Worker'].mbPerSecond;
  const pool = r.md5['partwise, Worker pool'].mbPerSecond;
  const hashWasm = r.md5['hash-wasm (main thread)'].mbPerSecond;
  const readCeiling = r.md5['partwise, 1 Worker, reading only (no hash)'].mbPerSecond;
  const crcs = Object.entries(r.computed).filter(([name]) => name.endsWith('(no MD5)'));
  const crcsFromFile = Object.entries(r.md5).filter(([name]) => name.endsWith('(no MD5)'));
  const withCrc = r.uploads['partwise STS, CRC64NVME'];
  const lines = [
    '# Benchmark results',
    '',
    `${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB · Chromium ${r.browser} headless · SeaweedFS on loopback · median of ${r.runs} runs · \`npm run bench\``,
    '',
    `## Upload of a ${r.fileMiB} MiB file from disk (${r.partSizeMiB} MiB parts, ${r.concurrency} in flight)`,
    '',
    '| contender | MB/s | × raw ceiling | × lib-storage | Chromium RSS growth | longest main-thread task |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(r.uploads).map(
      ([name, u]) =>
        `| ${name} | ${f0(u.mbPerSecond)} | ${f2(u.mbPerSecond / ceiling)} | ${f2(u.mbPerSecond / sdk)} | ${f0(u.rssGrowthMiB)} MiB | ${f0(u.longestTaskMs)} ms |`,
    ),
    `| partwise STS, MD5, ${r.bigFileMiB} MiB file | ${f0(r.bigUpload.mbPerSecond)} | | | ${f0(r.bigUpload.rssGrowthMiB)} MiB | ${f0(r.bigUpload.longestTaskMs)} ms |`,
    '',
    'RSS growth: peak minus idle resident memory of all Chromium processes, sampled every 100 ms. Longest task: PerformanceObserver `longtask` entries, which only exist for tasks over 50 ms; 0 means none.',
    '',
    "\"raw fetch, CRC64NVME computed before\": the ceiling's requests with each part's CRC-64/NVME declared (computed before the timed run), so the server checks every part as it does for partwise's CRC upload: what the check costs the server, apart from the page's hashing.",
    '',
    `## Hashing ${r.md5MiB} MiB in ${r.partSizeMiB} MiB parts: MD5, and the CRCs`,
    '',
    'From the disk-backed File: each part read as a Blob stream (the Workers read their own parts).',
    '',
    '| hasher | MB/s | × hash-wasm | × reading only |',
    '|---|---:|---:|---:|',
    ...Object.entries(r.md5).map(
      ([name, m]) =>
        `| ${name} | ${f0(m.mbPerSecond)} | ${f2(m.mbPerSecond / hashWasm)} | ${f2(m.mbPerSecond / readCeiling)} |`,
    ),
    '',
    `The hash code itself: one Worker hashing ${r.md5MiB} MiB of bytes it already holds (an 8 MiB buffer over and over, 8 MiB digests), no Blob reads.`,
    '',
    '| one Worker, bytes in memory | MB/s |',
    '|---|---:|',
    ...Object.entries(r.computed).map(([name, m]) => `| ${name} | ${f0(m.mbPerSecond)} |`),
    '',
    '## What an app downloads (gzip -9)',
    '',
    '| | bytes |',
    '|---|---:|',
    `| partwise (wasm + JS minified by esbuild) | ${r.sizes.partwiseGzipBytes} |`,
    `| of which the wasm module | ${r.sizes.partwiseWasmGzipBytes} |`,
    `| AWS SDK client-s3 + lib-storage (esbuild --bundle --minify) | ${r.sizes.awsSdkGzipBytes} |`,
    '',
    ...(r.workers ? workerSection(r.workers) : []),
    '## Resume after a reload',
    '',
    `From \`upload()\` of a file whose checkpoint keeps ${r.resume.runs[0]?.keptParts ?? 0} stored 5 MiB parts to the first part request (the first new part), MD5 on, page reloaded before each run: **${f0(r.resume.firstByteMs)} ms** (runs: ${r.resume.runs.map((s) => `${f0(s.ms)} ms, part ${s.firstPartSent}`).join('; ')}). Kept parts are checked against the file with the hashers the new parts leave idle, before Complete.`,
    '',
    '## Every engine',
    '',
    `MD5 of ${r.md5MiB} MiB in one hashing Worker, and the ${r.fileMiB} MiB upload (partwise STS, MD5), in each engine the tests run; Firefox and WebKit through WebDriver, WebKit under Xvfb.`,
    '',
    '| engine | MD5, 1 Worker (MB/s) | upload (MB/s) | user agent |',
    '|---|---:|---:|---|',
    `| Chromium ${r.browser} | ${f0(onePool)} | ${f0(ours.mbPerSecond)} | |`,
    ...Object.entries(r.engines ?? {}).map(
      ([engine, e]) => `| ${engine} | ${f0(e.md5MbPerSecond)} | ${f0(e.uploadMbPerSecond)} | ${e.userAgent} |`,
    ),
    '',
    '## Against the goals',
    '',
    '| goal | measured | met |',
    '|---|---|---|',
    goal('partwise with MD5 ≥ 0.85 × raw ceiling', f2(ours.mbPerSecond / ceiling), ours.mbPerSecond / ceiling >= 0.85),
    goal('partwise with MD5 ≥ 8 × lib-storage', f2(ours.mbPerSecond / sdk), ours.mbPerSecond / sdk >= 8),
    goal(
      `RSS growth ≤ in-flight parts + 32 MiB (${r.concurrency * r.partSizeMiB + 32} MiB)`,
      `${f0(ours.rssGrowthMiB)} MiB`,
      ours.rssGrowthMiB <= r.concurrency * r.partSizeMiB + 32,
    ),
    goal(
      `RSS flat from ${r.fileMiB} MiB to ${r.bigFileMiB} MiB`,
      `${f0(ours.rssGrowthMiB)} → ${f0(r.bigUpload.rssGrowthMiB)} MiB`,
      r.bigUpload.rssGrowthMiB <= ours.rssGrowthMiB * 1.25 + 16,
    ),
    goal('longest main-thread task ≤ 50 ms', `${f0(ours.longestTaskMs)} ms`, ours.longestTaskMs <= 50),
    goal('MD5 on one thread ≥ hash-wasm', f2(onePool / hashWasm), onePool >= hashWasm),
    ...crcs.map(([name, m]) =>
      goal(`${name} on one Worker ≥ 1 GB/s (bytes in memory)`, `${f0(m.mbPerSecond)} MB/s`, m.mbPerSecond >= 1000),
    ),
    ...crcsFromFile.map(([name, m]) =>
      goal(`${name} ≥ 1 GB/s (from the File)`, `${f0(m.mbPerSecond)} MB/s`, m.mbPerSecond >= 1000),
    ),
    ...(withCrc
      ? [
          goal(
            'partwise with CRC64NVME ≥ 0.95 × raw ceiling',
            f2(withCrc.mbPerSecond / ceiling),
            withCrc.mbPerSecond / ceiling >= 0.95,
          ),
        ]
      : []),
    goal('Worker pool ≥ 1.7 × one thread', f2(pool / onePool), pool / onePool >= 1.7),
    goal('resume ≤ 1 s', `${f0(r.resume.firstByteMs)} ms`, r.resume.firstByteMs <= 1000),
    goal('≤ 64 KB gzip (issue 15; 45 KB after)', `${r.sizes.partwiseGzipBytes} B`, r.sizes.partwiseGzipBytes <= 64000),
    '',
  ];
  writeFileSync(path, lines.join('\n'));
}

function goal(text, measured, met) {
  return `| ${text} | ${measured} | ${met ? 'yes' : '**no**'} |`;
}

/** "Hashing Workers: start and memory" (bench/workers.mjs). */
function workerSection(w) {
  const mib = (n) => `${f2(n)} MiB`;
  return [
    '## Hashing Workers: start and memory',
    '',
    `One Worker's start (\`new HashPool\` to the first digest of a tiny Blob, the module already compiled; median of ${w.startsPerRun} starts per run) and memory (renderer RSS growth with ${w.workersPerSample} Workers started, per Worker), against a bare Worker that only answers a message. \`node bench/workers.mjs\`.`,
    '',
    '| Worker | start | memory once started | memory after hashing an 8 MiB part |',
    '|---|---:|---:|---:|',
    `| partwise hashing Worker (the whole module) | ${f2(w.startMs)} ms (first in the page ${f0(w.firstStartMs)} ms) | ${mib(w.memoryMiB)} | ${mib(w.workingMemoryMiB)} |`,
    `| bare Worker (no module) | ${f2(w.bareStartMs)} ms | ${mib(w.bareMemoryMiB)} | |`,
    '',
    ...(w.memoryMiB < 0
      ? [
          'Below zero: the renderer gave back more memory than the Workers took while they started, so a Worker costs less than this run can tell.',
          '',
        ]
      : []),
  ];
}
