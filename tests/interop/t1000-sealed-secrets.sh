#!/bin/sh
# Sealed Secrets interop, both directions, for all three scopes:
#  - what gitseal seals opens with an independent unsealer (openssl pkeyutl for
#    RSA-OAEP + node:crypto for AES-GCM: tests/peers/ss-unseal-openssl.mjs);
#  - what npm @linode/kubeseal-encrypt 1.0.1 seals opens with gitseal unseal
#    (tests/peers/kubeseal-encrypt-js.mjs; its public API for namespace-wide, its
#    own hybrid encryptor for the other scopes);
#  - the committed fixtures (tests/fixtures/sealed) open;
#  - a renamed/moved SealedSecret fails exactly where its scope says.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
PEER=$TOP/tests/peers/kubeseal-encrypt-js.mjs
OPEN=$TOP/tests/peers/ss-unseal-openssl.mjs
seal() { "$GITSEAL" seal "$@"; }
unseal() { "$GITSEAL" unseal "$@"; }
values() { sed -n '/^data:/,/^[a-z]/p' "$1" | sed -n 's/^  \([^:]*\): *\(.*\)$/\1=\2/p' | sed "s/=\"\"$/=/; s/=''$/=/" | sort; }
printf 'binary=/wD+AAEC/w==\nempty=\npassword=czNjcjN0IMO8bsOvY8O2ZMOp\nusername=YWRtaW4=\n' > "$TMP/want"

have_node=1
command -v node >/dev/null 2>&1 || have_node=
have_openssl=1
command -v openssl >/dev/null 2>&1 || have_openssl=

for scope in strict namespace-wide cluster-wide; do
	if [ -n "$have_node" ] && [ -n "$have_openssl" ] && have_peer yaml; then
		t_expect "gitseal seal ($scope) opens with openssl pkeyutl + node:crypto" '
			seal --cert "$SS/tls.crt" --scope '"$scope"' -f "$SS/secret.yaml" > s.json &&
			node "$OPEN" "$SS/tls.key" < s.json > got && cmp got want &&
			seal --cert "$SS/tls.crt" --scope '"$scope"' -o yaml -f "$SS/secret.yaml" | node "$OPEN" "$SS/tls.key" | cmp - want'
	else
		t_peer_missing "gitseal seal ($scope) opens with openssl pkeyutl + node:crypto" "node/openssl/yaml"
	fi
	if [ -n "$have_node" ] && have_peer @linode/kubeseal-encrypt && have_peer yaml; then
		t_expect "@linode/kubeseal-encrypt seals ($scope), gitseal unseal opens it" '
			node "$PEER" --cert "$SS/tls.crt" --scope '"$scope"' < "$SS/secret.yaml" > p.yaml &&
			grep -q "^kind: SealedSecret" p.yaml &&
			unseal --key "$SS/tls.key" -o yaml p.yaml > u.yaml && values u.yaml | cmp - want &&
			node "$PEER" --cert "$SS/tls.crt" --scope '"$scope"' -o json < "$SS/secret.yaml" > p.json &&
			"$GITSEAL" validate -q --key "$SS/tls.key" p.json'
	else
		t_peer_missing "@linode/kubeseal-encrypt seals ($scope), gitseal unseal opens it" "@linode/kubeseal-encrypt"
	fi
done

if [ -n "$have_node" ] && have_peer @linode/kubeseal-encrypt && have_peer yaml; then
	t_expect "the package's public API (namespace-wide, UTF-8) and its --raw output open too" '
		printf "kind: Secret\nmetadata: {name: api, namespace: apps}\nstringData: {token: h3llo-wörld}\n" > api.yaml &&
		node "$PEER" --engine api --cert "$SS/tls.crt" --scope namespace-wide < api.yaml > a.yaml &&
		unseal --key "$SS/tls.key" -o yaml a.yaml | grep -q "^  token: aDNsbG8td8O2cmxk$" &&
		printf "raw-bytes" | node "$PEER" --raw --cert "$SS/tls.crt" --namespace apps --name api > raw &&
		printf "kind: SealedSecret\nmetadata: {name: api, namespace: apps}\nspec:\n  encryptedData:\n    r: %s\n" "$(cat raw)" > r.yaml &&
		unseal --key "$SS/tls.key" -o yaml r.yaml | grep -q "^  r: cmF3LWJ5dGVz$"'
	t_expect "gitseal seal --raw output opens with the openssl unsealer" '
		printf "raw value" | seal --raw --cert "$SS/tls.crt" --namespace n --name x > raw2 &&
		printf "kind: SealedSecret\nmetadata: {name: x, namespace: n}\nspec:\n  encryptedData:\n    r: %s\n" "$(cat raw2)" |
			node "$OPEN" "$SS/tls.key" | grep -qx "r=cmF3IHZhbHVl"'
else
	t_peer_missing "the package's public API (namespace-wide, UTF-8) and its --raw output open too" "@linode/kubeseal-encrypt"
	t_peer_missing "gitseal seal --raw output opens with the openssl unsealer" "node"
fi

t_expect "the committed fixtures open (peer-sealed strict; namespace-wide; cluster-wide)" '
	for f in sealedsecret sealedsecret-namespace-wide sealedsecret-cluster-wide; do
		unseal --key "$SS/tls.key" -o yaml "$SS/$f.yaml" > $f.out && values $f.out | cmp - want || exit 1;
	done && values "$SS/unsealed.yaml" | cmp - want'

if [ -n "$have_openssl" ]; then
	t_expect "one item opens with plain openssl pkeyutl (the session key is 32 bytes)" '
		seal --cert "$SS/tls.crt" -o yaml -f "$SS/secret.yaml" > o.yaml &&
		sed -n "s/^    username: //p" o.yaml | base64 -d > blob &&
		test "$(od -An -tu1 -N2 blob | tr -s " ")" = " 2 0" &&
		dd if=blob of=rsa bs=1 skip=2 count=512 2>/dev/null &&
		openssl pkeyutl -decrypt -inkey "$SS/tls.key" -in rsa -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
			-pkeyopt rsa_mgf1_md:sha256 -pkeyopt rsa_oaep_label:$(printf team-a/mysecret | od -An -tx1 | tr -d " \n") > sk &&
		test "$(wc -c < sk)" = 32 &&
		test "$(wc -c < blob)" = $((2 + 512 + 5 + 16))'
else
	t_peer_missing "one item opens with plain openssl pkeyutl" "openssl"
fi

# rename = metadata.name, move = metadata.namespace, of the SealedSecret itself
for case in "strict 1 1" "namespace-wide 0 1" "cluster-wide 0 0"; do
	set -- $case
	t_expect "scope $1: rename $( [ $2 = 1 ] && echo fails || echo opens), move $( [ $3 = 1 ] && echo fails || echo opens)" '
		seal --cert "$SS/tls.crt" --scope '"$1"' -o yaml -f "$SS/secret.yaml" > sc.yaml &&
		unseal --key "$SS/tls.key" sc.yaml > /dev/null &&
		sed "0,/^  name: mysecret/s//  name: renamed/" sc.yaml > ren.yaml && ! cmp -s ren.yaml sc.yaml &&
		sed "0,/^  namespace: team-a/s//  namespace: team-b/" sc.yaml > mov.yaml && ! cmp -s mov.yaml sc.yaml &&
		unseal --key "$SS/tls.key" ren.yaml > /dev/null 2> ren.err; r=$?;
		unseal --key "$SS/tls.key" mov.yaml > /dev/null 2> mov.err; m=$?;
		test $r = '"$2"' && test $m = '"$3"' &&
		{ [ '"$2"' = 0 ] || contains ren.err "no key could decrypt secret (binary)"; }'
done
t_done
