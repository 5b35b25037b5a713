#!/bin/sh
# What an Application asks of the loop: dependsOn (waits, then wakes when the other turns Ready),
# suspend and resume, "reconcile now" (gitseal.dev/reconcile-requested-at), no automated sync
# (a dry run says what would change; a request syncs), selfHeal off (OutOfSync with the fields,
# no revert), ignoreDifferences, CreateNamespace=true, an invalid spec (Stalled).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6402-sys-$ID
NS=t6402-$ID
export KNS NS ID
CM=/api/v1/namespaces/$NS/configmaps
app_git_start

cm_yaml() { # cm_yaml NAME KEY=VALUE...: a ConfigMap in $NS
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata:\n' "$1" "$NS"
	shift
	for _kv in "$@"; do printf '  %s: "%s"\n' "${_kv%%=*}" "${_kv#*=}"; done
}
app_yaml() { # app_yaml NAME PATH [SPEC-LINES]: an Application of the repo, without syncPolicy
	printf 'apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: %s, namespace: %s}\n' "$1" "$NS"
	printf 'spec:\n  source: {repoURL: "%s/cfg.git", path: %s}\n  destination: {namespace: %s}\n  interval: 2s\n' \
		"$GS_GIT_URL" "$2" "$NS"
	[ -n "${3:-}" ] && printf '%s\n' "$3"
	return 0
}
AUTO="  syncPolicy: {automated: {prune: true, selfHeal: true}}"
now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
request() { # request NAME: the annotation `gitseal reconcile app` sets
	printf '{"metadata": {"annotations": {"gitseal.dev/reconcile-requested-at": "%s"}}}' "$(now)" > "$TMP/.req.json" &&
		k PATCH "$APPS/namespaces/$NS/applications/$1" "$TMP/.req.json" application/merge-patch+json > /dev/null &&
		jq_ "d[\"metadata\"][\"annotations\"][\"gitseal.dev/reconcile-requested-at\"]" < "$TMP/.k.body"
}

t_expect "setup: CRDs, namespaces, a repository of ConfigMaps, the controller" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	cm_yaml infra mode=1 | repo_write cfg infra/cm.yaml &&
	cm_yaml web mode=1 | repo_write cfg web/cm.yaml &&
	cm_yaml manual mode=1 | repo_write cfg manual/cm.yaml &&
	cm_yaml watch mode=1 replicas=1 | repo_write cfg watch/cm.yaml &&
	cm_yaml ign mode=1 size=1 | repo_write cfg ign/cm.yaml &&
	repo_push cfg init > /dev/null && ctl_app c1'

t_expect "dependsOn: web waits for infra (DependencyNotReady), nothing applied" '
	app_yaml web web "$AUTO
  dependsOn: [{name: infra}]" | app_put $NS web &&
	wait_for "app_cond $NS web Ready | grep -q \"^False DependencyNotReady dependency .$NS/infra. not found\"" 20 &&
	gone $CM/web'

t_expect "dependsOn: infra Ready wakes web, which then syncs" '
	app_yaml infra infra "$AUTO" | app_put $NS infra &&
	wait_for "app_ready $NS infra" 20 && wait_for "app_ready $NS web" 20 && k GET $CM/web > /dev/null'

t_expect "suspend: a new commit is not applied while suspended; resume applies it" '
	app_yaml web web "$AUTO
  dependsOn: [{name: infra}]
  suspend: true" | app_put $NS web &&
	sleep 1 && cm_yaml web mode=2 | repo_write cfg web/cm.yaml && repo_push cfg "web 2" > /dev/null &&
	sleep 5 && [ "$(obj $CM/web "d[\"data\"][\"mode\"]")" = 1 ] &&
	app_yaml web web "$AUTO
  dependsOn: [{name: infra}]" | app_put $NS web &&
	wait_for "[ \"\$(obj $CM/web \"d[\\\"data\\\"][\\\"mode\\\"]\")\" = 2 ]" 20'

t_expect "no automated sync: OutOfSync with what would change, nothing written" '
	app_yaml manual manual | app_put $NS manual &&
	wait_for "app_py $NS manual \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx OutOfSync" 20 &&
	app_py $NS manual "d[\"status\"][\"sync\"][\"message\"]" | grep -q "1 object would change (no automated sync): ConfigMap $NS/manual would be created" &&
	gone $CM/manual'

t_expect "reconcile now (the annotation): the manual Application syncs, lastHandledReconcileAt says which request" '
	at=$(request manual) && [ -n "$at" ] &&
	wait_for "k GET $CM/manual" 20 &&
	wait_for "[ \"\$(app_py $NS manual \"d[\\\"status\\\"].get(\\\"lastHandledReconcileAt\\\")\")\" = \"$at\" ]" 10 &&
	wait_for "app_py $NS manual \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx Synced" 10'

t_expect "selfHeal off: a hand edit is reported (OutOfSync naming the field), not reverted" '
	app_yaml watch watch "  syncPolicy: {automated: {prune: true}}" | app_put $NS watch &&
	wait_for "k GET $CM/watch" 20 && wait_for "app_ready $NS watch" 10 &&
	echo "{\"data\": {\"mode\": \"edited\"}}" > e.json && k PATCH $CM/watch e.json application/merge-patch+json > /dev/null &&
	wait_for "app_py $NS watch \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx OutOfSync" 10 &&
	app_py $NS watch "d[\"status\"][\"sync\"][\"message\"]" | grep -q "1 object differs: ConfigMap $NS/watch (.data.mode)" &&
	sleep 3 && [ "$(obj $CM/watch "d[\"data\"][\"mode\"]")" = edited ]'

t_expect "... and a request reverts it: Synced again" '
	request watch > /dev/null &&
	wait_for "[ \"\$(obj $CM/watch \"d[\\\"data\\\"][\\\"mode\\\"]\")\" = 1 ]" 20 &&
	wait_for "app_py $NS watch \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx Synced" 10'

t_expect "ignoreDifferences: an ignored field edited by hand stays, another is reverted" '
	app_yaml ign ign "$AUTO
  ignoreDifferences: [{kind: ConfigMap, name: ign, jsonPointers: [/data/size]}]" | app_put $NS ign &&
	wait_for "app_ready $NS ign" 20 &&
	echo "{\"data\": {\"size\": \"9\"}}" > e.json && k PATCH $CM/ign e.json application/merge-patch+json > /dev/null &&
	sleep 3 && [ "$(obj $CM/ign "d[\"data\"][\"size\"]")" = 9 ] &&
	[ "$(app_py $NS ign "d[\"status\"][\"sync\"][\"status\"]")" = Synced ] &&
	echo "{\"data\": {\"mode\": \"edited\"}}" > e.json && k PATCH $CM/ign e.json application/merge-patch+json > /dev/null &&
	wait_for "[ \"\$(obj $CM/ign \"d[\\\"data\\\"][\\\"mode\\\"]\")\" = 1 ]" 10 &&
	[ "$(obj $CM/ign "d[\"data\"][\"size\"]")" = 9 ]'

t_expect "CreateNamespace=true: the destination namespace is made with the set" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: in-new}\ndata: {a: b}\n" | repo_write cfg newns/cm.yaml &&
	repo_push cfg "new ns" > /dev/null &&
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: newns, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: newns}\n  destination: {namespace: $NS-new}\n  syncPolicy: {automated: {}, syncOptions: [CreateNamespace=true]}\n" |
		app_put $NS newns &&
	wait_for "k GET /api/v1/namespaces/$NS-new/configmaps/in-new" 20 &&
	[ "$(obj /api/v1/namespaces/$NS-new "d[\"metadata\"][\"labels\"][\"gitseal.dev/name\"]")" = newns ]'

KUBECTL=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}/kubectl-1.20/kubectl
export KUBECTL
old_key() { obj $CM/adopted 'd["data"].get("old", "gone")'; }
last_applied() { obj $CM/adopted 'd["metadata"].get("annotations", {})' | grep -c last-applied-configuration; }
if [ -x "$KUBECTL" ]; then
	t_expect "kubectl apply made it: the Application takes kubectl's fields over, so what Git lacks goes" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: adopted, namespace: $NS}\ndata: {keep: \"1\", old: \"1\"}\n" > kc.yaml &&
	"$KUBECTL" apply -f kc.yaml > /dev/null && [ "$(last_applied)" = 1 ] &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: adopted}\ndata: {keep: \"2\"}\n" | repo_write cfg adopt/cm.yaml &&
	repo_push cfg "adopt" > /dev/null && app_yaml adopt adopt "$AUTO" | app_put $NS adopt &&
	wait_for "[ \"\$(old_key)\" = gone ]" 20 && [ "$(last_applied)" = 0 ] &&
	[ "$(obj $CM/adopted "d[\"data\"][\"keep\"]")" = 2 ]'
else
	t_peer_missing "kubectl apply takeover" "kubectl 1.20 in ${GITSEAL_TOOLS:-/var/cache/gitseal-tools}"
fi

t_expect "an invalid spec: Stalled with the field, no retries; fixing it recovers" '
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: bad, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: infra}\n  project: other\n" |
		app_put $NS bad &&
	wait_for "app_cond $NS bad Stalled | grep -q \"^True InvalidSpec\"" 20 &&
	app_cond $NS bad Ready | grep -q "^False InvalidSpec .*spec.project: only the project \"default\" exists" &&
	n=$(grep -c "application=$NS/bad .*reason=InvalidSpec" $TMP/c1.log) && sleep 4 &&
	[ "$(grep -c "application=$NS/bad .*reason=InvalidSpec" $TMP/c1.log)" = "$n" ]'

t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
