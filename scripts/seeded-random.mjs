// The one seeded pseudo-random generator (xorshift32) of the tests, the fault proxy and the pages
// the tests drive (the development server serves this file at /scripts/seeded-random.mjs): the
// same seed gives the same numbers and bytes in Node and in the browser.

/** The generator's 32-bit states after `seed` (0 would stay 0 forever, so it counts as 1). */
function xorshift32(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed) {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}

/** `size` bytes (the low byte of each state), the same for the same seed. */
export function seededBytes(size, seed) {
  const next = xorshift32(seed);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = next() & 255;
  return bytes;
}
