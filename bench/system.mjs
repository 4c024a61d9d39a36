// What the benchmark reads off the machine: the CPU and memory, and Chromium's resident memory.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** `{cpu, cores, memoryGiB}` of this machine. */
export function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

/** Resident memory of every Chromium process, in MiB. */
export function browserRss() {
  try {
    const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean).reduce((sum, kb) => sum + Number(kb), 0) / 1024;
  } catch {
    return 0;
  }
}

/** Samples `browserRss()` every 100 ms while `work` runs: `{result, idle, peak}` in MiB. */
export async function withPeakRss(work) {
  const idle = browserRss();
  let peak = idle;
  const timer = setInterval(() => { peak = Math.max(peak, browserRss()); }, 100);
  try {
    const result = await work();
    peak = Math.max(peak, browserRss());
    return { result, idle, peak };
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
