#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, starts SeaweedFS (data kept in .data/, git-ignored,
# so uploads survive restarts) with the local OSS, OBS, NOS and KS3 gateways in front of it, and
# serves the demo. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
STORE="$PWD/.data/seaweedfs"
mkdir -p "$STORE"
bash scripts/gateways.sh stop "$STORE"
bash scripts/seaweedfs.sh stop "$STORE"
trap 'bash scripts/gateways.sh stop "$STORE"; bash scripts/seaweedfs.sh stop "$STORE"' EXIT
eval "$(bash scripts/seaweedfs.sh start "$STORE" "${PARTWISE_DEMO_S3_PORT:-38333}")"
echo "SeaweedFS at $PARTWISE_TEST_ENDPOINT (data in .data/seaweedfs)"
eval "$(PARTWISE_GATEWAY_PORT=${PARTWISE_DEMO_GATEWAY_PORT:-38340} bash scripts/gateways.sh start "$STORE")"
echo "local OSS, OBS, NOS and KS3 emulations at $PARTWISE_LOCAL_OSS_ENDPOINT, $PARTWISE_LOCAL_OBS_ENDPOINT, $PARTWISE_LOCAL_NOS_ENDPOINT, $PARTWISE_LOCAL_KS3_ENDPOINT"
node scripts/serve.mjs
