#!/bin/sh
# gitseal rotate against the real API server and gitseal-controller (issue 11): a checkout with
# 50 SealedSecrets made by the npm kubeseal peer and 50 SOPS files encrypted to the cluster;
# `keys renew`; `keys retire` refuses while SealedSecrets still use the old key (naming them);
# a failure half-way (an unreadable file) changes nothing; `gitseal rotate` through the
# controller (/v1/rotate-stale) and offline from a `keys backup`; everything then opens with
# only the new keys; applied, the controller stops needing the old key, and retire goes through.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "rotate" "no API server (run through make test)"
	t_done
	exit 0
fi
IP=$(ctl_host_ip)
PEER=$TOP/tests/peers/kubeseal-encrypt-js.mjs
if [ -z "$IP" ]; then
	t_skip "rotate" "no non-loopback IPv4 address for the service proxy"
	t_done
	exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! have_peer @linode/kubeseal-encrypt || ! have_peer yaml; then
	t_peer_missing "rotate a checkout sealed by the npm kubeseal peer" "@linode/kubeseal-encrypt"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6602-keys-$ID
NS=t6602-$ID
N=50
export KNS NS IP PEER N
G=$GITSEAL
sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs md5sum); }
# keys_of NAME...: the key Secrets (RSA or age) of the controller as one List
keys_of() {
	printf '{"apiVersion":"v1","kind":"List","items":[' > "$TMP/.keys.json"
	_sep=
	for _n in "$@"; do
		printf '%s' "$_sep" >> "$TMP/.keys.json"
		k GET "/api/v1/namespaces/$KNS/secrets/$_n" >> "$TMP/.keys.json" || return 1
		_sep=,
	done
	printf ']}' >> "$TMP/.keys.json"
	cat "$TMP/.keys.json"
}
uses_old() { # how many SealedSecrets need the first key (old) per /v1/keys
	curl -sf "http://$IP:$(cat $TMP/c1.port)/v1/keys" | jq_ '[k for k in d["rsa"] if k["name"]==open("old.name").read().strip()][0]["sealedSecrets"] if d.get("complete") else -1'
}

t_expect "a controller; $N SealedSecrets sealed by the npm peer (applied), $N SOPS files encrypted to the cluster" '
	ctl_crd && ns_create $KNS && ns_create $NS &&
	ctl_start c1 $KNS --all-namespaces=false --additional-namespaces=$NS --key-size=2048 --listen-addr $IP:0 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/cert.pem > cert1.pem" 30 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient > r1.txt" 30 && ctl_service c1 $KNS $IP &&
	k GET "/api/v1/namespaces/$KNS/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key" | jq_ "d[\"items\"][0][\"metadata\"][\"name\"]" > old.name &&
	mkdir -p repo/apps repo/sops && printf "creation_rules:\n  - path_regex: sops/.*\n    encrypted_regex: ^(data|stringData)\$\n    cluster: http://%s:%s/v1/age-recipient\n" $IP $(cat $TMP/c1.port) > repo/.sops.yaml &&
	i=0; while [ $i -lt $N ]; do
		secret_yaml s$i $NS user=u$i pass=p$i > s$i.yaml || exit 1
		i=$((i + 1))
	done &&
	seq 0 $((N - 1)) | xargs -P 2 -I{} sh -c "node \"$PEER\" --cert cert1.pem < s{}.yaml > repo/apps/s{}.yaml" &&
	i=0; while [ $i -lt $N ]; do
		(cd repo && "$G" encrypt ../s$i.yaml --filename-override sops/s$i.yaml > sops/s$i.enc.yaml) || exit 1
		i=$((i + 1))
	done &&
	for f in repo/apps/*.yaml; do "$G" kube apply -f $f > /dev/null || exit 1; done &&
	secret_yaml extra $NS v=old > extra.yaml && "$G" seal --cert cert1.pem < extra.yaml > extra.json && cp extra.json extra0.json &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets extra.json > /dev/null &&
	wait_for "[ \"\$(uses_old)\" = $((N + 1)) ]" 60 && sum repo > before.md5'

t_expect "keys renew: the controller loads the new key and identity at once" '
	"$G" keys renew --controller-namespace $KNS --key-size 2048 > renew.out &&
	sed -n "s/^created [^/]*\/\([^ ]*\) (sealing key)$/\1/p" renew.out > new.name &&
	sed -n "s/^created [^/]*\/\([^ ]*\) (age identity.*$/\1/p" renew.out > newid.name &&
	grep -o "age1[a-z0-9]*" renew.out > r2.txt && test -s new.name && test -s newid.name &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient | cmp -s - r2.txt" 20 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/cert.pem > cert2.pem && ! cmp -s cert1.pem cert2.pem" 20'

t_expect "keys retire of the old key is refused while SealedSecrets need it, naming them" '
	"$G" keys list --controller-namespace $KNS > list.txt && cat list.txt &&
	grep "$(cat old.name)" list.txt | grep -q "active .*$((N + 1)) SealedSecrets" &&
	fails_with 1 "$G" keys retire --controller-namespace $KNS -o old.key.yaml "$(cat old.name)" 2> err &&
	contains err "$((N + 1)) SealedSecrets still need it: $NS/" && contains err "gitseal rotate" && test ! -e old.key.yaml'

t_expect "a failure half-way (an unreadable file): named, nothing changed" '
	age_identities $KNS > ids.txt && chmod 644 ids.txt && chmod 755 "$TMP" &&
	chmod 000 repo/apps/s25.yaml &&
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody repo && cp "$KUBECONFIG" kc && chmod 644 kc &&
		KUBECONFIG=$TMP/kc SOPS_AGE_KEY_FILE=$TMP/ids.txt fails_with 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$G" rotate repo --controller-namespace $KNS 2> err;
		rc=$?; chown -R root repo
	else
		SOPS_AGE_KEY_FILE=ids.txt fails_with 1 "$G" rotate repo --controller-namespace $KNS 2> err; rc=$?
	fi && chmod 700 "$TMP" && [ $rc = 0 ] && chmod 644 repo/apps/s25.yaml &&
	contains err "repo/apps/s25.yaml" && contains err "nothing was written" && sum repo | cmp - before.md5'

t_expect "rotate through the controller: every SealedSecret re-sealed, every SOPS file rotated" '
	cp -a repo offline && cp -a repo dry &&
	SOPS_AGE_KEY_FILE=ids.txt "$G" rotate repo --controller-namespace $KNS -j 2 > out && tail -1 out &&
	contains out "$N with SealedSecrets re-sealed, $N SOPS files rotated, 0 current" &&
	sum repo > after.md5 && [ $(diff before.md5 after.md5 | grep -c "^>") = $((2 * N)) ]'

t_expect "everything opens with only the new keys, nothing with the old ones" '
	keys_of $(cat new.name) > newkey.json && keys_of $(cat newid.name) > newid.json &&
	"$G" age-keygen -o op.txt 2>/dev/null && jq_ "base64.b64decode(d[\"items\"][0][\"data\"][\"identity.agekey\"]).decode()" < newid.json > newid.txt &&
	for f in repo/apps/*.yaml; do "$G" validate --key newkey.json $f > /dev/null || exit 1; done &&
	keys_of $(cat old.name) > oldkey.json && fails_with 1 "$G" validate --key oldkey.json repo/apps/s7.yaml 2>/dev/null &&
	for f in repo/sops/*.enc.yaml; do SOPS_AGE_KEY_FILE=newid.txt "$G" decrypt $f > /dev/null || exit 1; done &&
	SOPS_AGE_KEY_FILE=newid.txt "$G" decrypt repo/sops/s9.enc.yaml | grep -q "pass: p9" &&
	"$G" unseal --key newkey.json -o yaml repo/apps/s9.yaml | grep -q "pass: $(printf p9 | base64)" &&
	SOPS_AGE_KEY_FILE=ids.txt "$G" decrypt repo/sops/s9.enc.yaml > /dev/null 2>&1 || true'

t_expect "a second run (through the controller) finds everything current: nothing written" '
	"$G" rotate repo --controller-namespace $KNS > out2 && contains out2 "0 with SealedSecrets re-sealed, 0 SOPS files rotated, $((2 * N)) current" &&
	sum repo | cmp - after.md5'

t_expect "offline from a keys backup: --key backup.age -i ID does the same, SOPS identities included" '
	grep -o "age1[a-z0-9]*" op.txt | head -1 > op.pub &&
	"$G" keys backup --controller-namespace $KNS -r "$(cat op.pub)" -o backup.age 2>/dev/null &&
	"$G" rotate offline --key backup.age -i op.txt --dry-run > dry.out && contains dry.out "would reseal" &&
	sum offline | cmp - before.md5 &&
	"$G" rotate offline --key backup.age -i op.txt > off.out && contains off.out "$N with SealedSecrets re-sealed, $N SOPS files rotated" &&
	for f in offline/apps/*.yaml; do "$G" validate --key newkey.json $f > /dev/null || exit 1; done &&
	SOPS_AGE_KEY_FILE=newid.txt "$G" decrypt offline/sops/s3.enc.yaml | grep -q "pass: p3"'

t_expect "applied: the controller unseals with the new key; retire still refused for the one left (named)" '
	for f in repo/apps/*.yaml; do "$G" kube apply -f $f > /dev/null || exit 1; done &&
	wait_for "[ \"\$(uses_old)\" = 1 ]" 60 &&
	fails_with 1 "$G" keys retire --controller-namespace $KNS -o old.key.yaml "$(cat old.name)" 2> err &&
	contains err "1 SealedSecret still needs it: $NS/extra" &&
	[ "$(secret_value $NS s9 pass)" = p9 ]'

t_expect "once nothing needs it: retired (a copy written first), the controller forgets it, all still unseal" '
	"$G" seal --controller-namespace $KNS --re-encrypt -f extra.json && "$G" kube apply --force-conflicts -f extra.json > /dev/null &&
	wait_for "[ \"\$(uses_old)\" = 0 ]" 60 &&
	"$G" keys retire --controller-namespace $KNS -r "$(cat op.pub)" -o old.key.age "$(cat old.name)" 2> err &&
	contains err "retired $KNS/$(cat old.name)" && ! contains err warning 2>/dev/null &&
	wait_for "grep -q \"key removed\" $TMP/c1.log" 10 &&
	"$G" unseal --key old.key.age -i op.txt < extra0.json | grep -q "$(printf old | base64)" &&
	k DELETE /api/v1/namespaces/$NS/secrets/s3 > /dev/null && wait_for "[ \"\$(secret_value $NS s3 pass)\" = p3 ]" 30 &&
	"$G" keys list --controller-namespace $KNS > list2.txt && ! grep -q "$(cat old.name)" list2.txt &&
	ctl_stop c1'

t_expect "after a restart nothing is decrypted to start, and the census counts every SealedSecret again" '
	ctl_start c2 $KNS --all-namespaces=false --additional-namespaces=$NS --key-size=2048 &&
	wait_for "grep -q \"caught up\" $TMP/c2.log" 60 && grep "caught up" $TMP/c2.log | grep -q "unsealed=0 unchanged=$((N + 1))" &&
	wait_for "curl -sf $(ctl_url c2 /v1/keys) | jq_ \"d[\\\"complete\\\"]\" | grep -qx True" 60 &&
	curl -sf $(ctl_url c2 /v1/keys) > keys.json &&
	jq_ "[k[\"sealedSecrets\"] for k in d[\"rsa\"] if k[\"name\"]==\"$(cat new.name)\"][0]" < keys.json | grep -qx $((N + 1)) &&
	ctl_stop c2'
t_done
