#!/usr/bin/env bash
# A real local Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager and
# kube-scheduler from the pinned build, on free loopback ports, with certificates and an
# admin kubeconfig made fresh for each run.
#
# usage: hack/control-plane.sh up   [--dir DIR]   start; prints how to use it with kubectl
#        hack/control-plane.sh down [--dir DIR]   stop and remove the run's state
#        hack/control-plane.sh env  [--dir DIR]   print `export KUBECONFIG=...` for eval
#        hack/control-plane.sh stop-component NAME [--dir DIR]    e.g. kube-apiserver, for
#        hack/control-plane.sh start-component NAME [--dir DIR]   tests of outages
#
# DIR defaults to _output/cluster in the repository (ignored by git).
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
component=""
if [[ "$cmd" == *-component ]]; then component="${1:-}"; shift || true; fi
DIR="$REPO_ROOT/_output/cluster"
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    *) die "unknown argument $1 (usage: hack/control-plane.sh up|down|env [--dir DIR])" ;;
  esac
done
PKI="$DIR/pki"; LOGS="$DIR/logs"; PIDS="$DIR/pids"

gen_pki() {
  mkdir -p "$PKI"
  local o="openssl"
  $o req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=modelops-local-ca" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  # cert NAME SUBJECT [SANs]: a key and a certificate signed by the local CA.
  cert() {
    local name="$1" subj="$2" san="${3:-}"
    $o req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
    local ext="$PKI/$name.ext"
    if [[ -n "$san" ]]; then
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$ext"
    else
      printf 'extendedKeyUsage=clientAuth\n' >"$ext"
    fi
    $o x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 30 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
    rm -f "$PKI/$name.csr" "$ext"
  }
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:10.0.0.1,IP:10.244.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin "/O=system:masters/CN=modelops-admin"
  # How the apiserver authenticates to kubelets (logs, exec) when hack/node.sh adds one.
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  $o genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  $o rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}

kubeconfig() {
  local name="$1" user="$2" server="$3"
  cat >"$DIR/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: modelops-local
  cluster:
    server: $server
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $PKI/$user.crt
    client-key: $PKI/$user.key
contexts:
- name: modelops-local
  context: {cluster: modelops-local, user: $user, namespace: default}
current-context: modelops-local
KC
}

start() {
  local name="$1"; shift
  mkdir -p "$DIR/cmd"
  printf '%q ' "$@" >"$DIR/cmd/$name"   # kept so start-component can run it again
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$PIDS/$name"
}

stop_component() {
  [[ -f "$PIDS/$1" ]] || die "$1 is not running from $DIR"
  stop_pid "$PIDS/$1"
}

start_component() {
  [[ -f "$DIR/cmd/$1" ]] || die "no recorded command for $1 in $DIR"
  [[ -f "$PIDS/$1" ]] && die "$1 already runs from $DIR"
  eval "start $1 $(cat "$DIR/cmd/$1")"
}

wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "--- last lines of the logs ---" >&2
      tail -n 20 "$LOGS"/*.log >&2 || true
      die "$what did not become ready within ${timeout}s (logs in $LOGS)"
    fi
    sleep 0.5
  done
}

up() {
  [[ -f "$DIR/state.env" ]] && die "a control plane already runs from $DIR; run 'hack/control-plane.sh down --dir $DIR' first"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [[ -x "$K8S_BIN_DIR/$b" ]] || "$HACK_DIR/build-k8s.sh"
  done
  [[ -x "$ETCD_BIN_DIR/etcd" ]] || "$HACK_DIR/build-k8s.sh"
  mkdir -p "$DIR" "$LOGS" "$PIDS"
  DIR="$(cd "$DIR" && pwd)"; PKI="$DIR/pki"; LOGS="$DIR/logs"; PIDS="$DIR/pids"
  gen_pki

  local etcd_port etcd_peer api_port kcm_port sched_port data
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kcm_port=$(free_port); sched_port=$(free_port)
  # etcd's data on tmpfs when there is one: the control plane is disposable and fsync-bound.
  if [[ -d /dev/shm && -w /dev/shm ]]; then data="$(mktemp -d /dev/shm/modelops-etcd.XXXXXX)"; else data="$DIR/etcd"; fi
  cat >"$DIR/state.env" <<ST
ETCD_DATA=$data
API_PORT=$api_port
ETCD_PORT=$etcd_port
ST
  local server="https://127.0.0.1:$api_port"
  kubeconfig admin admin "$server"
  kubeconfig controller-manager controller-manager "$server"
  kubeconfig scheduler scheduler "$server"

  log "etcd $ETCD_VERSION on 127.0.0.1:$etcd_port"
  start etcd "$ETCD_BIN_DIR/etcd" --name=local --data-dir="$data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
    --initial-cluster="local=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level=warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"

  log "kube-apiserver $KUBERNETES_VERSION on $server"
  start kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=0.0.0.0 --advertise-address=10.244.0.1 --secure-port="$api_port" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,OwnerReferencesPermissionEnforcement --allow-privileged=true \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --profiling=false --v=1
  wait_for kube-apiserver 90 curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$server/readyz"

  log "kube-controller-manager and kube-scheduler"
  start kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$kcm_port" \
    --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --profiling=false --v=1
  start kube-scheduler "$K8S_BIN_DIR/kube-scheduler" \
    --kubeconfig="$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig="$DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig="$DIR/scheduler.kubeconfig" \
    --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$sched_port" --v=1
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
  wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$sched_port/healthz"
  # The controller-manager creates each namespace's default ServiceAccount; wait for the first.
  wait_for "the default ServiceAccount" 60 "$K8S_BIN_DIR/kubectl" --kubeconfig="$DIR/admin.kubeconfig" get serviceaccount default -n default

  cat >"$DIR/env.sh" <<EV
export KUBECONFIG=$DIR/admin.kubeconfig
export PATH=$K8S_BIN_DIR:\$PATH
EV
  log "control plane ready ($("$K8S_BIN_DIR/kubectl" --kubeconfig="$DIR/admin.kubeconfig" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])'))"
  cat >&2 <<MSG

  Use it with kubectl:
    eval "\$(hack/control-plane.sh env${DIR:+ --dir $DIR})"
    kubectl get namespaces
  Stop it:
    hack/control-plane.sh down --dir $DIR

MSG
}

down() {
  [[ -d "$PIDS" ]] || { log "nothing runs from $DIR"; return; }
  # Reverse order of start: clients first (an operator started by the demo), then the
  # scheduler and controller-manager, the apiserver, and etcd last.
  for name in operator kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop_pid "$PIDS/$name"
  done
  if [[ -f "$DIR/state.env" ]]; then
    # shellcheck disable=SC1091
    source "$DIR/state.env"
    [[ "${ETCD_DATA:-}" == /dev/shm/modelops-etcd.* ]] && rm -rf "$ETCD_DATA"
  fi
  rm -rf "$DIR"
  log "control plane stopped"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  stop-component) stop_component "$component" ;;
  start-component) start_component "$component" ;;
  env) [[ -f "$DIR/env.sh" ]] || die "no control plane runs from $DIR; start one with hack/control-plane.sh up"; cat "$DIR/env.sh" ;;
  *) die "usage: hack/control-plane.sh up|down|env|stop-component NAME|start-component NAME [--dir DIR]" ;;
esac
