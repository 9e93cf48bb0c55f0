# Shared helpers for hack/ scripts: paths, versions, logging. Source, do not execute.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/versions.env
source "$HACK_DIR/versions.env"

# Everything expensive is cached outside the work tree, keyed by version, so a fresh
# clone on a machine that built once before reuses it.
MODELOPS_CACHE="${MODELOPS_CACHE:-$HOME/.cache/modelops}"
K8S_BIN_DIR="$MODELOPS_CACHE/kubernetes/$KUBERNETES_VERSION/bin"
ETCD_BIN_DIR="$MODELOPS_CACHE/etcd/$ETCD_VERSION/bin"
HELM_BIN_DIR="$MODELOPS_CACHE/helm/$HELM_VERSION/bin"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
