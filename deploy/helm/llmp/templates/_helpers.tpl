{{- define "llmp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "llmp.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The roles this release runs: name, CLI verb, values key, image tag, ports. */}}
{{- define "llmp.roles" -}}
{{- $roles := list -}}
{{- if eq .Values.mode "start" -}}
{{- $roles = append $roles (dict "name" "start" "verb" "start" "key" "start" "tag" .Values.image.fullTag "ports" (dict "grpc" 4317 "http" 4318 "api" 8080)) -}}
{{- else -}}
{{- if .Values.gateway.enabled -}}{{- $roles = append $roles (dict "name" "gateway" "verb" "gateway" "key" "gateway" "tag" .Values.image.gatewayTag "ports" (dict "grpc" .Values.gateway.ports.grpc "http" .Values.gateway.ports.http "telemetry" .Values.gateway.healthPort)) -}}{{- end -}}
{{- if .Values.ingester.enabled -}}{{- $roles = append $roles (dict "name" "ingester" "verb" "ingester" "key" "ingester" "tag" .Values.image.fullTag "ports" (dict "telemetry" .Values.ingester.healthPort)) -}}{{- end -}}
{{- if .Values.query.enabled -}}{{- $roles = append $roles (dict "name" "query" "verb" "query" "key" "query" "tag" .Values.image.fullTag "ports" (dict "api" .Values.query.healthPort)) -}}{{- end -}}
{{- if .Values.mlflowExporter.enabled -}}{{- $roles = append $roles (dict "name" "mlflow-exporter" "verb" "mlflow-exporter" "key" "mlflowExporter" "tag" .Values.image.fullTag "ports" (dict "telemetry" .Values.mlflowExporter.healthPort)) -}}{{- end -}}
{{- end -}}
{{- toJson (dict "roles" $roles) -}}
{{- end -}}

{{- define "llmp.apiKeysSecret" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecret }}{{- else -}}{{ include "llmp.fullname" . }}-api-keys{{- end -}}
{{- end -}}

{{- define "llmp.kafkaSaslSecret" -}}
{{- if .Values.kafka.sasl.existingSecret -}}{{ .Values.kafka.sasl.existingSecret }}{{- else -}}{{ include "llmp.fullname" . }}-kafka-sasl{{- end -}}
{{- end -}}
