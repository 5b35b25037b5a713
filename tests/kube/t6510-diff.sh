#!/bin/sh
# gitseal diff against the real API server: a local checkout built as gitseal build builds it,
# dry-run applied (lib/apply) and shown as unified diffs, Secret values masked; exit codes as
# kubectl diff. The cluster side is set up with gitseal kube apply as field manager gitseal (what
# the controller applies) and curl.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app-cli-lib.sh"

if ! ctl_have_server; then
	t_skip "gitseal diff suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=t6510-$ID
export NS
unset NO_COLOR

# the repository: a ConfigMap, a Secret (stringData), a Deployment
write_repo() { # write_repo MODE PASSWORD REPLICAS
	mkdir -p repo &&
	cat > repo/app.yaml <<-YAML
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cfg, namespace: $NS}
	data: {mode: $1, level: "3"}
	---
	apiVersion: v1
	kind: Secret
	metadata: {name: db, namespace: $NS}
	stringData: {password: $2, user: admin}
	---
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: $NS}
	spec:
	  replicas: $3
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers:
	      - {name: web, image: "nginx:1.27"}
	YAML
}
# what the controller does: server-side apply as field manager gitseal
cluster_apply() { "$GITSEAL" kube apply -f "$1" --field-manager gitseal --force-conflicts > /dev/null; }

t_expect "nothing in the cluster yet: exit 1, each object shown whole as created, Secret values masked" '
	app_crd && ns_create $NS && write_repo fast hunter2 1 &&
	fails_with 1 "$GITSEAL" diff repo > out 2> err &&
	contains out "diff -u -N LIVE/v1.ConfigMap.$NS.cfg MERGED/v1.ConfigMap.$NS.cfg" &&
	contains out "--- LIVE/apps.v1.Deployment.$NS.web" && contains out "+++ MERGED/v1.Secret.$NS.db" &&
	contains out "+  password: '"'***'"'" && contains out "+  user: '"'***'"'" &&
	contains out "+      - image: nginx:1.27" &&
	! grep -q hunter2 out && ! grep -q "$(printf hunter2 | base64)" out && ! grep -q YWRtaW4 out &&
	[ $(grep -c "^@@ -0,0 " out) -eq 3 ] && ! grep -Eq "^(-[^-]| )" out
'

t_expect "after the apply: no difference, exit 0, nothing printed" '
	write_repo fast hunter2 1 && cluster_apply repo/app.yaml &&
	"$GITSEAL" diff repo > out 2> err && [ ! -s out ]
'

t_expect "a changed value and replica count: exit 1, the changed lines with context, only the changed objects" '
	write_repo slow hunter2 3 &&
	fails_with 1 "$GITSEAL" diff repo > out 2> err &&
	contains out "-  mode: fast" && contains out "+  mode: slow" &&
	contains out "-  replicas: 1" && contains out "+  replicas: 3" &&
	contains out "   level: \"3\"" && ! grep -q "Secret" out &&
	[ $(grep -c "^diff -u -N" out) -eq 2 ]
'

t_expect "the server's bookkeeping is not shown (managedFields, resourceVersion, uid, creationTimestamp, status)" '
	! grep -Eq "managedFields|resourceVersion|uid:|creationTimestamp: \"|generation:|^ status:" out
'

t_expect "a changed Secret value: *** to *** (changed), never the value, old or new, not even as context" '
	write_repo fast hunter3 1 &&
	fails_with 1 "$GITSEAL" diff repo > out 2> err &&
	contains out "-  password: '"'***'"'" && contains out "+  password: '"'*** (changed)'"'" &&
	contains out "   user: '"'***'"'" &&
	! grep -q "hunter" out && ! grep -q "$(printf hunter2 | base64)" out &&
	! grep -q "$(printf hunter3 | base64)" out && ! grep -q YWRtaW4 out && ! grep -q hunter err
'

t_expect "--color=always colours the diff; never otherwise (a pipe, --color=never, NO_COLOR with auto)" '
	fails_with 1 "$GITSEAL" diff repo --color=always > c.out &&
	grep -q "$(printf "\033\\[32m+  password")" c.out && grep -q "$(printf "\033\\[36m@@")" c.out &&
	fails_with 1 "$GITSEAL" diff repo > a.out && ! grep -q "$(printf "\033")" a.out &&
	fails_with 1 "$GITSEAL" diff repo --color=never > n.out && ! grep -q "$(printf "\033")" n.out &&
	fails_with 1 env NO_COLOR=1 script -qfec "$GITSEAL diff $TMP/repo" /dev/null > t.out &&
	grep -q "password" t.out && ! grep -q "$(printf "\033\\[3")" t.out &&
	fails_with 1 script -qfec "$GITSEAL diff $TMP/repo" /dev/null > t2.out &&
	grep -q "$(printf "\033\\[32m")" t2.out
'

t_expect "a SOPS-encrypted ConfigMap: all of its values masked (the key decrypts it in memory)" '
	"$GITSEAL" age-keygen -o key.txt 2>/dev/null &&
	mkdir -p sops && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dsn, namespace: $NS}\ndata: {url: \"postgres://u:pw-one@db\"}\n" > sops/cm.yaml &&
	cp sops/cm.yaml plain.yaml && cluster_apply plain.yaml &&
	sed -i "s/pw-one/pw-two/" sops/cm.yaml &&
	"$GITSEAL" sops encrypt -i --age $("$GITSEAL" age-keygen -y key.txt) --encrypted-regex "^data$" sops/cm.yaml &&
	! grep -q pw-two sops/cm.yaml &&
	SOPS_AGE_KEY_FILE=$TMP/key.txt fails_with 1 "$GITSEAL" diff sops > out 2> err &&
	contains out "-  url: '"'***'"'" && contains out "+  url: '"'*** (changed)'"'" &&
	! grep -q "pw-" out
'

t_expect "--app NAME: the Application from the cluster: its destination namespace and owner labels" '
	mkdir -p app1 && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ac}\ndata: {k: v}\n" > app1/cm.yaml &&
	app_create $NS web "{\"source\":{\"repoURL\":\"https://git.invalid/x.git\",\"path\":\".\"},\"destination\":{\"server\":\"https://kubernetes.default.svc\",\"namespace\":\"$NS\"}}" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ac, namespace: $NS}\ndata: {k: v}\n" > ac.yaml && cluster_apply ac.yaml &&
	fails_with 1 "$GITSEAL" diff app1 --app web -n $NS > out 2> err &&
	contains out "LIVE/v1.ConfigMap.$NS.ac" && contains out "+    gitseal.dev/name: web" &&
	contains out "+    gitseal.dev/namespace: $NS" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ac\n  namespace: $NS\n  labels: {gitseal.dev/name: web, gitseal.dev/namespace: $NS}\ndata: {k: v}\n" > ac.yaml &&
	cluster_apply ac.yaml && "$GITSEAL" diff app1 --app web -n $NS > out && [ ! -s out ]
'

t_expect "--app NAME --prune: what its inventory holds that left Git is shown as deleted; objects not ours are not" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  namespace: $NS\n  labels: {gitseal.dev/name: web, gitseal.dev/namespace: $NS}\ndata: {gone: \"yes\"}\n" > old.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: theirs\n  namespace: $NS\ndata: {x: y}\n" > theirs.yaml &&
	cluster_apply old.yaml && cluster_apply theirs.yaml &&
	app_status $NS web "{\"inventory\":{\"entries\":[{\"id\":\"${NS}_ac__ConfigMap\",\"v\":\"v1\"},{\"id\":\"${NS}_old__ConfigMap\",\"v\":\"v1\"},{\"id\":\"${NS}_theirs__ConfigMap\",\"v\":\"v1\"}]}}" &&
	"$GITSEAL" diff app1 --app web -n $NS > out && [ ! -s out ] &&
	fails_with 1 "$GITSEAL" diff app1 --app web -n $NS --prune > out 2> err &&
	contains out "--- LIVE/v1.ConfigMap.$NS.old" && contains out "-  gone: \"yes\"" &&
	grep -q "^@@ -1,[0-9]* +0,0 @@" out && ! grep -q theirs out &&
	[ "$(k GET /api/v1/namespaces/$NS/configmaps/old | jq_ "d[\"data\"][\"gone\"]")" = yes ]
'

t_expect "--app NAME without PATH: its repoURL and targetRevision fetched as gitseal build fetches them" '
	mkdir -p gitrepo/deploy && cd gitrepo && git init -q -b main . &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fromgit}\ndata: {rev: one}\n" > deploy/cm.yaml &&
	git add . && git -c user.name=t -c user.email=t@t commit -qm one && git tag v1 &&
	sed -i s/one/two/ deploy/cm.yaml && git -c user.name=t -c user.email=t@t commit -qam two && cd .. &&
	app_create $NS fromgit "{\"source\":{\"repoURL\":\"file://$TMP/gitrepo\",\"path\":\"deploy\",\"targetRevision\":\"v1\"},\"destination\":{\"namespace\":\"$NS\"}}" &&
	fails_with 1 "$GITSEAL" diff --app fromgit -n $NS > out 2> err &&
	contains out "+  rev: one" && contains out "MERGED/v1.ConfigMap.$NS.fromgit" &&
	fails_with 1 "$GITSEAL" diff --app fromgit -n $NS --revision main > out 2> err &&
	contains out "+  rev: two"
'

t_expect "an immutable field: with gitseal.dev/force the object would be recreated (exit 1, said so); without, an error (exit 2)" '
	mkdir -p imm && write_repo fast hunter2 1 && sed "s/app: web}}/app: web2}}/; s/labels: {app: web}/labels: {app: web2}/" repo/app.yaml > imm/app.yaml &&
	fails_with 2 "$GITSEAL" diff imm > out 2> err && contains err "immutable field" &&
	contains err "gitseal.dev/force" &&
	sed -i "s/metadata: {name: web, namespace: $NS}/metadata: {name: web, namespace: $NS, annotations: {gitseal.dev\/force: enabled}}/" imm/app.yaml &&
	fails_with 1 "$GITSEAL" diff imm > out 2> err &&
	contains out "# Deployment $NS/web would be deleted and created again (immutable" &&
	[ "$(k GET /apis/apps/v1/namespaces/$NS/deployments/web | jq_ "d[\"spec\"][\"selector\"][\"matchLabels\"][\"app\"]")" = web ]
'

t_expect "errors exit 2 and name the cause: a missing Application, a broken manifest, an unknown kind" '
	fails_with 2 "$GITSEAL" diff app1 --app nope -n $NS 2> err &&
	contains err "error: applications.gitseal.dev \"nope\" not found" &&
	mkdir -p bad && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n" > bad/x.yaml &&
	fails_with 2 "$GITSEAL" diff bad 2> err && contains err "x.yaml" &&
	mkdir -p unk && printf "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: $NS}\n" > unk/w.yaml &&
	fails_with 2 "$GITSEAL" diff unk 2> err && contains err "Widget"
'

t_expect "usage errors exit 2 (--prune without --app, a bad --color, --app with --app-file)" '
	fails_with 2 "$GITSEAL" diff repo --prune 2>/dev/null &&
	fails_with 2 "$GITSEAL" diff repo --color=sometimes 2>/dev/null &&
	fails_with 2 "$GITSEAL" diff repo --app web --app-file x.yaml 2>/dev/null
'
t_done
