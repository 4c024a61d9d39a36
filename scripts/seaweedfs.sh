#!/usr/bin/env bash
# Starts and stops a SeaweedFS (`weed mini`) on loopback for the tests and the demo.
#
#   scripts/seaweedfs.sh start DIR [PORT]   prints `export PARTWISE_…=…` lines for the caller to eval
#   scripts/seaweedfs.sh stop DIR
#
# DIR holds the data, the IAM file (a fresh STS signing key each start), the logs and the pid.
# Without PORT a free base port is picked; SeaweedFS binds PORT..PORT+4 and the same +10000 (gRPC).
set -euo pipefail
cd "$(dirname "$0")/.."
WEED="$PWD/.tools/venv/bin/weed"
BUCKET=uploads
ACCESS_KEY=partwise-dev
SECRET_KEY=partwise-dev-secret-0123456789

ports_free() {
  python3 - "$1" <<'PY'
import socket, sys
base = int(sys.argv[1])
for port in [*range(base, base + 5), *range(base + 10000, base + 10005)]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

pick_port() {
  for _ in $(seq 1 50); do
    local port=$((20000 + RANDOM % 25000))
    if ports_free "$port"; then echo "$port"; return 0; fi
  done
  echo "no free port range found" >&2
  return 1
}

# STS sessions last 1 h (at most 12 h); PARTWISE_STS_DURATION (e.g. 5s) makes every session that long.
write_iam() {
  local key; key=$(head -c 32 /dev/urandom | base64 -w0)
  local duration=${PARTWISE_STS_DURATION:-1h} longest=${PARTWISE_STS_DURATION:-12h}
  cat > "$1/iam.json" <<JSON
{
  "sts": { "tokenDuration": "$duration", "maxSessionLength": "$longest", "issuer": "seaweedfs-sts", "signingKey": "$key" },
  "policy": { "defaultEffect": "Deny" },
  "policies": [ { "name": "UploaderPolicy", "document": { "Version": "2012-10-17", "Statement": [
      { "Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"] } ] } } ],
  "roles": [ { "roleName": "uploader", "roleArn": "arn:aws:iam::000000000000:role/uploader",
      "trustPolicy": { "Version": "2012-10-17", "Statement": [
        { "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": ["sts:AssumeRole"] } ] },
      "attachedPolicies": ["UploaderPolicy"] } ]
}
JSON
}

start() {
  local dir=$1 port=${2:-}
  mkdir -p "$dir/data" "$dir/logs"
  [ -n "$port" ] || port=$(pick_port)
  write_iam "$dir"
  AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY \
    "$WEED" -logdir="$dir/logs" mini -dir="$dir/data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$port" -filer.port=$((port + 1)) -master.port=$((port + 2)) \
    -volume.port=$((port + 3)) -admin.port=$((port + 4)) \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
    -s3.iam.config="$dir/iam.json" -bucket="$BUCKET" -s3.domainName=localhost >"$dir/logs/weed.out" 2>&1 &
  echo $! > "$dir/weed.pid"
  # -s3.domainName: virtual-hosted requests go to <bucket>.localhost (Chromium resolves *.localhost
  # to loopback), path-style ones to 127.0.0.1.
  # Ready when a signed HEAD of the bucket answers 200 (healthz answers before the bucket exists).
  for _ in $(seq 1 150); do
    if ! kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
      echo "SeaweedFS exited; its output:" >&2; cat "$dir/logs/weed.out" >&2; return 1
    fi
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -I --aws-sigv4 aws:amz:us-east-1:s3 \
      --user "$ACCESS_KEY:$SECRET_KEY" "http://127.0.0.1:$port/$BUCKET" || true)
    if [ "$code" = 200 ]; then
      STORE_DIR=$dir put_cors "$port" || { echo "setting the bucket's CORS rule failed" >&2; stop "$dir"; return 1; }
      echo "export PARTWISE_TEST_ENDPOINT=http://127.0.0.1:$port"
      echo "export PARTWISE_TEST_BUCKET=$BUCKET"
      echo "export PARTWISE_TEST_ACCESS_KEY=$ACCESS_KEY"
      echo "export PARTWISE_TEST_SECRET_KEY=$SECRET_KEY"
      return 0
    fi
    sleep 0.1
  done
  echo "SeaweedFS did not become ready on port $port; its output:" >&2
  cat "$dir/logs/weed.out" >&2
  stop "$dir"
  return 1
}

# The bucket's CORS rule: any http:// origin (SeaweedFS matches only a leading `http://*`, not
# `http://localhost:*`), every method, any header, and ETag, the request id and Date exposed.
put_cors() {
  local port=$1 body md5
  body='<CORSConfiguration><CORSRule><AllowedOrigin>http://*</AllowedOrigin>'
  body+='<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>'
  body+='<AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader>'
  body+='<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader><ExposeHeader>Date</ExposeHeader>'
  body+='<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>'
  md5=$(printf '%s' "$body" | python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.md5(sys.stdin.buffer.read()).digest()).decode())')
  printf '%s' "$body" > "$STORE_DIR/cors.xml"
  curl -sf -o /dev/null -T "$STORE_DIR/cors.xml" -H "Content-MD5: $md5" -H 'Content-Type: application/xml' \
    --aws-sigv4 aws:amz:us-east-1:s3 --user "$ACCESS_KEY:$SECRET_KEY" "http://127.0.0.1:$port/$BUCKET?cors="
}

stop() {
  local dir=$1
  if [ -f "$dir/weed.pid" ]; then
    kill -9 "$(cat "$dir/weed.pid")" 2>/dev/null || true
    rm -f "$dir/weed.pid"
  fi
}

case "${1:-}" in
  start) start "$2" "${3:-}" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
