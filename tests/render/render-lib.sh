# Helpers for tests/render/t*.sh (sourced after tests/lib.sh): the render-run driver, the pinned
# renderers (make deps: tests/render/install-tools.sh) and loopback servers that stop at exit.
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
RR=$O/tests/render/render-run
HELM3=$TOOLS/helm3/helm
HELM4=$TOOLS/helm4/helm
KUBECTL=$TOOLS/kubectl/kubectl
REPO=$FIXTURES/config-repo
# the tests' own in-memory directory for private dirs and staged copies: must be empty afterwards
SHM=$(mktemp -d /dev/shm/gitseal-rtest.XXXXXX)
export TOOLS RR HELM3 HELM4 KUBECTL REPO SHM
_r_pids=
trap 'for p in $_r_pids; do kill "$p" 2>/dev/null; done; rm -rf "$TMP" "$SHM"' EXIT

have_tools() { [ -x "$HELM3" ] && [ -x "$HELM4" ] && [ -x "$KUBECTL" ]; }
# rr ARGS...: render-run with the tests' tmpdir and kubectl
rr() { "$RR" --tmpdir "$SHM" --kubectl "$KUBECTL" "$@"; }
# shm_empty: nothing left behind in the tests' in-memory directory
shm_empty() { [ -z "$(ls -A "$SHM")" ] || { echo "left in $SHM:"; find "$SHM" | head; return 1; }; }
# ro_copy DIR: a read-only copy of the fixture repository (the revision tree is immutable)
ro_copy() { rm -rf "$1" && cp -r "$REPO" "$1" && chmod -R a-w "$1"; }
# tree_sum DIR: one checksum over every path, mode and content
tree_sum() { (cd "$1" && find . -printf '%p %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 cat) | sha256sum; }
# free_port: a loopback port nobody listens on now
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port PORT: until something accepts there (5 s)
wait_port() {
	for _i in $(seq 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1"; return 1
}
# bg CMD...: start a server for the rest of the script
bg() { "$@" & _r_pids="$_r_pids $!"; }
# stall_server: a server that accepts connections and never answers; its port in $STALL_PORT
# (not in a subshell: the server is stopped at exit)
stall_server() {
	STALL_PORT=$(free_port)
	bg python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$STALL_PORT" > /dev/null 2>&1
	wait_port "$STALL_PORT"
}
