#!/bin/sh
# A burst of Applications on one worker: while others wait in the queue, status writes and Events
# wait behind the applies (controller/application/posts.c); every Application still ends Ready
# with its status and its ReconciliationSucceeded Event, each written once it is its turn.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application burst" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6407-sys-$ID
NS=t6407-$ID
N=12
export KNS NS ID N
app_git_start

t_expect "$N Applications of one repository, one worker: all Ready, objects applied" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	i=0 && while [ $i -lt $N ]; do
		printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm$i}\ndata: {v: \"$i\"}\n" | repo_write cfg a$i/cm.yaml || exit 1
		i=$((i + 1))
	done && repo_push cfg init > /dev/null &&
	i=0 && while [ $i -lt $N ]; do
		printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: a$i, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: a$i}\n  destination: {namespace: $NS}\n  syncPolicy: {automated: {prune: true}}\n  interval: 1m\n" | app_put $NS a$i || exit 1
		i=$((i + 1))
	done &&
	ctl_app c1 --app-workers 1 &&
	i=0 && while [ $i -lt $N ]; do
		wait_for "app_ready $NS a$i" 60 || exit 1
		[ "$(obj /api/v1/namespaces/$NS/configmaps/cm$i "d[\"data\"][\"v\"]")" = $i ] || exit 1
		i=$((i + 1))
	done'

t_expect "each status names its revision; each has its Event; some of both waited (the metric)" '
	i=0 && while [ $i -lt $N ]; do
		app_py $NS a$i "d[\"status\"][\"sync\"][\"revision\"]" | grep -qx "[0-9a-f]\{40\}" || exit 1
		wait_for "app_events $NS a$i | grep -q ReconciliationSucceeded" 20 || exit 1
		i=$((i + 1))
	done &&
	! grep -q "cannot write" $TMP/c1.log &&
	curl -sf http://127.0.0.1:$(cat $TMP/c1.mport)/metrics > m.txt &&
	grep "^gitseal_app_posts_deferred_total" m.txt &&
	grep -q "^gitseal_app_posts_deferred_total{kind=\"status\"} [1-9]" m.txt &&
	grep -q "^gitseal_app_posts_deferred_total{kind=\"event\"} [1-9]" m.txt'

t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
