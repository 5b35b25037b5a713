#!/bin/sh
# lib/render, plain manifests: Argo CD's Directory source (recurse, include/exclude), .gitsealignore,
# every file a Kubernetes object with its file:line, errors naming the file, the tree left untouched.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/render-lib.sh"

mkapp() { # a plain app with a subdirectory, a List, JSON, hidden files and a values file
	rm -rf app .gitsealignore && mkdir -p app/sub/deeper app/test app/.github app/.hidden &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n' > app/a.yaml &&
	printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j1"}}\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j2"}}\n' > app/b.json &&
	printf 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: l2}}\n' > app/c.yml &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n' > app/sub/s.yaml &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n' > app/sub/deeper/d.yaml &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n' > app/test/t.yaml &&
	printf 'creation_rules: []\n' > app/.sops.yaml &&
	printf 'on: push\n' > app/.github/ci.yaml &&
	printf 'not: [k8s\n' > app/.hidden/x.yaml &&
	printf 'text\n' > app/README.md &&
	printf '{}\n' > app/x.jsonnet
}
names() { sed -n 's/^  name: //p' "$1" | tr '\n' ' '; }

t_expect "a directory renders its YAML and JSON files in name order, each object with file:line" '
	mkapp && rr . app > out 2> err &&
	test "$(names out)" = "a b j1 j2 l1 l2 " &&
	contains out "# app/a.yaml:1" && contains out "# app/a.yaml:6" && contains out "# app/b.json:2" &&
	contains out "# app/c.yml:4" && contains out "# plain: 6 objects" &&
	contains err "warning: app/x.jsonnet: Jsonnet is not rendered; file skipped"'
t_expect "directory.recurse walks subdirectories in filepath.Walk order (hidden ones skipped)" '
	mkapp && rr --recurse . app > out &&
	test "$(names out)" = "a b j1 j2 l1 l2 d s t " && contains out "# app/sub/deeper/d.yaml:1"'
t_expect "directory.exclude and include are globs from the app path ({a,b} alternatives)" '
	mkapp && rr --recurse --exclude "{test/*,b.json}" . app > out &&
	test "$(names out)" = "a b l1 l2 d s " &&
	rr --recurse --include "*.yaml" . app > out2 && test "$(names out2)" = "a b d s t " &&
	rr --recurse --include "sub/**" --exclude "sub/deeper" . app > out3 && test "$(names out3)" = "s "'
t_expect ".gitsealignore at the tree root (gitignore syntax, paths from the root) is honoured" '
	mkapp && printf "# not for the cluster\n*.json\napp/sub/\n!app/sub/s.yaml\n" > .gitsealignore &&
	rr --recurse . app > out && test "$(names out)" = "a b l1 l2 t "'
t_expect "the whole app ignored by .gitsealignore renders nothing, with a warning" '
	mkapp && printf "app/\n" > .gitsealignore && rr . app > out 2> err &&
	contains out "# plain: 0 objects" && contains err "app: ignored by .gitsealignore"'
t_expect "a YAML file without apiVersion/kind is an error naming the file and line, no output" '
	mkapp && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nreplicaCount: 2\n" > app/values.yaml &&
	fails_with 1 rr . app > out 2> err && test ! -s out &&
	contains err "error: app/values.yaml:5:1: not a Kubernetes object: no apiVersion" &&
	rr --exclude values.yaml . app > out2 && contains out2 "# plain: 6 objects"'
t_expect "a YAML syntax error names the file, line and column" '
	rm -rf app && mkdir app && printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n" > app/x.yaml &&
	fails_with 1 rr . app > out 2> err && test ! -s out && contains err "error: app/x.yaml:5:"'
t_expect "a symlinked manifest leaving the tree is refused; one inside is read; linked dirs are not entered" '
	mkdir -p tree/app outside && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: in}\n" > tree/app/in.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n" > outside/s.yaml &&
	ln -s ../../outside/s.yaml tree/app/evil.yaml && fails_with 1 rr tree app > out 2> err &&
	contains err "link '\''app/evil.yaml'\'' leaves the tree" && rm tree/app/evil.yaml &&
	ln -s in.yaml tree/app/link.yaml && rr tree app > out2 && test "$(names out2)" = "in in " &&
	ln -s ../../outside tree/app/dirlink && ln -s /etc/passwd tree/app/notes.txt &&
	ln -s ../../outside/s.yaml tree/app/excluded.yaml &&
	rr --recurse --exclude excluded.yaml tree app > out3 && test "$(names out3)" = "in in "'
t_expect "the app path must stay in the tree and exist" '
	mkapp && fails_with 1 rr . ../etc 2> err && contains err "path '\''../etc'\'' leaves the tree" &&
	fails_with 1 rr . nope 2> err2 && contains err2 "path '\''nope'\'': no such directory in the tree"'
t_expect "rendering reads the read-only tree and changes nothing in it" '
	mkdir tree && cd tree && mkapp && cd .. && chmod -R a-w tree && before=$(tree_sum tree) &&
	rr --recurse tree app > out && contains out "# plain: 9 objects" &&
	test "$(tree_sum tree)" = "$before" && shm_empty; chmod -R u+w tree'

t_done
