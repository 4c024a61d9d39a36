#!/usr/bin/env bash
# Starts and stops the local OSS, OBS, NOS and KS3 gateways (scripts/gateway/) in front of the
# SeaweedFS that the PARTWISE_TEST_* variables name (scripts/seaweedfs.sh start first).
#
#   scripts/gateways.sh start DIR   prints `export PARTWISE_LOCAL_<S>_…=…` lines for the caller to eval
#   scripts/gateways.sh stop DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$PWD/.tools/venv/bin/python"

start() {
  local dir=$1
  mkdir -p "$dir/logs"
  "$PYTHON" -u scripts/gateway/serve.py >"$dir/gateways.out" 2>"$dir/logs/gateways.err" &
  echo $! >"$dir/gateways.pid"
  for _ in $(seq 1 100); do
    if grep -qx ready "$dir/gateways.out"; then
      grep '^export ' "$dir/gateways.out"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/gateways.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "the service gateways did not start; their output:" >&2
  cat "$dir/logs/gateways.err" >&2
  stop "$dir"
  return 1
}

stop() {
  local dir=$1
  if [ -f "$dir/gateways.pid" ]; then
    kill "$(cat "$dir/gateways.pid")" 2>/dev/null || true
    rm -f "$dir/gateways.pid"
  fi
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
