#!/bin/sh
# The C client (lib/kube) against the real kube-apiserver: tests/kube/*_test.c, built into run-kube.
# tests/run.sh starts the server; run alone, this script starts (and stops) one itself.
# The canned-reply server (tests/kube/canned.py) covers what a real server won't do on demand.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/kube/kube-lib.sh"

kube_need_server || { t_done; exit; }
[ -x "$O/run-kube" ] || { t_expect "run-kube is built (make test builds it)" 'false'; t_done; exit; }

# a local HTTP server with canned replies (429, dropped watch, truncated body), random port
canned_start || { t_expect "canned-reply server starts (python3)" 'false'; t_done; exit; }

# Each C test is one TAP line of run-kube; renumber them into this script's plan.
TMPDIR=$TMP KT_CANNED_URL=$KT_CANNED_URL timeout 900 "$O/run-kube" ${KT_FILTER:-} > "$TMP/run-kube.tap" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) _t_n=$((_t_n + 1)); echo "ok $_t_n - ${line#ok * - }" ;;
	"not ok "*) _t_n=$((_t_n + 1)); _t_fail=$((_t_fail + 1)); echo "not ok $_t_n - ${line#not ok * - }" ;;
	"1.."*) ;;
	*) echo "$line" ;;
	esac
done < "$TMP/run-kube.tap"
if [ $rc -ne 0 ] && [ "$_t_fail" -eq 0 ]; then
	t_expect "run-kube exits 0 (it exited $rc)" 'false'
fi
t_done
