#!/bin/sh
# The documentation's commands run: every fenced ```sh block of README.md and docs/*.md, in
# order, each with `sh -e` in a scratch directory per file that holds a copy of deploy/ and charts/
# (as a checkout does), with gitseal, gitseal-controller, kubectl and helm first in PATH, HOME in
# the scratch space, KUBECONFIG naming the test API server and no terminal (EDITOR=false). A block
# that cannot run here says why in its info string: ```sh no-test: <reason> (a skip here); a
# no-test without a reason fails. One TAP line per block, named FILE:LINE.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kube-lib.sh"
. "$(dirname "$0")/deploy-lib.sh"

if ! have_deploy_tools; then
	t_peer_missing "README blocks" "kubectl/helm (make deps) or python3-yaml"
	t_done
	exit $?
fi
kube_need_server || { t_done; exit 1; }
BIN=$TMP/bin
mkdir -p "$BIN" && ln -s "$GITSEAL" "$BIN/gitseal" && ln -s "$CONTROLLER" "$BIN/gitseal-controller" &&
	ln -s "$KUBECTL" "$BIN/kubectl" && ln -s "$HELM3" "$BIN/helm"
export BIN

for doc in README.md $(cd "$TOP" && ls docs/*.md 2>/dev/null); do
	tag=$(echo "$doc" | tr '/.' '__')
	work=$TMP/work-$tag blocks=$TMP/blocks-$tag
	mkdir -p "$work/.home" && cp -r "$TOP/deploy" "$TOP/charts" "$work/" &&
		python3 "$TOP/tests/kube/md_blocks.py" "$TOP/$doc" "$blocks" > "$TMP/$tag.list" || {
		t_expect "$doc: its blocks" false
		continue
	}
	export work blocks
	while read -r n line kind reason; do
		case $kind in
		run)
			t_expect "$doc:$line" '
				cd "$work" && if ! PATH="$BIN:$PATH" HOME="$work/.home" XDG_CONFIG_HOME="$work/.home/.config" \
					XDG_CACHE_HOME="$work/.home/.cache" EDITOR=false VISUAL=false GITSEAL_NO_PROGRESS=1 \
					timeout 120 sh -e "$blocks/'"$n"'.sh" < /dev/null 2>&1; then
					echo "--- the block ('"$doc:$line"'):"; cat "$blocks/'"$n"'.sh"; false
				fi'
			;;
		no-test) t_skip "$doc:$line" "$reason" ;;
		*) t_expect "$doc:$line: $reason" false ;;
		esac
	done < "$TMP/$tag.list"
done
t_done
