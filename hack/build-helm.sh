#!/usr/bin/env bash
# Builds the pinned Helm (helm.sh/helm/v3/cmd/helm) from the Go module proxy into a cache
# outside the work tree. A second run with the same version does nothing; prints the bin folder.
#
# Helm's go.mod has no replace directives, so `go install module@version` works directly
# (no wrapper module as for Kubernetes). Its Makefile stamps the version and the Kubernetes
# version the chart capabilities default to; we set the same ldflags, or `helm version`
# reports the bare major.minor and `.Capabilities.KubeVersion` lags the client-go it was
# built with.
#
# usage: hack/build-helm.sh          (stdout: the folder holding `helm`)
source "$(dirname "$0")/lib.sh"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath

if [[ -x "$HELM_BIN_DIR/helm" ]]; then
  log "helm $HELM_VERSION: cached in $HELM_BIN_DIR"
  echo "$HELM_BIN_DIR"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build Helm from the Go module proxy: install Go (see hack/install-deps.sh)"
log "helm $HELM_VERSION: building (first time only; a few minutes on 2 cores)"

# Helm's Makefile derives the default Kubernetes version from its client-go (v0.X.Y => 1.X).
mod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "$mod" ]] || die "could not download helm.sh/helm/v3@$HELM_VERSION from $(go env GOPROXY)"
client_go="$(awk '$1=="k8s.io/client-go"{print $2; exit}' "$mod")"
kminor="$(cut -d. -f2 <<<"$client_go")"
grep -qE '^\s*replace\b' "$mod" && die "helm $HELM_VERSION's go.mod has replace directives: go install cannot build it; use a wrapper module as hack/build-k8s.sh does"

ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ld+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ld+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kminor"
done

tmp="$HELM_BIN_DIR.tmp"
rm -rf "$tmp" && mkdir -p "$tmp"
GOBIN="$tmp" go install -ldflags "$ld" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
mkdir -p "$HELM_BIN_DIR"
mv "$tmp/helm" "$HELM_BIN_DIR/helm"
rmdir "$tmp"
log "helm: $("$HELM_BIN_DIR/helm" version --short)"
echo "$HELM_BIN_DIR"
