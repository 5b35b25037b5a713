# Git servers on loopback for tests (sourced; POSIX sh). See tests/git/README.md.
#
#   gs_servers_init DIR     a fresh DIR for repositories, keys, configs, logs and pids;
#                           sets GS_SRV, GS_REPOS (bare repositories, served by every server)
#   gs_repo NAME            a bare repository $GS_REPOS/NAME.git and a work tree $GS_SRV/work/NAME
#                           with one commit (README) on main; prints nothing
#   gs_commit NAME FILE TEXT [MSG]   write FILE in NAME's work tree, commit, push main
#   gs_git_daemon_start     git daemon          -> GS_GIT_URL=git://127.0.0.1:PORT (+ /NAME.git)
#   gs_http_start           lighttpd + git http-backend:
#                             GS_HTTP_URL=http://127.0.0.1:P/git           (anonymous)
#                             GS_HTTP_AUTH_URL=http://127.0.0.1:P/auth     (basic auth)
#                             GS_HTTP_MOVED_URL=http://127.0.0.1:P/moved   (redirects to /git)
#                             GS_HTTPS_URL=https://localhost:P2/git        (certificate for localhost)
#                             GS_HTTP_BEARER_URL=http://127.0.0.1:P/bearer (Authorization: Bearer $GS_HTTP_TOKEN)
#                             GS_MTLS_URL=https://localhost:P3/git         (client certificate required:
#                                                                           GS_MTLS_CERT, GS_MTLS_KEY)
#                             GS_HTTP_USER GS_HTTP_PASSWORD GS_HTTPS_CA GS_HTTP_LOG (access log)
#   gs_sshd_start           sshd with a pinned ed25519 host key:
#                             GS_SSH_URL=ssh://USER@127.0.0.1:P$GS_REPOS  GS_SSH_HOSTPORT=[127.0.0.1]:P
#                             GS_SSH_KEY_ED25519 GS_SSH_KEY_RSA (user keys, authorized)
#                             GS_SSH_KEY_OTHER (not authorized) GS_SSH_KNOWN_HOSTS (right host key)
#                             GS_SSH_KNOWN_HOSTS_WRONG (another key for the same host)
#   gs_stall_start [UPSTREAM_PORT BYTES]   a server that accepts and never answers (or relays
#                           BYTES of each reply, then stalls) -> GS_STALL_PORT
#   gs_servers_stop         stop everything this file started (also run at exit by the caller)
#
# Every server listens on 127.0.0.1 only, on a port picked at random; each start waits until
# the server answers. Functions return non-zero (with a message on stderr) when a server
# cannot start, e.g. when its package is missing (tests/deps.sh installs them).

_gs_dir=$(cd "$(dirname "${GS_SERVERS_SH:-$0}")" 2>/dev/null && pwd)
[ -f "$_gs_dir/stall.py" ] || _gs_dir=${TOP:-.}/tests/git

gs_servers_init() {
	GS_SRV=$1
	GS_REPOS=$GS_SRV/repos
	mkdir -p "$GS_REPOS" "$GS_SRV/work" "$GS_SRV/run" || return 1
	: > "$GS_SRV/pids"
	export GS_SRV GS_REPOS
}

gs_port() { # a free port on 127.0.0.1 (free now; the server binds it right after)
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_gs_git() { git -c user.email=t@example.com -c user.name=gitseal-test -c init.defaultBranch=main \
	-c protocol.file.allow=always "$@"; }

gs_repo() {
	_r=$1
	rm -rf "$GS_REPOS/$_r.git" "$GS_SRV/work/$_r"
	_gs_git init -q --bare "$GS_REPOS/$_r.git" &&
		git -C "$GS_REPOS/$_r.git" symbolic-ref HEAD refs/heads/main &&
		_gs_git init -q "$GS_SRV/work/$_r" &&
		echo "# $_r" > "$GS_SRV/work/$_r/README.md" &&
		_gs_git -C "$GS_SRV/work/$_r" add -A &&
		_gs_git -C "$GS_SRV/work/$_r" commit -q -m "initial" &&
		_gs_git -C "$GS_SRV/work/$_r" push -q "$GS_REPOS/$_r.git" HEAD:refs/heads/main
}

gs_commit() {
	_r=$1 _f=$2 _t=$3 _m=${4:-"change $2"}
	mkdir -p "$(dirname "$GS_SRV/work/$_r/$_f")" &&
		printf '%s\n' "$_t" > "$GS_SRV/work/$_r/$_f" &&
		_gs_git -C "$GS_SRV/work/$_r" add -A &&
		_gs_git -C "$GS_SRV/work/$_r" commit -q -m "$_m" &&
		_gs_git -C "$GS_SRV/work/$_r" push -q "$GS_REPOS/$_r.git" HEAD:refs/heads/main
}

_gs_pid() { echo "$1" >> "$GS_SRV/pids"; }

_gs_wait_port() { # _gs_wait_port PORT PID: until something accepts on the port (5 s)
	_i=0
	while [ $_i -lt 100 ]; do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null &&
			return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

gs_git_daemon_start() {
	GS_GIT_PORT=$(gs_port) || return 1
	git daemon --reuseaddr --listen=127.0.0.1 --port="$GS_GIT_PORT" --base-path="$GS_REPOS" \
		--export-all --enable=upload-pack --informative-errors "$GS_REPOS" \
		> "$GS_SRV/run/git-daemon.log" 2>&1 &
	_p=$!
	_gs_pid $_p
	_gs_wait_port "$GS_GIT_PORT" $_p || { echo "git daemon did not start: $(tail -n 3 "$GS_SRV/run/git-daemon.log")" >&2; return 1; }
	GS_GIT_URL=git://127.0.0.1:$GS_GIT_PORT
	export GS_GIT_PORT GS_GIT_URL
}

gs_http_start() {
	command -v lighttpd >/dev/null 2>&1 || { echo "lighttpd is not installed (make deps)" >&2; return 1; }
	_d=$GS_SRV/http
	mkdir -p "$_d/www" || return 1
	GS_HTTP_PORT=$(gs_port) && GS_HTTPS_PORT=$(gs_port) && GS_MTLS_PORT=$(gs_port) || return 1
	GS_HTTP_USER=gitseal
	GS_HTTP_PASSWORD=pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	GS_HTTP_TOKEN=tok-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s:%s\n' "$GS_HTTP_USER" "$GS_HTTP_PASSWORD" > "$_d/users"
	# a certificate for localhost (DNS SAN), and its CA is itself
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$_d/server.key" -out "$_d/server.crt" -days 2 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost > "$_d/openssl.log" 2>&1 || {
		echo "openssl: $(tail -n 2 "$_d/openssl.log")" >&2; return 1; }
	cat "$_d/server.crt" "$_d/server.key" > "$_d/server.pem"
	# client certificates for the mutual-TLS port: their own CA
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$_d/client-ca.key" -out "$_d/client-ca.crt" -days 2 \
		-subj /CN=gitseal-test-client-ca >> "$_d/openssl.log" 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -keyout "$_d/client.key" -out "$_d/client.csr" \
		-subj /CN=gitseal-client >> "$_d/openssl.log" 2>&1 &&
		openssl x509 -req -in "$_d/client.csr" -CA "$_d/client-ca.crt" -CAkey "$_d/client-ca.key" \
		-CAcreateserial -out "$_d/client.crt" -days 2 >> "$_d/openssl.log" 2>&1 || {
		echo "openssl: $(tail -n 2 "$_d/openssl.log")" >&2; return 1; }
	cat > "$_d/lighttpd.conf" <<EOF
server.modules = ("mod_access", "mod_alias", "mod_redirect", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi", "mod_openssl", "mod_accesslog")
server.document-root = "$_d/www"
server.bind = "127.0.0.1"
server.port = $GS_HTTP_PORT
server.errorlog = "$_d/error.log"
accesslog.filename = "$_d/access.log"
alias.url = ( "/git/" => "/usr/lib/git-core/git-http-backend/", "/auth/" => "/usr/lib/git-core/git-http-backend/",
              "/bearer/" => "/usr/lib/git-core/git-http-backend/" )
url.redirect = ( "^/moved/(.*)\$" => "/git/\$1" )
\$HTTP["url"] =~ "^/(git|auth|bearer)/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$GS_REPOS", "GIT_HTTP_EXPORT_ALL" => "")
}
auth.backend = "plain"
auth.backend.plain.userfile = "$_d/users"
\$HTTP["url"] =~ "^/auth/" {
	auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}
\$HTTP["url"] =~ "^/bearer/" {
	\$REQUEST_HEADER["Authorization"] != "Bearer $GS_HTTP_TOKEN" {
		url.access-deny = ( "" )
	}
}
\$SERVER["socket"] == "127.0.0.1:$GS_HTTPS_PORT" {
	ssl.engine = "enable"
	ssl.pemfile = "$_d/server.pem"
}
\$SERVER["socket"] == "127.0.0.1:$GS_MTLS_PORT" {
	ssl.engine = "enable"
	ssl.pemfile = "$_d/server.pem"
	ssl.ca-file = "$_d/client-ca.crt"
	ssl.verifyclient.activate = "enable"
	ssl.verifyclient.enforce = "enable"
}
EOF
	lighttpd -D -f "$_d/lighttpd.conf" > "$_d/stdout.log" 2>&1 &
	_p=$!
	_gs_pid $_p
	_gs_wait_port "$GS_HTTP_PORT" $_p && _gs_wait_port "$GS_HTTPS_PORT" $_p && _gs_wait_port "$GS_MTLS_PORT" $_p || {
		echo "lighttpd did not start: $(tail -n 3 "$_d/stdout.log" "$_d/error.log" 2>/dev/null)" >&2; return 1; }
	GS_HTTP_URL=http://127.0.0.1:$GS_HTTP_PORT/git
	GS_HTTP_AUTH_URL=http://127.0.0.1:$GS_HTTP_PORT/auth
	GS_HTTP_MOVED_URL=http://127.0.0.1:$GS_HTTP_PORT/moved
	GS_HTTPS_URL=https://localhost:$GS_HTTPS_PORT/git
	GS_HTTP_BEARER_URL=http://127.0.0.1:$GS_HTTP_PORT/bearer
	GS_MTLS_URL=https://localhost:$GS_MTLS_PORT/git
	GS_HTTPS_CA=$_d/server.crt
	GS_MTLS_CERT=$_d/client.crt
	GS_MTLS_KEY=$_d/client.key
	GS_HTTP_LOG=$_d/access.log
	export GS_HTTP_PORT GS_HTTPS_PORT GS_MTLS_PORT GS_HTTP_URL GS_HTTP_AUTH_URL GS_HTTP_MOVED_URL GS_HTTPS_URL \
		GS_HTTP_BEARER_URL GS_MTLS_URL GS_HTTPS_CA GS_MTLS_CERT GS_MTLS_KEY GS_HTTP_LOG GS_HTTP_USER GS_HTTP_PASSWORD \
		GS_HTTP_TOKEN
}

gs_sshd_start() {
	[ -x /usr/sbin/sshd ] || { echo "sshd is not installed (openssh-server; make deps)" >&2; return 1; }
	_d=$GS_SRV/ssh
	mkdir -p "$_d" && chmod 700 "$_d" || return 1
	[ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -C gitseal-host -f "$_d/host_ed25519" &&
		ssh-keygen -q -t ed25519 -N '' -C gitseal-other-host -f "$_d/other_host" &&
		ssh-keygen -q -t ed25519 -N '' -C gitseal-user-ed25519 -f "$_d/user_ed25519" &&
		ssh-keygen -q -t rsa -b 3072 -N '' -C gitseal-user-rsa -f "$_d/user_rsa" &&
		ssh-keygen -q -t ed25519 -N '' -C gitseal-user-other -f "$_d/user_other" || return 1
	cat "$_d/user_ed25519.pub" "$_d/user_rsa.pub" > "$_d/authorized_keys"
	GS_SSH_PORT=$(gs_port) || return 1
	cat > "$_d/sshd_config" <<EOF
Port $GS_SSH_PORT
ListenAddress 127.0.0.1
HostKey $_d/host_ed25519
AuthorizedKeysFile $_d/authorized_keys
PidFile $_d/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
EOF
	/usr/sbin/sshd -D -e -f "$_d/sshd_config" > "$_d/sshd.log" 2>&1 &
	_p=$!
	_gs_pid $_p
	_gs_wait_port "$GS_SSH_PORT" $_p || { echo "sshd did not start: $(tail -n 3 "$_d/sshd.log")" >&2; return 1; }
	GS_SSH_HOSTPORT="[127.0.0.1]:$GS_SSH_PORT"
	echo "$GS_SSH_HOSTPORT $(cut -d' ' -f1-2 "$_d/host_ed25519.pub")" > "$_d/known_hosts"
	echo "$GS_SSH_HOSTPORT $(cut -d' ' -f1-2 "$_d/other_host.pub")" > "$_d/known_hosts_wrong"
	GS_SSH_URL=ssh://$(id -un)@127.0.0.1:$GS_SSH_PORT$GS_REPOS
	GS_SSH_KEY_ED25519=$_d/user_ed25519
	GS_SSH_KEY_RSA=$_d/user_rsa
	GS_SSH_KEY_OTHER=$_d/user_other
	GS_SSH_KNOWN_HOSTS=$_d/known_hosts
	GS_SSH_KNOWN_HOSTS_WRONG=$_d/known_hosts_wrong
	export GS_SSH_PORT GS_SSH_HOSTPORT GS_SSH_URL GS_SSH_KEY_ED25519 GS_SSH_KEY_RSA GS_SSH_KEY_OTHER \
		GS_SSH_KNOWN_HOSTS GS_SSH_KNOWN_HOSTS_WRONG
}

gs_stall_start() {
	_pf=$GS_SRV/run/stall.$$.$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	python3 "$_gs_dir/stall.py" "$_pf" "$@" > "$_pf.log" 2>&1 &
	_p=$!
	_gs_pid $_p
	_i=0
	while [ ! -s "$_pf" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && { echo "stall.py did not start: $(tail -n 3 "$_pf.log")" >&2; return 1; }
		kill -0 $_p 2>/dev/null || { echo "stall.py died: $(tail -n 3 "$_pf.log")" >&2; return 1; }
		sleep 0.05
	done
	GS_STALL_PORT=$(cat "$_pf")
	export GS_STALL_PORT
}

gs_servers_stop() {
	[ -n "${GS_SRV:-}" ] && [ -f "$GS_SRV/pids" ] || return 0
	while read -r _p; do
		[ -n "$_p" ] && kill "$_p" 2>/dev/null
	done < "$GS_SRV/pids"
	while read -r _p; do
		[ -n "$_p" ] && wait "$_p" 2>/dev/null
	done < "$GS_SRV/pids"
	: > "$GS_SRV/pids"
}
