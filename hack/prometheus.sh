#!/usr/bin/env bash
# Prometheus for the local node: the pinned Prometheus (hack/build-prometheus.sh; Debian's is
# built without Kubernetes discovery) as a host process on the node IP (so the operator's Pod
# reaches it as well as this machine), discovering the model server Pods through
# the Kubernetes API (kubernetes_sd_configs, role pod) and scraping their `http` port's /metrics.
# Each series carries the Pod's modelops.dev/revision label as `revision`, and `namespace` and
# `pod`, so rollout analysis can compare revisions.
#
# usage: hack/prometheus.sh up   [--dir DIR] [--address IP] [--scrape-interval 5s]
#                                      start for the control plane running from DIR; prints the URL
#        hack/prometheus.sh url  [--dir DIR]   print the URL (e.g. for --prometheus-url)
#        hack/prometheus.sh down [--dir DIR]   stop it and remove DIR/prometheus
#
# --address defaults to the node IP 10.244.0.1 (hack/node.sh creates it); Pod IPs on the
# node's bridge are reachable from this machine, so Prometheus scrapes them directly.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; shift || true
DIR="$REPO_ROOT/_output/cluster"
ADDRESS=10.244.0.1
INTERVAL=5s
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --address) ADDRESS="$2"; shift 2 ;;
    --scrape-interval) INTERVAL="$2"; shift 2 ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
PROM_DIR="$DIR/prometheus"
USER_NAME=modelops:prometheus
SERVER_LABEL=app.kubernetes.io/name=modelops-server

up() {
  [[ -f "$DIR/state.env" ]] || die "no control plane runs from $DIR; start one with hack/control-plane.sh up --dir $DIR"
  if [[ -f "$PROM_DIR/prometheus.pid" ]] && kill -0 "$(cat "$PROM_DIR/prometheus.pid")" 2>/dev/null; then
    log "Prometheus already runs from $PROM_DIR: $(url)"
    url
    return 0
  fi
  local prometheus; prometheus="$("$HACK_DIR/build-prometheus.sh")/prometheus"
  ip -4 -o addr show | grep -q "inet $ADDRESS/" || die "$ADDRESS is not an address of this machine (the node IP comes with hack/node.sh up)"
  mkdir -p "$PROM_DIR"
  DIR="$(cd "$DIR" && pwd)"; PROM_DIR="$DIR/prometheus"

  # Its own identity, allowed to list and watch Pods, which is all role `pod` discovery reads.
  host_client "$DIR" "$PROM_DIR/prometheus" "$USER_NAME" '- {apiGroups: [""], resources: [pods], verbs: [list, watch]}'

  # The label selector is sent to the API (only model server Pods are watched); the relabelling
  # keeps their port named http, drops finished Pods and names the target by Pod and revision.
  cat >"$PROM_DIR/prometheus.yml" <<YAML
global:
  scrape_interval: $INTERVAL
  evaluation_interval: $INTERVAL
scrape_configs:
- job_name: modelops-server
  metrics_path: /metrics
  kubernetes_sd_configs:
  - role: pod
    kubeconfig_file: $PROM_DIR/prometheus.kubeconfig
    selectors:
    - {role: pod, label: "$SERVER_LABEL"}
  relabel_configs:
  - {action: keep, source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name], regex: modelops-server}
  - {action: keep, source_labels: [__meta_kubernetes_pod_container_port_name], regex: http}
  - {action: drop, source_labels: [__meta_kubernetes_pod_phase], regex: Succeeded|Failed}
  - {action: replace, source_labels: [__meta_kubernetes_pod_label_modelops_dev_revision], target_label: revision}
  - {action: replace, source_labels: [__meta_kubernetes_namespace], target_label: namespace}
  - {action: replace, source_labels: [__meta_kubernetes_pod_name], target_label: pod}
YAML
  local port; port=$(free_port)
  echo "PROMETHEUS_URL=http://$ADDRESS:$port" >"$PROM_DIR/prometheus.env"
  log "Prometheus $PROMETHEUS_VERSION on $ADDRESS:$port, discovering Pods labelled $SERVER_LABEL"
  setsid "$prometheus" --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=1d --web.listen-address="$ADDRESS:$port" --log.level=warn \
    >"$PROM_DIR/prometheus.log" 2>&1 </dev/null &
  echo $! >"$PROM_DIR/prometheus.pid"
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "http://$ADDRESS:$port/-/ready" 2>/dev/null; do
    kill -0 "$(cat "$PROM_DIR/prometheus.pid")" 2>/dev/null || { tail -n 20 "$PROM_DIR/prometheus.log" >&2; die "Prometheus exited (log: $PROM_DIR/prometheus.log)"; }
    ((SECONDS < deadline)) || { tail -n 20 "$PROM_DIR/prometheus.log" >&2; die "Prometheus not ready within 30s (log: $PROM_DIR/prometheus.log)"; }
    sleep 0.2
  done
  url
}

url() {
  [[ -f "$PROM_DIR/prometheus.env" ]] || die "no Prometheus runs from $PROM_DIR"
  sed -n 's/^PROMETHEUS_URL=//p' "$PROM_DIR/prometheus.env"
}

down() {
  [[ -d "$PROM_DIR" ]] || return 0
  stop_pid "$PROM_DIR/prometheus.pid"
  rm -rf "$PROM_DIR"
  log "Prometheus stopped"
}

case "$cmd" in
  up) up ;;
  url) url ;;
  down) down ;;
  *) die "usage: hack/prometheus.sh up|url|down [--dir DIR] [--address IP] [--scrape-interval 5s]" ;;
esac
