#!/bin/sh
# gitseal unseal / validate / seal --recovery-unseal: key formats (PEM PKCS#1 and
# PKCS#8, key Secret, List), several keys, wrong keys, tampered and truncated items.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
UP=$SS/upstream-key
seal() { "$GITSEAL" seal "$@"; }
unseal() { "$GITSEAL" unseal "$@"; }
validate() { "$GITSEAL" validate "$@"; }

seal --cert "$SS/tls.crt" -o yaml -f "$SS/secret.yaml" > "$TMP/byo.yaml"
seal --cert "$UP/cert.pem" -f "$SS/secret.yaml" > "$TMP/up.json"

t_expect "unseal with a PKCS#8 key, a PKCS#1 key and the controller's key Secret" '
	unseal --key "$SS/tls.key" byo.yaml > a.yaml && grep -q "^  password: czNjcjN0IMO8bsOvY8O2ZMOp$" a.yaml &&
	grep -q "^kind: Secret" a.yaml && grep -q "^type: Opaque" a.yaml && ! grep -q last-applied a.yaml &&
	unseal --key "$UP/key.pem" up.json > b.json && grep -q "\"username\": \"YWRtaW4=\"" b.json &&
	unseal --key "$UP/key-secret.json" up.json | cmp - b.json'
t_expect "several --key (and comma lists): the one that opens is found" '
	unseal --key "$UP/key.pem" --key "$SS/tls.key" byo.yaml > c.yaml && cmp c.yaml a.yaml 2>/dev/null || diff c.yaml a.yaml &&
	unseal --key "$UP/key.pem,$SS/tls.key" -o yaml byo.yaml up.json > two.yaml && test "$(grep -c "^kind: Secret" two.yaml)" = 2'
t_expect "a List of key Secrets works as --key / --recovery-private-key" '
	{ echo "apiVersion: v1"; echo "kind: List"; echo "items:"; sed "s/^/  /; 1s/^  /- /" "$UP/key-secret.json"; } > list.yaml &&
	unseal --key list.yaml up.json > /dev/null &&
	seal --recovery-unseal --recovery-private-key list.yaml < up.json > r.json &&
	head -n3 r.json | tr -d " \n" | grep -q "^{\"kind\":\"Secret\",\"apiVersion\":\"v1\"," &&
	grep -q "\"kind\": \"SealedSecret\"" r.json && grep -q "\"controller\": true" r.json'
t_expect "wrong key: every item named, exit 1, no output file" '
	fails_with 1 unseal --key "$UP/key.pem" byo.yaml -w out.yaml 2> err && test ! -e out.yaml &&
	contains err "error: byo.yaml: no key could decrypt secret (binary), no key could decrypt secret (empty), no key could decrypt secret (password), no key could decrypt secret (username)"'
t_expect "tampered, truncated and non-base64 items fail naming the item" '
	sed "/^    password:/s/\(.\{60\}\)[A-Za-z0-9]/\1A/;/^    password:/s/\(.\{61\}\)[A-Za-z0-9]/\1B/" byo.yaml > t1.yaml && ! cmp -s t1.yaml byo.yaml &&
	fails_with 1 unseal --key "$SS/tls.key" t1.yaml 2> e1 && contains e1 "no key could decrypt secret (password)" && ! grep -q username e1 &&
	sed "/^    username:/s/: \(.\{40\}\).*/: \1/" byo.yaml > t2.yaml &&
	fails_with 1 unseal --key "$SS/tls.key" t2.yaml 2> e2 && contains e2 "SealedSecret data is too short (username)" &&
	sed "/^    empty:/s/: .*/: AgB%%%/" byo.yaml > t3.yaml &&
	fails_with 1 unseal --key "$SS/tls.key" t3.yaml 2> e3 && contains e3 "t3.yaml: spec.encryptedData.empty: illegal base64 data at input byte 3"'
t_expect "unseal writes -w with mode 0600, only on success" '
	unseal --key "$SS/tls.key" byo.yaml -w plain.yaml && test "$(stat -c %a plain.yaml)" = 600 && grep -q "^data:" plain.yaml'
t_expect "bad key files are refused with their name" '
	fails_with 1 unseal --key "$SS/tls.crt" byo.yaml 2> e && contains e "error: $SS/tls.crt: no PEM private key found" &&
	printf "kind: Secret\nmetadata: {name: k}\ndata: {tls.crt: eA==}\n" > nokey.yaml &&
	fails_with 1 unseal --key nokey.yaml byo.yaml 2> e2 && contains e2 "secret must contain a '"'"'tls.data'"'"' key" &&
	fails_with 1 unseal --key missing.pem byo.yaml 2> e3 && contains e3 "error: open missing.pem: no such file or directory" &&
	fails_with 2 unseal byo.yaml 2> e4 && contains e4 "missing --key"'
t_expect "not a SealedSecret / malformed YAML" '
	fails_with 1 unseal --key "$SS/tls.key" "$SS/secret.yaml" 2> e && contains e "kind '"'"'Secret'"'"' is not a SealedSecret" &&
	printf "kind: SealedSecret\nspec: [\n" > bad.yaml && fails_with 1 unseal --key "$SS/tls.key" bad.yaml 2> e2 && grep -q "^error: bad.yaml:[0-9]*:[0-9]*:" e2'
t_expect "template.data is rendered as the controller renders it" '
	sed "s/^    type: Opaque/    type: Opaque\n    data:\n      url: \"{{ .username }}@host\"/" byo.yaml > tpl.yaml &&
	unseal --key "$SS/tls.key" -o json tpl.yaml > t.out 2> t.err && ! test -s t.err &&
	python3 -c "import json,base64,sys; d=json.load(open(\"t.out\"))[\"data\"]; sys.exit(0 if base64.b64decode(d[\"url\"]) == base64.b64decode(d[\"username\"]) + b\"@host\" else 1)"'
t_expect "validate: ok lines, exit 0; a failing file exits 1 and is named" '
	validate --key "$SS/tls.key" byo.yaml > v.out && contains v.out "byo.yaml: SealedSecret team-a/mysecret: ok" &&
	fails_with 1 validate --key "$SS/tls.key" byo.yaml up.json > v2.out 2> v2.err &&
	contains v2.err "unable to decrypt sealed secret: mysecret" && contains v2.out "byo.yaml: SealedSecret team-a/mysecret: ok" &&
	validate -q --key "$SS/tls.key,$UP/key.pem" byo.yaml up.json > v3.out && test ! -s v3.out'
t_expect "recovery-unseal refuses the deprecated spec.data; unseal --accept-v1-data opens it" '
	printf "kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: old, namespace: ns}\nspec:\n  data: %s\n" \
		"$(printf "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"old\"},\"stringData\":{\"k\":\"v1!\"}}" | seal --raw --cert "$SS/tls.crt" --namespace ns --name old)" > v1.yaml &&
	fails_with 1 seal --recovery-unseal --recovery-private-key "$SS/tls.key" -f v1.yaml 2> e &&
	contains e "using deprecated '"'"'data'"'"' field, use '"'"'encryptedData'"'"' or flip the feature flag" &&
	unseal --accept-v1-data --key "$SS/tls.key" -o yaml v1.yaml | grep -q "^  k: djEh$"'
t_done
