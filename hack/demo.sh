#!/usr/bin/env bash
# The main job: a control plane (local, or the current kube context with --current-context),
# the modelops API installed, and the Seattle weather pipeline applied and shown.
#
# The operator's reconcilers land issue by issue; until they do, this shows the API a data
# scientist writes against (the five resources accepted, validated and listed) and the
# operator reconciling what it already can (the InferenceService's Service and status).
# With --current-context the operator is not started: install it with the Helm chart.
#
# usage: hack/demo.sh [--current-context] [--namespace NS]
source "$(dirname "$0")/lib.sh"

use_current=false
ns=modelops-demo
while (($#)); do
  case "$1" in
    --current-context) use_current=true; shift ;;
    --namespace) ns="$2"; shift 2 ;;
    *) die "unknown argument $1 (usage: hack/demo.sh [--current-context] [--namespace NS])" ;;
  esac
done

CLUSTER_DIR="${CLUSTER_DIR:-$REPO_ROOT/_output/cluster}"
export PATH="$K8S_BIN_DIR:$PATH"
step() { printf '\n\033[1;32m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
t0=$SECONDS

if $use_current; then
  ctx="$(kubectl config current-context)" || die "no current kube context; drop --current-context to start a local control plane"
  step "using the current kube context: $ctx"
else
  if [[ -f "$CLUSTER_DIR/env.sh" ]]; then
    step "reusing the local control plane in $CLUSTER_DIR"
  else
    step "starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler $KUBERNETES_VERSION)"
    "$HACK_DIR/control-plane.sh" up --dir "$CLUSTER_DIR"
  fi
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/env.sh"
fi

step "installing the modelops.dev CRDs (server-side apply, as for upgrades)"
kubectl apply --server-side --field-manager=modelops -f "$REPO_ROOT/crds"
kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=modelops >/dev/null

step "applying the Seattle weather pipeline to namespace $ns"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather"

if ! $use_current; then
  step "starting the operator (node operator/main.ts; logs in $CLUSTER_DIR/operator.log)"
  if [[ -f "$CLUSTER_DIR/pids/operator" ]] && kill -0 "$(cat "$CLUSTER_DIR/pids/operator")" 2>/dev/null; then
    echo "already running (pid $(cat "$CLUSTER_DIR/pids/operator"))"
  else
    NODE_BIN="$("$HACK_DIR/ensure-node.sh")"
    setsid "$NODE_BIN/node" "$REPO_ROOT/operator/main.ts" --kubeconfig="$KUBECONFIG" \
      --metrics-bind-address=127.0.0.1:0 --health-probe-bind-address=127.0.0.1:0 \
      >"$CLUSTER_DIR/operator.log" 2>&1 </dev/null &
    echo $! >"$CLUSTER_DIR/pids/operator"
  fi
  step "waiting for the operator to reconcile the InferenceService"
  for _ in $(seq 1 60); do
    [[ -n "$(kubectl get misvc seattle-weather -n "$ns" -o jsonpath='{.status.url}' 2>/dev/null)" ]] && break
    sleep 0.5
  done
  kubectl get service seattle-weather -n "$ns"
  kubectl get misvc seattle-weather -n "$ns" -o jsonpath='{range .status.conditions[*]}{.type}={.status} ({.reason}): {.message}{"\n"}{end}'
fi

step "the pipeline as kubectl shows it"
kubectl get modelops -n "$ns"

step "the API explains itself"
kubectl explain trainingjob.spec.gate | sed -n '1,12p'

step "schema validation at work: a canary whose weights go down is refused"
if kubectl apply --dry-run=server -n "$ns" -f - 2>&1 <<'BAD'; then die "the API server accepted an invalid InferenceService"; fi
apiVersion: modelops.dev/v1alpha1
kind: InferenceService
metadata: {name: bad-canary}
spec:
  model: {name: seattle-weather, alias: production}
  rollout:
    canary:
      steps: [{weight: 50}, {weight: 20}]
BAD

cat >&2 <<MSG

Done in $((SECONDS - t0))s. Look around:
$( $use_current || echo "  eval \"\$(hack/control-plane.sh env --dir $CLUSTER_DIR)\"" )
  kubectl get modelops -n $ns
  kubectl explain inferenceservice.spec.rollout
$( $use_current || echo "Stop the control plane with: make down" )
MSG
