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
trap 'exit 141' PIPE

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

# measure CMD...: "wall_ms cpu_ms" of a command and everything it waited for (user + system)
measure() {
	python3 -c 'import resource, subprocess, sys, time
t = time.monotonic(); rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%d %d" % (w * 1000, (r.ru_utime + r.ru_stime) * 1000)); sys.exit(rc)' "$@"
}
best() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
bg=999999 bo=999999 bgc=999999 boc=999999 bl=999999 bp=999999
run_git() {
	sync
	set -- $(measure sh -c 'git clone -q --bare "$1" "$2/r.git" && git -C "$2/r.git" archive HEAD | tar -x -C "$2/out"' \
		- "$URL" "$TMP/g") || exit 1
	g=$1 gc=$2
}
run_ours() {
	sync
	set -- $(measure "$GS" --cache "$TMP/c" --url "$URL" --timeout 120000 --out "$TMP/ours.out") || exit 1
	o=$1 oc=$2
}
# each run starts from flushed disks (sync, untimed) and the two alternate who goes first
i=0
while [ $i -lt "$RUNS" ]; do
	rm -rf "$TMP/g" "$TMP/c" && mkdir -p "$TMP/g/out"
	if [ $((i % 2)) = 0 ]; then run_git; run_ours; else run_ours; run_git; fi
	set -- $(measure git ls-remote -q "$URL") && l=$1
	set -- $(measure "$GS" --cache "$TMP/c" --url "$URL" --timeout 120000 --out "$TMP/poll.out") && p=$1
	bg=$(best "$g" "$bg") bo=$(best "$o" "$bo") bgc=$(best "$gc" "$bgc") boc=$(best "$oc" "$boc")
	bl=$(best "$l" "$bl") bp=$(best "$p" "$bp")
	echo "run $((i + 1)): git clone --bare + archive|tar ${g} ms (cpu ${gc} ms), gs-source cold ${o} ms (cpu ${oc} ms); git ls-remote ${l} ms, gs-source poll ${p} ms"
	i=$((i + 1))
done
grep -q "fetches=0" "$TMP/poll.out" || { echo "b60-source: the poll fetched"; exit 1; }
n=$(find "$(sed -n 's/.*path=\([^ ]*\).*/\1/p' "$TMP/ours.out")" -type f | wc -l)
m=$(find "$TMP/g/out" -type f | wc -l)
tree=$(sed -n 's/.*path=\([^ ]*\).*/\1/p' "$TMP/ours.out")
[ "$n" = "$m" ] && diff -r -q "$tree" "$TMP/g/out" > /dev/null ||
	{ echo "b60-source: the exported tree ($n files) differs from git archive's ($m files)"; exit 1; }
echo "best: git ${bg} ms (cpu ${bgc} ms), gs-source ${bo} ms (cpu ${boc} ms), both $n files; poll: git ls-remote ${bl} ms, gs-source ${bp} ms (a whole process: cache open, ls-remote, no fetch, tree handed out)"
awk -v o="$bo" -v g="$bg" 'BEGIN{printf "ratio: gs-source cold / (git clone --bare + git archive|tar), wall = %.2f  (goal <= 1.2)\n", o/g}'
awk -v o="$boc" -v g="$bgc" 'BEGIN{printf "ratio: the same in CPU time (user + system) = %.2f  (steadier on a busy machine)\n", o/g}'
awk -v o="$bp" -v g="$bl" 'BEGIN{printf "ratio: gs-source no-change poll / git ls-remote = %.2f  (report; the poll fetches nothing)\n", o/g}'
