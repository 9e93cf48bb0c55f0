#!/usr/bin/env bash
# A Gateway API implementation for a local cluster: Traefik (hack/build-traefik.sh) as a host
# process that reads the API server through a kubeconfig, with a GatewayClass and one Gateway
# it programs. See docs/cluster.md, "Gateway API".
#
#   hack/gateway.sh up   --kubeconfig FILE --dir DIR [--address IP] [--namespace NS] [--name NAME]
#        start; prints the Gateway's URL (http://IP:PORT) and writes DIR/gateway.env
#        --address   where Traefik listens (default 127.0.0.1; 10.244.0.1 when a node runs,
#                    so that Pods reach it too); the port is a free one
#        --namespace the Gateway's namespace (default default), --name its name (default modelops)
#   hack/gateway.sh down --dir DIR       stop Traefik, delete its GatewayClass and Gateway, remove DIR
#   hack/gateway.sh env  --dir DIR       print DIR/gateway.env, for eval
#
# The Gateway accepts HTTPRoutes from every namespace on its one HTTP listener. Each `up` makes
# its own GatewayClass (named after DIR's hash) and Traefik only watches GatewayClasses with that
# label, so several instances on one control plane do not fight over each other's Gateways.
#
# CRDs: the pinned Gateway API's standard CRDs, plus the two that Traefik watches and that
# release lacks (BackendTLSPolicy and TLSRoute at v1), from the Gateway API release Traefik is
# built against. Each is applied only when the cluster does not have it yet, so a cluster with
# newer Gateway API CRDs is not downgraded; they stay installed after `down`.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
DIR=""; KUBECONFIG_FILE=""; ADDRESS=127.0.0.1; NAMESPACE=default; NAME=modelops
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --kubeconfig) KUBECONFIG_FILE="$2"; shift 2 ;;
    --address) ADDRESS="$2"; shift 2 ;;
    --namespace) NAMESPACE="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
[[ -n "$DIR" ]] || die "--dir DIR is required"
TRAEFIK="$TRAEFIK_BIN_DIR/traefik"
KUBECTL="$K8S_BIN_DIR/kubectl"
CONTROLLER=traefik.io/gateway-controller

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

install_crds() {
  local std extra f crd missing=() names=()
  std="$("$HACK_DIR/gateway-api.sh")"
  extra="$("$HACK_DIR/gateway-api.sh" "$TRAEFIK_GATEWAY_API_VERSION")"
  for f in "$std"/gateway.networking.k8s.io_{gatewayclasses,gateways,httproutes,grpcroutes,referencegrants}.yaml \
    "$extra"/gateway.networking.k8s.io_{backendtlspolicies,tlsroutes}.yaml; do
    crd="$(basename "$f" .yaml | sed 's/^gateway\.networking\.k8s\.io_//').gateway.networking.k8s.io"
    k get crd "$crd" >/dev/null 2>&1 || { missing+=(-f "$f"); names+=("$crd"); }
  done
  ((${#names[@]} == 0)) && return 0
  log "installing Gateway API CRDs: ${names[*]}"
  k apply --server-side --field-manager=modelops-gateway "${missing[@]}" >/dev/null
  # `kubectl wait` fails outright while a new CRD has no conditions yet: poll instead.
  for crd in "${names[@]}"; do
    for _ in $(seq 1 120); do
      [[ "$(k get crd "$crd" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" == True ]] && break
      sleep 0.5
    done
  done
}

up() {
  [[ -n "$KUBECONFIG_FILE" && -f "$KUBECONFIG_FILE" ]] || die "--kubeconfig FILE is required (e.g. _output/cluster/admin.kubeconfig)"
  [[ -x "$TRAEFIK" ]] || die "traefik $TRAEFIK_VERSION is not built: run 'make gateway' (hack/build-traefik.sh)"
  [[ -x "$KUBECTL" ]] || die "kubectl $KUBERNETES_VERSION is not built: run 'make k8s'"
  if [[ -f "$DIR/pid" ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
    log "traefik already running (pid $(cat "$DIR/pid"))"
    # shellcheck disable=SC1091
    source "$DIR/gateway.env" && echo "$GATEWAY_URL"
    return 0
  fi
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd)"
  KUBECONFIG_FILE="$(cd "$(dirname "$KUBECONFIG_FILE")" && pwd)/$(basename "$KUBECONFIG_FILE")"
  install_crds

  local port ping class
  port=$(free_port); ping=$(free_port)
  class="modelops-traefik-$(printf '%s' "$DIR" | sha256sum | cut -c1-8)"
  # A route change is applied as soon as Traefik sees it (no throttling of Kubernetes events),
  # unless another configuration was applied less than 200 ms before (Traefik's default
  # window is 2 s): the rollback time of a rollout depends on it.
  KUBECONFIG="$KUBECONFIG_FILE" setsid "$TRAEFIK" \
    --global.checkNewVersion=false --global.sendAnonymousUsage=false \
    --log.level=INFO \
    --entryPoints.web.address="$ADDRESS:$port" \
    --entryPoints.traefik.address="127.0.0.1:$ping" --ping=true \
    --providers.kubernetesGateway=true \
    --providers.kubernetesGateway.labelSelector="modelops.dev/gateway-class=$class" \
    --providers.kubernetesGateway.statusAddress.ip="$ADDRESS" \
    --providers.kubernetesGateway.throttleDuration=0s \
    --providers.providersThrottleDuration=200ms \
    >"$DIR/traefik.log" 2>&1 &
  echo $! >"$DIR/pid"
  cat >"$DIR/gateway.env" <<ENV
export GATEWAY_URL=http://$ADDRESS:$port
export GATEWAY_ADDRESS=$ADDRESS
export GATEWAY_PORT=$port
export GATEWAY_NAME=$NAME
export GATEWAY_NAMESPACE=$NAMESPACE
export GATEWAY_CLASS=$class
export GATEWAY_KUBECONFIG=$KUBECONFIG_FILE
ENV
  local i
  for i in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$ping/ping" && break
    kill -0 "$(cat "$DIR/pid")" 2>/dev/null || die "traefik exited; see $DIR/traefik.log"
    sleep 0.1
  done
  [[ $i -lt 100 ]] || die "traefik did not answer its ping within 10s; see $DIR/traefik.log"

  k apply --server-side --field-manager=modelops-gateway -f - >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $class
  labels: {modelops.dev/gateway-class: $class}
spec:
  controllerName: $CONTROLLER
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: $NAME
  namespace: $NAMESPACE
spec:
  gatewayClassName: $class
  listeners:
  - name: http
    protocol: HTTP
    port: $port
    allowedRoutes:
      namespaces: {from: All}
YAML
  if ! k -n "$NAMESPACE" wait --for=condition=Programmed --timeout=60s "gateway/$NAME" >/dev/null; then
    die "Gateway $NAMESPACE/$NAME was not Programmed within 60s; see $DIR/traefik.log and 'kubectl -n $NAMESPACE describe gateway $NAME'"
  fi
  log "traefik $TRAEFIK_VERSION programs Gateway $NAMESPACE/$NAME (class $class) on $ADDRESS:$port; log in $DIR/traefik.log"
  echo "http://$ADDRESS:$port"
}

down() {
  if [[ -f "$DIR/gateway.env" ]]; then
    # shellcheck disable=SC1091
    source "$DIR/gateway.env"
    KUBECONFIG_FILE="$GATEWAY_KUBECONFIG"
    if [[ -f "$KUBECONFIG_FILE" ]]; then
      k -n "$GATEWAY_NAMESPACE" delete gateway "$GATEWAY_NAME" --ignore-not-found --wait=false --request-timeout=10s >/dev/null 2>&1 || true
      k delete gatewayclass "$GATEWAY_CLASS" --ignore-not-found --wait=false --request-timeout=10s >/dev/null 2>&1 || true
    fi
  fi
  stop_pid "$DIR/pid"
  rm -rf "$DIR"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  env) cat "$DIR/gateway.env" ;;
  *) die "usage: $0 up|down|env --dir DIR [--kubeconfig FILE] [--address IP] [--namespace NS] [--name NAME]" ;;
esac
