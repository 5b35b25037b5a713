# Helpers for the gitseal-controller suites (tests/kube/t6*.sh), sourced after tests/lib.sh.
# The API server is already up (tests/run.sh): KUBE_API_URL, KUBE_API_TOKEN, KUBE_API_CA.
# The API is driven with curl and JSON read with python3 (both in tests/deps.sh), so no kubectl.
#
#   k METHOD PATH [FILE [CONTENT-TYPE]]   one API call; body on stdout; fails on HTTP >= 400
#   jq_ 'EXPR' < json                     print a python expression over d (the parsed JSON)
#   ctl_start ID KEYNS [flags]            a controller in the background (log $TMP/ID.log,
#                                          ports in $TMP/ID.port and $TMP/ID.mport)
#   ctl_stop ID                           SIGTERM and wait; fails if ASan/UBSan reported anything
#   wait_for 'CMD' [SECONDS]              until CMD succeeds
# Every controller started is stopped when the script exits (by pid, never by name).

ctl_have_server() {
	[ -n "${KUBE_API_URL:-}" ] && [ -n "${KUBE_API_TOKEN:-}" ] && [ -n "${KUBE_API_CA:-}" ]
}

ctl_kill_all() {
	[ -f "$TMP/ctl.pids" ] || return 0
	for _p in $(cat "$TMP/ctl.pids"); do
		kill -TERM "$_p" 2>/dev/null
	done
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		_alive=
		for _p in $(cat "$TMP/ctl.pids"); do
			kill -0 "$_p" 2>/dev/null && _alive=1
		done
		[ -z "$_alive" ] && break
		sleep 0.25
	done
	for _p in $(cat "$TMP/ctl.pids"); do
		kill -KILL "$_p" 2>/dev/null
	done
	rm -f "$TMP/ctl.pids"
}
trap 'ctl_kill_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

k() {
	_m=$1 _p=$2 _f=${3:-} _ct=${4:-application/json}
	if [ -n "$_f" ]; then
		_code=$(curl -sS -o "$TMP/.k.body" -w '%{http_code}' --cacert "$KUBE_API_CA" \
			-H "Authorization: Bearer $KUBE_API_TOKEN" -H "Content-Type: $_ct" -X "$_m" \
			--data-binary @"$_f" "$KUBE_API_URL$_p")
	else
		_code=$(curl -sS -o "$TMP/.k.body" -w '%{http_code}' --cacert "$KUBE_API_CA" \
			-H "Authorization: Bearer $KUBE_API_TOKEN" -X "$_m" "$KUBE_API_URL$_p")
	fi
	cat "$TMP/.k.body"
	[ "${_code:-0}" -ge 200 ] && [ "$_code" -lt 400 ]
}

jq_() {
	python3 -c "import json,sys,base64
d=json.load(sys.stdin)
print($1)"
}

wait_for() {
	_n=$(( ${2:-20} * 5 ))
	while [ "$_n" -gt 0 ]; do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	echo "timed out waiting for: $1"
	return 1
}

# ns_create NAME: a namespace (never deleted: they only ever reach Terminating here)
ns_create() {
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}' "$1" > "$TMP/.ns.json"
	k POST /api/v1/namespaces "$TMP/.ns.json" >/dev/null || grep -q AlreadyExists "$TMP/.k.body"
}

# ctl_crd: the shipped CRD, once per API server
ctl_crd() {
	k POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$TOP/deploy/base/crds/sealedsecrets.yaml" \
		application/yaml >/dev/null || grep -q AlreadyExists "$TMP/.k.body" || return 1
	wait_for 'k GET /apis/bitnami.com/v1alpha1/sealedsecrets' 30
}

ctl_start() {
	_id=$1 _kns=$2
	shift 2
	POD_NAMESPACE=$_kns POD_NAME=$_id "$CONTROLLER" --listen-addr 127.0.0.1:0 --listen-metrics-addr 127.0.0.1:0 \
		--listen-webhook-addr 127.0.0.1:0 --source-cache-dir "$TMP/$_id.cache" \
		"$@" > "$TMP/$_id.log" 2>&1 < /dev/null &
	echo $! > "$TMP/$_id.pid"
	echo $! >> "$TMP/ctl.pids"
	# logfmt (msg="http listening" ... port=N) or --log-format=json ("msg":"http listening",...,"port":N)
	wait_for "grep -q 'msg.\{1,2\}\"http listening\"' '$TMP/$_id.log'" 15 || { cat "$TMP/$_id.log"; return 1; }
	sed -n 's/.*msg.\{1,2\}"http listening".*[ "]port"\{0,1\}[=:]\([0-9]*\).*/\1/p' "$TMP/$_id.log" | head -1 > "$TMP/$_id.port"
	sed -n 's/.*msg.\{1,2\}"http listening".*metrics_port"\{0,1\}[=:]\([0-9]*\).*/\1/p' "$TMP/$_id.log" | head -1 > "$TMP/$_id.mport"
	sed -n 's/.*msg.\{1,2\}"http listening".*webhook_port"\{0,1\}[=:]\([0-9]*\).*/\1/p' "$TMP/$_id.log" | head -1 > "$TMP/$_id.wport"
}

ctl_stop() {
	_pid=$(cat "$TMP/$1.pid")
	kill -TERM "$_pid" 2>/dev/null
	_n=50
	while kill -0 "$_pid" 2>/dev/null && [ $_n -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	! kill -0 "$_pid" 2>/dev/null || return 1
	# under make asan: a sanitizer report (leaks at exit included) fails the step that stopped it
	if grep -q "Sanitizer\|runtime error:" "$TMP/$1.log"; then
		grep -A20 "Sanitizer\|runtime error:" "$TMP/$1.log" | head -40
		return 1
	fi
}

ctl_url() { # ctl_url ID PATH
	echo "http://127.0.0.1:$(cat "$TMP/$1.port")$2"
}

# seal_apply NAME NS FILE.yaml CERTURL [seal flags]: seal a Secret and create the SealedSecret
seal_apply() {
	_n=$1 _ns=$2 _in=$3 _cert=$4
	shift 4
	"$GITSEAL" seal --cert "$_cert" "$@" < "$_in" > "$TMP/$_n.sealed.json" &&
		k POST "/apis/bitnami.com/v1alpha1/namespaces/$_ns/sealedsecrets" "$TMP/$_n.sealed.json" >/dev/null
}

# secret_value NS NAME KEY: the decoded value of a Secret's data key
secret_value() {
	k GET "/api/v1/namespaces/$1/secrets/$2" | jq_ "base64.b64decode(d['data']['$3']).decode()"
}

# synced NS NAME: prints "True"/"False" and the message of the Synced condition
synced() {
	k GET "/apis/bitnami.com/v1alpha1/namespaces/$1/sealedsecrets/$2" |
		jq_ "' '.join([c['status'] + ' ' + c.get('message','') for c in d.get('status',{}).get('conditions',[]) if c['type']=='Synced'])"
}

# events NS NAME: "reason: message" of the Events about a SealedSecret
events() {
	k GET "/api/v1/namespaces/$1/events" |
		jq_ "'\n'.join(e['reason'] + ': ' + e['message'] + ' x' + str(e.get('count',1)) for e in d['items'] if e['involvedObject']['name']=='$2')"
}

secret_yaml() { # secret_yaml NAME NS key=value...: a Secret manifest with stringData
	_n=$1 _ns=$2
	shift 2
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\nstringData:\n' "$_n" "$_ns"
	for _kv in "$@"; do
		printf '  %s: "%s"\n' "${_kv%%=*}" "${_kv#*=}"
	done
}

# ctl_host_ip: a non-loopback IPv4 address (the API server's service proxy refuses loopback
# endpoints), or nothing
ctl_host_ip() {
	hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep '^[0-9.]*$' | head -n1
}

# ctl_service ID KNS IP: controller ID (started with --listen-addr IP:0) behind the Service
# sealed-secrets-controller of KNS (port name http), as t1000 makes it: a Pod object with that IP
# stands for the controller's pod (the proxy only goes to endpoints backed by a Pod), Endpoints by
# hand (no controller-manager here)
ctl_service() {
	_id=$1 _kns=$2 _ip=$3 _port=$(cat "$TMP/$1.port")
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ctl-%s"},"spec":{"containers":[{"name":"c","image":"none"}]}}' "$_id" > "$TMP/.pod.json" &&
	k POST "/api/v1/namespaces/$_kns/pods" "$TMP/.pod.json" > "$TMP/.pod.out" &&
	python3 -c "import json; d=json.load(open('$TMP/.pod.out')); d['status']={'phase':'Running','podIP':'$_ip','podIPs':[{'ip':'$_ip'}]}; json.dump(d, open('$TMP/.pods.json','w'))" &&
	k PUT "/api/v1/namespaces/$_kns/pods/ctl-$_id/status" "$TMP/.pods.json" > /dev/null &&
	printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"sealed-secrets-controller"},"spec":{"ports":[{"name":"http","port":8080,"targetPort":%s}]}}' "$_port" > "$TMP/.svc.json" &&
	printf '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"sealed-secrets-controller"},"subsets":[{"addresses":[{"ip":"%s","targetRef":{"kind":"Pod","name":"ctl-%s","namespace":"%s"}}],"ports":[{"name":"http","port":%s}]}]}' "$_ip" "$_id" "$_kns" "$_port" > "$TMP/.ep.json" &&
	k POST "/api/v1/namespaces/$_kns/services" "$TMP/.svc.json" > /dev/null &&
	k POST "/api/v1/namespaces/$_kns/endpoints" "$TMP/.ep.json" > /dev/null
}

# ctl_repoint ID KNS: the Endpoints of KNS's controller Service to controller ID's port now
ctl_repoint() {
	_ip=$(ctl_host_ip) _port=$(cat "$TMP/$1.port")
	k GET "/api/v1/namespaces/$2/endpoints/sealed-secrets-controller" > "$TMP/.ep.cur" &&
	python3 -c "import json; d=json.load(open('$TMP/.ep.cur')); d['subsets'][0]['ports'][0]['port']=$_port; json.dump(d, open('$TMP/.ep.new','w'))" &&
	k PUT "/api/v1/namespaces/$2/endpoints/sealed-secrets-controller" "$TMP/.ep.new" > /dev/null &&
	k GET "/api/v1/namespaces/$2/services/sealed-secrets-controller" > "$TMP/.svc.cur" &&
	python3 -c "import json; d=json.load(open('$TMP/.svc.cur')); d['spec']['ports'][0]['targetPort']=$_port; json.dump(d, open('$TMP/.svc.new','w'))" &&
	k PUT "/api/v1/namespaces/$2/services/sealed-secrets-controller" "$TMP/.svc.new" > /dev/null
}

# age_identities NS: the age key files of the identity Secrets of NS, concatenated (what the
# controller decrypts with)
age_identities() {
	k GET "/api/v1/namespaces/$1/secrets?labelSelector=gitseal.dev%2Fage-identity" |
		jq_ "''.join(base64.b64decode(i['data']['identity.agekey']).decode() for i in d['items'])"
}
