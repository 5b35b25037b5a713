#!/bin/sh
# What a new kubeseal user hit: -o wins over -w's extension, --merge-into on the wrong
# kind, Secrets over Kubernetes' 1 MiB limit, reseal's required flags, and gitseal
# linked as kubeseal.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
seal() { "$GITSEAL" seal "$@"; }

t_expect "seal -o json -w out.yaml writes JSON: an explicit -o wins over the extension" '
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" -o json -w out.yaml &&
	head -c1 out.yaml | grep -q "{" && contains out.yaml "\"kind\": \"SealedSecret\"" &&
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" -w out2.yaml && head -n1 out2.yaml | grep -qx -- ---'

t_expect "--merge-into a file that is not a SealedSecret names the file and its kind, changes nothing" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n" > cm.yaml && cp cm.yaml cm0.yaml &&
	fails_with 1 seal --cert "$SS/tls.crt" --merge-into cm.yaml -f "$SS/secret.yaml" 2> err &&
	contains err "cm.yaml" && contains err "ConfigMap" && contains err "not a SealedSecret" && cmp cm.yaml cm0.yaml'

t_expect "seal warns when a Secret is over the 1 MiB Kubernetes limit (and still seals it)" '
	head -c 1100000 /dev/urandom | base64 -w0 > big.b64 &&
	{ printf "apiVersion: v1\nkind: Secret\nmetadata: {name: big, namespace: ns}\ndata:\n  blob: "; cat big.b64; echo; } > big.yaml &&
	seal --cert "$SS/tls.crt" -f big.yaml > big.json 2> warn &&
	contains warn "warning:" && contains warn "Secret ns/big" && contains warn "1 MiB" &&
	contains big.json "\"blob\": \"Ag" &&
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > small.json 2> nowarn && test ! -s nowarn'

t_expect "reseal without --cert (or --key) names what is missing" '
	seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > b.json &&
	fails_with 2 "$GITSEAL" reseal --key "$SS/tls.key" b.json 2> e1 && contains e1 "--cert" && contains e1 "missing" &&
	fails_with 2 "$GITSEAL" reseal b.json 2> e2 && contains e2 "--key" && contains e2 "--cert" &&
	fails_with 2 "$GITSEAL" reseal --key "$SS/tls.key" --cert "$SS/tls.crt" 2> e3 && contains e3 "FILE"'

t_expect "linked as kubeseal: seals as gitseal seal, kubeseal --version then gitseal version" '
	ln -s "$GITSEAL" kubeseal &&
	./kubeseal --cert "$SS/tls.crt" < "$SS/secret.yaml" > k.json && contains k.json "\"kind\": \"SealedSecret\"" &&
	./kubeseal --version > v && head -n1 v | grep -qx "kubeseal version: [0-9][0-9.]*" && sed -n 2p v | grep -q "^gitseal version " &&
	./kubeseal --help > h && head -n1 h | grep -q "^usage: kubeseal " &&
	fails_with 1 ./kubeseal --cert "$SS/tls.crt" -o toml < "$SS/secret.yaml" 2> e && contains e "error: unsupported output format: toml"'

t_done
