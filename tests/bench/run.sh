#!/bin/sh
# make bench: every tests/bench/b*.sh, each printing its figures and ratio lines
# ("ratio: <what> = <x>  (goal ...)"). Run on an otherwise idle machine.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
export O=${O:-build/release} GS_TOP="$TOP"
rc=0
for b in tests/bench/b*.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	sh "$b" || rc=1
done
exit $rc
