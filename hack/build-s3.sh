#!/usr/bin/env bash
# Builds the S3-compatible server the tests and the local cluster use: versitygw (Apache-2.0),
# with its POSIX back end, from the Go module proxy; cached by version outside the work tree.
source "$(dirname "$0")/lib.sh"

bin="$MODELOPS_CACHE/versitygw/$VERSITYGW_VERSION/bin"
if [[ -x "$bin/versitygw" ]]; then
  log "versitygw $VERSITYGW_VERSION: cached in $bin"
  exit 0
fi
log "versitygw $VERSITYGW_VERSION: building (first time only)"
mkdir -p "$bin"
CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
