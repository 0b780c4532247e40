{{/* The chart name, or nameOverride. */}}
{{- define "eci-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, used for every object it creates (63 characters at most). */}}
{{- define "eci-operator.fullname" -}}
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

{{- define "eci-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eci-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eci-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eci-operator.labels" -}}
helm.sh/chart: {{ include "eci-operator.chart" . }}
{{ include "eci-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "eci-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eci-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eci-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The operator's permissions: the rules of deploy/rbac.yaml (tests/helm compares them). It watches
ContainerGroups and ConfigMaps, reads only the Secrets a ContainerGroup names (get, never
list/watch), writes status, its own finalizer and Events; reads the EciAccounts ContainerGroups name
and the labels of their namespaces (get, by name).
*/}}
{{- define "eci-operator.rules" -}}
- apiGroups: ["eci.operator.dev"]
  resources: ["containergroups"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["eci.operator.dev"]
  resources: ["containergroups/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["eci.operator.dev"]
  resources: ["eciaccounts"]
  verbs: ["get"]
- apiGroups: ["eci.operator.dev"]
  resources: ["eciaccounts/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
{{- end }}
