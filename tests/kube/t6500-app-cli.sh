#!/bin/sh
# gitseal get apps, reconcile app, suspend|resume app against the real API server: Applications
# created directly, their status written through the status subresource as the reconciler does
# (a small shell loop stands in for it where a test waits for a reconcile to be handled).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/app-cli-lib.sh"

if ! ctl_have_server; then
	t_skip "Application CLI suites" "no API server (run through make test)"
	t_done
	exit 0
fi
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=t6500-$ID
NS2=t6500-b-$ID
SHA=4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098
export NS NS2 SHA ID

t_expect "the CRD is there; two namespaces with Applications, one with a status" '
	app_crd && ns_create $NS && ns_create $NS2 &&
	app_create $NS web && app_create $NS db && app_create $NS2 cache &&
	app_status $NS web "{\"sync\":{\"status\":\"Synced\",\"revision\":\"$SHA\"},\"health\":{\"status\":\"Progressing\",\"message\":\"Deployment prod/web: 0 of 2 updated replicas are available\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"ReconciliationSucceeded\",\"message\":\"Applied revision $SHA\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}"
'

t_expect "get apps: NAME SYNC HEALTH REVISION AGE MESSAGE, revision shortened, Unknown before any status" '
	"$GITSEAL" get apps -n $NS > out &&
	head -1 out | grep -Eq "^NAME +SYNC +HEALTH +REVISION +AGE +MESSAGE$" &&
	grep -Eq "^web +Synced +Progressing +4f1c2a9 +[0-9]+s +Applied revision $SHA$" out &&
	grep -Eq "^db +Unknown +Unknown +[0-9]+s *$" out && [ $(wc -l < out) -eq 3 ] &&
	! grep -q cache out
'

t_expect "get apps lines up its columns (the header and the rows start each column at one place)" '
	"$GITSEAL" get apps -n $NS > out &&
	col=$(head -1 out | awk "{ print index(\$0, \"HEALTH\") }") &&
	[ "$(sed -n 2p out | cut -c$col-)" != "" ] &&
	sed -n "2,\$p" out | while read -r line; do
		c=$(printf "%s\n" "$line" | cut -c$col-); case $c in Progressing*|Unknown*) ;; *) exit 1 ;; esac
	done
'

t_expect "get apps -A adds NAMESPACE and shows every namespace" '
	"$GITSEAL" get apps -A > out &&
	head -1 out | grep -Eq "^NAMESPACE +NAME +SYNC" &&
	grep -Eq "^$NS +web +Synced" out && grep -Eq "^$NS2 +cache +Unknown" out
'

t_expect "get apps -o wide adds REPO, PATH and DESTINATION (namespace@cluster)" '
	"$GITSEAL" get apps -n $NS -o wide > out &&
	head -1 out | grep -Eq "^NAME +SYNC +HEALTH +REVISION +AGE +REPO +PATH +DESTINATION +MESSAGE$" &&
	grep -Eq "^web .* https://git.example/config.git +apps/web +prod@in-cluster +Applied" out
'

t_expect "get apps -o json: a v1 List of the objects as the API returns them, the same twice" '
	"$GITSEAL" get apps -n $NS -o json > a.json && "$GITSEAL" get apps -n $NS -o json > b.json &&
	cmp a.json b.json &&
	python3 -c "
import json; d = json.load(open(\"a.json\"))
assert d[\"kind\"] == \"List\" and d[\"apiVersion\"] == \"v1\" and d[\"metadata\"] == {\"resourceVersion\": \"\"}
names = sorted(i[\"metadata\"][\"name\"] for i in d[\"items\"])
assert names == [\"db\", \"web\"], names
web = [i for i in d[\"items\"] if i[\"metadata\"][\"name\"] == \"web\"][0]
assert web[\"status\"][\"sync\"][\"revision\"] == \"$SHA\" and web[\"kind\"] == \"Application\"
assert web[\"metadata\"][\"uid\"]
"
'

t_expect "get apps NAME -o yaml: the one object" '
	"$GITSEAL" get apps web -n $NS -o yaml > w.yaml &&
	python3 -c "
import yaml; d = yaml.safe_load(open(\"w.yaml\"))
assert d[\"kind\"] == \"Application\" and d[\"metadata\"][\"name\"] == \"web\"
assert d[\"spec\"][\"source\"][\"path\"] == \"apps/web\"
"
'

t_expect "a missing Application: kubectl's message, exit 1 (get, reconcile, suspend, resume)" '
	for v in "get apps" "reconcile app" "suspend app" "resume app"; do
		fails_with 1 "$GITSEAL" $v nope -n $NS 2> err || exit 1
		[ "$(cat err)" = "error: applications.gitseal.dev \"nope\" not found" ] || { cat err; exit 1; }
	done
'

t_expect "get apps in an empty namespace says so on stderr and exits 0; a wrong type exits 1" '
	ns_create $NS-empty && "$GITSEAL" get apps -n $NS-empty > out 2> err && [ ! -s out ] &&
	contains err "No resources found in $NS-empty namespace." &&
	fails_with 1 "$GITSEAL" get pods 2> err && contains err "doesn'"'"'t have a resource type \"pods\""
'

t_expect "suspend app sets spec.suspend, resume app clears it" '
	"$GITSEAL" suspend app web -n $NS > out && contains out "application.gitseal.dev/web suspended" &&
	[ "$(app_get $NS web "d[\"spec\"][\"suspend\"]")" = True ] &&
	"$GITSEAL" resume app web -n $NS > out && contains out "application.gitseal.dev/web resumed" &&
	[ "$(app_get $NS web "d[\"spec\"][\"suspend\"]")" = False ] &&
	[ "$(app_get $NS web "d[\"spec\"][\"source\"][\"path\"]")" = apps/web ]
'

t_expect "reconcile app sets reconcile-requested-at (new each time); --with-source adds its annotation, a plain one removes it" '
	"$GITSEAL" reconcile app db -n $NS --with-source > out &&
	contains out "application.gitseal.dev/db reconcile requested" &&
	a1=$(app_get $NS db "d[\"metadata\"][\"annotations\"][\"gitseal.dev/reconcile-requested-at\"]") &&
	[ "$(app_get $NS db "d[\"metadata\"][\"annotations\"][\"gitseal.dev/reconcile-with-source\"]")" = true ] &&
	python3 -c "import datetime,sys; datetime.datetime.strptime(sys.argv[1][:19], \"%Y-%m-%dT%H:%M:%S\")" "$a1" &&
	"$GITSEAL" reconcile app db -n $NS > out &&
	a2=$(app_get $NS db "d[\"metadata\"][\"annotations\"][\"gitseal.dev/reconcile-requested-at\"]") &&
	[ "$a1" != "$a2" ] &&
	[ "$(app_get $NS db "\"gitseal.dev/reconcile-with-source\" in d[\"metadata\"][\"annotations\"]")" = False ]
'

t_expect "reconcile of a suspended Application refuses (exit 1) and sets nothing" '
	"$GITSEAL" suspend app web -n $NS >/dev/null &&
	fails_with 1 "$GITSEAL" reconcile app web -n $NS 2> err && contains err "is suspended" &&
	[ "$(app_get $NS web "\"annotations\" in d[\"metadata\"]")" = False ] &&
	"$GITSEAL" resume app web -n $NS >/dev/null
'

# stand_in NS NAME READY MESSAGE: answer the next reconcile request as the reconciler does, once
stand_in() {
	(
		for _i in $(seq 1 150); do
			_at=$(app_get $1 $2 "d[\"metadata\"].get(\"annotations\",{}).get(\"gitseal.dev/reconcile-requested-at\",\"\")")
			if [ -n "$_at" ]; then
				app_status $1 $2 "{\"lastHandledReconcileAt\":\"$_at\",\"sync\":{\"status\":\"Synced\",\"revision\":\"$SHA\"},\"health\":{\"status\":\"Healthy\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"$3\",\"reason\":\"R\",\"message\":\"$4\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}"
				exit 0
			fi
			sleep 0.2
		done
	) > /dev/null 2>&1 &
}

t_expect "reconcile app --wait waits until status.lastHandledReconcileAt is the value asked for, prints the result" '
	app_create $NS w1 && stand_in $NS w1 True "Applied revision $SHA" &&
	"$GITSEAL" reconcile app w1 -n $NS --wait --timeout 30s > out 2> err &&
	contains out "application.gitseal.dev/w1 reconcile requested" &&
	contains out "application.gitseal.dev/w1 reconciled: Synced, Healthy, revision 4f1c2a9e8b7d"
'

t_expect "reconcile app --wait: a run that left Ready=False exits 1 with its message" '
	app_create $NS w2 && stand_in $NS w2 False "kustomize build failed: overlays/prod/kustomization.yaml: no such file" &&
	fails_with 1 "$GITSEAL" reconcile app w2 -n $NS --wait --timeout 30s > out 2> err &&
	contains err "error: applications.gitseal.dev/w2 is not ready: kustomize build failed: overlays/prod/kustomization.yaml" &&
	contains out "reconciled: Synced, Healthy"
'

t_expect "reconcile app --timeout with nobody handling it: exit 1, timed out" '
	app_create $NS w3 &&
	fails_with 1 "$GITSEAL" reconcile app w3 -n $NS --timeout 1s 2> err &&
	contains err "timed out waiting for applications.gitseal.dev/w3 to be reconciled"
'

live_v() { k GET /api/v1/namespaces/$NS/configmaps/live | jq_ 'd["data"]["v"]'; }
t_expect "with gitseal-controller itself: reconcile app --with-source --wait sees the new commit applied; suspend holds it" '
	mkdir -p repo && cd repo && git init -q -b main . &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: live, namespace: $NS}\ndata: {v: one}\n" > cm.yaml &&
	git add . && git -c user.name=t -c user.email=t@t commit -qm one && cd .. &&
	app_create $NS live "{\"source\":{\"repoURL\":\"file://$TMP/repo\",\"targetRevision\":\"main\"},\"destination\":{\"namespace\":\"$NS\"},\"syncPolicy\":{\"automated\":{\"prune\":true}},\"interval\":\"1h\"}" "{\"t6500\":\"$ID\"}" &&
	ctl_start c1 $NS --app-label-selector t6500=$ID &&
	wait_for "[ \"\$(live_v)\" = one ]" 30 &&
	(cd repo && sed -i s/one/two/ cm.yaml && git -c user.name=t -c user.email=t@t commit -qam two) &&
	sha=$(git -C repo rev-parse HEAD) &&
	"$GITSEAL" reconcile app live -n $NS --with-source --wait --timeout 60s > out 2> err &&
	contains out "application.gitseal.dev/live reconciled: Synced, Healthy, revision $(echo $sha | cut -c1-12)" &&
	[ "$(live_v)" = two ] &&
	"$GITSEAL" get apps live -n $NS > out && grep -Eq "^live +Synced +Healthy +$(echo $sha | cut -c1-7) " out &&
	"$GITSEAL" suspend app live -n $NS > /dev/null &&
	(cd repo && sed -i s/two/three/ cm.yaml && git -c user.name=t -c user.email=t@t commit -qam three) &&
	fails_with 1 "$GITSEAL" reconcile app live -n $NS --wait 2> err && contains err "is suspended" &&
	"$GITSEAL" resume app live -n $NS > /dev/null &&
	"$GITSEAL" reconcile app live -n $NS --with-source --wait --timeout 60s > out &&
	[ "$(live_v)" = three ] &&
	ctl_stop c1
'

t_expect "usage errors exit 2 (no NAME, bad -o, bad --timeout)" '
	fails_with 2 "$GITSEAL" reconcile app -n $NS 2>/dev/null &&
	fails_with 2 "$GITSEAL" get apps -o table 2>/dev/null &&
	fails_with 2 "$GITSEAL" reconcile app web --timeout 5x 2>/dev/null &&
	fails_with 2 "$GITSEAL" suspend app 2>/dev/null
'
t_done
