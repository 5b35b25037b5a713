#!/bin/sh
# Fleets (issue 11): two gitseal-controllers in two namespaces stand for two clusters. One SOPS
# file encrypted to both (--to-cluster through the API server for one, --cluster-recipient URL
# for the other; then one .sops.yaml rule naming both) opens with either cluster's identities
# alone; gitseal seal --cluster-cert writes one SealedSecret per cluster in one run, and each
# controller unseals its own.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "fleet" "no API server (run through make test)"
	t_done
	exit 0
fi
IP=$(ctl_host_ip)
if [ -z "$IP" ]; then
	t_skip "fleet" "no non-loopback IPv4 address for the service proxy"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KA=t6603-a-$ID
KB=t6603-b-$ID
NSA=t6603-apps-a-$ID
NSB=t6603-apps-b-$ID
CTX=$(sed -n 's/^current-context: *//p' "$KUBECONFIG")
export KA KB NSA NSB IP CTX
G=$GITSEAL

t_expect "two controllers, each with its own keys and age identity" '
	ctl_crd && ns_create $KA && ns_create $KB && ns_create $NSA && ns_create $NSB &&
	ctl_start a $KA --all-namespaces=false --additional-namespaces=$NSA --key-size=2048 --listen-addr $IP:0 &&
	ctl_start b $KB --all-namespaces=false --additional-namespaces=$NSB --key-size=2048 --listen-addr $IP:0 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/a.port)/v1/age-recipient > ra.txt" 30 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/b.port)/v1/age-recipient > rb.txt" 30 && ! cmp -s ra.txt rb.txt &&
	wait_for "curl -sf http://$IP:$(cat $TMP/a.port)/v1/cert.pem > a.pem && curl -sf http://$IP:$(cat $TMP/b.port)/v1/cert.pem > b.pem" 30 &&
	ctl_service a $KA $IP && age_identities $KA > ida.txt && age_identities $KB > idb.txt'

t_expect "one SOPS file for both clusters: it opens with either cluster alone" '
	secret_yaml db shared password=fleet-pass > db.yaml &&
	"$G" encrypt --to-cluster "$CTX" --controller-namespace $KA --cluster-recipient "http://$IP:$(cat $TMP/b.port)/v1/age-recipient" db.yaml > db.enc.yaml &&
	contains db.enc.yaml "recipient: $(cat ra.txt)" && contains db.enc.yaml "recipient: $(cat rb.txt)" &&
	SOPS_AGE_KEY_FILE=ida.txt "$G" decrypt db.enc.yaml | grep -q "password: fleet-pass" &&
	SOPS_AGE_KEY_FILE=idb.txt "$G" decrypt db.enc.yaml | grep -q "password: fleet-pass"'

t_expect "the same through one .sops.yaml rule naming both clusters" '
	mkdir -p repo/fleet && cp db.yaml repo/fleet/db.yaml &&
	printf "creation_rules:\n  - path_regex: fleet/.*\n    encrypted_regex: ^(data|stringData)\$\n    cluster:\n      - http://%s:%s/v1/age-recipient\n      - http://%s:%s/v1/age-recipient\n" \
		$IP $(cat $TMP/a.port) $IP $(cat $TMP/b.port) > repo/.sops.yaml &&
	(cd repo && "$G" encrypt fleet/db.yaml > fleet/db.enc.yaml) &&
	SOPS_AGE_KEY_FILE=ida.txt "$G" decrypt repo/fleet/db.enc.yaml | grep -q fleet-pass &&
	SOPS_AGE_KEY_FILE=idb.txt "$G" decrypt repo/fleet/db.enc.yaml | grep -q fleet-pass &&
	(cd repo && "$G" rotate --only sops > out) && contains repo/out "0 SOPS files rotated, 1 current"'

t_expect "seal --cluster-cert: one SealedSecret per cluster in one run; each controller unseals its own" '
	secret_yaml web $NSA token=for-a > wa.yaml &&
	"$G" seal --cluster-cert a=http://$IP:$(cat $TMP/a.port)/v1/cert.pem --cluster-cert b=b.pem -w "out/{cluster}/web.json" < wa.yaml &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NSA/sealedsecrets out/a/web.json > /dev/null &&
	wait_for "[ \"\$(secret_value $NSA web token)\" = for-a ]" 30 &&
	! cmp -s out/a/web.json out/b/web.json &&
	secret_yaml web $NSB token=for-b > wb.yaml &&
	"$G" seal --cluster-cert a=a.pem --cluster-cert b=b.pem -w "out2/{cluster}.json" < wb.yaml &&
	k POST /apis/bitnami.com/v1alpha1/namespaces/$NSB/sealedsecrets out2/b.json > /dev/null &&
	wait_for "[ \"\$(secret_value $NSB web token)\" = for-b ]" 30 &&
	ctl_stop a && ctl_stop b'
t_done
