#!/bin/sh
# age throughput: gitseal age vs Debian's Go age, 256 MiB in a tmpfs, output to /dev/null,
# best of 5 for each (encrypt, decrypt; binary; armored shown for information).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
MIB=${AGE_BENCH_MIB:-256}
if ! command -v age >/dev/null 2>&1; then
	echo "b10-age: Go age not installed (make deps): skipped"
	exit 0
fi
D=$(mktemp -d "${BENCH_TMP:-/dev/shm}/gitseal-bench-age.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
head -c $((MIB << 20)) /dev/urandom > "$D/in"
"$GITSEAL" age-keygen -o "$D/key" 2>/dev/null
R=$(sed -n 's/^# public key: //p' "$D/key")
"$GITSEAL" age -r "$R" -o "$D/ours.age" "$D/in"
age -r "$R" -o "$D/go.age" "$D/in"

# best3 CMD...: the best wall time of 5 runs, in seconds (CPU seconds of that run in $D/cpu,
# the median wall time in $D/median)
best3() {
	python3 - "$D/cpu" "$@" <<'PY'
import os, subprocess, sys, time
best = cpu = None
walls = []
for _ in range(5):
    r0 = os.times()
    t = time.perf_counter()
    subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
    d = time.perf_counter() - t
    r1 = os.times()
    c = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    walls.append(d)
    if best is None or d < best:
        best, cpu = d, c
open(sys.argv[1], "w").write("%.2f" % cpu)
open(os.path.join(os.path.dirname(sys.argv[1]), "median"), "w").write("%.4f" % sorted(walls)[len(walls) // 2])
print("%.4f" % best)
PY
}
rate() { python3 -c "print('%.0f' % ($MIB / 1.048576 / $1))"; }   # MB/s
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

ge=$(best3 "$GITSEAL" age -r "$R" "$D/in") && gec=$(cat "$D/cpu") || exit 1
oe=$(best3 age -r "$R" "$D/in") && oec=$(cat "$D/cpu") || exit 1
gd=$(best3 "$GITSEAL" age -d -i "$D/key" "$D/go.age") && gdc=$(cat "$D/cpu") && gdm=$(cat "$D/median") || exit 1
od=$(best3 age -d -i "$D/key" "$D/go.age") && odc=$(cat "$D/cpu") && odm=$(cat "$D/median") || exit 1
gae=$(best3 "$GITSEAL" age -a -r "$R" "$D/in") || exit 1
oae=$(best3 age -a -r "$R" "$D/in") || exit 1
echo "load average: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "age encrypt ${MIB} MiB: gitseal ${ge}s ($(rate $ge) MB/s, ${gec} CPU s), go ${oe}s ($(rate $oe) MB/s, ${oec} CPU s)"
echo "age decrypt ${MIB} MiB: gitseal ${gd}s ($(rate $gd) MB/s, ${gdc} CPU s), go ${od}s ($(rate $od) MB/s, ${odc} CPU s)"
echo "age encrypt -a ${MIB} MiB: gitseal ${gae}s ($(rate $gae) MB/s), go ${oae}s ($(rate $oae) MB/s)"
echo "ratio: age encrypt gitseal/go = $(ratio $oe $ge) (goal >= 1.5)"
echo "ratio: age decrypt gitseal/go = $(ratio $od $gd) (goal >= 2.5; best of 5 each)"
echo "ratio: age decrypt gitseal/go, medians = $(ratio $odm $gdm) (information)"
echo "ratio: age armored encrypt gitseal/go = $(ratio $oae $gae) (information)"
