#!/bin/sh
# lib/render, Helm through `helm template` under Helm 3.18 and Helm 4.1: my-chart with
# values-prod.yaml and replicaCount=5, Argo CD's helm parameters, hooks, CRDs, vendored dependencies,
# post-render, and the failures (broken template, missing dependency, deadline, output cap).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/render-lib.sh"

if ! have_tools; then
	t_peer_missing "Helm renders" "kubectl/helm in $TOOLS (tests/render/install-tools.sh)"
	t_done
	exit
fi
# both Helm majors run every check
both() { for H in "$HELM3" "$HELM4"; do V=$(basename "$(dirname "$H")"); "$@" || { echo "(with $V)"; return 1; }; done; }
rh() { rr --helm "$H" "$@"; }
# a chart made with `helm create` (hooks: a test Pod), plus a CRD and a hook Job
mkchart() {
	rm -rf "$1" && "$HELM3" create "$1" > /dev/null && mkdir -p "$1/crds" &&
	printf 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n' > "$1/crds/widget.yaml" &&
	printf 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    "helm.sh/hook": pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n' > "$1/templates/job.yaml"
}

prod() {
	rh --values values-prod.yaml --set replicaCount=5 --namespace prod tree my-chart > out.$V &&
	contains out.$V "# my-chart/templates/deployment.yaml:3" && contains out.$V "replicas: 5" &&
	contains out.$V "env: prod" && contains out.$V "namespace: prod" && contains out.$V "# helm: 1 objects" &&
	rh tree my-chart > dflt.$V && contains dflt.$V "replicas: 1" && contains dflt.$V "env: dev" &&
	rh --values values-prod.yaml tree my-chart > p.$V && contains p.$V "replicas: 3"
}
t_expect "my-chart with values-prod.yaml and replicaCount=5, under Helm 3 and Helm 4" '
	ro_copy tree && before=$(tree_sum tree) && both prod && test "$(tree_sum tree)" = "$before" && shm_empty'

params() {
	printf "image:\n  tag: from-root\n" > tree/root-values.yaml && printf "config-from-file" > tree/my-chart/cfg.txt &&
	printf "{{ with .Values.extra }}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  tag: {{ .tag | quote }}\n  cfg: {{ $.Values.cfg | quote }}\n  list: {{ .list | join \"+\" | quote }}\n  comma: {{ .comma | quote }}\n{{ end }}\n" > tree/my-chart/templates/extra.yaml &&
	rh --values /root-values.yaml --values-inline "replicaCount: 2" --set-string extra.tag=01 --set "extra.list={a,b}" \
		--set "extra.comma=x,y" --set-file cfg=cfg.txt --release web --kube-version 1.20.2 --api-versions example.com/v1 \
		tree my-chart > out.$V &&
	contains out.$V "name: web-web" && contains out.$V "image: nginx:from-root" && contains out.$V "replicas: 2" &&
	contains out.$V "tag: \"01\"" && contains out.$V "cfg: config-from-file" && contains out.$V "list: a+b" &&
	contains out.$V "comma: x,y" && contains out.$V "# my-chart/templates/extra.yaml:3"
}
t_expect "valueFiles from the root, inline values, parameters, forceString, fileParameters, releaseName" '
	rm -rf tree && cp -r "$REPO" tree && both params'

escape() {
	fails_with 1 rh --values ../../etc/passwd tree my-chart 2> err && contains err "valueFiles '../../etc/passwd' leaves the tree" &&
	fails_with 1 rh --values nope.yaml tree my-chart 2> err && contains err "valueFiles 'nope.yaml': no such file in the tree" &&
	fails_with 1 rh --set-file x=/../secret tree my-chart 2> err && contains err "leaves the tree" &&
	fails_with 1 rh --values https://example.com/v.yaml tree my-chart 2> err && contains err "not a path in the tree"
}
t_expect "value files and file parameters outside the tree (or URLs) are refused" 'ro_copy tree && both escape'

hooks() {
	rh --name demo tmp-charts hc > out.$V 2> err.$V &&
	contains err.$V "warning: hc: 2 helm hooks not applied (as --no-hooks): " && contains err.$V "Job/migrate (pre-install,pre-upgrade)" &&
	contains err.$V "Pod/demo-hc-test-connection (test)" && ! grep -q "kind: Job" out.$V &&
	contains out.$V "# hc/crds/widget.yaml" && contains out.$V "name: demo-hc" &&
	rh --skip-crds tmp-charts hc > nocrd.$V 2>/dev/null && ! grep -q CustomResourceDefinition nocrd.$V
}
t_expect "hooks are dropped with a warning naming them; CRDs included unless skipCrds" '
	mkdir -p tmp-charts && mkchart tmp-charts/hc && both hooks'

vendored() {
	rh . tmp-charts/parent > out.$V && contains out.$V "# tmp-charts/parent/charts/hc/templates/deployment.yaml" &&
	contains out.$V "# tmp-charts/parent/templates/cm.yaml"
}
t_expect "dependencies vendored in charts/ are rendered as they are" '
	mkdir -p tmp-charts/parent/templates tmp-charts/parent/charts && mkchart tmp-charts/parent/charts/hc &&
	printf "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: hc\n  version: 0.1.0\n  repository: https://charts.example.com\n" > tmp-charts/parent/Chart.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n" > tmp-charts/parent/templates/cm.yaml &&
	both vendored'

missing() {
	fails_with 1 rh . c2 > out.$V 2> err.$V && test ! -s out.$V &&
	contains err.$V "error: c2/Chart.lock: dependencies not vendored in charts/: redis, common"
}
t_expect "a Chart.lock whose dependencies are not in charts/ is an error naming them" '
	mkdir -p c2/templates c2/charts && printf "apiVersion: v2\nname: c2\nversion: 0.1.0\n" > c2/Chart.yaml &&
	printf "dependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n- name: common\n  version: 2.0.0\n  repository: https://charts.example.com\ndigest: sha256:0\ngenerated: \"2024-01-01T00:00:00Z\"\n" > c2/Chart.lock &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" > c2/templates/cm.yaml && both missing'

broken() {
	fails_with 1 rh . c1 > out.$V 2> err.$V && test ! -s out.$V &&
	contains err.$V "error: c1: helm template: " && contains err.$V "c1/templates/cm.yaml:6:" &&
	contains err.$V "nil pointer evaluating interface {}.deep" && ! grep -q "$PWD" err.$V &&
	fails_with 1 rh . c4 > out.$V 2> err.$V && contains err.$V "c4/templates/cm.yaml" &&
	contains err.$V "line 3: mapping values are not allowed" && test ! -s out.$V && shm_empty
}
t_expect "a broken template and a template rendering broken YAML: errors naming the template" '
	mkdir -p c1/templates c4/templates && printf "apiVersion: v2\nname: c1\nversion: 0.1.0\n" > c1/Chart.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.missing.deep }}\n" > c1/templates/cm.yaml &&
	printf "apiVersion: v2\nname: c4\nversion: 0.1.0\n" > c4/Chart.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\n  metadata: x\n" > c4/templates/cm.yaml && both broken'

slow() {
	start=$(date +%s) && fails_with 1 rh --timeout-ms 1000 . c3 > out.$V 2> err.$V &&
	test $(( $(date +%s) - start )) -le 5 && contains err.$V "error: c3: helm template: deadline of 1s exceeded" &&
	test ! -s out.$V && shm_empty
}
t_expect "helm past its deadline is killed at it" '
	mkdir -p c3/templates && printf "apiVersion: v2\nname: c3\nversion: 0.1.0\n" > c3/Chart.yaml &&
	printf "{{- range \$i := until 2000000000 }}{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" > c3/templates/cm.yaml &&
	both slow'

big() {
	fails_with 1 rh --output-max 100000 . c5 > out.$V 2> err.$V && contains err.$V "c5: helm template: output over 100000 bytes" &&
	test ! -s out.$V && rh . c5 > ok.$V && contains ok.$V "# helm: 1 objects"
}
t_expect "output over the cap is an error" '
	mkdir -p c5/templates && printf "apiVersion: v2\nname: c5\nversion: 0.1.0\n" > c5/Chart.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: \"{{ repeat 200000 \"x\" }}\"\n" > c5/templates/cm.yaml &&
	both big'

post() {
	rh --post-render post --name demo tmp-charts hc > out.$V 2> err.$V && contains out.$V "# helm: 4 objects" &&
	test "$(grep -c "post-rendered: \"yes\"" out.$V)" -ge 3 && contains out.$V "namespace: patched" &&
	! grep -q "kind: Job" out.$V && shm_empty
}
t_expect "post-render: a kustomization of the tree applied over the chart's output" '
	mkdir -p tmp-charts && mkchart tmp-charts/hc && mkdir -p tmp-charts/post &&
	printf "namespace: patched\ncommonAnnotations:\n  post-rendered: \"yes\"\n" > tmp-charts/post/kustomization.yaml && both post'
t_expect "a missing Chart.yaml name or helm binary are clear errors" '
	mkdir -p c6/templates && printf "apiVersion: v2\nversion: 0.1.0\n" > c6/Chart.yaml &&
	H=$HELM3 && fails_with 1 rh . c6 2> err && contains err "error: c6/Chart.yaml: no chart name" &&
	fails_with 1 "$RR" --tmpdir "$SHM" --helm /nonexistent/helm "$REPO" my-chart 2> err2 &&
	contains err2 "my-chart: helm template: cannot run /nonexistent/helm"'

t_done
