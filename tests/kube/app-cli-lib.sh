# Helpers for the Application CLI suites (tests/kube/t65*.sh), sourced after ctl_lib.sh.
#
#   app_crd                     the Application CRD (deploy/base/crds/applications.yaml), once
#                               per API server
#   app_create NS NAME [SPEC [LABELS]]   an Application (SPEC: JSON of spec, default a plain
#                               path; LABELS: JSON of metadata.labels)
#   app_status NS NAME JSON     merge JSON into its status (the status subresource), as the
#                               reconciler writes it
#   app_get NS NAME EXPR        a python expression over the Application (d)

app_crd() {
	_crd=$TOP/deploy/base/crds/applications.yaml
	k POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$_crd" application/yaml >/dev/null ||
		grep -q AlreadyExists "$TMP/.k.body" || return 1
	wait_for 'k GET /apis/gitseal.dev/v1alpha1/applications' 30
}

app_create() {
	_labels=${4:-"{}"}
	_spec=${3:-'{"source":{"repoURL":"https://git.example/config.git","path":"apps/web","targetRevision":"main"},"destination":{"server":"https://kubernetes.default.svc","namespace":"prod"}}'}
	printf '{"apiVersion":"gitseal.dev/v1alpha1","kind":"Application","metadata":{"name":"%s","namespace":"%s","labels":%s},"spec":%s}' \
		"$2" "$1" "$_labels" "$_spec" > "$TMP/.app.json"
	k POST "/apis/gitseal.dev/v1alpha1/namespaces/$1/applications" "$TMP/.app.json" >/dev/null
}

app_status() {
	printf '{"status":%s}' "$3" > "$TMP/.status.json"
	k PATCH "/apis/gitseal.dev/v1alpha1/namespaces/$1/applications/$2/status" "$TMP/.status.json" \
		application/merge-patch+json >/dev/null
}

app_get() {
	k GET "/apis/gitseal.dev/v1alpha1/namespaces/$1/applications/$2" | jq_ "$3"
}
