// What an app downloads with partwise: the wasm module gzipped (-9) plus the package's JS (pkg/index.js
// and every module it imports: the driver, the hashing pool, the wasm-bindgen glue) bundled and
// minified by esbuild into one file, as an app's bundler would (and as the bench bundles the AWS
// SDK), and gzipped. Used by the bench (bench/run.mjs) and, as `node scripts/size.mjs`, by `npm test`,
// which fails when the built pkg/ is over SIZE_BUDGET.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The most an app may download, in gzip bytes: it may only go down (issue 15's goal is 64 KB, then 45 KB). */
export const SIZE_BUDGET = 123_210;

/** gzip -9 bytes of some bytes. */
export const gzipBytes = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** The hashing pool module in pkg/, relative to the repository. */
export const hashPoolPath = () => 'pkg/hash_pool.js';

/** The built package's download: the total and the wasm's share, in gzip bytes. */
export async function partwiseSizes() {
  const { outputFiles } = await build({
    entryPoints: [join(root, 'pkg/index.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'error',
  });
  const js = gzipBytes(outputFiles[0].contents);
  const wasm = gzipBytes(readFileSync(join(root, 'pkg/partwise_bg.wasm')));
  return { partwiseGzipBytes: wasm + js, partwiseWasmGzipBytes: wasm };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { partwiseGzipBytes, partwiseWasmGzipBytes } = await partwiseSizes();
  console.log(`download: ${partwiseGzipBytes} B gzip (wasm ${partwiseWasmGzipBytes} B), budget ${SIZE_BUDGET} B`);
  if (partwiseGzipBytes > SIZE_BUDGET) {
    console.error(`the download grew past the budget (${SIZE_BUDGET} B in scripts/size.mjs)`);
    process.exit(1);
  }
}
