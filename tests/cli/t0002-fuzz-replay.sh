#!/bin/sh
# Replays every fuzz corpus (tests/fuzz/corpus/<name>/) through its target built
# with a plain main() ($O/tests/fuzz/<name>-replay, made by `make test`), so an
# input that once crashed stays fixed. `make fuzz` runs the real fuzzers.
. "$(dirname "$0")/../lib.sh"

for src in "$TOP"/tests/fuzz/*_fuzz.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" _fuzz.c)
	bin=$O/tests/fuzz/$name-replay
	corpus=$TOP/tests/fuzz/corpus/$name
	t_expect "fuzz corpus '$name' replays cleanly" '
		{ [ -x "$bin" ] || { echo "$bin is missing: run make test"; false; }; } &&
		{ [ -n "$(ls "$corpus" 2>/dev/null)" ] || { echo "no seeds in $corpus"; false; }; } &&
		"$bin" "$corpus" > log 2>&1 || { tail -n 40 log; false; }'
done
t_done
