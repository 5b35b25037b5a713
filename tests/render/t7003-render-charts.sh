#!/bin/sh
# lib/render, chart sources: a chart from a Helm repository (index.yaml over HTTP on loopback) and
# from an OCI registry (Debian's docker-registry on loopback, `helm push --plain-http`), cached by
# digest, a tampered archive refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/render-lib.sh"

if ! have_tools; then
	t_peer_missing "chart sources" "kubectl/helm in $TOOLS (tests/render/install-tools.sh)"
	t_done
	exit
fi

# a Helm repository with my-chart 0.1.0 and 0.2.0 (replicaCount 7), served by python's http.server
mkdir -p "$TMP/repo" "$TMP/src"
cp -r "$REPO/my-chart" "$TMP/src/" && "$HELM3" package "$TMP/src/my-chart" -d "$TMP/repo" > /dev/null &&
	sed -i 's/^version: 0.1.0/version: 0.2.0/; s/^appVersion.*/appVersion: "2"/' "$TMP/src/my-chart/Chart.yaml" &&
	sed -i 's/^replicaCount: 1/replicaCount: 7/' "$TMP/src/my-chart/values.yaml" &&
	"$HELM3" package "$TMP/src/my-chart" -d "$TMP/repo" > /dev/null && "$HELM3" repo index "$TMP/repo"
HTTP_PORT=$(free_port)
(cd "$TMP/repo" && exec python3 -m http.server --bind 127.0.0.1 "$HTTP_PORT" > "$TMP/http.log" 2>&1) &
_r_pids="$_r_pids $!"
wait_port "$HTTP_PORT" > /dev/null
HREPO=http://127.0.0.1:$HTTP_PORT
export HREPO

t_expect "a chart from a Helm repository: exact version, parameters, objects named after chart-version" '
	rr --helm "$HELM3" --cache-dir cache --chart my-chart --repo "$HREPO" --version 0.1.0 --set replicaCount=5 \
		--namespace prod > out && contains out "# my-chart-0.1.0/templates/deployment.yaml:3" &&
	contains out "replicas: 5" && contains out "namespace: prod" &&
	digest=$(awk "/digest:/ { d = \$2 } /version: 0.1.0/ { print d; exit }" "$TMP/repo/index.yaml") &&
	test -n "$digest" && test -f "cache/sha256-$digest.tgz" && shm_empty'
t_expect "the newest version when none is named, under Helm 4 too" '
	rr --helm "$HELM4" --cache-dir cache --chart my-chart --repo "$HREPO/" > out &&
	contains out "# my-chart-0.2.0/templates/deployment.yaml:3" && contains out "replicas: 7"'
t_expect "an archive is downloaded once: the cache is keyed by the index digest" '
	: > "$TMP/http.log" && rr --helm "$HELM3" --cache-dir cache2 --chart my-chart --repo "$HREPO" --version 0.2.0 > o1 &&
	rr --helm "$HELM3" --cache-dir cache2 --chart my-chart --repo "$HREPO" --version 0.2.0 > o2 && cmp o1 o2 &&
	test "$(grep -c "GET /my-chart-0.2.0.tgz" "$TMP/http.log")" = 1 &&
	test "$(grep -c "GET /index.yaml" "$TMP/http.log")" = 2'
t_expect "an unknown chart or version is an error listing what there is" '
	fails_with 1 rr --helm "$HELM3" --cache-dir cache --chart my-chart --repo "$HREPO" --version 9.9.9 > out 2> err &&
	test ! -s out && contains err "error: chart '\''my-chart'\'': version '\''9.9.9'\'' is not in $HREPO/index.yaml (versions: 0.2.0, 0.1.0)" &&
	fails_with 1 rr --helm "$HELM3" --cache-dir cache --chart nginx --repo "$HREPO" 2> err2 &&
	contains err2 "chart '\''nginx'\'': not in $HREPO/index.yaml"'
t_expect "an archive that does not match the index digest is refused and not cached" '
	cp "$TMP/repo/my-chart-0.1.0.tgz" keep.tgz && printf "x" >> "$TMP/repo/my-chart-0.1.0.tgz" &&
	fails_with 1 rr --helm "$HELM3" --cache-dir cache3 --chart my-chart --repo "$HREPO" --version 0.1.0 > out 2> err;
	rc=$?; cp keep.tgz "$TMP/repo/my-chart-0.1.0.tgz"; test $rc = 0 &&
	contains err "my-chart-0.1.0.tgz: sha256 " && contains err "refused" && test -z "$(ls -A cache3)" && test ! -s out'
t_expect "a repository that does not answer fails within the deadline" '
	stall_server && start=$(date +%s) &&
	fails_with 1 rr --helm "$HELM3" --timeout-ms 1000 --cache-dir cache --chart my-chart \
		--repo "http://127.0.0.1:$STALL_PORT" > out 2> err &&
	test $(( $(date +%s) - start )) -le 5 && contains err "index.yaml: deadline of 1s exceeded"'

# an OCI registry: docker-registry on loopback, charts pushed with helm
if command -v docker-registry > /dev/null 2>&1; then
	REG_PORT=$(free_port)
	mkdir -p "$TMP/registry"
	printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: 127.0.0.1:%s\n' \
		"$TMP" "$REG_PORT" > "$TMP/registry.yml"
	bg docker-registry serve "$TMP/registry.yml" > "$TMP/registry.log" 2>&1
	wait_port "$REG_PORT" > /dev/null
	for v in 0.1.0 0.2.0; do
		HOME=$TMP "$HELM3" push "$TMP/repo/my-chart-$v.tgz" "oci://127.0.0.1:$REG_PORT/charts" --plain-http > /dev/null 2>&1
	done
	OCI=oci://127.0.0.1:$REG_PORT/charts
	export OCI
	t_expect "a chart from an OCI registry (exact version and newest), under Helm 3 and Helm 4" '
		rr --helm "$HELM3" --cache-dir ocache --plain-http --chart my-chart --repo "$OCI" --version 0.1.0 \
			--values-inline "replicaCount: 4" > out &&
		contains out "# my-chart-0.1.0/templates/deployment.yaml:3" && contains out "replicas: 4" &&
		rr --helm "$HELM4" --cache-dir ocache --plain-http --chart my-chart --repo "$OCI" > out2 &&
		contains out2 "# my-chart-0.2.0/templates/deployment.yaml:3" && contains out2 "replicas: 7" &&
		test "$(ls ocache | grep -c "^sha256-[0-9a-f]\{64\}\.tgz$")" = 2 && shm_empty'
	t_expect "an OCI tag that is not there is an error naming the manifest URL" '
		fails_with 1 rr --helm "$HELM3" --cache-dir ocache --plain-http --chart my-chart --repo "$OCI" --version 3.0.0 \
			> out 2> err && test ! -s out &&
		contains err "chart '\''my-chart'\'': GET http://127.0.0.1:$REG_PORT/v2/charts/my-chart/manifests/3.0.0: HTTP 404"'
else
	t_peer_missing "a chart from an OCI registry" "docker-registry (make deps)"
fi

t_done
