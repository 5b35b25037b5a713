#!/bin/sh
# gitseal keys new / cert: a sealing key made as the controller makes it, as its key
# Secret or as PEM files (0600, never over an existing file), checked with openssl.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
keys() { "$GITSEAL" keys "$@"; }

t_expect "keys new prints the controller's key Secret (RSA-4096, empty subject, encipherOnly, CA, 10 years)" '
	keys new > k.yaml &&
	grep -q "^kind: Secret$" k.yaml && grep -q "^type: kubernetes.io/tls$" k.yaml &&
	grep -q "^  namespace: kube-system$" k.yaml &&
	grep -q "^    sealedsecrets.bitnami.com/sealed-secrets-key: active$" k.yaml &&
	grep -q "^  name: sealed-secrets-key[bcdfghjklmnpqrstvwxz2456789]\{5\}$" k.yaml &&
	sed -n "s/^  tls.crt: //p" k.yaml | base64 -d > c.pem && sed -n "s/^  tls.key: //p" k.yaml | base64 -d > k.pem &&
	head -n1 k.pem | grep -qx -- "-----BEGIN RSA PRIVATE KEY-----" &&
	openssl x509 -in c.pem -noout -text > c.txt &&
	grep -q "Public-Key: (4096 bit)" c.txt && grep -q "Subject: *$" c.txt && grep -q "Issuer: *$" c.txt &&
	grep -A1 "X509v3 Key Usage: critical" c.txt | grep -q "Encipher Only" &&
	grep -A1 "X509v3 Basic Constraints: critical" c.txt | grep -q "CA:TRUE" &&
	grep -q "X509v3 Subject Key Identifier" c.txt && grep -q "Signature Algorithm: sha256WithRSAEncryption" c.txt &&
	nb=$(date -d "$(openssl x509 -in c.pem -noout -startdate | cut -d= -f2)" +%s) &&
	na=$(date -d "$(openssl x509 -in c.pem -noout -enddate | cut -d= -f2)" +%s) && test $((na - nb)) = 315360000 &&
	test "$(openssl rsa -in k.pem -noout -modulus)" = "$(openssl x509 -in c.pem -noout -modulus)"'
t_expect "the key Secret seals (via keys cert) and unseals" '
	keys cert --key k.yaml > cert.pem && cmp cert.pem c.pem &&
	"$GITSEAL" seal --cert cert.pem -f "$SS/secret.yaml" | "$GITSEAL" unseal --key k.yaml -o yaml | grep -q "^  username: YWRtaW4=$"'
t_expect "--out-dir writes tls.key 0600 and tls.crt, and never overwrites" '
	mkdir d && keys new --bits 2048 --out-dir d 2> log && test "$(stat -c %a d/tls.key)" = 600 &&
	head -n1 d/tls.crt | grep -qx -- "-----BEGIN CERTIFICATE-----" && cp d/tls.key key.orig &&
	fails_with 1 keys new --bits 2048 --out-dir d 2> err && contains err "already exists" && cmp d/tls.key key.orig'
t_expect "--key-out/--cert-out, -o json, --name/--namespace, --cn" '
	keys new --bits 2048 --key-out a.key --cert-out a.crt --cn my-cn 2>/dev/null && test "$(stat -c %a a.key)" = 600 &&
	openssl x509 -in a.crt -noout -subject | grep -q "CN *= *my-cn" &&
	fails_with 1 keys new --bits 2048 --key-out a.key --cert-out b.crt 2> err && contains err "a.key: already exists" && test ! -e b.crt &&
	keys new --bits 2048 -o json --name backup-key --namespace sealed-secrets > j.json &&
	grep -q "\"name\": \"backup-key\"" j.json && grep -q "\"namespace\": \"sealed-secrets\"" j.json &&
	fails_with 2 keys new --key-out only.key 2>/dev/null && fails_with 2 keys frobnicate 2>/dev/null'
t_expect "keys cert picks the newest of several keys" '
	keys cert --key "$SS/upstream-key/key-secret.json" --key d/tls.key > newest.pem 2>/dev/null;
	cat d/tls.key d/tls.crt > withcert.pem && keys cert --key "$SS/upstream-key/key-secret.json" --key withcert.pem > newest.pem &&
	cmp newest.pem d/tls.crt'
t_expect "an age-encrypted key file (keys backup -r) opens with -i for unseal, validate, keys cert, reseal" '
	"$GITSEAL" age-keygen -o id.txt 2> /dev/null && "$GITSEAL" age-keygen -o other.txt 2> /dev/null &&
	"$GITSEAL" age -r "$(sed -n "s/^# public key: //p" id.txt)" -o k.age k.yaml &&
	"$GITSEAL" age -a -r "$(sed -n "s/^# public key: //p" id.txt)" -o k.asc k.yaml &&
	"$GITSEAL" seal --cert c.pem -f "$SS/secret.yaml" > s.json &&
	fails_with 1 "$GITSEAL" unseal --key k.age s.json 2> err && contains err "k.age is age-encrypted: give its identity with -i FILE" &&
	fails_with 1 "$GITSEAL" unseal --key k.age -i other.txt s.json 2> err && contains err "k.age: no identity matched" &&
	"$GITSEAL" unseal --key k.age -i id.txt -o yaml s.json | grep -q "^  username: YWRtaW4=$" &&
	"$GITSEAL" unseal --key k.asc --identity id.txt -o yaml s.json | grep -q "^  username: YWRtaW4=$" &&
	"$GITSEAL" validate --key k.age -i id.txt s.json > /dev/null &&
	keys cert --key k.age -i id.txt | cmp - c.pem &&
	cp s.json r.json && "$GITSEAL" reseal --key k.age -i id.txt --cert d/tls.crt r.json 2> /dev/null &&
	! cmp -s s.json r.json && "$GITSEAL" unseal --key d/tls.key -o yaml r.json | grep -q "^  username: YWRtaW4=$"'
t_done
