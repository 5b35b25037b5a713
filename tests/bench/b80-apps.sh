#!/bin/sh
# gitseal-controller with 1 000 Applications x 4 objects (Deployment with 0 replicas,
# ServiceAccount, Service, ConfigMap) from one Git repository (git daemon on loopback), against
# its own kube-apiserver (so that the request counts see no other client). In the same run:
#   - the floor: the same 4 000 objects server-side applied by plain lib/kube calls, 8 in flight
#     (run-kube-apply kube_apply_bench::floor_only, another namespace);
#   - kubectl apply --server-side (kubectl 1.35 from make deps) of the same objects;
#   - the controller from a cold start (Applications created first, then the process started)
#     until all 4 000 objects exist; its peak RSS (VmHWM);
#   - steady state: once every Application is Synced, 3 intervals with nothing changed, and the
#     API requests in that window beyond the watches and the Lease (apiserver_request_total);
#   - a hand edit (a ConfigMap value patched by someone else): time until the controller put it
#     back, B80_EDITS times.
# Knobs: B80_N=1000 (Applications), B80_INTERVAL=10 (seconds), B80_EDITS=5, B80_WORKERS=8 (the
# floor's requests in flight), B80_APP_WORKERS (--app-workers; default: the controller's),
# B80_CTL_ARGS (more controller flags, e.g. "--kubeclient-qps 5000"), B80_KEEP_LOG=FILE (the
# controller's log, kept).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
N=${B80_N:-1000}
INTERVAL=${B80_INTERVAL:-10}
EDITS=${B80_EDITS:-5}
WORKERS=${B80_WORKERS:-8}
CONTROLLER=${CONTROLLER:-$O/gitseal-controller}
KUBECTL=${KUBECTL:-${GITSEAL_TOOLS:-/var/cache/gitseal-tools}/kubectl/kubectl}
for f in "$CONTROLLER" "$O/run-kube-apply" "$KUBECTL"; do
	[ -x "$f" ] || { echo "b80-apps: $f missing (make deps, make test builds run-kube-apply)"; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/b80.XXXXXX")
CTL_PID=
own=
cleanup() {
	[ -n "$CTL_PID" ] && kill "$CTL_PID" 2>/dev/null && wait "$CTL_PID" 2>/dev/null
	gs_servers_stop 2>/dev/null
	[ -n "$own" ] && sh "$TOP/tests/kube/down.sh" "$own" >/dev/null 2>&1
	[ -n "${B80_KEEP_LOG:-}" ] && cp "$TMP/controller.log" "$B80_KEEP_LOG"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

env=$(KUBE_UP_WATCH_PID=$$ sh "$TOP/tests/kube/up.sh" 2>"$TMP/up.log") && eval "$env" && [ -n "${KUBE_UP_DIR:-}" ] ||
	{ echo "b80-apps: no API server: $(tail -n 1 "$TMP/up.log")"; exit 1; }
own=$KUBE_UP_DIR
export KUBECONFIG KUBE_API_URL KUBE_API_TOKEN KUBE_API_CA KUBE_API_CLIENT_CERT KUBE_API_CLIENT_KEY
kcurl() { curl -sS --max-time 60 --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" "$@"; }
mkns() {
	kcurl -o /dev/null -f -X POST -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}" "$KUBE_API_URL/api/v1/namespaces"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# objects I0 I1 NS: the groups I0..I1-1 of 4 objects in namespace NS (b70-apply's objects)
objects() {
	awk -v i0="$1" -v i1="$2" -v ns="$3" 'BEGIN {
		for (i = i0; i < i1; i++) {
			printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app%d, namespace: %s}\n", i, ns
			printf "spec:\n  replicas: 0\n  selector: {matchLabels: {app: app%d}}\n", i
			printf "  template:\n    metadata: {labels: {app: app%d}}\n", i
			printf "    spec:\n      serviceAccountName: app%d\n      containers: [{name: web, image: \"nginx:1.27\", ports: [{containerPort: 8080}]}]\n", i
			printf "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app%d, namespace: %s}\n", i, ns
			printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: app%d, namespace: %s}\n", i, ns
			printf "spec: {selector: {app: app%d}, ports: [{port: 80, targetPort: 8080}]}\n", i
			printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app%d, namespace: %s}\n", i, ns
			printf "data: {greeting: hello-%d, mode: bench}\n", i
		}
	}'
}
# count NS: objects of the four kinds in NS (limit=1: one item and remainingItemCount per kind)
count() {
	_t=0
	for _r in apis/apps/v1/namespaces/$1/deployments api/v1/namespaces/$1/serviceaccounts \
		api/v1/namespaces/$1/services api/v1/namespaces/$1/configmaps; do
		_c=$(kcurl "$KUBE_API_URL/$_r?limit=1" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(len(d.get("items") or []) + (d.get("metadata", {}).get("remainingItemCount") or 0))') || return 1
		_t=$((_t + _c))
	done
	echo $_t
}
# requests FILE: apiserver_request_total by verb and resource, as "VERB RESOURCE COUNT" lines
requests() {
	kcurl "$KUBE_API_URL/metrics" | python3 -c 'import re,sys
tot = {}
for line in sys.stdin:
    if not line.startswith("apiserver_request_total{"):
        continue
    labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", line.split("}")[0]))
    k = (labels.get("verb", ""), labels.get("resource", "") or "-", labels.get("subresource", ""))
    tot[k] = tot.get(k, 0) + float(line.rsplit(" ", 1)[1])
for (v, r, s), n in sorted(tot.items()):
    print(v, r + ("/" + s if s else ""), int(n))' > "$1"
}
# delta A B: the requests of B - A beyond WATCH and leases, one "VERB RESOURCE N" per line, then a total
delta() {
	awk 'NR == FNR { a[$1 " " $2] = $3; next }
	     { d = $3 - a[$1 " " $2]; if (d > 0 && $1 != "WATCH" && $2 != "leases") { print "  " $1, $2, d; t += d } }
	     END { print "total", t + 0 }' "$1" "$2"
}

sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
floor_ns=b80-floor-$sfx kc_ns=b80-kubectl-$sfx ctl_ns=b80-apps-$sfx sys_ns=b80-system-$sfx
for ns in "$floor_ns" "$kc_ns" "$ctl_ns" "$sys_ns"; do
	mkns "$ns" || { echo "b80-apps: cannot create namespace $ns"; exit 1; }
done
# a restart, not a first install: the sealing key is there (generating an RSA-4096 key would take
# ~1.5 s of CPU from the cold start; b40 does the same)
"$O/gitseal" keys new --namespace "$sys_ns" -o json > "$TMP/key.json" &&
	kcurl -f -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/key.json" \
		"$KUBE_API_URL/api/v1/namespaces/$sys_ns/secrets" || { echo "b80-apps: key setup failed"; exit 1; }
objects 0 "$N" "$floor_ns" > "$TMP/floor.yaml"
objects 0 "$N" "$kc_ns" > "$TMP/kubectl.yaml"
total=$((N * 4))

# --- the floor and kubectl -------------------------------------------------------------------
KT_APPLY_FLOOR_FILE=$TMP/floor.yaml KT_APPLY_BENCH_WORKERS=$WORKERS TMPDIR=$TMP \
	"$O/run-kube-apply" kube_apply_bench::floor_only > "$TMP/floor.tap" 2>&1
grep -q '^ok' "$TMP/floor.tap" || { cat "$TMP/floor.tap"; exit 1; }
floor=$(sed -n 's/^# bench floor: \([0-9.]*\) s.*/\1/p' "$TMP/floor.tap")
echo "floor: $floor s for $total objects (plain lib/kube server-side applies, $WORKERS in flight)"
t0=$(now)
"$KUBECTL" apply --server-side -f "$TMP/kubectl.yaml" > "$TMP/kubectl.out" 2>&1 || { tail -5 "$TMP/kubectl.out"; exit 1; }
kc=$(secs "$t0" "$(now)")
echo "kubectl $("$KUBECTL" version --client 2>/dev/null | sed -n 's/^Client Version: //p') apply --server-side: $kc s"

# --- the repository: apps/appI/app.yaml, the 4 objects of group I ----------------------------
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$TOP/tests/git/servers.sh"
gs_servers_init "$TMP/git" && gs_repo bench && gs_git_daemon_start || exit 1
W=$GS_SRV/work/bench
i=0
while [ $i -lt "$N" ]; do
	mkdir -p "$W/apps/app$i"
	i=$((i + 1))
done
objects 0 "$N" "$ctl_ns" | awk -v w="$W" '/^---$/ && ++k % 4 == 1 { if (f) close(f); f = w "/apps/app" int((k - 1) / 4) "/app.yaml" } { print > f }'
git -C "$W" add -A && git -C "$W" -c user.name=b -c user.email=b@b commit -qm "1000 apps" &&
	git -C "$W" push -q "$GS_REPOS/bench.git" HEAD:refs/heads/main || exit 1

# --- the Applications, then the controller from cold -----------------------------------------
"$KUBECTL" apply --server-side -f "$TOP/deploy/base/crds/applications.yaml" > /dev/null 2>&1 ||
	{ echo "b80-apps: the Application CRD does not apply"; exit 1; }
i=0
while [ $i -lt 100 ] && ! kcurl -f -o /dev/null "$KUBE_API_URL/apis/gitseal.dev/v1alpha1/applications"; do
	sleep 0.2
	i=$((i + 1))
done
awk -v n="$N" -v ns="$sys_ns" -v dest="$ctl_ns" -v url="$GS_GIT_URL/bench.git" -v iv="${INTERVAL}s" 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "---\napiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: app%d, namespace: %s}\n", i, ns
		printf "spec:\n  source: {repoURL: \"%s\", targetRevision: main, path: apps/app%d}\n", url, i
		printf "  destination: {server: \"https://kubernetes.default.svc\", namespace: %s}\n", dest
		printf "  syncPolicy: {automated: {prune: true, selfHeal: true}}\n  interval: %s\n", iv
	}
}' > "$TMP/apps.yaml"
"$KUBECTL" apply --server-side -f "$TMP/apps.yaml" > "$TMP/apps.out" 2>&1 || { tail -5 "$TMP/apps.out"; exit 1; }

# the API server's own requests (its bootstrap controller GETs namespaces and the kubernetes
# Service every 10 s) in a window as long as the steady-state one, before the controller runs
requests "$TMP/r-base0"
sleep $((3 * INTERVAL))
requests "$TMP/r-base1"

requests "$TMP/r-cold0"
t0=$(now)
POD_NAMESPACE=$sys_ns POD_NAME=b80 "$CONTROLLER" --listen-addr 127.0.0.1:0 --listen-metrics-addr 127.0.0.1:0 \
	--listen-webhook-addr 127.0.0.1:0 --source-cache-dir "$TMP/cache" --app-interval "${INTERVAL}s" \
	${B80_APP_WORKERS:+--app-workers "$B80_APP_WORKERS"} ${B80_CTL_ARGS:-} > "$TMP/controller.log" 2>&1 < /dev/null &
CTL_PID=$!
while :; do
	c=$(count "$ctl_ns") || c=0
	[ "$c" -ge "$total" ] && break
	if ! kill -0 "$CTL_PID" 2>/dev/null; then
		wait "$CTL_PID"
		echo "b80-apps: the controller exited ($?)"
		CTL_PID=
		tail -20 "$TMP/controller.log"
		exit 1
	fi
	[ "$(secs "$t0" "$(now)" | cut -d. -f1)" -lt 900 ] || { echo "b80-apps: only $c of $total objects after 900 s"; exit 1; }
	sleep 0.25
done
cold=$(secs "$t0" "$(now)")
requests "$TMP/r-cold1"
echo "gitseal-controller: $total objects of $N Applications applied $cold s after the start"
# (our own polling: 4 LISTs every 0.25 s, counted apart)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$CTL_PID/stat")
delta "$TMP/r-cold0" "$TMP/r-cold1" | grep -v '^total' | sort -k3 -n -r > "$TMP/cold"
awk -v n="$total" '$1 != "LIST" { t += $3 } END { printf "  %d API requests besides LISTs (%.2f per object; the LISTs are mostly this script polling), controller CPU %s s:\n", t, t / n, "'"$cpu"'" }' "$TMP/cold"
grep -v ' LIST ' "$TMP/cold" | head -8

# every Application Synced (status follows the objects)
t1=$(now)
while :; do
	s=$(kcurl "$KUBE_API_URL/apis/gitseal.dev/v1alpha1/namespaces/$sys_ns/applications" | python3 -c 'import json,sys
print(sum(1 for a in json.load(sys.stdin)["items"] if a.get("status", {}).get("sync", {}).get("status") == "Synced"))')
	[ "$s" -ge "$N" ] && break
	[ "$(secs "$t1" "$(now)" | cut -d. -f1)" -lt 600 ] || { echo "b80-apps: $s of $N Synced after 600 s"; exit 1; }
	sleep 2
done
echo "all $N Applications Synced $(secs "$t0" "$(now)") s after the start"
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$CTL_PID/status")

# --- steady state -------------------------------------------------------------------------------
sleep "$INTERVAL"
requests "$TMP/r0"
sleep $((3 * INTERVAL))
requests "$TMP/r1"
delta "$TMP/r-base0" "$TMP/r-base1" | grep -v '^total' > "$TMP/base"
delta "$TMP/r0" "$TMP/r1" | grep -v '^total' > "$TMP/steady"
# beyond the API server's own (same window before the start) and our two /metrics scrapes
# (GETs of a non-resource path, "-")
awk 'NR == FNR { b[$1 " " $2] = $3; next }
     $1 == "GET" && $2 == "-" { next }
     { d = $3 - b[$1 " " $2]; if (d > 0) { print "  " $1, $2, d; t += d } }
     END { print "total", t + 0 }' "$TMP/base" "$TMP/steady" > "$TMP/beyond"
steady=$(sed -n 's/^total //p' "$TMP/beyond")
echo "steady state, 3 x ${INTERVAL} s: $steady requests beyond watches, Leases and the API server's own:"
grep -v '^total' "$TMP/beyond" | head -20
echo "  (the API server's own in the same time before the start: $(awk '{ t += $3 } END { print t + 0 }' "$TMP/base"))"

# --- hand edits ----------------------------------------------------------------------------------
: > "$TMP/edits"
e=0
while [ $e -lt "$EDITS" ]; do
	k=$(( (e * 7919) % N ))
	t0=$(now)
	kcurl -f -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"data\":{\"greeting\":\"edited-$e\"}}" \
		"$KUBE_API_URL/api/v1/namespaces/$ctl_ns/configmaps/app$k?fieldManager=someone" || { echo "b80-apps: the edit failed"; exit 1; }
	while :; do
		g=$(kcurl "$KUBE_API_URL/api/v1/namespaces/$ctl_ns/configmaps/app$k" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["greeting"])')
		[ "$g" = "hello-$k" ] && break
		[ "$(secs "$t0" "$(now)" | cut -d. -f1)" -lt 60 ] || { echo "b80-apps: edit $e not reverted after 60 s"; break; }
		sleep 0.02
	done
	echo "$(secs "$t0" "$(now)")" >> "$TMP/edits"
	e=$((e + 1))
	sleep 1
done
revert=$(sort -n "$TMP/edits" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
revert_max=$(sort -n "$TMP/edits" | tail -1)
echo "hand edits reverted after $(tr '\n' ' ' < "$TMP/edits")s (median $revert s)"

awk -v f="$floor" -v o="$cold" 'BEGIN { printf "ratio: controller cold / floor = %.2f  (goal <= 1.3)\n", o / f }'
awk -v k="$kc" -v o="$cold" 'BEGIN { printf "ratio: kubectl / controller cold = %.2f  (goal > 1: faster than kubectl apply --server-side)\n", k / o }'
awk -v r="$rss" 'BEGIN { printf "ratio: controller peak RSS = %.1f MiB  (goal <= 40)\n", r / 1024 }'
echo "ratio: steady-state requests in 3 intervals = $steady  (goal 0)"
echo "ratio: hand edit to revert, median = $revert s, max $revert_max s  (goal <= 2)"
