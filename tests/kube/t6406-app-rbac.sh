#!/bin/sh
# The shipped RBAC (deploy/base/rbac-unsealer.yaml + rbac-reconciler.yaml) is enough for the
# Application reconciler: the controller runs with a TokenRequest token of its ServiceAccount,
# syncs, prunes, watches for drift and impersonates, and its log holds no permission error.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6406-sys-$ID
NS=t6406-$ID
SA=gsc-$ID
export KNS NS SA ID
CM=/api/v1/namespaces/$NS/configmaps
app_git_start

# both RBAC files for this run: the namespace and the cluster-wide names made unique
rbac_apply() {
	cat "$TOP/deploy/base/rbac-unsealer.yaml" && echo --- && cat "$TOP/deploy/base/rbac-reconciler.yaml"
}
rbac_post() {
	rbac_apply | sed "s/kube-system/$KNS/g; s/sealed-secrets-controller/$SA/g; s/secrets-unsealer/secrets-unsealer-$ID/g; s/sealed-secrets-key-admin/ska-$ID/g; s/sealed-secrets-service-proxier/sssp-$ID/g; s/name: gitseal-applications/name: gitseal-applications-$ID/; s/name: gitseal-apply/name: gitseal-apply-$ID/" \
		> rbac.yaml &&
	awk -v dir="$TMP" '/^---/ { n++; next } { print > (dir "/rbac-" n ".yaml") }' rbac.yaml &&
	for f in "$TMP"/rbac-*.yaml; do
		grep -q "^kind: " "$f" || continue
		kind=$(sed -n "s/^kind: //p" "$f")
		case $kind in
		ServiceAccount) p=/api/v1/namespaces/$KNS/serviceaccounts ;;
		ClusterRole) p=/apis/rbac.authorization.k8s.io/v1/clusterroles ;;
		ClusterRoleBinding) p=/apis/rbac.authorization.k8s.io/v1/clusterrolebindings ;;
		Role) p=/apis/rbac.authorization.k8s.io/v1/namespaces/$KNS/roles ;;
		RoleBinding) p=/apis/rbac.authorization.k8s.io/v1/namespaces/$KNS/rolebindings ;;
		*) echo "unexpected kind $kind"; return 1 ;;
		esac
		k POST "$p" "$f" application/yaml > /dev/null || return 1
	done
}

t_expect "the shipped RBAC applies; a token for its ServiceAccount" '
	app_setup && ns_create $KNS && ns_create $NS && rbac_post &&
	printf "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":3600}}" > tr.json &&
	k POST /api/v1/namespaces/$KNS/serviceaccounts/$SA/token tr.json | jq_ "d[\"status\"][\"token\"]" > token && [ -s token ] &&
	printf "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"%s\", certificate-authority: \"%s\"}\nusers:\n- name: u\n  user: {token: \"%s\"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n" \
		"$KUBE_API_URL" "$KUBE_API_CA" "$(cat token)" > $TMP/sa.kubeconfig'

t_expect "as that ServiceAccount: an Application syncs, a hand edit is reverted, a deleted file pruned" '
	repo_init cfg &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {v: \"1\"}\n" | repo_write cfg app/a.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {v: \"1\"}\n" | repo_write cfg app/b.yaml &&
	repo_push cfg init > /dev/null && ctl_app c1 --kubeconfig "$TMP/sa.kubeconfig" &&
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: rb, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: app}\n  destination: {namespace: $NS}\n  syncPolicy: {automated: {prune: true, selfHeal: true}}\n  interval: 2s\n" |
		app_put $NS rb &&
	wait_for "app_ready $NS rb" 30 &&
	echo "{\"data\": {\"v\": \"edited\"}}" > e.json && k PATCH $CM/a e.json application/merge-patch+json > /dev/null &&
	wait_for "[ \"\$(obj $CM/a \"d[\\\"data\\\"][\\\"v\\\"]\")\" = 1 ]" 10 &&
	repo_rm cfg app/b.yaml && repo_push cfg "no b" > /dev/null && wait_for "gone $CM/b" 20'

t_expect "no permission errors in the log" '! grep -qi "forbidden\|not allowed" $TMP/c1.log'
t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
