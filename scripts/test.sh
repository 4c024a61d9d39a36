#!/usr/bin/env bash
# `npm test`: installs what is missing, checks the JS with Biome, the Python with ruff and the Rust
# with rustfmt and clippy, runs the native tests, starts a fresh SeaweedFS with the local OSS, OBS,
# NOS and KS3 gateways in front of it (all stopped however the tests end), checks the gateways with
# the vendors' SDKs, runs the browser tests in headless Chromium, Firefox and WebKit, builds the package
# and checks its download against the size budget of scripts/size.mjs, then runs it (unbundled, in a Vite app, the demo, every service) in Chromium through Playwright and in
# Firefox and WebKit through WebDriver.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh

echo "== JS lint and format (biome)"
node_modules/.bin/biome ci --error-on-warnings --colors=off .

echo "== Python lint and format of the service gateways (ruff)"
.tools/venv/bin/ruff check --quiet .
.tools/venv/bin/ruff format --check --quiet .

echo "== Rust format and lint (rustfmt, clippy for the native and the wasm32 target)"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

echo "== native tests (cargo test)"
cargo test --quiet

echo "== TypeScript declarations (tsc)"
node_modules/.bin/tsc -p tests/types

echo "== starting SeaweedFS"
STORE=$(mktemp -d /tmp/partwise-test.XXXXXX)
BACKEND_PID=
cleanup() {
  [ -n "$BACKEND_PID" ] && kill "$BACKEND_PID" 2>/dev/null
  bash scripts/gateways.sh stop "$STORE"
  bash scripts/seaweedfs.sh stop "$STORE"
  rm -rf "$STORE"
}
trap cleanup EXIT
eval "$(bash scripts/seaweedfs.sh start "$STORE")"
echo "SeaweedFS at $PARTWISE_TEST_ENDPOINT"

# ListParts and ListMultipartUploads answer at most 2 entries a page, so every list paginates.
echo "== starting the local OSS, OBS, NOS and KS3 gateways"
eval "$(PARTWISE_GATEWAY_PAGE=2 bash scripts/gateways.sh start "$STORE")"

echo "== the gateways checked with the vendors' own SDK clients and the signing vectors (unittest)"
(cd tests/gateway && "$OLDPWD/.tools/venv/bin/python" -m unittest discover -p 'test_*.py')

echo "== starting the development backend"
node scripts/dev-backend.mjs > "$STORE/backend.url" 2> "$STORE/backend.log" &
BACKEND_PID=$!
for _ in $(seq 100); do [ -s "$STORE/backend.url" ] && break; sleep 0.1; done
export PARTWISE_TEST_BACKEND=$(head -n1 "$STORE/backend.url")
[ -n "$PARTWISE_TEST_BACKEND" ] || { cat "$STORE/backend.log"; echo "the development backend did not start"; exit 1; }
echo "development backend at $PARTWISE_TEST_BACKEND"

echo "== development backend tests (node --test)"
node --test tests/*.test.mjs

# The runner gives a whole test binary 20 s by default; these upload ~0.5 GiB and take ~20 s.
export WASM_BINDGEN_TEST_TIMEOUT=180
echo "== browser tests in headless Chromium (wasm-pack test)"
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --test web

echo "== the same browser tests in headless Firefox (wasm-pack test)"
wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" -- --test web

# wasm-pack's Safari path, pointed at WebKitGTK's WebKitWebDriver: the runner prints "Safari", sends
# no capabilities (webdriver.json is not used) and the driver starts its default browser, MiniBrowser,
# which needs an X display even unseen: xvfb-run gives it a virtual one.
echo "== the same browser tests in WebKit (WebKitGTK, wasm-pack test under xvfb-run)"
xvfb-run -a wasm-pack test --headless --safari --safaridriver "$(command -v WebKitWebDriver)" -- --test web

bash scripts/build.sh
echo "== the download's size budget (scripts/size.mjs)"
node scripts/size.mjs

echo "== the built package in headless Chromium (Playwright)"
node --test tests/e2e/ tests/engines/

echo "== the uploader end to end in headless Firefox (WebDriver)"
PARTWISE_ENGINE=firefox node --test tests/engines/

echo "== the built package and the demo in WebKit (WebKitGTK's MiniBrowser through WebDriver, under xvfb-run)"
xvfb-run -a node --test tests/webkit/
PARTWISE_ENGINE=webkit xvfb-run -a node --test tests/engines/
