// How sizes, speeds and times read in the demo.

/** `1.5 MiB`, `820 KiB`, `12 B`. */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `8.1 MiB/s`. */
export function speed(bytesPerSecond) {
  return `${bytes(Math.round(bytesPerSecond))}/s`;
}

/** `4 s left`, `2 min left`, `1 h 5 min left`. */
export function eta(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '';
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.round(s / 60)} min left`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min left`;
}

/** `3.2 s`, `1 min 12 s`. */
export function duration(ms) {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** `21 Nov, 14:03`. */
export function when(date) {
  return new Date(date).toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}
