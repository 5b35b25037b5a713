#!/bin/sh
# gitseal build --repo: the config repository of the GitOps guide served over git://, HTTP(S) and
# SSH (ed25519 and RSA keys), every path rendered under Helm 3 and Helm 4 with its SOPS files
# decrypted; each failure (host key, stalled server, broken kustomization or template, wrong age
# key) exits 1 naming what failed, prints nothing on stdout, and leaves no plaintext behind.
. "$(dirname "$0")/../lib.sh"
GS_SERVERS_SH=$TOP/tests/git/servers.sh
. "$TOP/tests/git/servers.sh"

TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
HELM3=$TOOLS/helm3/helm
HELM4=$TOOLS/helm4/helm
export GITSEAL_KUBECTL=$TOOLS/kubectl/kubectl GITSEAL_HELM=$HELM3 GITSEAL_NO_PROGRESS=1
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home" XDG_CACHE_HOME="$TMP/cache"
export SOPS_AGE_KEY_FILE="$TMP/key.txt"
SHM=$(mktemp -d /dev/shm/gitseal-btest.XXXXXX)
export GITSEAL_RENDER_TMPDIR=$SHM
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG GITSEAL_GIT_USERNAME GITSEAL_GIT_PASSWORD
trap 'gs_servers_stop; rm -rf "$TMP" "$SHM"' EXIT

if ! [ -x "$HELM3" ] || ! [ -x "$HELM4" ] || ! [ -x "$GITSEAL_KUBECTL" ]; then
	t_peer_missing "gitseal build over Git" "kubectl/helm in $TOOLS (make deps)"
	t_done
	exit
fi

gs_servers_init "$TMP/srv"
W=$GS_SRV/work/config
push() { _gs_git -C "$W" add -A && _gs_git -C "$W" commit -q -m "${1:-change}" && _gs_git -C "$W" push -q "$GS_REPOS/config.git" HEAD:refs/heads/main; }
# one object of build's output: obj OUT KIND NAME
obj() { awk -v k="kind: $2" -v n="  name: $3" '/^---$/ { if (hit) exit; buf = ""; next }
	{ buf = buf $0 "\n" } $0 == k { kind = 1 } $0 == n && kind { hit = 1 }
	END { if (hit) printf "%s", buf }' "$1" | grep . || { echo "no $2 $3 in $1"; return 1; }; }
shm_empty() { [ -z "$(ls -A "$SHM")" ] || { echo "left in $SHM:"; find "$SHM" | head; return 1; }; }

# the repository and the servers, set up here: the snippets below run in subshells
setup() {
	"$GITSEAL" age-keygen -o "$TMP/key.txt" 2>/dev/null && "$GITSEAL" age-keygen -o "$TMP/other.txt" 2>/dev/null &&
	R=$("$GITSEAL" age-keygen -y "$TMP/key.txt") &&
	gs_repo config && cp -r "$FIXTURES/config-repo/." "$W/" &&
	# prod adds a SOPS Secret; my-app's secretGenerator reads a SOPS-encrypted env file
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: pr0d-db-passw0rd\n" > "$TMP/db.yaml" &&
	"$GITSEAL" encrypt --age "$R" "$TMP/db.yaml" > "$W/overlays/prod/db.enc.yaml" &&
	sed -i "s|^  - ../../base$|  - ../../base\n  - db.enc.yaml|" "$W/overlays/prod/kustomization.yaml" &&
	printf "API_TOKEN=t0ken-from-sops\n" > "$TMP/app.env" &&
	"$GITSEAL" sops encrypt --age "$R" "$TMP/app.env" > "$W/apps/my-app/app.enc.env" &&
	sed -i "s|^generatorOptions:|  - name: my-app-env\n    envs:\n      - app.enc.env\ngeneratorOptions:|" \
		"$W/apps/my-app/kustomization.yaml" &&
	rm -f "$TMP/db.yaml" "$TMP/app.env" && push "the config repository" &&
	gs_git_daemon_start && gs_http_start && gs_sshd_start
}
XDG_RUNTIME_DIR=$TMP/xdg-run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
if ! setup > "$TMP/setup.log" 2>&1; then
	t_expect "setup: the config repository, git daemon, lighttpd, sshd (make deps)" 'cat "$TMP/setup.log"; false'
	t_done
	exit
fi

app_chart() { # the Application of my-chart: values-prod.yaml and replicaCount=5
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: ops}\nspec:\n  source:\n    repoURL: %s\n    targetRevision: main\n    path: my-chart\n    helm:\n      valueFiles: [values-prod.yaml]\n      parameters: [{name: replicaCount, value: \"5\"}]\n" "$1" > app.yaml
}

t_expect "git://: every path of the repository, SOPS decrypted" '
	for p in base overlays/dev overlays/staging overlays/prod apps/my-app; do
		"$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path $p --show-secrets > "$(echo $p | tr / -).out" || exit 1
	done &&
	obj base.out Deployment web > d && contains d "replicas: 1" &&
	obj overlays-dev.out Deployment dev-web > d && contains d "image: nginx:1.27-dev" &&
	obj overlays-staging.out Deployment staging-web > d && contains d "namespace: staging" &&
	obj overlays-prod.out Deployment prod-web > d && contains d "replicas: 3" &&
	obj overlays-prod.out Secret prod-db > s && contains s "password: pr0d-db-passw0rd" && contains s "namespace: prod" &&
	! grep -q "sops:" overlays-prod.out &&
	obj apps-my-app.out Secret my-app-env > s && contains s "API_TOKEN: $(printf t0ken-from-sops | base64)" &&
	obj apps-my-app.out ConfigMap my-app-config > c && contains c "LOG_LEVEL: info" &&
	head -5 overlays-prod.out | grep -q "kind: Secret" && shm_empty'

t_expect "my-chart with values-prod.yaml and replicaCount=5, under Helm 3 and Helm 4" '
	app_chart "$GS_GIT_URL/config.git" &&
	GITSEAL_HELM=$HELM3 "$GITSEAL" build --app-file app.yaml > h3.out &&
	GITSEAL_HELM=$HELM4 "$GITSEAL" build --app-file app.yaml > h4.out &&
	for v in h3 h4; do obj $v.out Deployment web-web > d && contains d "replicas: 5" && contains d "env: prod" || exit 1; done &&
	cmp h3.out h4.out'

t_expect "the same over HTTP, HTTP with basic auth and HTTPS" '
	"$GITSEAL" build --repo "$GS_HTTP_URL/config.git" --path overlays/prod --show-secrets > http.out &&
	GITSEAL_GIT_USERNAME=$GS_HTTP_USER GITSEAL_GIT_PASSWORD=$GS_HTTP_PASSWORD \
		"$GITSEAL" build --repo "$GS_HTTP_AUTH_URL/config.git" --path overlays/prod --show-secrets > auth.out &&
	"$GITSEAL" build --repo "$GS_HTTPS_URL/config.git" --ca-file "$GS_HTTPS_CA" --path overlays/prod --show-secrets > https.out &&
	"$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path overlays/prod --show-secrets > git.out &&
	cmp git.out http.out && cmp git.out auth.out && cmp git.out https.out && contains https.out "pr0d-db-passw0rd"'

t_expect "the same over SSH with an ed25519 key and with an RSA key" '
	"$GITSEAL" build --repo "$GS_SSH_URL/config.git" --ssh-key "$GS_SSH_KEY_ED25519" --known-hosts "$GS_SSH_KNOWN_HOSTS" \
		--path overlays/prod --show-secrets > ed.out &&
	"$GITSEAL" build --repo "$GS_SSH_URL/config.git" --ssh-key "$GS_SSH_KEY_RSA" --known-hosts "$GS_SSH_KNOWN_HOSTS" \
		--path apps/my-app --show-secrets > rsa.out &&
	contains ed.out "pr0d-db-passw0rd" && contains rsa.out "API_TOKEN: $(printf t0ken-from-sops | base64)"'

t_expect "a wrong host key: exit 1 naming it, nothing printed" '
	fails_with 1 "$GITSEAL" build --repo "$GS_SSH_URL/config.git" --ssh-key "$GS_SSH_KEY_ED25519" \
		--known-hosts "$GS_SSH_KNOWN_HOSTS_WRONG" --path overlays/prod > out 2> err &&
	[ ! -s out ] && contains err "host key" && contains err "does not match known_hosts"'

t_expect "a server that accepts and stalls: exit 1 within the 2s deadline" '
	gs_stall_start && start=$(date +%s) &&
	fails_with 1 "$GITSEAL" build --repo "git://127.0.0.1:$GS_STALL_PORT/config.git" --timeout 2s --path base > out 2> err &&
	[ ! -s out ] && contains err "deadline of 2s exceeded" && [ $(( $(date +%s) - start )) -lt 30 ]'

t_expect "a wrong age key: exit 1 naming the SOPS file and the object, nothing printed" '
	SOPS_AGE_KEY_FILE=$TMP/other.txt fails_with 1 "$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path overlays/prod > out 2> err &&
	[ ! -s out ] && contains err "error: overlays/prod/db.enc.yaml: Secret prod/prod-db: no age identity matches" &&
	SOPS_AGE_KEY_FILE=$TMP/other.txt fails_with 1 "$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path apps/my-app > out 2> err &&
	[ ! -s out ] && contains err "error: apps/my-app/app.enc.env: no age identity matches" && shm_empty'

t_expect "a broken kustomization and a broken template: exit 1 naming the file" '
	cp "$W/overlays/dev/kustomization.yaml" k.keep && cp "$W/my-chart/templates/deployment.yaml" t.keep &&
	printf "resources:\n  - [not, a, path\n" > "$W/overlays/dev/kustomization.yaml" &&
	printf "{{ .Values.replicaCount | nosuchfunc }}\n" >> "$W/my-chart/templates/deployment.yaml" && push broken &&
	fails_with 1 "$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path overlays/dev > out 2> err &&
	[ ! -s out ] && contains err "overlays/dev/kustomization.yaml" &&
	app_chart "$GS_GIT_URL/config.git" &&
	fails_with 1 "$GITSEAL" build --app-file app.yaml > out 2> err2 &&
	[ ! -s out ] && contains err2 "my-chart/templates/deployment.yaml" &&
	cp k.keep "$W/overlays/dev/kustomization.yaml" && cp t.keep "$W/my-chart/templates/deployment.yaml" && push fixed &&
	"$GITSEAL" build --repo "$GS_GIT_URL/config.git" --path overlays/dev > /dev/null'

t_expect "a revision pinned by tag and by commit" '
	_gs_git -C "$W" tag v1.0.0 && _gs_git -C "$W" push -q "$GS_REPOS/config.git" v1.0.0 &&
	sha=$(git -C "$W" rev-parse HEAD) &&
	"$GITSEAL" build --repo "$GS_GIT_URL/config.git" --revision "^1" --path base > tag.out &&
	"$GITSEAL" build --repo "$GS_GIT_URL/config.git" --revision "$sha" --path base > sha.out &&
	cmp tag.out sha.out && contains tag.out "kind: Deployment"'

t_done
