#!/bin/sh
# gitseal seal as a drop-in for kubeseal: flags, env, output layout, multi-document
# input, --raw, and bad input (kubeseal's wording, exit 1, no partial output file).
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
seal() { "$GITSEAL" seal "$@"; }
unseal() { "$GITSEAL" unseal "$@"; }
# the values of a Secret's data as "key=value" lines, sorted (from gitseal unseal -o yaml)
values() { sed -n '/^data:/,/^[a-z]/p' "$1" | sed -n 's/^  \([^:]*\): *\(.*\)$/\1=\2/p' | sed "s/=\"\"$/=/; s/=''$/=/" | sort; }
printf 'binary=/wD+AAEC/w==\nempty=\npassword=czNjcjN0IMO8bsOvY8O2ZMOp\nusername=YWRtaW4=\n' > "$TMP/want"

t_expect "seals stdin to kubeseal's JSON (Go struct order) and it unseals to the same data" '
	seal --cert "$SS/tls.crt" < "$SS/secret.yaml" > out.json &&
	head -n 4 out.json > top && printf "{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \"metadata\": {\n" | cmp - top &&
	grep -q "^    \"template\": {" out.json && grep -q "^    \"encryptedData\": {" out.json &&
	test "$(grep -n template out.json | cut -d: -f1)" -lt "$(grep -n encryptedData out.json | cut -d: -f1)" &&
	! grep -q last-applied out.json && grep -q "\"keep\": \"me\"" out.json &&
	grep -q "\"username\": \"Ag[A-D]" out.json &&
	unseal --key "$SS/tls.key" -o yaml out.json > back.yaml && values back.yaml | cmp - want'
t_expect "-o yaml: sorted keys after ---, values one line" '
	seal --cert "$SS/tls.crt" -o yaml -f "$SS/secret.yaml" > out.yaml &&
	head -n 3 out.yaml | tr "\n" " " | grep -q "^--- apiVersion: bitnami.com/v1alpha1 kind: SealedSecret $" &&
	grep -q "^  encryptedData:" out.yaml && grep -q "^  template:" out.yaml &&
	test "$(grep -c "^    [a-z]*: Ag" out.yaml)" = 4'
t_expect "-w FILE.yaml writes YAML atomically; a failing run leaves the old file untouched" '
	mkdir w && cd w && seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" -w sealed.yaml && head -n1 sealed.yaml | grep -qx -- --- &&
	cp sealed.yaml ../keep && printf "kind: Secret\nmetadata: {name: x}\n" > ../empty.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f ../empty.yaml -w sealed.yaml 2> ../err &&
	cmp sealed.yaml ../keep && test "$(ls -A)" = sealed.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f ../empty.yaml -w new.json 2>/dev/null && test "$(ls -A)" = sealed.yaml'
t_expect "SEALED_SECRETS_CERT / _FORMAT / _SCOPE env vars; flags win" '
	SEALED_SECRETS_CERT="$SS/tls.crt" SEALED_SECRETS_FORMAT=yaml SEALED_SECRETS_SCOPE=cluster-wide seal < "$SS/secret.yaml" > e.yaml &&
	head -n1 e.yaml | grep -qx -- --- && grep -q "sealedsecrets.bitnami.com/cluster-wide: \"true\"" e.yaml &&
	SEALED_SECRETS_CERT="$SS/tls.crt" SEALED_SECRETS_FORMAT=yaml seal -o json < "$SS/secret.yaml" | head -c1 | grep -q "{"'
t_expect "scope: from the Secret annotations by default, --scope rewrites them" '
	sed "s/    keep: me/    keep: me\n    sealedsecrets.bitnami.com\/namespace-wide: \"true\"/" "$SS/secret.yaml" > nsw.yaml &&
	seal --cert "$SS/tls.crt" -o yaml -f nsw.yaml > a.yaml && grep -q "namespace-wide: \"true\"" a.yaml &&
	seal --cert "$SS/tls.crt" -o yaml -f nsw.yaml --scope cluster-wide > b.yaml &&
	grep -q "cluster-wide: \"true\"" b.yaml && ! grep -q "namespace-wide" b.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" --scope galaxy-wide -f nsw.yaml 2> err && contains err "error: invalid --scope"'
t_expect "multi-document YAML and concatenated JSON: every Secret sealed, empty documents skipped" '
	{ echo "---"; cat "$SS/secret.yaml"; echo "---"; echo "---"; sed "s/name: mysecret/name: second/" "$SS/secret.yaml"; } > multi.yaml &&
	seal --cert "$SS/tls.crt" -o yaml -f multi.yaml > m.yaml && test "$(grep -c "^kind: SealedSecret" m.yaml)" = 2 &&
	unseal --key "$SS/tls.key" m.yaml > m.out && grep -q "name: second" m.out &&
	printf "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},\"stringData\":{\"k\":\"v\"}}\n{\"kind\":\"Secret\",\"metadata\":{\"name\":\"b\",\"namespace\":\"n\"},\"data\":{\"k\":\"dg==\"}}" > multi.json &&
	seal --cert "$SS/tls.crt" -f multi.json > mj.json && test "$(grep -c "\"kind\": \"SealedSecret\"" mj.json)" = 2 &&
	unseal --key "$SS/tls.key" -o json mj.json | grep -c "\"k\": \"dg==\"" | grep -qx 2'
t_expect "--raw: one value for --name/--namespace, base64 without newline, opens in a SealedSecret" '
	printf "raw value\n" | seal --raw --cert "$SS/tls.crt" --namespace n1 --name s1 > raw &&
	test "$(tail -c1 raw | od -An -c | tr -d " ")" != "\\n" &&
	printf "kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: s1, namespace: n1}\nspec:\n  encryptedData:\n    v: %s\n" "$(cat raw)" > r.yaml &&
	unseal --key "$SS/tls.key" -o yaml r.yaml | grep -q "v: cmF3IHZhbHVlCg==" &&
	printf "file value" > val && seal --raw --cert "$SS/tls.crt" --scope cluster-wide --from-file k=val > raw2 &&
	printf "kind: SealedSecret\nmetadata: {name: any, annotations: {sealedsecrets.bitnami.com/cluster-wide: \"true\"}}\nspec:\n  encryptedData:\n    v: %s\n" "$(cat raw2)" > r2.yaml &&
	unseal --key "$SS/tls.key" -o yaml r2.yaml | grep -q "v: ZmlsZSB2YWx1ZQ=="'
t_expect "--raw errors use kubeseal's wording" '
	fails_with 1 seal --raw --cert "$SS/tls.crt" --name x < /dev/null 2> e1 &&
	contains e1 "error: must provide the --namespace flag with --raw and --scope strict" &&
	fails_with 1 seal --raw --cert "$SS/tls.crt" --namespace x < /dev/null 2> e2 &&
	contains e2 "error: must provide the --name flag with --raw and --scope strict" &&
	fails_with 1 seal --cert "$SS/tls.crt" --from-file x < "$SS/secret.yaml" 2> e3 && contains e3 "error: --from-file requires --raw"'
t_expect "--name overrides, -n must match the Secret's namespace, default namespace is default" '
	seal --cert "$SS/tls.crt" --name other -o yaml -f "$SS/secret.yaml" | grep -q "^  name: other" &&
	fails_with 1 seal --cert "$SS/tls.crt" -n elsewhere -f "$SS/secret.yaml" 2> err &&
	contains err "secret.yaml: namespace mismatch: input secret is in namespace \"team-a\" but \"elsewhere\" was specified" &&
	printf "kind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n" | seal --cert "$SS/tls.crt" -o yaml | grep -q "^  namespace: default"'
t_expect "bad input names the document and field, exit 1, nothing on stdout" '
	printf "kind: Secret\nmetadata: {namespace: x}\nstringData: {k: v}\n" > noname.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f noname.yaml > out 2> err && test ! -s out &&
	contains err "error: noname.yaml: missing metadata.name in input Secret" &&
	printf "kind: Secret\nmetadata: {name: a}\n" > empty.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f empty.yaml 2> err &&
	contains err "error: empty.yaml: secret.data is empty in input Secret, assuming this is an error and aborting. To work with empty data, --allow-empty-data can be used" &&
	seal --cert "$SS/tls.crt" --allow-empty-data -f empty.yaml > /dev/null &&
	{ cat "$SS/secret.yaml"; printf -- "---\nkind: Secret\nmetadata: {name: b}\ndata: {pw: not*base64}\n"; } > bad64.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f bad64.yaml > out 2> err && test ! -s out &&
	contains err "error: bad64.yaml: document 2: data.pw: illegal base64 data at input byte 3" && ! grep -q "not\*base64" err &&
	printf "kind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n" > cm.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f cm.yaml 2> err && contains err "error: cm.yaml: kind '"'"'ConfigMap'"'"' is not a Secret" &&
	printf "kind: Secret\nmetadata: {name: a\n  bad: [\n" > broken.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" -f broken.yaml 2> err && grep -q "^error: broken.yaml:[0-9]*:[0-9]*: " err &&
	: > nothing.yaml && fails_with 1 seal --cert "$SS/tls.crt" -f nothing.yaml 2> err &&
	contains err "error: no secrets found. Ensure the input is valid and UTF-8 encoded"'
t_expect "certificates: not RSA, not PEM, missing file, expired (and --allow-expired-cert)" '
	fails_with 1 seal --cert "$SS/ec-cert.pem" -f "$SS/secret.yaml" 2> err && contains err "expected RSA public key but found ECDSA key" &&
	fails_with 1 seal --cert "$SS/secret.yaml" -f "$SS/secret.yaml" 2> err && contains err "data does not contain any valid RSA or ECDSA certificates" &&
	fails_with 1 seal --cert nope.pem -f "$SS/secret.yaml" 2> err && contains err "error: open nope.pem: no such file or directory" &&
	"$GITSEAL" keys new --bits 2048 --ttl 1s --key-out old.key --cert-out old.crt 2>/dev/null && sleep 2 &&
	fails_with 1 seal --cert old.crt -f "$SS/secret.yaml" 2> err && grep -q "^error: failed to encrypt using an expired certificate on [A-Z][a-z]* [0-9]*, 20[0-9][0-9]$" err &&
	seal --cert old.crt --allow-expired-cert -f "$SS/secret.yaml" | unseal --key old.key -o yaml > x.yaml && values x.yaml | cmp - want'
t_expect "without a cluster: clear errors for the cluster paths; --fetch-cert copies --cert" '
	export HOME=$TMP/nohome KUBECONFIG= && unset KUBERNETES_SERVICE_HOST &&
	fails_with 1 seal -f "$SS/secret.yaml" 2> err && contains err "error: cannot fetch certificate: cannot connect to the cluster: no Kubernetes configuration" &&
	fails_with 1 seal --validate -f "$SS/sealedsecret.yaml" 2> err && contains err "error: cannot validate sealed secret: cannot connect to the cluster" &&
	fails_with 1 seal --re-encrypt -f "$SS/sealedsecret.yaml" 2> err && contains err "error: cannot re-encrypt secret: cannot connect to the cluster" &&
	seal --fetch-cert --cert "$SS/tls.crt" | cmp - "$SS/tls.crt" &&
	seal --cert "file://$SS/tls.crt" -f "$SS/secret.yaml" > /dev/null'
if command -v python3 >/dev/null 2>&1; then
t_expect "--cert http://... fetches the certificate" '
	mkdir www && cp "$SS/tls.crt" www/cert.pem &&
	python3 -m http.server 0 --bind 127.0.0.1 --directory www > http.log 2>&1 & pid=$!;
	for i in 1 2 3 4 5 6 7 8 9 10; do port=$(sed -n "s/.*port \([0-9]*\).*/\1/p" http.log); [ -n "$port" ] && break; sleep 0.3; done;
	seal --cert "http://127.0.0.1:$port/cert.pem" -f "$SS/secret.yaml" > h.json; rc=$?;
	seal --cert "http://127.0.0.1:$port/missing.pem" -f "$SS/secret.yaml" 2> err; rc2=$?;
	kill $pid; wait $pid 2>/dev/null;
	test $rc = 0 && grep -q SealedSecret h.json && test $rc2 = 1 && contains err "404"'
else
t_skip "--cert http://... fetches the certificate" "python3 missing"
fi
t_expect "usage: unknown flag exits 2, --help and --version" '
	fails_with 2 seal --bogus 2> err && contains err "usage: gitseal seal" &&
	seal --help | grep -q -- "--merge-into" &&
	seal --version | grep -q "^kubeseal version: "'
t_done
