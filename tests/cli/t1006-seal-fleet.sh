#!/bin/sh
# gitseal seal for several clusters in one run (--cluster-cert NAME=FILE|URL, -w with {cluster})
# and the break-glass copy (--backup-recipient: FILE.age beside each SealedSecret). All outputs
# or none; --cert is unchanged.
. "$(dirname "$0")/../lib.sh"

G=$GITSEAL
t_expect "two clusters: one SealedSecret each, each opens only with its cluster's key" '
	"$G" keys new --bits 2048 --name prod > prod.key.yaml && "$G" keys cert --key prod.key.yaml > prod.crt &&
	"$G" keys new --bits 2048 --name dr > dr.key.yaml && "$G" keys cert --key dr.key.yaml > dr.crt &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\nstringData:\n  pass: s3cret\n" > db.yaml &&
	"$G" seal --cluster-cert prod=prod.crt --cluster-cert dr=file://$TMP/dr.crt -w "out/{cluster}/db.yaml" < db.yaml 2> err &&
	contains err "wrote out/prod/db.yaml" && contains err "wrote out/dr/db.yaml" &&
	head -1 out/prod/db.yaml | grep -qx -- --- &&
	"$G" validate --key prod.key.yaml out/prod/db.yaml && "$G" validate --key dr.key.yaml out/dr/db.yaml &&
	fails_with 1 "$G" validate --key prod.key.yaml out/dr/db.yaml 2>/dev/null &&
	"$G" seal --cluster-cert prod=prod.crt -w out/one.json -f db.yaml && head -c1 out/one.json | grep -q "{"'

t_expect "--backup-recipient: FILE.age beside each output (0600), the Secret for the operators' key" '
	"$G" age-keygen -o op.txt 2>/dev/null && R=$(grep -o "age1[a-z0-9]*" op.txt | head -1) &&
	"$G" seal --cluster-cert prod=prod.crt --cluster-cert dr=dr.crt -w "bk/{cluster}.yaml" --backup-recipient "$R" -f db.yaml &&
	[ "$(stat -c %a bk/prod.yaml.age)" = 600 ] && head -1 bk/dr.yaml.age | grep -q "BEGIN AGE ENCRYPTED FILE" &&
	"$G" age -d -i op.txt bk/dr.yaml.age | cmp - db.yaml &&
	"$G" seal --cert prod.crt --backup-recipient "$R" -w single.yaml < db.yaml && "$G" age -d -i op.txt single.yaml.age | cmp - db.yaml'

t_expect "errors write nothing: a bad certificate, no {cluster}, no -w, a bad name, --cert with --cluster-cert" '
	fails_with 1 "$G" seal --cluster-cert prod=prod.crt --cluster-cert dr=missing.crt -w "bad/{cluster}.yaml" -f db.yaml 2> err &&
	contains err "cluster dr:" && test ! -e bad &&
	fails_with 1 "$G" seal --cluster-cert prod=prod.crt --cluster-cert dr=dr.crt -w bad.yaml -f db.yaml 2> err &&
	contains err "-w must contain {cluster}" && test ! -e bad.yaml &&
	fails_with 1 "$G" seal --cluster-cert prod=prod.crt -f db.yaml 2> err && contains err "needs -w FILE" &&
	fails_with 1 "$G" seal --cluster-cert ../x=prod.crt -w "b/{cluster}.yaml" -f db.yaml 2> err && contains err "want NAME=FILE|URL" &&
	fails_with 1 "$G" seal --cert prod.crt --cluster-cert dr=dr.crt -w "b/{cluster}.yaml" -f db.yaml 2> err &&
	contains err "one or the other" && test ! -e b &&
	fails_with 1 "$G" seal --cert prod.crt --backup-recipient nope -w x.yaml -f db.yaml 2> err && test ! -e x.yaml'

t_expect "--cert keeps taking one FILE or URL, = included" '
	mkdir -p "d=1" && cp prod.crt "d=1/c.pem" && "$G" seal --cert "d=1/c.pem" -f db.yaml > o.json &&
	"$G" validate --key prod.key.yaml o.json'
t_done
