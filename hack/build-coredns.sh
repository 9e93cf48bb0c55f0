#!/usr/bin/env bash
# Builds CoreDNS (cluster DNS for the local node) from the Go module proxy as a static
# binary, cached by version outside the work tree.
source "$(dirname "$0")/lib.sh"

bin="$MODELOPS_CACHE/coredns/$COREDNS_VERSION/bin"
if [[ -x "$bin/coredns" ]]; then
  log "coredns $COREDNS_VERSION: cached in $bin"
  exit 0
fi
log "coredns $COREDNS_VERSION: building (first time only)"
mkdir -p "$bin"
CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
