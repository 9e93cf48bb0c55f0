{{/*
Names and labels shared by every template of the chart.
*/}}

{{- define "modelops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's object name: "<release>-modelops", or just the release name when it already
contains the chart name, so `helm install modelops ...` gives "modelops", not "modelops-modelops".
*/}}
{{- define "modelops.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "modelops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of a release (a Deployment's selector is immutable). */}}
{{- define "modelops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "modelops.labels" -}}
{{ include "modelops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: modelops
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "modelops.chart" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "modelops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "modelops.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create=false: name an existing ServiceAccount the operator runs as" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image: repository@digest when a digest is given, else repository:tag (tag defaults to appVersion). */}}
{{- define "modelops.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Whether the operator runs leader election: "true" or "false". `auto` (the default) means on
exactly when more than one replica runs. Two replicas without it would reconcile the same
objects at once, so that combination is refused.
*/}}
{{- define "modelops.leaderElect" -}}
{{- $v := .Values.leaderElection.enabled }}
{{- if eq (toString $v) "auto" }}
{{- if gt (int .Values.replicaCount) 1 }}true{{ else }}false{{ end }}
{{- else if $v }}true
{{- else }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "leaderElection.enabled=false with replicaCount=%d: more than one replica needs leader election, or every replica reconciles the same objects. Set leaderElection.enabled to auto or true, or replicaCount to 1." (int .Values.replicaCount)) }}
{{- end }}false
{{- end }}
{{- end }}

{{/*
The namespaces the operator watches, as a list; empty means all namespaces (cluster-wide RBAC).
*/}}
{{- define "modelops.watchNamespaces" -}}
{{- $ns := list }}
{{- range .Values.watchNamespaces }}{{ $ns = append $ns (tpl . $) }}{{ end }}
{{- toJson (uniq $ns) }}
{{- end }}
