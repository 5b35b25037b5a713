#!/bin/sh
# make test: the unit runner, then every tests/{cli,interop,source,kube}/t*.sh, and one
# aggregated "N passed, N failed, N skipped". T=word filters unit suites/tests
# (prefix "suite::test") and scripts (name contains word).
# The kube suites share one real kube-apiserver + etcd, started here once.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
O=${O:-build/release}
T=${T:-}
export O GS_TOP="$TOP"
OUT=$TOP/tests/out/$(basename "$O")
rm -rf "$OUT" && mkdir -p "$OUT"
pass=0 fail=0 skip=0

count() { # count FILE: add its TAP results to the totals
	p=$(grep -c '^ok .*# SKIP' "$1")
	a=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	pass=$((pass + a - p)); skip=$((skip + p)); fail=$((fail + f))
}

run_one() { # run_one NAME cmd...
	name=$1; shift
	log=$OUT/$(echo "$name" | tr / -).tap
	start=$(date +%s)
	"$@" > "$log" 2>&1
	rc=$?
	count "$log"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $name exited $rc without a failing test" >> "$log"
		fail=$((fail + 1))
	fi
	printf '%-40s %s  (%ss)\n' "$name" "$(grep -c '^ok ' "$log") ok, $(grep -c '^not ok ' "$log") failed" "$(( $(date +%s) - start ))"
	grep -A40 '^not ok' "$log" | head -n 60
}

run_one unit "$O/run-unit" "$T"

scripts=$(ls tests/cli/t*.sh tests/interop/t*.sh tests/source/t*.sh tests/kube/t*.sh 2>/dev/null)
[ -n "$T" ] && scripts=$(echo "$scripts" | grep -F -- "$T")

# one API server for every kube suite in this run (up.sh prints only export lines; a failed start
# prints none, so check that KUBE_UP_DIR came back). The watchdog stops it if this runner is killed.
if echo "$scripts" | grep -q '^tests/kube/'; then
	KUBE_UP_DIR=
	if kube_env=$(KUBE_UP_WATCH_PID=$$ sh tests/kube/up.sh 2>"$OUT/kube-up.log") && eval "$kube_env" &&
		[ -n "$KUBE_UP_DIR" ] && [ -f "$KUBE_UP_DIR/pids" ]; then
		trap 'sh tests/kube/down.sh "$KUBE_UP_DIR" >/dev/null 2>&1' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	else
		{ echo "not ok - kube-apiserver did not start (make deps installs it)"
		  sed 's/^/#   /' "$OUT/kube-up.log" | tail -n 20; } > "$OUT/kube-up.tap"
		count "$OUT/kube-up.tap"
		cat "$OUT/kube-up.tap"
		scripts=$(echo "$scripts" | grep -v '^tests/kube/')
	fi
fi

for s in $scripts; do
	run_one "$(echo "$s" | sed 's|^tests/||; s|\.sh$||')" sh "$s"
done

echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
