// What the benchmark reads off the machine: the CPU and memory, and Chromium's resident memory.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** `{cpu, cores, memoryGiB}` of this machine. */
export function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

/** Resident memory of Chromium's processes in MiB, by kind (`renderer`, `gpu-process`, `network`, …). */
export function browserRssByKind() {
  const kinds = {};
  try {
    const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss=,args='], { encoding: 'utf8' });
    for (const line of out.split('\n').filter(Boolean)) {
      const [, kb, args] = line.trim().match(/^(\d+)\s+(.*)$/) ?? [];
      const kind =
        args?.match(/--utility-sub-type=[\w.]*?(\w+)Service/)?.[1]?.toLowerCase() ??
        args?.match(/--type=([\w-]+)/)?.[1] ??
        'browser';
      kinds[kind] = (kinds[kind] ?? 0) + Number(kb) / 1024;
    }
  } catch {
    /* no Chromium running */
  }
  return kinds;
}

const total = (kinds) => Object.values(kinds).reduce((a, b) => a + b, 0);

/** Samples Chromium's RSS every 100 ms while `work` runs: `{result, idle, peak, peakGrowthByKind}`
 * in MiB (`peakGrowthByKind`: each kind's own peak minus its idle). */
export async function withPeakRss(work) {
  const idleKinds = browserRssByKind();
  const idle = total(idleKinds);
  let peak = idle;
  const peakKinds = { ...idleKinds };
  const sample = () => {
    const now = browserRssByKind();
    peak = Math.max(peak, total(now));
    for (const [kind, mib] of Object.entries(now)) peakKinds[kind] = Math.max(peakKinds[kind] ?? 0, mib);
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    sample();
    const peakGrowthByKind = Object.fromEntries(
      Object.entries(peakKinds).map(([k, v]) => [k, Math.round(v - (idleKinds[k] ?? 0))]),
    );
    return { result, idle, peak, peakGrowthByKind };
  } finally {
    clearInterval(timer);
  }
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
