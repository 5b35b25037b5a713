#!/bin/sh
# The cluster's own age identity (issue 11) against the real API server and gitseal-controller:
# made on first start as a labelled Secret, served at /v1/age-recipient; gitseal encrypt
# --to-cluster CONTEXT reaches it through the service proxy, a .sops.yaml `cluster:` rule and
# --cluster-recipient URL too; the file must name its namespace; the cluster's identities open
# it; SIGUSR1 and `gitseal keys renew` make new ones (old ones kept), `keys backup/restore`
# carry them, `keys retire` writes one away and deletes it, and the controller forgets it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

if ! ctl_have_server; then
	t_skip "age identity" "no API server (run through make test)"
	t_done
	exit 0
fi
IP=$(ctl_host_ip)
if [ -z "$IP" ]; then
	t_skip "age identity" "no non-loopback IPv4 address for the service proxy"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6601-keys-$ID
KNS2=t6601-restored-$ID
NS=t6601-$ID
CTX=$(sed -n 's/^current-context: *//p' "$KUBECONFIG")
export KNS KNS2 NS IP CTX

nage() { # nage NS: age identity Secrets
	k GET "/api/v1/namespaces/$1/secrets?labelSelector=gitseal.dev%2Fage-identity" | jq_ 'len(d["items"])'
}

t_expect "first start: one age identity Secret (label, annotation, .agekey data); /v1/age-recipient serves it" '
	ctl_crd && ns_create $KNS && ns_create $KNS2 && ns_create $NS &&
	ctl_start c1 $KNS --applications=false --all-namespaces=false --additional-namespaces=$NS --key-size=2048 --listen-addr $IP:0 &&
	wait_for "[ \$(nage $KNS) = 1 ]" 30 &&
	k GET "/api/v1/namespaces/$KNS/secrets?labelSelector=gitseal.dev%2Fage-identity%3Dactive" > ids.json &&
	jq_ "d[\"items\"][0][\"metadata\"][\"annotations\"][\"gitseal.dev/age-recipient\"]" < ids.json > anno.txt &&
	jq_ "d[\"items\"][0][\"type\"]" < ids.json | grep -qx Opaque &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient > r1.txt" 20 &&
	grep -qx "age1[a-z0-9]*" r1.txt && cmp r1.txt anno.txt &&
	age_identities $KNS > ids1.txt && grep -q "^AGE-SECRET-KEY-1" ids1.txt &&
	ctl_service c1 $KNS $IP'

t_expect "encrypt --to-cluster CONTEXT through the API server: namespace in clear, opens with the cluster identity" '
	secret_yaml db $NS password=s3cret > db.yaml &&
	"$GITSEAL" encrypt --to-cluster "$CTX" --controller-namespace $KNS db.yaml > db.enc.yaml &&
	contains db.enc.yaml "namespace: $NS" && contains db.enc.yaml "recipient: $(cat r1.txt)" &&
	! grep -q s3cret db.enc.yaml &&
	SOPS_AGE_KEY_FILE=ids1.txt "$GITSEAL" decrypt db.enc.yaml > db.dec.yaml && contains db.dec.yaml "password: s3cret"'

t_expect "the namespace is covered by the MAC: moving the file to another namespace breaks it" '
	sed "s/namespace: $NS/namespace: other/" db.enc.yaml > moved.yaml &&
	SOPS_AGE_KEY_FILE=ids1.txt fails_with 51 "$GITSEAL" sops -d moved.yaml 2> err && contains err "MAC mismatch"'

t_expect "no namespace, or a rule that would encrypt it: refused naming the file, nothing written" '
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  a: b\n" > nons.yaml &&
	fails_with 1 "$GITSEAL" encrypt --to-cluster "$CTX" --controller-namespace $KNS nons.yaml > out 2> err &&
	contains err "nons.yaml: Secret x has no metadata.namespace" && test ! -s out &&
	fails_with 1 "$GITSEAL" encrypt --cluster-recipient r1.txt --encrypted-regex "^(metadata|stringData)$" db.yaml > out 2> err &&
	contains err "would encrypt metadata.namespace" && test ! -s out'

t_expect ".sops.yaml cluster: rule (a URL), and --cluster-recipient URL, offline of the API server" '
	mkdir -p repo/prod && cp db.yaml repo/prod/db.yaml &&
	printf "creation_rules:\n  - path_regex: prod/.*\n    cluster: http://%s:%s/v1/age-recipient\n" $IP $(cat $TMP/c1.port) > repo/.sops.yaml &&
	(cd repo && "$GITSEAL" encrypt prod/db.yaml > prod/db.enc.yaml) && contains repo/prod/db.enc.yaml "recipient: $(cat r1.txt)" &&
	"$GITSEAL" encrypt --cluster-recipient "http://$IP:$(cat $TMP/c1.port)/v1/age-recipient" db.yaml > db2.enc.yaml &&
	contains db2.enc.yaml "recipient: $(cat r1.txt)" &&
	SOPS_AGE_KEY_FILE=ids1.txt "$GITSEAL" decrypt repo/prod/db.enc.yaml | grep -q "password: s3cret"'

t_expect "gitseal sops -e fetches a cluster: rule too, and refuses its default of encrypting every value" '
	(cd repo && fails_with 1 "$GITSEAL" sops -e prod/db.yaml > out 2> err) && contains repo/err "would encrypt metadata.namespace" &&
	printf "    encrypted_regex: ^(data|stringData)\$\n" >> repo/.sops.yaml &&
	(cd repo && "$GITSEAL" sops -e prod/db.yaml > prod/db3.enc.yaml) && contains repo/prod/db3.enc.yaml "recipient: $(cat r1.txt)"'

t_expect "SIGUSR1: a new sealing key AND a new age identity; the old identity stays loaded and listed" '
	curl -sf http://$IP:$(cat $TMP/c1.port)/v1/cert.pem > cert1.pem &&
	kill -USR1 $(cat $TMP/c1.pid) && wait_for "[ \$(nage $KNS) = 2 ]" 30 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient > r2.txt && ! cmp -s r1.txt r2.txt" 20 &&
	"$GITSEAL" keys list --controller-namespace $KNS > list.txt && cat list.txt &&
	[ $(grep -c "^age " list.txt) = 2 ] && grep "^age " list.txt | head -1 | grep -q "$(cat r2.txt) .* sealing" &&
	grep "^age " list.txt | tail -1 | grep -q "$(cat r1.txt) .* active"'

t_expect "keys renew creates the Secrets through the API server; the controller seals and encrypts with them" '
	"$GITSEAL" keys renew --controller-namespace $KNS --key-size 2048 > renew.out && cat renew.out &&
	contains renew.out "(sealing key)" && contains renew.out "(age identity age1" &&
	grep -o "age1[a-z0-9]*" renew.out > r3.txt && R3=$(cat r3.txt) &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient | grep -qx $R3" 20 &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/cert.pem > cert3.pem && ! cmp -s cert1.pem cert3.pem" 20 &&
	"$GITSEAL" encrypt --to-cluster "$CTX" --controller-namespace $KNS db.yaml > db3.enc.yaml && contains db3.enc.yaml "recipient: $R3" &&
	[ $(nage $KNS) = 3 ]'

t_expect "keys backup carries the identities; restore puts them back (counted apart from the keys)" '
	"$GITSEAL" age-keygen -o op.txt 2> /dev/null && grep -o "age1[a-z0-9]*" op.txt | head -1 > op.pub && OP=$(cat op.pub) &&
	"$GITSEAL" keys backup --controller-namespace $KNS -r "$OP" -o all.age 2> err && contains err "3 age identities" &&
	"$GITSEAL" keys restore --controller-namespace $KNS2 -f all.age -i op.txt 2> err && contains err "3 age identities restored" &&
	[ $(nage $KNS2) = 3 ] &&
	"$GITSEAL" age -d -i op.txt all.age > all.yaml && contains all.yaml "identity.agekey"'

t_expect "retiring an identity: refused without --force (a controller without Applications counts no SOPS use), the sealing one refused too" '
	fails_with 1 "$GITSEAL" keys retire --controller-namespace $KNS -o gone.yaml "$(cat r1.txt)" 2> err &&
	contains err "does not count SOPS objects" && test ! -e gone.yaml &&
	fails_with 1 "$GITSEAL" keys retire --controller-namespace $KNS -o gone.yaml "$(cat r3.txt)" 2> err && contains err "it is the newest" &&
	fails_with 2 "$GITSEAL" keys retire --controller-namespace $KNS "$(cat r1.txt)" 2> err && contains err "-o FILE is required"'

t_expect "retire --force: the copy is age-encrypted first, the Secret deleted, the controller forgets it" '
	"$GITSEAL" keys retire --controller-namespace $KNS --force -r "$(cat op.pub)" -o gone.age "$(cat r1.txt)" 2> err &&
	contains err "warning: retiring" && contains err "retired $KNS/" &&
	[ $(nage $KNS) = 2 ] && wait_for "grep -q \"age identity removed\" $TMP/c1.log" 10 &&
	"$GITSEAL" age -d -i op.txt gone.age > gone.yaml && contains gone.yaml "$(cat r1.txt)" &&
	"$GITSEAL" keys list --controller-namespace $KNS > list2.txt && ! grep -q "$(cat r1.txt)" list2.txt'

t_expect "the metrics port carries the per-key counts" '
	curl -sf http://127.0.0.1:$(cat $TMP/c1.mport)/metrics > m.txt &&
	contains m.txt "gitseal_sealing_key_sealedsecrets{fingerprint=\"SHA256:" &&
	contains m.txt "gitseal_sealing_key_sealedsecrets_unknown 0" &&
	ctl_stop c1'
t_done
