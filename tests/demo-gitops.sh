#!/bin/sh
# make demo, part 2: the GitOps flow on local defaults, with nothing but loopback servers.
#
#   a real kube-apiserver (tests/kube/up.sh) and a git daemon (tests/git/servers.sh) on 127.0.0.1,
#   the config repository of tests/fixtures/config-repo (base, overlays, a Helm chart) with one
#   Secret SOPS-encrypted for a fresh age key and one sealed with the controller's certificate,
#   gitseal-controller keeping two Applications applied (Kustomize overlay, Helm chart), then a
#   commit that changes and deletes something (gitseal diff shows it first), a hand edit reverted.
#
# Intervals are 2 s so that it finishes in about a minute. Every step that does not do what it
# says stops the demo with exit 1; whatever it started is stopped on every exit path (by pid).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
CONTROLLER=${CONTROLLER:-$O/gitseal-controller}
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
for f in "$GITSEAL" "$CONTROLLER"; do
	[ -x "$f" ] || { echo "demo: $f not built (run make)" >&2; exit 1; }
done
[ -x "$TOOLS/kubectl/kubectl" ] && [ -x "$TOOLS/helm3/helm" ] ||
	{ echo "demo: kubectl and helm are missing from $TOOLS (run make deps)" >&2; exit 1; }
[ -x /var/cache/kube-test/bin/kube-apiserver ] ||
	{ echo "demo: the test kube-apiserver is missing (run make deps)" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-demo2.XXXXXX")
CTL_PID=
KUBE_UP_DIR=
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$CTL_PID" ]; then
		kill -TERM "$CTL_PID" 2>/dev/null || true
		wait "$CTL_PID" 2>/dev/null || true
	fi
	gs_servers_stop 2>/dev/null || true
	[ -n "$KUBE_UP_DIR" ] && sh "$TOP/tests/kube/down.sh" "$KUBE_UP_DIR" > /dev/null 2>&1 || true
	if [ $rc -ne 0 ] && [ -f "$D/controller.log" ]; then
		echo "demo: failed; the controller's last lines:" >&2
		tail -n 15 "$D/controller.log" >&2
	fi
	rm -rf "$D"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
cd "$D"

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B= N=; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
say() { printf '    %s\n' "$*"; }
run() { # run CMD...: show the command (gitseal by its name), run it, indent its output
	printf '    $ %s\n' "$(printf '%s\n' "$*" | sed "s|^$GITSEAL |gitseal |")"
	"$@" > "$D/.out" 2>&1 || { sed 's/^/    /' "$D/.out"; echo "demo: '$*' failed" >&2; return 1; }
	sed 's/^/    /' "$D/.out"
}
fail() { echo "demo: $*" >&2; exit 1; }
# until WHAT SECONDS CMD...: wait until CMD succeeds, or stop the demo saying what did not happen
until_() {
	_what=$1 _n=$(($2 * 5))
	shift 2
	while ! "$@" > /dev/null 2>&1; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || fail "timed out waiting until $_what"
		sleep 0.2
	done
}
kget() { "$GITSEAL" kube get "$@" -o json; }
jfield() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
GITSEAL_NO_PROGRESS=1
export GITSEAL_NO_PROGRESS

step "6. A Kubernetes API server and a Git server, on loopback only"
env=$(KUBE_UP_WATCH_PID=$$ sh "$TOP/tests/kube/up.sh" 2> "$D/kube-up.log") || { tail -n 5 "$D/kube-up.log" >&2; fail "the API server did not start"; }
eval "$env"
export KUBECONFIG KUBE_API_URL
say "kube-apiserver $KUBE_API_URL (etcd, no kubelet, no controller-manager: nothing runs a Pod)"
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$TOP/tests/git/servers.sh"
gs_servers_init "$D/git"
gs_repo config
gs_git_daemon_start
say "git daemon $GS_GIT_URL/config.git"
W=$GS_SRV/work/config
cp -r "$TOP/tests/fixtures/config-repo/." "$W/"
wgit() { git -C "$W" -c user.name=demo -c user.email=demo@example.com "$@"; }

step "7. gitseal-controller: Sealed Secrets and Applications, one process"
"$GITSEAL" kube create -f "$TOP/deploy/base/crds/sealedsecrets.yaml" > /dev/null
"$GITSEAL" kube create -f "$TOP/deploy/base/crds/applications.yaml" > /dev/null
printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"gitseal-system"}}\n' > ns.json
"$GITSEAL" kube create -f ns.json > /dev/null
until_ "the CRDs are served" 30 "$GITSEAL" kube list gitseal.dev/v1alpha1/Application -n gitseal-system
(
	PATH=$TOOLS/kubectl:$TOOLS/helm3:$PATH
	POD_NAMESPACE=gitseal-system POD_NAME=demo
	export PATH POD_NAMESPACE POD_NAME
	exec "$CONTROLLER" --listen-addr 127.0.0.1:0 --listen-metrics-addr 127.0.0.1:0 \
		--listen-webhook-addr 127.0.0.1:0 --source-cache-dir "$D/cache" \
		--app-interval 2s --app-retry-backoff 1s --app-retry-backoff-max 2s
) > "$D/controller.log" 2>&1 < /dev/null &
CTL_PID=$!
until_ "the controller listens" 20 grep -q 'msg="http listening"' "$D/controller.log"
PORT=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\) .*/\1/p' "$D/controller.log" | head -1)
until_ "the controller made its sealing key" 30 curl -sf -o cert.pem "http://127.0.0.1:$PORT/v1/cert.pem"
say "pid $CTL_PID, sealing certificate from http://127.0.0.1:$PORT/v1/cert.pem"

step "8. Secrets in Git: one SOPS-encrypted for an age key, one sealed for the controller"
"$GITSEAL" age-keygen -o age.key 2> /dev/null
R=$("$GITSEAL" age-keygen -y age.key)
cat > db.yaml <<EOF
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: "correct horse battery staple"}
EOF
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: prod}\nstringData: {token: s34led-t0ken}\n' > api.yaml
run "$GITSEAL" encrypt --age "$R" db.yaml
"$GITSEAL" encrypt --age "$R" db.yaml > "$W/overlays/prod/db.enc.yaml"
# namespace-wide: the overlay's namePrefix renames it (prod-api), the namespace stays prod
"$GITSEAL" seal --cert cert.pem --scope namespace-wide -o yaml < api.yaml > "$W/overlays/prod/api.sealed.yaml"
say "\$ gitseal seal --cert cert.pem --scope namespace-wide -o yaml < api.yaml > overlays/prod/api.sealed.yaml"
sed -i 's|^  - ../../base$|  - ../../base\n  - db.enc.yaml\n  - api.sealed.yaml|' "$W/overlays/prod/kustomization.yaml"
wgit add -A && wgit commit -qm "config: base, overlays, chart, secrets" && wgit push -q "$GS_REPOS/config.git" HEAD:refs/heads/main
say "committed and pushed: $(wgit rev-parse --short HEAD) ($(wgit ls-files | wc -l) files; the plaintext is in no file)"
! grep -rq "correct horse\|s34led" "$W" || fail "a plaintext secret reached the repository"

step "9. Two Applications: the prod overlay (Kustomize) and the chart with values-prod.yaml (Helm)"
"$GITSEAL" kube create -f - > /dev/null <<EOF
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"sops-age","namespace":"gitseal-system"},
 "stringData":{"demo.agekey":"$(grep AGE-SECRET-KEY age.key)"}}
EOF
cat > apps.yaml <<EOF
apiVersion: gitseal.dev/v1alpha1
kind: Application
metadata: {name: shop, namespace: gitseal-system}
spec:
  source: {repoURL: "$GS_GIT_URL/config.git", targetRevision: main, path: overlays/prod}
  decryption: {secretRef: {name: sops-age}}
  destination: {server: "https://kubernetes.default.svc", namespace: prod}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
  interval: 2s
---
apiVersion: gitseal.dev/v1alpha1
kind: Application
metadata: {name: shop-chart, namespace: gitseal-system}
spec:
  source:
    repoURL: "$GS_GIT_URL/config.git"
    targetRevision: main
    path: my-chart
    helm: {valueFiles: [values-prod.yaml]}
  destination: {server: "https://kubernetes.default.svc", namespace: chart}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
  interval: 2s
EOF
sed 's/^/    /' apps.yaml
"$GITSEAL" kube apply -f apps.yaml > /dev/null
synced() { # synced APP [REVISION]
	kget gitseal.dev/v1alpha1/Application "$1" -n gitseal-system |
		jfield "d.get('status',{}).get('sync',{}).get('status') == 'Synced' and d['status']['sync'].get('revision','').startswith('${2:-}') or sys.exit(1)"
}
until_ "shop is Synced" 60 synced shop
until_ "shop-chart is Synced" 60 synced shop-chart
run "$GITSEAL" get apps -n gitseal-system -o wide
say "Health is Progressing, not Healthy: the Deployments wait for Pods, and with no kubelet and"
say "no controller-manager here nothing ever creates one. The API server stores, validates and"
say "defaults what the controller applies; that is all this demo needs."
run "$GITSEAL" kube list apps/v1/Deployment -A
kget Secret prod-db -n prod > db.json || fail "the SOPS Secret prod/prod-db was not applied"
[ "$(jfield "__import__('base64').b64decode(d['data']['password']).decode()" < db.json)" = "correct horse battery staple" ] ||
	fail "prod/prod-db does not hold the decrypted password"
say "Secret prod/prod-db: decrypted in the controller's memory from db.enc.yaml, applied"
until_ "the SealedSecret is unsealed into Secret prod/prod-api" 30 kget Secret prod-api -n prod
say "Secret prod/prod-api: the SealedSecret was applied as it is; the unsealer made the Secret"

step "10. A commit that changes the replicas and deletes the Service; gitseal diff shows it first"
sed -i 's/value: 3$/value: 5/' "$W/overlays/prod/kustomization.yaml"
sed -i '/  - service.yaml/d' "$W/base/kustomization.yaml"
wgit rm -q base/service.yaml
wgit add -A && wgit commit -qm "prod: 5 replicas; no Service" && wgit push -q "$GS_REPOS/config.git" HEAD:refs/heads/main
NEW=$(wgit rev-parse HEAD)
say "pushed $(wgit rev-parse --short HEAD): $(wgit log -1 --format=%s)"
"$GITSEAL" suspend app shop -n gitseal-system > /dev/null # hold it still while we look
printf '    $ gitseal diff --app shop -n gitseal-system --revision main --prune\n'
set +e
"$GITSEAL" diff --app shop -n gitseal-system --revision main --prune --color=never > diff.out 2> diff.err
drc=$?
set -e
grep -v '^ ' diff.out | sed 's/^/    /'
[ $drc -eq 1 ] || { cat diff.err >&2; fail "gitseal diff exited $drc, expected 1 (differences)"; }
grep -q '^+  replicas: 5' diff.out && grep -q '^--- LIVE/v1.Service.prod.prod-web' diff.out ||
	fail "gitseal diff does not show the new replicas and the pruned Service"
say "(exit 1: differences; unchanged lines left out here)"
run "$GITSEAL" resume app shop -n gitseal-system
run "$GITSEAL" reconcile app shop -n gitseal-system --with-source --wait --timeout 60s
until_ "shop is Synced at the new commit" 30 synced shop "$NEW"
[ "$(kget apps/v1/Deployment prod-web -n prod | jfield "d['spec']['replicas']")" = 5 ] ||
	fail "prod/prod-web does not have 5 replicas"
until_ "the Service is pruned" 30 sh -c "! '$GITSEAL' kube get Service prod-web -n prod > /dev/null 2>&1"
say "Deployment prod/prod-web has 5 replicas; Service prod/prod-web is gone (pruned)"
run "$GITSEAL" get apps -n gitseal-system

step "11. A hand edit is reverted (selfHeal)"
printf '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"prod-web","namespace":"prod"},"spec":{"replicas":1}}\n' > edit.json
t0=$(date +%s.%N)
run "$GITSEAL" kube apply -f edit.json --field-manager someone --force-conflicts
reverted() { [ "$(kget apps/v1/Deployment prod-web -n prod | jfield "d['spec']['replicas']")" = 5 ]; }
until_ "the hand edit is reverted" 30 reverted
t1=$(date +%s.%N)
say "replicas back to 5 after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (the controller watches what it applied)"

step "12. Stopping everything this demo started"
kill -TERM "$CTL_PID" && wait "$CTL_PID" || true
CTL_PID=
say "gitseal-controller, git daemon, kube-apiserver and etcd stopped; $D removed"
