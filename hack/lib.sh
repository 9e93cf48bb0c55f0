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
COREDNS_BIN_DIR="$MODELOPS_CACHE/coredns/$COREDNS_VERSION/bin"
PROMETHEUS_BIN_DIR="$MODELOPS_CACHE/prometheus/$PROMETHEUS_VERSION/bin"
TRAEFIK_BIN_DIR="$MODELOPS_CACHE/traefik/$TRAEFIK_VERSION/bin"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A free TCP port on loopback (the kernel picks it; a tiny race with other processes is accepted).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Stops the process whose pid is in FILE (TERM, then KILL after 5 s) and removes FILE. A
# process started with setsid leads its own group: the whole group is stopped with it.
stop_pid() {
  local f="$1" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

# A host process's own identity on the local control plane in CLUSTER_DIR: a ClusterRole
# named USER with RULES (YAML list items, one per line), bound to user USER, and
# OUT.kubeconfig with a client certificate for USER (client_kubeconfig).
host_client() {
  local cluster_dir="$1" out="$2" user="$3" rules="$4"
  "$K8S_BIN_DIR/kubectl" --kubeconfig="$cluster_dir/admin.kubeconfig" apply -f - >/dev/null <<RBAC
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "$user"}
rules:
$rules
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "$user"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "$user"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$user"}]
RBAC
  client_kubeconfig "$cluster_dir" "$out" "$user"
}

# Writes OUT.crt, OUT.key and OUT.kubeconfig: a client identity CN (in group ORG when given)
# signed by the local control plane's CA in CLUSTER_DIR, for a host process that reads the API.
client_kubeconfig() {
  local cluster_dir="$1" out="$2" cn="$3" org="${4:-}" subj server
  subj="${org:+/O=$org}/CN=$cn"
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$out.key" -out "$out.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$out.ext"
  openssl x509 -req -in "$out.csr" -CA "$cluster_dir/pki/ca.crt" -CAkey "$cluster_dir/pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$out.ext" -out "$out.crt" 2>/dev/null
  rm -f "$out.csr" "$out.ext"
  server="$(awk '/server:/ {print $2; exit}' "$cluster_dir/admin.kubeconfig")"
  cat >"$out.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: $server, certificate-authority: $cluster_dir/pki/ca.crt}
users:
- name: $cn
  user: {client-certificate: $out.crt, client-key: $out.key}
contexts:
- name: local
  context: {cluster: local, user: $cn}
current-context: local
KC
}
