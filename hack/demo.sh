#!/usr/bin/env bash
# The main job: a control plane (local, or the current kube context with --current-context),
# the modelops API installed, and the Seattle weather pipeline applied and shown.
#
# Locally, as root (containerd, runc and the bridge network need it), it adds a real node
# (with CoreDNS as its cluster DNS), Prometheus discovering the model server Pods (its URL is
# the operator's --prometheus-url), an S3-compatible store reachable from Pods, builds the
# operator, trainer and server images, installs the Helm chart, and runs the pipeline for
# real: the Dataset's ingest Job, the TrainingJob's training Job, the ModelVersion registered
# and verified, promoted to production and served by the InferenceService's server Pods, and
# a prediction sent to it from this machine through the Service's ClusterIP. Without root it
# starts the control plane only, runs the operator as a local process and shows the API and
# what the operator reconciles without Pods (Jobs stay Pending: there is no node).
# With --current-context the operator is not started: install it with the Helm chart.
#
# usage: hack/demo.sh [--current-context] [--namespace NS] [--no-node]
source "$(dirname "$0")/lib.sh"

use_current=false
ns=modelops-demo
want_node=true
while (($#)); do
  case "$1" in
    --current-context) use_current=true; shift ;;
    --namespace) ns="$2"; shift 2 ;;
    --no-node) want_node=false; shift ;;
    *) die "unknown argument $1 (usage: hack/demo.sh [--current-context] [--namespace NS] [--no-node])" ;;
  esac
done

CLUSTER_DIR="${CLUSTER_DIR:-$REPO_ROOT/_output/cluster}"
export PATH="$K8S_BIN_DIR:$PATH"
step() { printf '\n\033[1;32m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
t0=$SECONDS

node=false
predict_hint=""
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
  if $want_node && [[ $EUID -eq 0 ]]; then
    node=true
  elif $want_node; then
    warn "not root: no node (containerd, runc and the bridge network need root), so Jobs will stay Pending; run as root for the real pipeline"
  fi
fi

step "installing the modelops.dev CRDs (server-side apply, as for upgrades)"
kubectl apply --server-side --force-conflicts --field-manager=modelops -f "$REPO_ROOT/crds"
kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=modelops >/dev/null

kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null

# Waits until a resource's phase is one of the wanted ones, printing each change of phase and
# of its Ready condition's message; a phase in `fail` ends the demo with that message.
wait_phase() {
  local kind="$1" name="$2" want="$3" fail="$4" timeout="$5" last="" now phase msg
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    now="$(kubectl get "$kind" "$name" -n "$ns" -o jsonpath='{.status.phase}|{.status.conditions[?(@.type=="Ready")].message}' 2>/dev/null || true)"
    phase="${now%%|*}"; msg="${now#*|}"
    if [[ "$now" != "$last" ]]; then
      printf '  %s/%s: %s%s\n' "$kind" "$name" "${phase:-Pending}" "${msg:+ — $msg}" >&2
      last="$now"
    fi
    [[ " $want " == *" $phase "* ]] && return 0
    [[ -n "$phase" && " $fail " == *" $phase "* ]] && die "$kind/$name is $phase: $msg"
    sleep 2
  done
  die "$kind/$name did not reach ${want// / or } within ${timeout}s (kubectl describe $kind $name -n $ns)"
}

if $node; then
  if [[ -f "$CLUSTER_DIR/node/kubelet.pid" ]] && kill -0 "$(cat "$CLUSTER_DIR/node/kubelet.pid")" 2>/dev/null; then
    step "reusing the node in $CLUSTER_DIR/node"
  else
    step "adding a real node: kubelet + containerd + runc + bridge CNI + kube-proxy + cluster DNS (CoreDNS)"
    "$HACK_DIR/build-k8s.sh" kubelet kube-proxy >/dev/null
    "$HACK_DIR/node.sh" up --dir "$CLUSTER_DIR"
  fi

  step "starting Prometheus: it discovers the model server Pods through the API and scrapes their /metrics"
  prom_url="$("$HACK_DIR/prometheus.sh" up --dir "$CLUSTER_DIR")"
  printf '  %s (the operator reads rollout evidence there)\n' "$prom_url" >&2

  S3_DIR="$CLUSTER_DIR/s3"
  step "starting the S3-compatible store (versitygw) where Pods reach it, with the sample data"
  "$HACK_DIR/build-s3.sh" >/dev/null
  "$HACK_DIR/s3-server.sh" up --dir "$S3_DIR" --address 10.244.0.1 --bucket modelops-artifacts
  # versitygw's POSIX back end: a bucket is a folder, an object a file.
  mkdir -p "$S3_DIR/data/modelops-examples/seattle-weather"
  cp "$REPO_ROOT/node_modules/vega-datasets/data/seattle-weather.csv" "$S3_DIR/data/modelops-examples/seattle-weather/"
  for n in modelops-system "$ns"; do
    kubectl create namespace "$n" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
    (set -a; source "$S3_DIR/s3.env"; kubectl create secret generic modelops-s3 -n "$n" --dry-run=client -o yaml \
      --from-literal=AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" --from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
      --from-literal=AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" --from-literal=AWS_REGION="$AWS_REGION") | kubectl apply -f - >/dev/null
  done
  kubectl label namespace modelops-system pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null

  step "building the operator, trainer and server images with buildah and loading them into the node (cached by content)"
  "$HACK_DIR/images.sh" load operator --dir "$CLUSTER_DIR"
  "$HACK_DIR/images.sh" load trainer --dir "$CLUSTER_DIR"
  "$HACK_DIR/images.sh" load server --dir "$CLUSTER_DIR"

  step "installing modelops with Helm (artifact store s3://modelops-artifacts)"
  HELM="$("$HACK_DIR/build-helm.sh")/helm"
  values="$(mktemp)"
  cat >"$values" <<VALUES
image: {pullPolicy: Never}
artifactStore: s3://modelops-artifacts
artifactStoreSecret: modelops-s3
prometheusUrl: $prom_url
extraEnv:
$(for k in AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION; do
    printf '  - {name: %s, valueFrom: {secretKeyRef: {name: modelops-s3, key: %s}}}\n' "$k" "$k"; done)
VALUES
  # A local operator process from an earlier demo without a node would reconcile too.
  stop_pid "$CLUSTER_DIR/pids/operator"
  "$HELM" upgrade --install modelops "$REPO_ROOT/charts/modelops" -n modelops-system -f "$values" --wait --timeout 180s
  rm -f "$values"
  # A new image under the same tag needs new Pods.
  kubectl rollout restart deployment/modelops -n modelops-system >/dev/null
  kubectl rollout status deployment/modelops -n modelops-system --timeout=120s

  step "step 1: the Dataset — an ingest Job validates, versions and profiles the data"
  kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather/01-dataset.yaml"
  wait_phase mds seattle-weather Ready Failed 300
  kubectl get mds seattle-weather -n "$ns"

  step "step 2: the TrainingJob — a Job trains on that version; passing the gate registers a ModelVersion"
  kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather/02-trainingjob.yaml"
  wait_phase mtj seattle-weather Succeeded "Failed Rejected" 600
  kubectl get mtj seattle-weather -n "$ns"
  mv="$(kubectl get mtj seattle-weather -n "$ns" -o jsonpath='{.status.modelVersion}')"

  step "step 3: the ModelVersion $mv — the operator checks the artifact's digest in the store"
  wait_phase mv "$mv" Ready Invalid 120
  kubectl get mv "$mv" -n "$ns"
  kubectl get mv "$mv" -n "$ns" -o jsonpath='  lineage: dataset {.spec.lineage.dataset.name}@{.spec.lineage.dataset.version}, image {.spec.lineage.imageDigest}{"\n"}  metrics: {.spec.metrics}{"\n"}'

  step "promoting $mv to production: the alias the InferenceService follows"
  kubectl patch mv "$mv" -n "$ns" --type merge -p '{"spec":{"aliases":["candidate","production"]}}' >/dev/null
  kubectl get mv "$mv" -n "$ns"

  step "step 4: the InferenceService — server Pods load $mv from the store and serve it"
  kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather/04-inferenceservice.yaml"
  wait_phase misvc seattle-weather Healthy "" 300
  kubectl get misvc seattle-weather -n "$ns"
  kubectl get pods -n "$ns" -l app.kubernetes.io/name=modelops-server -o wide

  ip="$(kubectl get service seattle-weather -n "$ns" -o jsonpath='{.spec.clusterIP}')"
  predict_url="http://$ip/v2/models/seattle-weather/infer"
  step "a prediction from this machine, through the Service's ClusterIP (Open Inference Protocol V2)"
  request='{"inputs": [{"name": "precipitation", "datatype": "FP32", "shape": [1, 1], "data": [0]},
  {"name": "temp_max", "datatype": "FP32", "shape": [1, 1], "data": [25]},
  {"name": "temp_min", "datatype": "FP32", "shape": [1, 1], "data": [14]},
  {"name": "wind", "datatype": "FP32", "shape": [1, 1], "data": [3]}]}'
  printf '  POST %s\n  %s\n' "$predict_url" "$request" >&2
  answer="$(curl -sS --fail-with-body --max-time 10 --retry 20 --retry-connrefused --retry-delay 1 -H 'content-type: application/json' "$predict_url" -d "$request")" \
    || die "the prediction failed: $answer"
  printf '  → %s\n' "$answer" >&2
  predict_hint="  curl -H 'content-type: application/json' $predict_url -d '{\"inputs\": [...]}'   # a prediction, from this machine"$'\n'
  predict_hint+="  curl -sG $prom_url/api/v1/query --data-urlencode 'query=sum by (revision) (modelops_inference_requests_total)'   # requests per revision, as Prometheus scraped them"$'\n'

  NODE_BIN="$("$HACK_DIR/ensure-node.sh")"
  traffic() { "$NODE_BIN/node" "$REPO_ROOT/hack/demo-traffic.ts" --url "$predict_url" "$@"; }

  step "step 5: the DriftMonitor — 400 winter days of live traffic, compared with the training data"
  kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather/05-driftmonitor.yaml"
  traffic --months 12,1,2 --count 400 --rps 25
  # Prometheus scrapes every 5 s: wait until it has seen them, then run the monitor now
  # (its schedule is every 30 minutes) by annotation.
  for _ in $(seq 1 30); do
    seen="$(curl -sG "$prom_url/api/v1/query" --data-urlencode "query=sum(modelops_inference_requests_total{namespace=\"$ns\"})" | sed -n 's/.*"value":\[[^,]*,"\([0-9.]*\)".*/\1/p')"
    [[ "${seen%.*}" -ge 400 ]] 2>/dev/null && break
    sleep 2
  done
  kubectl annotate mdm seattle-weather -n "$ns" --overwrite "modelops.dev/run=$(date +%s)" >/dev/null
  wait_phase mdm seattle-weather "Drifted NoDrift InsufficientData" Failed 120
  kubectl get mdm seattle-weather -n "$ns"
  kubectl get mdm seattle-weather -n "$ns" -o jsonpath='{range .status.features[*]}  {.name}: {.method} {.statistic} (threshold {.threshold}, {.samples} samples) → {.verdict}{"\n"}{end}' >&2

  retrain="$(kubectl get mdm seattle-weather -n "$ns" -o jsonpath='{.status.retrainingJob}')"
  if [[ -n "$retrain" ]]; then
    # The example's canary pauses 2 and 5 minutes; the demo shortens them (a user would not).
    kubectl patch misvc seattle-weather -n "$ns" --type merge -p '{"spec":{"rollout":{"canary":{"steps":[{"weight":50,"pause":{"duration":"40s"}},{"weight":100}]},"analysis":{"interval":"10s","window":"30s"}}}}' >/dev/null
    step "step 6: drift started a retraining ($retrain): a new ModelVersion takes the production alias and rolls out by canary"
    wait_phase mtj "$retrain" Succeeded "Failed Rejected" 600
    mv2="$(kubectl get mtj "$retrain" -n "$ns" -o jsonpath='{.status.modelVersion}')"
    kubectl get mv -n "$ns"
    step "the canary of $mv2: traffic keeps flowing while Prometheus judges it step by step (the demo's pauses: 40 s)"
    traffic --seconds 240 --rps 15 >"$CLUSTER_DIR/demo-traffic.log" 2>&1 &
    traffic_pid=$!
    last="" deadline=$((SECONDS + 240))
    while ((SECONDS < deadline)); do
      now="$(kubectl get misvc seattle-weather -n "$ns" -o jsonpath='{.status.phase} {.status.servingModelVersion} canary={.status.canaryRevision.modelVersion} weight={.status.canaryWeight}|{.status.conditions[?(@.type=="Progressing")].message}')"
      [[ "$now" != "$last" ]] && printf '  %s\n' "${now/|/ — }" >&2 && last="$now"
      [[ "$now" == "Healthy $mv2 "* || "$now" == RolledBack* ]] && break
      sleep 3
    done
    kill "$traffic_pid" 2>/dev/null || true
    kubectl get misvc seattle-weather -n "$ns"
    kubectl get misvc seattle-weather -n "$ns" -o jsonpath='{range .status.analysis[0:4]}  {.time} {.message}{"\n"}{end}' >&2
    [[ "$(kubectl get misvc seattle-weather -n "$ns" -o jsonpath='{.status.servingModelVersion}')" == "$mv2" ]] || die "the canary of $mv2 was not promoted (kubectl describe misvc seattle-weather -n $ns)"
  fi
else
  step "applying the Seattle weather pipeline to namespace $ns"
  kubectl apply --server-side --field-manager=modelops -n "$ns" -f "$REPO_ROOT/examples/seattle-weather"
fi

if ! $use_current && ! $node; then
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
${predict_hint}$( $use_current || echo "Stop the cluster (Prometheus, node, S3 store, control plane) with: make down" )
MSG
