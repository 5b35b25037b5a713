#!/bin/sh
# Unsealing 100 items (whole process): with the one right key, and with 36 keys
# loaded (3 years of monthly renewals) where the items were sealed with the oldest.
# Baseline in the same run: 100 single-core RSA-4096 private operations
# (openssl speed). Goal: both within 1.4x of that baseline.
# The 36 RSA-4096 keys are generated once and cached in $O/bench/sealed-keys.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
RUNS=${BENCH_RUNS:-7}
NKEYS=36
CACHE=$O/bench/sealed-keys
D=$(mktemp -d "${BENCH_TMP:-/tmp}/gitseal-bench-unseal.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
mkdir -p "$CACHE"

# key 1 is made first (the oldest NotBefore) and listed last, so that it is the
# last key tried whatever the clock did between generations
if [ ! -f "$CACHE/list.yaml" ]; then
	echo "b21-unseal: generating $NKEYS RSA-4096 sealing keys once (cached in $CACHE)..."
	i=1
	while [ $i -le $NKEYS ]; do
		"$GITSEAL" keys new --name "sealed-secrets-key-$i" > "$CACHE/k$i.yaml" || exit 1
		i=$((i + 1))
	done
	{
		echo "apiVersion: v1"
		echo "kind: List"
		echo "items:"
		i=$NKEYS
		while [ $i -ge 1 ]; do
			sed 's/^/  /; 1s/^  /- /' "$CACHE/k$i.yaml"
			i=$((i - 1))
		done
	} > "$CACHE/list.yaml.tmp" && mv "$CACHE/list.yaml.tmp" "$CACHE/list.yaml"
fi
"$GITSEAL" keys cert --key "$CACHE/k1.yaml" > "$D/oldest.crt" || exit 1

{
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench\n  namespace: apps\nstringData:\n'
	i=1
	while [ $i -le 100 ]; do
		printf '  key%03d: "%s"\n' $i "$(head -c 36 /dev/urandom | base64)"
		i=$((i + 1))
	done
} > "$D/secret.yaml"
"$GITSEAL" seal --cert "$D/oldest.crt" -f "$D/secret.yaml" > "$D/sealed.json" || exit 1

# timeit RUNS CMD...: "best median cpu" wall milliseconds (best, median) and mean CPU ms (user+sys, all threads)
timeit() {
	python3 - "$@" <<'PY'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
import resource
ts = []
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ts.append((time.perf_counter() - t) * 1000)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000 / runs
ts.sort()
print("%.1f %.1f %.1f" % (ts[0], ts[len(ts) // 2], cpu))
PY
}

# wall clock (-elapsed), like our runs: on a busy machine both slow down alike
sign_s=$(openssl speed -elapsed -seconds 2 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $6}')
[ -n "$sign_s" ] || { echo "b21-unseal: openssl speed failed"; exit 1; }
base=$(python3 -c "print('%.1f' % (100 * 1000 / $sign_s))")
echo "baseline: openssl speed -elapsed rsa4096 = $sign_s private ops/s on one core: 100 ops = $base ms"
cpu_s=$(openssl speed -seconds 2 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $6}')
cbase=$(python3 -c "print('%.1f' % (100 * 1000 / $cpu_s))")
echo "baseline: openssl speed rsa4096 (user CPU time) = $cpu_s ops/s: 100 ops = $cbase ms CPU"

set -- $(timeit "$RUNS" "$GITSEAL" unseal --key "$CACHE/k1.yaml" "$D/sealed.json") || exit 1
b1=$1 m1=$2 c1=$3
set -- $(timeit "$RUNS" "$GITSEAL" unseal --key "$CACHE/list.yaml" "$D/sealed.json") || exit 1
b36=$1 m36=$2 c36=$3
echo "unseal 100 items, 1 key: best $b1 ms, median $m1 ms, CPU $c1 ms; 36 keys (sealed with the oldest): best $b36 ms, median $m36 ms, CPU $c36 ms ($RUNS runs; CPU on both threads)"
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg) (2 cores; wall times assume an idle machine)"
echo "ratio: unseal 100 items 1 key / 100 RSA-4096 ops = $(python3 -c "print('%.2f' % ($b1 / $base))") (goal <= 1.4; best run)"
echo "ratio: unseal 100 items 36 keys / 100 RSA-4096 ops = $(python3 -c "print('%.2f' % ($b36 / $base))") (goal <= 1.4; best run)"
echo "ratio: unseal CPU (both threads) 1 key / 36 keys vs 100 ops = $(python3 -c "print('%.2f / %.2f' % ($c1 / $cbase, $c36 / $cbase))") (information: the work done)"
