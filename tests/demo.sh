#!/bin/sh
# make demo, part 1: seal a sample Secret with a freshly generated sealing key, show the
# SealedSecret, unseal it again, and show that a moved copy does not open. Everything happens
# in a temporary directory that is removed at the end. Part 2 (tests/demo-gitops.sh) is the
# GitOps flow: an API server, a Git server and gitseal-controller on loopback.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
GITSEAL=${GITSEAL:-$O/gitseal}
[ -x "$GITSEAL" ] || { echo "demo: $GITSEAL not built (run make)" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
cd "$D"

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B= N=; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
show() { sed 's/^/    /' "$@"; }
# long sealed values cut for the screen
cut_values() { sed -E 's/^(.{0,60}(Ag|AQ)[A-Za-z0-9+\/]{20})[A-Za-z0-9+\/=]*$/\1.../' "$@"; }

step "1. A sealing key, made as the Sealed Secrets controller makes it (RSA-4096, self-signed, 10 years)"
echo "    \$ gitseal keys new --out-dir ."
"$GITSEAL" keys new --out-dir . 2>/dev/null
ls -l tls.key tls.crt | awk '{print "    " $1, $5, $NF}'
openssl x509 -in tls.crt -noout -enddate -ext keyUsage 2>/dev/null | sed 's/^/    /' || true

step "2. A plain Kubernetes Secret (never commit this one)"
cat > secret.yaml <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: shop
  labels:
    app: shop
type: Opaque
stringData:
  username: shop
  password: "correct horse battery staple"
data:
  token: c2VjcmV0LXRva2Vu
EOF
show secret.yaml

step "3. Sealed offline, exactly as kubeseal writes it (safe to commit)"
echo "    \$ gitseal seal --cert tls.crt -o yaml < secret.yaml > sealed.yaml"
"$GITSEAL" seal --cert tls.crt -o yaml < secret.yaml > sealed.yaml
cut_values sealed.yaml | show

step "4. Unsealed again with the private key (what the controller does in the cluster)"
echo "    \$ gitseal unseal --key tls.key -o yaml sealed.yaml"
"$GITSEAL" unseal --key tls.key -o yaml sealed.yaml > unsealed.yaml
show unsealed.yaml
printf '    password: %s\n' "$(sed -n 's/^  password: //p' unsealed.yaml | base64 -d)"

step "5. The strict scope binds name and namespace: a copy moved to another namespace does not open"
sed 's/^  namespace: shop$/  namespace: attacker/' sealed.yaml > moved.yaml
echo "    \$ gitseal unseal --key tls.key moved.yaml"
if "$GITSEAL" unseal --key tls.key moved.yaml > /dev/null 2> err.txt; then
	echo "    unexpected: it opened" && exit 1
fi
show err.txt
printf '\npart 1 done (everything was in %s, now removed)\n' "$D"
cd "$TOP"
rm -rf "$D"
# part 2: the GitOps flow (API server, git daemon, gitseal-controller)
sh "$TOP/tests/demo-gitops.sh"
