#!/bin/sh
# libcurl is dlopen()ed by lib/kube on the first cluster call (lib/net/curl_dl.c), libgit2 by
# lib/source on the first Git operation (lib/source/git_dl.c): the binaries need neither to
# start, offline commands never map them, and without them the calls that do fail with a
# message that says what to install.
. "$(dirname "$0")/../lib.sh"

SS=$FIXTURES/sealed
# a kubeconfig for a server nobody listens on: the call gets as far as connecting
kubeconfig() {
	printf '%s\n' 'apiVersion: v1' 'kind: Config' 'current-context: c' \
		'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]' \
		'contexts: [{name: c, context: {cluster: c, user: u}}]' \
		'users: [{name: u, user: {token: not-a-secret}}]' > kc
}
# the libraries the dynamic loader maps at start (what ldd shows)
deps() { LD_TRACE_LOADED_OBJECTS=1 "$1"; }

t_expect "neither binary has libcurl or libgit2 among the libraries mapped at start" '
	deps "$GITSEAL" > g && contains g libsodium && ! grep -q libcurl g && ! grep -q libgit2 g &&
	deps "$CONTROLLER" > c && contains c libsodium && ! grep -q libcurl c && ! grep -q libgit2 c'
t_expect "seal --cert and unseal never load libcurl" '
	LD_DEBUG=files "$GITSEAL" seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > out.json 2> dbg &&
	contains dbg libsodium && ! grep -q "file=libcurl" dbg &&
	LD_DEBUG=files "$GITSEAL" unseal --key "$SS/tls.key" -o yaml out.json > back.yaml 2> dbg2 &&
	contains back.yaml "kind: Secret" && ! grep -q "file=libcurl" dbg2'
t_expect "a kube command loads libcurl and gets as far as connecting" '
	kubeconfig && KUBECONFIG=$PWD/kc LD_DEBUG=files fails_with 1 "$GITSEAL" kube get secret x 2> err &&
	grep -q "file=libcurl.so.4 .*dynamically loaded" err && grep -q "^error: .*127.0.0.1" err &&
	! grep -q "libcurl.so.4 not found" err'
t_expect "no usable libcurl: kube calls fail saying what to install, seal --cert still works" '
	mkdir lib && : > lib/libcurl.so.4 && kubeconfig &&
	KUBECONFIG=$PWD/kc LD_LIBRARY_PATH=$PWD/lib fails_with 1 "$GITSEAL" kube get secret x 2> err &&
	contains err "libcurl.so.4 not found: install libcurl4 (make deps)" &&
	KUBECONFIG=$PWD/kc LD_LIBRARY_PATH=$PWD/lib fails_with 1 "$GITSEAL" seal -f "$SS/secret.yaml" -w none.json 2> err2 &&
	contains err2 "libcurl.so.4 not found" && test ! -e none.json &&
	LD_LIBRARY_PATH=$PWD/lib "$GITSEAL" seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > out.json &&
	"$GITSEAL" unseal --key "$SS/tls.key" -o yaml out.json | grep -q "kind: Secret"'
t_expect "a libcurl.so.4 that is another library: the missing function is named" '
	yaml=$(deps "$GITSEAL" | sed -n "s/.*libyaml[^ ]* => \([^ ]*\) .*/\1/p") && test -f "$yaml" &&
	mkdir lib2 && ln -s "$yaml" lib2/libcurl.so.4 && kubeconfig &&
	KUBECONFIG=$PWD/kc LD_LIBRARY_PATH=$PWD/lib2 fails_with 1 "$GITSEAL" kube get secret x 2> err &&
	contains err "libcurl.so.4 has no curl_global_init"'

# a repository with one manifest, fetched over file:// (libgit2's local transport)
gitrepo() {
	[ -d src/.git ] && return 0
	git init -q -b main src && printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n" > src/cm.yaml &&
	git -C src add cm.yaml && git -C src -c user.name=t -c user.email=t@t commit -q -m one
}
export XDG_CACHE_HOME="$TMP/cache" GITSEAL_NO_PROGRESS=1
t_expect "age, seal --cert and build of a local directory never load libgit2" '
	gitrepo && LD_DEBUG=files "$GITSEAL" age --help > /dev/null 2> dbg && contains dbg libsodium &&
	! grep -q "file=libgit2" dbg &&
	LD_DEBUG=files "$GITSEAL" seal --cert "$SS/tls.crt" -f "$SS/secret.yaml" > out.json 2> dbg2 &&
	! grep -q "file=libgit2" dbg2 &&
	LD_DEBUG=files "$GITSEAL" build src > out.yaml 2> dbg3 && contains out.yaml "kind: ConfigMap" &&
	! grep -q "file=libgit2" dbg3'
t_expect "build --repo loads libgit2 and fetches" '
	gitrepo && LD_DEBUG=files "$GITSEAL" build --repo "file://$PWD/src" > out.yaml 2> dbg &&
	grep -q "file=libgit2.so.[0-9.]* .*dynamically loaded" dbg && contains out.yaml "name: c"'
t_expect "no usable libgit2: build --repo fails saying what to install, build PATH still works" '
	gitrepo && so=libgit2.so.$(pkg-config --modversion libgit2 | cut -d. -f1,2) && mkdir lib3 && : > "lib3/$so" &&
	LD_LIBRARY_PATH=$PWD/lib3 fails_with 1 "$GITSEAL" build --repo "file://$PWD/src" > out 2> err && [ ! -s out ] &&
	contains err "$so not found: install libgit2-" &&
	LD_LIBRARY_PATH=$PWD/lib3 "$GITSEAL" build src > out.yaml && contains out.yaml "kind: ConfigMap"'
t_done
