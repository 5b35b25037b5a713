#!/bin/sh
# deploy/image.sh build|test -- the container image with Debian's podman (4.3), no registry.
#
#   make image        build localhost/gitseal:<version> from deploy/Dockerfile
#   make image-test   run the built image: gitseal-controller --version, and gitseal build of a
#                     small Git repository (Kustomize + a SOPS Secret, a Helm chart) inside it,
#                     as the Deployment runs it (uid 1001, read-only root, /tmp in memory)
#
# The base image is Debian 12 minbase from debootstrap, slimmed as debian:12-slim is, imported
# with `podman import` and cached as a tarball in $GITSEAL_IMAGE_CACHE (default
# /var/cache/gitseal-image). helm and kubectl are make deps's pinned copies, checked against
# tests/render/install-tools.sh's sums. RUN steps use buildah's chroot isolation (no OCI
# runtime, no cgroups needed) with the host's network, so apt inside the build reaches the same
# Debian mirror as the host ($DEBIAN_MIRROR); apt's lists and .debs stay in a build cache.
# Where something is missing this says what and exits non-zero.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
CACHE=${GITSEAL_IMAGE_CACHE:-/var/cache/gitseal-image}
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
BASE=localhost/gitseal-base:$SUITE-slim
VERSION=$(sed -n 's/^#define CTL_VERSION "\(.*\)"/\1/p' controller/opts.h)
IMAGE=${GITSEAL_IMAGE:-localhost/gitseal:$VERSION}

say() { echo "image: $*" >&2; }
die() {
	say "cannot $ACTION: $*"
	exit 1
}

# pin NAME: a sha256 pinned in tests/render/install-tools.sh
pin() { sed -n "s/^$1=//p" tests/render/install-tools.sh; }

need_podman() {
	command -v podman >/dev/null 2>&1 ||
		die "podman is not installed (make deps, or apt-get install podman debootstrap runc)"
	_err=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1 >/dev/null) ||
		die "podman does not work here: $(echo "$_err" | tail -n 1)"
}

# the Debian 12 slim base, imported from the cached tarball or made with debootstrap
base_image() {
	podman image exists "$BASE" && return 0
	tarball=$CACHE/$SUITE-slim.tar
	if [ ! -s "$tarball" ]; then
		command -v debootstrap >/dev/null 2>&1 ||
			die "debootstrap is not installed (make deps, or apt-get install debootstrap)"
		[ "$(id -u)" -eq 0 ] || die "debootstrap needs root to make the base image"
		curl -fsS -o /dev/null --max-time 20 "$MIRROR/dists/$SUITE/Release" ||
			die "the Debian mirror $MIRROR is not reachable (set DEBIAN_MIRROR to a local mirror)"
		mkdir -p "$CACHE"
		root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
		trap 'rm -rf "$root"' EXIT
		say "debootstrap --variant=minbase $SUITE from $MIRROR"
		debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 ||
			die "debootstrap failed: $(tail -n 3 "$CACHE/debootstrap.log")"
		# as debian:12-slim: no docs, man pages or locales now or from later installs
		cat > "$root/etc/dpkg/dpkg.cfg.d/slim" <<-'EOF'
			path-exclude /usr/share/doc/*
			path-include /usr/share/doc/*/copyright
			path-exclude /usr/share/man/*
			path-exclude /usr/share/groff/*
			path-exclude /usr/share/info/*
			path-exclude /usr/share/locale/*
			path-exclude /usr/share/lintian/*
			path-exclude /usr/share/linda/*
		EOF
		find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
		rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
			"$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
		printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
			"$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "${MIRROR%/debian}/debian-security" "$SUITE" \
			> "$root/etc/apt/sources.list"
		# the security archive lives beside the main one only on deb.debian.org-like mirrors
		curl -fsS -o /dev/null --max-time 20 "${MIRROR%/debian}/debian-security/dists/$SUITE-security/Release" ||
			sed -i '/-security/d' "$root/etc/apt/sources.list"
		tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		rm -rf "$root"
		trap - EXIT
	fi
	say "podman import $tarball as $BASE"
	podman import --change 'CMD ["/bin/bash"]' "$tarball" "$BASE" >/dev/null ||
		die "podman import failed"
}

# helm and kubectl as make deps installed them, checked against the pins
stage_tools() {
	mkdir -p build/image-tools
	for t in "helm3/helm V33_HELM helm" "kubectl/kubectl V35_KUBECTL kubectl"; do
		set -- $t
		want=$(pin "$2")
		[ -x "$TOOLS/$1" ] || die "$TOOLS/$1 is missing (make deps installs it)"
		[ "$(sha256sum < "$TOOLS/$1" | cut -d' ' -f1)" = "$want" ] ||
			die "$TOOLS/$1 does not match its pin $want (make deps)"
		cmp -s "$TOOLS/$1" "build/image-tools/$3" || cp "$TOOLS/$1" "build/image-tools/$3"
	done
}

build() {
	ACTION="build the image"
	need_podman
	base_image
	stage_tools
	say "podman build -f deploy/Dockerfile -t $IMAGE"
	podman build --isolation=chroot --network=host --layers \
		--build-arg "BASE=$BASE" \
		--build-arg "HELM_SHA256=$(pin V33_HELM)" \
		--build-arg "KUBECTL_SHA256=$(pin V35_KUBECTL)" \
		-f deploy/Dockerfile -t "$IMAGE" . >&2 ||
		die "podman build failed (above); apt inside the build needs $MIRROR, reached through the host's network"
	say "built $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MiB", $1/1048576}'))"
}

# a runtime that starts containers here: podman's default, else runc (crun refuses hybrid
# cgroups); nofile and nproc set low enough that no runtime has to raise a limit (podman's
# defaults need CAP_SYS_RESOURCE, which a container or VM may not have)
pick_runtime() {
	nofile=$(awk '/^Max open files/ { print ($5 == "unlimited" || $5 > 65536) ? 65536 : $5 }' /proc/self/limits)
	ulimits="--ulimit nofile=$nofile:$nofile --ulimit nproc=4096:4096"
	for rt in "" runc; do
		if _err=$(podman ${rt:+--runtime "$rt"} run --rm --network=none $ulimits "$IMAGE" --version 2>&1); then
			RUNTIME=$rt
			return 0
		fi
		say "podman run${rt:+ --runtime $rt}: $(echo "$_err" | tail -n 1)"
	done
	die "no OCI runtime starts containers here (crun and runc above)"
}

# run ARGS...: the image as the Deployment runs it (the Git cache: a directory of uid 1001, as
# the emptyDir with fsGroup 1001)
run() {
	podman ${RUNTIME:+--runtime "$RUNTIME"} run --rm --network=none $ulimits --read-only \
		--cap-drop=ALL --security-opt no-new-privileges \
		--tmpfs /tmp:rw,nosuid,nodev,size=64m,mode=1777 \
		-v "$work/cache:/var/cache/gitseal" "$@"
}

test_image() {
	ACTION="test the image"
	need_podman
	podman image exists "$IMAGE" || die "no image $IMAGE (make image)"
	command -v git >/dev/null 2>&1 || die "git is not installed (make deps)"
	[ -x ./gitseal ] || die "./gitseal is not built (make)"
	pick_runtime
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	fail=0 n=0
	check() { # check "what" 'snippet': one TAP line
		n=$((n + 1))
		if out=$(eval "$2" 2>&1); then
			echo "ok $n - $1"
		else
			echo "not ok $n - $1"
			echo "$out" | tail -n 20 | sed 's/^/#   /'
			fail=$((fail + 1))
		fi
	}
	# a repository: Kustomize with a SOPS Secret for an age key, and a Helm chart
	./gitseal age-keygen -o "$work/key.txt" 2>/dev/null
	chmod 0644 "$work/key.txt" # read by uid 1001 inside
	mkdir -p "$work/repo/app" "$work/repo/chart/templates"
	printf 'resources:\n- secret.enc.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [mode=image-test]\n' \
		> "$work/repo/app/kustomization.yaml"
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: opened-in-the-image\n' \
		> "$work/secret.yaml"
	./gitseal encrypt --age "$(./gitseal age-keygen -y "$work/key.txt")" "$work/secret.yaml" \
		> "$work/repo/app/secret.enc.yaml"
	printf 'apiVersion: v2\nname: web\nversion: 1.0.0\n' > "$work/repo/chart/Chart.yaml"
	printf 'replicas: 1\n' > "$work/repo/chart/values.yaml"
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n' \
		> "$work/repo/chart/templates/deployment.yaml"
	git -C "$work/repo" init -q && git -C "$work/repo" add -A &&
		git -C "$work/repo" -c user.email=t@example.com -c user.name=t commit -qm repo
	# owned by the image's user: libgit2 refuses a repository of another owner (safe.directory)
	mkdir "$work/cache" && chown -R 1001:1001 "$work/cache" "$work/repo"
	chmod -R a+rX "$work"
	mounts="-v $work/repo:/repo:ro -v $work/key.txt:/key.txt:ro"

	echo "# $IMAGE, runtime ${RUNTIME:-podman's default}"
	check "gitseal-controller --version" '
		[ "$(run "$IMAGE" --version)" = "gitseal-controller version $VERSION" ]'
	check "gitseal version" '
		run --entrypoint gitseal "$IMAGE" version | grep -q "$VERSION"'
	check "runs as uid 1001 with HOME=/tmp" '
		[ "$(run --entrypoint sh "$IMAGE" -c "echo \$(id -u) \$HOME")" = "1001 /tmp" ]'
	check "helm and kubectl at their pins, ssh, CA certificates" '
		run --entrypoint sh "$IMAGE" -c "helm version --short | grep -q ^v3.18.0+ &&
			kubectl version --client | grep -q v1.35.2 && ssh -V 2>&1 | grep -q OpenSSH &&
			[ -s /etc/ssl/certs/ca-certificates.crt ]"'
	check "gitseal build: Kustomize and a SOPS Secret from a Git repository" '
		run $mounts -e SOPS_AGE_KEY_FILE=/key.txt --entrypoint gitseal "$IMAGE" \
			build --repo file:///repo --path app --show-secrets > "$work/app.out" &&
		grep -q "password: opened-in-the-image" "$work/app.out" &&
		grep -q "mode: image-test" "$work/app.out"'
	check "gitseal build: a Helm chart" '
		run $mounts --entrypoint gitseal "$IMAGE" build --repo file:///repo --path chart \
			--set replicas=3 > "$work/chart.out" &&
		grep -q "replicas: 3" "$work/chart.out"'
	echo "1..$n"
	[ "$fail" -eq 0 ]
}

case ${1:-} in
build) build ;;
test)
	test_image
	;;
*)
	echo "usage: deploy/image.sh build|test" >&2
	exit 2
	;;
esac
