#!/bin/sh
# Multi-tenancy and scale-out: an Application applies as its ServiceAccount (impersonation: what
# that ServiceAccount may not do is refused by the API server, named in Ready); a remote cluster
# registered by an Argo CD-shaped cluster Secret (this same API server at https://localhost:PORT,
# reached with the token of a restricted ServiceAccount that may only impersonate, minted with a
# TokenRequest); a remote target without a ServiceAccount is refused; two shards, each owning its
# Applications under its own Lease, the unsealer only in the main shard.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6405-sys-$ID
NS=t6405-$ID
export KNS NS ID
CM=/api/v1/namespaces/$NS/configmaps
PORT=$(echo "$KUBE_API_URL" | sed 's|.*:||')
export PORT
app_git_start

post() { # post PATH: the JSON on stdin
	cat > "$TMP/.post.json" && k POST "$1" "$TMP/.post.json" > /dev/null
}
app_yaml() { # app_yaml NAME PATH [SPEC-LINES]
	printf 'apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: %s, namespace: %s}\n' "$1" "$NS"
	printf 'spec:\n  source: {repoURL: "%s/cfg.git", path: %s}\n  syncPolicy: {automated: {prune: true, selfHeal: true}}\n  interval: 2s\n' \
		"$GS_GIT_URL" "$2"
	[ -n "${3:-}" ] && printf '%s\n' "$3"
	return 0
}

t_expect "setup: CRDs, namespaces, ServiceAccounts deployer (ConfigMaps only) and remote-agent (may only impersonate)" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	echo "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"deployer\"}}" | post /api/v1/namespaces/$NS/serviceaccounts &&
	echo "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"deployer\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[\"get\",\"list\",\"watch\",\"create\",\"update\",\"patch\",\"delete\"]}]}" |
		post /apis/rbac.authorization.k8s.io/v1/namespaces/$NS/roles &&
	echo "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"deployer\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"deployer\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"deployer\",\"namespace\":\"$NS\"}]}" |
		post /apis/rbac.authorization.k8s.io/v1/namespaces/$NS/rolebindings &&
	echo "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"remote-agent\"}}" | post /api/v1/namespaces/$KNS/serviceaccounts &&
	echo "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"impersonate\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"serviceaccounts\"],\"verbs\":[\"impersonate\"]}]}" |
		post /apis/rbac.authorization.k8s.io/v1/namespaces/$NS/roles &&
	echo "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"remote-agent\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"impersonate\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"remote-agent\",\"namespace\":\"$KNS\"}]}" |
		post /apis/rbac.authorization.k8s.io/v1/namespaces/$NS/rolebindings &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: as-sa}\ndata: {a: \"1\"}\n" | repo_write cfg sa/cm.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: remote-cm}\ndata: {a: \"1\"}\n" | repo_write cfg remote/cm.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shard-main}\ndata: {a: \"1\"}\n" | repo_write cfg main/cm.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shard-s2}\ndata: {a: \"1\"}\n" | repo_write cfg s2/cm.yaml &&
	repo_push cfg init > /dev/null && ctl_app c1'

t_expect "serviceAccountName: applied as system:serviceaccount:NS:deployer" '
	app_yaml as-sa sa "  destination: {namespace: $NS}
  serviceAccountName: deployer" | app_put $NS as-sa &&
	wait_for "k GET $CM/as-sa" 20 && wait_for "app_ready $NS as-sa" 10'

t_expect "... what the ServiceAccount may not do is refused (Forbidden, named), nothing else changes" '
	printf "apiVersion: v1\nkind: Service\nmetadata: {name: nope}\nspec: {ports: [{port: 80}]}\n" | repo_write cfg sa/svc.yaml &&
	repo_push cfg "a Service" > /dev/null &&
	wait_for "app_cond $NS as-sa Ready | grep -q \"^False ReconciliationFailed\"" 20 &&
	app_cond $NS as-sa Ready | grep -q "system:serviceaccount:$NS:deployer" &&
	gone /api/v1/namespaces/$NS/services/nope && k GET $CM/as-sa > /dev/null &&
	repo_rm cfg sa/svc.yaml && repo_push cfg "no Service" > /dev/null && wait_for "app_ready $NS as-sa" 20'

t_expect "a remote cluster (Argo CD cluster Secret, a TokenRequest token of remote-agent): applied there as the ServiceAccount" '
	echo "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":3600}}" > tr.json &&
	k POST /api/v1/namespaces/$KNS/serviceaccounts/remote-agent/token tr.json > tok.json &&
	python3 -c "import json,base64,sys
t = json.load(open(\"tok.json\"))[\"status\"][\"token\"]
ca = base64.b64encode(open(\"$KUBE_API_CA\",\"rb\").read()).decode()
conf = json.dumps({\"bearerToken\": t, \"tlsClientConfig\": {\"caData\": ca}})
print(json.dumps({\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cluster-remote\",
 \"labels\":{\"argocd.argoproj.io/secret-type\":\"cluster\"}},
 \"stringData\":{\"name\":\"remote\",\"server\":\"https://localhost:$PORT\",\"config\":conf}}))" > cs.json &&
	k POST /api/v1/namespaces/$KNS/secrets cs.json > /dev/null &&
	app_yaml remote remote "  destination: {server: \"https://localhost:$PORT\", namespace: $NS}
  serviceAccountName: deployer" | app_put $NS remote &&
	wait_for "k GET $CM/remote-cm" 20 && wait_for "app_ready $NS remote" 10 &&
	[ "$(obj $CM/remote-cm "d[\"metadata\"][\"labels\"][\"gitseal.dev/name\"]")" = remote ] &&
	obj $CM/remote-cm "[m[\"manager\"] for m in d[\"metadata\"][\"managedFields\"]]" | grep -q gitseal &&
	! grep -q "$(jq_ "d[\"status\"][\"token\"][:40]" < tok.json)" $TMP/c1.log'

t_expect "... the remote cluster has no watch: a hand edit there is reverted at the next interval" '
	echo "{\"data\": {\"a\": \"edited\"}}" > e.json && k PATCH $CM/remote-cm e.json application/merge-patch+json > /dev/null &&
	wait_for "[ \"\$(obj $CM/remote-cm \"d[\\\"data\\\"][\\\"a\\\"]\")\" = 1 ]" 15'

t_expect "... by name too (destination.name); a remote target without a ServiceAccount is refused" '
	app_yaml remote remote "  destination: {name: remote, namespace: $NS}
  serviceAccountName: deployer" | app_put $NS remote && sleep 1 && wait_for "app_ready $NS remote" 20 &&
	app_yaml remote2 remote "  destination: {server: \"https://localhost:$PORT\", namespace: $NS}" | app_put $NS remote2 &&
	wait_for "app_cond $NS remote2 Ready | grep -q \"^False ReconciliationFailed .*is another cluster: set spec.serviceAccountName\"" 20 &&
	app_yaml remote3 remote "  destination: {name: nowhere, namespace: $NS}
  serviceAccountName: deployer" | app_put $NS remote3 &&
	wait_for "app_cond $NS remote3 Ready | grep -q \"no cluster Secret in namespace $KNS\"" 20'

t_expect "two shards: each reconciles its own Applications under its own Lease; the unsealer only in the main one" '
	ctl_app s2 --shard s2 &&
	wait_for "k GET /apis/coordination.k8s.io/v1/namespaces/$KNS/leases/gitseal-apps-s2" 20 &&
	app_yaml main main "  destination: {namespace: $NS}" | app_put $NS main &&
	app_yaml two s2 "  destination: {namespace: $NS}" | sed "s/^metadata: {name: two, namespace: $NS}\$/metadata: {name: two, namespace: $NS, labels: {sharding.gitseal.dev\/key: s2}}/" |
		app_put $NS two &&
	wait_for "app_ready $NS main" 20 && wait_for "app_ready $NS two" 20 &&
	grep -q "reconciled.* application=$NS/two " $TMP/s2.log && ! grep -q "application=$NS/two " $TMP/c1.log &&
	grep -q "reconciled.* application=$NS/main " $TMP/c1.log && ! grep -q "application=$NS/main " $TMP/s2.log &&
	! grep -q "application=$NS/as-sa " $TMP/s2.log &&
	! grep -q "keys loaded\|lease=$KNS/gitseal-controller " $TMP/s2.log'

t_expect "controllers stop cleanly" 'ctl_stop s2 && ctl_stop c1'
t_done
