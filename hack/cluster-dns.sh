#!/usr/bin/env bash
# Cluster DNS for the local node: the pinned CoreDNS (hack/build-coredns.sh) as a host process
# listening on the node IP, port 53, answering <svc>.<ns>.svc.cluster.local (and Pod A records)
# from the API through its kubernetes plugin and forwarding other names to this machine's
# resolvers. The kubelet names the node IP as the Pods' nameserver (clusterDNS).
#
# usage: hack/cluster-dns.sh up   [--dir DIR]   start for the control plane running from DIR
#        hack/cluster-dns.sh down [--dir DIR]   stop it and remove DIR/dns
#
# hack/node.sh up/down call these; the node IP must exist (the node's bridge) before `up`.
# Why a host process and not a Pod: see docs/cluster.md.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
DIR="$REPO_ROOT/_output/cluster"
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    *) die "unknown argument $1 (usage: hack/cluster-dns.sh up|down [--dir DIR])" ;;
  esac
done
DNS_DIR="$DIR/dns"
NODE_IP=10.244.0.1
CLUSTER_DOMAIN=cluster.local
USER_NAME=modelops:coredns

up() {
  [[ -f "$DIR/state.env" ]] || die "no control plane runs from $DIR; start one with hack/control-plane.sh up --dir $DIR"
  if [[ -f "$DNS_DIR/coredns.pid" ]] && kill -0 "$(cat "$DNS_DIR/coredns.pid")" 2>/dev/null; then
    log "CoreDNS already runs from $DNS_DIR"
    return 0
  fi
  ((EUID == 0)) || die "CoreDNS on port 53 needs root"
  ip -4 -o addr show | grep -q "inet $NODE_IP/" || die "the node IP $NODE_IP is not on this machine; hack/node.sh up creates it (the bridge)"
  local coredns; coredns="$("$HACK_DIR/build-coredns.sh")/coredns"
  mkdir -p "$DNS_DIR"
  DIR="$(cd "$DIR" && pwd)"; DNS_DIR="$DIR/dns"

  # Its own identity, allowed to read what the kubernetes plugin watches, nothing more.
  host_client "$DIR" "$DNS_DIR/coredns" "$USER_NAME" '- {apiGroups: [""], resources: [services, namespaces, pods], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}'

  local health ready
  health=$(free_port); ready=$(free_port)
  # The cluster zone and reverse zones from the API; everything else to the host's resolvers.
  cat >"$DNS_DIR/Corefile" <<COREFILE
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$health
    ready 127.0.0.1:$ready
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $DNS_DIR/coredns.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
}
COREFILE
  echo "READY_URL=http://127.0.0.1:$ready/ready" >"$DNS_DIR/state.env"
  log "CoreDNS $COREDNS_VERSION on $NODE_IP:53 for $CLUSTER_DOMAIN"
  setsid "$coredns" -conf "$DNS_DIR/Corefile" >"$DNS_DIR/coredns.log" 2>&1 </dev/null &
  echo $! >"$DNS_DIR/coredns.pid"
  # /ready answers 200 once the kubernetes plugin has synced with the API.
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "http://127.0.0.1:$ready/ready" 2>/dev/null; do
    kill -0 "$(cat "$DNS_DIR/coredns.pid")" 2>/dev/null || { tail -n 20 "$DNS_DIR/coredns.log" >&2; die "CoreDNS exited (log: $DNS_DIR/coredns.log)"; }
    ((SECONDS < deadline)) || { tail -n 20 "$DNS_DIR/coredns.log" >&2; die "CoreDNS not ready within 30s (log: $DNS_DIR/coredns.log)"; }
    sleep 0.2
  done
}

down() {
  [[ -d "$DNS_DIR" ]] || return 0
  stop_pid "$DNS_DIR/coredns.pid"
  rm -rf "$DNS_DIR"
  log "CoreDNS stopped"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) die "usage: hack/cluster-dns.sh up|down [--dir DIR]" ;;
esac
