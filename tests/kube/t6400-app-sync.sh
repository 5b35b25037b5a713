#!/bin/sh
# The Application reconciler against the real API server and a real git daemon: plain YAML
# with prune + selfHeal, the status contract (conditions, sync, health, inventory, history),
# a hand edit reverted from the watch, a field removed from Git removed from the cluster, a
# deleted file pruned, Events and metrics, a broken commit (nothing applied, nothing pruned,
# Ready=False with the reason) and the recovery, the steady state (no render, no apply).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6400-sys-$ID
NS=t6400-$ID
export KNS NS
CM=/api/v1/namespaces/$NS/configmaps
DEP=/apis/apps/v1/namespaces/$NS/deployments
app_git_start

t_expect "setup: CRDs, namespaces, a repository with plain manifests" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	repo_write cfg apps/web/cm.yaml <<-EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: web-cfg}
	data: {mode: prod, extra: "yes"}
	EOF
	repo_write cfg apps/web/deploy.yaml <<-EOF &&
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web}
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec: {containers: [{name: web, image: nginx:1.25}]}
	EOF
	repo_write cfg apps/web/sa.yaml <<-EOF &&
	apiVersion: v1
	kind: ServiceAccount
	metadata: {name: web, namespace: '$NS'}
	EOF
	repo_push cfg "web" > "$TMP/rev1"'
git_url() { echo "$GS_GIT_URL/cfg.git"; }

t_expect "controller starts with the Application reconciler (webhook port, Lease gitseal-apps)" '
	ctl_app c1 && [ -s "$TMP/c1.wport" ] &&
	wait_for "k GET /apis/coordination.k8s.io/v1/namespaces/$KNS/leases/gitseal-apps" 20'

t_expect "an Application syncs: objects applied with owner labels in destination.namespace" '
	app_put $NS web <<-EOF &&
	apiVersion: gitseal.dev/v1alpha1
	kind: Application
	metadata: {name: web, namespace: '$NS'}
	spec:
	  project: default
	  source: {repoURL: "$(git_url)", targetRevision: main, path: apps/web}
	  destination: {server: https://kubernetes.default.svc, namespace: '$NS'}
	  syncPolicy: {automated: {prune: true, selfHeal: true}}
	  interval: 2s
	EOF
	wait_for "k GET $CM/web-cfg" 20 && wait_for "k GET $DEP/web" 5 &&
	[ "$(obj $CM/web-cfg "d[\"metadata\"][\"labels\"][\"gitseal.dev/name\"]")" = web ] &&
	[ "$(obj $CM/web-cfg "d[\"metadata\"][\"labels\"][\"gitseal.dev/namespace\"]")" = $NS ] &&
	obj $CM/web-cfg "[m[\"manager\"] for m in d[\"metadata\"][\"managedFields\"]]" | grep -q gitseal'

t_expect "status: Synced at the commit, inventory of 3, one history entry, health from kstatus" '
	wait_for "app_py $NS web \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx Synced" 20 &&
	[ "$(app_py $NS web "d[\"status\"][\"sync\"][\"revision\"]")" = "$(cat $TMP/rev1)" ] &&
	[ "$(app_py $NS web "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev1)" ] &&
	[ "$(app_py $NS web "len(d[\"status\"][\"inventory\"][\"entries\"])")" = 3 ] &&
	app_py $NS web "d[\"status\"][\"inventory\"][\"entries\"]" | grep -q "${NS}_web_apps_Deployment" &&
	[ "$(app_py $NS web "len(d[\"status\"][\"history\"])")" = 1 ] &&
	[ "$(app_py $NS web "d[\"status\"][\"history\"][0][\"created\"]")" = 3 ] &&
	[ "$(app_py $NS web "d[\"status\"][\"health\"][\"status\"]")" = Progressing ] &&
	app_cond $NS web Ready | grep -q "^Unknown Progressing waiting for: Deployment $NS/web"'

t_expect "the Deployment reports ready (status subresource): Healthy, Ready=True" '
	cat > st.json <<-EOF &&
	{"status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
	 "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True"},
	 {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}}
	EOF
	k PATCH $DEP/web/status st.json application/merge-patch+json > /dev/null &&
	wait_for "app_ready $NS web" 20 &&
	[ "$(app_py $NS web "d[\"status\"][\"health\"][\"status\"]")" = Healthy ] &&
	app_cond $NS web Ready | grep -q "^True ReconciliationSucceeded Applied revision: refs/heads/main@sha1:$(cat $TMP/rev1)"'

t_expect "a hand edit is reverted from the watch (selfHeal), without waiting for the interval" '
	echo "{\"data\": {\"mode\": \"hand-edited\"}}" > e.json &&
	k PATCH $CM/web-cfg e.json application/merge-patch+json > /dev/null &&
	wait_for "[ \"\$(obj $CM/web-cfg \"d[\\\"data\\\"][\\\"mode\\\"]\")\" = prod ]" 10'

t_expect "a field removed from Git is removed from the cluster" '
	repo_write cfg apps/web/cm.yaml <<-EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: web-cfg}
	data: {mode: prod}
	EOF
	repo_push cfg "drop extra" > "$TMP/rev2" &&
	wait_for "[ \"\$(obj $CM/web-cfg \"\\\"extra\\\" in d[\\\"data\\\"]\")\" = False ]" 20 &&
	wait_for "[ \"\$(app_py $NS web \"d[\\\"status\\\"][\\\"lastAppliedRevision\\\"]\")\" = $(cat $TMP/rev2) ]" 10 &&
	[ "$(app_py $NS web "d[\"status\"][\"history\"][0][\"revision\"]")" = "$(cat $TMP/rev2)" ] &&
	[ "$(app_py $NS web "d[\"status\"][\"history\"][0][\"configured\"]")" = 1 ] &&
	[ "$(app_py $NS web "d[\"status\"][\"history\"][-1][\"revision\"]")" = "$(cat $TMP/rev1)" ]'

t_expect "an Event names only what changed" '
	wait_for "app_events $NS web | grep -q \"ConfigMap $NS/web-cfg configured (.data.extra)\"" 10 &&
	! app_events $NS web | grep "configured" | grep -q "Deployment $NS/web configured"'

t_expect "a deleted file is pruned, and leaves the inventory" '
	repo_rm cfg apps/web/sa.yaml && repo_push cfg "no sa" > "$TMP/rev3" &&
	wait_for "gone /api/v1/namespaces/$NS/serviceaccounts/web" 20 &&
	wait_for "[ \"\$(app_py $NS web \"len(d[\\\"status\\\"][\\\"inventory\\\"][\\\"entries\\\"])\")\" = 2 ]" 10 &&
	[ "$(app_py $NS web "d[\"status\"][\"history\"][0][\"pruned\"]")" = 1 ] &&
	wait_for "app_events $NS web | grep -q \"ServiceAccount $NS/web pruned\"" 10'

t_expect "metrics: Ready gauge, reconcile histogram, fetch/render/apply/prune counters" '
	curl -sf "http://127.0.0.1:$(cat $TMP/c1.mport)/metrics" > m &&
	grep -q "^gitseal_app_ready{name=\"web\",namespace=\"$NS\"} 1" m &&
	grep -q "^gitseal_app_reconcile_duration_seconds_count{name=\"web\",namespace=\"$NS\"}" m &&
	grep -q "^gitseal_app_fetch_total{result=\"fetched\"}" m &&
	grep -q "^gitseal_app_render_total{result=\"ok\"}" m &&
	grep -q "^gitseal_app_apply_total{action=\"created\"} 3" m &&
	grep -q "^gitseal_app_prune_total{result=\"pruned\"} 1" m'

t_expect "steady state: polls only (no render, no apply, no status write) while nothing moves" '
	curl -sf "http://127.0.0.1:$(cat $TMP/c1.mport)/metrics" > m1 &&
	rv1=$(app_py $NS web "d[\"metadata\"][\"resourceVersion\"]") &&
	sleep 5 &&
	curl -sf "http://127.0.0.1:$(cat $TMP/c1.mport)/metrics" > m2 &&
	[ "$(grep "^gitseal_app_render_total" m1)" = "$(grep "^gitseal_app_render_total" m2)" ] &&
	[ "$(grep "^gitseal_app_apply_total" m1)" = "$(grep "^gitseal_app_apply_total" m2)" ] &&
	[ "$(grep "^gitseal_app_fetch_total{result=\"unchanged\"}" m1)" != "$(grep "^gitseal_app_fetch_total{result=\"unchanged\"}" m2)" ] &&
	[ "$(app_py $NS web "d[\"metadata\"][\"resourceVersion\"]")" = "$rv1" ]'

t_expect "a broken commit (bad YAML): nothing applied, nothing pruned, Ready=False BuildFailed naming the file" '
	repo_write cfg apps/web/cm.yaml <<-EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: web-cfg}
	data: {mode: broken
	EOF
	repo_rm cfg apps/web/deploy.yaml &&
	repo_push cfg "broken" > "$TMP/rev4" &&
	wait_for "app_cond $NS web Ready | grep -q \"^False BuildFailed\"" 20 &&
	app_cond $NS web Ready | grep -q "apps/web/cm.yaml" &&
	app_cond $NS web Reconciling | grep -q "^True ProgressingWithRetry" &&
	[ "$(app_py $NS web "d[\"status\"][\"lastAttemptedRevision\"]")" = "$(cat $TMP/rev4)" ] &&
	[ "$(app_py $NS web "d[\"status\"][\"lastAppliedRevision\"]")" = "$(cat $TMP/rev3)" ] &&
	[ "$(obj $CM/web-cfg "d[\"data\"][\"mode\"]")" = prod ] && k GET $DEP/web > /dev/null &&
	wait_for "app_events $NS web | grep -q \"^BuildFailed: \"" 10 &&
	! app_events $NS web | grep -q "prod"'

t_expect "fixing it recovers: applied, the deleted Deployment pruned, Ready again" '
	repo_write cfg apps/web/cm.yaml <<-EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: web-cfg}
	data: {mode: fixed}
	EOF
	repo_push cfg "fixed" > "$TMP/rev5" &&
	wait_for "[ \"\$(obj $CM/web-cfg \"d[\\\"data\\\"][\\\"mode\\\"]\")\" = fixed ]" 20 &&
	wait_for "gone $DEP/web" 10 && wait_for "app_ready $NS web" 10 &&
	[ "$(app_py $NS web "d[\"status\"][\"inventory\"][\"entries\"][0][\"id\"]")" = "${NS}_web-cfg__ConfigMap" ]'

t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
