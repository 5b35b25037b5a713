{{/* The namespace of every object. */}}
{{- define "gitseal.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* Labels of every object: the kustomize base's, plus Helm's own (t6900 compares without
     helm.sh/chart, app.kubernetes.io/managed-by and app.kubernetes.io/instance). */}}
{{- define "gitseal.labels" -}}
app.kubernetes.io/name: gitseal
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gitseal.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The controller's flags from the values (a list; empty with the defaults). */}}
{{- define "gitseal.args" -}}
{{- $v := .Values -}}
{{- $a := list -}}
{{- if not $v.leaderElection.enabled }}{{ $a = append $a "--leader-elect=false" }}{{ end -}}
{{- with $v.leaderElection.leaseName }}{{ $a = append $a (printf "--leader-elect-lease-name=%s" .) }}{{ end -}}
{{- with $v.leaderElection.leaseDuration }}{{ $a = append $a (printf "--leader-elect-lease-duration=%s" .) }}{{ end -}}
{{- with $v.keys.renewPeriod }}{{ $a = append $a (printf "--key-renew-period=%s" .) }}{{ end -}}
{{- with $v.keys.cutoffTime }}{{ $a = append $a (printf "--key-cutoff-time=%s" .) }}{{ end -}}
{{- with $v.keys.orderPriority }}{{ $a = append $a (printf "--key-order-priority=%s" .) }}{{ end -}}
{{- with $v.keys.prefix }}{{ $a = append $a (printf "--key-prefix=%s" .) }}{{ end -}}
{{- if not $v.watch.allNamespaces }}{{ $a = append $a "--all-namespaces=false" }}{{ end -}}
{{- with $v.watch.additionalNamespaces }}{{ $a = append $a (printf "--additional-namespaces=%s" (join "," .)) }}{{ end -}}
{{- with $v.watch.labelSelector }}{{ $a = append $a (printf "--label-selector=%s" .) }}{{ end -}}
{{- if not $v.applications.enabled }}{{ $a = append $a "--applications=false" }}{{ end -}}
{{- with $v.applications.workers }}{{ $a = append $a (printf "--app-workers=%v" .) }}{{ end -}}
{{- with $v.applications.labelSelector }}{{ $a = append $a (printf "--app-label-selector=%s" .) }}{{ end -}}
{{- with $v.applications.interval }}{{ $a = append $a (printf "--app-interval=%s" .) }}{{ end -}}
{{- with $v.applications.defaultServiceAccount }}{{ $a = append $a (printf "--default-service-account=%s" .) }}{{ end -}}
{{- with $v.applications.webhookSecret }}{{ $a = append $a (printf "--webhook-secret=%s" .) }}{{ end -}}
{{- with $v.logLevel }}{{ $a = append $a (printf "--log-level=%s" .) }}{{ end -}}
{{- with $v.logFormat }}{{ $a = append $a (printf "--log-format=%s" .) }}{{ end -}}
{{- range $v.extraArgs }}{{ $a = append $a . }}{{ end -}}
{{- toYaml $a -}}
{{- end -}}
