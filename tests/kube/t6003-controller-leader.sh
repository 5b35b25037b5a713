#!/bin/sh
# Two gitseal-controllers with a Lease: one leader reconciles and makes keys, both serve HTTP
# with the same keys; when the leader stops, the other takes over.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6003-keys-$ID
NS=t6003-$ID
FLAGS="--all-namespaces=false --additional-namespaces=$NS --key-size=2048 --leader-elect-lease-duration=4s"
export KNS NS FLAGS

nkeys() {
	k GET "/api/v1/namespaces/$KNS/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key%3Dactive" |
		jq_ 'len(d["items"])'
}

t_expect "CRD and namespaces" 'ctl_crd && ns_create $KNS && ns_create $NS'
t_expect "two replicas: exactly one leader, the other waits" '
	ctl_start a $KNS $FLAGS && wait_for "grep -q \"became leader\" $TMP/a.log" 20 &&
	ctl_start b $KNS $FLAGS && wait_for "grep -q \"waiting for leadership\" $TMP/b.log" 20 &&
	sleep 2 && ! grep -q "became leader" $TMP/b.log &&
	k GET /apis/coordination.k8s.io/v1/namespaces/$KNS/leases/gitseal-controller | jq_ "d[\"spec\"][\"holderIdentity\"]" | grep -q "^a_"'
t_expect "one key; both replicas serve it" '
	wait_for "curl -sf $(ctl_url a /v1/cert.pem) > a.pem" 30 && wait_for "curl -sf $(ctl_url b /v1/cert.pem) > b.pem" 20 &&
	cmp a.pem b.pem && [ "$(nkeys)" = 1 ] && grep -q "generating a new key" $TMP/a.log &&
	! grep -q "generating a new key" $TMP/b.log'
t_expect "only the leader unseals" '
	secret_yaml one $NS v=1 > one.yaml && seal_apply one $NS one.yaml a.pem &&
	wait_for "secret_value $NS one v" 20 && sleep 1 &&
	grep -q "msg=\"unsealed\" namespace=$NS name=one" $TMP/a.log && ! grep -q "msg=\"unsealed\"" $TMP/b.log'
t_expect "the follower verifies with the shared keys" '
	[ "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @one.sealed.json $(ctl_url b /v1/verify))" = 200 ]'
t_expect "SIGUSR1 to the follower makes no key" '
	kill -USR1 $(cat $TMP/b.pid) && wait_for "grep -q \"only the leader generates keys\" $TMP/b.log" 10 &&
	sleep 1 && [ "$(nkeys)" = 1 ]'
t_expect "the leader stops: the other takes over and unseals" '
	ctl_stop a && wait_for "grep -q \"became leader\" $TMP/b.log" 20 &&
	secret_yaml two $NS v=2 > two.yaml && seal_apply two $NS two.yaml a.pem &&
	wait_for "secret_value $NS two v" 20 && grep -q "msg=\"unsealed\" namespace=$NS name=two" $TMP/b.log &&
	[ "$(nkeys)" = 1 ]'
t_done
