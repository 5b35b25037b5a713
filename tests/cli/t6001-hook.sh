#!/bin/sh
# gitseal hook install: a real git repository whose pre-commit hook runs gitseal check --staged.
# A commit with a plaintext Secret is refused, a clean one goes through, and only the staged
# version counts (not the work tree's).
. "$(dirname "$0")/../lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD
DEC=$FIXTURES/decrypt
PLAIN="apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData:\n  password: hunter2\n"

t_expect "hook install writes .git/hooks/pre-commit running this gitseal; a second install is fine" '
	mkdir repo && cd repo && git init -q && printf "# app\n" > README.md && git add README.md && git commit -qm init &&
	"$GITSEAL" hook install > out && contains out ".git/hooks/pre-commit" && test -x .git/hooks/pre-commit &&
	contains .git/hooks/pre-commit "check --staged" && contains .git/hooks/pre-commit "$GITSEAL" &&
	"$GITSEAL" hook install > /dev/null'

t_expect "a commit with a plaintext Secret is refused, naming file:line and the code" '
	cd repo && printf "$PLAIN" > db.yaml && git add db.yaml &&
	! git commit -qm "add db" > out 2>&1 && contains out "db.yaml:5:3: Secret prod/db has stringData that is neither sealed nor SOPS-encrypted" &&
	contains out "[unencrypted-secret]" && ! grep -q hunter2 out && test "$(git rev-list --count HEAD)" = 1'

t_expect "the staged version counts: encrypting only in the work tree does not let it through" '
	cd repo && cp "$DEC/secret.enc.yaml" db.yaml && ! git commit -qm "add db" > out 2>&1 && contains out "[unencrypted-secret]" &&
	git add db.yaml && git commit -qm "add db, encrypted" && test "$(git rev-list --count HEAD)" = 2'

t_expect "a clean staged file goes through while a plaintext one sits unstaged in the work tree" '
	cd repo && printf "$PLAIN" > other.yaml && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n" > cm.yaml &&
	git add cm.yaml && git commit -qm "add cm" && test "$(git rev-list --count HEAD)" = 3 && rm other.yaml'

t_expect "the index's .sops.yaml and .gitsealignore apply; subdirectories and odd names work" '
	cd repo && mkdir -p "dir with space/sub" fixtures && printf "$PLAIN" > fixtures/test.yaml && printf "fixtures/\n" > .gitsealignore &&
	git add .gitsealignore fixtures && git commit -qm "fixtures" && test "$(git rev-list --count HEAD)" = 4 &&
	printf "$PLAIN" > "dir with space/sub/x.yaml" && git add "dir with space" &&
	! git commit -qm x > out 2>&1 && contains out "dir with space/sub/x.yaml:5:3:" && git reset -q "dir with space" && rm -r "dir with space" &&
	R=$(age-keygen -y "$DEC/key.txt") && mkdir -p secrets && printf "pw: hunter2\n" > secrets/values.yaml &&
	printf "creation_rules:\n  - path_regex: secrets/.*\n    age: %s\n" "$R" > .sops.yaml && git add .sops.yaml secrets &&
	! git commit -qm rule > out 2>&1 && contains out "secrets/values.yaml:1:5:" && contains out "[sops-file-not-encrypted]" &&
	git rm -q --cached .sops.yaml && git commit -qm "values, no rule in the index" && test "$(git rev-list --count HEAD)" = 5'

t_expect "from a subdirectory, and with diff.relative set: the same files, named from the top" '
	cd repo && mkdir -p deep/er && printf "$PLAIN" > deep/er/s.yaml && git add deep && cd deep/er &&
	fails_with 1 "$GITSEAL" check --staged > out && contains out "deep/er/s.yaml:5:3:" &&
	git config diff.relative true &&
	fails_with 1 "$GITSEAL" check --staged > out2 && contains out2 "deep/er/s.yaml:5:3:" &&
	git config --unset diff.relative && cd ../.. && git reset -q deep && rm -r deep'

t_expect "gitseal check --staged by itself: JSON for CI, exit 0 with nothing staged" '
	cd repo && "$GITSEAL" check --staged > out && test ! -s out &&
	printf "$PLAIN" > s.yaml && git add s.yaml && fails_with 1 "$GITSEAL" check --staged --format json > j &&
	python3 -c "import json; d=json.load(open(\"j\")); assert d[\"findings\"][0][\"file\"] == \"s.yaml\", d" &&
	cd .. && mkdir -p sub && cd repo && git reset -q s.yaml && rm s.yaml'

t_expect "an existing hook that is not gitseal's is left alone; --force keeps it as .orig; uninstall removes ours only" '
	mkdir r2 && cd r2 && git init -q && printf "#!/bin/sh\nexit 0\n" > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit &&
	fails_with 1 "$GITSEAL" hook install 2> e && contains e "not gitseal" && contains .git/hooks/pre-commit "exit 0" &&
	"$GITSEAL" hook install --force > /dev/null 2>&1 && contains .git/hooks/pre-commit.orig "exit 0" && contains .git/hooks/pre-commit "check --staged" &&
	"$GITSEAL" hook uninstall > /dev/null && test ! -e .git/hooks/pre-commit && test -e .git/hooks/pre-commit.orig &&
	cd .. && mkdir r3 && cd r3 && git init -q && git config core.hooksPath myhooks && "$GITSEAL" hook install > /dev/null && test -x myhooks/pre-commit'

t_expect "the pre-commit framework entry the README shows runs the same check" '
	grep -q "entry: gitseal check --staged" "$TOP/README.md" && grep -q "pass_filenames: false" "$TOP/README.md" &&
	grep -q "^- id: gitseal-check" "$TOP/.pre-commit-hooks.yaml" && grep -q "entry: gitseal check --staged" "$TOP/.pre-commit-hooks.yaml"'

t_done
