#!/bin/sh
# lib/render, Kustomize through kubectl 1.35 (kustomize 5.7): every path of the config repo, the
# generator hook with its staged in-memory copy, broken kustomizations, the deadline.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/render-lib.sh"

if ! have_tools; then
	t_peer_missing "Kustomize renders" "kubectl/helm in $TOOLS (tests/render/install-tools.sh)"
	t_expect "private directories left by a killed process (kill -9) are wiped by the next render" '
	dead=$(python3 -c "import os
for p in range(4000000, 4100000):
    try: os.kill(p, 0)
    except ProcessLookupError: print(p); break
    except PermissionError: pass") &&
	mkdir -p "$SHM/gitseal-render-$dead-AbCdEf/stage0/apps" "$SHM/gitseal-render-$$-LiVeOn" &&
	printf "plaintext" > "$SHM/gitseal-render-$dead-AbCdEf/stage0/apps/secret.env" &&
	ro_copy tree && rr tree base > out && test ! -e "$SHM/gitseal-render-$dead-AbCdEf" &&
	test -d "$SHM/gitseal-render-$$-LiVeOn" && rmdir "$SHM/gitseal-render-$$-LiVeOn" && shm_empty'
t_expect "kustomize build when a kustomize binary is named or found in PATH (before kubectl)" '
	mkdir -p bin && printf "#!/bin/sh\n[ \"\$1\" = build ] || exit 9\necho kustomize-used >&2\nexec $KUBECTL kustomize \"\$2\"\n" > bin/kustomize &&
	chmod +x bin/kustomize && ro_copy tree &&
	"$RR" --tmpdir "$SHM" --kustomize "$PWD/bin/kustomize" tree overlays/prod > out 2> err &&
	contains out "replicas: 3" && contains err "warning: overlays/prod: kustomize: kustomize-used" &&
	PATH="$PWD/bin:$PATH" "$RR" --tmpdir "$SHM" tree base > out2 2> err2 && contains err2 "kustomize-used" &&
	GITSEAL_KUBECTL=$KUBECTL PATH="$PWD/bin:$PATH" "$RR" --tmpdir "$SHM" tree base > out3 2> err3 &&
	! grep -q kustomize-used err3 && contains out3 "# kustomize: 2 objects"'

t_done
	exit
fi
# obj OUT KIND NAME: the YAML of one object of render-run's output
obj() { awk -v k="kind: $2" -v n="  name: $3" '/^---$/ { if (hit) exit; buf = ""; next }
	{ buf = buf $0 "\n" } $0 == k { kind = 1 } $0 == n && kind { hit = 1 }
	END { if (hit) printf "%s", buf }' "$1" | grep . || { echo "no $2 $3 in $1"; return 1; }; }

t_expect "base: the Deployment and Service with the common label, named after the app path" '
	ro_copy tree && rr tree base > out &&
	contains out "# base:1" && contains out "# kustomize: 2 objects" &&
	obj out Deployment web > d && contains d "app.kubernetes.io/part-of: config-repo" && contains d "replicas: 1"'
t_expect "overlays dev, staging, prod: namespace, prefix, image tag; prod patches replicas to 3" '
	ro_copy tree &&
	for env in dev staging; do
		rr tree overlays/$env > $env.out && obj $env.out Deployment $env-web > $env.d &&
		contains $env.d "namespace: $env" && contains $env.d "image: nginx:1.27-$env" &&
		contains $env.d "replicas: 1" && obj $env.out Service $env-web >/dev/null || exit 1
	done &&
	rr tree overlays/prod > prod.out && obj prod.out Deployment prod-web > prod.d &&
	contains prod.d "replicas: 3" && contains prod.d "namespace: prod" && contains prod.out "# overlays/prod:1"'
t_expect "apps/my-app: generators, the dev overlay underneath, the tree unchanged" '
	ro_copy tree && before=$(tree_sum tree) && rr tree apps/my-app > out &&
	contains out "# kustomize: 4 objects" && obj out ConfigMap my-app-config > cm &&
	contains cm "LOG_LEVEL: info" && obj out Secret my-app-secret > s &&
	contains s "password: bm90LXRoZS1yZWFsLXBhc3N3b3JkCg==" && obj out Deployment dev-web > d &&
	contains d "namespace: my-app" && test "$(tree_sum tree)" = "$before" && shm_empty'
t_expect "the generator hook sees every generator file (through resources) with its path from the root" '
	ro_copy tree && mkdir -p tree2/apps/other && cp -r tree/* tree2/ && chmod -R u+w tree2 &&
	printf "resources:\n- ../my-app\nconfigMapGenerator:\n- name: extra\n  env: extra.env\n  files:\n  - k=../../my-chart/values.yaml\n" > tree2/apps/other/kustomization.yaml &&
	printf "A=1\n" > tree2/apps/other/extra.env &&
	rr --hook-log log tree2 apps/other > out 2> err; cat err;
	sort log > got && printf "apps/my-app/config.env\napps/my-app/secret.txt\napps/other/extra.env\nmy-chart/values.yaml\n" > want &&
	diff want got'
t_expect "a hook replacement reaches the rendered ConfigMap and Secret; no staged copy remains" '
	ro_copy tree && before=$(tree_sum tree) &&
	printf "LOG_LEVEL=debug\nTOKEN=from-the-hook\n" > plain.env && printf "hunter2" > plain.txt &&
	rr --hook-replace apps/my-app/config.env="$PWD/plain.env" --hook-replace apps/my-app/secret.txt="$PWD/plain.txt" \
		tree apps/my-app > out &&
	obj out ConfigMap my-app-config > cm && contains cm "TOKEN: from-the-hook" && contains cm "LOG_LEVEL: debug" &&
	obj out Secret my-app-secret > s && contains s "password: aHVudGVyMg==" &&
	obj out Deployment dev-web >/dev/null && contains out "# apps/my-app:1" &&
	shm_empty && test "$(tree_sum tree)" = "$before" && ! grep -rq from-the-hook tree'
t_expect "a staged render that fails still leaves no copy (error, deadline)" '
	ro_copy tree && mkdir -p t2 && cp -r tree/* t2/ && chmod -R u+w t2 &&
	printf "x" > p.txt && sed -i "s|^  - ../../overlays/dev|&\n  - missing.yaml|" t2/apps/my-app/kustomization.yaml &&
	fails_with 1 rr --hook-replace apps/my-app/secret.txt="$PWD/p.txt" t2 apps/my-app > out 2> err &&
	test ! -s out && shm_empty && stall_server && port=$STALL_PORT &&
	sed -i "s|  - missing.yaml|  - http://127.0.0.1:$port/slow.yaml|" t2/apps/my-app/kustomization.yaml &&
	fails_with 1 rr --timeout-ms 1500 --hook-replace apps/my-app/secret.txt="$PWD/p.txt" t2 apps/my-app > out 2> err &&
	contains err "apps/my-app: kustomize: deadline of 1.5s exceeded" && test ! -s out && shm_empty'
t_expect "a failing hook fails the render, naming the file; nothing staged or printed" '
	ro_copy tree && fails_with 1 rr --hook-fail apps/my-app/secret.txt tree apps/my-app > out 2> err &&
	contains err "error: apps/my-app/secret.txt: the test hook refuses it" && test ! -s out && shm_empty'
t_expect "decrypted files are never staged outside memory: a disk tmpdir is refused" '
	ro_copy tree && mkdir disk && printf "x" > p.txt &&
	fails_with 1 "$RR" --tmpdir "$PWD/disk" --kubectl "$KUBECTL" --hook-replace apps/my-app/secret.txt="$PWD/p.txt" \
		tree apps/my-app > out 2> err && contains err "is not an in-memory file system (tmpfs)" &&
	test -z "$(ls -A disk)" && test ! -s out'
t_expect "a broken kustomization file: file:line:col, before any tool runs" '
	mkdir -p b1 && printf "resources:\n  - a.yaml\n patches: [\n" > b1/kustomization.yaml &&
	fails_with 1 rr . b1 > out 2> err && test ! -s out && contains err "error: b1/kustomization.yaml:3:2: did not find expected key"'
t_expect "a kustomization naming a missing resource: the tool's error, paths from the tree" '
	mkdir -p b2 && printf "resources:\n- missing.yaml\n" > b2/kustomization.yml &&
	fails_with 1 rr . b2 > out 2> err && test ! -s out &&
	contains err "error: b2: kustomize: accumulating resources" && contains err "b2/missing.yaml" &&
	! grep -q "$PWD" err'
t_expect "a kustomization resource leaving the tree is refused, naming the file and line" '
	mkdir -p b3 && printf "resources:\n- ../../../etc\n" > b3/kustomization.yaml &&
	fails_with 1 rr . b3 > out 2> err && contains err "b3/kustomization.yaml:2: resources '\''../../../etc'\'' leaves the tree"'
t_expect "kustomize past its deadline (a remote base that never answers) is killed at it" '
	stall_server && port=$STALL_PORT && mkdir -p slow &&
	printf "resources:\n- http://127.0.0.1:$port/x.yaml\n" > slow/kustomization.yaml &&
	start=$(date +%s) && fails_with 1 rr --timeout-ms 1000 . slow > out 2> err &&
	test $(( $(date +%s) - start )) -le 5 && contains err "error: slow: kustomize: deadline of 1s exceeded" &&
	test ! -s out && ! pgrep -f "kubectl kustomize $PWD/slow" && shm_empty'
t_expect "a tool that cannot run is a clear error" '
	mkdir -p k && printf "resources: []\n" > k/kustomization.yaml &&
	fails_with 1 "$RR" --tmpdir "$SHM" --kubectl /nonexistent/kubectl . k 2> err &&
	contains err "k: kustomize: cannot run /nonexistent/kubectl: No such file or directory"'

t_expect "private directories left by a killed process (kill -9) are wiped by the next render" '
	dead=$(python3 -c "import os
for p in range(4000000, 4100000):
    try: os.kill(p, 0)
    except ProcessLookupError: print(p); break
    except PermissionError: pass") &&
	mkdir -p "$SHM/gitseal-render-$dead-AbCdEf/stage0/apps" "$SHM/gitseal-render-$$-LiVeOn" &&
	printf "plaintext" > "$SHM/gitseal-render-$dead-AbCdEf/stage0/apps/secret.env" &&
	ro_copy tree && rr tree base > out && test ! -e "$SHM/gitseal-render-$dead-AbCdEf" &&
	test -d "$SHM/gitseal-render-$$-LiVeOn" && rmdir "$SHM/gitseal-render-$$-LiVeOn" && shm_empty'
t_expect "kustomize build when a kustomize binary is named or found in PATH (before kubectl)" '
	mkdir -p bin && printf "#!/bin/sh\n[ \"\$1\" = build ] || exit 9\necho kustomize-used >&2\nexec $KUBECTL kustomize \"\$2\"\n" > bin/kustomize &&
	chmod +x bin/kustomize && ro_copy tree &&
	"$RR" --tmpdir "$SHM" --kustomize "$PWD/bin/kustomize" tree overlays/prod > out 2> err &&
	contains out "replicas: 3" && contains err "warning: overlays/prod: kustomize: kustomize-used" &&
	PATH="$PWD/bin:$PATH" "$RR" --tmpdir "$SHM" tree base > out2 2> err2 && contains err2 "kustomize-used" &&
	GITSEAL_KUBECTL=$KUBECTL PATH="$PWD/bin:$PATH" "$RR" --tmpdir "$SHM" tree base > out3 2> err3 &&
	! grep -q kustomize-used err3 && contains out3 "# kustomize: 2 objects"'

t_done
