#!/bin/sh
# Deadlines and size caps: servers that accept and then say nothing, or stop in the middle of a
# pack, on every transport; each fails with a clear error by its deadline (`timeout` only guards
# against a hang: it never decides a test), leaving nothing half-done in the cache.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/source/source-lib.sh"
src_need

gs_servers_init "$TMP/srv" && gs_repo big &&
	head -c 3000000 /dev/urandom | base64 > "$GS_SRV/work/big/blob.txt" &&
	gs_commit big small.yaml "kind: ConfigMap" && git -C "$GS_SRV/work/big" rev-parse HEAD > "$TMP/c_big" &&
	gs_git_daemon_start && gs_http_start && gs_sshd_start && gs_stall_start && STALL=$GS_STALL_PORT &&
	gs_stall_start "$GS_GIT_PORT" 4096 && STALL_GIT=$GS_STALL_PORT &&
	gs_stall_start "$GS_HTTP_PORT" 8192 && STALL_HTTP=$GS_STALL_PORT ||
	{ t_expect "servers start" 'false'; t_done; exit; }
export STALL STALL_GIT STALL_HTTP

# the operation must end by itself: 124 would mean `timeout` had to kill it
quick() { timeout 20 "$GS" --cache "$TMP/cache" "$@"; }

t_expect "git:// server that accepts and never answers: deadline of 2s exceeded" '
	fails_with 1 quick --timeout 2000 --url "git://127.0.0.1:$STALL/big.git" 2> e &&
	contains e "error: fetch git://127.0.0.1:$STALL/big.git: deadline of 2s exceeded"'

t_expect "http:// the same (and a deadline under 2 s)" '
	fails_with 1 quick --timeout 1500 --url "http://127.0.0.1:$STALL/git/big.git" 2> e &&
	contains e "error: fetch http://127.0.0.1:$STALL/git/big.git: deadline of 1.5s exceeded"'

t_expect "https:// stalled in the TLS handshake" '
	fails_with 1 quick --timeout 2000 --url "https://127.0.0.1:$STALL/git/big.git" 2> e &&
	contains e "deadline of 2s exceeded"'

t_expect "ssh:// stalled before the banner: ssh is killed at the deadline, nothing left behind" '
	echo "[127.0.0.1]:$STALL $(cut -d" " -f2- "$GS_SSH_KNOWN_HOSTS")" > kh &&
	fails_with 1 quick --timeout 2000 --url "ssh://$(id -un)@127.0.0.1:$STALL/big.git" \
		--ssh-key "$GS_SSH_KEY_ED25519" --known-hosts kh 2> e &&
	contains e "deadline of 2s exceeded" && no_leftovers'

t_expect "git:// stopping in the middle of the pack: deadline, then a clean fetch works" '
	fails_with 1 quick --timeout 2000 --url "git://127.0.0.1:$STALL_GIT/big.git" 2> e &&
	contains e "deadline of 2s exceeded" &&
	quick --timeout 20000 --url "$GS_GIT_URL/big.git" > ok && test "$(field commit ok)" = "$(cat c_big)" &&
	test -s "$(field path ok)/blob.txt"'

t_expect "http:// stopping in the middle of the pack" '
	rm -rf cache && fails_with 1 quick --timeout 2000 --url "http://127.0.0.1:$STALL_HTTP/git/big.git" 2> e &&
	contains e "deadline of 2s exceeded" && test -z "$(ls cache/trees)"'

t_expect "ssh:// with a deadline shorter than the transfer: ssh is killed, nothing left behind" '
	rm -rf cache &&
	fails_with 1 quick --timeout 300 --url "$GS_SSH_URL/big.git" --ssh-key "$GS_SSH_KEY_ED25519" \
		--known-hosts "$GS_SSH_KNOWN_HOSTS" 2> e && contains e "deadline of 0.3s exceeded" && no_leftovers'

t_expect "a pack over the size cap is refused" '
	rm -rf cache && fails_with 1 quick --timeout 20000 --max-bytes 200000 --url "$GS_GIT_URL/big.git" 2> e &&
	contains e "error: fetch $GS_GIT_URL/big.git: more than 200000 bytes received (the size cap)" &&
	fails_with 1 quick --timeout 20000 --max-bytes 200000 --url "$GS_HTTP_URL/big.git" 2> e2 &&
	contains e2 "(the size cap)"'

t_done
