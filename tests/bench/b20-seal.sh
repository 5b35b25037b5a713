#!/bin/sh
# Sealing a 100-key Secret, whole process per run (start-up included), N runs each:
# gitseal seal vs the @linode/kubeseal-encrypt driver (node), same Secret, same cert.
# Goals: gitseal <= 25 ms per run, >= 10x faster than the node peer.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
RUNS=${BENCH_RUNS:-30}
PEER_RUNS=${BENCH_PEER_RUNS:-8}
CERT=$TOP/tests/fixtures/sealed/tls.crt
D=$(mktemp -d "${BENCH_TMP:-/tmp}/gitseal-bench-seal.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT

{
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench\n  namespace: apps\ntype: Opaque\nstringData:\n'
	i=1
	while [ $i -le 100 ]; do
		printf '  key%03d: "%s"\n' $i "$(head -c 36 /dev/urandom | base64)"
		i=$((i + 1))
	done
} > "$D/secret.yaml"

# timeit RUNS CMD...: "best median cpu" wall milliseconds (best, median) and mean CPU ms (user+sys, all threads) over RUNS runs (stdin: the Secret)
timeit() {
	python3 - "$D/secret.yaml" "$@" <<'PY'
import subprocess, sys, time
src, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
import resource
ts = []
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    with open(src, "rb") as f:
        t = time.perf_counter()
        subprocess.run(cmd, stdin=f, stdout=subprocess.DEVNULL, check=True)
        ts.append((time.perf_counter() - t) * 1000)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000 / runs
ts.sort()
print("%.1f %.1f %.1f" % (ts[0], ts[len(ts) // 2], cpu))
PY
}

"$GITSEAL" seal --cert "$CERT" < "$D/secret.yaml" > "$D/ours.json" || exit 1
"$GITSEAL" validate -q --key "$TOP/tests/fixtures/sealed/tls.key" "$D/ours.json" || exit 1
set -- $(timeit "$RUNS" "$GITSEAL" seal --cert "$CERT") || exit 1
ob=$1 om=$2 oc=$3
set -- $(timeit "$RUNS" "$GITSEAL" version) || exit 1
vb=$1 vm=$2 vc=$3
echo "seal 100 keys: gitseal best ${ob} ms, median ${om} ms, CPU ${oc} ms ($RUNS runs; bare start-up 'gitseal version': best ${vb} ms, median ${vm} ms, CPU ${vc} ms)"
echo "ratio: gitseal seal 100 keys best ms / 25 ms = $(python3 -c "print('%.2f' % ($ob / 25))") (goal <= 1.0)"

PEER=$TOP/tests/peers/kubeseal-encrypt-js.mjs
if command -v node >/dev/null 2>&1 && [ -d "$TOP/tests/peers/node_modules/@linode/kubeseal-encrypt" ]; then
	node "$PEER" --cert "$CERT" -o json < "$D/secret.yaml" > "$D/peer.json" || exit 1
	set -- $(timeit "$PEER_RUNS" node "$PEER" --cert "$CERT" -o json) || exit 1
	pb=$1 pm=$2 pc=$3
	echo "seal 100 keys: @linode/kubeseal-encrypt (node) best ${pb} ms, median ${pm} ms, CPU ${pc} ms ($PEER_RUNS runs)"
	echo "ratio: seal 100 keys node-peer/gitseal (median) = $(python3 -c "print('%.1f' % ($pm / $om))") (goal >= 10)"
else
	echo "b20-seal: @linode/kubeseal-encrypt not installed (make deps): peer ratio skipped"
fi
