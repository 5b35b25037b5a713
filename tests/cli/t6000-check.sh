#!/bin/sh
# gitseal check: what must not be committed, found in a checkout with file:line and a stable
# code; formats (text, json, github, gitlab), exit codes (0 clean, 1 findings, 2 usage/IO),
# ignore files, and with keys: SOPS MACs and SealedSecrets that must open.
. "$(dirname "$0")/../lib.sh"
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG
DEC=$FIXTURES/decrypt
SS=$FIXTURES/sealed
check() { "$GITSEAL" check "$@"; }

t_expect "a clean checkout: exit 0, nothing on stdout (sealed, SOPS-encrypted, ConfigMaps, Helm charts)" '
	mkdir -p clean/apps clean/chart/templates && cd clean && git init -q &&
	cp "$DEC/secret.enc.yaml" apps/secret.yaml && cp "$SS/sealedsecret.yaml" apps/sealed.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n" > apps/cm.yaml &&
	printf "apiVersion: v2\nname: c\nversion: 0.1.0\n" > chart/Chart.yaml && printf "replicas: 1\n" > chart/values.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: {{ .Release.Name }}}\nstringData:\n  a: {{ .Values.x }}\n" > chart/templates/s.yaml &&
	check > out && test ! -s out'

t_expect "a plaintext Secret: file:line:col, the code, exit 1; --format json, github, gitlab" '
	mkdir -p p && cd p && git init -q &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData:\n  password: hunter2\n" > db.yaml &&
	fails_with 1 "$GITSEAL" check > out 2> err &&
	grep -qx "db.yaml:5:3: Secret prod/db has stringData that is neither sealed nor SOPS-encrypted: seal it (gitseal seal) or encrypt it (gitseal encrypt) \[unencrypted-secret\]" out &&
	contains err "1 finding in 1 file checked" && ! grep -q hunter2 out err &&
	fails_with 1 "$GITSEAL" check --format json > j && python3 -c "import json,sys; d=json.load(open(\"j\")); f=d[\"findings\"][0]; assert (f[\"file\"], f[\"line\"], f[\"column\"], f[\"code\"]) == (\"db.yaml\", 5, 3, \"unencrypted-secret\"), f" &&
	fails_with 1 "$GITSEAL" check --format github > g && grep -q "^::error file=db.yaml,line=5,col=3,title=gitseal check unencrypted-secret::Secret prod/db" g &&
	fails_with 1 "$GITSEAL" check --format gitlab > l && python3 -c "import json; d=json.load(open(\"l\")); assert d[0][\"check_name\"] == \"unencrypted-secret\" and d[0][\"location\"] == {\"path\": \"db.yaml\", \"lines\": {\"begin\": 5}} and len(d[0][\"fingerprint\"]) == 64, d"'

t_expect "usage and I/O errors exit 2" '
	fails_with 2 "$GITSEAL" check no/such/dir 2> e1 && contains e1 "no/such/dir" &&
	fails_with 2 "$GITSEAL" check --format xml . 2> e2 && contains e2 "--format xml" &&
	fails_with 2 "$GITSEAL" check --nope 2> /dev/null &&
	mkdir -p norepo && cd norepo && GIT_CEILING_DIRECTORIES=$TMP fails_with 2 "$GITSEAL" check --staged 2> e3 && contains e3 "not in a git repository"'

t_expect "broken SOPS files: no sops block, a malformed one, a value left in plaintext" '
	mkdir -p s && cd s &&
	sed "/^sops:/,\$d" "$DEC/secret.enc.yaml" > nometa.yaml &&
	sed "s/^    mac: .*/    mac: \"\"/" "$DEC/secret.enc.yaml" > nomac.yaml &&
	sed "s/^    username: ENC.*/    username: admin-user/" "$DEC/secret.enc.yaml" > plain.yaml &&
	fails_with 1 "$GITSEAL" check > out &&
	contains out "nometa.yaml:8:15: " && contains out "[sops-metadata-missing]" &&
	contains out "nomac.yaml:" && contains out "has no mac [sops-metadata-malformed]" &&
	contains out "plain.yaml:10:15: Secret prod/db: stringData.username is not encrypted" && contains out "[sops-value-not-encrypted]" &&
	! grep -q admin-user out'

t_expect "the file's own rule leaves a Secret's data in plaintext" '
	mkdir -p own && cd own && R=$(age-keygen -y "$DEC/key.txt") &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  a: YQ==\nstringData:\n  pw: s3cret\n" > s.yaml &&
	"$GITSEAL" sops -e --age "$R" --encrypted-regex "^data\$" s.yaml > s.enc.yaml && rm s.yaml &&
	fails_with 1 "$GITSEAL" check > out && contains out "s.enc.yaml:8:9: Secret db: stringData.pw is in plaintext: the file'"'"'s encrypted_regex '"'"'^data\$'"'"' leaves it unencrypted" &&
	contains out "[sops-rule-unencrypted-data]" && ! grep -q s3cret out'

t_expect ".sops.yaml: a rule that leaves Secret data unencrypted; a file a rule names that is not encrypted; a broken config" '
	mkdir -p cfg/secrets cfg/apps && cd cfg && git init -q && R=$(age-keygen -y "$DEC/key.txt") &&
	printf "creation_rules:\n  - path_regex: secrets/.*\n    age: %s\n  - path_regex: apps/.*\\\\.yaml\$\n    encrypted_regex: ^data\$\n    age: %s\n" "$R" "$R" > .sops.yaml &&
	printf "db_password: hunter2\nport: 5432\n" > secrets/values.yaml &&
	printf "DB_PASSWORD=hunter2\n" > secrets/app.env &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {pw: hunter2}\n" > apps/x.yaml &&
	fails_with 1 "$GITSEAL" check > out &&
	contains out ".sops.yaml:4:5: .sops.yaml creation rule 2 (path_regex '"'"'apps/.*\\.yaml\$'"'"') has encrypted_regex '"'"'^data\$'"'"', which leaves a Secret'"'"'s stringData unencrypted" &&
	contains out "encrypting Secret x (apps/x.yaml:4) with it would leave stringData.pw in plaintext [sops-rule-unencrypted-data]" &&
	contains out "secrets/values.yaml:1:14: document: .sops.yaml creation rule 1 (path_regex '"'"'secrets/.*'"'"') names this file, but it is not SOPS-encrypted" &&
	contains out "secrets/app.env: .sops.yaml creation rule 1" && contains out "[sops-file-not-encrypted]" &&
	! grep -q hunter2 out &&
	printf "creation_rules:\n  - path_regex: \"(bad\"\n    age: %s\n" "$R" > .sops.yaml &&
	fails_with 1 "$GITSEAL" check .sops.yaml > out2 && contains out2 ".sops.yaml:2: " && contains out2 "(bad" && contains out2 "[sops-config-invalid]"'

t_expect "SealedSecret scope annotations against the template; an Application with an unknown field" '
	mkdir -p ss && cd ss &&
	sed "s/^      name: mysecret\$/      name: renamed/" "$SS/sealedsecret.yaml" > moved.yaml && ! cmp -s moved.yaml "$SS/sealedsecret.yaml" &&
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: app, namespace: gitseal}\nspec:\n  source:\n    repoURL: https://example.com/r.git\n    path: apps\n    helm:\n      valuesFile: x.yaml\n" > app.yaml &&
	fails_with 1 "$GITSEAL" check > out &&
	contains out "moved.yaml:" && contains out "[sealed-scope-mismatch]" &&
	contains out "app.yaml:9:7: Application app: unknown field spec.source.helm.valuesFile" && contains out "[application-field]"'

t_expect "a kustomization: a secretGenerator fed by a plaintext file or a literal; an encrypted one is fine" '
	mkdir -p k && cd k && cp "$DEC/app.enc.env" enc.env && printf "DB_PASSWORD=hunter2\n" > plain.env &&
	printf "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: ok\n    envs: [enc.env]\n  - name: bad\n    envs:\n      - plain.env\n    literals:\n      - password=hunter2\n" > kustomization.yaml &&
	fails_with 1 "$GITSEAL" check > out &&
	contains out "kustomization.yaml:8:9: secretGenerator '"'"'bad'"'"' reads plain.env, which is neither SOPS-encrypted nor sealed" &&
	contains out "kustomization.yaml:10:9: secretGenerator '"'"'bad'"'"' has the literal '"'"'password'"'"'" &&
	test "$(grep -c unencrypted-secret out)" = 2 && ! grep -q "enc.env" out && ! grep -q hunter2 out'

t_expect ".gitignore, .gitsealignore, dot-directories are skipped; a file named is checked anyway; parse errors are findings" '
	mkdir -p ig/build ig/fixtures ig/.github && cd ig && git init -q &&
	s="apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n" &&
	printf "$s" > build/s.yaml && printf "$s" > fixtures/s.yaml && printf "$s" > .github/s.yaml && printf "$s" > local.yaml &&
	printf "build/\n" > .gitignore && printf "fixtures/\n" > .gitsealignore && printf "local.yaml\n" > .git/info/exclude &&
	check > out && test ! -s out &&
	fails_with 1 "$GITSEAL" check build/s.yaml > out2 && contains out2 "build/s.yaml:4:" &&
	printf "a: [b\n" > broken.yaml && fails_with 1 "$GITSEAL" check > out3 && contains out3 "broken.yaml:" && contains out3 "[parse-error]"'

t_expect "colour on a terminal, never in a pipe; NO_COLOR and --color=never respected" '
	mkdir -p col && cd col && printf "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n" > s.yaml &&
	"$GITSEAL" check > plain; test $? = 1 && ! grep -q "$(printf "\033")" plain &&
	"$GITSEAL" check --color=always > c; test $? = 1 && grep -q "$(printf "\033\\[31m")\[unencrypted-secret\]" c &&
	script -qec "\"$GITSEAL\" check" /dev/null > tty; grep -q "$(printf "\033")" tty &&
	NO_COLOR=1 script -qec "\"$GITSEAL\" check" /dev/null > tty2; ! grep -q "$(printf "\033\\[31m")" tty2 &&
	script -qec "\"$GITSEAL\" check --color=never" /dev/null > tty3; ! grep -q "$(printf "\033\\[31m")" tty3'

t_expect "with SOPS keys: a MAC that does not verify, a file no key opens; the right key passes" '
	mkdir -p mac && cd mac && cp "$DEC/secret.enc.yaml" ok.yaml &&
	sed "s/^    namespace: prod/    namespace: staging/" "$DEC/secret.enc.yaml" > moved.yaml &&
	check > out && test ! -s out &&
	SOPS_AGE_KEY_FILE="$DEC/key.txt" fails_with 1 "$GITSEAL" check > out2 &&
	contains out2 "moved.yaml:" && contains out2 "the MAC does not match the values" && contains out2 "[sops-mac-mismatch]" &&
	! grep -q "ok.yaml" out2 &&
	SOPS_AGE_KEY_FILE="$DEC/other-key.txt" fails_with 1 "$GITSEAL" check ok.yaml > out3 && contains out3 "[sops-no-key]" &&
	contains out3 "age19una4p0cxyhaslfsh9kvvhffd8yv3qk8q2e9p0shvv8crhwqhczse0rcxx"'

t_expect "with --key: a SealedSecret must open with one of the keys (another cluster, a moved scope show)" '
	mkdir -p sk && cd sk && cp "$SS/sealedsecret.yaml" ok.yaml &&
	sed "s/team-a/moved/g" "$SS/sealedsecret.yaml" > moved.yaml &&
	! cmp -s moved.yaml ok.yaml &&
	"$GITSEAL" check --key "$SS/tls.key" ok.yaml > out && test ! -s out &&
	fails_with 1 "$GITSEAL" check --key "$SS/tls.key" moved.yaml > out2 && contains out2 "[sealed-no-key]" && contains out2 "label" &&
	fails_with 1 "$GITSEAL" check --key "$SS/upstream-key/key.pem" ok.yaml > out3 && contains out3 "does not open with any of the 1 key given"'

t_done
