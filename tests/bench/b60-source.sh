#!/bin/sh
# lib/source: a cold clone + export of a 10 000-file repository over git:// (a local git daemon)
# against `git clone --bare` + `git archive | tar -x` of the same revision (the same files on
# disk), and the cost of a poll that finds nothing new against `git ls-remote`.
# Best of BENCH_RUNS (default 5), the two interleaved. Goal (issue 9): cold <= 1.2x git.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GS=$O/gs-source
RUNS=${BENCH_RUNS:-5}
FILES=${BENCH_FILES:-10000}
[ -x "$GS" ] || { echo "b60-source: $GS missing (make test builds it)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-b60.XXXXXX")
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$GS_SERVERS_SH"
trap 'gs_servers_stop; rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

gs_servers_init "$TMP/srv" && gs_repo big || exit 1
# 100 directories of 100 manifests, 300-1500 bytes each, like a monorepo of YAML
python3 - "$GS_SRV/work/big" "$FILES" <<'EOF' || exit 1
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
for i in range(n):
    d = os.path.join(root, "apps", "team-%02d" % (i // 100 % 100), "svc-%03d" % (i // 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m-%05d.yaml" % i), "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%05d\n  namespace: ns-%02d\ndata:\n" % (i, i % 37))
        for k in range(random.randint(5, 40)):
            f.write("  key-%02d: \"%s\"\n" % (k, "%08x" % random.getrandbits(32) * random.randint(1, 3)))
EOF
git -C "$GS_SRV/work/big" add -A && git -C "$GS_SRV/work/big" -c user.email=b@e -c user.name=b commit -q -m files &&
	git -C "$GS_SRV/work/big" push -q "$GS_REPOS/big.git" HEAD:main && gs_git_daemon_start || exit 1
URL=$GS_GIT_URL/big.git
echo "repository: $(git -C "$GS_REPOS/big.git" ls-tree -r HEAD | wc -l) files, pack $(du -sh "$GS_REPOS/big.git/objects" | cut -f1)"

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
best_git=999999 best_ours=999999 best_lsr=999999 best_poll=999999
i=0
while [ $i -lt "$RUNS" ]; do
	rm -rf "$TMP/g" "$TMP/c" && mkdir -p "$TMP/g/out"
	t0=$(now)
	git clone -q --bare "$URL" "$TMP/g/r.git" && git -C "$TMP/g/r.git" archive HEAD | tar -x -C "$TMP/g/out" || exit 1
	t1=$(now)
	"$GS" --cache "$TMP/c" --url "$URL" --timeout 120000 > "$TMP/ours.out" || { cat "$TMP/ours.out"; exit 1; }
	t2=$(now)
	git ls-remote "$URL" > /dev/null || exit 1
	t3=$(now)
	"$GS" --cache "$TMP/c" --url "$URL" --timeout 120000 > "$TMP/poll.out" || exit 1
	t4=$(now)
	g=$(ms "$t0" "$t1") o=$(ms "$t1" "$t2") l=$(ms "$t2" "$t3") p=$(ms "$t3" "$t4")
	[ "$g" -lt "$best_git" ] && best_git=$g
	[ "$o" -lt "$best_ours" ] && best_ours=$o
	[ "$l" -lt "$best_lsr" ] && best_lsr=$l
	[ "$p" -lt "$best_poll" ] && best_poll=$p
	echo "run $((i + 1)): git clone --bare + archive|tar ${g} ms, gs-source cold ${o} ms; git ls-remote ${l} ms, gs-source poll ${p} ms"
	i=$((i + 1))
done
grep -q "fetches=0" "$TMP/poll.out" || { echo "b60-source: the poll fetched"; exit 1; }
n=$(find "$(sed -n 's/.*path=\([^ ]*\).*/\1/p' "$TMP/ours.out")" -type f | wc -l)
m=$(find "$TMP/g/out" -type f | wc -l)
tree=$(sed -n 's/.*path=\([^ ]*\).*/\1/p' "$TMP/ours.out")
[ "$n" = "$m" ] && diff -r -q "$tree" "$TMP/g/out" > /dev/null ||
	{ echo "b60-source: the exported tree ($n files) differs from git archive's ($m files)"; exit 1; }
echo "best: git ${best_git} ms, gs-source ${best_ours} ms (both $n files); poll: git ls-remote ${best_lsr} ms, gs-source ${best_poll} ms (a whole process: cache open, ls-remote, no fetch, tree handed out)"
awk -v o="$best_ours" -v g="$best_git" 'BEGIN{printf "ratio: gs-source cold / (git clone --bare + git archive|tar) = %.2f  (goal <= 1.2)\n", o/g}'
awk -v o="$best_poll" -v g="$best_lsr" 'BEGIN{printf "ratio: gs-source no-change poll / git ls-remote = %.2f  (report; the poll fetches nothing)\n", o/g}'
