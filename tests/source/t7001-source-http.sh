#!/bin/sh
# lib/source over smart HTTP and HTTPS (git http-backend behind lighttpd): anonymous, basic auth,
# credentials from files, the environment and Flux/Argo CD Secrets, a CA for a private server.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/source/source-lib.sh"
src_need

gs_servers_init "$TMP/srv" && gs_repo app && gs_commit app base/cm.yaml "kind: ConfigMap" &&
	gs_http_start || { t_expect "lighttpd with git http-backend starts (make deps)" 'false'; t_done; exit; }
git -C "$GS_SRV/work/app" rev-parse HEAD > "$TMP/c_main"
H=$GS_HTTP_URL/app.git
A=$GS_HTTP_AUTH_URL/app.git
S=https://localhost:$GS_HTTPS_PORT/auth/app.git
export H A S
printf '%s\n' "$GS_HTTP_PASSWORD" > "$TMP/pw"
b64() { printf '%s' "$1" | base64 -w0; }
# requests in lighttpd's access log, which it writes about once a second: count LINES-MATCHING,
# or wait (up to 5 s) until at least N lines match
logged() { grep -c -- "$1" "$GS_HTTP_LOG" 2>/dev/null || true; }
log_wait() {
	_i=0
	while [ "$(logged "$1")" -lt "$2" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ "$(logged "$1")" -ge "$2" ] || { echo "access log: fewer than $2 lines with '$1'"; cat "$GS_HTTP_LOG"; return 1; }
}

t_expect "anonymous smart HTTP: a checkout, then a poll that only asks for the refs (server log)" '
	src --url "$H" > a && test "$(field commit a)" = "$(cat c_main)" &&
	test -f "$(field path a)/base/cm.yaml" && log_wait "POST /git/app.git/git-upload-pack" 1 &&
	log_wait "GET /git/app.git/info/refs?service=git-upload-pack" 1 &&
	src --url "$H" > b && grep -q "fetches=0" b &&
	log_wait "GET /git/app.git/info/refs?service=git-upload-pack" 2 &&
	test "$(logged "POST /git/app.git/git-upload-pack")" = 1'

t_expect "basic auth: username from GITSEAL_GIT_USERNAME, password from --password-file" '
	GITSEAL_GIT_USERNAME=$GS_HTTP_USER src --url "$A" --password-file pw > a &&
	test "$(field commit a)" = "$(cat c_main)"'

t_expect "basic auth from GITSEAL_GIT_USERNAME and GITSEAL_GIT_PASSWORD" '
	rm -rf cache && GITSEAL_GIT_USERNAME=$GS_HTTP_USER GITSEAL_GIT_PASSWORD=$GS_HTTP_PASSWORD src --url "$A" > a &&
	grep -q fetched=1 a'

t_expect "no credentials: HTTP 401 says so; wrong ones: authentication failed, password never shown" '
	rm -rf cache && fails_with 1 src --url "$A" 2> e1 &&
	contains e1 "error: fetch $A: HTTP 401: authentication required (no credentials given)" &&
	GITSEAL_GIT_USERNAME=$GS_HTTP_USER GITSEAL_GIT_PASSWORD=wrong-pw-777 fails_with 1 src --url "$A" 2> e2 &&
	contains e2 "error: fetch $A: HTTP 401: authentication failed" && ! grep -q wrong-pw-777 e2'

t_expect "userinfo in the URL is used and never printed" '
	rm -rf cache && u=http://$GS_HTTP_USER:$GS_HTTP_PASSWORD@127.0.0.1:$GS_HTTP_PORT/auth/app.git &&
	src --url "$u" > a && grep -q fetched=1 a && ! grep -q "$GS_HTTP_PASSWORD" a &&
	fails_with 1 src --url "http://$GS_HTTP_USER:badpass-55@127.0.0.1:$GS_HTTP_PORT/auth/app.git" 2> e &&
	contains e "error: fetch $A: HTTP 401" && ! grep -q badpass-55 e'

t_expect "a missing repository is HTTP 404" '
	fails_with 1 src --url "$GS_HTTP_URL/missing.git" 2> e && contains e "fetch $GS_HTTP_URL/missing.git: HTTP 404: repository not found"'

t_expect "HTTPS with the server CA from --ca-file; without it the certificate is refused" '
	rm -rf cache && GITSEAL_GIT_USERNAME=$GS_HTTP_USER src --url "$S" --ca-file "$GS_HTTPS_CA" --password-file pw > a &&
	test "$(field commit a)" = "$(cat c_main)" &&
	fails_with 1 src --url "$S" 2> e && contains e "fetch $S: SSL certificate problem"'

t_expect "credentials from a Flux Secret (username, password, ca.crt as data)" "
	rm -rf cache && {
	  echo 'apiVersion: v1'; echo 'kind: Secret'; echo 'metadata: {name: flux-https}'; echo 'data:'
	  echo \"  username: \$(b64 \$GS_HTTP_USER)\"; echo \"  password: \$(b64 \$GS_HTTP_PASSWORD)\"
	  echo \"  ca.crt: \$(base64 -w0 \$GS_HTTPS_CA)\"; } > flux.yaml &&
	src --url \"\$S\" --secret flux.yaml > a && test \"\$(field commit a)\" = \"\$(cat c_main)\""

t_expect "credentials from an Argo CD Secret (stringData username/password) over HTTP" "
	rm -rf cache && {
	  echo 'kind: Secret'; echo 'metadata: {name: argo-repo}'; echo 'stringData:'
	  echo \"  url: \$A\"; echo \"  username: \$GS_HTTP_USER\"; echo \"  password: \$GS_HTTP_PASSWORD\"; } > argo.yaml &&
	src --url \"\$A\" --secret argo.yaml > a && grep -q fetched=1 a"

t_expect "a bearer token from a Secret; a wrong one is HTTP 403" "
	rm -rf cache && printf 'kind: Secret\\nmetadata: {name: tok}\\nstringData:\\n  bearerToken: %s\\n' \"\$GS_HTTP_TOKEN\" > tok.yaml &&
	src --url \"\$GS_HTTP_BEARER_URL/app.git\" --secret tok.yaml > a && grep -q fetched=1 a &&
	printf 'kind: Secret\\nmetadata: {name: tok}\\nstringData:\\n  bearerToken: wrong-token-9\\n' > bad.yaml &&
	fails_with 1 src --url \"\$GS_HTTP_BEARER_URL/app.git\" --secret bad.yaml 2> e &&
	contains e 'HTTP 403: access denied' && ! grep -q wrong-token-9 e"

t_expect "a client certificate (Flux tls.crt/tls.key, Argo CD tlsClientCertData/Key); none: refused" "
	rm -rf cache && {
	  echo 'kind: Secret'; echo 'metadata: {name: mtls}'; echo 'data:'
	  echo \"  tls.crt: \$(base64 -w0 \$GS_MTLS_CERT)\"; echo \"  tls.key: \$(base64 -w0 \$GS_MTLS_KEY)\"
	  echo \"  ca.crt: \$(base64 -w0 \$GS_HTTPS_CA)\"; } > flux.yaml &&
	src --url \"\$GS_MTLS_URL/app.git\" --secret flux.yaml > a && grep -q fetched=1 a &&
	rm -rf cache && sed 's/tls.crt:/tlsClientCertData:/; s/tls.key:/tlsClientCertKey:/' flux.yaml > argo.yaml &&
	src --url \"\$GS_MTLS_URL/app.git\" --secret argo.yaml > b && grep -q fetched=1 b &&
	fails_with 1 src --url \"\$GS_MTLS_URL/app.git\" --ca-file \"\$GS_HTTPS_CA\" 2> e && contains e \"fetch \$GS_MTLS_URL/app.git: \""

t_expect "a bad Secret is refused before any network use, naming it" "
	printf 'kind: Secret\nmetadata: {name: bad}\ndata:\n  password: \"%%%%%%\"\n' > bad.yaml &&
	fails_with 1 src --url \"\$A\" --secret bad.yaml 2> e && contains e \"secret 'bad': data.password: not valid base64\""

t_expect "an HTTP proxy: the requests go through it (the URL's own port is closed)" '
	rm -rf cache && gs_stall_start "$GS_HTTP_PORT" 1000000000 &&
	src --url "http://127.0.0.1:9/git/app.git" --proxy "http://127.0.0.1:$GS_STALL_PORT" > a &&
	test "$(field commit a)" = "$(cat c_main)" &&
	log_wait "127.0.0.1:9 - .*GET /git/app.git/info/refs" 1 &&
	fails_with 1 src --url "http://127.0.0.1:9/git/app.git" 2> e && contains e "fetch http://127.0.0.1:9/git/app.git: "'

t_expect "a redirect of info/refs is followed and the pack requests go where it led" '
	rm -rf cache && n=$(logged "POST /git/app.git/git-upload-pack") &&
	src --url "$GS_HTTP_MOVED_URL/app.git" > a && grep -q fetched=1 a &&
	log_wait "GET /moved/app.git/info/refs" 1 && log_wait "POST /git/app.git/git-upload-pack" $((n + 1)) &&
	test "$(logged "POST /moved/")" = 0'

t_expect "twenty polls leave no descriptor or child behind" '
	src --url "$H"  > one && src --url "$H"  --repeat 20 > many &&
	test -n "$(field fds one)" && test "$(field fds one)" = "$(field fds many)" && grep -q "connects=20" many'

t_done
