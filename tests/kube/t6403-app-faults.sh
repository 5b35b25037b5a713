#!/bin/sh
# The reconciler through faults, on the real API server and git daemon: the Git server down
# (retries with backoff, the cluster and the status kept, recovery), the API server restarted
# in the middle of a sync (it completes, nothing wrongly pruned), the controller killed -9 in
# the middle of a sync (the next one resumes from the inventory in the status). A client QPS
# limit makes a sync of a few hundred objects last seconds, so "the middle" is reachable.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server || [ -z "${KUBE_UP_DIR:-}" ]; then
	t_skip "application fault suites" "no API server of tests/kube/up.sh (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6403-sys-$ID
NS=t6403-$ID
export KNS NS ID
CM=/api/v1/namespaces/$NS/configmaps
QPS="--kubeclient-qps 40 --kubeclient-burst 10"
# a Lease that outlives the API server's restart (losing it ends the process, as client-go does)
LEASE="--leader-elect-lease-duration 20s"
app_git_start

t_expect "setup: CRDs, namespaces, 60 ConfigMaps in Git, the controller (40 requests/s)" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	cms cm/a.yaml 60 a && repo_push cfg "a" > $TMP/rev-a && ctl_app c1 $QPS $LEASE &&
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: big, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: cm}\n  destination: {namespace: $NS}\n  syncPolicy: {automated: {prune: true, selfHeal: true}}\n  interval: 2s\n  timeout: 60s\n" |
		app_put $NS big &&
	wait_for "app_ready $NS big" 30 && [ "$(count a)" = 60 ]'

t_expect "the Git server down: ArtifactFailed with retries, the cluster and the applied revision kept" '
	git_down && cms cm/b.yaml 1 b && repo_push cfg "b" > $TMP/rev-b &&
	wait_for "app_cond $NS big Ready | grep -q \"^False ArtifactFailed\"" 20 &&
	app_cond $NS big Ready | grep -q "$GS_GIT_URL/cfg.git" &&
	n1=$(grep -c "application=$NS/big .*stage=source" $TMP/c1.log) && sleep 3 &&
	[ "$(grep -c "application=$NS/big .*stage=source" $TMP/c1.log)" -gt "$n1" ] &&
	[ "$(count a)" = 60 ] && [ "$(count b)" = 0 ] &&
	[ "$(app_py $NS big "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev-a)" ] &&
	[ "$(app_py $NS big "len(d[\"status\"][\"inventory\"][\"entries\"])")" = 60 ]'

t_expect "... and back: the commit made meanwhile is applied, Ready again" '
	git_up && wait_for "[ \"\$(count b)\" = 1 ]" 20 && wait_for "app_ready $NS big" 20 &&
	[ "$(app_py $NS big "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev-b)" ]'

t_expect "the API server restarted in the middle of a sync: it completes, nothing wrongly pruned" '
	cms cm/c.yaml 150 c && repo_push cfg "c" > $TMP/rev-c &&
	wait_for "n=\$(count c) && [ \$n -gt 0 ] && [ \$n -lt 150 ]" 20 &&
	echo "restarting at $(count c) of 150" &&
	sh "$TOP/tests/kube/restart-apiserver.sh" "$KUBE_UP_DIR" 1 &&
	wait_for "[ \"\$(count c)\" = 150 ]" 60 && wait_for "app_ready $NS big" 30 &&
	[ "$(app_py $NS big "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev-c)" ] &&
	[ "$(count a)" = 60 ] && [ "$(count b)" = 1 ] &&
	[ "$(app_py $NS big "len(d[\"status\"][\"inventory\"][\"entries\"])")" = 211 ] &&
	[ "$(app_py $NS big "sum(h[\"pruned\"] for h in d[\"status\"][\"history\"])")" = 0 ] &&
	! grep -q "pruned=[1-9]" $TMP/c1.log'

t_expect "the watches came back after the restart: a hand edit is reverted" '
	echo "{\"data\": {\"i\": \"edited\"}}" > e.json && k PATCH $CM/a-1 e.json application/merge-patch+json > /dev/null &&
	wait_for "[ \"\$(obj $CM/a-1 \"d[\\\"data\\\"][\\\"i\\\"]\")\" = 1 ]" 20'

t_expect "the controller killed -9 in the middle of a sync: the next one resumes, and prunes what left Git" '
	repo_rm cfg cm/c.yaml && cms cm/d.yaml 150 d && repo_push cfg "d, no c" > $TMP/rev-d &&
	wait_for "n=\$(count d) && [ \$n -gt 0 ] && [ \$n -lt 150 ]" 20 &&
	echo "killed at $(count d) of 150" && kill -KILL "$(cat $TMP/c1.pid)" &&
	[ "$(app_py $NS big "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev-c)" ] &&
	ctl_app c2 $QPS &&
	wait_for "[ \"\$(count d)\" = 150 ]" 60 && wait_for "[ \"\$(count c)\" = 0 ]" 30 &&
	wait_for "app_ready $NS big" 30 &&
	[ "$(app_py $NS big "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev-d)" ] &&
	[ "$(count a)" = 60 ] && [ "$(count b)" = 1 ] &&
	[ "$(app_py $NS big "len(d[\"status\"][\"inventory\"][\"entries\"])")" = 211 ]'

t_expect "controller stops cleanly" 'ctl_stop c2'
t_done
