#!/bin/sh
# make fuzz: build every tests/fuzz/<name>_fuzz.c with libFuzzer + ASan + UBSan
# (clang) against the library, and run it FUZZ_SECONDS (default 15) on a copy of
# tests/fuzz/corpus/<name>/ (new inputs stay in build/fuzz, committed seeds stay
# small). Crashes are saved as build/fuzz/<name>/crash-*: copy a fixed one into
# the corpus so that `make test` replays it. FUZZ=name runs one target.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
OUT=${FUZZ_O:-build/fuzz} # FUZZ_O=build/fuzz-<you> when others fuzz at the same time
SECONDS_EACH=${FUZZ_SECONDS:-15}
CLANG=${CLANG:-clang}
PKGS=${PKGS:-"libsodium openssl yaml-0.1 libcurl libgit2 libmicrohttpd libpcre2-8"} # the Makefile passes its own list
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

command -v "$CLANG" >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }
# the library once, instrumented for coverage
make -s -j2 O=$OUT CC="$CLANG" SAN=1 CFLAGS="-fsanitize=fuzzer-no-link" $OUT/libgitseal.a || exit 1
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
fail=0
for src in tests/fuzz/*_fuzz.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" _fuzz.c)
	[ -n "${FUZZ:-}" ] && [ "$FUZZ" != "$name" ] && continue
	dir=$OUT/$name
	mkdir -p "$dir/corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -R "tests/fuzz/corpus/$name/." "$dir/corpus/"
	echo "  FUZZ    $name (${SECONDS_EACH}s)"
	if ! $CLANG -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer $FLAGS -I. -Ilib \
		$(pkg-config --cflags $PKGS) -o "$dir/fuzzer" "$src" $OUT/libgitseal.a $LIBS; then
		fail=1
		continue
	fi
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=$TOP/tests/fuzz/$name.dict"
	if ! (cd "$dir" && ./fuzzer -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 $dict corpus > log 2>&1); then
		echo "  CRASH   $name: see $dir/log and $dir/crash-*" >&2
		tail -n 30 "$dir/log" >&2
		fail=1
	else
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$dir/log" | tail -n 1 | sed 's/^/          /'
	fi
done
exit $fail
