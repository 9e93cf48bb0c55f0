#!/usr/bin/env bash
# Builds the pinned Prometheus from the Go module proxy into a cache outside the work tree. A
# second run with the same version does nothing; prints the bin folder.
#
# Why not Debian's package: its prometheus (2.42.0+ds) is built without Kubernetes service
# discovery (`kubernetes_sd_configs` is an unknown field there), which the local cluster needs.
# Prometheus 3.x is published to the proxy as module versions v0.3MM.P (3.16.0 = v0.316.0), and
# its go.mod has replace and exclude directives, so `go install module@version` refuses it: the
# module's source is copied out of the module cache and built as the main module, with its own
# go.sum. Build tags keep only the Kubernetes discovery (remove_all_sd, enable_kubernetes_sd);
# without the builtinassets tag the web UI is not embedded, the HTTP API is all we use. Its
# go.work names folders the module zip lacks, so the build runs with GOWORK=off.
#
# usage: hack/build-prometheus.sh          (stdout: the folder holding `prometheus`)
source "$(dirname "$0")/lib.sh"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath

if [[ -x "$PROMETHEUS_BIN_DIR/prometheus" ]]; then
  log "prometheus $PROMETHEUS_VERSION: cached in $PROMETHEUS_BIN_DIR"
  echo "$PROMETHEUS_BIN_DIR"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build Prometheus from the Go module proxy: install Go (see hack/install-deps.sh)"
IFS=. read -r major minor patch <<<"${PROMETHEUS_VERSION#v}"
module_version="v0.$((major * 100 + minor)).$patch"
log "prometheus $PROMETHEUS_VERSION (module github.com/prometheus/prometheus@$module_version): building (first time only; a few minutes on 2 cores)"

src="$(go mod download -json "github.com/prometheus/prometheus@$module_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[[ -d "$src" ]] || die "could not download github.com/prometheus/prometheus@$module_version from $(go env GOPROXY)"
[[ "$(cat "$src/VERSION")" == "${PROMETHEUS_VERSION#v}" ]] || die "module $module_version is Prometheus $(cat "$src/VERSION"), not $PROMETHEUS_VERSION"

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$src" "$work/prometheus" && chmod -R u+w "$work/prometheus"
ld="-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}"
ld+=" -X github.com/prometheus/common/version.Revision=$module_version -X github.com/prometheus/common/version.Branch=release"
ld+=" -X github.com/prometheus/common/version.BuildUser=modelops -X github.com/prometheus/common/version.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
(cd "$work/prometheus" && GOWORK=off go build -tags remove_all_sd,enable_kubernetes_sd -ldflags "$ld" -o "$work/bin/prometheus" ./cmd/prometheus)
mkdir -p "$PROMETHEUS_BIN_DIR"
mv "$work/bin/prometheus" "$PROMETHEUS_BIN_DIR/prometheus"
log "prometheus: $("$PROMETHEUS_BIN_DIR/prometheus" --version 2>&1 | head -1)"
echo "$PROMETHEUS_BIN_DIR"
