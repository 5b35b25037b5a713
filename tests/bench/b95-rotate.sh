#!/bin/sh
# gitseal rotate of a checkout with 1 000 SealedSecrets (10 items each) and 1 000 SOPS files,
# offline (--key old --key new, -j 2), against the floor of the RSA and age operations it must
# do, measured in the same run with `openssl speed -multi 2` (both cores, wall clock):
#   run 1 (everything sealed/encrypted for the old keys): per SealedSecret 1 failed try of the
#     newest key + 10 opens + 10 seals + 1 check = 12 private and 10 public RSA-4096 ops; per
#     SOPS file 1 X25519 to open the data key and 2 to wrap the new one;
#   run 2 (everything current): 10 private ops per SealedSecret (one per item), nothing for SOPS.
# Goal: each run <= 1.3x its floor. The two RSA-4096 keys are cached in $O/bench/rotate-keys.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
G=${GITSEAL:-$O/gitseal}
NSS=${BENCH_ROTATE_SS:-1000}
NSOPS=${BENCH_ROTATE_SOPS:-1000}
ITEMS=10
CACHE=$O/bench/rotate-keys
D=$(mktemp -d "${BENCH_TMP:-/tmp}/gitseal-bench-rotate.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
mkdir -p "$CACHE"

if [ ! -f "$CACHE/new.yaml" ]; then
	echo "b95-rotate: generating two RSA-4096 sealing keys once (cached in $CACHE)..."
	"$G" keys new --name old > "$CACHE/old.yaml.tmp" && sleep 1 &&
		"$G" keys new --name new > "$CACHE/new.yaml.tmp" &&
		mv "$CACHE/old.yaml.tmp" "$CACHE/old.yaml" && mv "$CACHE/new.yaml.tmp" "$CACHE/new.yaml" || exit 1
fi
"$G" keys cert --key "$CACHE/old.yaml" > "$D/old.crt" || exit 1
"$G" age-keygen -o "$D/a1.txt" 2>/dev/null && "$G" age-keygen -o "$D/a2.txt" 2>/dev/null || exit 1
A1=$(grep -o 'age1[a-z0-9]*' "$D/a1.txt" | head -1)
A2=$(grep -o 'age1[a-z0-9]*' "$D/a2.txt" | head -1)

echo "b95-rotate: making the checkout ($NSS SealedSecrets x $ITEMS items, $NSOPS SOPS files)..."
mkdir -p "$D/repo/sealed" "$D/repo/sops"
python3 - "$D" "$NSS" "$ITEMS" <<'PY'
import base64, os, sys
d, n, items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(os.path.join(d, "secrets.yaml"), "w") as f:
    for i in range(n):
        f.write("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s%d\n  namespace: apps\nstringData:\n" % i)
        for j in range(items):
            f.write('  key%02d: "%s"\n' % (j, base64.b64encode(os.urandom(24)).decode()))
PY
"$G" seal --cert "$D/old.crt" -o yaml -f "$D/secrets.yaml" > "$D/sealed.yaml" || exit 1
awk -v dir="$D/repo/sealed" '/^---$/ { n++; f = sprintf("%s/s%04d.yaml", dir, n) } { print > f }' "$D/sealed.yaml"
printf 'creation_rules:\n  - path_regex: .*\n    encrypted_regex: ^(data|stringData)$\n    age: %s\n' "$A1" > "$D/repo/.sops.yaml"
i=0
while [ $i -lt "$NSOPS" ]; do
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: p%d\n  namespace: apps\nstringData:\n  user: "u%d"\n  password: "%s"\n' \
		$i $i "$(head -c 18 /dev/urandom | base64)" > "$D/repo/sops/p$i.yaml"
	(cd "$D/repo" && "$G" sops -e -i "sops/p$i.yaml") || exit 1
	i=$((i + 1))
done
printf 'creation_rules:\n  - path_regex: .*\n    encrypted_regex: ^(data|stringData)$\n    age: %s\n' "$A2" > "$D/repo/.sops.yaml"
echo "  $(ls "$D/repo/sealed" | wc -l) SealedSecret files, $(ls "$D/repo/sops" | wc -l) SOPS files"

# the floor, both cores, wall clock (like the runs: on a busy machine both slow down alike)
floor_speed() {
	openssl speed -elapsed -multi 2 -seconds 3 rsa4096 ecdhx25519 2>/dev/null > "$D/speed.txt"
	SIGN=$(awk '/^rsa 4096 bits/ {print $6}' "$D/speed.txt")
	VERIFY=$(awk '/^rsa 4096 bits/ {print $7}' "$D/speed.txt")
	X25519=$(awk '/ecdh \(X25519\)/ {print $NF}' "$D/speed.txt")
	[ -n "$SIGN" ] && [ -n "$X25519" ] || { echo "b95-rotate: openssl speed failed"; exit 1; }
}
# floor PRIV PUB X: seconds at the speeds measured
floor() { python3 -c "print('%.2f' % ($1 / $SIGN + $2 / $VERIFY + $3 / $X25519))"; }
# run DIR ARGS...: wall seconds and CPU seconds of one gitseal rotate
run() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
w = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode:
    sys.stderr.write(p.stdout)
    sys.exit(1)
sys.stderr.write(p.stdout.splitlines()[-1] + "\n")
print("%.2f %.2f" % (w, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime))
PY
}

floor_speed
echo "floor: openssl speed -elapsed -multi 2: $SIGN RSA-4096 private ops/s, $VERIFY public ops/s, $X25519 X25519 ops/s"
f1=$(floor $((NSS * (ITEMS + 2))) $((NSS * ITEMS)) $((NSOPS * 3)))
f2=$(floor $((NSS * ITEMS)) 0 0)

cd "$D" || exit 1
set -- $(SOPS_AGE_KEY_FILE="$D/a1.txt" run "$G" rotate repo --key "$CACHE/old.yaml" --key "$CACHE/new.yaml" -j 2) || exit 1
w1=$1 c1=$2
set -- $(run "$G" rotate repo --key "$CACHE/old.yaml" --key "$CACHE/new.yaml" -j 2) || exit 1
w2=$1 c2=$2
floor_speed # again: the machine may have changed meanwhile; the better of the two floors
g1=$(floor $((NSS * (ITEMS + 2))) $((NSS * ITEMS)) $((NSOPS * 3)))
g2=$(floor $((NSS * ITEMS)) 0 0)
f1=$(python3 -c "print(min($f1, $g1))")
f2=$(python3 -c "print(min($f2, $g2))")

echo "run 1, everything stale: ${w1} s wall (${c1} s CPU); floor $((NSS * (ITEMS + 2))) private + $((NSS * ITEMS)) public RSA + $((NSOPS * 3)) X25519 = ${f1} s"
echo "run 2, everything current: ${w2} s wall (${c2} s CPU); floor $((NSS * ITEMS)) private RSA = ${f2} s"
echo "ratio: rotate stale / floor = $(python3 -c "print('%.2f' % ($w1 / $f1))") (goal <= 1.3)"
echo "ratio: rotate current / floor = $(python3 -c "print('%.2f' % ($w2 / $f2))") (goal <= 1.3)"
