#!/usr/bin/env bash
# Fetches the Gateway API CRDs (standard channel) of the pinned version from the Go module
# proxy, where sigs.k8s.io/gateway-api ships them under config/crd/standard/. A second run
# reads the Go module cache. Prints the folder of the CRD YAML files; apply them with
# `kubectl apply --server-side -f <folder>` (httproutes is too large for client-side apply).
#
# usage: hack/gateway-api.sh [VERSION]   (stdout: the CRD folder; default: the pinned version)
source "$(dirname "$0")/lib.sh"
version="${1:-$GATEWAY_API_VERSION}"

command -v go >/dev/null || die "Go is needed to fetch the Gateway API CRDs from the Go module proxy: install Go (see hack/install-deps.sh)"
# Outside any module: `go mod download` then needs no go.mod.
dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[[ -d "$dir/config/crd/standard" ]] || die "could not download sigs.k8s.io/gateway-api@$version from $(go env GOPROXY)"
log "gateway-api $version: CRDs in $dir/config/crd/standard"
echo "$dir/config/crd/standard"
