#!/usr/bin/env bash
# `npm test`: installs what is missing, runs the native tests, then the browser tests in headless
# Chromium against a fresh SeaweedFS, which is stopped however the tests end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh

echo "== native tests (cargo test)"
cargo test --quiet

echo "== starting SeaweedFS"
STORE=$(mktemp -d /tmp/partwise-test.XXXXXX)
cleanup() { bash scripts/seaweedfs.sh stop "$STORE"; rm -rf "$STORE"; }
trap cleanup EXIT
eval "$(bash scripts/seaweedfs.sh start "$STORE")"
echo "SeaweedFS at $PARTWISE_TEST_ENDPOINT"

echo "== development backend tests (node --test)"
node --test tests/*.test.mjs

echo "== browser tests in headless Chromium"
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --test web
