#!/bin/sh
# template.data offline: gitseal unseal and seal --recovery-unseal render it as the
# controller does; a template that does not render fails naming the file, the
# SealedSecret and the template key, exit 1, and writes nothing.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
"$GITSEAL" seal --cert "$SS/tls.crt" -o yaml -f "$SS/secret.yaml" > "$TMP/byo.yaml"
tpl() { # tpl OUT TEMPLATE: byo.yaml with spec.template.data.url = TEMPLATE
	sed "s/^    type: Opaque/    type: Opaque\n    data:\n      url: \"$2\"/" byo.yaml > "$1"
}
url_is_username_at_host() {
	python3 -c "import json,base64,sys; d=json.load(open(sys.argv[1]))[\"data\"]; sys.exit(0 if base64.b64decode(d[\"url\"]) == base64.b64decode(d[\"username\"]) + b\"@host\" else 1)" "$1"
}

t_expect "seal --recovery-unseal renders template.data like unseal" '
	tpl ok.yaml "{{ .username }}@host" &&
	"$GITSEAL" seal --recovery-unseal --recovery-private-key "$SS/tls.key" < ok.yaml > r.json 2> r.err && ! test -s r.err &&
	url_is_username_at_host r.json &&
	"$GITSEAL" unseal --key "$SS/tls.key" -o json ok.yaml > u.json && url_is_username_at_host u.json'
t_expect "an unknown template function: the file, SealedSecret and key named, exit 1, no output" '
	tpl bad.yaml "{{ .username | bogus }}" &&
	fails_with 1 "$GITSEAL" unseal --key "$SS/tls.key" bad.yaml -w out.yaml 2> e1 && test ! -e out.yaml &&
	contains e1 "error: bad.yaml: SealedSecret team-a/mysecret: template.data url:1: unsupported template function \"bogus\"" &&
	fails_with 1 "$GITSEAL" seal --recovery-unseal --recovery-private-key "$SS/tls.key" -f bad.yaml -w out2.json 2> e2 &&
	test ! -e out2.json && contains e2 "error: bad.yaml: SealedSecret team-a/mysecret: template.data url:1:"'
t_expect "an unclosed action from stdin is named too, and the values never show" '
	tpl open.yaml "{{ .password " &&
	fails_with 1 "$GITSEAL" seal --recovery-unseal --recovery-private-key "$SS/tls.key" < open.yaml > o.json 2> e &&
	! test -s o.json && contains e "error: stdin: SealedSecret team-a/mysecret: template.data url:1: unclosed action" &&
	! grep -q "s3cr3t" e'
t_done
