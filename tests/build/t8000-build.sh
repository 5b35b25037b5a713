#!/bin/sh
# gitseal build on a local checkout: SOPS Secrets decrypted (MAC checked), SealedSecrets passed
# through, apply order, masking, -o json, --app-file, and each failure: exit 1, file named, no stdout.
. "$(dirname "$0")/../lib.sh"

export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home" GITSEAL_NO_PROGRESS=1
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG
export SOPS_AGE_KEY_FILE="$TMP/key.txt"

setup() {
	"$GITSEAL" age-keygen -o key.txt 2>/dev/null && "$GITSEAL" age-keygen -o other.txt 2>/dev/null &&
	R=$("$GITSEAL" age-keygen -y key.txt) &&
	mkdir -p repo/apps/prod &&
	cat > db.yaml <<-'EOF' &&
	apiVersion: v1
	kind: Secret
	metadata:
	  name: db
	  namespace: prod
	type: Opaque
	stringData:
	  password: pl41nt3xt-passw0rd
	  url: postgres://db.prod:5432/app
	EOF
	"$GITSEAL" encrypt --age "$R" db.yaml > repo/apps/prod/db.enc.yaml &&
	mkdir keys && "$GITSEAL" keys new --out-dir keys >/dev/null 2>&1 &&
	printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: prod}\nstringData: {token: s34led-t0ken}\n' |
		"$GITSEAL" seal --cert keys/tls.crt -o yaml > repo/apps/prod/api.sealed.yaml &&
	cat > repo/apps/prod/app.yaml <<-'EOF'
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: prod}
	spec: {replicas: 1}
	---
	apiVersion: v1
	kind: Namespace
	metadata: {name: prod}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cfg, namespace: prod, annotations: {argocd.argoproj.io/sync-wave: "-1"}}
	data: {mode: prod}
	EOF
}
# the kinds in the order they are printed
kinds() { grep '^kind: ' "$1" | sed 's/kind: //' | tr '\n' ' '; }

t_expect "setup: an age key, a SOPS Secret, a SealedSecret, plain manifests" 'setup'

t_expect "build decrypts the SOPS Secret, masks its values and prints in apply order" '
	"$GITSEAL" build repo --path apps/prod > out.yaml 2> err &&
	[ ! -s err ] &&
	[ "$(kinds out.yaml)" = "Namespace ConfigMap Secret Deployment SealedSecret " ] &&
	contains out.yaml "  password: '\''***'\''" && contains out.yaml "  url: '\''***'\''" &&
	! grep -q "pl41nt3xt" out.yaml && ! grep -q "ENC\[" out.yaml && ! grep -q "^sops:" out.yaml'

t_expect "the SealedSecret goes through unchanged" '
	"$GITSEAL" build repo --path apps/prod > out.yaml &&
	item=$(grep "  token: " repo/apps/prod/api.sealed.yaml | sed "s/^ *token: //") &&
	[ -n "$item" ] && contains out.yaml "$item" && contains out.yaml "kind: SealedSecret"'

t_expect "--show-secrets prints the decrypted values" '
	"$GITSEAL" build repo --path apps/prod --show-secrets > out.yaml &&
	contains out.yaml "password: pl41nt3xt-passw0rd" && contains out.yaml "url: postgres://db.prod:5432/app"'

t_expect "-o json prints one v1 List in the same order" '
	"$GITSEAL" build repo --path apps/prod -o json > out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); assert d[\"kind\"]==\"List\", d[\"kind\"];
k=[i[\"kind\"] for i in d[\"items\"]]; assert k==[\"Namespace\",\"ConfigMap\",\"Secret\",\"Deployment\",\"SealedSecret\"], k;
s=d[\"items\"][2]; assert s[\"stringData\"][\"password\"]==\"***\", s"'

t_expect "PATH is the directory to render without --path; . is the default" '
	"$GITSEAL" build repo/apps/prod > a.yaml && (cd repo/apps/prod && "$GITSEAL" build > ../../../b.yaml) &&
	cmp a.yaml b.yaml && contains a.yaml "kind: Secret"'

t_expect "a wrong age key: exit 1 naming the file, the object and the recipient; nothing on stdout" '
	R=$("$GITSEAL" age-keygen -y key.txt) && SOPS_AGE_KEY_FILE=other.txt fails_with 1 "$GITSEAL" build repo --path apps/prod > out 2> err &&
	[ ! -s out ] && contains err "error: apps/prod/db.enc.yaml: Secret prod/db: no age identity matches (recipients: $R" &&
	! grep -q pl41nt3xt err'

t_expect "no key at all: exit 1, says where it looked" '
	SOPS_AGE_KEY_FILE= fails_with 1 "$GITSEAL" build repo --path apps/prod > out 2> err &&
	[ ! -s out ] && contains err "Secret prod/db: no age identity to decrypt it with"'

t_expect "keys are read only when a SOPS file needs one" '
	mkdir -p plain && cp repo/apps/prod/app.yaml plain/ &&
	SOPS_AGE_KEY_FILE=/nonexistent/keys.txt "$GITSEAL" build plain > out.yaml && contains out.yaml "kind: Deployment" &&
	SOPS_AGE_KEY_FILE=/nonexistent/keys.txt fails_with 1 "$GITSEAL" build repo/apps/prod > out 2> err &&
	contains err "db.enc.yaml: Secret prod/db: reading age identities: failed to open file"'

t_expect "a value changed after encryption (MAC mismatch): exit 1 naming the file" '
	cp -r repo bad && sed -i "s/^type: Opaque/type: kubernetes.io\/basic-auth/" bad/apps/prod/db.enc.yaml &&
	fails_with 1 "$GITSEAL" build bad --path apps/prod > out 2> err && [ ! -s out ] &&
	contains err "apps/prod/db.enc.yaml: MAC mismatch: the file was changed after it was encrypted" &&
	! grep -Eq "[0-9A-F]{32}" err'

t_expect "a truncated value: exit 1 naming the field" '
	rm -rf bad && cp -r repo bad &&
	sed -i "s/^\(    password: ENC\[AES256_GCM,data:[^,]*\),.*/\1/" bad/apps/prod/db.enc.yaml &&
	fails_with 1 "$GITSEAL" build bad --path apps/prod > out 2> err && [ ! -s out ] &&
	contains err "apps/prod/db.enc.yaml: Secret prod/db: stringData.password is not a well-formed ENC[AES256_GCM"'

t_expect "ENC[ values without their sops block are refused" '
	rm -rf bad && cp -r repo bad && sed -i "/^sops:/,\$d" bad/apps/prod/db.enc.yaml &&
	fails_with 1 "$GITSEAL" build bad --path apps/prod > out 2> err && [ ! -s out ] &&
	contains err "apps/prod/db.enc.yaml:8:15: Secret prod/db: stringData.password is still a SOPS-encrypted value" &&
	contains err "[sops-value-left]"'

app() { # app FILE [extra spec lines]
	{ printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: ops}\nspec:\n"
	  printf "  source:\n    repoURL: https://git.example.com/config-repo.git\n    path: apps/prod\n"
	  printf "%s" "${2:-}"; } > "$1"
}

t_expect "--app-file takes the path from the Application" '
	app app.yaml && "$GITSEAL" build repo --app-file app.yaml > out.yaml && contains out.yaml "name: db"'

t_expect "--app-file with requireEncrypted refuses a plaintext Secret" '
	app app.yaml "  decryption: {requireEncrypted: true}
" && "$GITSEAL" build repo --app-file app.yaml > /dev/null &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: lit, namespace: prod}\nstringData: {a: b}\n" > repo/apps/prod/lit.yaml &&
	fails_with 1 "$GITSEAL" build repo --app-file app.yaml > out 2> err && [ ! -s out ] &&
	contains err "apps/prod/lit.yaml:4:13: Secret prod/lit has plaintext stringData and decryption.requireEncrypted is set" &&
	rm repo/apps/prod/lit.yaml'

t_expect "--app-file with an unknown field: exit 1 with file:line and a suggestion" '
	app app.yaml "    helm: {valuesFile: [values.yaml]}
" && fails_with 1 "$GITSEAL" build repo --app-file app.yaml > out 2> err && [ ! -s out ] &&
	contains err "error: app.yaml:8:12: unknown field spec.source.helm.valuesFile (did you mean valueFiles?)"'

t_expect "a manifest without kind names its file and line" '
	rm -rf bad && cp -r repo bad && printf "apiVersion: v1\nmetadata: {name: x}\n" > bad/apps/prod/nokind.yaml &&
	fails_with 1 "$GITSEAL" build bad --path apps/prod > out 2> err && [ ! -s out ] &&
	contains err "apps/prod/nokind.yaml:1"'

# --- Kustomize and Helm on a local checkout (the renderers make deps installs) ---------------
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
KUBECTL=$TOOLS/kubectl/kubectl HELM3=$TOOLS/helm3/helm HELM4=$TOOLS/helm4/helm OLD_KUBECTL=$TOOLS/kubectl-1.20/kubectl
SHM=$(mktemp -d /dev/shm/gitseal-btest.XXXXXX)
trap 'rm -rf "$TMP" "$SHM"' EXIT
shm_empty() { [ -z "$(ls -A "$SHM")" ] || { echo "left in $SHM:"; find "$SHM" | head; return 1; }; }
# one object of build's output: obj OUT KIND NAME
obj() { awk -v k="kind: $2" -v n="  name: $3" '/^---$/ { if (hit) exit; buf = ""; next }
	{ buf = buf $0 "\n" } $0 == k { kind = 1 } $0 == n && kind { hit = 1 }
	END { if (hit) printf "%s", buf }' "$1" | grep . || { echo "no $2 $3 in $1"; return 1; }; }

if ! [ -x "$KUBECTL" ] || ! [ -x "$HELM3" ] || ! [ -x "$HELM4" ]; then
	t_peer_missing "Kustomize and Helm on a local checkout" "kubectl/helm in $TOOLS (make deps)"
else
export GITSEAL_RENDER_TMPDIR=$SHM
unset GITSEAL_KUBECTL GITSEAL_HELM GITSEAL_KUSTOMIZE

t_expect "setup: the config repository with a SOPS-encrypted env file read by a secretGenerator" '
	cp -r "$FIXTURES/config-repo" kus && R=$("$GITSEAL" age-keygen -y key.txt) &&
	printf "API_TOKEN=t0ken-from-sops\nREGION=eu-1\n" > app.env &&
	"$GITSEAL" sops encrypt --age "$R" app.env > kus/apps/my-app/app.enc.env && rm app.env &&
	! grep -q t0ken-from-sops kus/apps/my-app/app.enc.env &&
	sed -i "s|^generatorOptions:|  - name: my-app-env\n    envs:\n      - app.enc.env\ngeneratorOptions:|" \
		kus/apps/my-app/kustomization.yaml && grep -q app.enc.env kus/apps/my-app/kustomization.yaml'

t_expect "the secretGenerator gets the decrypted env file (in memory, wiped); values masked unless --show-secrets" '
	"$GITSEAL" build kus --path apps/my-app --kubectl "$KUBECTL" --show-secrets > shown.yaml &&
	obj shown.yaml Secret my-app-env > s && contains s "API_TOKEN: $(printf t0ken-from-sops | base64)" &&
	contains s "REGION: $(printf eu-1 | base64)" && contains s "namespace: my-app" &&
	obj shown.yaml ConfigMap my-app-config > c && contains c "LOG_LEVEL: info" &&
	GITSEAL_KUBECTL=$KUBECTL "$GITSEAL" build kus --path apps/my-app > masked.yaml &&
	obj masked.yaml Secret my-app-env > s && contains s "API_TOKEN: '\''***'\''" &&
	! grep -q "$(printf t0ken-from-sops | base64)" masked.yaml && shm_empty'

t_expect "a wrong age key for the generator file: exit 1 naming it, nothing printed, nothing left" '
	SOPS_AGE_KEY_FILE=other.txt fails_with 1 "$GITSEAL" build kus --path apps/my-app --kubectl "$KUBECTL" > out 2> err &&
	[ ! -s out ] && contains err "error: apps/my-app/app.enc.env: no age identity matches" && shm_empty'

t_expect "requireEncrypted: a generated Secret from a plaintext file is refused, one from the SOPS file is not" '
	printf "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: ops}\nspec:\n  source:\n    repoURL: https://git.example.com/c.git\n    path: apps/my-app\n  decryption: {requireEncrypted: true}\n" > req.yaml &&
	fails_with 1 "$GITSEAL" build kus --app-file req.yaml --kubectl "$KUBECTL" > out 2> err && [ ! -s out ] &&
	contains err "Secret my-app/my-app-secret" && ! contains err "my-app-env" &&
	sed -i "/^secretGenerator:/,/password=secret.txt/{/^secretGenerator:/!d}" kus/apps/my-app/kustomization.yaml &&
	"$GITSEAL" build kus --app-file req.yaml --kubectl "$KUBECTL" > out && contains out "name: my-app-env"'

t_expect "a broken kustomization: exit 1 naming the file, nothing printed" '
	rm -rf kb && cp -r "$FIXTURES/config-repo" kb && printf "resources:\n  - [not, a, path\n" > kb/overlays/dev/kustomization.yaml &&
	fails_with 1 "$GITSEAL" build kb --path overlays/dev --kubectl "$KUBECTL" > out 2> err &&
	[ ! -s out ] && contains err "overlays/dev/kustomization.yaml"'

t_expect "--kubectl with Debian's kubectl 1.20: exit 1 saying it is too old for Kustomize" '
	if ! [ -x "$OLD_KUBECTL" ]; then echo "no $OLD_KUBECTL (make deps)"; exit 1; fi &&
	fails_with 1 "$GITSEAL" build kus --path base --kubectl "$OLD_KUBECTL" > out 2> err && [ ! -s out ] &&
	contains err "kubectl v1.20.2 is too old for Kustomize" && contains err "--kubectl" &&
	GITSEAL_KUBECTL=$OLD_KUBECTL fails_with 1 "$GITSEAL" build kus --path base > out 2> err &&
	contains err "kubectl v1.20.2 is too old for Kustomize" &&
	"$GITSEAL" build kus --path base --kubectl "$KUBECTL" > out && contains out "kind: Deployment"'

t_expect "--kubectl / --helm naming nothing runnable: exit 1 naming the binary" '
	fails_with 1 "$GITSEAL" build kus --path base --kubectl "$TMP/no-kubectl" > out 2> err && [ ! -s out ] &&
	contains err "no-kubectl" &&
	fails_with 1 "$GITSEAL" build kus --path my-chart --helm "$TMP/no-helm" > out 2> err && [ ! -s out ] &&
	contains err "no-helm"'

t_expect "--helm: my-chart with --helm-values and --set under Helm 3 and Helm 4, the same objects" '
	"$GITSEAL" build kus --path my-chart --helm "$HELM3" --helm-values values-prod.yaml --set replicaCount=5 > h3.out &&
	GITSEAL_HELM=$HELM4 "$GITSEAL" build kus --path my-chart --helm-values values-prod.yaml --set replicaCount=5 > h4.out &&
	obj h3.out Deployment my-chart-web > d && contains d "replicas: 5" && contains d "env: prod" && cmp h3.out h4.out &&
	"$GITSEAL" build kus --path my-chart --helm "$HELM4" > plain.out && obj plain.out Deployment my-chart-web > d &&
	! contains d "replicas: 5"'

t_expect "a render longer than half a second shows progress on a terminal, erased; never in a pipe" '
	command -v script > /dev/null &&
	printf "#!/bin/sh\nsleep 1.5\nexec \"%s\" \"\$@\"\n" "$KUBECTL" > slow-kubectl && chmod +x slow-kubectl &&
	printf "\"%s\" build kus --path base --kubectl \"%s\" > slow.out\n" "$GITSEAL" "$TMP/slow-kubectl" > slow.sh &&
	GITSEAL_NO_PROGRESS= script -qec "sh slow.sh" /dev/null < /dev/null > tty.out && grep -q "rendering\.\.\. [0-9.]*s" tty.out &&
	grep -q "$(printf "\r\033")\[K" tty.out && contains slow.out "kind: Deployment" &&
	GITSEAL_NO_PROGRESS=1 script -qec "sh slow.sh" /dev/null < /dev/null > tty2.out && ! grep -q rendering tty2.out &&
	GITSEAL_NO_PROGRESS= sh slow.sh 2> err && ! test -s err'
fi

t_expect "usage errors exit 2" '
	fails_with 2 "$GITSEAL" build -o xml repo 2>/dev/null &&
	fails_with 2 "$GITSEAL" build repo --repo https://x 2>/dev/null &&
	fails_with 2 "$GITSEAL" build --set novalue repo 2>/dev/null &&
	fails_with 2 "$GITSEAL" build a b 2>/dev/null &&
	fails_with 2 "$GITSEAL" build --timeout nan repo 2>/dev/null &&
	fails_with 2 "$GITSEAL" build --timeout 5h repo 2>/dev/null &&
	fails_with 2 "$GITSEAL" build --revision main repo 2>/dev/null &&
	fails_with 2 "$GITSEAL" build --no-such-flag repo 2>/dev/null &&
	"$GITSEAL" build --help | grep -q "usage: gitseal build"'

t_done
