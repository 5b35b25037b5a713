#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"   # run.sh and deps.sh call us with sh
# up.sh [DIR] -- start a throw-away, REAL Kubernetes API server (kube-apiserver v1.20.2 + etcd 3.4)
# on 127.0.0.1 only (random free ports), as two background processes. Needs install.sh first.
#
#   eval "$(./up.sh)"              # temp dir under $TMPDIR; exports KUBECONFIG, KUBE_UP_DIR, KUBE_API_URL ...
#   ./up.sh /tmp/mykube > env.sh   # or a dir of your choice (created if missing); `. env.sh` later
#   ./down.sh                      # stop both processes and remove the dir ($KUBE_UP_DIR or DIR arg)
#
# Stdout is ONLY `export NAME=value` lines, so `eval "$(./up.sh)"` is safe. Progress, timings and
# errors go to stderr. Logs: DIR/etcd.log, DIR/kube-apiserver.log. Takes ~7 s on 2 cores.
#
# What you get: authentication by bearer token ($KUBE_API_TOKEN, user kube-up-admin in
# system:masters) or by client certificate ($KUBE_API_CLIENT_CERT/KEY, O=system:masters); TLS with a
# fresh CA ($KUBE_API_CA); RBAC on. Objects are stored, validated, defaulted, admitted and watchable,
# but there is NO controller-manager, scheduler or kubelet: nothing reconciles (Deployments never get
# ReplicaSets/Pods, deleted namespaces stay Terminating, no ownerReference garbage collection, no
# default ServiceAccount/token Secrets -- the ServiceAccount admission plugin is off so Pods can be
# created without one). CRDs become Established by themselves (that is done inside kube-apiserver).
#
# Environment overrides:
#   KUBE_HOME        install dir of install.sh (default /var/cache/kube-test)
#   KUBE_APISERVER   path of kube-apiserver (default $KUBE_HOME/bin/kube-apiserver)
#   ETCD             path of etcd           (default: etcd on PATH, i.e. Debian's etcd-server)
#   KUBE_UP_TIMEOUT  seconds to wait for etcd and for /readyz (default 120)
#   KUBE_UP_APISERVER_ARGS  extra args appended to kube-apiserver's command line (word-split)
#   KUBE_UP_V        kube-apiserver log verbosity (default 1)
#
# API level is Kubernetes 1.20 (see README.md): e.g. CronJob is batch/v1beta1, PDB policy/v1beta1,
# EndpointSlice discovery.k8s.io/v1beta1, no /openapi/v3, no ?fieldValidation (unknown fields are
# dropped silently on create/update; server-side apply rejects them). Server-side apply is beta
# but on by default. Services' ports[].protocol defaults to TCP for server-side apply (patched build).
set -euo pipefail

KUBE_HOME=${KUBE_HOME:-/var/cache/kube-test}
KUBE_APISERVER=${KUBE_APISERVER:-$KUBE_HOME/bin/kube-apiserver}
ETCD=${ETCD:-$(command -v etcd || true)}
TIMEOUT=${KUBE_UP_TIMEOUT:-120}

log() { echo "up.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$KUBE_APISERVER" ] || die "kube-apiserver not found/executable at $KUBE_APISERVER (run install.sh, or set KUBE_HOME / KUBE_APISERVER)"
[ -n "$ETCD" ] && [ -x "$ETCD" ] || die "etcd not found (run install.sh / apt-get install etcd-server, or set ETCD)"
for t in openssl curl ss base64; do command -v $t >/dev/null || die "missing tool: $t"; done

T0=$(date +%s.%N)
MADE_DIR=""

if [ $# -ge 1 ] && [ -n "$1" ]; then
  DIR=$1
  mkdir -p "$DIR"
  if [ -f "$DIR/pids" ]; then
    for p in $(cut -d' ' -f2 "$DIR/pids"); do
      kill -0 "$p" 2>/dev/null && die "$DIR/pids lists running pid $p; run down.sh $DIR first"
    done
  fi
else
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/kube-up.XXXXXX")
  MADE_DIR=1
fi
DIR=$(cd "$DIR" && pwd)
[ -e "$DIR/etcd" ] && die "$DIR/etcd already exists (data of an earlier run); use a fresh DIR or remove it with down.sh $DIR"
touch "$DIR/.kube-up"          # marker: down.sh only deletes dirs that carry it
: > "$DIR/pids"

# gitseal: whatever way this script ends before "ready" (an error, set -e, Ctrl-C, TERM), stop what
# it started; a temp dir it made is removed too (KUBE_DOWN_KEEP=1 keeps it for the logs).
cleanup_on_fail() {
  [ -f "$DIR/pids" ] || return 0
  log "startup failed; stopping pids in $DIR/pids"
  local pid i
  while read -r _ pid; do kill "$pid" 2>/dev/null || true; done < "$DIR/pids"
  while read -r _ pid; do
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done < "$DIR/pids"
  rm -f "$DIR/pids"
  if [ -n "$MADE_DIR" ] && [ "${KUBE_DOWN_KEEP:-0}" != 1 ]; then rm -rf -- "$DIR"
  else log "logs kept in $DIR"; fi
}
READY=""
trap '[ -n "$READY" ] || cleanup_on_fail' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------- free loopback ports ----------
USED=""
port_busy() { ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q . ; }
free_port() {
  local p i
  for i in $(seq 1 500); do
    p=$(( ( (RANDOM << 15) | RANDOM ) % 25000 + 30000 ))
    case " $USED " in *" $p "*) continue ;; esac
    if ! port_busy "$p"; then USED="$USED $p"; echo "$p"; return 0; fi
  done
  return 1
}
ETCD_CLIENT_PORT=$(free_port) || die "no free port"
ETCD_PEER_PORT=$(free_port)   || die "no free port"
API_PORT=$(free_port)         || die "no free port"

# ---------- PKI ----------
P=$DIR/pki
mkdir -p "$P"
(
  cd "$P"
  openssl genrsa -out ca.key 2048 2>/dev/null
  openssl req -x509 -new -nodes -key ca.key -sha256 -days 3650 -subj "/CN=kube-up-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.crt 2>/dev/null

  openssl genrsa -out apiserver.key 2048 2>/dev/null
  openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
  cat > apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null

  # admin client certificate (O=system:masters), for clients that want mTLS instead of the token
  openssl genrsa -out admin.key 2048 2>/dev/null
  openssl req -new -key admin.key -subj "/O=system:masters/CN=kube-up-admin" -out admin.csr 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile admin.ext -out admin.crt 2>/dev/null

  # service-account signing key pair
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
) || die "openssl failed"

TOKEN=$(openssl rand -hex 24)
echo "$TOKEN,kube-up-admin,kube-up-admin,\"system:masters\"" > "$P/tokens.csv"
chmod 600 "$P"/*.key "$P/tokens.csv"

# ---------- etcd ----------
log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT (peer $ETCD_PEER_PORT), data in $DIR/etcd"
setsid "$ETCD" \
  --name kube-up \
  --logger=zap \
  --log-level=warn \
  --data-dir "$DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kube-up=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state new \
  --initial-cluster-token "kube-up-$$" \
  --quota-backend-bytes $((2 * 1024 * 1024 * 1024)) \
  </dev/null >"$DIR/etcd.log" 2>&1 &
ETCD_PID=$!
echo "etcd $ETCD_PID" >> "$DIR/pids"

ok=""
for i in $(seq 1 $((TIMEOUT * 10))); do
  if ! kill -0 "$ETCD_PID" 2>/dev/null; then tail -20 "$DIR/etcd.log" >&2; cleanup_on_fail; die "etcd exited"; fi
  if curl -s --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null | grep -q '"health":"true"'; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || { tail -20 "$DIR/etcd.log" >&2; cleanup_on_fail; die "etcd not healthy after ${TIMEOUT}s"; }
T_ETCD=$(date +%s.%N)

# ---------- kube-apiserver ----------
VER=$("$KUBE_APISERVER" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -1)
MINOR=$(echo "$VER" | cut -d' ' -f2); MINOR=${MINOR:-99}
EXTRA=()
# --insecure-port (default 8080) is a no-op from 1.20 on and gone in 1.24: switch it off only before 1.20.
[ "$MINOR" -lt 20 ] && EXTRA+=(--insecure-port=0)
# gitseal: no watch cache for PodTemplates (nothing else uses them), so a watch of them reads etcd
# and a compacted resourceVersion gives a real 410 Gone (tests/kube/watch_test.c).
EXTRA+=(--watch-cache-sizes=podtemplates#0)
# shellcheck disable=SC2206
[ -n "${KUBE_UP_APISERVER_ARGS:-}" ] && EXTRA+=(${KUBE_UP_APISERVER_ARGS})

log "starting kube-apiserver ($("$KUBE_APISERVER" --version 2>/dev/null)) on https://127.0.0.1:$API_PORT"
setsid "$KUBE_APISERVER" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --cert-dir="$P" \
  --tls-cert-file="$P/apiserver.crt" \
  --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" \
  --token-auth-file="$P/tokens.csv" \
  --authorization-mode=RBAC \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" \
  --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.0.0.0/16 \
  --allow-privileged=true \
  --disable-admission-plugins=ServiceAccount \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --v="${KUBE_UP_V:-1}" \
  "${EXTRA[@]}" \
  </dev/null >"$DIR/kube-apiserver.log" 2>&1 &
API_PID=$!
echo "kube-apiserver $API_PID" >> "$DIR/pids"

URL="https://127.0.0.1:$API_PORT"
ok=""
for i in $(seq 1 $((TIMEOUT * 5))); do
  if ! kill -0 "$API_PID" 2>/dev/null; then tail -30 "$DIR/kube-apiserver.log" >&2; cleanup_on_fail; die "kube-apiserver exited"; fi
  if [ "$(curl -s --max-time 2 --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "$URL/readyz" 2>/dev/null)" = "ok" ]; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || { tail -30 "$DIR/kube-apiserver.log" >&2; cleanup_on_fail; die "kube-apiserver not ready after ${TIMEOUT}s"; }
T_READY=$(date +%s.%N)

# ---------- kubeconfig + env file ----------
CA_DATA=$(base64 -w0 < "$P/ca.crt")
cat > "$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube-up
  cluster:
    server: $URL
    certificate-authority-data: $CA_DATA
users:
- name: kube-up-admin
  user:
    token: $TOKEN
contexts:
- name: kube-up
  context:
    cluster: kube-up
    user: kube-up-admin
    namespace: default
current-context: kube-up
EOF
chmod 600 "$DIR/kubeconfig"

cat > "$DIR/env" <<EOF
export KUBECONFIG=$DIR/kubeconfig
export KUBE_UP_DIR=$DIR
export KUBE_API_URL=$URL
export KUBE_API_TOKEN=$TOKEN
export KUBE_API_CA=$P/ca.crt
export KUBE_API_CLIENT_CERT=$P/admin.crt
export KUBE_API_CLIENT_KEY=$P/admin.key
export KUBE_ETCD_URL=http://127.0.0.1:$ETCD_CLIENT_PORT
EOF

# gitseal: KUBE_UP_WATCH_PID=<pid> adds a watchdog that runs down.sh when that process is gone (a
# SIGKILLed test runner leaves no servers behind). It is listed in pids, so down.sh stops it first.
if [ -n "${KUBE_UP_WATCH_PID:-}" ]; then
  setsid sh -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/pids" ]; do sleep 1; done
    [ -f "$2/pids" ] && exec bash "$3" "$2" >/dev/null 2>&1; : kube-up-watchdog' \
    kube-up-watchdog "$KUBE_UP_WATCH_PID" "$DIR" "$(cd "$(dirname "$0")" && pwd)/down.sh" </dev/null >/dev/null 2>&1 &
  echo "kube-up-watchdog $!" >> "$DIR/pids"
fi
READY=1

cat "$DIR/env"        # the only thing on stdout
awk -v t0="$T0" -v te="$T_ETCD" -v tr="$T_READY" 'BEGIN{printf "up.sh: ready: etcd %.1fs, kube-apiserver /readyz ok %.1fs after start\n", te-t0, tr-t0}' >&2
log "pids: etcd=$ETCD_PID kube-apiserver=$API_PID (pid file: $DIR/pids); stop with: down.sh $DIR"
log "ready at $URL  (env also in $DIR/env)"
