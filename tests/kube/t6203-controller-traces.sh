#!/bin/sh
# What gitseal-controller leaves behind (issue 14): logs that hostile key names cannot forge (text
# and JSON), a source record that is a keyed MAC (different for equal data, its key in a Secret
# that keys backup/restore carry, old records upgraded without decrypting), no trace of a
# Secret it does not manage in its memory (Secrets are watched as metadata only), errors about
# decrypted text that name the item only, template metadata without the server's fields, and
# kubeconfig / connection problems said at once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6203-keys-$ID
KNS2=t6203-restored-$ID
NS=t6203-$ID
HOSTILE="python3 $TOP/tests/kube/hostile.py"
FLAGS="--all-namespaces=false --additional-namespaces=$NS --key-size=2048"
export KNS KNS2 NS HOSTILE FLAGS

record() { # record NAME: the source record annotation of a Secret in $NS
	k GET /api/v1/namespaces/$NS/secrets/$1 | jq_ "d[\"metadata\"][\"annotations\"][\"gitseal.dev/unsealed-from\"]"
}
ss_post() { # ss_post FILE
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets "$1" > /dev/null
}

t_expect "CRD, namespaces, a controller with a key" '
	ctl_crd && ns_create $KNS && ns_create $KNS2 && ns_create $NS && ctl_start c1 $KNS $FLAGS &&
	wait_for "curl -sf $(ctl_url c1 /v1/cert.pem) > cert.pem" 30'

t_expect "the source-record key: a labelled Secret in the controller namespace, made at start" '
	wait_for "k GET /api/v1/namespaces/$KNS/secrets/gitseal-source-record-key > rk.json" 20 &&
	[ "$(jq_ "d[\"metadata\"][\"labels\"][\"gitseal.dev/source-record-key\"]" < rk.json)" = active ] &&
	[ "$(jq_ "len(base64.b64decode(d[\"data\"][\"hmac-sha256-key\"]))" < rk.json)" = 32 ]'

t_expect "two Secrets with equal data get unrelated records: a keyed MAC, no hash of the data" '
	secret_yaml e1 $NS user=same "pass=same value" > e1.yaml && seal_apply e1 $NS e1.yaml cert.pem &&
	secret_yaml e2 $NS user=same "pass=same value" > e2.yaml && seal_apply e2 $NS e2.yaml cert.pem &&
	wait_for "record e1 && record e2" 20 && record e1 > r1 && record e2 > r2 && cat r1 r2 &&
	grep -q "^uid=.*,generation=1,spec=[0-9a-f]\{32\},mac=[0-9a-f]\{64\}$" r1 &&
	[ "$(sed "s/.*mac=//" r1)" != "$(sed "s/.*mac=//" r2)" ] && ! grep -q "data=" r1 r2'

t_expect "hostile key names (newline, quotes) in template.data and encryptedData: one record a line" '
	secret_yaml hk $NS v=1 > hk.yaml && "$GITSEAL" seal --cert cert.pem < hk.yaml > hk0.json &&
	python3 -c "
import json
s = json.load(open(\"hk0.json\"))
evil = \"a\ntime=FORGED level=error msg=\\\"forged\\\" x=\\\"\"
s[\"spec\"][\"template\"][\"data\"] = {evil: \"{{ .v }}\"}
s[\"spec\"][\"encryptedData\"][\"q\\\"\nb\"] = s[\"spec\"][\"encryptedData\"][\"v\"]
json.dump(s, open(\"hk.json\", \"w\"))" &&
	ss_post hk.json && wait_for "synced $NS hk | grep -q ^False" 20 && sleep 1 &&
	grep -q "msg=\"unseal failed\".*name=hk" $TMP/c1.log && ! grep -q "^time=FORGED" $TMP/c1.log &&
	$HOSTILE logcheck $TMP/c1.log text'

t_expect "the same in --log-format=json: every line one JSON record" '
	ctl_stop c1 && ctl_start j $KNS $FLAGS --log-format=json &&
	wait_for "grep -q \"unseal failed\" $TMP/j.log" 20 && [ -s $TMP/j.port ] && [ -s $TMP/j.mport ] &&
	$HOSTILE logcheck $TMP/j.log json && ! grep -q "^time=" $TMP/j.log && ctl_stop j'

t_expect "keys backup carries the source-record key, keys restore restores it" '
	"$GITSEAL" keys backup --controller-namespace $KNS -o plain.yaml 2> err &&
	contains plain.yaml "gitseal-source-record-key" && contains err "1 key backed up" &&
	"$GITSEAL" keys restore --controller-namespace $KNS2 -f plain.yaml 2> err &&
	contains err "$KNS2/gitseal-source-record-key restored" &&
	k GET /api/v1/namespaces/$KNS2/secrets/gitseal-source-record-key > rk2.json &&
	[ "$(jq_ "d[\"data\"]" < rk2.json)" = "$(jq_ "d[\"data\"]" < rk.json)" ] &&
	"$GITSEAL" unseal --key plain.yaml < e1.sealed.json > u.json && contains u.json "c2FtZQ=="'

t_expect "on restored keys the records still match: a restart decrypts nothing" '
	ctl_start c2 $KNS2 $FLAGS && wait_for "grep -q \"caught up\" $TMP/c2.log" 30 &&
	! grep -q "msg=\"unsealed\"" $TMP/c2.log && ! grep -q "source-record key created" $TMP/c2.log &&
	grep -q "caught up.*unchanged=[1-9]" $TMP/c2.log && ctl_stop c2'

t_expect "an old-format record (unkeyed data hash) counts as current and is upgraded, undecrypted" '
	k GET /api/v1/namespaces/$NS/secrets/e1 > e1.json && python3 -c "
import json, hashlib
s = json.load(open(\"e1.json\"))
d = s[\"data\"]
h = hashlib.sha256(b\"\".join(k.encode() + b\"\0\" + d[k].encode() + b\"\0\" for k in sorted(d))).hexdigest()[:32]
a = s[\"metadata\"][\"annotations\"]
a[\"gitseal.dev/unsealed-from\"] = a[\"gitseal.dev/unsealed-from\"].split(\",mac=\")[0] + \",data=\" + h
json.dump(s, open(\"e1old.json\", \"w\"))" &&
	k PUT /api/v1/namespaces/$NS/secrets/e1 e1old.json > /dev/null && record e1 | grep -q ",data=" &&
	ctl_start c3 $KNS2 $FLAGS && wait_for "grep -q \"caught up\" $TMP/c3.log" 30 &&
	grep -q "source record upgraded to the keyed format.*name=e1" $TMP/c3.log &&
	! grep -q "msg=\"unsealed\"" $TMP/c3.log && record e1 | grep -q ",mac=[0-9a-f]\{64\}$" &&
	[ "$(secret_value $NS e1 user)" = same ]'

t_expect "a Secret the controller does not manage never enters its memory (metadata-only watch)" '
	[ "$(id -u)" = 0 ] || { echo "needs root to read /proc/PID/mem"; exit 1; }
	secret_yaml after $NS v=later > after.yaml && seal_apply after $NS after.yaml cert.pem &&
	wait_for "secret_value $NS after v" 20 && k DELETE /api/v1/namespaces/$NS/secrets/after > /dev/null &&
	wait_for "secret_value $NS after v" 20 && : > needles &&
	for i in 1 2 3 4 5 6; do
		v=$(od -An -N12 -tx1 /dev/urandom | tr -d " \n") && echo $v >> needles &&
		printf %s $v | base64 >> needles &&
		printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"bystander\"},\"stringData\":{\"a\":\"%s\"}}" $v > by.json &&
		{ k PUT /api/v1/namespaces/$NS/secrets/bystander by.json > /dev/null ||
		  k POST /api/v1/namespaces/$NS/secrets by.json > /dev/null; } || exit 1
	done && sleep 1 && $HOSTILE memscan $(cat $TMP/c3.pid) $(cat needles)'

t_expect "legacy spec.data: errors about the decrypted text name the item, never its text or keys" '
	printf "{\"data\": {\"hunter2-key\": \"x" > bad1.txt &&
	printf "{\"data\": {\"ok\": \"MQ==\", \"leaky-key-name\": \"!!\"}}" > bad2.txt &&
	for n in 1 2; do
		"$GITSEAL" seal --raw --scope strict --name legacy$n --namespace $NS --cert cert.pem --from-file=bad$n.txt > ct$n &&
		printf "{\"apiVersion\":\"bitnami.com/v1alpha1\",\"kind\":\"SealedSecret\",\"metadata\":{\"name\":\"legacy$n\",\"namespace\":\"$NS\"},\"spec\":{\"encryptedData\":{},\"data\":\"%s\"}}" "$(cat ct$n)" > l$n.json &&
		ss_post l$n.json || exit 1
	done &&
	wait_for "synced $NS legacy1 | grep -q ^False" 20 && wait_for "synced $NS legacy2 | grep -q ^False" 20 &&
	synced $NS legacy1 > m1 && synced $NS legacy2 > m2 && cat m1 m2 &&
	contains m1 "spec.data: the decrypted Secret is not valid YAML/JSON" && ! grep -q "[0-9]:[0-9]" m1 &&
	contains m2 "data item 2 is not valid base64" &&
	! grep -q "hunter2\|leaky" m1 m2 $TMP/c3.log && events $NS legacy2 > ev && ! grep -q leaky ev'

t_expect "template metadata with the server fields (resourceVersion, uid, ...): the Secret is made" '
	secret_yaml tm $NS v=1 > tm.yaml && "$GITSEAL" seal --cert cert.pem < tm.yaml > tm0.json &&
	python3 -c "
import json
s = json.load(open(\"tm0.json\"))
s[\"spec\"][\"template\"][\"metadata\"].update({\"resourceVersion\": \"12345\", \"uid\": \"0b5e0d3c-0000-0000-0000-000000000000\",
  \"creationTimestamp\": \"2020-01-01T00:00:00Z\", \"selfLink\": \"/x\", \"generation\": 7,
  \"managedFields\": [{\"manager\": \"kubectl\", \"operation\": \"Update\"}], \"labels\": {\"keep\": \"me\"}})
json.dump(s, open(\"tm.json\", \"w\"))" &&
	ss_post tm.json && wait_for "secret_value $NS tm v" 20 &&
	k GET /api/v1/namespaces/$NS/secrets/tm | jq_ "d[\"metadata\"][\"labels\"][\"keep\"]" | grep -qx me &&
	wait_for "synced $NS tm | grep -q ^True" 10 && ctl_stop c3'

t_expect "a kubeconfig with a CA and insecure-skip-tls-verify is refused, as kubectl does" '
	python3 -c "
import re, sys
k = open(sys.argv[1]).read()
open(\"insecure.kubeconfig\", \"w\").write(re.sub(r\"(certificate-authority-data: \S+)\", r\"\1\n    insecure-skip-tls-verify: true\", k))" "$KUBECONFIG" &&
	! POD_NAMESPACE=$KNS timeout 20 "$CONTROLLER" --kubeconfig insecure.kubeconfig --listen-addr 127.0.0.1:0 \
		--listen-metrics-addr 127.0.0.1:0 > ins.log 2>&1 &&
	contains ins.log "specifying a root certificates file with the insecure flag is not allowed"'

t_expect "a wrong CA is logged with the first failed request, not after the Lease gives up" '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -subj /CN=other -days 1 2>/dev/null &&
	python3 -c "
import re, sys, base64
k = open(sys.argv[1]).read()
ca = base64.b64encode(open(\"other.crt\", \"rb\").read()).decode()
open(\"wrongca.kubeconfig\", \"w\").write(re.sub(r\"certificate-authority-data: \S+\", \"certificate-authority-data: \" + ca, k))" "$KUBECONFIG" &&
	ctl_start w $KNS $FLAGS --kubeconfig wrongca.kubeconfig &&
	wait_for "grep -q \"level=error.*certificate\" $TMP/w.log" 3 && ctl_stop w'
t_done
