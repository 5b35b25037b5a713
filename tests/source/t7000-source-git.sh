#!/bin/sh
# lib/source over git:// (a real git daemon): revisions, polls, moves and force-pushes, the
# exported trees, the cache across processes and threads, the collector.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/source/source-lib.sh"
src_need

gs_servers_init "$TMP/srv" && gs_repo app && gs_git_daemon_start ||
	{ t_expect "git daemon starts" 'false'; t_done; exit; }
U=$GS_GIT_URL/app.git
W=$GS_SRV/work/app
g() { git -C "$W" -c user.email=t@example.com -c user.name=t "$@"; }
push() { git -C "$W" push -q "$@" "$GS_REPOS/app.git"; }
export U W

# history: initial, base (+ tags), then main moves on
g rev-parse HEAD > "$TMP/c_init" &&
	gs_commit app base/deployment.yaml "kind: Deployment" &&
	g tag v1.2.0 && g tag v1.4.1 && g tag -a -m "annotated" v1.10.0 && g tag v2.0.0-rc.1 && push --tags &&
	g rev-parse HEAD > "$TMP/c_base" &&
	gs_commit app base/service.yaml "kind: Service" && g rev-parse HEAD > "$TMP/c_main" ||
	{ t_expect "test repository" 'false'; t_done; exit; }

t_expect "a branch: commit, ref, read-only tree (files 0444, directories 0555)" '
	src --url "$U" --rev main > out && field ref out | grep -qx refs/heads/main &&
	test "$(field commit out)" = "$(cat c_main)" && p=$(field path out) &&
	test "$(cat "$p/base/service.yaml")" = "kind: Service" &&
	test "$(stat -c %a "$p/base/service.yaml")" = 444 && test "$(stat -c %a "$p/base")" = 555 &&
	test "$(stat -c %a "$p")" = 555 && ! test -e "$p/.git" && case $p in /*) ;; *) false ;; esac'

t_expect "a poll where nothing moved lists refs and fetches nothing, in a second process too" '
	src --url "$U" --rev main > out && grep -q "stats connects=1 fetches=0 .* exports=0" out &&
	grep -q "fetched=0" out &&
	src --url "$U" --rev main --repeat 3 > out3 && grep -q "stats connects=3 fetches=0" out3'

t_expect "the ref moves: the next poll fetches only then, and exports the new tree once" '
	gs_commit app overlays/prod/kustomization.yaml "resources: [../../base]" &&
	git -C "$W" rev-parse HEAD > c_new &&
	src --url "$U" --rev main --repeat 2 > out && test "$(field commit out)" = "$(cat c_new)" &&
	grep -q "stats connects=2 fetches=1 .* exports=1" out && test "$(grep -c fetched=1 out)" = 1 &&
	test -f "$(field path out)/overlays/prod/kustomization.yaml"'

t_expect "a force-push to an unrelated history is followed" '
	git -C "$W" checkout -q --orphan rewrite && git -C "$W" rm -q -rf . &&
	echo rewritten > "$W/NEW.md" && git -C "$W" add NEW.md &&
	git -C "$W" -c user.email=t@e -c user.name=t commit -q -m rewritten &&
	git -C "$W" push -q -f "$GS_REPOS/app.git" rewrite:main && git -C "$W" rev-parse HEAD > c_forced &&
	src --url "$U" --rev main > out && test "$(field commit out)" = "$(cat c_forced)" &&
	p=$(field path out) && test -f "$p/NEW.md" && ! test -e "$p/base"'

t_expect "tags: lightweight and annotated (peeled to the commit)" '
	src --url "$U" --rev v1.2.0 > a && test "$(field commit a)" = "$(cat c_base)" &&
	src --url "$U" --rev v1.10.0 > b && test "$(field commit b)" = "$(cat c_base)" &&
	grep -q ref=refs/tags/v1.10.0 b'

t_expect "semver ranges pick the highest matching tag; pre-releases only when asked" '
	src --url "$U" --rev "^1" > a && grep -q ref=refs/tags/v1.10.0 a &&
	src --url "$U" --rev "~1.4" > b && grep -q ref=refs/tags/v1.4.1 b &&
	src --url "$U" --rev ">=1.2.0 <1.4" > c && grep -q ref=refs/tags/v1.2.0 c &&
	src --url "$U" --rev ">=2.0.0-0" > d && grep -q ref=refs/tags/v2.0.0-rc.1 d &&
	fails_with 1 src --url "$U" --rev ">=2.0.0" > e 2> err &&
	contains err "$U: revision '\''>=2.0.0'\'': no tag matches"'

t_expect "a commit that is no ref tip: full and abbreviated; then no network at all" '
	c=$(cat c_init) && rm -rf cache &&
	src --url "$U" --rev "$c" > a && test "$(field commit a)" = "$c" && grep -q "ref=-" a &&
	git --git-dir=$(echo cache/repos/app-*.git) show-ref > refs && contains refs refs/heads/main &&
	src --url "$U" --rev "$c" > b && grep -q "stats connects=0 fetches=0" b &&
	src --url "$U" --rev "$(echo "$c" | cut -c1-9)" > s && test "$(field commit s)" = "$c"'

t_expect "a commit fetched by id where the server allows it (uploadpack.allowAnySHA1InWant)" '
	git -C "$GS_REPOS/app.git" config uploadpack.allowAnySHA1InWant true && rm -rf cache &&
	src --url "$U" --rev "$(cat c_init)" > a; rc=$?;
	git -C "$GS_REPOS/app.git" config --unset uploadpack.allowAnySHA1InWant;
	test $rc = 0 && test "$(field commit a)" = "$(cat c_init)" && grep -q "fetches=1 " a &&
	git --git-dir=$(echo cache/repos/app-*.git) show-ref > refs &&
	contains refs "refs/gitseal/commits/$(cat c_init)" && ! grep -q refs/heads/main refs'

t_expect "a commit that is a tag tip: its tag is fetched" '
	rm -rf cache && src --url "$U" --rev "$(cat c_base)" > a && test "$(field commit a)" = "$(cat c_base)" &&
	grep -q "fetched=1" a && git --git-dir=$(echo cache/repos/app-*.git) show-ref > refs &&
	grep -q "refs/tags/v1" refs && ! grep -q refs/heads/main refs'

t_expect "a local path or file:// URL goes through libgit2's local transport" '
	rm -rf cache && src --url "file://$GS_REPOS/app.git" --rev v1.2.0 > a && test "$(field commit a)" = "$(cat c_base)" &&
	src --url "$GS_REPOS/app.git" --rev v1.2.0 > b && grep -q "fetches=0" b &&
	fails_with 1 src --url "$GS_REPOS/none.git" 2> e && contains e "fetch $GS_REPOS/none.git: No such file or directory"'

t_expect "a cache repository left broken (an interrupted first fetch) is made again" '
	rm -rf cache && src --url "$U" > a && r=$(echo cache/repos/app-*.git) && rm -rf "$r/HEAD" "$r/objects" &&
	src --url "$U" > b && grep -q fetched=1 b && test "$(field commit b)" = "$(field commit a)"'

t_expect "unknown revisions and repositories fail naming the URL and what" '
	fails_with 1 src --url "$U" --rev no-such-branch 2> e1 &&
	contains e1 "$U: revision '\''no-such-branch'\'': no branch, tag or commit of that name" &&
	fails_with 1 src --url "$U" --rev deadbeef 2> e2 &&
	contains e2 "revision '\''deadbeef'\'': no commit with that id" &&
	fails_with 1 src --url "$GS_GIT_URL/missing.git" 2> e3 && contains e3 "fetch $GS_GIT_URL/missing.git: " &&
	fails_with 1 src --url "git://127.0.0.1:1/x.git" 2> e4 &&
	contains e4 "fetch git://127.0.0.1:1/x.git: connect 127.0.0.1 port 1: Connection refused"'

t_expect "symbolic links inside the tree are kept, links that lead out are refused" '
	gs_repo links && cd "$GS_SRV/work/links" && mkdir -p d && ln -s ../README.md d/readme && ln -s d dir &&
	git add -A && git -c user.email=t@e -c user.name=t commit -q -m links &&
	git push -q "$GS_REPOS/links.git" HEAD:main && cd "$TMP" &&
	src --url "$GS_GIT_URL/links.git" > ok && p=$(field path ok) && test "$(readlink "$p/d/readme")" = ../README.md &&
	grep -q links "$p/dir/readme" &&
	cd "$GS_SRV/work/links" && ln -s ../../etc/passwd d/out && ln -s dir/../.. up &&
	git add -A && git -c user.email=t@e -c user.name=t commit -q -m escape &&
	git push -q "$GS_REPOS/links.git" HEAD:main && bad=$(git rev-parse HEAD) && cd "$TMP" &&
	fails_with 1 src --url "$GS_GIT_URL/links.git" 2> err && contains err "leads outside the repository" &&
	! test -e "cache/trees/$bad" && test -z "$(ls cache/tmp)"'

t_expect ".gitsealignore at the root leaves paths out of the tree" '
	gs_repo ign && gs_commit ign .gitsealignore "$(printf "secrets/\n*.tmp\n!keep.tmp\n/top-only.yaml")" &&
	gs_commit ign secrets/a.yaml a && gs_commit ign x/b.tmp b && gs_commit ign x/keep.tmp k &&
	gs_commit ign top-only.yaml t && gs_commit ign x/top-only.yaml u &&
	src --url "$GS_GIT_URL/ign.git" > out && p=$(field path out) &&
	! test -e "$p/secrets" && ! test -e "$p/x/b.tmp" && test -f "$p/x/keep.tmp" &&
	! test -e "$p/top-only.yaml" && test -f "$p/x/top-only.yaml" && test -f "$p/.gitsealignore"'

t_expect "the progress hook sees the objects arrive and the files written" '
	gs_repo many && i=0 && while [ $i -lt 600 ]; do echo "n: $i" > "$GS_SRV/work/many/f$i.yaml"; i=$((i + 1)); done &&
	gs_commit many last.yaml x && src --url "$GS_GIT_URL/many.git" > out &&
	grep -q "^progress calls=" out && o=$(sed -n "s/.*objects=\([0-9]*\)\/\([0-9]*\).*/\1 \2/p" out) &&
	set -- $o && test "$1" -ge 600 && test "$1" = "$2" &&
	e=$(sed -n "s/.*exported=\([0-9]*\).*/\1/p" out) && test "$e" -ge 512 && test "$e" -le 602'

t_expect "threads: 8 workers on two remotes, each tree exported once" '
	gs_repo two && rm -rf cache &&
	src --url "$U" --url "$GS_GIT_URL/two.git" --threads 8 --repeat 3 > out &&
	test "$(grep -c "^commit=" out)" = 24 && grep -q "exports=2 " out &&
	test "$(ls cache/trees | grep -vc lock)" = 2 &&
	# callers that waited behind another take the ref advertisement it got: fewer round trips
	n=$(sed -n "s/^stats connects=\([0-9]*\) .*/\1/p" out) && echo "connects=$n of 24" && test "$n" -lt 24'

t_expect "collector: idle trees go, a tree another process holds stays" '
	rm -rf cache && src --url "$U" --rev v1.2.0 > old && src --url "$U" --rev main > new &&
	old=$(field commit old) && new=$(field commit new) &&
	{ src --url "$U" --rev main --hold-ms 2000 > held & } &&
	i=0 && while ! grep -q commit= held 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	touch -d "3 days ago" cache/trees/*.lock &&
	src --gc > gc && grep -q "collected=1" gc &&
	! test -e "cache/trees/$old" && test -d "cache/trees/$new" && wait &&
	touch -d "3 days ago" cache/trees/*.lock cache/repos/*.lock &&
	src --gc > gc2 && grep -q "collected=2" gc2 && ! test -e "cache/trees/$new" &&
	test -z "$(ls cache/repos)"'

t_expect "collector: over the size cap, the least recently used tree goes first" '
	rm -rf cache && src --url "$U" --rev v1.2.0 > a && touch -d "1 hour ago" cache/trees/*.lock &&
	src --url "$U" --rev main > b && a=$(field commit a) && b=$(field commit b) &&
	total=$(( $(cat cache/trees/$a.lock) + $(cat cache/trees/$b.lock) + $(du -s -B1 cache/repos/*.git | cut -f1) )) &&
	src --gc --cap $((total - 1)) > gc && grep -q "collected=1" gc &&
	! test -e "cache/trees/$a" && test -d "cache/trees/$b" && test -n "$(ls cache/repos)"'

t_expect "as a user without root rights (the image runs as uid 1001): export, then collect" '
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then echo "needs root and setpriv to drop to 65534"; exit 0; fi
	mkdir -m 0755 nr && chown 65534:65534 nr && chmod o+x "$TMP" &&
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$GS" --cache "$TMP/nr/cache" --timeout 5000 "$@"; } &&
	as_nobody --url "$U" --rev v1.2.0 > nr.out && p=$(field path nr.out) &&
	test "$(stat -c %u:%a "$p")" = 65534:555 && test -f "$p/base/deployment.yaml" &&
	touch -d "3 days ago" nr/cache/trees/*.lock nr/cache/repos/*.lock &&
	as_nobody --gc > nr.gc && grep -q "collected=2" nr.gc && ! test -e "$p"'

t_done
