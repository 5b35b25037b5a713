#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"   # run.sh and deps.sh call us with sh
# down.sh [DIR] -- stop what up.sh started in DIR (default: $KUBE_UP_DIR) and remove DIR.
# Only the PIDs listed in DIR/pids are signalled (TERM, then KILL after 10 s), and only if they still
# run the expected program; kube-apiserver is stopped before etcd. Never kills anything by name.
# Set KUBE_DOWN_KEEP=1 to keep DIR (logs, etcd data) after stopping. Messages go to stderr.
# Exit status 0 also when DIR is already gone, so it is safe in traps / teardown hooks.
set -uo pipefail

DIR=${1:-${KUBE_UP_DIR:-}}
[ -n "$DIR" ] || { echo "usage: down.sh DIR (or set KUBE_UP_DIR)" >&2; exit 2; }
[ -d "$DIR" ] || { echo "down.sh: $DIR does not exist" >&2; exit 0; }
[ -f "$DIR/.kube-up" ] || { echo "down.sh: $DIR was not made by up.sh (no .kube-up marker); refusing" >&2; exit 1; }

pids=()
if [ -f "$DIR/pids" ]; then
  # stop kube-apiserver first, then etcd
  while read -r name pid; do
    [ -n "${pid:-}" ] || continue
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$name"; then
      pids=("$pid" "${pids[@]}")
    fi
  done < "$DIR/pids"
fi

for pid in "${pids[@]}"; do
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  echo "down.sh: stopped pid $pid" >&2
done

if [ "${KUBE_DOWN_KEEP:-0}" = 1 ]; then
  rm -f "$DIR/pids"
  echo "down.sh: kept $DIR" >&2
else
  rm -rf -- "$DIR"
  echo "down.sh: removed $DIR" >&2
fi
