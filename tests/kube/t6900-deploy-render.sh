#!/bin/sh
# The install manifests, rendered (no API server): deploy/ (kustomize) and charts/gitseal (helm)
# render the same objects for the same settings; the chart lints clean, its schema refuses bad
# values, the PodDisruptionBudget's API follows the Kubernetes version and the ServiceMonitor
# the served APIs; the Deployments hold the security settings; one source for every manifest.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/deploy-lib.sh"

if ! have_deploy_tools; then
	t_peer_missing "install manifests" "kubectl/helm (make deps) or python3-yaml"
	t_done
	exit $?
fi

t_expect "helm lint (helm 3 and 4) is clean: no warnings, no errors" '
	"$HELM3" lint --strict "$CHART" > lint3.out 2>&1 && "$HELM4" lint --strict "$CHART" > lint4.out 2>&1 &&
	"$HELM3" lint --strict "$CHART" -f "$TOP/tests/fixtures/deploy/values-full.yaml" >> lint3.out 2>&1 &&
	cat lint3.out lint4.out && ! grep -E "\[(WARNING|ERROR)\]|level=(WARN|ERROR)" lint3.out lint4.out'

t_expect "the chart installs the CRDs of deploy/, byte for byte (make manifests)" '
	for f in "$TOP"/deploy/base/crds/*.yaml; do
		cmp "$f" "$CHART/crds/$(basename "$f")" || exit 1
	done &&
	[ "$(ls "$CHART/crds" | wc -l)" = "$(ls "$TOP/deploy/base/crds" | wc -l)" ]'

t_expect "one source: only deploy/ and the chart (held to it here) define the CRDs and the controller" '
	cd "$TOP" && git ls-files -co --exclude-standard "*.yaml" "*.yml" "*.json" |
		xargs grep -l -e "name: sealedsecrets.bitnami.com" -e "name: applications.gitseal.dev" -e "^  name: sealed-secrets-controller$" 2>/dev/null |
		grep -v -e "^deploy/" -e "^charts/gitseal/" > "$TMP/others" ; ! [ -s "$TMP/others" ] || { cat "$TMP/others"; false; }'

t_expect "defaults: the chart renders the objects of kubectl kustomize deploy/ (kube-system)" '
	kz "$TOP/deploy" > base.yaml && ht -n kube-system --kube-version 1.20.2 > chart.yaml &&
	objs same base.yaml chart.yaml && objs list base.yaml > kinds &&
	for o in CustomResourceDefinition//sealedsecrets.bitnami.com CustomResourceDefinition//applications.gitseal.dev \
		ServiceAccount/kube-system/sealed-secrets-controller ClusterRole//secrets-unsealer \
		ClusterRole//gitseal-applications ClusterRole//gitseal-apply ClusterRoleBinding//gitseal-apply Deployment/kube-system/sealed-secrets-controller \
		Service/kube-system/sealed-secrets-controller Service/kube-system/sealed-secrets-controller-metrics \
		Service/kube-system/gitseal-webhook RoleBinding/kube-system/sealed-secrets-service-proxier; do
		grep -qx "$o" kinds || { echo "missing $o"; exit 1; }
	done'

t_expect "overlays/gitseal-system = the chart in -n gitseal-system, every namespaced object moved" '
	kz "$TOP/deploy/overlays/gitseal-system" > ov.yaml && ht -n gitseal-system > chart.yaml &&
	objs same ov.yaml chart.yaml --skip Namespace &&
	objs get ov.yaml Namespace gitseal-system "o[\"metadata\"][\"name\"]" &&
	! grep -n "kube-system" ov.yaml &&
	objs get ov.yaml ClusterRoleBinding sealed-secrets-controller "o[\"subjects\"][0][\"namespace\"]" | grep -qx gitseal-system'

t_expect "components pdb + servicemonitor = the chart with both on (Kubernetes 1.21+, Prometheus Operator)" '
	kz_with gitseal-system pdb servicemonitor > comp.yaml &&
	ht -n gitseal-system --kube-version 1.21.0 --api-versions monitoring.coreos.com/v1 \
		--set podDisruptionBudget.enabled=true --set metrics.serviceMonitor.enabled=true > chart.yaml &&
	objs same comp.yaml chart.yaml --skip Namespace &&
	objs get comp.yaml PodDisruptionBudget sealed-secrets-controller "o[\"apiVersion\"]" | grep -qx policy/v1 &&
	objs get comp.yaml ServiceMonitor sealed-secrets-controller "o[\"spec\"][\"endpoints\"][0][\"port\"]" | grep -qx metrics'

t_expect "component impersonate-only = the chart with applications.applyRole.enabled=false: no gitseal-apply" '
	kz_with - impersonate-only > imp.yaml && ht -n kube-system --set applications.applyRole.enabled=false > chart.yaml &&
	objs same imp.yaml chart.yaml && objs list imp.yaml > kinds &&
	! grep -q "gitseal-apply$" kinds && grep -qx ClusterRole//gitseal-applications kinds'

t_expect "applications.enabled=false: the unsealer alone (--applications=false, no reconciler RBAC)" '
	ht --set applications.enabled=false > noapps.yaml && objs list noapps.yaml > kinds &&
	! grep -q "gitseal-appl" kinds && objs args noapps.yaml sealed-secrets-controller | grep -qx -- --applications=false &&
	ht --set applications.applyRole.rules[0].apiGroups[0]=apps --set applications.applyRole.rules[0].resources[0]=deployments \
		--set applications.applyRole.rules[0].verbs[0]=patch > narrow.yaml &&
	objs get narrow.yaml ClusterRole gitseal-apply "o[\"rules\"]" | grep -qx "\[{.apiGroups.: \[.apps.\], .resources.: \[.deployments.\], .verbs.: \[.patch.\]}\]"'

t_expect "the PodDisruptionBudget is policy/v1beta1 before Kubernetes 1.21, policy/v1 from 1.21" '
	for v in 1.20.2:policy/v1beta1 1.21.0:policy/v1 1.30.1:policy/v1; do
		ht --kube-version ${v%%:*} --set podDisruptionBudget.enabled=true > pdb.yaml &&
		[ "$(objs get pdb.yaml PodDisruptionBudget sealed-secrets-controller "o[\"apiVersion\"]")" = ${v#*:} ] || exit 1
	done &&
	ht > nopdb.yaml && ! objs list nopdb.yaml | grep -q PodDisruptionBudget'

t_expect "the ServiceMonitor needs both the value and a served monitoring.coreos.com/v1" '
	ht --set metrics.serviceMonitor.enabled=true > a.yaml && ! objs list a.yaml | grep -q ServiceMonitor &&
	ht --api-versions monitoring.coreos.com/v1 > b.yaml && ! objs list b.yaml | grep -q ServiceMonitor &&
	ht --api-versions monitoring.coreos.com/v1 --set metrics.serviceMonitor.enabled=true \
		--set metrics.serviceMonitor.labels.release=prom > c.yaml &&
	objs get c.yaml ServiceMonitor sealed-secrets-controller "o[\"metadata\"][\"labels\"][\"release\"]" | grep -qx prom'

t_expect "the Deployments: non-root, read-only root, no escalation, seccomp, probes, resources, emptyDirs" '
	kz "$TOP/deploy" > base.yaml && objs secure base.yaml &&
	ht -f "$TOP/tests/fixtures/deploy/values-full.yaml" --kube-version 1.20.2 > full.yaml && objs secure full.yaml'

t_expect "the Services: sealed-secrets-controller port http (kubeseal --fetch-cert), metrics, webhook" '
	kz "$TOP/deploy" > base.yaml &&
	[ "$(objs get base.yaml Service sealed-secrets-controller "[(p[\"name\"], p[\"port\"], p[\"targetPort\"]) for p in o[\"spec\"][\"ports\"]]")" = "[('"'"'http'"'"', 8080, '"'"'http'"'"')]" ] &&
	objs get base.yaml Service sealed-secrets-controller-metrics "o[\"spec\"][\"ports\"][0][\"targetPort\"]" | grep -qx metrics &&
	objs get base.yaml Service gitseal-webhook "o[\"spec\"][\"ports\"][0][\"targetPort\"]" | grep -qx webhook &&
	objs get base.yaml Deployment sealed-secrets-controller "o[\"spec\"][\"selector\"][\"matchLabels\"]" | grep -qx "{'"'"'name'"'"': '"'"'sealed-secrets-controller'"'"'}"'

t_expect "non-default values become flags, env, shards, a PDB, an Ingress to the webhook Service only" '
	ht -n gitseal-system -f "$TOP/tests/fixtures/deploy/values-full.yaml" --kube-version 1.20.2 > full.yaml &&
	objs args full.yaml sealed-secrets-controller > args &&
	for a in --key-renew-period=168h --all-namespaces=false --additional-namespaces=apps,web \
		--leader-elect-lease-name=gitseal-main --log-format=json --workers=4; do
		grep -qx -- "$a" args || { echo "no $a in"; cat args; exit 1; }
	done &&
	objs get full.yaml Deployment sealed-secrets-controller "o[\"spec\"][\"replicas\"]" | grep -qx 3 &&
	objs get full.yaml Deployment sealed-secrets-controller "[e[\"name\"] for e in o[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"env\"]]" | grep -q SEALED_SECRETS_KUBECLIENT_QPS &&
	objs args full.yaml gitseal-controller-shard-team-a | grep -qx -- --shard=team-a &&
	objs get full.yaml Service gitseal-webhook-team-a "o[\"spec\"][\"selector\"][\"name\"]" | grep -qx gitseal-controller-shard-team-a &&
	objs get full.yaml PodDisruptionBudget gitseal-controller-shard-team-a "o[\"apiVersion\"]" | grep -qx policy/v1beta1 &&
	objs get full.yaml Ingress gitseal-webhook "o[\"spec\"][\"rules\"][0][\"http\"][\"paths\"]" > paths &&
	grep -q "'"'"'name'"'"': '"'"'gitseal-webhook'"'"'" paths && grep -q "/hook" paths &&
	objs get full.yaml Deployment sealed-secrets-controller "o[\"spec\"][\"template\"][\"spec\"][\"volumes\"][0][\"emptyDir\"][\"sizeLimit\"]" | grep -qx 5Gi'

t_expect "values.schema.json refuses bad values, naming the field; replicas > 1 needs leader election" '
	! ht --set replicas=two > out 2>&1 && grep -q "replicas" out &&
	! ht --set bogus=1 > out 2>&1 && grep -q "bogus" out &&
	! ht --set keys.renewPeriod=3days > out 2>&1 && grep -q "keys.renewPeriod" out &&
	! ht --set logFormat=xml > out 2>&1 && grep -q "logFormat" out &&
	! ht --set "extraArgs[0]=oops" > out 2>&1 && grep -q "extraArgs" out &&
	! ht --set replicas=2 --set leaderElection.enabled=false > out 2>&1 && grep -q "leaderElection" out &&
	ht --set replicas=1 --set leaderElection.enabled=false > one.yaml &&
	objs args one.yaml sealed-secrets-controller | grep -qx -- --leader-elect=false'

t_expect "deploy/Dockerfile pins helm and kubectl as tests/render/install-tools.sh does" '
	pin() { sed -n "s/^$1=//p" "$TOP/tests/render/install-tools.sh"; } &&
	arg() { sed -n "s/^ARG $1=//p" "$TOP/deploy/Dockerfile"; } &&
	[ "$(arg HELM_SHA256)" = "$(pin V33_HELM)" ] && [ "$(arg KUBECTL_SHA256)" = "$(pin V35_KUBECTL)" ] &&
	grep -q "helm 3.18.0 " "$TOP/tests/render/install-tools.sh" && [ "$(arg HELM_VERSION)" = 3.18.0 ] &&
	grep -q "kubectl 1.35.2 " "$TOP/tests/render/install-tools.sh" && [ "$(arg KUBECTL_VERSION)" = 1.35.2 ]'
t_done
