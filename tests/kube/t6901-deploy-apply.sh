#!/bin/sh
# The install applied to the real API server (1.20.2) with kubectl's server-side apply: the
# Namespace and the CRDs for real, everything else with dryRun=All, validated strictly against the
# server's schemas (an unknown field fails) and compared with what the server answers (a field the
# server dropped or changed fails): kubectl kustomize deploy/ and the overlay, the chart with its
# defaults and with every value changed, the ServiceMonitor with its CRD installed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kube-lib.sh"
. "$(dirname "$0")/deploy-lib.sh"

if ! have_deploy_tools; then
	t_peer_missing "install manifests" "kubectl/helm (make deps) or python3-yaml"
	t_done
	exit $?
fi
kube_need_server || { t_done; exit 1; }
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
export ID

# install FILE: Namespaces and CRDs for real (then Established), the rest as a server dry run
install() {
	objs select "$1" Namespace CustomResourceDefinition > "$1.real" &&
		objs select "$1" CustomResourceDefinition > "$1.crds" &&
		objs select "$1" --not Namespace CustomResourceDefinition > "$1.dry" &&
		if [ -s "$1.real" ]; then
			"$KUBECTL" apply --server-side --field-manager=gitseal-t6901 --force-conflicts \
				--validate=strict -f "$1.real"
		fi &&
		if [ -s "$1.crds" ]; then
			"$KUBECTL" wait --for condition=established --timeout=30s -f "$1.crds"
		fi &&
		if [ -s "$1.dry" ]; then
			"$KUBECTL" apply --server-side --dry-run=server --field-manager=gitseal-t6901 \
				--validate=strict -o json -f "$1.dry" > "$1.json" &&
				objs subset "$1.dry" "$1.json"
		fi
}

t_expect "kubectl kustomize deploy/ applies (kube-system)" '
	kz "$TOP/deploy" > base.yaml && install base.yaml &&
	"$KUBECTL" get crd sealedsecrets.bitnami.com -o jsonpath="{.status.acceptedNames.kind}" | grep -qx SealedSecret &&
	grep -q "\"kind\": \"Deployment\"" base.yaml.json'

t_expect "deploy/overlays/gitseal-system applies: the Namespace is made, everything lands in it" '
	kz "$TOP/deploy/overlays/gitseal-system" > ov.yaml && install ov.yaml &&
	"$KUBECTL" get namespace gitseal-system &&
	python3 -c "import json; d=json.load(open(\"ov.yaml.json\")); ns={o[\"metadata\"].get(\"namespace\") for o in d[\"items\"]}; print(ns); assert ns <= {None, \"gitseal-system\"}"'

t_expect "the chart with its defaults applies (helm template --kube-version 1.20.2)" '
	ht -n kube-system --kube-version 1.20.2 > chart.yaml && install chart.yaml'

t_expect "the chart with every value changed applies, the ServiceMonitor with its CRD installed" '
	install "$TOP/tests/fixtures/deploy/servicemonitor-crd.yaml" &&
	NS=t6901-$ID && printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n" $NS > ns.yaml && install ns.yaml &&
	ht -n $NS --kube-version 1.20.2 --api-versions monitoring.coreos.com/v1 \
		-f "$TOP/tests/fixtures/deploy/values-full.yaml" > full.yaml &&
	objs list full.yaml > kinds && cat kinds &&
	grep -q "^ServiceMonitor/$NS/" kinds && grep -q "^PodDisruptionBudget/$NS/" kinds &&
	grep -q "^Ingress/$NS/gitseal-webhook" kinds && grep -q "^Deployment/$NS/gitseal-controller-shard-team-a" kinds &&
	install full.yaml'

t_expect "the checks bite: a misspelt field is refused by kubectl, or seen dropped; policy/v1 is refused" '
	install "$TOP/tests/fixtures/deploy/servicemonitor-crd.yaml" > /dev/null &&
	kz_with kube-system servicemonitor > sm.yaml && objs select sm.yaml ServiceMonitor > smon.yaml &&
	sed -i "s/port: metrics/prot: metrics/" smon.yaml && grep -q prot smon.yaml &&
	! install smon.yaml > out 2>&1 && grep -q "unknown field \"prot\"" out &&
	"$KUBECTL" apply --server-side --dry-run=server --field-manager=gitseal-t6901 --validate=false \
		-o json -f smon.yaml > smon.json &&
	! objs subset smon.yaml smon.json > out && cat out && grep -q "prot: dropped by the server" out &&
	ht --kube-version 1.21.0 --set podDisruptionBudget.enabled=true > new.yaml &&
	objs select new.yaml PodDisruptionBudget > pdb.yaml && ! install pdb.yaml > out 2>&1 &&
	grep -qi "policy/v1" out'
t_done
