#!/bin/sh
# gitseal-controller's HTTP server against hostile clients (issue 14): methods (405 + Allow),
# body and item caps, rate limits by peer address (never X-Forwarded-For), /metrics that no
# method or path can break or grow, the whole-request deadline, the per-address and total
# connection limits. Loopback only; tests/kube/hostile.py plays the clients.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6201-keys-$ID
NS=t6201-$ID
HOSTILE="python3 $TOP/tests/kube/hostile.py"
FLAGS="--all-namespaces=false --additional-namespaces=$NS --key-size=2048 --read-timeout=3s
	--write-timeout=3s --http-max-connections=64 --http-max-connections-per-ip=16 --http-max-items=40"
export KNS NS HOSTILE FLAGS

code() { # code [curl args]: the HTTP status only
	curl -s -o /dev/null -w "%{http_code}" "$@"
}
metrics() {
	curl -sf "http://127.0.0.1:$(cat $TMP/c.mport)/metrics"
}

t_expect "CRD, namespaces, a controller with a key" '
	ctl_crd && ns_create $KNS && ns_create $NS && ctl_start c $KNS $FLAGS &&
	wait_for "curl -sf $(ctl_url c /v1/cert.pem) > cert.pem" 30'
PORT=$(cat "$TMP/c.port" 2>/dev/null)
export PORT

t_expect "a known path with another method: 405 and Allow; HEAD of /v1/cert.pem too (GET only)" '
	curl -s -i -X DELETE $(ctl_url c /healthz) > h && head -1 h | grep -q " 405 " &&
	grep -qi "^Allow: GET, HEAD" h &&
	curl -s -I $(ctl_url c /v1/cert.pem) > h && head -1 h | grep -q " 405 " && grep -qi "^Allow: GET" h &&
	curl -s -i $(ctl_url c /v1/rotate) > h && head -1 h | grep -q " 405 " && grep -qi "^Allow: POST" h &&
	[ "$(code $(ctl_url c /nothing))" = 404 ] && [ "$(code $(ctl_url c /healthz))" = 200 ]'

t_expect "a declared body over 2 MiB is refused before it is read (413); 64 KiB of headers: 431" '
	head -c 2200000 /dev/zero > big && [ "$(code --data-binary @big $(ctl_url c /v1/verify))" = 413 ] &&
	[ "$(code -H "X-Big: $(head -c 70000 /dev/zero | tr "\0" a)" $(ctl_url c /healthz))" = 431 ]'

t_expect "a SealedSecret of more items than --http-max-items: 413, nothing decrypted" '
	python3 -c "print(\"apiVersion: v1\nkind: Secret\nmetadata: {name: many, namespace: $NS}\nstringData:\")
for i in range(41): print(\"  k%d: v%d\" % (i, i))" > many.yaml &&
	"$GITSEAL" seal --cert cert.pem < many.yaml > many.json &&
	curl -s -w "\n%{http_code}" --data-binary @many.json $(ctl_url c /v1/verify) > r &&
	[ "$(tail -1 r)" = 413 ] && contains r "too many items: 41" && contains r "--http-max-items"'

t_expect "rate limit by peer address: X-Forwarded-For changes nothing, another address has its own" '
	secret_yaml one $NS v=1 > one.yaml && "$GITSEAL" seal --cert cert.pem < one.yaml > one.json &&
	sleep 1.1 && for i in 1 2 3 4 5; do
		code -H "X-Forwarded-For: 10.0.0.$i" --data-binary @one.json $(ctl_url c /v1/verify); echo
	done > codes && grep -q 429 codes &&
	[ "$(code --interface 127.0.0.3 --data-binary @one.json $(ctl_url c /v1/verify))" = 200 ] &&
	curl -s -i --data-binary @one.json $(ctl_url c /v1/verify) > h && head -1 h | grep -q " 429 " &&
	grep -qi "^Retry-After: 1" h'

t_expect "hostile methods: /metrics stays parseable and gains no series" '
	metrics > m0 && $HOSTILE methods $PORT 200 > out && cat out && metrics > m1 &&
	$HOSTILE promcheck m1 &&
	grep "^sealed_secrets_controller_http_requests_total{" m1 > series &&
	! grep -v "method=\"\(GET\|HEAD\|POST\|other\)\"" series && ! grep "level=warn.*msg=\"http server\"" $TMP/c.log &&
	[ "$(grep -c "method=\"other\"" series)" -le 2 ] &&
	contains series "{code=\"405\",method=\"other\",path=\"/healthz\"}" &&
	contains series "{code=\"404\",method=\"other\",path=\"other\"}"'

t_expect "a request trickled one byte a second is cut at --read-timeout" '
	$HOSTILE trickle $PORT 4 8 127.0.0.4 > out && cat out &&
	grep -q "opened=4 closed=4 closed_fast=0" out &&
	python3 -c "import sys; v=float(sys.argv[1]); sys.exit(not 2.5 < v < 5.5)" \
		"$(sed -n "s/.*lived_max=\([0-9.]*\).*/\1/p" out)" &&
	metrics | grep -q "http_connections_closed_total{reason=\"read_timeout\"}"'

t_expect "--http-max-connections-per-ip: the 17th connection from one address is closed at once" '
	$HOSTILE trickle $PORT 24 2 127.0.0.5 > out && cat out && grep -q "opened=24 closed=8 closed_fast=8" out'

t_expect "a flood of slow connections from many addresses: /healthz answers within 1 s" '
	for a in 6 7 8 9 10 11 12 13; do $HOSTILE trickle $PORT 16 7 127.0.0.$a > flood.$a & done &&
	sleep 2 && for i in 1 2 3 4 5; do
		curl -sf --max-time 1 $(ctl_url c /healthz) > h && [ "$(cat h)" = ok ] || exit 1; sleep 0.5
	done && wait && metrics > m2 &&
	grep -q "http_connections_closed_total{reason=\"evicted\"} [1-9]" m2 &&
	! grep "level=warn.*msg=\"http server\"" $TMP/c.log'

t_expect "the controller stops cleanly" 'ctl_stop c'
t_done
