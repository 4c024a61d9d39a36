#!/usr/bin/env bash
# Builds the wasm module and its JS glue into pkg/ (ES module, loads its .wasm via import.meta.url),
# adds the public API (js/index.js, js/index.d.ts), then shrinks the wasm with npm's binaryen (Debian's wasm-opt 108 corrupts wasm-bindgen output).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Panic locations name their source files: without the registry's absolute folder (the same module
# wherever the crates were unpacked, and 185 B less gzip).
remap=""
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do remap+=" --remap-path-prefix=$dir="; done
# pkg/ is made afresh: no file of an earlier build stays in the package.
rm -rf pkg
RUSTFLAGS="${RUSTFLAGS:-}$remap" wasm-pack build --release --target web --out-dir pkg --no-pack
# The features are those rustc's wasm32 target writes in the module (`wasm-opt --print-features`);
# --converge repeats -Oz while it still shrinks; the producers and target-features sections are for tools only;
# --low-memory-unused: Rust puts its 1 MiB stack first, so the low 1 KiB is used only by a stack about to overflow.
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals --enable-call-indirect-overlong \
  pkg/partwise_bg.wasm -o pkg/partwise_bg.wasm
cp js/*.js js/index.d.ts pkg/
# Only what an app needs: wasm-pack's ignore-everything .gitignore and the glue's own typings go.
rm -f pkg/.gitignore pkg/partwise.d.ts pkg/partwise_bg.wasm.d.ts
echo "built pkg/ ($(wc -c < pkg/partwise_bg.wasm) bytes of wasm, $(gzip -9c pkg/partwise_bg.wasm | wc -c) gzipped)"
