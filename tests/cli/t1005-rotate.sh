#!/bin/sh
# gitseal rotate offline (issue 11): a checkout with SealedSecrets in every shape (YAML, JSON,
# multi-document, a List, a kustomize directory) and SOPS files (YAML with comments, JSON,
# dotenv) re-encrypted for new keys; ignored files untouched; a second run writes nothing; a
# failure anywhere (an unreadable file, a SealedSecret no key opens, a pgp-keyed SOPS file that
# needs rotating) leaves the tree byte for byte as it was and names the file.
. "$(dirname "$0")/../lib.sh"

G=$GITSEAL
sum() { (cd repo && find . -type f ! -path "./.git/*" | LC_ALL=C sort | xargs md5sum) ; }
secret() { # secret NAME NS key=value...
	_n=$1 _ns=$2
	shift 2
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n' "$_n" "$_ns"
	for _kv in "$@"; do printf '  %s: "%s"\n' "${_kv%%=*}" "${_kv#*=}"; done
}

t_expect "a checkout sealed and encrypted for the old keys" '
	"$G" keys new --bits 2048 --name old > old.yaml && sleep 1 && "$G" keys new --bits 2048 --name new > new.yaml &&
	"$G" keys cert --key old.yaml > old.crt && "$G" keys cert --key new.yaml > new.crt &&
	"$G" age-keygen -o a1.txt 2>/dev/null && "$G" age-keygen -o a2.txt 2>/dev/null &&
	grep -o "age1[a-z0-9]*" a1.txt | head -1 > a1.pub && grep -o "age1[a-z0-9]*" a2.txt | head -1 > a2.pub &&
	mkdir -p repo/apps/web repo/base repo/ignored repo/.git repo/skip &&
	secret web prod user=admin pass=s3cret > web.yaml && secret db prod url=postgres://x > db.yaml &&
	"$G" seal --cert old.crt -o yaml -f web.yaml | sed "1a # a comment kept" > repo/apps/web/sealed.yaml &&
	"$G" seal --cert old.crt -f db.yaml > repo/apps/web/db.json &&
	{ "$G" seal --cert old.crt -o yaml -f web.yaml; printf -- "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"; "$G" seal --cert new.crt -o yaml -f db.yaml; } > repo/apps/multi.yaml &&
	"$G" seal --cert old.crt -f web.yaml > item.json &&
	python3 -c "import json; i=json.load(open(\"item.json\")); json.dump({\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[i]}, open(\"repo/base/list.json\",\"w\"), indent=2)" &&
	printf "resources:\n  - sealed.yaml\n" > repo/base/kustomization.yaml && cp repo/apps/web/sealed.yaml repo/base/sealed.yaml &&
	"$G" seal --cert new.crt -o yaml -f web.yaml > repo/apps/current.yaml &&
	cp repo/apps/web/sealed.yaml repo/ignored/sealed.yaml && cp repo/apps/web/sealed.yaml repo/.git/sealed.yaml &&
	cp repo/apps/web/sealed.yaml repo/skip/sealed.yaml && printf "ignored/\n" > repo/.gitignore && printf "skip/\n" > repo/.gitsealignore &&
	printf "creation_rules:\n  - path_regex: .*\n    encrypted_regex: ^(data|stringData|DB_PASS)\$\n    age: %s\n" "$(cat a1.pub)" > repo/.sops.yaml &&
	(cd repo && { echo "# the database"; secret db2 prod pass=hunter2; } > apps/db.yaml && "$G" sops -e -i apps/db.yaml &&
	 secret j prod k=v > apps/j.json.yaml && "$G" sops -e --input-type yaml --output-type json apps/j.json.yaml > apps/j.enc.json && rm apps/j.json.yaml &&
	 printf "DB_PASS=hunter2\nDB_HOST=db\n" > apps/db.env && "$G" sops -e -i apps/db.env) &&
	printf "creation_rules:\n  - path_regex: .*\n    encrypted_regex: ^(data|stringData|DB_PASS)\$\n    age: %s\n" "$(cat a2.pub)" > repo/.sops.yaml &&
	sum > before.md5'

t_expect "--dry-run lists what would change and why, writes nothing" '
	"$G" rotate repo --key old.yaml --key new.yaml --dry-run > out && cat out &&
	contains out "repo/apps/web/sealed.yaml" && contains out "would reseal" && contains out "sealed for an older key" &&
	contains out "repo/apps/multi.yaml" && contains out "1 of 2 sealed for an older key" &&
	contains out "repo/apps/db.yaml" && contains out "would rotate" && contains out "recipients differ from .sops.yaml" &&
	! grep -q "ignored/\|skip/\|[.]git/\|current.yaml" out && sum | cmp - before.md5'

t_expect "a SealedSecret no key opens: refused by name, nothing written" '
	"$G" keys new --bits 2048 --name other > other.yaml && "$G" keys cert --key other.yaml > other.crt &&
	"$G" seal --cert other.crt -o yaml -f db.yaml > repo/apps/zz-other.yaml && sum > with-other.md5 &&
	SOPS_AGE_KEY_FILE=a1.txt fails_with 1 "$G" rotate repo --key old.yaml --key new.yaml 2> err &&
	contains err "repo/apps/zz-other.yaml" && contains err "no key could decrypt" && contains err "nothing was written" &&
	sum | cmp - with-other.md5 &&
	SOPS_AGE_KEY_FILE=a1.txt "$G" rotate repo --key old.yaml --key new.yaml --skip-unopened --dry-run > out &&
	contains out "skipped" && rm repo/apps/zz-other.yaml && sum | cmp - before.md5'

t_expect "an unreadable file half-way: named, the tree unchanged" '
	chmod 000 repo/apps/web/db.json &&
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody repo && chmod 644 old.yaml new.yaml a1.txt && chmod 755 "$TMP" &&
		SOPS_AGE_KEY_FILE=$TMP/a1.txt fails_with 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$G" rotate repo --key old.yaml --key new.yaml 2> err;
		rc=$?; chown -R root repo; chmod 700 "$TMP"
	else
		SOPS_AGE_KEY_FILE=a1.txt fails_with 1 "$G" rotate repo --key old.yaml --key new.yaml 2> err; rc=$?
	fi && [ $rc = 0 ] &&
	chmod 644 repo/apps/web/db.json && contains err "repo/apps/web/db.json" && contains err "nothing was written" &&
	sum | cmp - before.md5'

t_expect "a pgp-keyed SOPS file that needs rotating: refused by name, nothing written" '
	sed "s/pgp: \[\]/pgp: [{created_at: \"2024-01-01T00:00:00Z\", enc: x, fp: ABCDEF}]/" repo/apps/db.yaml > repo/apps/pgp.yaml &&
	contains repo/apps/pgp.yaml "fp: ABCDEF" &&
	SOPS_AGE_KEY_FILE=a1.txt fails_with 1 "$G" rotate repo --key old.yaml --key new.yaml 2> err &&
	contains err "repo/apps/pgp.yaml: has pgp/kms/vault master keys" && rm repo/apps/pgp.yaml && sum | cmp - before.md5'

t_expect "rotate: what changed and why; only values changed; comments, layout, other documents kept" '
	SOPS_AGE_KEY_FILE=a1.txt "$G" rotate repo --key old.yaml --key new.yaml -j 2 > out && cat out &&
	contains out "resealed" && contains out "rotated" &&
	sum > after.md5 && diff before.md5 after.md5 | grep "^>" | sed "s/.*  //" | sort > changed &&
	printf "./apps/db.env\n./apps/db.yaml\n./apps/j.enc.json\n./apps/multi.yaml\n./apps/web/db.json\n./apps/web/sealed.yaml\n./base/list.json\n./base/sealed.yaml\n" > want && cmp changed want &&
	grep -q "^# a comment kept" repo/apps/web/sealed.yaml && head -1 repo/apps/db.yaml | grep -qx "# the database" &&
	grep -q "kind: ConfigMap" repo/apps/multi.yaml && head -c1 repo/apps/web/db.json | grep -q "{" &&
	diff repo/ignored/sealed.yaml repo/skip/sealed.yaml && cmp repo/.git/sealed.yaml repo/ignored/sealed.yaml'

t_expect "everything opens with only the new keys; not with the old ones" '
	python3 -c "import sys; d=open(\"repo/apps/multi.yaml\").read().split(\"\\n---\\n\"); open(\"multi-ss.yaml\",\"w\").write(\"\\n---\\n\".join(x for x in d if \"SealedSecret\" in x))" &&
	"$G" validate --key new.yaml multi-ss.yaml && [ $(grep -c "kind: SealedSecret" multi-ss.yaml) = 2 ] &&
	python3 -c "import json; json.dump(json.load(open(\"repo/base/list.json\"))[\"items\"][0], open(\"item0.json\",\"w\"))" &&
	"$G" validate --key new.yaml item0.json &&
	for f in apps/web/sealed.yaml apps/web/db.json base/sealed.yaml apps/current.yaml; do
		"$G" validate --key new.yaml repo/$f || exit 1
	done &&
	fails_with 1 "$G" validate --key old.yaml repo/apps/web/sealed.yaml 2>/dev/null &&
	"$G" unseal --key new.yaml -o yaml repo/apps/web/sealed.yaml | grep -q "pass: czNjcmV0" &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" decrypt repo/apps/db.yaml | grep -q "pass: hunter2" &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" decrypt repo/apps/db.env | grep -q "DB_PASS=hunter2" &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" decrypt repo/apps/j.enc.json | grep -q "\"k\": \"v\"" &&
	SOPS_AGE_KEY_FILE=a1.txt fails_with 128 "$G" sops -d repo/apps/db.yaml > /dev/null 2>&1'

t_expect "a second run finds everything current and writes nothing" '
	"$G" rotate repo --key old.yaml --key new.yaml -v > out && contains out "0 with SealedSecrets re-sealed, 0 SOPS files rotated" &&
	contains out "current" && sum | cmp - after.md5'

t_expect "--retired: a file keeping a retired recipient without a rule is rotated; a rule naming one is refused" '
	mkdir -p solo && cp repo/apps/db.yaml solo/x.yaml && printf "creation_rules: []\n" > solo/.sops.yaml &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" sops rotate -i --add-age "$(cat a1.pub)" solo/x.yaml && contains solo/x.yaml "$(cat a1.pub)" &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" rotate solo --retired "$(cat a1.pub)" > out && contains out "holds retired recipient" &&
	! contains solo/x.yaml "$(cat a1.pub)" 2>/dev/null && SOPS_AGE_KEY_FILE=a2.txt "$G" decrypt solo/x.yaml | grep -q hunter2 &&
	SOPS_AGE_KEY_FILE=a2.txt fails_with 1 "$G" rotate repo --only sops --retired "$(cat a2.pub)" 2> err &&
	contains err "still names the retired recipient" && sum | cmp - after.md5'

t_expect "--force: a fresh data key for every SOPS file, SealedSecrets left alone" '
	SOPS_AGE_KEY_FILE=a2.txt "$G" rotate repo --only sops --force > out && contains out "--force" &&
	sum > forced.md5 && diff after.md5 forced.md5 | grep "^>" | grep -vc "apps/db.env\|apps/db.yaml\|apps/j.enc.json" | grep -qx 0 &&
	SOPS_AGE_KEY_FILE=a2.txt "$G" decrypt repo/apps/db.yaml | grep -q "pass: hunter2"'

t_expect "usage: --cert needs --key; a bad -j; an unknown --only" '
	fails_with 2 "$G" rotate repo --cert new.crt 2> err && contains err "--cert needs --key" &&
	fails_with 2 "$G" rotate repo -j 0 2>/dev/null && fails_with 2 "$G" rotate repo --only x 2>/dev/null'
t_done
