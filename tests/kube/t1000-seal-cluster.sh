#!/bin/sh
# gitseal seal's cluster paths, as kubeseal takes them: the certificate, --validate and
# --re-encrypt through the real API server's service proxy to a running gitseal-controller
# (Service + Endpoints made by hand: this API server has no controller-manager).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "seal against a cluster" "no API server (run through make test)"
	t_done
	exit 0
fi
# the service proxy refuses loopback endpoints: the controller listens on a host address
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep '^[0-9.]*$' | head -n1)
if [ -z "$IP" ]; then
	t_skip "seal against a cluster" "no non-loopback IPv4 address for the service proxy"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t1000-keys-$ID
NS=t1000-$ID
SS=$FIXTURES/sealed
export KNS NS IP SS
seal() { "$GITSEAL" seal --controller-namespace "$KNS" "$@"; }

# The proxy only goes to endpoints backed by a Pod whose status has that IP (isValidAddress),
# so a Pod object stands for the controller's pod (nothing runs it: there is no kubelet).
t_expect "a controller behind a Service (port name http) in its namespace" '
	ctl_crd && ns_create $KNS && ns_create $NS &&
	ctl_start c1 $KNS --all-namespaces=false --additional-namespaces=$NS --key-size=2048 --listen-addr $IP:0 &&
	port=$(cat $TMP/c1.port) &&
	wait_for "curl -sf http://$IP:$port/v1/cert.pem > direct.pem" 30 &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"ctl\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"none\"}]}}" > pod.json &&
	k POST /api/v1/namespaces/$KNS/pods pod.json > pod.out &&
	python3 -c "import json; d=json.load(open(\"pod.out\")); d[\"status\"]={\"phase\":\"Running\",\"podIP\":\"$IP\",\"podIPs\":[{\"ip\":\"$IP\"}]}; json.dump(d, open(\"pods.json\",\"w\"))" &&
	k PUT /api/v1/namespaces/$KNS/pods/ctl/status pods.json > /dev/null &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"sealed-secrets-controller\"},\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":8080,\"targetPort\":%s}]}}" $port > svc.json &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"sealed-secrets-controller\"},\"subsets\":[{\"addresses\":[{\"ip\":\"%s\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"ctl\",\"namespace\":\"%s\"}}],\"ports\":[{\"name\":\"http\",\"port\":%s}]}]}" $IP $KNS $port > ep.json &&
	k POST /api/v1/namespaces/$KNS/services svc.json > /dev/null && k POST /api/v1/namespaces/$KNS/endpoints ep.json > /dev/null'
t_expect "--fetch-cert without --cert gets the controller's cert through the API server" '
	seal --fetch-cert > fetched.pem && cmp fetched.pem direct.pem'
t_expect "seal without --cert seals for the controller; the controller unseals it" '
	secret_yaml app $NS user=admin > app.yaml && seal -f app.yaml > app.json &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets app.json > /dev/null &&
	wait_for "secret_value $NS app user" 20 && [ "$(secret_value $NS app user)" = admin ]'
t_expect "--validate: ok for the controller's, kubeseal's error for another key's" '
	seal --validate -f app.json > out && test ! -s out &&
	"$GITSEAL" seal --cert "$SS/tls.crt" -f app.yaml > other.json &&
	fails_with 1 seal --validate -f other.json 2> err && contains err "error: unable to decrypt sealed secret: app"'
t_expect "--re-encrypt with only -f rewrites the file; the result still validates" '
	cp app.json before.json && seal --re-encrypt -f app.json && ! cmp -s app.json before.json &&
	grep -q "\"kind\": \"SealedSecret\"" app.json && seal --validate -f app.json &&
	seal --re-encrypt -o yaml < before.json > rot.yaml && head -n1 rot.yaml | grep -qx -- --- &&
	cp other.json other0.json && fails_with 1 seal --re-encrypt -f other.json 2> err && contains err "error: cannot re-encrypt secret" &&
	contains err "no key could decrypt secret" &&
	cmp other.json other0.json'
t_expect "a wrong controller name gives kubeseal's hint" '
	fails_with 1 "$GITSEAL" seal --controller-namespace $KNS --controller-name nope --fetch-cert 2> err &&
	contains err "cannot get sealed secret service: services \"nope\" not found" && contains err "--controller-name"'
t_done
