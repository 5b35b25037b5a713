#!/bin/sh
# lib/render: a plain render of 1 000 manifests in 200 files (goal <= 50 ms), and what a Kustomize
# or Helm render adds to the bare `kubectl kustomize` / `helm template` run of the same input
# (goal <= 10 %): spawning, the clean environment, reading the output into objects.
# Best of RUNS (default 7) each, runs interleaved.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/release}
case $O in /*) ;; *) O=$TOP/$O ;; esac
TOOLS=${GITSEAL_TOOLS:-/var/cache/gitseal-tools}
RR=$O/tests/render/render-run
RUNS=${RUNS:-7}
D=$(mktemp -d "${TMPDIR:-/tmp}/gitseal-bench-render.XXXXXX") || exit 1
SHM=$(mktemp -d /dev/shm/gitseal-bench-render.XXXXXX) || exit 1
trap 'rm -rf "$D" "$SHM"' EXIT
[ -x "$RR" ] || { echo "b61: $RR missing (make test or make bench builds it)"; exit 1; }

# 200 files x 5 manifests (a Deployment, a Service, a ConfigMap, a ServiceAccount, a Secret)
mkdir -p "$D/tree/plain" "$D/tree/chart/templates"
i=0
while [ $i -lt 200 ]; do
	cat > "$D/tree/plain/app-$i.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-$i
  labels: {app: app-$i, tier: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: app-$i}
  template:
    metadata:
      labels: {app: app-$i}
    spec:
      containers:
        - name: app
          image: "registry.example.com/app:1.$i.0"
          ports: [{containerPort: 8080}]
          env:
            - {name: MODE, value: production}
            - {name: INDEX, value: "$i"}
---
apiVersion: v1
kind: Service
metadata:
  name: app-$i
spec:
  selector: {app: app-$i}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-$i-config
data:
  config.yaml: |
    listen: 8080
    index: $i
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-$i
---
apiVersion: v1
kind: Secret
metadata:
  name: app-$i-token
type: Opaque
data:
  token: dG9rZW4tZm9yLWFwcA==
EOF
	sed "s/app-$i/app-{{ .Values.prefix }}$i/g" "$D/tree/plain/app-$i.yaml" > "$D/tree/chart/templates/app-$i.yaml"
	i=$((i + 1))
done
mkdir -p "$D/tree/kust"
cp "$D"/tree/plain/*.yaml "$D/tree/kust/"
{ echo "resources:"; for f in "$D"/tree/plain/*.yaml; do echo "- $(basename "$f")"; done; } > "$D/tree/kust/kustomization.yaml"
printf 'apiVersion: v2\nname: chart\nversion: 1.0.0\n' > "$D/tree/chart/Chart.yaml"
printf 'prefix: x\n' > "$D/tree/chart/values.yaml"

# measure CMD...: "wall_ms cpu_ms" of one run (cpu: user+sys of the process and the tools it ran)
measure() {
	python3 -c '
import os, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, st, ru = os.wait4(p.pid, 0)
w = (time.monotonic() - t) * 1e3
if st:
    sys.exit("b61: %s failed" % " ".join(sys.argv[1:]))
print("%.1f %.1f" % (w, (ru.ru_utime + ru.ru_stime) * 1e3))
' "$@"
}
best() { sort -n | head -n1; }

# 1. plain: render() timed inside the driver (process start excluded)
plain=$("$RR" --tmpdir "$SHM" --quiet --repeat 50 "$D/tree" plain 2>&1 | sed -n 's/.*best of 50: \([0-9.]*\) ms/\1/p')
n=$("$RR" --tmpdir "$SHM" "$D/tree" plain | tail -n1)
echo "plain render, 1000 manifests in 200 files: $plain ms ($n)"
echo "ratio: plain render / 50 ms = $(echo "$plain" | awk '{ printf "%.2f", $1 / 50 }')  (goal <= 1.0)"

# 2. and 3.: the tool alone vs through render-run (whole process both ways)
overhead() { # overhead NAME BARE... -- RENDER...
	name=$1; shift
	bare=
	while [ "$1" != -- ]; do bare="$bare $1"; shift; done; shift
	: > "$D/bare.t"; : > "$D/rend.t"
	r=0
	while [ $r -lt "$RUNS" ]; do
		measure $bare >> "$D/bare.t" || return 1
		measure "$@" >> "$D/rend.t" || return 1
		r=$((r + 1))
	done
	bw=$(cut -d" " -f1 "$D/bare.t" | best); rw=$(cut -d" " -f1 "$D/rend.t" | best)
	bc=$(cut -d" " -f2 "$D/bare.t" | best); rc=$(cut -d" " -f2 "$D/rend.t" | best)
	echo "$name: bare $bw ms wall / $bc ms cpu, through lib/render $rw ms wall / $rc ms cpu (best of $RUNS)"
	echo "ratio: $name render / bare tool, wall = $(echo "$bw $rw" | awk '{ printf "%.3f", $2 / $1 }')  (goal <= 1.10)"
	echo "ratio: $name render / bare tool, cpu = $(echo "$bc $rc" | awk '{ printf "%.3f", $2 / $1 }')  (the same on a busy machine)"
}
if [ -x "$TOOLS/kubectl/kubectl" ] && [ -x "$TOOLS/helm4/helm" ]; then
	overhead kustomize "$TOOLS/kubectl/kubectl" kustomize "$D/tree/kust" -- \
		"$RR" --tmpdir "$SHM" --quiet --kubectl "$TOOLS/kubectl/kubectl" "$D/tree" kust
	overhead "helm 4" "$TOOLS/helm4/helm" template chart "$D/tree/chart" --include-crds -- \
		"$RR" --tmpdir "$SHM" --quiet --helm "$TOOLS/helm4/helm" "$D/tree" chart
	overhead "helm 3" "$TOOLS/helm3/helm" template chart "$D/tree/chart" --include-crds -- \
		"$RR" --tmpdir "$SHM" --quiet --helm "$TOOLS/helm3/helm" "$D/tree" chart
else
	echo "b61: helm/kubectl missing in $TOOLS (make deps): Kustomize/Helm overhead not measured"
fi
