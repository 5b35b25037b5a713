#!/bin/sh
# gitseal-controller under the shipped RBAC (deploy/base/rbac-unsealer.yaml, a ServiceAccount token
# from TokenRequest), watching every namespace with --label-selector: a namespace created after
# the start is picked up, objects without the label are left alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6005-keys-$ID
NS=t6005-late-$ID
SA=ssc-$ID
export KNS NS SA ID

# rbac.yaml for this run: its namespace and (cluster-wide) names made unique
rbac_apply() {
	sed "s/kube-system/$KNS/g; s/sealed-secrets-controller/$SA/g; s/secrets-unsealer/secrets-unsealer-$ID/g; s/sealed-secrets-key-admin/ska-$ID/g; s/sealed-secrets-service-proxier/sssp-$ID/g" \
		"$TOP/deploy/base/rbac-unsealer.yaml" > rbac.yaml &&
	awk -v dir="$TMP" '/^---/ { n++; next } { print > (dir "/rbac-" n ".yaml") }' rbac.yaml &&
	for f in "$TMP"/rbac-*.yaml; do
		kind=$(sed -n "s/^kind: //p" "$f")
		case $kind in
		ServiceAccount) p=/api/v1/namespaces/$KNS/serviceaccounts ;;
		ClusterRole) p=/apis/rbac.authorization.k8s.io/v1/clusterroles ;;
		ClusterRoleBinding) p=/apis/rbac.authorization.k8s.io/v1/clusterrolebindings ;;
		Role) p=/apis/rbac.authorization.k8s.io/v1/namespaces/$KNS/roles ;;
		RoleBinding) p=/apis/rbac.authorization.k8s.io/v1/namespaces/$KNS/rolebindings ;;
		*) echo "unexpected kind $kind in rbac.yaml"; return 1 ;;
		esac
		k POST "$p" "$f" application/yaml > /dev/null || return 1
	done
}

t_expect "the shipped RBAC applies; a token for its ServiceAccount" '
	ctl_crd && ns_create $KNS && rbac_apply &&
	printf "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":3600}}" > tr.json &&
	k POST /api/v1/namespaces/$KNS/serviceaccounts/$SA/token tr.json | jq_ "d[\"status\"][\"token\"]" > token &&
	[ -s token ] &&
	printf "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"%s\", certificate-authority: \"%s\"}\nusers:\n- name: u\n  user: {token: \"%s\"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n" \
		"$KUBE_API_URL" "$KUBE_API_CA" "$(cat token)" > sa.kubeconfig'

t_expect "the controller runs as that ServiceAccount over every namespace, with a label selector" '
	ctl_start c1 $KNS --kubeconfig "$TMP/sa.kubeconfig" --key-size=2048 --label-selector "gitseal-test=$ID" &&
	wait_for "grep -q \"controller started\" $TMP/c1.log" 30 && ! grep -q "level=error" $TMP/c1.log &&
	curl -sf $(ctl_url c1 /v1/cert.pem) > cert.pem'

t_expect "a namespace created later is watched; labelled objects are unsealed, others left alone" '
	ns_create $NS &&
	secret_yaml on $NS v=labelled > on.yaml && "$GITSEAL" seal --cert cert.pem < on.yaml > on0.json &&
	python3 -c "import json,sys; s=json.load(open(\"on0.json\")); s[\"metadata\"][\"labels\"]={\"gitseal-test\": sys.argv[1]}; json.dump(s, open(\"on.json\",\"w\"))" $ID &&
	secret_yaml off $NS v=unlabelled > off.yaml && "$GITSEAL" seal --cert cert.pem < off.yaml > off.json &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets off.json > /dev/null &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets on.json > /dev/null &&
	wait_for "secret_value $NS on v" 30 && [ "$(secret_value $NS on v)" = labelled ] &&
	wait_for "synced $NS on | grep -q ^True" 10 && wait_for "events $NS on | grep -q Unsealed" 10 &&
	sleep 1 && ! k GET /api/v1/namespaces/$NS/secrets/off > /dev/null && [ -z "$(synced $NS off)" ]'

t_expect "no permission errors in the log" '! grep -qi "forbidden" $TMP/c1.log'
t_done
