#!/bin/sh
# lib/apply (staged server-side apply, prune, drift, health) against the real kube-apiserver:
# tests/kube/apply/*.c, built into run-kube-apply. tests/run.sh starts the server; run alone,
# this script starts (and stops) one itself.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/kube/kube-lib.sh"

kube_need_server || { t_done; exit; }
[ -x "$O/run-kube-apply" ] || { t_expect "run-kube-apply is built (make test builds it)" 'false'; t_done; exit; }

# Each C test is one TAP line of run-kube-apply; renumber them into this script's plan.
TMPDIR=$TMP timeout 600 "$O/run-kube-apply" ${KT_FILTER:-} > "$TMP/run-kube-apply.tap" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) _t_n=$((_t_n + 1)); echo "ok $_t_n - ${line#ok * - }" ;;
	"not ok "*) _t_n=$((_t_n + 1)); _t_fail=$((_t_fail + 1)); echo "not ok $_t_n - ${line#not ok * - }" ;;
	"1.."*) ;;
	*) echo "$line" ;;
	esac
done < "$TMP/run-kube-apply.tap"
if [ $rc -ne 0 ] && [ "$_t_fail" -eq 0 ]; then
	t_expect "run-kube-apply exits 0 (it exited $rc)" 'false'
fi
t_done
