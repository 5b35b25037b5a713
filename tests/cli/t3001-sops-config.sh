#!/bin/sh
# .sops.yaml: discovery from the current directory up, creation_rules (path_regex, age as a
# string or a list, rules, key_groups), --config / SOPS_CONFIG, updatekeys, edit.
. "$(dirname "$0")/../lib.sh"
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG
export SOPS_AGE_KEY_FILE="$TMP/k1.txt"

t_expect "setup: keys, a repo with .sops.yaml at the top" '
	age-keygen -o k1.txt 2>/dev/null && age-keygen -o k2.txt 2>/dev/null && age-keygen -o k3.txt 2>/dev/null &&
	R1=$(age-keygen -y k1.txt) && R2=$(age-keygen -y k2.txt) && R3=$(age-keygen -y k3.txt) &&
	mkdir -p repo/apps/prod repo/apps/dev repo/other &&
	cat > repo/.sops.yaml <<-EOF &&
	# comment
	creation_rules:
	  - path_regex: apps/prod/.*\.yaml\$
	    encrypted_regex: ^(data|stringData)\$
	    age:
	      - $R1
	      - $R2
	  - path_regex: apps/dev/
	    unencrypted_suffix: _clear
	    age: "$R3, $R1"
	    mac_only_encrypted: true
	  - path_regex: \.env\$
	    age: $R1
	EOF
	printf "kind: Secret\nmetadata:\n  name: x\nstringData:\n  pw: s3cret\n  id_clear: 7\n" > secret.yaml &&
	cp secret.yaml repo/apps/prod/s.yaml && cp secret.yaml repo/apps/dev/s.yaml && cp secret.yaml repo/other/s.yaml'

t_expect "the first matching rule applies (path relative to the config directory), found from a subdirectory" '
	cd repo/apps/prod && "$GITSEAL" sops -e s.yaml > ../../../prod.enc.yaml && cd ../../.. &&
	contains prod.enc.yaml "encrypted_regex: ^(data|stringData)\$" && contains prod.enc.yaml "name: x" &&
	[ "$(grep -c "recipient: age1" prod.enc.yaml)" = 2 ] &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d prod.enc.yaml | grep -q "pw: s3cret"'

t_expect "age as a comma-separated string; suffix rule; mac_only_encrypted from the rule" '
	cd repo && "$GITSEAL" sops -e apps/dev/s.yaml > ../dev.enc.yaml && cd .. &&
	contains dev.enc.yaml "id_clear: 7" && contains dev.enc.yaml "unencrypted_suffix: _clear" &&
	contains dev.enc.yaml "mac_only_encrypted: true" && [ "$(grep -c "recipient: age1" dev.enc.yaml)" = 2 ] &&
	SOPS_AGE_KEY_FILE=k3.txt "$GITSEAL" sops -d dev.enc.yaml | grep -q "pw: s3cret"'

t_expect "no matching rule: sops message, exit 1, nothing written" '
	cd repo && cp other/s.yaml other/keep.yaml && fails_with 1 "$GITSEAL" sops -e -i other/s.yaml 2>../err; cd .. &&
	contains err "error loading config: no matching creation rules found" && cmp repo/other/s.yaml repo/other/keep.yaml'

t_expect "no matching rule fails even with --age (as sops), a CLI rule beats the config rule" '
	cd repo && fails_with 1 "$GITSEAL" sops -e --age "$(age-keygen -y ../k1.txt)" other/s.yaml 2>/dev/null &&
	"$GITSEAL" sops -e --unencrypted-regex "^kind\$" apps/prod/s.yaml > ../cli.enc.yaml && cd .. &&
	contains cli.enc.yaml "unencrypted_regex: ^kind\$" && contains cli.enc.yaml "kind: Secret" &&
	! grep -q "name: x" cli.enc.yaml'

t_expect "--filename-override picks the rule and the format for stdin" '
	cd repo && "$GITSEAL" sops -e --filename-override apps/prod/x.yaml - < ../secret.yaml > ../fo.yaml && cd .. &&
	contains fo.yaml "encrypted_regex: ^(data|stringData)\$"'

t_expect "--config and SOPS_CONFIG point at another file" '
	printf "creation_rules:\n  - age: %s\n    encrypted_suffix: pw\n" "$(age-keygen -y k2.txt)" > alt.yaml &&
	"$GITSEAL" sops -e --config alt.yaml secret.yaml > c1.yaml && contains c1.yaml "encrypted_suffix: pw" &&
	SOPS_CONFIG=alt.yaml "$GITSEAL" sops -e secret.yaml > c2.yaml && contains c2.yaml "encrypted_suffix: pw" &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d c2.yaml | grep -q "pw: s3cret"'

t_expect "a bad config is refused with its name" '
	printf "creation_rules:\n  - path_regex: (\n    age: x\n" > bad.yaml && fails_with 1 "$GITSEAL" sops -e --config bad.yaml secret.yaml 2>err &&
	contains err "path_regex" &&
	printf "creation_rules:\n  - encrypted_regex: a\n    unencrypted_regex: b\n    age: x\n" > bad2.yaml &&
	fails_with 8 "$GITSEAL" sops -e --config bad2.yaml secret.yaml 2>err && contains err "more than one" &&
	printf "creation_rules:\n  - pgp: ABCD\n" > bad3.yaml && ! "$GITSEAL" sops -e --config bad3.yaml secret.yaml 2>err &&
	contains err "pgp"'

t_expect "gitseal encrypt: a matching rule wins over the Kubernetes default" '
	cd repo && "$GITSEAL" encrypt apps/dev/s.yaml > ../ge.yaml && cd .. && contains ge.yaml "unencrypted_suffix: _clear" &&
	printf "creation_rules:\n  - age: %s\n" "$(age-keygen -y k1.txt)" > plain.yaml &&
	"$GITSEAL" encrypt --config plain.yaml secret.yaml > ge2.yaml && contains ge2.yaml "encrypted_regex: ^(data|stringData)\$"'

t_expect "updatekeys: re-wraps the same data key for the rule keys; values and MAC unchanged" '
	cp prod.enc.yaml repo/apps/prod/u.yaml && cd repo &&
	sed -i "s|      - $(age-keygen -y ../k2.txt)|      - $(age-keygen -y ../k3.txt)|" .sops.yaml &&
	"$GITSEAL" sops updatekeys -y apps/prod/u.yaml 2>../uk.err && cd .. &&
	contains uk.err "+++ $(age-keygen -y k3.txt)" && contains uk.err "synced with new keys" &&
	grep "pw: ENC" prod.enc.yaml > v1 && grep "pw: ENC" repo/apps/prod/u.yaml > v2 && cmp v1 v2 &&
	grep "mac: ENC" prod.enc.yaml > m1 && grep "mac: ENC" repo/apps/prod/u.yaml > m2 && cmp m1 m2 &&
	SOPS_AGE_KEY_FILE=k3.txt "$GITSEAL" sops -d repo/apps/prod/u.yaml | grep -q "pw: s3cret" &&
	fails_with 128 env SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d repo/apps/prod/u.yaml 2>/dev/null &&
	cd repo && "$GITSEAL" sops updatekeys -y apps/prod/u.yaml 2>../uk2.err; cd .. && contains uk2.err "already up to date"'

t_expect "updatekeys without -y asks, and a no leaves the file" '
	cd repo && sed -i "s|      - $(age-keygen -y ../k3.txt)|      - $(age-keygen -y ../k2.txt)|" .sops.yaml &&
	cp apps/prod/u.yaml ../u.before && echo n | setsid -w "$GITSEAL" sops updatekeys apps/prod/u.yaml 2>../uk3.err; rc=$?; cd .. &&
	[ $rc -ne 0 ] && contains uk3.err "Is this okay?" && cmp u.before repo/apps/prod/u.yaml'
t_expect "encrypted_comment_regex (sops 3.9): only what a matching comment precedes is encrypted, as sops walks comments" '
	mkdir -p cr && printf "creation_rules:\n  - encrypted_comment_regex: sops:enc\n    age: %s\n" "$(age-keygen -y k1.txt)" > cr/.sops.yaml &&
	printf "# top\nplain: visible\n# sops:enc\nsecret: hidden\nother: shown # a note\ntoken: t0p # sops:enc\nnested:\n  # sops:enc\n  inner: deep\n  open: here\nlist:\n  - a\n  # sops:enc\n  - b\n" > cr/s.yaml &&
	(cd cr && "$GITSEAL" sops -e s.yaml > s.enc.yaml) &&
	grep -q "^plain: visible$" cr/s.enc.yaml && grep -q "^secret: ENC\[" cr/s.enc.yaml && grep -q "^other: shown # a note$" cr/s.enc.yaml &&
	grep -q "^token: ENC\[.*\] # sops:enc$" cr/s.enc.yaml && grep -q "^  inner: ENC\[" cr/s.enc.yaml &&
	grep -q "^  open: here$" cr/s.enc.yaml && grep -q "^  - a$" cr/s.enc.yaml && grep -q "^  - ENC\[" cr/s.enc.yaml &&
	grep -q "^# sops:enc$" cr/s.enc.yaml && grep -q "^  encrypted_comment_regex: sops:enc$" cr/s.enc.yaml &&
	"$GITSEAL" sops -d cr/s.enc.yaml | cmp - cr/s.yaml'
t_expect "unencrypted_comment_regex (flag): the marker and what follows stay plain, other comments are encrypted" '
	sed "s/sops:enc/sops:plain/" cr/s.yaml > cr/u.yaml &&
	"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" --unencrypted-comment-regex "sops:plain" cr/u.yaml > cr/u.enc.yaml &&
	grep -q "^#ENC\[.*type:comment\]$" cr/u.enc.yaml && grep -q "^plain: ENC\[" cr/u.enc.yaml &&
	grep -q "^# sops:plain$" cr/u.enc.yaml && grep -q "^secret: hidden$" cr/u.enc.yaml && grep -q "^token: t0p # sops:plain$" cr/u.enc.yaml &&
	grep -q "^  inner: deep$" cr/u.enc.yaml && grep -q "^  open: ENC\[" cr/u.enc.yaml && grep -q "^  - b$" cr/u.enc.yaml &&
	"$GITSEAL" sops -d cr/u.enc.yaml | cmp - cr/u.yaml'
t_expect "comment rules survive set, unset and rotate; a change that would drop the comments is refused, the file untouched" '
	cp cr/s.enc.yaml cr/r.yaml && "$GITSEAL" sops set cr/r.yaml "[\"secret\"]" "\"s2\"" && grep -q "^secret: ENC\[" cr/r.yaml &&
	"$GITSEAL" sops set cr/r.yaml "[\"plain\"]" "\"p2\"" && grep -q "^plain: p2$" cr/r.yaml &&
	"$GITSEAL" sops unset cr/r.yaml "[\"nested\"][\"inner\"]" && grep -q "^  # sops:enc$" cr/r.yaml && grep -q "^  open: ENC\[" cr/r.yaml &&
	"$GITSEAL" sops rotate -i cr/r.yaml && grep -q "^secret: ENC\[" cr/r.yaml && grep -q "^plain: p2$" cr/r.yaml &&
	"$GITSEAL" sops -d --extract "[\"secret\"]" cr/r.yaml | grep -qx s2 &&
	cp cr/r.yaml cr/r.before && fails_with 1 "$GITSEAL" sops set cr/r.yaml "[\"list\"][2]" "\"c\"" 2> err &&
	contains err "keeping the file" && cmp cr/r.yaml cr/r.before'
t_expect "comment rules on a dotenv file: a clear refusal (exit 23, as a tree sops cannot encrypt)" '
	printf "# sops:enc\nA=1\n" > cr/a.env &&
	fails_with 23 "$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" --encrypted-comment-regex sops:enc cr/a.env 2> err &&
	contains err "encrypted_comment_regex is not supported by gitseal for dotenv and ini files"'
t_done
