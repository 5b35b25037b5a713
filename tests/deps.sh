#!/bin/sh
# make deps: everything a fresh Debian 12 machine needs to build, test, fuzz and
# benchmark gitseal, and to build its image (podman, runc, debootstrap: make image).
# Idempotent; run as root (or with sudo available).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

PKGS="build-essential pkg-config git ca-certificates
      libsodium-dev libssl-dev openssl libyaml-dev libcurl4-openssl-dev libgit2-dev libmicrohttpd-dev libpcre2-dev
      clang llvm libclang-rt-14-dev clang-format
      age python3 python3-yaml xxd procps util-linux iproute2 man-db zsh fish
      unzip docker-registry lighttpd lighttpd-mod-openssl openssh-server openssh-client
      podman runc debootstrap"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: apt-get install$missing"
	$SUDO apt-get update -qq
	# lighttpd's and openssh-server's postinst start system services: tests run their own, on
	# loopback, so keep invoke-rc.d from starting any (a policy-rc.d that says 101, as in containers)
	_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null &&
			$SUDO chmod 755 /usr/sbin/policy-rc.d && _policy=1
	fi
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# docker-registry is only a test server (OCI charts) started by the tests on loopback:
	# not a system service listening on :5000
	case "$missing" in *docker-registry*)
		$SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true ;;
	esac
	if [ -n "$_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
if ! command -v npm >/dev/null 2>&1; then
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# npm peers, pinned by tests/peers/package.json + package-lock.json
if [ -f "$TOP/tests/peers/package.json" ]; then
	(cd "$TOP/tests/peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	echo "deps: npm peers installed in tests/peers/node_modules"
fi
if [ -x "$TOP/tests/peers/install-tools.sh" ]; then
	sh "$TOP/tests/peers/install-tools.sh"
fi

# the renderers lib/render runs: helm 3, helm 4, kubectl (kustomize), pinned and checksummed
$SUDO sh "$TOP/tests/render/install-tools.sh"

# the real kube-apiserver (built once from Debian's source package, cached)
if [ -f "$TOP/tests/kube/install.sh" ]; then
	$SUDO sh "$TOP/tests/kube/install.sh"
fi
echo "deps: ok"
