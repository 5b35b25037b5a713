#!/bin/sh
# lib/doc: parse and emit a 3 MiB, 20 000-value YAML; libyaml's bare event
# parse of the same text is the floor (the doc tree is built on it).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
D=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-bench-doc.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
PKGS="libsodium openssl yaml-0.1 libcurl libgit2"
${CC:-cc} -O2 -I"$TOP" -I"$TOP/lib" $(pkg-config --cflags $PKGS) -o "$D/doc_bench" "$TOP/tests/bench/doc_bench.c" \
	"$O/libgitseal.a" $(pkg-config --libs $PKGS) -lpthread -lm || exit 1
"$D/doc_bench" "${DOC_BENCH_RUNS:-10}"
