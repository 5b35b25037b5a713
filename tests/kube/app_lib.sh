# Helpers for the Application reconciler suites (tests/kube/t64*.sh), sourced after
# tests/lib.sh and tests/kube/ctl_lib.sh. A real API server (tests/run.sh) and real Git servers
# (tests/git/servers.sh, started here on demand); the controller is started with ctl_start.
#
#   app_git_start                  the Git servers (at the top level of a script, not in a
#                                  t_expect snippet: they must outlive it); 0 when up
#   app_setup                      CRDs (Application, SealedSecret)
#   repo_init NAME                 a repository NAME served by git daemon ($GIT_URL/NAME.git)
#   repo_write NAME FILE < text    write FILE in NAME's work tree (no commit)
#   repo_rm NAME FILE              remove FILE (no commit)
#   repo_push NAME MSG             commit everything and push main; prints the commit
#   app_put NS NAME < yaml         create or change an Application (server-side apply)
#   app_py NS NAME 'EXPR'          a python expression over d, the Application
#   app_ready NS NAME              Ready=True for its generation
#   app_cond NS NAME TYPE          "status reason message" of a condition
#   obj PATH 'EXPR'                a python expression over an object (GET PATH)
#   gone PATH                      the object is not there (404)
#   ctl_app ID [flags]             a controller reconciling this script's Applications (label
#                                  gitseal-test=$ID), short intervals
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$GS_SERVERS_SH"
trap 'ctl_kill_all; gs_servers_stop 2>/dev/null; [ -n "${APP_KEEP_LOGS:-}" ] && mkdir -p "$APP_KEEP_LOGS" && cp "$TMP"/*.log "$APP_KEEP_LOGS"/; rm -rf "$TMP"' EXIT

APPS=/apis/gitseal.dev/v1alpha1

app_setup() {
	ctl_crd || return 1
	k POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions \
		"$TOP/deploy/base/crds/applications.yaml" application/yaml >/dev/null ||
		grep -q AlreadyExists "$TMP/.k.body" || return 1
	wait_for "k GET $APPS/applications" 30 || return 1
	[ -n "${GS_GIT_URL:-}" ] || { echo "no git daemon: $(cat "$TMP/git.log" 2>/dev/null)"; return 1; }
}

app_git_start() {
	gs_servers_init "$TMP/srv" > "$TMP/git.log" 2>&1 && gs_git_daemon_start >> "$TMP/git.log" 2>&1
}

repo_init() {
	gs_repo "$1" &&
		git -C "$GS_REPOS/$1.git" config uploadpack.allowAnySHA1InWant true
}

repo_write() {
	mkdir -p "$(dirname "$GS_SRV/work/$1/$2")" && cat > "$GS_SRV/work/$1/$2"
}

repo_rm() {
	rm -f "$GS_SRV/work/$1/$2"
}

repo_push() {
	_gs_git -C "$GS_SRV/work/$1" add -A &&
		_gs_git -C "$GS_SRV/work/$1" commit -q -m "$2" &&
		_gs_git -C "$GS_SRV/work/$1" push -q "$GS_REPOS/$1.git" HEAD:refs/heads/main &&
		git -C "$GS_SRV/work/$1" rev-parse HEAD
}

# Every Application of a script carries the label gitseal-test=$ID, and its controllers select
# on it (ctl_app): suites sharing the API server never reconcile each other's Applications.
app_put() {
	cat > "$TMP/.app.yaml" &&
		k PATCH "$APPS/namespaces/$1/applications/$2?fieldManager=t&force=true" "$TMP/.app.yaml" \
			application/apply-patch+yaml >/dev/null &&
		printf '{"metadata": {"labels": {"gitseal-test": "%s"}}}' "$ID" > "$TMP/.label.json" &&
		k PATCH "$APPS/namespaces/$1/applications/$2" "$TMP/.label.json" \
			application/merge-patch+json >/dev/null
}

app_py() {
	k GET "$APPS/namespaces/$1/applications/$2" | jq_ "$3"
}

app_ready() {
	app_py "$1" "$2" "[c['status'] for c in d.get('status',{}).get('conditions',[]) if c['type']=='Ready'] == ['True'] and d['status'].get('observedGeneration') == d['metadata']['generation']" | grep -qx True
}

app_cond() {
	app_py "$1" "$2" "' '.join(c['status'] + ' ' + c['reason'] + ' ' + c['message'] for c in d.get('status',{}).get('conditions',[]) if c['type']=='$3')"
}

obj() {
	k GET "$1" | jq_ "$2"
}

gone() {
	! k GET "$1" >/dev/null && grep -q NotFound "$TMP/.k.body"
}

# events about an Application: "reason: message" lines
app_events() {
	k GET "/api/v1/namespaces/$1/events" |
		jq_ "'\n'.join(e['reason'] + ': ' + e['message'] for e in d['items'] if e['involvedObject']['name']=='$2' and e['involvedObject']['kind']=='Application')"
}

ctl_app() {
	_id=$1
	shift
	ctl_start "$_id" "$KNS" --app-label-selector "gitseal-test=$ID" \
		--key-size 2048 --app-interval 2s --app-timeout 20s \
		--app-retry-backoff 1s --app-retry-backoff-max 2s --requeue-dependency 1s \
		--leader-elect-lease-duration 2s "$@"
}

# git_down / git_up: stop the git daemon, and start it again on the same port (its pid is the
# one in $GS_SRV/pids whose command line names that port; nothing else is signalled).
git_down() {
	for _p in $(cat "$GS_SRV/pids"); do
		if tr '\0' ' ' < "/proc/$_p/cmdline" 2>/dev/null | grep -q -- "--port=$GS_GIT_PORT "; then
			kill -TERM "$_p" && while kill -0 "$_p" 2>/dev/null; do sleep 0.05; done
		fi
	done
	! python3 -c "import socket; socket.create_connection(('127.0.0.1', $GS_GIT_PORT), 0.5)" 2>/dev/null
}

git_up() {
	git daemon --reuseaddr --listen=127.0.0.1 --port="$GS_GIT_PORT" --base-path="$GS_REPOS" \
		--export-all --enable=upload-pack --informative-errors "$GS_REPOS" \
		>> "$GS_SRV/run/git-daemon.log" 2>&1 &
	echo $! >> "$GS_SRV/pids"
	_gs_wait_port "$GS_GIT_PORT" $!
}

# cms NAME COUNT PREFIX: COUNT ConfigMaps PREFIX-0.. in one file of the repository
cms() {
	_i=0
	while [ $_i -lt "$2" ]; do
		printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s-%d, namespace: %s}\ndata: {i: "%d"}\n' \
			"$3" $_i "$NS" $_i
		_i=$((_i + 1))
	done | repo_write cfg "$1"
}

# count PREFIX: how many ConfigMaps of $NS are named PREFIX-*
count() {
	k GET "/api/v1/namespaces/$NS/configmaps" |
		jq_ "len([i for i in d['items'] if i['metadata']['name'].startswith('$1-')])"
}
