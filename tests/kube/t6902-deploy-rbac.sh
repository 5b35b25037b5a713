#!/bin/sh
# gitseal-controller under the RBAC that deploy/ and the chart render, installed for real in a
# namespace of their own: the controller runs with the rendered Deployment's command, args and env
# and its ServiceAccount's token (TokenRequest), makes its key, takes its Lease and unseals
# SealedSecrets in other namespaces with no "forbidden" in its log; another authenticated user
# (no other rights) fetches the certificate and validates through the rendered Service (port
# http), as `kubeseal --fetch-cert` does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/deploy-lib.sh"

if ! ctl_have_server; then
	t_skip "install RBAC" "no API server (run through make test)"
	t_done
	exit 0
fi
if ! have_deploy_tools; then
	t_peer_missing "install RBAC" "kubectl/helm (make deps) or python3-yaml"
	t_done
	exit $?
fi
# the service proxy refuses loopback endpoints (as t1000): the controller listens on a host address
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep '^[0-9.]*$' | head -n1)
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=t6902-$ID
APPS=t6902-apps-$ID
export IP ID NS APPS

# install FILE: everything but the Deployments, for real (the Deployments run here instead)
install() {
	objs select "$1" --not Deployment PodDisruptionBudget Ingress ServiceMonitor > "$1.real" &&
		"$KUBECTL" apply --server-side --force-conflicts --field-manager=gitseal-t6902 \
			--validate=strict -f "$1.real" > /dev/null &&
		"$KUBECTL" wait --for condition=established --timeout=30s crd/sealedsecrets.bitnami.com > /dev/null
}

# kubeconfig SA NS OUT: a kubeconfig with a TokenRequest token of ServiceAccount NS/SA
kubeconfig() {
	printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}' > "$TMP/tr.json" &&
		_tok=$(k POST "/api/v1/namespaces/$2/serviceaccounts/$1/token" "$TMP/tr.json" | jq_ 'd["status"]["token"]') &&
		[ -n "$_tok" ] &&
		printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "%s", certificate-authority: "%s"}\nusers:\n- name: u\n  user: {token: "%s"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n' \
			"$KUBE_API_URL" "$KUBE_API_CA" "$_tok" > "$3"
}

# run_rendered ID FILE DEPLOYMENT NS [more flags]: the controller with the rendered command, args
# and plain env values, as the ServiceAccount, listening where the test can reach it
run_rendered() {
	_id=$1 _f=$2 _d=$3 _ns=$4
	shift 4
	objs args "$_f" "$_d" > "$TMP/$_id.args" && [ "$(head -n 1 "$TMP/$_id.args")" = gitseal-controller ] &&
		objs get "$_f" Deployment "$_d" "'\n'.join(e['name'] + '=' + e['value'] for e in o['spec']['template']['spec']['containers'][0]['env'] if 'value' in e)" > "$TMP/$_id.env" &&
		(
			while read -r _kv; do [ -n "$_kv" ] && export "$_kv"; done < "$TMP/$_id.env"
			# shellcheck disable=SC2046
			set -- $(tail -n +2 "$TMP/$_id.args") --kubeconfig "$TMP/sa.kubeconfig" "$@"
			ctl_start "$_id" "$_ns" "$@"
		)
}

# url ID PATH: where controller ID serves PATH (c1 listens on $IP when there is one)
url() { echo "http://$([ "$1" = c1 ] && echo "${IP:-127.0.0.1}" || echo 127.0.0.1):$(cat "$TMP/$1.port")$2"; }

t_expect "kustomize: deploy/ in a namespace of its own installs; a token for its ServiceAccount" '
	kz_with $NS > inst.yaml && ns_create $NS && install inst.yaml &&
	kubeconfig sealed-secrets-controller $NS sa.kubeconfig'

t_expect "the controller runs under it (rendered args), makes its key, takes the Lease" '
	run_rendered c1 inst.yaml sealed-secrets-controller $NS --key-size=2048 ${IP:+--listen-addr $IP:0} &&
	wait_for "grep -q \"controller started\" $TMP/c1.log" 30 &&
	wait_for "k GET /api/v1/namespaces/$NS/secrets?labelSelector=sealedsecrets.bitnami.com/sealed-secrets-key | grep -q tls.crt" 30 &&
	k GET /apis/coordination.k8s.io/v1/namespaces/$NS/leases/gitseal-controller > lease.json &&
	jq_ "d[\"spec\"][\"holderIdentity\"]" < lease.json | grep -q "^c1"'

t_expect "it unseals a SealedSecret in another namespace: Secret, status, Event" '
	ns_create $APPS && curl -sf $(url c1 /v1/cert.pem) > cert.pem &&
	secret_yaml db $APPS password=under-rendered-rbac > db.yaml &&
	seal_apply db $APPS db.yaml cert.pem &&
	wait_for "secret_value $APPS db password" 30 && [ "$(secret_value $APPS db password)" = under-rendered-rbac ] &&
	wait_for "synced $APPS db | grep -q ^True" 10 && wait_for "events $APPS db | grep -q Unsealed" 10'

t_expect "another authenticated user fetches the cert and validates through the rendered Service" '
	[ -n "$IP" ] || { echo "no non-loopback IPv4 address for the service proxy: skipped"; exit 0; }
	printf "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"dev\"}}" > dev.json &&
	k POST /api/v1/namespaces/$APPS/serviceaccounts dev.json > /dev/null && kubeconfig dev $APPS dev.kubeconfig &&
	port=$(cat $TMP/c1.port) &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"ctl\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"none\"}]}}" > pod.json &&
	k POST /api/v1/namespaces/$NS/pods pod.json > pod.out &&
	python3 -c "import json; d=json.load(open(\"pod.out\")); d[\"status\"]={\"phase\":\"Running\",\"podIP\":\"$IP\",\"podIPs\":[{\"ip\":\"$IP\"}]}; json.dump(d, open(\"pods.json\",\"w\"))" &&
	k PUT /api/v1/namespaces/$NS/pods/ctl/status pods.json > /dev/null &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"sealed-secrets-controller\"},\"subsets\":[{\"addresses\":[{\"ip\":\"%s\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"ctl\",\"namespace\":\"%s\"}}],\"ports\":[{\"name\":\"http\",\"port\":%s}]}]}" $IP $NS $port > ep.json &&
	k POST /api/v1/namespaces/$NS/endpoints ep.json > /dev/null &&
	"$GITSEAL" seal --kubeconfig dev.kubeconfig --controller-namespace $NS --fetch-cert > fetched.pem &&
	cmp fetched.pem cert.pem &&
	"$GITSEAL" seal --kubeconfig dev.kubeconfig --controller-namespace $NS --validate < $TMP/db.sealed.json &&
	! "$KUBECTL" --kubeconfig dev.kubeconfig get secrets -n $NS > denied 2>&1 && grep -qi forbidden denied'

# (other suites' SealedSecrets, sealed for their own keys, fail here: errors, but not forbidden)
t_expect "no permission errors in its log" '
	! grep -i "forbidden" $TMP/c1.log && ctl_stop c1'

t_expect "the chart with every value changed: its RBAC and flags run the controller as well" '
	ns_create apps && ns_create web && ns_create $NS-chart &&
	ht -n $NS-chart -f "$TOP/tests/fixtures/deploy/values-full.yaml" > chart.yaml && install chart.yaml &&
	kubeconfig sealed-secrets-controller $NS-chart sa.kubeconfig &&
	run_rendered c2 chart.yaml sealed-secrets-controller $NS-chart --key-size=2048 &&
	grep -q "^SEALED_SECRETS_KUBECLIENT_QPS=100$" $TMP/c2.env &&
	wait_for "grep -q \"controller started\" $TMP/c2.log" 30 && head -n 1 $TMP/c2.log | grep -q "^{" &&
	wait_for "k GET /apis/coordination.k8s.io/v1/namespaces/$NS-chart/leases/gitseal-main" 30 &&
	curl -sf $(url c2 /v1/cert.pem) > cert2.pem &&
	secret_yaml api-$ID apps token=chart-rbac > api.yaml && "$GITSEAL" seal --cert cert2.pem < api.yaml > api0.json &&
	python3 -c "import json; s=json.load(open(\"api0.json\")); s[\"metadata\"][\"labels\"]={\"gitseal.dev/managed\": \"true\"}; json.dump(s, open(\"api.json\",\"w\"))" &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/apps/sealedsecrets api.json > /dev/null &&
	wait_for "secret_value apps api-$ID token" 30 && [ "$(secret_value apps api-$ID token)" = chart-rbac ] &&
	! grep -qi "forbidden" $TMP/c2.log && ctl_stop c2'
t_done
