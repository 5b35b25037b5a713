# Shell test helpers (sourced by tests/{cli,interop,kube}/t*.sh). Prints TAP.
#
#   t_expect "what it shows" 'cmd1 && cmd2 && ...'   passes when the snippet exits 0
#   t_skip "what" "why"                               a skipped test
#   t_peer_missing "what" "peer"                      skipped locally, a failure when CI=true
#   t_done                                            at the end
#
# Snippets run in a subshell with $TMP (fresh per script), $GITSEAL, $CONTROLLER,
# $TOP, $FIXTURES and $PEERS_DIR set. Chain commands with && as git's t/ does.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
CONTROLLER=${CONTROLLER:-$O/gitseal-controller}
FIXTURES=$TOP/tests/fixtures
PEERS_DIR=${PEERS_DIR:-$TOP/tests/peers}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-test.XXXXXX")
export TOP O GITSEAL CONTROLLER FIXTURES PEERS_DIR TMP
trap 'rm -rf "$TMP"' EXIT
_t_n=0
_t_fail=0
_t_name=$(basename "$0" .sh)
_t_only=${RUN:-}

_t_selected() {
	[ -z "$_t_only" ] && return 0
	case ",$_t_only," in *",$_t_n,"*) return 0 ;; esac
	return 1
}

t_expect() {
	_t_n=$((_t_n + 1))
	_t_selected || return 0
	if (cd "$TMP" && eval "$2") > "$TMP/.out" 2>&1; then
		echo "ok $_t_n - $_t_name: $1"
		[ -n "${VERBOSE:-}" ] && sed 's/^/#   /' "$TMP/.out"
	else
		echo "not ok $_t_n - $_t_name: $1"
		sed 's/^/#   /' "$TMP/.out" | tail -n 40
		_t_fail=$((_t_fail + 1))
	fi
	return 0
}

t_skip() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $_t_name: $1 # SKIP $2"
}

t_peer_missing() {
	_t_n=$((_t_n + 1))
	if [ "${CI:-}" = true ]; then
		echo "not ok $_t_n - $_t_name: $1 (peer $2 is not installed: run 'make deps')"
		_t_fail=$((_t_fail + 1))
	else
		echo "ok $_t_n - $_t_name: $1 # SKIP peer $2 not installed"
	fi
}

t_done() {
	echo "1..$_t_n"
	[ "$_t_fail" -eq 0 ]
}

# helpers for snippets
fails_with() { # fails_with CODE cmd...: the command must exit with exactly CODE
	_want=$1; shift
	"$@"; _got=$?
	[ "$_got" -eq "$_want" ] || { echo "exit $_got, expected $_want"; return 1; }
}
contains() { # contains FILE STRING
	grep -qF -- "$2" "$1" || { echo "'$1' does not contain '$2':"; head -c 2000 "$1"; return 1; }
}
have_peer() { # have_peer NAME: npm package installed under $PEERS_DIR, or a command
	case $1 in
	age | age-keygen | openssl | kubectl | helm) command -v "$1" >/dev/null 2>&1 ;;
	*) [ -d "$PEERS_DIR/node_modules/$1" ] ;;
	esac
}
flip_byte() { # flip_byte FILE OFFSET: xor one byte with 1, so the file always changes
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$_b" ] || { echo "flip_byte: $1 has no byte at $2"; return 1; }
	printf "\\$(printf %03o $(( (_b ^ 1) & 255 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
