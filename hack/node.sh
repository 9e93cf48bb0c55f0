#!/usr/bin/env bash
# A real node for the local control plane: kubelet (same pinned build) on containerd and runc
# from Debian, with a bridge CNI network, kube-proxy, and cluster DNS (CoreDNS on the node IP,
# hack/cluster-dns.sh). Pods really run, as containers, and resolve Service names.
#
# usage: hack/node.sh up   [--dir DIR]   add the node to the control plane running from DIR
#        hack/node.sh down [--dir DIR]   stop the kubelet and containerd, remove the node's state
#
# Findings on these machines (see docs/cluster.md): the node needs a non-loopback IP, so it
# uses the CNI bridge's gateway address; the sandbox lacks CAP_SYS_RESOURCE, so containerd
# must clamp OOM score adjustments (restrict_oom_score_adj); cgroups are v1 without systemd,
# so both use the cgroupfs driver.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
DIR="$REPO_ROOT/_output/cluster"
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    *) die "unknown argument $1 (usage: hack/node.sh up|down [--dir DIR])" ;;
  esac
done
NODE_DIR="$DIR/node"
NODE_NAME=modelops-node
BRIDGE=mo0
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
PAUSE_IMAGE=localhost/modelops/pause:3.10
CTR=(ctr --address "$NODE_DIR/containerd.sock" -n k8s.io)

# The sandbox ("pause") image: a static Go program that waits for a signal, built with
# buildah from scratch and cached as an OCI archive, since no registry is reachable.
pause_image() {
  local cache="$MODELOPS_CACHE/images/pause-3.10.tar"
  if [[ ! -s "$cache" ]]; then
    log "building the pause image"
    local src; src="$(mktemp -d)"
    cat >"$src/main.go" <<'GO'
// pause: the sandbox process of every Pod; it waits until told to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
}
GO
    (cd "$src" && go mod init pause >/dev/null 2>&1 && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags "-s -w" -o pause .)
    local c; c="$(buildah from scratch)"
    buildah copy "$c" "$src/pause" /pause >/dev/null
    buildah config --entrypoint '["/pause"]' --user 65535:65535 "$c"
    buildah commit -q "$c" "$PAUSE_IMAGE" >/dev/null
    buildah rm "$c" >/dev/null
    mkdir -p "$(dirname "$cache")"
    buildah push -q "$PAUSE_IMAGE" "oci-archive:$cache.tmp:$PAUSE_IMAGE"
    mv "$cache.tmp" "$cache"
    rm -rf "$src"
  fi
  "${CTR[@]}" images import --base-name localhost/modelops/pause "$cache" >/dev/null
}

wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { tail -n 20 "$NODE_DIR"/*.log >&2 || true; die "$what not ready within ${timeout}s (logs in $NODE_DIR)"; }
    sleep 0.5
  done
}

up() {
  [[ -f "$DIR/state.env" ]] || die "no control plane runs from $DIR; start one with hack/control-plane.sh up --dir $DIR"
  [[ -f "$NODE_DIR/kubelet.pid" ]] && die "a node already runs from $DIR; run hack/node.sh down --dir $DIR first"
  ((EUID == 0)) || die "a node needs root (containerd, runc, network setup)"
  for b in containerd runc ctr buildah; do command -v "$b" >/dev/null || die "$b is missing: run hack/install-deps.sh"; done
  [[ -x "$K8S_BIN_DIR/kubelet" ]] || "$HACK_DIR/build-k8s.sh" kubelet
  DIR="$(cd "$DIR" && pwd)"; NODE_DIR="$DIR/node"
  local pki="$DIR/pki"
  mkdir -p "$NODE_DIR"/{cni,containerd-root,containerd-state,kubelet-root}

  # Network: the bridge exists before the kubelet so its gateway address can be the node IP.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  echo 1 >/proc/sys/net/ipv4/ip_forward
  cat >"$NODE_DIR/cni/10-modelops.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "modelops", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$NODE_DIR/cni-ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
CNI

  cat >"$NODE_DIR/containerd.toml" <<TOML
version = 2
root = "$NODE_DIR/containerd-root"
state = "$NODE_DIR/containerd-state"
[grpc]
  address = "$NODE_DIR/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE here: lowering a process's OOM score (as the CRI asks for sandboxes
  # and Guaranteed Pods) fails, so clamp it to containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni"
TOML
  log "containerd $(containerd --version | awk '{print $3}')"
  setsid containerd --config "$NODE_DIR/containerd.toml" >"$NODE_DIR/containerd.log" 2>&1 </dev/null &
  echo $! >"$NODE_DIR/containerd.pid"
  wait_for containerd 30 "${CTR[@]}" version
  pause_image

  # Cluster DNS before the first Pod: the kubelet writes the node IP into every Pod's
  # resolv.conf, and CoreDNS answers there (a host process; see docs/cluster.md).
  "$HACK_DIR/cluster-dns.sh" up --dir "$DIR"

  # The kubelet's identity: system:node:<name> in system:nodes, authorised by the Node authorizer.
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$NODE_NAME" \
    -keyout "$NODE_DIR/kubelet.key" -out "$NODE_DIR/kubelet.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$NODE_DIR/kubelet.ext"
  openssl x509 -req -in "$NODE_DIR/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$NODE_DIR/kubelet.ext" -out "$NODE_DIR/kubelet.crt" 2>/dev/null
  local server; server="$(awk '/server:/ {print $2; exit}' "$DIR/admin.kubeconfig")"
  cat >"$NODE_DIR/kubelet.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: $server, certificate-authority: $pki/ca.crt}
users:
- name: kubelet
  user: {client-certificate: $NODE_DIR/kubelet.crt, client-key: $NODE_DIR/kubelet.key}
contexts:
- name: local
  context: {cluster: local, user: kubelet}
current-context: local
KC
  local port healthz
  port=$(free_port); healthz=$(free_port)
  cat >"$NODE_DIR/kubelet.yaml" <<CFG
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$NODE_DIR/containerd.sock
address: $NODE_IP
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: /etc/resolv.conf
staticPodPath: ""
enforceNodeAllocatable: []
localStorageCapacityIsolation: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
serializeImagePulls: false
CFG
  log "kubelet $KUBERNETES_VERSION as $NODE_NAME ($NODE_IP)"
  setsid "$K8S_BIN_DIR/kubelet" --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
    --root-dir="$NODE_DIR/kubelet-root" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1 \
    >"$NODE_DIR/kubelet.log" 2>&1 </dev/null &
  echo $! >"$NODE_DIR/kubelet.pid"
  wait_for "node $NODE_NAME Ready" 90 "$K8S_BIN_DIR/kubectl" --kubeconfig="$DIR/admin.kubeconfig" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s

  # kube-proxy (iptables mode) makes Service ClusterIPs reach their Pods. Its identity
  # system:kube-proxy is bound to system:node-proxier by the default RBAC.
  [[ -x "$K8S_BIN_DIR/kube-proxy" ]] || "$HACK_DIR/build-k8s.sh" kube-proxy
  openssl req -newkey rsa:2048 -nodes -subj "/CN=system:kube-proxy" \
    -keyout "$NODE_DIR/kube-proxy.key" -out "$NODE_DIR/kube-proxy.csr" 2>/dev/null
  openssl x509 -req -in "$NODE_DIR/kube-proxy.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$NODE_DIR/kubelet.ext" -out "$NODE_DIR/kube-proxy.crt" 2>/dev/null
  sed -e "s|$NODE_DIR/kubelet.crt|$NODE_DIR/kube-proxy.crt|; s|$NODE_DIR/kubelet.key|$NODE_DIR/kube-proxy.key|; s|name: kubelet|name: kube-proxy|; s|user: kubelet|user: kube-proxy|" \
    "$NODE_DIR/kubelet.kubeconfig" >"$NODE_DIR/kube-proxy.kubeconfig"
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || log "warning: bridge-nf-call-iptables unavailable; Pod-to-Service hairpin may fail"
  setsid "$K8S_BIN_DIR/kube-proxy" --kubeconfig="$NODE_DIR/kube-proxy.kubeconfig" --hostname-override="$NODE_NAME" \
    --cluster-cidr="$POD_CIDR" --proxy-mode=iptables --nodeport-addresses=primary \
    --metrics-bind-address="127.0.0.1:$(free_port)" --healthz-bind-address="127.0.0.1:$(free_port)" --v=1 \
    >"$NODE_DIR/kube-proxy.log" 2>&1 </dev/null &
  echo $! >"$NODE_DIR/kube-proxy.pid"
  log "node $NODE_NAME is Ready: Pods run as containers, Services route through kube-proxy, names resolve through CoreDNS on $NODE_IP"
}

down() {
  # CoreDNS first: it may run without the rest (a node that failed to start).
  "$HACK_DIR/cluster-dns.sh" down --dir "$DIR"
  [[ -d "$NODE_DIR" ]] || { log "no node runs from $DIR"; return; }
  stop_pid "$NODE_DIR/kube-proxy.pid"
  stop_pid "$NODE_DIR/kubelet.pid"
  # Stop the Pods' containers before containerd: their shims would outlive it.
  if [[ -S "$NODE_DIR/containerd.sock" ]]; then
    for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
    sleep 1
    for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks delete -f "$t" >/dev/null 2>&1 || true; done
  fi
  stop_pid "$NODE_DIR/containerd.pid"
  pkill -f "containerd-shim-runc-v2 -namespace k8s.io.*-address $NODE_DIR/containerd.sock" 2>/dev/null || true
  # Unmount what containerd and the kubelet mounted under the node's folders.
  grep -o " $NODE_DIR[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  "$K8S_BIN_DIR/kubectl" --kubeconfig="$DIR/admin.kubeconfig" delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  ip link del "$BRIDGE" 2>/dev/null || true
  # kube-proxy's rules name Services of this cluster only; flush them with the node.
  if command -v iptables-save >/dev/null; then
    iptables-save | grep -v -E 'KUBE-|^:KUBE' | iptables-restore 2>/dev/null || true
  fi
  rm -rf "$NODE_DIR"
  log "node stopped"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) die "usage: hack/node.sh up|down [--dir DIR]" ;;
esac
