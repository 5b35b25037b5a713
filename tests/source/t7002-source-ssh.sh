#!/bin/sh
# lib/source over SSH (a real sshd, a pinned ed25519 host key) through the system OpenSSH client:
# ed25519 and RSA user keys from files and Secrets, host keys checked against exactly the given
# known_hosts, scp-like URLs, and nothing left behind (agent, directories, key on disk or argv).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/source/source-lib.sh"
src_need

gs_servers_init "$TMP/srv" && gs_repo app && gs_commit app base/cm.yaml "kind: ConfigMap" &&
	gs_sshd_start || { t_expect "sshd starts (openssh-server; make deps)" 'false'; t_done; exit; }
git -C "$GS_SRV/work/app" rev-parse HEAD > "$TMP/c_main"
U=$GS_SSH_URL/app.git
KH=$GS_SSH_KNOWN_HOSTS
export U KH

# wrappers in front of the real ssh that log its arguments and environment; bin-port/ssh also
# gives the port (an scp-like URL has none; lib/source passes ssh only a clean environment)
mkdir -p "$TMP/bin" "$TMP/bin-port"
cat > "$TMP/bin/ssh" <<EOF
#!/bin/sh
{ echo "ARGS \$*"; env | sed 's/^/ENV /'; } >> "$TMP/ssh.log"
exec /usr/bin/ssh "\$@"
EOF
sed "s|exec /usr/bin/ssh|exec /usr/bin/ssh -p $GS_SSH_PORT|" "$TMP/bin/ssh" > "$TMP/bin-port/ssh"
chmod +x "$TMP/bin/ssh" "$TMP/bin-port/ssh"

t_expect "ed25519 key: checkout, then a poll that fetches nothing; no agent or directory left" '
	src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" > a &&
	test "$(field commit a)" = "$(cat c_main)" && test -f "$(field path a)/base/cm.yaml" &&
	src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" > b && grep -q "fetches=0" b &&
	no_leftovers'

t_expect "RSA key (rsa-sha2 through OpenSSH)" '
	rm -rf cache && src --url "$U" --ssh-key "$GS_SSH_KEY_RSA" --known-hosts "$KH" > a &&
	test "$(field commit a)" = "$(cat c_main)" && no_leftovers'

t_expect "a host key that is not the pinned one fails, naming the host" '
	rm -rf cache && fails_with 1 src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$GS_SSH_KNOWN_HOSTS_WRONG" 2> e &&
	contains e "error: fetch ssh://127.0.0.1:$GS_SSH_PORT$GS_REPOS/app.git: host key for $GS_SSH_HOSTPORT does not match known_hosts" &&
	no_leftovers'

t_expect "a host missing from known_hosts fails; no known_hosts at all fails before connecting" '
	: > empty_kh && fails_with 1 src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts empty_kh 2> e1 &&
	contains e1 "no host key for $GS_SSH_HOSTPORT in known_hosts" &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: nokh}\nstringData:\n  identity: x\n" > nokh.yaml &&
	fails_with 1 src --url "$U" --secret nokh.yaml 2> e2 && contains e2 "no known_hosts given" && no_leftovers'

t_expect "a key the server does not know: authentication failed" '
	fails_with 1 src --url "$U" --ssh-key "$GS_SSH_KEY_OTHER" --known-hosts "$KH" 2> e &&
	contains e "authentication failed: " && contains e "Permission denied (publickey)" && no_leftovers'

t_expect "a malformed private key is refused clearly" '
	echo "not a key" > badkey && fails_with 1 src --url "$U" --ssh-key badkey --known-hosts "$KH" 2> e &&
	contains e "the ssh private key could not be loaded" && no_leftovers'

t_expect "Flux Secret (identity + known_hosts as data) and Argo CD Secret (sshPrivateKey)" "
	rm -rf cache && {
	  echo 'apiVersion: v1'; echo 'kind: Secret'; echo 'metadata: {name: flux-ssh}'; echo 'data:'
	  echo \"  identity: \$(base64 -w0 \$GS_SSH_KEY_ED25519)\"; echo \"  known_hosts: \$(base64 -w0 \$KH)\"; } > flux.yaml &&
	src --url \"\$U\" --secret flux.yaml > a && test \"\$(field commit a)\" = \"\$(cat c_main)\" &&
	rm -rf cache && {
	  echo 'kind: Secret'; echo 'metadata: {name: argo-ssh}'; echo 'data:'
	  echo \"  sshPrivateKey: \$(base64 -w0 \$GS_SSH_KEY_RSA)\"; echo \"  known_hosts: \$(base64 -w0 \$KH)\"; } > argo.yaml &&
	src --url \"\$U\" --secret argo.yaml > b && grep -q fetched=1 b && no_leftovers"

t_expect "ssh runs with no config, strict host keys, our known_hosts only; the key is in no argument or variable" '
	rm -rf cache && : > ssh.log && PATH=$TMP/bin:$PATH src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" > a &&
	grep -q fetched=1 a && contains ssh.log "-F /dev/null" && contains ssh.log "StrictHostKeyChecking=yes" &&
	contains ssh.log "GlobalKnownHostsFile=/dev/null" && contains ssh.log "BatchMode=yes" &&
	grep -q "UserKnownHostsFile=$XDG_RUNTIME_DIR/gitseal-ssh\.[^ ]*/known_hosts" ssh.log &&
	contains ssh.log "ENV SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/gitseal-ssh." &&
	key=$(sed -n 2p "$GS_SSH_KEY_ED25519") && ! grep -qF "$key" ssh.log && ! grep -q "BEGIN OPENSSH" ssh.log &&
	no_leftovers'

t_expect "scp-like user@host:path URLs" '
	rm -rf cache && : > ssh.log &&
	PATH=$TMP/bin-port:$PATH src --url "$(id -un)@127.0.0.1:$GS_REPOS/app.git" \
		--ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" > a &&
	test "$(field commit a)" = "$(cat c_main)" && grep -q "ARGS .* -l $(id -un) -- 127.0.0.1 git-upload-pack '\''$GS_REPOS/app.git'\''" ssh.log'

t_expect "a missing repository: the server side says so" '
	fails_with 1 src --url "$GS_SSH_URL/missing.git" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" 2> e &&
	contains e "missing.git" && contains e "does not appear to be a git repository" && no_leftovers'

t_expect "twenty polls leave no descriptor or child behind" '
	src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" > one && src --url "$U" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$KH" --repeat 20 > many &&
	test -n "$(field fds one)" && test "$(field fds one)" = "$(field fds many)" && grep -q "connects=20" many && no_leftovers'

t_done
