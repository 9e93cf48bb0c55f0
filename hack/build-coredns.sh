#!/usr/bin/env bash
# Builds the pinned CoreDNS (the cluster DNS of the local node) from the Go module proxy into
# a cache outside the work tree. A second run with the same version does nothing; prints the
# bin folder.
#
# CoreDNS's go.mod has no replace directives, so `go install module@version` builds it with
# the plugins its plugin.cfg compiled in (kubernetes, forward, cache, errors, health, ready...).
#
# usage: hack/build-coredns.sh          (stdout: the folder holding `coredns`)
source "$(dirname "$0")/lib.sh"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath

if [[ -x "$COREDNS_BIN_DIR/coredns" ]]; then
  log "coredns $COREDNS_VERSION: cached in $COREDNS_BIN_DIR"
  echo "$COREDNS_BIN_DIR"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build CoreDNS from the Go module proxy: install Go (see hack/install-deps.sh)"
log "coredns $COREDNS_VERSION: building (first time only; a few minutes on 2 cores)"

mod="$(go mod download -json "github.com/coredns/coredns@$COREDNS_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "$mod" ]] || die "could not download github.com/coredns/coredns@$COREDNS_VERSION from $(go env GOPROXY)"
grep -qE '^\s*replace\b' "$mod" && die "coredns $COREDNS_VERSION's go.mod has replace directives: go install cannot build it; use a wrapper module as hack/build-k8s.sh does"

tmp="$COREDNS_BIN_DIR.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
# GitCommit is what `coredns -version` shows beside the version; there is no commit here.
GOBIN="$tmp" go install -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" \
  "github.com/coredns/coredns@$COREDNS_VERSION"
mkdir -p "$COREDNS_BIN_DIR"
mv "$tmp/coredns" "$COREDNS_BIN_DIR/coredns"
rmdir "$tmp"
log "coredns: $("$COREDNS_BIN_DIR/coredns" -version | head -1)"
echo "$COREDNS_BIN_DIR"
