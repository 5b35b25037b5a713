#!/bin/sh
# gitseal-controller keys: an upstream-made key Secret loads unchanged, a bad one is skipped,
# SIGUSR1 and a short --key-renew-period make new keys while running, --key-cutoff-time,
# and a restart never makes a duplicate key.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6002-keys-$ID
NS=t6002-$ID
UPKEY=$FIXTURES/sealed/upstream-key
export KNS NS UPKEY
FLAGS="--all-namespaces=false --additional-namespaces=$NS --key-size=2048"
export FLAGS

nkeys() {
	k GET "/api/v1/namespaces/$KNS/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key%3Dactive" |
		jq_ 'len(d["items"])'
}

t_expect "CRD, namespaces, the upstream key Secret and a broken key Secret" '
	ctl_crd && ns_create $KNS && ns_create $NS &&
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s[\"metadata\"][\"namespace\"]=sys.argv[2]; json.dump(s, open(\"up.json\",\"w\"))" $UPKEY/key-secret.json $KNS &&
	k POST /api/v1/namespaces/$KNS/secrets up.json > /dev/null &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"kubernetes.io/tls\",\"metadata\":{\"name\":\"sealed-secrets-keybad00\",\"labels\":{\"sealedsecrets.bitnami.com/sealed-secrets-key\":\"active\"}},\"data\":{\"tls.crt\":\"bm90IGEgY2VydA==\",\"tls.key\":\"bm90IGEga2V5\"}}" > bad.json &&
	k POST /api/v1/namespaces/$KNS/secrets bad.json > /dev/null && [ "$(nkeys)" = 2 ]'

t_expect "the upstream key loads (its cert is served), the bad one is skipped with an error, no key made" '
	ctl_start c1 $KNS $FLAGS --key-renew-period=0 && wait_for "grep -q \"keys loaded\" $TMP/c1.log" 20 &&
	grep "skipping bad key secret" $TMP/c1.log | grep -q "name=sealed-secrets-keybad00" &&
	curl -sf $(ctl_url c1 /v1/cert.pem) > served.pem && cmp served.pem $UPKEY/cert.pem &&
	sleep 1 && [ "$(nkeys)" = 2 ] && ! grep -q "generating a new key" $TMP/c1.log &&
	curl -sf $(ctl_url c1 /healthz) > /dev/null'

t_expect "a SealedSecret sealed offline for the upstream cert unseals" '
	secret_yaml up $NS v=from-upstream-key > up.yaml && seal_apply up $NS up.yaml $UPKEY/cert.pem &&
	wait_for "secret_value $NS up v" 20 && [ "$(secret_value $NS up v)" = from-upstream-key ]'

t_expect "SIGUSR1 makes a new key while running; it seals, the old one still unseals" '
	kill -USR1 $(cat $TMP/c1.pid) && wait_for "[ \$(nkeys) = 3 ]" 30 &&
	wait_for "grep -q \"new key generated\" $TMP/c1.log" 10 &&
	curl -sf $(ctl_url c1 /v1/cert.pem) > new.pem && ! cmp -s new.pem $UPKEY/cert.pem &&
	secret_yaml nk $NS v=new-key > nk.yaml && seal_apply nk $NS nk.yaml new.pem &&
	wait_for "secret_value $NS nk v" 20 &&
	k DELETE /api/v1/namespaces/$NS/secrets/up > /dev/null &&
	wait_for "secret_value $NS up v" 20 && [ "$(secret_value $NS up v)" = from-upstream-key ]'

t_expect "restart: the keys are reloaded, no duplicate key, the newest still seals" '
	ctl_stop c1 && ctl_start c2 $KNS $FLAGS && wait_for "grep -q \"controller started\" $TMP/c2.log" 20 &&
	sleep 1 && [ "$(nkeys)" = 3 ] && ! grep -q "generating a new key" $TMP/c2.log &&
	curl -sf $(ctl_url c2 /v1/cert.pem) > again.pem && cmp again.pem new.pem'

t_expect "a short --key-renew-period renews while running" '
	ctl_stop c2 && ctl_start c3 $KNS $FLAGS --key-renew-period=3s &&
	wait_for "[ \$(nkeys) -ge 5 ]" 40 && grep -q "reason=key-renew-period" $TMP/c3.log &&
	curl -sf $(ctl_url c3 /v1/cert.pem) > renewed.pem && ! cmp -s renewed.pem new.pem'

t_expect "--key-cutoff-time: a key newer than the cutoff at start, once" '
	ctl_stop c3 && sleep 1 && CUT=$(date -R) && sleep 1 && n0=$(nkeys) &&
	ctl_start c4 $KNS $FLAGS --key-renew-period=0 --key-cutoff-time "$CUT" &&
	wait_for "[ \$(nkeys) = $((n0 + 1)) ]" 30 && grep -q "reason=key-cutoff-time" $TMP/c4.log &&
	ctl_stop c4 && SEALED_SECRETS_KEY_CUTOFF_TIME="$CUT" ctl_start c5 $KNS $FLAGS --key-renew-period=0 &&
	wait_for "grep -q \"controller started\" $TMP/c5.log" 20 && sleep 1 && [ "$(nkeys)" = $((n0 + 1)) ]'

t_expect "no private key material in any log" '
	! grep -q "PRIVATE KEY" $TMP/c*.log && ! grep -q "from-upstream-key" $TMP/c*.log'

t_done
