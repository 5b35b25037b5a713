#!/bin/sh
# The cluster's own age identity through the GitOps pipeline (issues 10 and 11), against the real
# API server, a git daemon and gitseal-controller: a Secret encrypted with `gitseal encrypt
# --cluster-recipient` opens in an Application that names no decryption Secret, only into the
# namespace the file names; `keys list` counts the SOPS objects that need each identity and
# `keys retire` refuses while Git still needs one, until the file is re-encrypted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app_lib.sh"

if ! ctl_have_server; then
	t_skip "cluster age identity" "no API server (run through make test)"
	t_done
	exit 0
fi
IP=$(ctl_host_ip)
if [ -z "$IP" ]; then
	t_skip "cluster age identity" "no non-loopback IPv4 address for the service proxy"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
KNS=t6604-sys-$ID
NS=t6604-$ID
NS2=t6604-other-$ID
export KNS NS NS2 IP ID
app_git_start
G="$GITSEAL"
K="--controller-namespace $KNS"

app_yaml() { # app_yaml NAME PATH
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: %s, namespace: %s}\nspec:\n  source: {repoURL: \"%s/cfg.git\", path: %s}\n  destination: {namespace: %s}\n  syncPolicy: {automated: {prune: true}}\n  interval: 2s\n" \
		"$1" "$NS" "$GS_GIT_URL" "$2" "$NS"
}
usage_line() { # usage_line RECIPIENT: its row of keys list
	"$G" keys list $K | grep "$1"
}

t_expect "the controller makes its age identity; a Secret encrypted to it (file names its namespace)" '
	app_setup && ns_create $KNS && ns_create $NS && ns_create $NS2 &&
	ctl_app c1 --listen-addr $IP:0 && ctl_service c1 $KNS $IP &&
	wait_for "curl -sf http://$IP:$(cat $TMP/c1.port)/v1/age-recipient > r1.txt" 30 && grep -qx "age1[a-z0-9]*" r1.txt &&
	secret_yaml db $NS password=s3cret-$ID > db.yaml &&
	"$G" encrypt --cluster-recipient r1.txt db.yaml > db.enc.yaml && contains db.enc.yaml "recipient: $(cat r1.txt)"'

t_expect "an Application without spec.decryption opens it with the cluster identity" '
	repo_init cfg && repo_write cfg app/db.enc.yaml < db.enc.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {v: \"1\"}\n" | repo_write cfg app/cm.yaml &&
	repo_push cfg init > /dev/null && app_yaml db app | app_put $NS db &&
	wait_for "app_ready $NS db" 30 &&
	[ "$(secret_value $NS db password)" = "s3cret-$ID" ] &&
	! grep -q "s3cret-$ID" $TMP/c1.log'

t_expect "keys list counts the SOPS object that needs the identity, naming the Application" '
	wait_for "usage_line $(cat r1.txt) | grep -q \"1 SOPS object: $NS/db\"" 20 &&
	"$G" keys list $K -o json > list.json &&
	jq_ "d[\"sopsComplete\"]" < list.json | grep -qx True &&
	jq_ "[(a[\"sopsObjects\"], a[\"sopsNeeded\"]) for a in d[\"age\"]]" < list.json | grep -qx "\[(1, 1)\]"'

t_expect "moved into another namespace by a kustomization: refused, naming the file and both namespaces" '
	printf "namespace: $NS2\nresources: [db.enc.yaml]\n" | repo_write cfg moved/kustomization.yaml &&
	repo_write cfg moved/db.enc.yaml < db.enc.yaml &&
	repo_push cfg moved > /dev/null && app_yaml moved moved | app_put $NS moved &&
	wait_for "app_cond $NS moved Ready | grep -q \"^False\"" 30 &&
	app_cond $NS moved Ready > cond && cat cond &&
	contains cond "only the cluster" && contains cond "$NS" && contains cond "$NS2" &&
	gone /api/v1/namespaces/$NS2/secrets/db'

t_expect "renewed: retiring the old identity is refused while Git needs it, naming the Application" '
	sleep 1 && "$G" keys renew $K --key-size 2048 > renew.out &&
	grep -o "age1[a-z0-9]*" renew.out > r2.txt && R2=$(cat r2.txt) && [ "$R2" != "$(cat r1.txt)" ] &&
	wait_for "usage_line $R2 | grep -q sealing" 20 &&
	"$G" age-keygen -o op.txt 2> /dev/null && grep -o "age1[a-z0-9]*" op.txt | head -1 > op.pub &&
	fails_with 1 "$G" keys retire $K -r "$(cat op.pub)" -o gone.age "$(cat r1.txt)" 2> err && cat err &&
	contains err "SOPS object" && contains err "still need" && contains err "$NS/db" && test ! -e gone.age &&
	fails_with 1 "$G" keys retire $K -r "$(cat op.pub)" -o gone.age "$R2" 2> err && contains err "it is the newest"'

t_expect "re-encrypted to the new identity and the failing Application gone: the old one retires" '
	"$G" encrypt --cluster-recipient r2.txt db.yaml > db2.enc.yaml && repo_write cfg app/db.enc.yaml < db2.enc.yaml &&
	repo_rm cfg moved/kustomization.yaml && repo_rm cfg moved/db.enc.yaml && repo_push cfg "to the new identity" > /dev/null &&
	k DELETE $APPS/namespaces/$NS/applications/moved > /dev/null &&
	wait_for "usage_line $(cat r1.txt) | grep -q \"0 SOPS objects\"" 30 &&
	usage_line $(cat r2.txt) | grep -q "1 SOPS object: $NS/db" &&
	"$G" keys retire $K -r "$(cat op.pub)" -o gone.age "$(cat r1.txt)" 2> err && cat err &&
	! contains err "warning" && test -s gone.age &&
	wait_for "! usage_line $(cat r1.txt) > /dev/null" 20 &&
	[ "$(secret_value $NS db password)" = "s3cret-$ID" ]'

t_expect "controller stops cleanly" 'ctl_stop c1'
t_done
