#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"   # run.sh and deps.sh call us with sh
# install.sh -- get a REAL Kubernetes API server (kube-apiserver v1.20.2 + etcd 3.4) onto a Debian 12
# (bookworm) machine using nothing but Debian's package archive. Idempotent; safe to re-run.
#
#   sudo ./install.sh                 # first run: ~6 min on 2 cores (build), later runs: <1 s
#   KUBE_HOME=/opt/kt ./install.sh    # cache somewhere else (default /var/cache/kube-test)
#
# What it does
#   1. apt: installs the runtime tools up.sh needs (etcd-server, openssl, curl, iproute2) if missing.
#      etcd-server's own system service is NOT left running/enabled: up.sh starts private etcds.
#   2. If $KUBE_HOME/bin/kube-apiserver already exists (and was made by this recipe), stops here.
#   3. Otherwise builds it from Debian's `kubernetes` SOURCE package (the one that produces
#      kubernetes-client, version 1.20.5+really1.20.2-*) with Debian's Go 1.19:
#        - adds a deb-src entry for bookworm main (file kube-test-src.sources) if none exists,
#        - apt-get source kubernetes  (~35 MB),
#        - swaps the vendored github.com/modern-go/reflect2 v1.0.1 for Debian's v1.0.2
#          (golang-github-modern-go-reflect2-dev). REQUIRED: v1.0.1 is broken with Go >= 1.18 and makes
#          kube-apiserver panic (nil pointer in reflect2.Type2, HTTP/2 INTERNAL_ERROR on the client)
#          on the first POST/PATCH of a body,
#        - adds `+default="TCP"` to core/v1 ServicePort.protocol (the fix of upstream PR 98576, in
#          1.21): without it server-side apply of a Service whose ports omit `protocol` fails with
#          "associative list with keys has an element that omits key field "protocol"". Disable with
#          KUBE_PATCH_SERVICE_PROTOCOL=0,
#        - generates pkg/generated/openapi/zz_generated.openapi.go (not shipped in the tarball; the
#          upstream Makefile makes it) with the vendored openapi-gen,
#        - `go build` of cmd/kube-apiserver only, in GOPATH mode (GO111MODULE=off, as 1.20's own
#          build does; module mode fails with "updates to go.mod needed"), CGO_ENABLED=0,
#          -trimpath, -ldflags '-s -w' and the usual version stamps (so /version says v1.20.2),
#        - installs the binary at $KUBE_HOME/bin/kube-apiserver and deletes the ~1.5 GB build tree.
#
# Environment
#   KUBE_HOME                    cache dir (default /var/cache/kube-test)
#   KUBE_FORCE_REBUILD=1         rebuild even if the cached binary exists
#   KUBE_KEEP_BUILD=1            keep $KUBE_HOME/build (sources + Go build cache; re-builds take ~15 s)
#   KUBE_PATCH_SERVICE_PROTOCOL=0  build without the ServicePort protocol-default patch
#   KUBE_DEBIAN_MIRROR           mirror for the deb-src entry (default: the one apt already uses, else
#                                http://deb.debian.org/debian)
#
# Needs root (or sudo) for apt. Nothing here starts a server; see up.sh / down.sh.
set -euo pipefail

KUBE_HOME=${KUBE_HOME:-/var/cache/kube-test}
BIN=$KUBE_HOME/bin/kube-apiserver
INFO=$KUBE_HOME/build-info.txt
# Bump RECIPE whenever the build steps below change: a cached binary from another recipe is rebuilt.
RECIPE="kube-test-recipe-2 service-protocol-patch=${KUBE_PATCH_SERVICE_PROTOCOL:-1}"

log() { echo "install.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "run as root (or install sudo)"
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || log "WARNING: this recipe is made for Debian 12 bookworm, this is ${PRETTY_NAME:-unknown}"

# ---------------------------------------------------------------------------------------------
# helpers
missing_pkgs() {  # print those of "$@" that are not installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
APT_UPDATED=""
apt_update() { [ -n "$APT_UPDATED" ] || { log "apt-get update"; $SUDO apt-get update -qq >&2; APT_UPDATED=1; }; }
apt_install() {  # apt_install PKG... (only the missing ones; never starts services: policy-rc.d)
  local miss
  miss=$(missing_pkgs "$@")
  [ -n "$miss" ] || return 0
  # shellcheck disable=SC2086
  if ! $SUDO apt-get install -y -qq --no-install-recommends $miss >&2 2>/dev/null; then
    apt_update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $miss >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# 1. runtime packages (etcd-server without its service)
T=$(now)
RUNTIME_PKGS="etcd-server openssl curl iproute2 ca-certificates"
if [ -n "$(missing_pkgs $RUNTIME_PKGS)" ]; then
  POLICY=/usr/sbin/policy-rc.d
  MADE_POLICY=""
  if [ ! -e "$POLICY" ]; then      # deny service starts during this install only (Debian convention)
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null; $SUDO chmod 755 "$POLICY"; MADE_POLICY=1
  fi
  trap '[ -n "$MADE_POLICY" ] && $SUDO rm -f "$POLICY"' EXIT
  log "installing: $(missing_pkgs $RUNTIME_PKGS | tr '\n' ' ')"
  apt_install $RUNTIME_PKGS
  [ -n "$MADE_POLICY" ] && { $SUDO rm -f "$POLICY"; MADE_POLICY=""; }
  # etcd-server enables etcd.service (listens on 127.0.0.1:2379); we do not want it at all.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $SUDO systemctl disable --now etcd.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/etcd ]; then
    $SUDO /etc/init.d/etcd stop >/dev/null 2>&1 || true
    $SUDO update-rc.d etcd disable >/dev/null 2>&1 || true
  fi
  log "runtime packages ready ($(since "$T"))"
fi
command -v etcd >/dev/null || die "etcd not on PATH after installing etcd-server"

# ---------------------------------------------------------------------------------------------
# 2. cached binary?
# (gitseal: the binary is asked for its version once, so a cached run stays well under a second)
if [ -z "${KUBE_FORCE_REBUILD:-}" ] && [ -x "$BIN" ] && [ -f "$INFO" ] && grep -qxF "recipe: $RECIPE" "$INFO" \
   && V=$("$BIN" --version 2>/dev/null) && case "$V" in *v1.20.*) true ;; *) false ;; esac; then
  log "cached: $BIN ($V) -- nothing to do"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# 3. build from Debian source
T_ALL=$(now)
$SUDO mkdir -p "$KUBE_HOME"
[ -w "$KUBE_HOME" ] || $SUDO chown "$(id -u):$(id -g)" "$KUBE_HOME"
exec 9>"$KUBE_HOME/.install.lock"
flock 9 || die "cannot lock $KUBE_HOME/.install.lock"

BUILD_PKGS="golang-go dpkg-dev golang-github-modern-go-reflect2-dev"
T=$(now)
if [ -n "$(missing_pkgs $BUILD_PKGS)" ]; then
  log "installing build packages: $(missing_pkgs $BUILD_PKGS | tr '\n' ' ')"
  apt_install $BUILD_PKGS
fi
log "build packages ready ($(since "$T")): $(/usr/lib/go/bin/go version)"

# deb-src entry (the stock bookworm image has only `Types: deb`)
T=$(now)
have_src() { apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes$'; }
if ! have_src; then
  # some deb-src already configured (index maybe stale)? then an update may be all that is missing
  if grep -qsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; then
    apt_update
  fi
  if ! have_src && [ ! -e /etc/apt/sources.list.d/kube-test-src.sources ]; then
    MIRROR=${KUBE_DEBIAN_MIRROR:-}
    if [ -z "$MIRROR" ]; then   # reuse the Debian mirror apt already uses for `deb`
      MIRROR=$( (grep -hs -A3 '^Types:.*deb' /etc/apt/sources.list.d/*.sources | sed -n 's/^URIs: *\([^ ]*\).*/\1/p';
                 awk '$1=="deb" && $3=="bookworm" {print $2}' /etc/apt/sources.list 2>/dev/null) \
               | grep -v -- '-security' | grep -m1 -i 'debian' || true)
      MIRROR=${MIRROR:-http://deb.debian.org/debian}
    fi
    log "adding deb-src for bookworm main from $MIRROR (/etc/apt/sources.list.d/kube-test-src.sources)"
    $SUDO tee /etc/apt/sources.list.d/kube-test-src.sources >/dev/null <<EOF
# added by kube-test install.sh: lets 'apt-get source kubernetes' work
Types: deb-src
URIs: $MIRROR
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    APT_UPDATED=""; apt_update
  fi
  have_src || die "no source package 'kubernetes' visible to apt (deb-src for bookworm main missing?)"
fi

WORK=$KUBE_HOME/build
rm -rf "$WORK"; mkdir -p "$WORK/src"
log "apt-get source kubernetes -> $WORK/src"
( cd "$WORK/src" && apt-get source -qq kubernetes >&2 2>"$WORK/apt-source.log" ) \
  || { cat "$WORK/apt-source.log" >&2; die "apt-get source kubernetes failed"; }
SRC=$(ls -d "$WORK"/src/kubernetes-*/ | head -1); SRC=${SRC%/}
[ -d "$SRC/cmd/kube-apiserver" ] || die "no cmd/kube-apiserver in $SRC"
DEB_VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
case "$DEB_VERSION" in *really1.20.2*) ;; *) log "WARNING: expected 1.20.5+really1.20.2-*, got $DEB_VERSION (stamps still say v1.20.2)";; esac
log "source $DEB_VERSION ready ($(since "$T"))"

# --- patch 1: reflect2 v1.0.1 -> Debian's v1.0.2 (Go 1.18+ compatibility) ---
R2=/usr/share/gocode/src/github.com/modern-go/reflect2
[ -f "$R2/go_above_118.go" ] || die "$R2 is not reflect2 >= 1.0.2"
rm -f "$SRC"/vendor/github.com/modern-go/reflect2/*.go "$SRC"/vendor/github.com/modern-go/reflect2/*.s
cp "$R2"/*.go "$R2"/*.s "$SRC/vendor/github.com/modern-go/reflect2/"

# --- patch 2: ServicePort.protocol gets an OpenAPI default so SSA can key ports without it ---
if [ "${KUBE_PATCH_SERVICE_PROTOCOL:-1}" = 1 ]; then
  TYPES=$SRC/staging/src/k8s.io/api/core/v1/types.go
  awk '
    /^type ServicePort struct/ { inside = 1 }
    inside && /^\tProtocol Protocol `json:"protocol,omitempty"/ { print "\t// +default=\"TCP\""; done = 1 }
    inside && /^}/ { inside = 0 }
    { print }
    END { if (!done) exit 3 }' "$TYPES" > "$TYPES.new" || die "ServicePort patch did not apply"
  mv "$TYPES.new" "$TYPES"
fi

# --- GOPATH-mode workspace, exactly as Kubernetes 1.20's own hack/ scripts use ---
# Debian's Go 1.19 explicitly (a newer `go` earlier on PATH is not tested with this 2021 tree).
export PATH=/usr/lib/go/bin:$PATH
export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
export GOPATH=$WORK/gopath GOCACHE=$WORK/gocache
mkdir -p "$GOPATH/src/k8s.io" "$GOPATH/bin"
ln -sfn "$SRC" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

# --- generate pkg/generated/openapi (what `make gen_openapi` does for the KUBE target) ---
T=$(now)
go build -o "$GOPATH/bin/openapi-gen" k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen
# every Go dir (staging/src/X named as vendor/X) with a +k8s:openapi-gen= tag, minus the examples
OPENAPI_DIRS=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor -o -path ./debian \) -prune \
                 -o -type f -name '*.go' -print0 \
  | xargs -0 grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' \
  | sed 's|^\./staging/src|vendor|; s|^\./||' | xargs -n1 dirname | LC_ALL=C sort -u \
  | grep -v '^vendor/k8s.io/\(code-generator\|sample-apiserver\)/' \
  | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
"$GOPATH/bin/openapi-gen" --logtostderr --v=0 -i "$OPENAPI_DIRS" \
  -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
  -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$WORK/openapi-violations.report" 2>"$WORK/openapi-gen.log" \
  || { tail -20 "$WORK/openapi-gen.log" >&2; die "openapi-gen failed"; }
[ -s pkg/generated/openapi/zz_generated.openapi.go ] || die "openapi-gen wrote nothing"
diff -q "$WORK/openapi-violations.report" api/api-rules/violation_exceptions.list >/dev/null \
  || log "WARNING: API rule violations differ from the known list (harmless for running, but unexpected)"
log "openapi generated ($(since "$T"))"

# --- build kube-apiserver ---
T=$(now)
LD="-s -w -buildid="
BUILD_DATE=$(date -u -d "@$(dpkg-parsechangelog -l debian/changelog -S Timestamp)" +%Y-%m-%dT%H:%M:%SZ)
for p in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  LD="$LD -X $p.gitVersion=v1.20.2 -X $p.gitMajor=1 -X $p.gitMinor=20"
  LD="$LD -X $p.gitCommit=faecb196815e248d3ecfb03c680a4507229c2a56 -X $p.gitTreeState=archive -X $p.buildDate=$BUILD_DATE"
done
log "go build cmd/kube-apiserver (cold: ~5-8 min on 2 cores, ~1.3 GB RAM peak) ..."
go build -trimpath -tags selinux,notest -ldflags "$LD" -o "$WORK/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
log "built ($(since "$T"))"

mkdir -p "$KUBE_HOME/bin"
install -m 755 "$WORK/kube-apiserver" "$BIN.new" && mv -f "$BIN.new" "$BIN"
cat > "$INFO" <<EOF
recipe: $RECIPE
kube-apiserver: $("$BIN" --version) (Debian source kubernetes $DEB_VERSION)
go: $(go version)
etcd: $(etcd --version | sed -n 's/^etcd Version: //p') (Debian etcd-server $(dpkg-query -W -f='${Version}' etcd-server))
built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(since "$T_ALL")
EOF
cd /
if [ -z "${KUBE_KEEP_BUILD:-}" ]; then rm -rf "$WORK"; fi
log "installed $BIN ($(since "$T_ALL") total)"
cat "$INFO" >&2
