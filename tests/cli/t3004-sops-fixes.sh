#!/bin/sh
# What a new sops user hit: SOPS_AGE_KEY holding a whole keys file, .sops.yaml regex errors,
# sops set with invalid JSON, no file on a terminal, sops edit of a new file, a verb's own
# --help, sops version, gitseal encrypt of a non-Secret, and gitseal linked as sops.
. "$(dirname "$0")/../lib.sh"
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG

t_expect "setup: a key, a Secret encrypted for it" '
	"$GITSEAL" age-keygen -o k.txt 2>/dev/null && R=$(age-keygen -y k.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData:\n  password: s3cret\n" > s.yaml &&
	"$GITSEAL" encrypt --age "$R" s.yaml > s.enc.yaml && contains s.enc.yaml "password: ENC["'

t_expect "SOPS_AGE_KEY holding a whole keys file (comments, public key line, CRLF, trailing blanks) works as SOPS_AGE_KEY_FILE" '
	SOPS_AGE_KEY_FILE=k.txt "$GITSEAL" sops -d s.enc.yaml > want.yaml &&
	SOPS_AGE_KEY="$(cat k.txt)" "$GITSEAL" sops -d s.enc.yaml > got1.yaml && cmp want.yaml got1.yaml &&
	crlf=$(sed "s/\$/ \r/" k.txt; printf "\n\n  \n") &&
	SOPS_AGE_KEY="$crlf" "$GITSEAL" sops -d s.enc.yaml > got2.yaml && cmp want.yaml got2.yaml &&
	other=$("$GITSEAL" age-keygen 2>/dev/null | grep "^AGE-SECRET") &&
	SOPS_AGE_KEY="$other $(grep ^AGE-SECRET k.txt)" "$GITSEAL" sops -d s.enc.yaml > got3.yaml && cmp want.yaml got3.yaml'

t_expect "the same loader serves gitseal build (the decrypt stage): SOPS_AGE_KEY as a whole keys file" '
	mkdir -p app && cp s.enc.yaml app/secret.yaml &&
	SOPS_AGE_KEY="$(cat k.txt)" "$GITSEAL" build --show-secrets app > built.yaml && contains built.yaml "s3cret"'

t_expect ".sops.yaml regex errors quote the pattern and name .sops.yaml and the rule" '
	mkdir -p re && cd re && R=$(age-keygen -y ../k.txt) &&
	printf "creation_rules:\n  - path_regex: \"(unclosed\"\n    age: %s\n" "$R" > .sops.yaml && cp ../s.yaml x.yaml &&
	fails_with 1 "$GITSEAL" sops -e x.yaml 2> e1 && contains e1 ".sops.yaml" && contains e1 "creation_rules[0]" &&
	contains e1 "'"'"'(unclosed'"'"'" &&
	printf "creation_rules:\n  - path_regex: ^nomatch\$\n  - encrypted_regex: \"[a-\"\n    age: %s\n" "$R" > .sops.yaml &&
	fails_with 1 "$GITSEAL" sops -e x.yaml 2> e2 && contains e2 ".sops.yaml:3" && contains e2 "creation_rules[1]" &&
	contains e2 "encrypted_regex" && contains e2 "'"'"'[a-'"'"'"'

t_expect "sops set with invalid JSON gives the parser's reason (exit 7), the file untouched" '
	cp s.enc.yaml set.yaml &&
	fails_with 7 env SOPS_AGE_KEY_FILE=k.txt "$GITSEAL" sops set set.yaml "[\"stringData\"][\"x\"]" "{bad" 2> e &&
	contains e "Value for --set is not valid JSON: " && test "$(wc -c < e)" -gt 40 && cmp set.yaml s.enc.yaml'

t_expect "sops -d with no file on a terminal: no file specified (exit 100), as sops" '
	command -v script >/dev/null || { echo "script(1) missing (util-linux)"; exit 1; }
	script -qec "\"$GITSEAL\" sops -d" /dev/null > out 2>&1; rc=$?; test $rc = 100 && contains out "no file specified" &&
	script -qec "\"$GITSEAL\" decrypt" /dev/null > out2 2>&1; test $? = 100 && contains out2 "no file specified" &&
	SOPS_AGE_KEY_FILE=k.txt "$GITSEAL" sops -d < s.enc.yaml | grep -q "password: s3cret"'

t_expect "sops edit of a new file starts from sops' example (YAML and JSON)" '
	printf "cp \"\$1\" \"\$(dirname \"\$1\")/../seen\" 2>/dev/null; cp \"\$1\" \"$TMP/seen\"; printf \"k: v\\\\n\" > \"\$1\"\n" > ed.sh &&
	R=$(age-keygen -y k.txt) && SOPS_EDITOR="sh $TMP/ed.sh" SOPS_AGE_RECIPIENTS=$R "$GITSEAL" sops edit new.yaml &&
	contains seen "hello: Welcome to SOPS! Edit this file as you please!" && contains seen "# Example comment" &&
	contains seen "example_booleans:" && contains new.yaml "k: ENC[" &&
	printf "cp \"\$1\" \"$TMP/seen.json\"; printf \"{\\\\\"k\\\\\": 1}\\\\n\" > \"\$1\"\n" > edj.sh &&
	SOPS_EDITOR="sh $TMP/edj.sh" SOPS_AGE_RECIPIENTS=$R "$GITSEAL" sops edit new.json &&
	contains seen.json "\"example_number\": 1234.56789" && contains new.json "\"k\": \"ENC["'

t_expect "a verb's own --help: sops set, encrypt, decrypt (not the generic sops help)" '
	"$GITSEAL" sops set --help > h1 && contains h1 "usage: gitseal sops set" && contains h1 "--value-stdin" && ! grep -q -- "--rm-age" h1 &&
	"$GITSEAL" encrypt --help > h2 && contains h2 "usage: gitseal encrypt" && contains h2 "data and stringData" && ! grep -q -- "--extract" h2 &&
	"$GITSEAL" decrypt --help > h3 && contains h3 "usage: gitseal decrypt" && contains h3 "--extract" && ! grep -q -- "--age R" h3 &&
	"$GITSEAL" sops --help > h4 && contains h4 "usage: gitseal sops" && contains h4 "updatekeys"'

t_expect "gitseal sops version / --version print sops' version line then gitseal's (not taken for a file)" '
	"$GITSEAL" sops version > v1 && head -n1 v1 | grep -qx "sops [0-9]*\.[0-9]*\.[0-9]*" && sed -n 2p v1 | grep -q "^gitseal version " &&
	"$GITSEAL" sops --version > v2 && cmp v1 v2 && test ! -e version'

t_expect "gitseal encrypt of a non-Secret says what it did" '
	R=$(age-keygen -y k.txt) &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b, c: d}\n" > cm.yaml &&
	"$GITSEAL" encrypt --age "$R" cm.yaml > cm.enc 2> n1 && contains n1 "ConfigMap cm is not a Secret" && contains n1 "2 values" &&
	printf "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n" > d.yaml &&
	"$GITSEAL" encrypt --age "$R" d.yaml > d.enc 2> n2 && contains n2 "Deployment web is not a Secret" && contains n2 "nothing in it is encrypted" &&
	"$GITSEAL" encrypt --age "$R" s.yaml > s2.enc 2> n3 && test ! -s n3'

t_expect "linked as sops: the sops command (version line, decrypt)" '
	ln -s "$GITSEAL" sops && ./sops --version | head -n1 | grep -q "^sops " &&
	SOPS_AGE_KEY_FILE=k.txt ./sops -d s.enc.yaml | grep -q "password: s3cret" &&
	./sops decrypt --help | head -n1 | grep -q "^usage: sops decrypt"'

t_done
