#!/bin/sh
# The pre-commit hook: `gitseal check --staged` over 1 000 staged manifests (goal < 100 ms: a
# commit should not feel it), the whole hook as git runs it (`git commit` with and without the
# hook, the difference is the hook's cost), and `gitseal check` over the same work tree.
# 1 000 files: Deployments, Services, ConfigMaps, SealedSecrets and SOPS-encrypted Secrets, under
# a .sops.yaml. Best of RUNS (default 7), wall time.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=$O/gitseal
RUNS=${RUNS:-7}
D=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-bench-hook.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
[ -x "$GITSEAL" ] || { echo "b90: $GITSEAL missing (make)"; exit 1; }
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD

cd "$D" && git init -q repo && cd repo || exit 1
R=$(age-keygen -y "$TOP/tests/fixtures/decrypt/key.txt")
printf "creation_rules:\n  - path_regex: .*\\\\.yaml\$\n    encrypted_regex: ^(data|stringData)\$\n    age: %s\n" "$R" > .sops.yaml
i=0
while [ $i -lt 200 ]; do
	d=apps/team-$((i % 20))
	mkdir -p "$d"
	cat > "$d/deploy-$i.yaml" <<EOF2
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-$i, labels: {app: app-$i}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-$i}}
  template:
    metadata: {labels: {app: app-$i}}
    spec:
      containers:
        - name: app
          image: "registry.example.com/app:1.$i.0"
          env: [{name: MODE, value: prod}, {name: PORT, value: "8080"}]
EOF2
	printf "apiVersion: v1\nkind: Service\nmetadata: {name: app-$i}\nspec: {selector: {app: app-$i}, ports: [{port: 80, targetPort: 8080}]}\n" > "$d/svc-$i.yaml"
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-$i}\ndata: {mode: prod, level: info}\n" > "$d/cm-$i.yaml"
	cp "$TOP/tests/fixtures/sealed/sealedsecret.yaml" "$d/sealed-$i.yaml"
	cp "$TOP/tests/fixtures/decrypt/secret.enc.yaml" "$d/secret-$i.yaml"
	i=$((i + 1))
done
n=$(find apps -name '*.yaml' | wc -l)
git add -A >/dev/null
# every file staged, none of them a finding
"$GITSEAL" check --staged > out || { echo "b90: the staged tree has findings:"; head out; exit 1; }

timed() { # timed CMD...: wall ms
	python3 -c '
import subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
print("%.1f" % ((time.monotonic() - t) * 1e3))' "$@"
}
best() { sort -n | head -n1; }

: > staged.t; : > tree.t; : > with.t; : > without.t
k=0
while [ $k -lt "$RUNS" ]; do
	timed "$GITSEAL" check --staged >> staged.t
	timed "$GITSEAL" check . >> tree.t
	# the whole commit, hook or not (each run commits nothing: --dry-run would skip the hook)
	"$GITSEAL" hook install >/dev/null
	timed sh -c 'git commit -q --allow-empty-message -m "" >/dev/null 2>&1; git reset -q --soft HEAD~ 2>/dev/null || git update-ref -d HEAD' >> with.t
	rm -f .git/hooks/pre-commit
	timed sh -c 'git commit -q --allow-empty-message -m "" >/dev/null 2>&1; git reset -q --soft HEAD~ 2>/dev/null || git update-ref -d HEAD' >> without.t
	k=$((k + 1))
done
sw=$(best < staged.t); tw=$(best < tree.t); ww=$(best < with.t); nw=$(best < without.t)
echo "$n staged manifests: gitseal check --staged $sw ms (best of $RUNS)"
echo "the same work tree: gitseal check . $tw ms"
echo "git commit of them: $nw ms without the hook, $ww ms with it"
echo "ratio: check --staged of $n manifests / 100 ms = $(echo "$sw" | awk '{ printf "%.2f", $1 / 100 }')  (goal < 1.0)"
