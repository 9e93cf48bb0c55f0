{{/*
The operator's permissions, least privilege: exactly what the controllers that exist today
use. A new controller adds its rules HERE, in one of the two lists, and nowhere else: the
ClusterRole (all namespaces) and the per-namespace Roles (watchNamespaces) both render from
"modelops.rules.watched"; the release-namespace Role renders "modelops.rules.release".
test/chart/template.test.ts asserts both lists verbatim, so update it in the same commit.
*/}}

{{/* Rules the operator needs in every namespace it watches. */}}
{{- define "modelops.rules.watched" -}}
- apiGroups: ["modelops.dev"]
  resources: ["datasets", "inferenceservices", "driftmonitors"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["modelops.dev"]
  resources: ["trainingjobs"]
  verbs: ["get", "list", "watch", "create"]
- apiGroups: ["modelops.dev"]
  resources: ["modelversions"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: ["modelops.dev"]
  resources: ["datasets/status", "trainingjobs/status", "modelversions/status", "inferenceservices/status", "driftmonitors/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["modelops.dev"]
  resources: ["datasets/finalizers", "trainingjobs/finalizers", "inferenceservices/finalizers", "driftmonitors/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways", "gatewayclasses"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* Rules the operator needs only in its own namespace: the leader-election Lease. */}}
{{- define "modelops.rules.release" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end }}
