#!/usr/bin/env bash
# A real S3-compatible server for tests and local use: versitygw with its POSIX back end on a
# free port (of the loopback address unless --address says otherwise), with generated credentials.
#
#   hack/s3-server.sh up   --dir DIR [--bucket NAME] [--address IP]
#                                                      start; writes DIR/s3.env (AWS_* variables)
#                                                      --address 10.244.0.1: reachable from Pods
#   hack/s3-server.sh down --dir DIR                   stop and remove DIR
#   hack/s3-server.sh env  --dir DIR                   print DIR/s3.env, for eval
#
# DIR/data holds the buckets (one directory each), DIR/meta the object metadata (a sidecar
# folder, so the file system needs no extended attributes), DIR/versitygw.log the server log.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
DIR=""; BUCKET=""; ADDRESS=127.0.0.1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --bucket) BUCKET="$2"; shift 2 ;;
    --address) ADDRESS="$2"; shift 2 ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
[[ -n "$DIR" ]] || die "--dir DIR is required"
VGW="$MODELOPS_CACHE/versitygw/$VERSITYGW_VERSION/bin/versitygw"

up() {
  [[ -x "$VGW" ]] || die "versitygw $VERSITYGW_VERSION is not built: run hack/build-s3.sh"
  if [[ -f "$DIR/pid" ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
    log "versitygw already running (pid $(cat "$DIR/pid")); $DIR/s3.env"
    return 0
  fi
  mkdir -p "$DIR/data" "$DIR/meta"
  DIR="$(cd "$DIR" && pwd)"
  local port access secret
  port=$(free_port)
  access="modelops$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  # Own session (setsid) so `down` can stop it with its process group, and nothing else.
  ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
    setsid "$VGW" --port "$ADDRESS:$port" --region us-east-1 --quiet \
    posix --sidecar "$DIR/meta" "$DIR/data" >"$DIR/versitygw.log" 2>&1 &
  echo $! >"$DIR/pid"
  cat >"$DIR/s3.env" <<ENV
export AWS_ENDPOINT_URL=http://$ADDRESS:$port
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
ENV
  local i
  for i in $(seq 1 100); do
    # Any HTTP answer (403 to an unsigned request) means the server listens.
    if curl -s -o /dev/null "http://$ADDRESS:$port/"; then break; fi
    kill -0 "$(cat "$DIR/pid")" 2>/dev/null || die "versitygw exited; see $DIR/versitygw.log"
    sleep 0.1
  done
  [[ $i -lt 100 ]] || die "versitygw did not answer on $ADDRESS:$port within 10s; see $DIR/versitygw.log"
  # A bucket is a directory of the POSIX back end.
  if [[ -n "$BUCKET" ]]; then mkdir -p "$DIR/data/$BUCKET"; fi
  log "versitygw $VERSITYGW_VERSION on $ADDRESS:$port (data in $DIR/data); eval \"\$($0 env --dir $DIR)\""
}

down() {
  stop_pid "$DIR/pid"
  rm -rf "$DIR"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  env) cat "$DIR/s3.env" ;;
  *) die "usage: $0 up|down|env --dir DIR [--bucket NAME] [--address IP]" ;;
esac
