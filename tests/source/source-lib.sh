# Sourced by tests/source/t*.sh after tests/lib.sh: gs-source and the Git servers.
#
#   $GS   the gs-source tool (tests/source/gs_source.c, built by make test)
#   src   gs-source with the test's cache ($TMP/cache) and a 5 s deadline: src --url U [--rev R] ...
#   field NAME FILE   the value of NAME=... on the first line of FILE that has it
#   no_leftovers      no ssh, ssh-agent or private directory of ours is left behind
GS=${GS:-$O/gs-source}
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$TOP/tests/git/servers.sh"

_src_cleanup() {
	gs_servers_stop
	rm -rf "$TMP"
}
trap _src_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE # `sh t7000-*.sh | head` must still stop the servers

# the ssh tools' private directories go here, so that a test can see they are removed
XDG_RUNTIME_DIR=$TMP/xdg-run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR GS

src() { timeout 60 "$GS" --cache "$TMP/cache" --timeout 5000 "$@"; }

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | head -n 1; }

no_leftovers() {
	_left=$(ls -A "$XDG_RUNTIME_DIR")
	[ -z "$_left" ] || { echo "left in XDG_RUNTIME_DIR: $_left"; return 1; }
	# children of gs-source are reaped before it exits: none may still run with our directory
	if ps -eo args | grep -v grep | grep -q "$XDG_RUNTIME_DIR"; then
		echo "still running:"; ps -eo pid,args | grep -v grep | grep "$XDG_RUNTIME_DIR"; return 1
	fi
	return 0
}

src_need() { # src_need: gs-source is built
	[ -x "$GS" ] || { t_expect "gs-source is built (make test builds it)" 'false'; t_done; exit; }
}
