#!/bin/sh
# make check (tests/check.sh) on a copy of the tree: a tree without violations passes, and one
# violation of each rule, planted in the copy, makes it fail naming the file, the line and the
# rule. Violations already in the tree (owners are fixing them) are the baseline: a planted
# one must add exactly its own message to it.
. "$(dirname "$0")/../lib.sh"

CHECK="sh tests/check.sh"

if ! git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	t_skip "make check on a copy of the tree" "$TOP is not a git work tree"
	t_done
	exit
fi
mkdir "$TMP/tree" &&
	(cd "$TOP" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$TMP/tree") &&
	(cd "$TMP/tree" && git init -q && git add -A && git -c user.email=t@example.com -c user.name=t commit -qm tree) ||
	exit 1

# run check in the copy: FORMAT_CHECK as given (default 0: formatting has its own tests)
run_check() {
	(cd "$TMP/tree" && FORMAT_CHECK=${FORMAT_CHECK:-0} CHECK_ONLY=${CHECK_ONLY:-} $CHECK) > "$TMP/out" 2>&1
	echo $? > "$TMP/rc"
}
baseline() {
	FORMAT_CHECK=0 run_check
	grep -v '^check: ok' "$TMP/out" > "$TMP/base" || :
}
# plant FILE LINE...: append the lines to FILE in the copy (created if new), check that file
# (CHECK_ONLY: the rest of the tree is the baseline's), undo
plant() {
	_f=$1
	shift
	_new=0
	[ -e "$TMP/tree/$_f" ] || _new=1
	mkdir -p "$TMP/tree/$(dirname "$_f")" &&
		printf '%s\n' "$@" >> "$TMP/tree/$_f" && CHECK_ONLY=$_f run_check
	if [ $_new = 1 ]; then rm -f "$TMP/tree/$_f"; else (cd "$TMP/tree" && git checkout -q -- "$_f"); fi
}
# reports WANT...: check failed (exit 1) and added exactly these lines to the baseline
reports() {
	[ "$(cat "$TMP/rc")" = 1 ] || { echo "exit $(cat "$TMP/rc"), expected 1"; cat "$TMP/out"; return 1; }
	printf '%s\n' "$@" > "$TMP/want"
	grep -vxF -f "$TMP/base" "$TMP/out" > "$TMP/added" || :
	# each wanted text is a prefix of one added line, and nothing else was added
	_n=0
	while IFS= read -r _w; do
		grep -qF -- "$_w" "$TMP/added" || { echo "missing: $_w"; echo "got:"; cat "$TMP/added"; return 1; }
		_n=$((_n + 1))
	done < "$TMP/want"
	[ "$(wc -l < "$TMP/added")" -eq "$_n" ] || { echo "more than expected:"; cat "$TMP/added"; return 1; }
}
# passes: same output as the baseline (no new message)
passes() {
	grep -vxF -f "$TMP/base" "$TMP/out" | grep -v '^check: ok' > "$TMP/added"
	[ ! -s "$TMP/added" ] || { echo "unexpected:"; cat "$TMP/added"; return 1; }
}

baseline
t_expect "a tree without violations passes, with exit 0 (files that break a rule today left out)" '
	cp -R "$TMP/tree" clean &&
	sed -n "s/^\([^:]*\):[0-9]*:.*/\1/p" "$TMP/base" | sort -u > dirty &&
	(cd clean && xargs rm -f < ../dirty) &&
	(cd clean && FORMAT_CHECK=1 sh tests/check.sh) > out 2>&1 && contains out "check: ok" &&
	{ [ ! -s dirty ] || { echo "# left out, not clean yet:"; cat dirty; }; }'
t_expect "outside libraries: each only in the folder that owns it" '
	plant lib/kube/plant.c "#include <yaml.h>" &&
	reports "lib/kube/plant.c:1: <yaml.h> is included only in lib/doc" &&
	plant lib/kube/plant.c "#include <stdio.h>" "#include <curl/curl.h>" &&
	reports "lib/kube/plant.c:2: <curl/curl.h> is included only in lib/net" &&
	plant lib/render/plant.c "#include <git2.h>" &&
	reports "lib/render/plant.c:1: <git2.h> is included only in lib/source" &&
	plant controller/sealedsecret/plant.c "#include <microhttpd.h>" &&
	reports "controller/sealedsecret/plant.c:1: <microhttpd.h> is included only in controller/runtime" &&
	plant lib/core/plant.c "#include <openssl/evp.h>" &&
	reports "lib/core/plant.c:1: <openssl/evp.h> is included only in sealer/, keys/ and lib/core/crypto" &&
	plant cli/plant.c "  #  include <openssl/hmac.h>" &&
	reports "cli/plant.c:1: <openssl/hmac.h> is included only in sealer/" &&
	plant lib/core/crypto_more.c "#include <openssl/evp.h>" && passes &&
	plant lib/doc/plant.c "#include <yaml.h>" && passes &&
	plant controller/runtime/plant.c "#include <microhttpd.h>" && passes &&
	plant lib/source/plant.c "#include <git2.h>" && passes'
t_expect "cli/ and controller/ never include each other; reconcilers keep apart" '
	plant cli/plant.c "#include \"controller/runtime/runtime.h\"" &&
	reports "cli/plant.c:1: cli/ includes controller/" &&
	plant controller/plant.c "#include \"cli/cli.h\"" &&
	reports "controller/plant.c:1: controller/ includes cli/" &&
	plant controller/application/plant.c "#include \"controller/sealedsecret/sealedsecret.h\"" &&
	reports "controller/application/plant.c:1: controller/application/ includes controller/sealedsecret/" &&
	plant controller/sealedsecret/plant.c "#include \"../application/app_int.h\"" &&
	reports "controller/sealedsecret/plant.c:1: controller/sealedsecret/ includes controller/application/" \
		"controller/sealedsecret/plant.c:1: \"../application/app_int.h\" is private to controller/application/" &&
	plant controller/runtime/plant.c "#include \"controller/application/application.h\"" &&
	reports "controller/runtime/plant.c:1: controller/runtime/ includes the reconciler controller/application/" &&
	plant controller/application/plant.c "#include \"controller/runtime/runtime.h\"" && passes &&
	plant controller/main.c "#include \"controller/sealedsecret/sealedsecret.h\"" && passes'
t_expect "an _int.h is included only inside its folder" '
	plant lib/kube/plant.c "#include \"doc/doc_int.h\"" &&
	reports "lib/kube/plant.c:1: \"doc/doc_int.h\" is private to lib/doc/" &&
	plant sealer/age/plant.c "#include \"sealer/sops/sops_int.h\"" &&
	reports "sealer/age/plant.c:1: \"sealer/sops/sops_int.h\" is private to sealer/sops/" &&
	plant lib/doc/plant.c "#include \"doc_int.h\"" && passes &&
	plant lib/doc/plant.c "#include \"doc/doc_int.h\"" && passes'
t_expect "lower never includes upper: core <- doc <- sealer <- keys; doc, net <- kube; lib/ never cli/, controller/" '
	plant lib/core/plant.c "#include \"doc/doc.h\"" &&
	reports "lib/core/plant.c:1: lib/core/ includes lib/doc/" &&
	plant lib/doc/plant.c "#include \"kube/kube.h\"" &&
	reports "lib/doc/plant.c:1: lib/doc/ includes lib/kube/" &&
	plant lib/net/plant.c "#include \"doc/doc.h\"" &&
	reports "lib/net/plant.c:1: lib/net/ includes lib/doc/" &&
	plant sealer/sops/plant.c "#include \"keys/keys.h\"" &&
	reports "sealer/sops/plant.c:1: sealer/ includes keys/" &&
	plant sealer/plant.c "#include \"net/net.h\"" &&
	reports "sealer/plant.c:1: sealer/ includes lib/net/" &&
	plant keys/plant.c "#include \"kube/kube.h\"" &&
	reports "keys/plant.c:1: keys/ includes lib/kube/" &&
	plant lib/kube/plant.c "#include \"sealer/sealed/sealed.h\"" &&
	reports "lib/kube/plant.c:1: lib/kube/ includes sealer/" &&
	plant lib/source/plant.c "#include \"cli/cli.h\"" &&
	reports "lib/source/plant.c:1: lib/source/ includes cli/" &&
	plant lib/render/plant.c "#include \"controller/runtime/runtime.h\"" &&
	reports "lib/render/plant.c:1: lib/render/ includes controller/" &&
	plant lib/kube/plant.c "#include \"core/buf.h\"" "#include \"doc/doc.h\"" "#include \"net/net.h\"" && passes &&
	plant keys/plant.c "#include \"sealer/sealed/sealed.h\"" "#include \"doc/doc.h\"" && passes'
t_expect "banned functions are named with the line; comments, strings and check:allow are fine" '
	plant lib/core/plant.c "void f(char *d, const char *s)" "{" "	strcpy(d, s);" "	strcat(d, s);" \
		"	strncpy(d, s, 1);" "	strncat(d, s, 1);" "	sprintf(d, \"%s\", s);" "	vsprintf(d, s, 0);" \
		"	gets(d);" "	strtok(d, s);" "	(void)atoi(s);" "	(void)atol (s);" "	(void)atoll(s);" \
		"	gmtime(0);" "	localtime(0);" "	ctime(0);" "	asctime(0);" "	mktemp(d);" "	tmpnam(d);" "}" &&
	reports "lib/core/plant.c:3: banned function strcpy()" "lib/core/plant.c:4: banned function strcat()" \
		"lib/core/plant.c:5: banned function strncpy()" "lib/core/plant.c:6: banned function strncat()" \
		"lib/core/plant.c:7: banned function sprintf()" "lib/core/plant.c:8: banned function vsprintf()" \
		"lib/core/plant.c:9: banned function gets()" "lib/core/plant.c:10: banned function strtok()" \
		"lib/core/plant.c:11: banned function atoi()" "lib/core/plant.c:12: banned function atol()" \
		"lib/core/plant.c:13: banned function atoll()" "lib/core/plant.c:14: banned function gmtime()" \
		"lib/core/plant.c:15: banned function localtime()" "lib/core/plant.c:16: banned function ctime()" \
		"lib/core/plant.c:17: banned function asctime()" "lib/core/plant.c:18: banned function mktemp()" \
		"lib/core/plant.c:19: banned function tmpnam()" &&
	plant tests/unit/plant.c "	sprintf(d, \"x\");" && reports "tests/unit/plant.c:1: banned function sprintf()" &&
	plant lib/core/plant.c "	strcpy(d, s); /* check:allow */" "/* strcpy(d, s) in a comment */" \
		"/*" " * sprintf(d, s) in a block comment" " */" "	f(\"strcpy(d, s)\", '"'"'('"'"');" \
		"	snprintf(d, 1, \"x\"); strtok_r(d, s, &p); gmtime_r(0, 0); my_atoi(s); x.gets(); p->atol(s);" &&
	passes'
t_expect "tests/ may include anything" '
	plant tests/unit/plant.c "#include <yaml.h>" "#include <openssl/evp.h>" "#include \"doc/doc_int.h\"" \
		"#include \"controller/sealedsecret/sealedsecret.h\"" "#include \"cli/cli.h\"" && passes'
t_expect "clang-format: an unformatted file is named, FORMAT_CHECK=0 skips it, make format fixes it" '
	printf "int  f( int x ){return x;}\n" > "$TMP/tree/lib/core/plant_fmt.c" &&
	FORMAT_CHECK=1 run_check && reports "lib/core/plant_fmt.c:1:" &&
	contains "$TMP/out" "not formatted as .clang-format says (make format)" &&
	FORMAT_CHECK=0 run_check && passes &&
	(cd "$TMP/tree" && unset MAKEFLAGS MFLAGS MAKELEVEL && make -s format) && test ! -e "$TMP/tree/tests/format-pending.txt" &&
	contains "$TMP/tree/lib/core/plant_fmt.c" "int f(int x)" &&
	(cd "$TMP/tree" && FORMAT_CHECK=1 $CHECK) > fmt.out 2>&1; ! grep -q "not formatted" fmt.out &&
	(cd "$TMP/tree" && git checkout -q -- . && rm -f lib/core/plant_fmt.c)'
t_expect "make check runs it; outside a git tree the files are found all the same" '
	want=0 && { [ ! -s "$TMP/base" ] || want=2; } &&
	{ (cd "$TMP/tree" && unset MAKEFLAGS MFLAGS MAKELEVEL && FORMAT_CHECK=0 make -s check) > mk.out 2>&1;
	  test $? = $want; } &&
	{ grep -vxF -f "$TMP/base" mk.out | grep -v "^check: ok" | grep -v "^make\(\[[0-9]*\]\)\?: \*\*\*" > extra || :; } &&
	test ! -s extra &&
	cp -R "$TMP/tree" nogit && rm -rf nogit/.git &&
	{ (cd nogit && FORMAT_CHECK=0 sh tests/check.sh) > nogit.out 2>&1 || :; } &&
	grep -v "^check: ok" nogit.out | cmp - "$TMP/base"'
t_done
