#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# restart-apiserver.sh [DIR] [DOWN_SECONDS] -- stop the kube-apiserver that up.sh started in DIR
# (default $KUBE_UP_DIR; the pid from DIR/pids) and start it again with the same command line
# after DOWN_SECONDS (default 0): same port, same certificates, same etcd, so every object and
# resourceVersion survives, as a restart in a real cluster. SIGKILL (no graceful shutdown: the
# clients see the connections break). Waits until /readyz answers; DIR/pids gets the new pid.
# Only that pid is signalled, after checking it still runs kube-apiserver. Messages on stderr.
set -euo pipefail

DIR=${1:-${KUBE_UP_DIR:-}}
DOWN=${2:-0}
[ -n "$DIR" ] && [ -f "$DIR/.kube-up" ] && [ -f "$DIR/pids" ] || {
	echo "restart-apiserver.sh: no up.sh directory (DIR or KUBE_UP_DIR)" >&2; exit 2; }
pid=$(awk '$1 == "kube-apiserver" { print $2 }' "$DIR/pids" | tail -n 1)
[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q kube-apiserver || {
	echo "restart-apiserver.sh: kube-apiserver (pid ${pid:-?}) is not running" >&2; exit 1; }
mapfile -d '' argv < "/proc/$pid/cmdline"
cwd=$(readlink "/proc/$pid/cwd")

kill -KILL "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
sleep "$DOWN"
cd "$cwd"
setsid "${argv[@]}" < /dev/null >> "$DIR/kube-apiserver.log" 2>&1 &
new=$!
sed -i "s/^kube-apiserver $pid\$/kube-apiserver $new/" "$DIR/pids"
for _ in $(seq 1 600); do
	if [ "$(curl -s --max-time 2 --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer ${KUBE_API_TOKEN:-}" \
		"${KUBE_API_URL:-}/readyz" 2>/dev/null)" = ok ]; then
		echo "restart-apiserver.sh: kube-apiserver restarted (pid $new)" >&2
		exit 0
	fi
	kill -0 "$new" 2>/dev/null || { echo "restart-apiserver.sh: kube-apiserver exited" >&2; exit 1; }
	sleep 0.1
done
echo "restart-apiserver.sh: kube-apiserver not ready after 60s" >&2
exit 1
