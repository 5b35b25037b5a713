#!/bin/sh
# gitseal kube: get/list/apply/create/delete/watch/raw against the real kube-apiserver.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/kube/kube-lib.sh"

kube_need_server || { t_done; exit; }
NS=$(kube_ns cli) || { t_expect "a test namespace is created" 'false'; t_done; exit; }
export NS
K() { "$GITSEAL" kube -n "$NS" "$@"; }

cat > "$TMP/objs.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  k: one
---
apiVersion: v1
kind: Secret
metadata:
  name: s
stringData:
  password: hunter2
YAML

t_expect "apply -f applies every document (server-side)" '
	K apply -f "$TMP/objs.yaml" > out && contains out "configmap/a serverside-applied" &&
	contains out "secret/s serverside-applied"'
t_expect "get prints the object (yaml, json)" '
	K get ConfigMap a > y && contains y "k: one" && contains y "name: a" &&
	K get v1/ConfigMap a -o json > j && contains j "\"k\": \"one\""'
t_expect "list prints kind/name" 'K list Secret > out && contains out "secret/s"'
t_expect "list -l filters by label" '
	K list ConfigMap -l nope=x > out && ! grep -q configmap/a out'
t_expect "another field manager conflicts (exit 1, the owner named), --force-conflicts wins" '
	sed "s/k: one/k: two/" "$TMP/objs.yaml" > two.yaml &&
	fails_with 1 K apply -f two.yaml --field-manager other 2>err && contains err "error: " &&
	contains err "conflict with \"gitseal-cli\"" && contains err "(Conflict, 409)" &&
	K apply -f two.yaml --field-manager other --force-conflicts > /dev/null &&
	K get ConfigMap a > y && contains y "k: two"'
t_expect "--dry-run stores nothing" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {k: v}\n" > dry.yaml &&
	K apply --dry-run=server -f dry.yaml > out && contains out "server dry run" &&
	fails_with 1 K get ConfigMap dry 2>err && contains err "configmaps \"dry\" not found (NotFound, 404)"'
t_expect "create -f twice: the second one says AlreadyExists with the file and line" '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" > c.yaml &&
	K create -f c.yaml > out && contains out "configmap/c created" &&
	fails_with 1 K create -f c.yaml 2>err && contains err "c.yaml:1" && contains err "already exists (AlreadyExists, 409)"'
t_expect "watch from a resourceVersion prints the events" '
	rv=$(K get ConfigMap c -o json | sed -n "s/.*\"resourceVersion\": \"\([0-9]*\)\".*/\1/p") &&
	K delete ConfigMap c > /dev/null &&
	K watch ConfigMap --resource-version "$rv" --timeout 2 > out && contains out "DELETED c"'
t_expect "watch -A: one watch over every namespace, events named namespace/name" '
	NS2=$(kube_ns cli2) && rv=$(K get ConfigMap a -o json | sed -n "s/.*\"resourceVersion\": \"\([0-9]*\)\".*/\1/p") &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\n" > w.yaml &&
	K create -f w.yaml > /dev/null && "$GITSEAL" kube -n "$NS2" create -f w.yaml > /dev/null &&
	K watch ConfigMap -A --resource-version "$rv" --timeout 2 > out &&
	contains out "ADDED $NS/w " && contains out "ADDED $NS2/w " &&
	K watch ConfigMap --resource-version "$rv" --timeout 2 > out1 && contains out1 "ADDED w " && ! contains out1 "$NS2"'
t_expect "delete KIND NAME, again is NotFound (1), --ignore-not-found is 0" '
	K delete ConfigMap a > out && contains out "ConfigMap \"a\" deleted" &&
	fails_with 1 K delete ConfigMap a 2>err && contains err "not found" &&
	K delete ConfigMap a --ignore-not-found'
t_expect "delete -f deletes what the file names" '
	K delete -f "$TMP/objs.yaml" --ignore-not-found > out && contains out "secret/s deleted" &&
	fails_with 1 K get Secret s 2>/dev/null'
t_expect "raw GETs a path" '"$GITSEAL" kube raw /version > out && contains out "\"gitVersion\": \"v1.20"'
t_expect "usage errors exit 2" '
	fails_with 2 "$GITSEAL" kube 2>/dev/null && fails_with 2 "$GITSEAL" kube frob 2>err && contains err "unknown verb" &&
	fails_with 2 "$GITSEAL" kube get Secret 2>/dev/null && fails_with 2 "$GITSEAL" kube apply 2>err &&
	contains err "-f FILE is required" && fails_with 2 "$GITSEAL" kube list Secret -o wide 2>/dev/null'
t_expect "an unknown kind is an error naming it" '
	fails_with 1 K get Frobnicator x 2>err && contains err "unknown kind \"Frobnicator\""'
t_expect "a wrong --token is Unauthorized" '
	fails_with 1 K --token not-the-token list Secret 2>err && contains err "(Unauthorized, 401)"'
t_expect "a missing --kubeconfig is named" '
	fails_with 1 "$GITSEAL" kube --kubeconfig "$TMP/nope.yaml" list Secret 2>err && contains err "nope.yaml"'
t_expect "an unreachable --server fails at once, naming the URL" '
	fails_with 1 K --server https://127.0.0.1:1 list Secret 2>err && contains err "https://127.0.0.1:1"'
t_done
