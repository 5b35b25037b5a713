#!/bin/sh
# Applications through every renderer and both secret formats, on the real API server and a
# git daemon: Kustomize overlays, the Helm chart with values-prod.yaml and replicaCount=5, a
# SOPS Secret and a SealedSecret in one repository (the unsealer in the same controller opens
# it; one it cannot open makes the Application Degraded with the unsealer's message), and the
# broken commits: a wrong age key, a failed render, an immutable field (then recreated with
# gitseal.dev/force: enabled). A broken commit applies nothing and prunes nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
GITSEAL_HELM=$TOOLS/helm3/helm
GITSEAL_KUBECTL=$TOOLS/kubectl/kubectl
export GITSEAL_HELM GITSEAL_KUBECTL
if [ ! -x "$GITSEAL_HELM" ] || [ ! -x "$GITSEAL_KUBECTL" ]; then
	t_peer_missing "Kustomize and Helm Applications" "helm/kubectl in $TOOLS (make deps)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6401-sys-$ID
NS=t6401-$ID
export KNS NS ID
DEP=/apis/apps/v1/namespaces/$NS/deployments
SEC=/api/v1/namespaces/$NS/secrets
app_git_start

app_yaml() { # app_yaml NAME PATH [SOURCE-LINES [SPEC-LINES]]: an automated Application of the repo
	printf 'apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: %s, namespace: %s}\n' "$1" "$NS"
	printf 'spec:\n  source:\n    repoURL: %s/cfg.git\n    path: %s\n' "$GS_GIT_URL" "$2"
	[ -n "${3:-}" ] && printf '%s\n' "$3"
	printf '  destination: {namespace: %s}\n  syncPolicy: {automated: {prune: true, selfHeal: true}}\n' "$NS"
	printf '  interval: 2s\n'
	[ -n "${4:-}" ] && printf '%s\n' "$4"
	return 0
}

t_expect "setup: CRDs, namespaces, an age key and its decryption Secret" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg &&
	"$GITSEAL" age-keygen -o $TMP/age.txt 2>/dev/null && "$GITSEAL" age-keygen -o $TMP/other.txt 2>/dev/null &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sops-age\"},\"stringData\":{\"identity.agekey\":%s}}" \
		"$(python3 -c "import json,sys; print(json.dumps(open(\"$TMP/age.txt\").read()))")" > s.json &&
	k POST $SEC s.json > /dev/null'

t_expect "controller starts; its sealing certificate is served" '
	ctl_app c1 && wait_for "curl -sf $(ctl_url c1 /v1/cert.pem) > $TMP/cert.pem" 30'

t_expect "the repository: a Kustomize base and overlay, the chart, SOPS and sealed secrets" '
	cp -r "$FIXTURES/config-repo/base" "$FIXTURES/config-repo/my-chart" "$GS_SRV/work/cfg/" &&
	repo_write cfg overlays/prod/kustomization.yaml <<-EOF &&
	apiVersion: kustomize.config.k8s.io/v1beta1
	kind: Kustomization
	namespace: $NS
	namePrefix: prod-
	resources: [../../base]
	patches:
	- target: {kind: Deployment, name: web}
	  patch: |-
	    - {op: replace, path: /spec/replicas, value: 3}
	EOF
	R=$("$GITSEAL" age-keygen -y $TMP/age.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: $NS}\nstringData: {password: s3cr3t-pw}\n" > db.yaml &&
	"$GITSEAL" encrypt --age "$R" db.yaml | repo_write cfg secrets/db.enc.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: $NS}\nstringData: {token: s34led-t0ken}\n" |
		"$GITSEAL" seal --cert $TMP/cert.pem -o yaml | repo_write cfg secrets/api.sealed.yaml &&
	repo_push cfg "config repo" > /dev/null'

t_expect "Kustomize overlay: prod-web with 3 replicas, the base label, in the namespace" '
	app_yaml kus overlays/prod | app_put $NS kus &&
	wait_for "k GET $DEP/prod-web" 20 &&
	[ "$(obj $DEP/prod-web "d[\"spec\"][\"replicas\"]")" = 3 ] &&
	[ "$(obj $DEP/prod-web "d[\"metadata\"][\"labels\"][\"app.kubernetes.io/part-of\"]")" = config-repo ] &&
	k GET /api/v1/namespaces/$NS/services/prod-web > /dev/null &&
	wait_for "app_py $NS kus \"d[\\\"status\\\"][\\\"sync\\\"][\\\"status\\\"]\" | grep -qx Synced" 10'

t_expect "Helm: values-prod.yaml and replicaCount=5 (parameters win), release named after the Application" '
	app_yaml chart my-chart "    helm:
      valueFiles: [values-prod.yaml]
      parameters: [{name: replicaCount, value: \"5\"}]" | app_put $NS chart &&
	wait_for "k GET $DEP/chart-web" 20 &&
	[ "$(obj $DEP/chart-web "d[\"spec\"][\"replicas\"]")" = 5 ] &&
	[ "$(obj $DEP/chart-web "d[\"metadata\"][\"labels\"][\"env\"]")" = prod ] &&
	[ "$(obj $DEP/chart-web "d[\"metadata\"][\"labels\"][\"gitseal.dev/name\"]")" = chart ]'

t_expect "SOPS and sealed: the Secret decrypted in memory and applied, the SealedSecret unsealed by the same controller, Healthy" '
	app_yaml secrets secrets "" "  decryption: {secretRef: {name: sops-age}}" | app_put $NS secrets &&
	wait_for "k GET $SEC/db" 20 &&
	[ "$(obj $SEC/db "base64.b64decode(d[\"data\"][\"password\"]).decode()")" = s3cr3t-pw ] &&
	[ "$(obj $SEC/db "d[\"metadata\"][\"labels\"][\"gitseal.dev/name\"]")" = secrets ] &&
	wait_for "k GET $SEC/api" 20 &&
	[ "$(obj $SEC/api "base64.b64decode(d[\"data\"][\"token\"]).decode()")" = s34led-t0ken ] &&
	wait_for "app_ready $NS secrets" 20 &&
	[ "$(app_py $NS secrets "d[\"status\"][\"health\"][\"status\"]")" = Healthy ] &&
	! app_py $NS secrets "d[\"status\"]" | grep -q "s3cr3t-pw" &&
	! grep -q "s3cr3t-pw" $TMP/c1.log && ! app_events $NS secrets | grep -q "s3cr3t-pw"'

t_expect "a SealedSecret the unsealer cannot open: the Application is Degraded with its message" '
	mkdir otherkey && "$GITSEAL" keys new --out-dir otherkey > /dev/null &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: api2, namespace: $NS}\nstringData: {token: x}\n" |
		"$GITSEAL" seal --cert otherkey/tls.crt -o yaml | repo_write cfg secrets/api2.sealed.yaml &&
	repo_push cfg "unopenable" > /dev/null &&
	wait_for "[ \"\$(app_py $NS secrets \"d[\\\"status\\\"][\\\"health\\\"][\\\"status\\\"]\")\" = Degraded ]" 30 &&
	app_py $NS secrets "d[\"status\"][\"health\"][\"message\"]" | grep -q "SealedSecret $NS/api2" &&
	app_cond $NS secrets Ready | grep -q "^False HealthCheckFailed" &&
	repo_rm cfg secrets/api2.sealed.yaml && repo_push cfg "drop it" > /dev/null &&
	wait_for "app_ready $NS secrets" 30'

t_expect "a wrong age key: BuildFailed naming the file, nothing applied, nothing pruned" '
	O=$("$GITSEAL" age-keygen -y $TMP/other.txt) &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: $NS}\nstringData: {password: other-pw}\n" > db2.yaml &&
	"$GITSEAL" encrypt --age "$O" db2.yaml | repo_write cfg secrets/db.enc.yaml &&
	repo_rm cfg secrets/api.sealed.yaml &&
	repo_push cfg "wrong key" > $TMP/bad &&
	wait_for "app_cond $NS secrets Ready | grep -q \"^False BuildFailed\"" 20 &&
	app_cond $NS secrets Ready | grep -q "secrets/db.enc.yaml: Secret $NS/db: no age identity matches" &&
	[ "$(obj $SEC/db "base64.b64decode(d[\"data\"][\"password\"]).decode()")" = s3cr3t-pw ] &&
	k GET /apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/api > /dev/null &&
	[ "$(app_py $NS secrets "d[\"status\"][\"lastAttemptedRevision\"]")" = "$(cat $TMP/bad)" ]'

t_expect "a failed render (a broken chart template): BuildFailed, nothing applied, nothing pruned" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-cm}\ndata: {a: {{ .Values.nope.deeper }}}\n" |
		repo_write cfg my-chart/templates/cm.yaml &&
	repo_push cfg "broken chart" > /dev/null &&
	wait_for "app_cond $NS chart Ready | grep -q \"^False BuildFailed\"" 20 &&
	app_cond $NS chart Ready | grep -q "nil pointer\|nope" &&
	k GET $DEP/chart-web > /dev/null && gone /api/v1/namespaces/$NS/configmaps/chart-cm'

t_expect "an immutable field: ReconciliationFailed naming it, nothing pruned; with gitseal.dev/force: enabled it is recreated" '
	repo_rm cfg my-chart/templates/cm.yaml &&
	sed -i "s/app: web\$/app: web2/" "$GS_SRV/work/cfg/my-chart/templates/deployment.yaml" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-extra}\ndata: {a: b}\n" |
		repo_write cfg my-chart/templates/extra.yaml &&
	repo_push cfg "new selector" > /dev/null &&
	wait_for "app_cond $NS chart Ready | grep -q \"^False ReconciliationFailed\"" 20 &&
	app_cond $NS chart Ready | grep -q "Deployment $NS/chart-web: immutable field spec.selector" &&
	app_cond $NS chart Ready | grep -q "gitseal.dev/force: enabled" &&
	uid=$(obj $DEP/chart-web "d[\"metadata\"][\"uid\"]") &&
	sed -i "s/^  labels:\$/  annotations: {gitseal.dev\/force: enabled}\n  labels:/" "$GS_SRV/work/cfg/my-chart/templates/deployment.yaml" &&
	repo_push cfg "force" > /dev/null &&
	wait_for "app_ready $NS chart || app_cond $NS chart Ready | grep -q \"^Unknown Progressing\"" 30 &&
	[ "$(obj $DEP/chart-web "d[\"spec\"][\"selector\"][\"matchLabels\"][\"app\"]")" = web2 ] &&
	[ "$(obj $DEP/chart-web "d[\"metadata\"][\"uid\"]")" != "$uid" ] &&
	app_events $NS chart | grep -q "Deployment $NS/chart-web recreated"'

t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
