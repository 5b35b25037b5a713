#!/bin/sh
# gitseal-controller at scale, on a real kube-apiserver started (and stopped) here:
# N SealedSecrets (default 4000, 1 RSA-4096 item each, 8 namespaces) from a cold start to every
# Secret present, then a restart over the same objects (nothing to write, nothing to decrypt).
# Upstream reference (no upstream controller runs here): issue #1833 reports 20-30 min for
# ~4000 SealedSecrets after a restart at its default client QPS (5), and #1289 50+ MiB RSS.
# Goals: cold start <= 60 s on 2 cores, RSS <= 30 MiB.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=$O/gitseal
CONTROLLER=$O/gitseal-controller
N=${BENCH_SEALEDSECRETS:-4000}
NNS=8
W=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-b40.XXXXXX")
CPID=

cleanup() {
	[ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && sleep 1 && kill -KILL "$CPID" 2>/dev/null
	[ -n "${KUBE_UP_DIR:-}" ] && sh "$TOP/tests/kube/down.sh" "$KUBE_UP_DIR" >/dev/null 2>&1
	[ -n "${BENCH_KEEP:-}" ] && cp "$W"/*.log "$BENCH_KEEP"/ 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! eval "$(sh "$TOP/tests/kube/up.sh" "$W/kube" 2>"$W/up.err")"; then
	echo "b40-controller: SKIP: kube-apiserver did not start (make deps installs it)"
	tail -3 "$W/up.err"
	exit 0
fi

api() { # api METHOD PATH [FILE [CTYPE]]
	if [ -n "${3:-}" ]; then
		curl -sS -o /dev/null -w '%{http_code}' --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" \
			-H "Content-Type: ${4:-application/json}" -X "$1" --data-binary @"$3" "$KUBE_API_URL$2"
	else
		curl -sS --cacert "$KUBE_API_CA" -H "Authorization: Bearer $KUBE_API_TOKEN" -X "$1" "$KUBE_API_URL$2"
	fi
}

KNS=bench-keys
api POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$TOP/deploy/base/crds/sealedsecrets.yaml" application/yaml >/dev/null
for ns in $KNS $(seq -f "bench-%g" 1 $NNS); do
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}' "$ns" > "$W/ns.json"
	api POST /api/v1/namespaces "$W/ns.json" >/dev/null
done
"$GITSEAL" keys new --namespace $KNS -o json > "$W/key.json" && "$GITSEAL" keys cert --key "$W/key.json" > "$W/cert.pem" &&
	[ "$(api POST /api/v1/namespaces/$KNS/secrets "$W/key.json")" = 201 ] || { echo "b40-controller: key setup failed"; exit 1; }
until api GET /apis/bitnami.com/v1alpha1/sealedsecrets >/dev/null 2>&1 && \
	api GET /apis/bitnami.com/v1alpha1/sealedsecrets | grep -q SealedSecretList; do sleep 0.5; done

# N Secrets -> N SealedSecrets (offline), created over one keep-alive connection
python3 - "$N" "$NNS" > "$W/secrets.yaml" <<'EOF'
import sys
n, nns = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s%d\n  namespace: bench-%d\nstringData:\n  password: \"pw-%d-%s\"" % (i, i % nns + 1, i, "x" * 24))
EOF
t0=$(date +%s.%N)
"$GITSEAL" seal --cert "$W/cert.pem" < "$W/secrets.yaml" > "$W/sealed.json" || { echo "b40-controller: seal failed"; exit 1; }
t1=$(date +%s.%N)
python3 - "$W/sealed.json" <<'EOF' || exit 1
import http.client, json, os, ssl, sys, urllib.parse
u = urllib.parse.urlparse(os.environ["KUBE_API_URL"])
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=os.environ["KUBE_API_CA"]))
h = {"Authorization": "Bearer " + os.environ["KUBE_API_TOKEN"], "Content-Type": "application/json"}
text, dec, i = open(sys.argv[1]).read(), json.JSONDecoder(), 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    c.request("POST", "/apis/bitnami.com/v1alpha1/namespaces/%s/sealedsecrets" % obj["metadata"]["namespace"], json.dumps(obj), h)
    r = c.getresponse()
    r.read()
    if r.status >= 300:
        sys.exit("create failed: %d" % r.status)
EOF
t2=$(date +%s.%N)

count_secrets() { # Secrets in the bench namespaces
	python3 - "$NNS" <<'EOF'
import http.client, json, os, ssl, sys, urllib.parse
u = urllib.parse.urlparse(os.environ["KUBE_API_URL"])
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=os.environ["KUBE_API_CA"]))
h = {"Authorization": "Bearer " + os.environ["KUBE_API_TOKEN"]}
total = 0
for ns in range(1, int(sys.argv[1]) + 1):
    c.request("GET", "/api/v1/namespaces/bench-%d/secrets?limit=1" % ns, headers=h)
    d = json.loads(c.getresponse().read())
    total += len(d["items"]) + d["metadata"].get("remainingItemCount", 0)
print(total)
EOF
}

run_controller() { # run_controller LOG: start, wait for "caught up", print wall seconds
	_s=$(date +%s.%N)
	POD_NAMESPACE=$KNS "$CONTROLLER" --listen-addr 127.0.0.1:0 --listen-metrics-addr 127.0.0.1:0 \
		--all-namespaces=true --leader-elect=false --applications=false > "$1" 2>&1 &
	CPID=$!
	_n=0
	until grep -qs 'msg="caught up"' "$1"; do
		sleep 0.1
		_n=$((_n + 1))
		[ $_n -gt 6000 ] && { echo "b40-controller: no 'caught up' after 600 s"; tail -5 "$1"; return 1; }
		kill -0 $CPID 2>/dev/null || { echo "b40-controller: controller died"; tail -5 "$1"; return 1; }
	done
	_e=$(date +%s.%N)
	awk '/VmHWM/ {print $2}' /proc/$CPID/status > "$1.hwm"
	awk '{print ($14 + $15) / 100}' /proc/$CPID/stat > "$1.cpu"
	kill -TERM $CPID && wait $CPID 2>/dev/null
	CPID=
	echo "$_s $_e" | awk '{printf "%.2f", $2 - $1}'
}

cold=$(run_controller "$W/cold.log") || exit 1
# when the last Secret was written (each one's event and status follow on the post threads)
secrets_at=$(python3 - "$W/cold.log" <<'PY'
import datetime, re, sys
ms = [re.match(r'time=(\S+)Z level=\S+ msg="([^"]*)"', l) for l in open(sys.argv[1], errors="replace")]
ts = [(datetime.datetime.fromisoformat(m.group(1)), m.group(2)) for m in ms if m]
print("%.2f" % (max(t for t, msg in ts if msg == "unsealed") - ts[0][0]).total_seconds())
PY
)
cold_hwm=$(cat "$W/cold.log.hwm") cold_cpu=$(cat "$W/cold.log.cpu")
present=$(count_secrets)
warm=$(run_controller "$W/warm.log") || exit 1
warm_hwm=$(cat "$W/warm.log.hwm") warm_cpu=$(cat "$W/warm.log.cpu")
line=$(grep 'msg="caught up"' "$W/warm.log")
unsealed=$(echo "$line" | sed -n 's/.* unsealed=\([0-9]*\).*/\1/p')
unchanged=$(echo "$line" | sed -n 's/.* unchanged=\([0-9]*\).*/\1/p')

awk -v n="$N" -v seal="$t0 $t1" -v create="$t1 $t2" 'BEGIN {
	split(seal, a, " "); split(create, b, " ");
	printf "setup: sealed %d Secrets offline in %.2f s, created the SealedSecrets in %.2f s\n", n, a[2] - a[1], b[2] - b[1] }'
echo "figure: cold start, $N SealedSecrets: all $present Secrets present after $secrets_at s, every status and event written after $cold s (controller CPU $cold_cpu s, peak RSS $((cold_hwm / 1024)) MiB, load average $(cut -d' ' -f1 /proc/loadavg))"
echo "figure: restart over the same objects: $warm s, unsealed=$unsealed unchanged=$unchanged (CPU $warm_cpu s, peak RSS $((warm_hwm / 1024)) MiB)"
awk -v n="$N" -v create="$t1 $t2" -v c="$secrets_at" 'BEGIN { split(create, b, " "); w = b[2] - b[1];
	printf "figure: API server floor: one client created the %d SealedSecrets in %.1f s; a cold start writes 3 objects per SealedSecret (Secret, Event, status), %.0f s at that rate; ours %.1f s = %.2fx that\n", n, w, 3 * w, c, c / (3 * w) }'
awk -v c="$secrets_at" 'BEGIN { printf "ratio: upstream cold start ~1200 s (issue #1833, 20-30 min) / ours %.1f s (all Secrets present) = %.0fx  (goal: <= 60 s)\n", c, 1200 / c }'
awk -v r="$cold_hwm" 'BEGIN { printf "ratio: upstream RSS 50 MiB (issue #1289) / ours %.1f MiB = %.1fx  (goal: <= 30 MiB)\n", r / 1024, 50 * 1024 / r }'
[ "$present" = "$N" ] || { echo "b40-controller: only $present of $N Secrets present"; exit 1; }
[ "$unsealed" = 0 ] || { echo "b40-controller: the restart rewrote $unsealed Secrets"; exit 1; }
