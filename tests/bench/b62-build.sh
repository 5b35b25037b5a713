#!/bin/sh
# gitseal build over the config repository of the GitOps guide (tests/fixtures/config-repo, with
# a SOPS Secret in overlays/prod and a SOPS env file behind my-app's secretGenerator, as t8001
# makes them), whole processes, best of RUNS (default 7), runs interleaved:
#   1. overlays/prod from a local checkout against bare `kubectl kustomize` of it: what the
#      decrypt stage, the apply order and the printing add to the renderer (report);
#   2. the same over git:// with a warm cache (a poll: one refs round trip, no fetch) against
#      `git ls-remote` + `kubectl kustomize` of a checkout;
#   3. a cold cache (clone + export + render + decrypt) against `git clone` + `kubectl kustomize`;
#   4. my-chart with values-prod.yaml under helm 4 against bare `helm template`.
# Wall and CPU time (user + system of the process and every child it ran).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=$O/gitseal
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
KUBECTL=$TOOLS/kubectl/kubectl
HELM=$TOOLS/helm4/helm
RUNS=${RUNS:-7}
[ -x "$GITSEAL" ] || { echo "b62: $GITSEAL missing (make)"; exit 1; }
if ! [ -x "$KUBECTL" ] || ! [ -x "$HELM" ]; then
	echo "b62: kubectl/helm missing in $TOOLS (make deps): not measured"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-b62.XXXXXX") || exit 1
SHM=$(mktemp -d /dev/shm/gitseal-b62.XXXXXX) || exit 1
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$GS_SERVERS_SH"
trap 'gs_servers_stop; rm -rf "$TMP" "$SHM"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE
export GITSEAL_KUBECTL=$KUBECTL GITSEAL_HELM=$HELM GITSEAL_NO_PROGRESS=1 GITSEAL_RENDER_TMPDIR=$SHM
export SOPS_AGE_KEY_FILE="$TMP/key.txt" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD GITSEAL_GIT_USERNAME GITSEAL_GIT_PASSWORD GITSEAL_KUSTOMIZE

# the repository, as t8001-build-git.sh makes it
gs_servers_init "$TMP/srv" && gs_repo config || exit 1
W=$GS_SRV/work/config
{
	"$GITSEAL" age-keygen -o "$TMP/key.txt" 2>/dev/null && R=$("$GITSEAL" age-keygen -y "$TMP/key.txt") &&
		cp -r "$TOP/tests/fixtures/config-repo/." "$W/" &&
		printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: pr0d\n" \
			> "$TMP/db.yaml" &&
		"$GITSEAL" encrypt --age "$R" "$TMP/db.yaml" > "$W/overlays/prod/db.enc.yaml" &&
		sed -i "s|^  - ../../base$|  - ../../base\n  - db.enc.yaml|" "$W/overlays/prod/kustomization.yaml" &&
		_gs_git -C "$W" add -A && _gs_git -C "$W" commit -q -m config &&
		_gs_git -C "$W" push -q "$GS_REPOS/config.git" HEAD:refs/heads/main && gs_git_daemon_start
} > "$TMP/setup.log" 2>&1 || { echo "b62: setup failed"; cat "$TMP/setup.log"; exit 1; }
URL=$GS_GIT_URL/config.git

# measure CMD...: "wall_ms cpu_ms" of one run (cpu: user+sys of the process and its children)
measure() {
	python3 -c '
import os, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, st, ru = os.wait4(p.pid, 0)
w = (time.monotonic() - t) * 1e3
if st:
    sys.exit("b62: %s failed" % " ".join(sys.argv[1:]))
print("%.1f %.1f" % (w, (ru.ru_utime + ru.ru_stime) * 1e3))
' "$@"
}
best() { sort -n | head -n1; }
# compare NAME "BASELINE COMMAND" "GITSEAL COMMAND" (each run through sh -c)
compare() {
	: > "$TMP/a.t"
	: > "$TMP/b.t"
	r=0
	while [ $r -lt "$RUNS" ]; do
		measure sh -c "$2" >> "$TMP/a.t" || return 1
		measure sh -c "$3" >> "$TMP/b.t" || return 1
		r=$((r + 1))
	done
	aw=$(cut -d" " -f1 "$TMP/a.t" | best); bw=$(cut -d" " -f1 "$TMP/b.t" | best)
	ac=$(cut -d" " -f2 "$TMP/a.t" | best); bc=$(cut -d" " -f2 "$TMP/b.t" | best)
	echo "$1: baseline $aw ms wall / $ac ms cpu, gitseal build $bw ms wall / $bc ms cpu (best of $RUNS)"
	echo "ratio: $1, gitseal build / baseline, wall = $(echo "$aw $bw" | awk '{ printf "%.2f", $2 / $1 }'), cpu = $(echo "$ac $bc" | awk '{ printf "%.2f", $2 / $1 }')  (report)"
}

"$GITSEAL" build "$W" --path overlays/prod > "$TMP/check.yaml" && grep -q "kind: Secret" "$TMP/check.yaml" ||
	{ echo "b62: gitseal build of overlays/prod failed"; exit 1; }
echo "config repository: $(find "$W" -type f -not -path '*/.git/*' | wc -l) files, overlays/prod gives $(grep -c '^kind:' "$TMP/check.yaml") objects"

compare "local overlays/prod" "'$KUBECTL' kustomize '$W/overlays/prod' > /dev/null" \
	"'$GITSEAL' build '$W' --path overlays/prod > /dev/null"

export XDG_CACHE_HOME="$TMP/warm"
"$GITSEAL" build --repo "$URL" --path overlays/prod > /dev/null || { echo "b62: build --repo failed"; exit 1; }
git clone -q "$URL" "$TMP/checkout" || exit 1
compare "git:// warm cache (poll) overlays/prod" \
	"git ls-remote '$URL' > /dev/null && '$KUBECTL' kustomize '$TMP/checkout/overlays/prod' > /dev/null" \
	"'$GITSEAL' build --repo '$URL' --path overlays/prod > /dev/null"

compare "git:// cold cache overlays/prod" \
	"rm -rf '$TMP/clone' && git clone -q '$URL' '$TMP/clone' && '$KUBECTL' kustomize '$TMP/clone/overlays/prod' > /dev/null" \
	"rm -rf '$TMP/cold' && XDG_CACHE_HOME='$TMP/cold' '$GITSEAL' build --repo '$URL' --path overlays/prod > /dev/null"

compare "local my-chart, helm 4, values-prod.yaml" \
	"'$HELM' template my-chart '$W/my-chart' --include-crds -f '$W/my-chart/values-prod.yaml' > /dev/null" \
	"'$GITSEAL' build '$W' --path my-chart --helm-values values-prod.yaml > /dev/null"
