#!/bin/sh
# gitseal reseal (re-encrypt files in place, keeping their bytes but the values) and
# gitseal seal --merge-into (the file's scope and format win over the CLI's).
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
UP=$SS/upstream-key
seal() { "$GITSEAL" seal "$@"; }
unseal() { "$GITSEAL" unseal "$@"; }

t_expect "reseal YAML: only the values change, comments/order/other documents kept, new key opens it" '
	{ echo "# sealed for the BYO key"; echo "---"; seal --cert "$SS/tls.crt" -o yaml --scope namespace-wide -f "$SS/secret.yaml" | sed 1d;
	  echo "---"; echo "apiVersion: v1"; echo "kind: ConfigMap  # untouched"; echo "metadata: {name: cm}"; } > app.yaml &&
	cp app.yaml before.yaml &&
	"$GITSEAL" reseal --key "$SS/tls.key" --cert "$UP/cert.pem" app.yaml 2> log && contains log "resealed app.yaml" &&
	diff before.yaml app.yaml > d; test "$(grep -c "^[<>]" d)" = 8 &&
	test "$(grep "^[<>]" d | grep -vc "^[<>]     [a-z]*: A[gQ]")" = 0 &&
	grep -q "^# sealed for the BYO key" app.yaml && grep -q "kind: ConfigMap  # untouched" app.yaml &&
	unseal --key "$UP/key.pem" -o yaml app.yaml | grep -q "^  username: YWRtaW4=$" &&
	fails_with 1 unseal --key "$SS/tls.key" app.yaml 2>/dev/null &&
	grep -q "sealedsecrets.bitnami.com/namespace-wide" app.yaml'
t_expect "reseal is all or nothing: a bad file named, every file left as it was" '
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > a.json && cp a.json a0.json &&
	printf "kind: SealedSecret\nmetadata: {name: x, namespace: y}\nspec:\n  encryptedData:\n    k: AgBAAAA\n" > bad.yaml && cp bad.yaml bad0.yaml &&
	fails_with 1 "$GITSEAL" reseal --key "$SS/tls.key" --cert "$UP/cert.pem" a.json bad.yaml 2> log &&
	! contains log "resealed a.json" 2>/dev/null && contains log "bad.yaml" && contains log "nothing was re-sealed" &&
	cmp bad.yaml bad0.yaml && cmp a.json a0.json &&
	! ls -A | grep -q "^[.]a[.]json[.]\\|^[.]bad[.]yaml[.]"'
t_expect "reseal JSON stays JSON (quotes kept), several files at once" '
	cp a0.json a.json && cp a0.json c.json &&
	"$GITSEAL" reseal --key "$SS/tls.key" --cert "$UP/cert.pem" a.json c.json 2> log &&
	contains log "resealed a.json" && contains log "resealed c.json" &&
	head -c1 a.json | grep -q "{" && test "$(diff a0.json a.json | grep -c "^>       \"[a-z]*\": \"A[gQ]")" = 4 &&
	unseal --key "$UP/key.pem" -o json a.json | grep -q "\"username\": \"YWRtaW4=\""'
t_expect "reseal refuses an expired cert and missing keys" '
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > b.json && cp b.json b0.json &&
	fails_with 1 "$GITSEAL" reseal --key "$UP/key.pem" --cert "$SS/tls.crt" b.json 2> e && contains e "no key could decrypt secret" && cmp b.json b0.json &&
	fails_with 2 "$GITSEAL" reseal --cert "$SS/tls.crt" b.json 2>/dev/null'
t_expect "--merge-into keeps the file's cluster-wide scope and YAML format" '
	seal --cert "$SS/tls.crt" --scope cluster-wide -o yaml -f "$SS/secret.yaml" > m.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: ignored, namespace: elsewhere, labels: {extra: yes-label}}\nstringData: {newkey: new value}\n" > more.yaml &&
	seal --cert "$SS/tls.crt" --merge-into m.yaml --scope strict -f more.yaml > out 2> warn && test ! -s out &&
	contains warn "warning: --scope strict ignored: m.yaml is cluster-wide" &&
	head -n1 m.yaml | grep -qx -- --- && grep -q "^    newkey: Ag" m.yaml && grep -q "cluster-wide: \"true\"" m.yaml &&
	grep -q "extra: yes-label" m.yaml && grep -q "^  name: mysecret" m.yaml &&
	unseal --key "$SS/tls.key" -o yaml m.yaml > u.yaml && grep -q "^  newkey: bmV3IHZhbHVl$" u.yaml && grep -q "^  username: YWRtaW4=$" u.yaml'
t_expect "--merge-into a JSON file stays JSON; a non-SealedSecret file is refused untouched" '
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > m.json &&
	printf "kind: Secret\nmetadata: {name: x}\nstringData: {k2: v2}\n" > k2.yaml &&
	seal --cert "$SS/tls.crt" --merge-into m.json -f k2.yaml && head -c1 m.json | grep -q "{" &&
	unseal --key "$SS/tls.key" -o yaml m.json | grep -q "^  k2: djI=$" &&
	cp "$SS/secret.yaml" notss.yaml && fails_with 1 seal --cert "$SS/tls.crt" --merge-into notss.yaml -f k2.yaml 2> e &&
	contains e "not a SealedSecret" && cmp notss.yaml "$SS/secret.yaml"'
t_done
