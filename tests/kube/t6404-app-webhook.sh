#!/bin/sh
# The webhook receiver: a push announced by GitHub (X-Hub-Signature-256), GitLab
# (X-Gitlab-Token) or the generic HMAC endpoint (X-Signature) reconciles the Applications of
# that repository at once (their interval is 10 minutes here); a bad signature gets 401 and
# changes nothing; bodies over the cap get 413; a replica that does not lead forwards the
# request through the reconcile-requested-at annotation.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "application suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6404-sys-$ID
NS=t6404-$ID
export KNS NS ID
CM=/api/v1/namespaces/$NS/configmaps
app_git_start

# hook ID PROVIDER BODYFILE [HEADER: VALUE]...: POST to a controller's webhook, prints the code
hook() {
	_id=$1 _p=$2 _b=$3
	shift 3
	for _h in "$@"; do set -- "$@" -H "$_h"; shift; done
	curl -s -o "$TMP/.hook.out" -w '%{http_code}' -X POST --data-binary @"$_b" "$@" \
		"http://127.0.0.1:$(cat "$TMP/$_id.wport")/hook/$_p"
}
sig() { # sig SECRET FILE: sha256=<hex HMAC-SHA256>
	python3 -c "import hmac,hashlib,sys; print('sha256=' + hmac.new(sys.argv[1].encode(), open(sys.argv[2],'rb').read(), hashlib.sha256).hexdigest())" "$1" "$2"
}
mode() { obj $CM/hooked "d[\"data\"][\"mode\"]"; }
bump() { # bump VALUE: a new commit changing the ConfigMap
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hooked, namespace: $NS}\ndata: {mode: \"%s\"}\n" "$1" |
		repo_write cfg hook/cm.yaml && repo_push cfg "mode $1" > /dev/null
}

t_expect "setup: the webhook Secret, an Application polling every 10 minutes, the controller" '
	app_setup && ns_create $KNS && ns_create $NS && repo_init cfg && bump 1 &&
	printf "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"gitseal-webhook\"},\"stringData\":{\"github\":\"gh-s3cret\",\"gitlab\":\"gl-t0ken\",\"generic\":\"gen-s3cret\"}}" > s.json &&
	k POST /api/v1/namespaces/$KNS/secrets s.json > /dev/null && ctl_app c1 &&
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: hooked, namespace: $NS}\nspec:\n  source: {repoURL: \"$GS_GIT_URL/cfg.git\", path: hook}\n  destination: {namespace: $NS}\n  syncPolicy: {automated: {prune: true, selfHeal: true}}\n  interval: 10m\n" |
		app_put $NS hooked &&
	wait_for "[ \"\$(mode)\" = 1 ]" 20'

t_expect "GitHub: a bad signature gets 401 and changes nothing" '
	bump 2 && printf "{\"repository\": {\"clone_url\": \"$GS_GIT_URL/cfg.git\"}}" > gh.json &&
	[ "$(hook c1 github gh.json "X-GitHub-Event: push" "X-Hub-Signature-256: $(sig wrong gh.json)")" = 401 ] &&
	[ "$(hook c1 github gh.json "X-GitHub-Event: push")" = 401 ] &&
	sleep 3 && [ "$(mode)" = 1 ]'

t_expect "GitHub: a good signature reconciles the Application at once" '
	[ "$(hook c1 github gh.json "X-GitHub-Event: push" "X-Hub-Signature-256: $(sig gh-s3cret gh.json)")" = 200 ] &&
	contains $TMP/.hook.out "1 application to reconcile" &&
	wait_for "[ \"\$(mode)\" = 2 ]" 10'

t_expect "GitHub: ping answers pong; another event is ignored" '
	echo "{}" > p.json &&
	[ "$(hook c1 github p.json "X-GitHub-Event: ping" "X-Hub-Signature-256: $(sig gh-s3cret p.json)")" = 200 ] &&
	contains $TMP/.hook.out pong &&
	[ "$(hook c1 github gh.json "X-GitHub-Event: issues" "X-Hub-Signature-256: $(sig gh-s3cret gh.json)")" = 200 ] &&
	contains $TMP/.hook.out "event issues ignored"'

t_expect "GitLab: a wrong token gets 401; the right one matches the repository by host and path" '
	bump 3 && host=$(echo "$GS_GIT_URL" | sed "s|git://||; s|:.*||") &&
	printf "{\"project\": {\"git_http_url\": \"https://$host/cfg\"}}" > gl.json &&
	[ "$(hook c1 gitlab gl.json "X-Gitlab-Event: Push Hook" "X-Gitlab-Token: gl-wrong")" = 401 ] &&
	sleep 2 && [ "$(mode)" = 2 ] &&
	[ "$(hook c1 gitlab gl.json "X-Gitlab-Event: Push Hook" "X-Gitlab-Token: gl-t0ken")" = 200 ] &&
	wait_for "[ \"\$(mode)\" = 3 ]" 10'

t_expect "generic HMAC: bad then good signature; another repository reconciles nothing" '
	bump 4 && printf "{\"repoURL\": \"$GS_GIT_URL/cfg\"}" > g.json &&
	[ "$(hook c1 generic g.json "X-Signature: $(sig gh-s3cret g.json)")" = 401 ] &&
	printf "{\"repoURL\": \"$GS_GIT_URL/other.git\"}" > o.json &&
	[ "$(hook c1 generic o.json "X-Signature: $(sig gen-s3cret o.json)")" = 200 ] &&
	contains $TMP/.hook.out "0 applications" && sleep 2 && [ "$(mode)" = 3 ] &&
	[ "$(hook c1 generic g.json "X-Signature: $(sig gen-s3cret g.json)")" = 200 ] &&
	wait_for "[ \"\$(mode)\" = 4 ]" 10'

t_expect "a body over the cap gets 413; nothing is read" '
	head -c 1100000 /dev/zero | tr "\0" "a" > big.json &&
	[ "$(hook c1 generic big.json "X-Signature: $(sig gen-s3cret big.json)")" = 413 ]'

t_expect "a replica that does not lead forwards the push through the annotation" '
	ctl_app c2 && sleep 1 && grep -q "waiting for leadership.*gitseal-apps" $TMP/c2.log &&
	bump 5 && [ "$(hook c2 generic g.json "X-Signature: $(sig gen-s3cret g.json)")" = 202 ] &&
	wait_for "[ \"\$(mode)\" = 5 ]" 10 &&
	app_py $NS hooked "d[\"metadata\"][\"annotations\"][\"gitseal.dev/reconcile-with-source\"]" | grep -qx true'

t_expect "metrics count the webhook requests by provider and code; no secret in the logs" '
	curl -sf "http://127.0.0.1:$(cat $TMP/c1.mport)/metrics" > m &&
	grep -q "^gitseal_webhook_requests_total{code=\"401\",provider=\"github\"} 2" m &&
	grep -q "^gitseal_webhook_requests_total{code=\"200\",provider=\"gitlab\"} 1" m &&
	! grep -q "gh-s3cret\|gl-t0ken\|gen-s3cret" $TMP/c1.log $TMP/c2.log'

t_expect "controllers stop cleanly" 'ctl_stop c2 && ctl_stop c1'
t_done
