#!/bin/sh
# lib/kube per-call latency on keep-alive against the real kube-apiserver (tests/kube/up.sh),
# vs the curl command line doing the same GETs over one kept-alive connection.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
[ -x "$O/run-kube" ] || { echo "b50-kube: $O/run-kube missing (make test builds it)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/b50.XXXXXX")
own=
cleanup() { [ -n "$own" ] && sh "$TOP/tests/kube/down.sh" "$own" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${KUBE_API_URL:-}" ]; then
	env=$(KUBE_UP_WATCH_PID=$$ sh "$TOP/tests/kube/up.sh" 2>"$TMP/up.log") && eval "$env" && [ -n "${KUBE_UP_DIR:-}" ] ||
		{ echo "b50-kube: no API server: $(tail -n 1 "$TMP/up.log")"; exit 1; }
	own=$KUBE_UP_DIR
	export KUBECONFIG KUBE_API_URL KUBE_API_TOKEN KUBE_API_CA KUBE_API_CLIENT_CERT KUBE_API_CLIENT_KEY
fi

# ours: 250 creates and 200 GETs of one ConfigMap on one client (qps limit off), from run-kube
TMPDIR=$TMP "$O/run-kube" kube_client::list_250 > "$TMP/ours.tap" 2>&1
grep -q '^ok' "$TMP/ours.tap" || { cat "$TMP/ours.tap"; exit 1; }
create=$(sed -n 's/^# 250 creates on keep-alive: \([0-9.]*\) ms.*/\1/p' "$TMP/ours.tap")
get=$(sed -n 's/^# 200 GETs on keep-alive: \([0-9.]*\) ms.*/\1/p' "$TMP/ours.tap")

# curl: 200 GETs of a small object (the default Namespace) in one process, over one connection
url="$KUBE_API_URL/api/v1/namespaces/default"
urls=
i=0
while [ $i -lt 200 ]; do urls="$urls $url"; i=$((i + 1)); done
t0=$(date +%s%N)
# shellcheck disable=SC2086
curl -sf --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" $urls > /dev/null ||
	{ echo "b50-kube: curl failed"; exit 1; }
t1=$(date +%s%N)
curl_get=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/200/1e6}')
echo "lib/kube: create $create ms, GET $get ms per call on keep-alive (one client, no QPS limit)"
echo "curl CLI: GET $curl_get ms per call (200 URLs, one connection)"
awk -v c="$curl_get" -v g="$get" 'BEGIN{printf "ratio: curl GET / lib/kube GET = %.2f  (goal >= 0.8: as fast as curl; ~1-2 ms per call)\n", c/g}'
