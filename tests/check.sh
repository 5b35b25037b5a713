#!/bin/sh
# make check: the rules of HACKING.md ("Include rules") that a grep can hold, each
# failure as "file:line: what". Exit 0 when clean, 1 when not.
#   - include rules: which folder may include which outside library, which module
#     may include which (lower never includes upper), _int.h headers stay in
#     their folder, cli/ and controller/ and the reconcilers keep apart;
#   - banned functions (a trailing /* check:allow */ comment allows one line);
#   - clang-format --dry-run --Werror (Debian's clang-format 14, .clang-format)
#     on every .c/.h of the work tree except those listed in tests/format-pending.txt
#     (make format formats them all and removes the list); FORMAT_CHECK=0 skips it.
# tests/ may include anything; the banned list and formatting apply there too.
# Files: tracked and untracked but not ignored (git ls-files -co --exclude-standard), or
# a find outside a git tree; CHECK_ROOT=dir checks another tree, CHECK_ONLY="f.c g.h"
# only those files (an editor's save hook).
set -u
ROOT=${CHECK_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2
FORMAT_CHECK=${FORMAT_CHECK:-1}
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-check.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -- '*.c' '*.h' > "$TMP/files"
else
	find . \( -path ./build -o -path ./tests/peers/node_modules -o -name '.*' -a ! -name . \) -prune -o \
		-type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | LC_ALL=C sort > "$TMP/files"
fi
# only files that are there (a deleted file may still be listed by git)
while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done < "$TMP/files" > "$TMP/present"
# CHECK_ONLY="a.c b.h": check only these (the whole tree still resolves includes)
if [ -n "${CHECK_ONLY:-}" ]; then
	printf '%s\n' $CHECK_ONLY | grep -xF -f "$TMP/present" > "$TMP/scan" || :
else
	cp "$TMP/present" "$TMP/scan"
fi

fail=0

# --- include rules and banned functions: one awk pass over every file ------------------
# shellcheck disable=SC2046
if [ -s "$TMP/scan" ]; then
	awk -v TREE="$TMP/present" '
	BEGIN {
		while ((getline f < TREE) > 0)
			tree[f] = 1
		nban = split("strcpy strcat strncpy strncat sprintf vsprintf gets strtok atoi atol atoll " \
		             "gmtime localtime ctime asctime mktemp tmpnam", ban, " ")
		why["strcpy"] = why["strcat"] = why["strncpy"] = why["strncat"] = "use struct buf (buf_add/buf_adds) or memcpy with a length"
		why["sprintf"] = why["vsprintf"] = "use snprintf or buf_addf"
		why["gets"] = "use fgets or file_read"
		why["strtok"] = "not reentrant: use strtok_r or strcspn/strspn"
		why["atoi"] = why["atol"] = why["atoll"] = "no error checking: use strtol/strtoll with an end pointer"
		why["gmtime"] = why["localtime"] = why["ctime"] = why["asctime"] = "not thread-safe: use the _r variant"
		why["mktemp"] = why["tmpnam"] = "racy: use mkstemp or mkdtemp"
	}
	function dirname(p,   i) {
		for (i = length(p); i > 0 && substr(p, i, 1) != "/"; i--)
			;
		return i ? substr(p, 1, i - 1) : "."
	}
	# a/b/../c -> a/c, ./x -> x
	function normalize(p,   n, parts, out, k, i) {
		n = split(p, parts, "/")
		k = 0
		for (i = 1; i <= n; i++) {
			if (parts[i] == "." || parts[i] == "")
				continue
			if (parts[i] == ".." && k > 0 && out[k] != "..") {
				k--
				continue
			}
			out[++k] = parts[i]
		}
		p = ""
		for (i = 1; i <= k; i++)
			p = p (i > 1 ? "/" : "") out[i]
		return p
	}
	# where a quoted include lands with -I. -Ilib: the including file'"'"'s folder, the
	# root, lib/; a header that is nowhere (yet) counts as root-relative when it has
	# a folder in its name, else as a neighbour of the includer
	function resolve(name, dir,   p, q) {
		p = normalize(dir "/" name)
		if ((p in tree) || name ~ /^\.\.?\//)
			return p
		q = normalize(name)
		if (q in tree) return q
		if (("lib/" q) in tree) return "lib/" q
		if (name ~ /\//)
			return name ~ /^(core|doc|net|kube|source|render|decrypt|apply|inventory|udiff)\// ? "lib/" q : q
		return p
	}
	# the module a path belongs to: lib/core, lib/doc, sealer, keys, cli, controller, tests...
	function module(p) {
		if (p ~ /^lib\/[^\/]+\//) { split(p, a, "/"); return "lib/" a[2] }
		if (p ~ /^(sealer|keys|cli|controller|tests)\//) { split(p, a, "/"); return a[1] }
		return ""
	}
	function report(msg) {
		printf "%s:%d: %s\n", FILENAME, FNR, msg
		bad = 1
	}
	FNR == 1 {
		in_comment = 0
		file = FILENAME
		dir = dirname(file)
		mod = module(file)
		istest = file ~ /^tests\//
	}
	{
		line = $0
		# --- includes (read from the raw line: a path is a string) ---
		if (!in_comment && match(line, /^[ \t]*#[ \t]*include[ \t]*[<"][^>"]*[>"]/)) {
			inc = substr(line, RSTART, RLENGTH)
			sub(/^[ \t]*#[ \t]*include[ \t]*/, "", inc)
			angle = substr(inc, 1, 1) == "<"
			name = substr(inc, 2, length(inc) - 2)
			if (!istest)
				check_include(name, angle)
		}
		# --- banned calls, outside comments and string literals ---
		code = ""
		rest = line
		while (rest != "") {
			if (in_comment) {
				if ((i = index(rest, "*/")) == 0) { rest = ""; break }
				rest = substr(rest, i + 2)
				in_comment = 0
				code = code " "
				continue
			}
			if (match(rest, /\/\*|\/\/|"|'"'"'/) == 0) { code = code rest; break }
			code = code substr(rest, 1, RSTART - 1)
			tok = substr(rest, RSTART, RLENGTH)
			rest = substr(rest, RSTART + RLENGTH)
			if (tok == "/*") { in_comment = 1; continue }
			if (tok == "//") { rest = ""; break }
			# skip a string or character literal, escapes included
			while (rest != "" && substr(rest, 1, 1) != tok) {
				if (substr(rest, 1, 1) == "\\") rest = substr(rest, 2)
				rest = substr(rest, 2)
			}
			rest = substr(rest, 2)
			code = code " "
		}
		if (line ~ /\/\*[ \t]*check:allow[ \t]*\*\/[ \t]*$/)
			next
		for (b = 1; b <= nban; b++)
			if (match(code, "(^|[^A-Za-z0-9_.>])" ban[b] "[ \t]*\\("))
				report("banned function " ban[b] "(): " why[ban[b]] " (or end the line with /* check:allow */)")
	}
	function allowed_lib(lib, where) {
		# the one folder (or file set) that may include an outside library
		return where ~ lib
	}
	function check_include(name, angle,   target, tmod, tdir, rec, trec) {
		if (angle) {
			if (name == "yaml.h" && file !~ /^lib\/doc\//)
				report("<yaml.h> is included only in lib/doc (use doc/doc.h)")
			else if (name ~ /^curl\// && file !~ /^lib\/net\//)
				report("<" name "> is included only in lib/net (use net/net.h)")
			else if ((name == "git2.h" || name ~ /^git2\//) && file !~ /^lib\/source\//)
				report("<" name "> is included only in lib/source")
			else if (name == "microhttpd.h" && file !~ /^controller\/runtime\//)
				report("<microhttpd.h> is included only in controller/runtime")
			else if (name ~ /^openssl\// && file !~ /^(sealer|keys)\// &&
			         file !~ /^lib\/core\/(crypto[^\/]*|error_openssl)\.[ch]$/)
				report("<" name "> is included only in sealer/, keys/ and lib/core/crypto*, error_openssl.c (use core/crypto.h)")
			return
		}
		target = resolve(name, dir)
		tmod = module(target)
		tdir = dirname(target)
		if (target ~ /_int\.h$/ && index(dir "/", tdir "/") != 1)
			report("\"" name "\" is private to " tdir "/ (an _int.h is included only inside its folder)")
		if (mod == "cli" && tmod == "controller")
			report("cli/ includes controller/ (\"" name "\"): what both need belongs in lib/")
		if (mod == "controller" && tmod == "cli")
			report("controller/ includes cli/ (\"" name "\"): what both need belongs in lib/")
		if (mod == "controller" && file ~ /^controller\/[^\/]+\// && target ~ /^controller\/[^\/]+\//) {
			split(file, fa, "/"); rec = fa[2]
			split(target, ta, "/"); trec = ta[2]
			if (rec != trec && trec != "runtime") {
				if (rec == "runtime")
					report("controller/runtime/ includes the reconciler controller/" trec "/ (\"" name "\"): the runtime is below every reconciler")
				else
					report("controller/" rec "/ includes controller/" trec "/ (\"" name "\"): a reconciler never includes another")
			}
		}
		if (mod ~ /^lib\// && (tmod == "cli" || tmod == "controller"))
			report(mod "/ includes " tmod "/ (\"" name "\"): lib/ never includes cli/ or controller/")
		else if (tmod != "" && (mod in below) && tmod != mod && index(below[mod], " " tmod " ") == 0)
			report(mod "/ includes " tmod "/ (\"" name "\"): " mod " may include only" below[mod] "(lower never includes upper)")
	}
	BEGIN {
		# what each lower module may include besides itself: core <- doc <- sealer <- keys; doc, net <- kube
		below["lib/core"] = " "
		below["lib/doc"] = " lib/core "
		below["lib/net"] = " lib/core "
		below["lib/kube"] = " lib/core lib/doc lib/net "
		below["sealer"] = " lib/core lib/doc "
		below["keys"] = " lib/core lib/doc sealer "
		below["lib/udiff"] = " lib/core lib/doc "
	}
	END { exit bad }
	' $(cat "$TMP/scan") || fail=1
fi

# --- formatting ------------------------------------------------------------------------
if [ "$FORMAT_CHECK" != 0 ]; then
	if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
		echo "check: $CLANG_FORMAT not found (apt-get install clang-format), or FORMAT_CHECK=0" >&2
		fail=1
	else
		pending=tests/format-pending.txt
		if [ -f "$pending" ]; then
			grep -v '^#' "$pending" | grep -vxF -f - "$TMP/scan" > "$TMP/format" || true
		else
			cp "$TMP/scan" "$TMP/format"
		fi
		# shellcheck disable=SC2046
		if [ -s "$TMP/format" ] &&
			! "$CLANG_FORMAT" --dry-run --Werror --ferror-limit=3 $(cat "$TMP/format") > "$TMP/fmt.log" 2>&1; then
			grep -E '^[^ ]+:[0-9]+:[0-9]+: error' "$TMP/fmt.log" |
				sed 's/: error: code should be clang-formatted.*/: not formatted as .clang-format says (make format)/'
			grep -qE '^[^ ]+:[0-9]+:[0-9]+: error' "$TMP/fmt.log" || cat "$TMP/fmt.log"
			fail=1
		fi
	fi
fi

[ "$fail" = 0 ] && echo "check: ok ($(wc -l < "$TMP/scan") files)"
exit $fail
