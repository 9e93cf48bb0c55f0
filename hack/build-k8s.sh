#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries (and etcd) from the Go module proxy into a cache
# outside the work tree. A second run with the same versions does nothing.
#
# k8s.io/kubernetes cannot be `go install`ed: it requires its staging modules at v0.0.0
# and replaces them with local paths. A throwaway wrapper module replaces each staging
# module with its published v0.<minor>.<patch> instead.
#
# usage: hack/build-k8s.sh [binary...]   (default: the control plane and kubectl)
source "$(dirname "$0")/lib.sh"

DEFAULT_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
binaries=("${@:-${DEFAULT_BINARIES[@]}}")

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

build_kubernetes() {
  local missing=()
  for b in "${binaries[@]}"; do
    [[ -x "$K8S_BIN_DIR/$b" ]] || missing+=("$b")
  done
  if ((${#missing[@]} == 0)); then
    log "kubernetes $KUBERNETES_VERSION: cached in $K8S_BIN_DIR"
    return
  fi
  log "kubernetes $KUBERNETES_VERSION: building ${missing[*]} (first time only; several minutes on 2 cores)"

  local ver="${KUBERNETES_VERSION#v}" major minor patch
  IFS=. read -r major minor patch <<<"$ver"
  local work="$MODELOPS_CACHE/kubernetes/$KUBERNETES_VERSION/wrapper"
  mkdir -p "$work" "$K8S_BIN_DIR"
  if [[ ! -f "$work/go.sum" ]]; then
    rm -f "$work/go.mod"
    (
      cd "$work"
      go mod init modelops.dev/k8s-build >/dev/null 2>&1
      local kmod
      kmod="$(curl -fsSL "$(go env GOPROXY | cut -d, -f1)/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod" 2>/dev/null || true)"
      if [[ -z "$kmod" ]]; then
        kmod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' | xargs cat)"
      fi
      local goline
      goline="$(awk '$1=="go"{print $2; exit}' <<<"$kmod")"
      go mod edit -go="$goline"
      # One replace per staging module, read from the pinned go.mod itself.
      grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' <<<"$kmod" |
        awk '{print $1}' | while read -r m; do
          go mod edit -replace="$m=$m@v0.$minor.$patch"
        done
      go get "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
      # Ensure every dependency of the binaries we build is recorded.
      for b in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
        go get "k8s.io/kubernetes/cmd/$b@$KUBERNETES_VERSION" >/dev/null
      done
    )
  fi

  local date ld=""
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  (
    cd "$work"
    for b in "${missing[@]}"; do
      log "  go build $b"
      go build -trimpath -ldflags "-s -w $ld" -o "$K8S_BIN_DIR/$b.tmp" "k8s.io/kubernetes/cmd/$b"
      mv "$K8S_BIN_DIR/$b.tmp" "$K8S_BIN_DIR/$b"
    done
  )
}

build_etcd() {
  if [[ -x "$ETCD_BIN_DIR/etcd" ]]; then
    log "etcd $ETCD_VERSION: cached in $ETCD_BIN_DIR"
    return
  fi
  log "etcd $ETCD_VERSION: building"
  local work="$MODELOPS_CACHE/etcd/$ETCD_VERSION/wrapper"
  mkdir -p "$work" "$ETCD_BIN_DIR"
  (
    cd "$work"
    [[ -f go.mod ]] || go mod init modelops.dev/etcd-build >/dev/null 2>&1
    # The server module's own replaces point at sibling folders; from a wrapper the
    # published modules of the same version are used instead.
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
    go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN_DIR/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$ETCD_BIN_DIR/etcd.tmp" "$ETCD_BIN_DIR/etcd"
  )
}

build_etcd
build_kubernetes
