# Helpers for the install suites (tests/kube/t69*.sh), sourced after tests/lib.sh: the pinned
# kubectl and helm (make deps: tests/render/install-tools.sh), renders of deploy/ and the chart.
#
#   have_deploy_tools          kubectl, helm 3, helm 4 and python3-yaml are here
#   kz DIR > out.yaml          kubectl kustomize DIR
#   kz_with NS COMPONENT... > out.yaml
#                              deploy/ in namespace NS (unless -), with deploy/components/COMPONENT
#   ht [helm template args] > out.yaml
#                              the chart as release "gitseal" with its CRDs (helm 3)
#   objs ARGS...               tests/kube/deploy_objs.py (list, same, select, subset, get, secure)
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
KUBECTL=$TOOLS/kubectl/kubectl
HELM3=$TOOLS/helm3/helm
HELM4=$TOOLS/helm4/helm
CHART=$TOP/charts/gitseal
export TOOLS KUBECTL HELM3 HELM4 CHART

have_deploy_tools() {
	[ -x "$KUBECTL" ] && [ -x "$HELM3" ] && [ -x "$HELM4" ] && python3 -c 'import yaml' 2>/dev/null
}

kz() { "$KUBECTL" kustomize "$1"; }

kz_with() {
	_ns=$1
	shift
	_d=$(mktemp -d "$TMP/kz.XXXXXX")
	_rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$TOP/deploy" "$_d")
	{
		echo "apiVersion: kustomize.config.k8s.io/v1beta1"
		echo "kind: Kustomization"
		[ "$_ns" = - ] || echo "namespace: $_ns"
		echo "resources: [$_rel]"
		if [ $# -gt 0 ]; then
			echo "components:"
			for _c in "$@"; do echo "- $_rel/components/$_c"; done
		fi
	} > "$_d/kustomization.yaml"
	"$KUBECTL" kustomize "$_d"
}

ht() { "$HELM3" template gitseal "$CHART" --include-crds "$@"; }

objs() { python3 "$TOP/tests/kube/deploy_objs.py" "$@"; }
