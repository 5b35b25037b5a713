# Sourced by tests/kube/t*.sh after tests/lib.sh: the API server and helpers.
#
#   kube_need_server      use the server tests/run.sh started ($KUBE_API_URL), else start one for this
#                         script (stopped at exit); returns 1 (after a failing test line) if it can't
#   kube_ns TAG           create a fresh namespace t-TAG-<random>, print its name
#   kube_curl ARGS...     curl against the API server as admin
#   canned_start          start tests/kube/canned.py on 127.0.0.1:<random>, export KT_CANNED_URL

_kube_own=
_kube_canned_pid=
_kube_cleanup() {
	[ -n "$_kube_canned_pid" ] && kill "$_kube_canned_pid" 2>/dev/null && wait "$_kube_canned_pid" 2>/dev/null
	[ -n "$_kube_own" ] && sh "$TOP/tests/kube/down.sh" "$_kube_own" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap _kube_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

kube_need_server() {
	if [ -n "${KUBE_API_URL:-}" ] && [ -n "${KUBECONFIG:-}" ]; then
		return 0
	fi
	if _env=$(KUBE_UP_WATCH_PID=$$ sh "$TOP/tests/kube/up.sh" 2>"$TMP/kube-up.log") && eval "$_env" &&
		[ -n "${KUBE_UP_DIR:-}" ]; then
		_kube_own=$KUBE_UP_DIR
		export KUBECONFIG KUBE_UP_DIR KUBE_API_URL KUBE_API_TOKEN KUBE_API_CA KUBE_API_CLIENT_CERT KUBE_API_CLIENT_KEY KUBE_ETCD_URL
		return 0
	fi
	t_expect "kube-apiserver starts (make deps installs it; $(tail -n 1 "$TMP/kube-up.log"))" 'false'
	return 1
}

kube_curl() {
	curl -sS --max-time 30 --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" "$@"
}

kube_ns() {
	_ns="t-$1-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
	kube_curl -o /dev/null -f -X POST -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$_ns\"}}" \
		"$KUBE_API_URL/api/v1/namespaces" || return 1
	echo "$_ns"
}

canned_start() {
	python3 "$TOP/tests/kube/canned.py" "$TMP/canned.port" > "$TMP/canned.log" 2>&1 &
	_kube_canned_pid=$!
	_i=0
	while [ ! -s "$TMP/canned.port" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && return 1
		kill -0 "$_kube_canned_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	KT_CANNED_URL=http://127.0.0.1:$(cat "$TMP/canned.port")
	export KT_CANNED_URL
}
