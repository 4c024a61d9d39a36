#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, starts SeaweedFS (data kept in .data/, git-ignored,
# so uploads survive restarts) and serves the demo. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
STORE="$PWD/.data/seaweedfs"
mkdir -p "$STORE"
bash scripts/seaweedfs.sh stop "$STORE"
trap 'bash scripts/seaweedfs.sh stop "$STORE"' EXIT
eval "$(bash scripts/seaweedfs.sh start "$STORE" "${PARTWISE_DEMO_S3_PORT:-38333}")"
echo "SeaweedFS at $PARTWISE_TEST_ENDPOINT (data in .data/seaweedfs)"
node scripts/serve.mjs
