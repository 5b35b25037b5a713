#!/bin/sh
# gitseal-controller against the real API server: seal -> apply -> Secret, the three scopes
# (renamed / moved SealedSecrets must fail), managed / patch / unmanaged Secrets, recreate,
# template.data, updates, verify/rotate, status and events, quiet restart.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6001-keys-$ID
NS=t6001-$ID
NS2=t6001-b-$ID
export KNS NS NS2
CERT=
FLAGS="--all-namespaces=false --additional-namespaces=$NS,$NS2 --key-size=2048"

t_expect "CRD and namespaces" 'ctl_crd && ns_create $KNS && ns_create $NS && ns_create $NS2'
t_expect "controller starts; /healthz answers before any key exists" '
	ctl_start c1 $KNS $FLAGS && curl -sf "$(ctl_url c1 /healthz)" > h && [ "$(cat h)" = ok ]'
CERT=$(ctl_url c1 /v1/cert.pem)
export CERT
t_expect "first key generated: an active kubernetes.io/tls Secret; /v1/cert.pem serves it" '
	wait_for "curl -sf $CERT > cert.pem" 30 && grep -q "BEGIN CERTIFICATE" cert.pem &&
	k GET "/api/v1/namespaces/$KNS/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key%3Dactive" > l &&
	[ "$(jq_ "len(d[\"items\"])" < l)" = 1 ] && [ "$(jq_ "d[\"items\"][0][\"type\"]" < l)" = kubernetes.io/tls ] &&
	jq_ "d[\"items\"][0][\"metadata\"][\"name\"]" < l | grep -q "^sealed-secrets-key"'

t_expect "strict: the Secret appears with the right data, owner reference, Synced=True, event" '
	secret_yaml s1 $NS user=admin "pass=hunter2 x" > s1.yaml && seal_apply s1 $NS s1.yaml $CERT &&
	wait_for "secret_value $NS s1 user" 20 &&
	[ "$(secret_value $NS s1 user)" = admin ] && [ "$(secret_value $NS s1 pass)" = "hunter2 x" ] &&
	k GET /api/v1/namespaces/$NS/secrets/s1 | jq_ "d[\"metadata\"][\"ownerReferences\"][0]" > o &&
	contains o "SealedSecret" && contains o "True" &&
	wait_for "synced $NS s1 | grep -q ^True" 10 &&
	k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/s1 | jq_ "d[\"status\"][\"observedGeneration\"]" > g &&
	[ "$(cat g)" = 1 ] && wait_for "events $NS s1 | grep -q \"Unsealed: SealedSecret unsealed successfully\"" 10'

t_expect "namespace-wide and cluster-wide seal and unseal" '
	secret_yaml nw $NS k=nsw > nw.yaml && seal_apply nw $NS nw.yaml $CERT --scope namespace-wide &&
	secret_yaml cw $NS k=clw > cw.yaml && seal_apply cw $NS cw.yaml $CERT --scope cluster-wide &&
	wait_for "secret_value $NS nw k" 20 && wait_for "secret_value $NS cw k" 20 &&
	[ "$(secret_value $NS nw k)" = nsw ] && [ "$(secret_value $NS cw k)" = clw ]'

t_expect "a renamed strict SealedSecret fails (Synced=False, ErrUnsealFailed, no Secret)" '
	sed "s/\"name\": \"s1\"/\"name\": \"s1-renamed\"/g" s1.sealed.json > r.json &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets r.json > /dev/null &&
	wait_for "synced $NS s1-renamed | grep -q ^False" 20 && synced $NS s1-renamed > m &&
	contains m "no key could decrypt secret" && ! k GET /api/v1/namespaces/$NS/secrets/s1-renamed &&
	wait_for "events $NS s1-renamed | grep -q ErrUnsealFailed" 10'

t_expect "a namespace-wide SealedSecret moved to another namespace fails; cluster-wide moves fine" '
	sed "s/\"namespace\": \"$NS\"/\"namespace\": \"$NS2\"/g" nw.sealed.json > m1.json &&
	sed "s/\"namespace\": \"$NS\"/\"namespace\": \"$NS2\"/g; s/\"name\": \"cw\"/\"name\": \"cw2\"/g" cw.sealed.json > m2.json &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS2/sealedsecrets m1.json > /dev/null &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS2/sealedsecrets m2.json > /dev/null &&
	wait_for "synced $NS2 nw | grep -q ^False" 20 && ! k GET /api/v1/namespaces/$NS2/secrets/nw &&
	wait_for "secret_value $NS2 cw2 k" 20 && [ "$(secret_value $NS2 cw2 k)" = clw ]'

t_expect "an existing unmanaged Secret is left alone (Synced=False, ErrUpdateFailed)" '
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"pre\"},\"stringData\":{\"k\":\"mine\"}}" > pre.json &&
	k POST /api/v1/namespaces/$NS/secrets pre.json > /dev/null &&
	secret_yaml pre $NS k=theirs > pre.yaml && seal_apply pre $NS pre.yaml $CERT &&
	wait_for "synced $NS pre | grep -q ^False" 20 && synced $NS pre > m &&
	contains m "already exists and is not managed by SealedSecret" && [ "$(secret_value $NS pre k)" = mine ] &&
	wait_for "events $NS pre | grep -q ErrUpdateFailed" 10'

t_expect "managed: an annotated existing Secret is taken over (data replaced, owner set)" '
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"mg\",\"annotations\":{\"sealedsecrets.bitnami.com/managed\":\"true\"}},\"stringData\":{\"old\":\"x\",\"k\":\"mine\"}}" > mg.json &&
	k POST /api/v1/namespaces/$NS/secrets mg.json > /dev/null &&
	secret_yaml mg $NS k=theirs > mg.yaml && seal_apply mg $NS mg.yaml $CERT &&
	wait_for "[ \"\$(secret_value $NS mg k)\" = theirs ]" 20 &&
	k GET /api/v1/namespaces/$NS/secrets/mg > s && [ "$(jq_ "\",\".join(sorted(d[\"data\"]))" < s)" = k ] &&
	[ "$(jq_ "d[\"metadata\"][\"ownerReferences\"][0][\"kind\"]" < s)" = SealedSecret ]'

t_expect "patch: data, labels and annotations merged into the existing Secret" '
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"pt\",\"labels\":{\"keep\":\"me\"},\"annotations\":{\"sealedsecrets.bitnami.com/patch\":\"true\"}},\"stringData\":{\"old\":\"x\"}}" > pt.json &&
	k POST /api/v1/namespaces/$NS/secrets pt.json > /dev/null &&
	secret_yaml pt $NS k=new > pt.yaml && seal_apply pt $NS pt.yaml $CERT &&
	wait_for "[ \"\$(secret_value $NS pt k)\" = new ]" 20 && [ "$(secret_value $NS pt old)" = x ] &&
	k GET /api/v1/namespaces/$NS/secrets/pt | jq_ "d[\"metadata\"][\"labels\"][\"keep\"] + str(len(d[\"metadata\"].get(\"ownerReferences\",[])))" > o &&
	[ "$(cat o)" = me0 ]'

t_expect "a deleted Secret is recreated" '
	k DELETE /api/v1/namespaces/$NS/secrets/s1 > /dev/null &&
	wait_for "secret_value $NS s1 user" 20 && [ "$(secret_value $NS s1 user)" = admin ]'

t_expect "a new spec (re-sealed value) updates the Secret and observedGeneration" '
	secret_yaml s1 $NS user=root "pass=hunter2 x" > s1b.yaml &&
	"$GITSEAL" seal --cert $CERT < s1b.yaml > s1b.json &&
	k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/s1 > cur.json &&
	python3 -c "import json; c=json.load(open(\"cur.json\")); n=json.load(open(\"s1b.json\")); c[\"spec\"]=n[\"spec\"]; json.dump(c, open(\"upd.json\",\"w\"))" &&
	k PUT /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/s1 upd.json > /dev/null &&
	wait_for "[ \"\$(secret_value $NS s1 user)\" = root ]" 20 &&
	wait_for "k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/s1 | jq_ \"d[\\\"status\\\"][\\\"observedGeneration\\\"]\" | grep -qx 2" 10'

t_expect "template.data: .key, index, toJson, b64enc" '
	secret_yaml tp $NS user=admin "a.b=x<y" > tp.yaml && "$GITSEAL" seal --cert $CERT < tp.yaml > tp.json &&
	python3 -c "import json; s=json.load(open(\"tp.json\")); s[\"spec\"][\"template\"][\"data\"]={\"cfg\": \"u={{ .user }} j={{ toJson (index . \\\"a.b\\\") }} b={{ .user | b64enc }}\"}; json.dump(s, open(\"tp2.json\",\"w\"))" &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets tp2.json > /dev/null &&
	wait_for "secret_value $NS tp cfg" 20 && [ "$(secret_value $NS tp cfg)" = "u=admin j=\"x\\u003cy\" b=YWRtaW4=" ]'

t_expect "an unsupported template construct: Synced=False naming it, no Secret" '
	secret_yaml tq $NS user=admin > tq.yaml && "$GITSEAL" seal --cert $CERT < tq.yaml > tq0.json &&
	python3 -c "import json; s=json.load(open(\"tq0.json\")); s[\"spec\"][\"template\"][\"data\"]={\"cfg\": \"{{ if .user }}x{{ end }}\"}; json.dump(s, open(\"tq.json\",\"w\"))" &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets tq.json > /dev/null &&
	wait_for "synced $NS tq | grep -q ^False" 20 && synced $NS tq > m && contains m "unsupported template construct \"if\"" &&
	! k GET /api/v1/namespaces/$NS/secrets/tq'

t_expect "/v1/verify: 200 when it opens, 409 when not; /v1/rotate re-seals" '
	[ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @s1b.json $(ctl_url c1 /v1/verify))" = 200 ] &&
	sleep 1.1 &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @r.json $(ctl_url c1 /v1/verify))" = 409 ] &&
	curl -sf --data-binary @s1b.json $(ctl_url c1 /v1/rotate) > rot.json &&
	[ "$(jq_ "d[\"kind\"]" < rot.json)" = SealedSecret ] && ! cmp -s rot.json s1b.json &&
	sleep 1.1 && [ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @rot.json $(ctl_url c1 /v1/verify))" = 200 ]'

t_expect "verify and rotate never run template.data (no oracle); rotate keeps it as written" '
	sleep 1.1 && [ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @tq.json $(ctl_url c1 /v1/verify))" = 200 ] &&
	curl -sf --data-binary @tq.json $(ctl_url c1 /v1/rotate) > tqr.json &&
	[ "$(jq_ "d[\"spec\"][\"template\"][\"data\"][\"cfg\"]" < tqr.json)" = "{{ if .user }}x{{ end }}" ]'

t_expect "rotate takes the scope from the top-level metadata, not the template (CVE-2026-22728)" '
	python3 -c "import json; s=json.load(open(\"s1b.json\")); s[\"spec\"][\"template\"][\"metadata\"][\"annotations\"]={\"sealedsecrets.bitnami.com/cluster-wide\": \"true\"}; json.dump(s, open(\"evil.json\",\"w\"))" &&
	sleep 1.1 && curl -sf --data-binary @evil.json $(ctl_url c1 /v1/rotate) > evilr.json &&
	python3 -c "import json; s=json.load(open(\"evilr.json\")); s[\"metadata\"][\"name\"]=\"moved\"; s[\"metadata\"][\"annotations\"]={\"sealedsecrets.bitnami.com/cluster-wide\": \"true\"}; json.dump(s, open(\"moved.json\",\"w\"))" &&
	sleep 1.1 && [ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @evilr.json $(ctl_url c1 /v1/verify))" = 200 ] &&
	sleep 1.1 && [ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @moved.json $(ctl_url c1 /v1/verify))" = 409 ]'

t_expect "/v1/verify is rate limited (429 past the burst)" '
	for i in 1 2 3 4 5; do curl -s -o /dev/null -w "%{http_code}\n" --data-binary @s1b.json $(ctl_url c1 /v1/verify); done > codes &&
	grep -q 429 codes'

t_expect "/metrics: upstream names, no plaintext" '
	curl -sf "http://127.0.0.1:$(cat $TMP/c1.mport)/metrics" > met &&
	contains met "sealed_secrets_controller_unseal_requests_total" &&
	contains met "sealed_secrets_controller_unseal_errors_total{namespace=\"$NS\",reason=\"unmanaged\"}" &&
	contains met "sealed_secrets_controller_condition_info{condition=\"Synced\",name=\"s1\",namespace=\"$NS\"" &&
	contains met "sealed_secrets_controller_http_requests_total{code=\"409\",method=\"POST\",path=\"/v1/verify\"}" &&
	! grep -q hunter2 met'

t_expect "plaintext never in the log" '
	! grep -q "hunter2" $TMP/c1.log && ! grep -q "theirs" $TMP/c1.log && ! grep -q "YWRtaW4" $TMP/c1.log'

t_expect "restart: no Secret rewritten, no status write, no event, no new key" '
	k GET /api/v1/namespaces/$NS/secrets > before.json && k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets > ssb.json &&
	k GET /api/v1/namespaces/$NS/events > evb.json &&
	ctl_stop c1 && ctl_start c2 $KNS $FLAGS && wait_for "grep -q \"sealedsecrets listed\" $TMP/c2.log" 20 && sleep 2 &&
	k GET /api/v1/namespaces/$NS/secrets > after.json && k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets > ssa.json &&
	k GET /api/v1/namespaces/$NS/events > eva.json &&
	[ "$(jq_ "sorted((i[\"metadata\"][\"name\"], i[\"metadata\"][\"resourceVersion\"]) for i in d[\"items\"])" < before.json)" = \
	  "$(jq_ "sorted((i[\"metadata\"][\"name\"], i[\"metadata\"][\"resourceVersion\"]) for i in d[\"items\"])" < after.json)" ] &&
	[ "$(jq_ "sorted((i[\"metadata\"][\"name\"], i[\"metadata\"][\"resourceVersion\"]) for i in d[\"items\"] if i.get(\"status\",{}).get(\"conditions\",[{}])[0].get(\"status\")==\"True\")" < ssb.json)" = \
	  "$(jq_ "sorted((i[\"metadata\"][\"name\"], i[\"metadata\"][\"resourceVersion\"]) for i in d[\"items\"] if i.get(\"status\",{}).get(\"conditions\",[{}])[0].get(\"status\")==\"True\")" < ssa.json)" ] &&
	[ "$(jq_ "sorted((e[\"metadata\"][\"name\"], e.get(\"count\")) for e in d[\"items\"] if e[\"type\"]==\"Normal\")" < evb.json)" = \
	  "$(jq_ "sorted((e[\"metadata\"][\"name\"], e.get(\"count\")) for e in d[\"items\"] if e[\"type\"]==\"Normal\")" < eva.json)" ] &&
	! grep -q "msg=\"unsealed\"" $TMP/c2.log && ! grep -q "generating a new key" $TMP/c2.log'

t_done
