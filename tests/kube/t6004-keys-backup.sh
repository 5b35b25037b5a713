#!/bin/sh
# gitseal keys backup / restore against the real API server and gitseal-controller: every key
# Secret to one file (age-encrypted with -r, plaintext with a warning otherwise), read back by
# gitseal unseal --key, restored into another namespace where the controller uses the keys
# without making a new one. The controller's HTTP server also serves gitseal seal --cert URL.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6004-keys-$ID
KNS2=t6004-restored-$ID
NS=t6004-$ID
export KNS KNS2 NS

nkeys() { # nkeys NS
	k GET "/api/v1/namespaces/$1/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key" |
		jq_ 'len(d["items"])'
}

t_expect "two keys in the controller's namespace; a SealedSecret for each" '
	ctl_crd && ns_create $KNS && ns_create $KNS2 && ns_create $NS &&
	ctl_start c1 $KNS --all-namespaces=false --additional-namespaces=$NS --key-size=2048 &&
	wait_for "curl -sf $(ctl_url c1 /v1/cert.pem) > k1.pem" 30 &&
	secret_yaml a $NS v=first-key > a.yaml && "$GITSEAL" seal --cert "$(ctl_url c1 /v1/cert.pem)" < a.yaml > a.json &&
	kill -USR1 $(cat $TMP/c1.pid) && wait_for "[ \$(nkeys $KNS) = 2 ]" 30 &&
	wait_for "curl -sf $(ctl_url c1 /v1/cert.pem) > k2.pem && ! cmp -s k1.pem k2.pem" 10 &&
	secret_yaml b $NS v=second-key > b.yaml && "$GITSEAL" seal --cert k2.pem < b.yaml > b.json &&
	ctl_stop c1'

t_expect "backup without -r: plaintext List (0600) and a warning; gitseal unseal --key reads it" '
	"$GITSEAL" keys backup --controller-namespace $KNS -o plain.yaml 2> err &&
	contains err "warning: the backup holds the private keys in plaintext" && contains err "2 keys backed up" &&
	[ "$(stat -c %a plain.yaml)" = 600 ] && contains plain.yaml "kind: List" &&
	! grep -q "resourceVersion\|uid:" plain.yaml &&
	"$GITSEAL" unseal --key plain.yaml < a.json > ua.json && contains ua.json "$(printf first-key | base64)" &&
	"$GITSEAL" unseal --key plain.yaml < b.json > ub.json && contains ub.json "$(printf second-key | base64)"'

t_expect "backup with -r: an age file, no key material in the clear; gitseal unseal --key reads it with -i" '
	"$GITSEAL" age-keygen -o id.txt 2> /dev/null && R=$(grep -o "age1[a-z0-9]*" id.txt | head -1) &&
	"$GITSEAL" keys backup --controller-namespace $KNS -r "$R" -o enc.age 2> err &&
	! contains err "warning" 2>/dev/null && head -c 21 enc.age | grep -q "age-encryption.org/v1" &&
	! grep -q "PRIVATE KEY\|tls.key" enc.age &&
	"$GITSEAL" unseal --key enc.age -i id.txt < b.json > ub2.json && contains ub2.json "$(printf second-key | base64)"'

t_expect "restore needs the identity; restores both keys into another namespace, twice is a no-op" '
	fails_with 1 "$GITSEAL" keys restore --controller-namespace $KNS2 -f enc.age 2> err && contains err "-i FILE" &&
	[ "$(nkeys $KNS2)" = 0 ] &&
	"$GITSEAL" keys restore --controller-namespace $KNS2 -f enc.age -i id.txt 2> err && contains err "2 keys restored" &&
	[ "$(nkeys $KNS2)" = 2 ] &&
	"$GITSEAL" keys restore --controller-namespace $KNS2 -f plain.yaml 2> err && contains err "0 keys restored, 2 already there"'

t_expect "the controller on the restored keys: no new key, both SealedSecrets unseal, newest cert served" '
	ctl_start c2 $KNS2 --all-namespaces=false --additional-namespaces=$NS --key-size=2048 &&
	wait_for "grep -q \"controller started\" $TMP/c2.log" 20 && sleep 1 && [ "$(nkeys $KNS2)" = 2 ] &&
	! grep -q "generating a new key" $TMP/c2.log &&
	curl -sf $(ctl_url c2 /v1/cert.pem) > served.pem && cmp served.pem k2.pem &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets a.json > /dev/null &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets b.json > /dev/null &&
	wait_for "secret_value $NS a v" 20 && wait_for "secret_value $NS b v" 20 &&
	[ "$(secret_value $NS a v)" = first-key ] && [ "$(secret_value $NS b v)" = second-key ]'

t_expect "a broken backup restores nothing" '
	printf "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  type: kubernetes.io/tls\n  metadata: {name: bad}\n  data: {tls.key: bm9wZQ==, tls.crt: bm9wZQ==}\n" > bad.yaml &&
	fails_with 1 "$GITSEAL" keys restore --controller-namespace $KNS2 -f bad.yaml 2> err && [ "$(nkeys $KNS2)" = 2 ]'

t_done
