#!/bin/sh
# gitseal-controller over an object's life: a SealedSecret no key opens is retried at most
# --max-unseal-retries times and unsealed at once when its key arrives; a deleted SealedSecret is
# forgotten (its metric goes, its Secret stays) or, with --old-gc-behavior, takes its Secret along;
# --skip-recreate leaves a deleted Secret deleted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "controller suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6006-keys-$ID
NS=t6006-$ID
FLAGS="--all-namespaces=false --additional-namespaces=$NS --key-size=2048 --max-unseal-retries=2"
export KNS NS FLAGS

ss_del() { k DELETE "/apis/bitnami.com/v1alpha1/namespaces/$NS/sealedsecrets/$1" > /dev/null; }
fails() { grep -c "msg=\"unseal failed\" namespace=$NS name=$1 " "$TMP/c1.log"; }

t_expect "CRD, namespaces, and a key the cluster does not have yet" '
	ctl_crd && ns_create $KNS && ns_create $NS &&
	"$GITSEAL" keys new --namespace $KNS -o json > later.json && "$GITSEAL" keys cert --key later.json > later.pem'

t_expect "the controller starts with a key of its own" '
	ctl_start c1 $KNS $FLAGS && wait_for "grep -q \"controller started\" $TMP/c1.log" 30 &&
	curl -sf $(ctl_url c1 /v1/cert.pem) > cert.pem'

t_expect "sealed for the missing key: Synced=False, tried 1 + --max-unseal-retries times, no more" '
	secret_yaml lk $NS v=later > lk.yaml && seal_apply lk $NS lk.yaml later.pem &&
	wait_for "synced $NS lk | grep -q ^False" 20 && wait_for "[ \$(fails lk) -ge 3 ]" 20 &&
	sleep 5 && [ "$(fails lk)" = 3 ] && ! k GET /api/v1/namespaces/$NS/secrets/lk'

t_expect "its key arrives: unsealed at once, Synced=True" '
	k POST /api/v1/namespaces/$KNS/secrets later.json > /dev/null &&
	wait_for "secret_value $NS lk v" 20 && [ "$(secret_value $NS lk v)" = later ] &&
	wait_for "synced $NS lk | grep -q ^True" 10'

t_expect "a deleted SealedSecret is forgotten: logged, its metric gone, its Secret left" '
	secret_yaml gone $NS v=1 > gone.yaml && seal_apply gone $NS gone.yaml cert.pem &&
	wait_for "secret_value $NS gone v" 20 &&
	wait_for "curl -sf http://127.0.0.1:$(cat $TMP/c1.mport)/metrics | grep -q \"name=\\\"gone\\\"\"" 10 &&
	ss_del gone && wait_for "grep -q \"msg=\\\"sealedsecret deleted\\\" namespace=$NS name=gone\" $TMP/c1.log" 10 &&
	curl -sf http://127.0.0.1:$(cat $TMP/c1.mport)/metrics > met && ! grep -q "name=\"gone\"" met &&
	k GET /api/v1/namespaces/$NS/secrets/gone > /dev/null'

t_expect "--old-gc-behavior: the Secret goes with its SealedSecret" '
	ctl_stop c1 && ctl_start c2 $KNS $FLAGS --old-gc-behavior && wait_for "grep -q \"caught up\" $TMP/c2.log" 30 &&
	secret_yaml gc $NS v=1 > gc.yaml && seal_apply gc $NS gc.yaml cert.pem && wait_for "secret_value $NS gc v" 20 &&
	ss_del gc && wait_for "! k GET /api/v1/namespaces/$NS/secrets/gc" 20'

t_expect "--skip-recreate: a deleted Secret stays deleted" '
	ctl_stop c2 && ctl_start c3 $KNS $FLAGS --skip-recreate && wait_for "grep -q \"caught up\" $TMP/c3.log" 30 &&
	k DELETE /api/v1/namespaces/$NS/secrets/lk > /dev/null && sleep 3 &&
	! k GET /api/v1/namespaces/$NS/secrets/lk && ! grep -q "secret deleted, recreating" $TMP/c3.log'

t_expect "without it, the same Secret is made again" '
	ctl_stop c3 && ctl_start c4 $KNS $FLAGS && wait_for "secret_value $NS lk v" 30 &&
	k DELETE /api/v1/namespaces/$NS/secrets/lk > /dev/null &&
	wait_for "grep -q \"secret deleted, recreating\" $TMP/c4.log" 20 && wait_for "secret_value $NS lk v" 20 &&
	ctl_stop c4'

t_done
