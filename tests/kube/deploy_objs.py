#!/usr/bin/env python3
"""Objects of rendered manifests (kubectl kustomize, helm template), for tests/kube/t69*.sh.

  deploy_objs.py list FILE                    Kind/namespace/name of each object, sorted
  deploy_objs.py same A B [--skip KIND]...    the same objects (Helm's own labels aside), or a diff
  deploy_objs.py select FILE [--not] KIND...  the objects of these kinds (or all others), as YAML
  deploy_objs.py subset SENT RESULT.json      every field of SENT is in the server's answer (a
                                              dry-run apply -o json): nothing dropped or changed
  deploy_objs.py get FILE KIND NAME EXPR      print a Python expression over o (the object)
  deploy_objs.py secure FILE                  the controller Deployments' security settings
  deploy_objs.py args FILE NAME               the container's command and args, one per line

Helm's own labels (helm.sh/chart, app.kubernetes.io/managed-by, app.kubernetes.io/instance) are
the only difference allowed between the chart and deploy/; everything else must match.
"""
import json
import sys

import yaml

HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance")


def load(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "metadata" not in d:
            sys.exit("%s: not a Kubernetes object: %.200r" % (path, d))
    return docs


def key(o):
    m = o["metadata"]
    return "%s/%s/%s" % (o["kind"], m.get("namespace", ""), m["name"])


def strip_helm(o):
    o = json.loads(json.dumps(o))
    for meta in (o["metadata"], o.get("spec", {}).get("template", {}).get("metadata", {})):
        labels = meta.get("labels") or {}
        for k in HELM_LABELS:
            labels.pop(k, None)
    return o


def diff(a, b, path=""):
    """Yield 'path: a != b' for every difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                yield "%s.%s: only in the second: %s" % (path, k, json.dumps(b[k]))
            elif k not in b:
                yield "%s.%s: only in the first: %s" % (path, k, json.dumps(a[k]))
            else:
                yield from diff(a[k], b[k], "%s.%s" % (path, k))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, "%s[%d]" % (path, i))
    elif a != b:
        yield "%s: %s != %s" % (path, json.dumps(a), json.dumps(b))


def subset(sent, got, path=""):
    """Yield what of sent is not in got (the server dropped or changed it)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            yield "%s: sent an object, got %s" % (path, json.dumps(got))
            return
        for k, v in sent.items():
            if k not in got:
                if v in ({}, [], None):  # empty values may be omitted on the way back
                    continue
                yield "%s.%s: dropped by the server" % (path, k)
            else:
                yield from subset(v, got[k], "%s.%s" % (path, k))
    elif isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            yield "%s: sent %s, got %s" % (path, json.dumps(sent), json.dumps(got))
            return
        for i, (x, y) in enumerate(zip(sent, got)):
            yield from subset(x, y, "%s[%d]" % (path, i))
    elif sent != got and str(sent) != str(got):
        yield "%s: sent %s, got %s" % (path, json.dumps(sent), json.dumps(got))


def controllers(docs):
    return [o for o in docs if o["kind"] == "Deployment"]


def secure(docs):
    errs = []
    deps = controllers(docs)
    if not deps:
        errs.append("no Deployment")
    for d in deps:
        n = d["metadata"]["name"]
        ps = d["spec"]["template"]["spec"]
        psc = ps.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True or not psc.get("runAsUser"):
            errs.append("%s: the pod does not run as a non-root uid" % n)
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            errs.append("%s: no seccomp RuntimeDefault" % n)
        vols = {v["name"]: v for v in ps.get("volumes", [])}
        for c in ps["containers"]:
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                errs.append("%s: privilege escalation allowed" % n)
            if sc.get("readOnlyRootFilesystem") is not True:
                errs.append("%s: root filesystem writable" % n)
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                errs.append("%s: capabilities not dropped" % n)
            for p in ("livenessProbe", "readinessProbe"):
                if c.get(p, {}).get("httpGet", {}).get("path") != "/healthz":
                    errs.append("%s: no %s on /healthz" % (n, p))
            res = c.get("resources", {})
            if not res.get("requests", {}).get("cpu") or not res.get("requests", {}).get("memory"):
                errs.append("%s: no cpu/memory requests" % n)
            if not res.get("limits", {}).get("memory"):
                errs.append("%s: no memory limit" % n)
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            if ports.get("http") != 8080 or ports.get("metrics") != 8081 or "webhook" not in ports:
                errs.append("%s: ports http 8080, metrics 8081, webhook expected: %s" % (n, ports))
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            cache = vols.get(mounts.get("/var/cache/gitseal"), {}).get("emptyDir")
            if cache is None or not cache.get("sizeLimit"):
                errs.append("%s: no sized emptyDir on /var/cache/gitseal" % n)
            tmp = vols.get(mounts.get("/tmp"), {}).get("emptyDir")
            if tmp is None or tmp.get("medium") != "Memory" or not tmp.get("sizeLimit"):
                errs.append("%s: /tmp is not a sized in-memory emptyDir" % n)
            env = {e["name"]: e for e in c.get("env", [])}
            if env.get("POD_NAMESPACE", {}).get("valueFrom", {}).get("fieldRef", {}).get(
                    "fieldPath") != "metadata.namespace":
                errs.append("%s: POD_NAMESPACE does not come from the pod" % n)
    return errs


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "list":
        print("\n".join(sorted(key(o) for o in load(argv[2]))))
    elif cmd == "same":
        skip = [argv[i + 1] for i in range(4, len(argv) - 1) if argv[i] == "--skip"]
        a = {key(o): strip_helm(o) for o in load(argv[2]) if o["kind"] not in skip}
        b = {key(o): strip_helm(o) for o in load(argv[3]) if o["kind"] not in skip}
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s: only in %s" % (k, argv[3] if k in b else argv[2]))
            else:
                out += ["%s: %s" % (k, d) for d in diff(a[k], b[k])]
        if out:
            print("\n".join(out))
            return 1
        print("%d objects, the same" % len(a))
    elif cmd == "select":
        neg = argv[3] == "--not"
        kinds = argv[4:] if neg else argv[3:]
        docs = [o for o in load(argv[2]) if (o["kind"] in kinds) != neg]
        sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False) if docs else "")
    elif cmd == "subset":
        sent = load(argv[2])
        with open(argv[3]) as f:
            res = json.load(f)
        got = {key(o): o for o in (res["items"] if res.get("kind") == "List" else [res])}
        out = []
        for o in sent:
            if key(o) not in got:
                out.append("%s: not in the answer" % key(o))
            else:
                out += ["%s: %s" % (key(o), d) for d in subset(o, got[key(o)])]
        if out:
            print("\n".join(out))
            return 1
        print("%d objects kept every field" % len(sent))
    elif cmd == "get":
        for o in load(argv[2]):
            if o["kind"] == argv[3] and o["metadata"]["name"] == argv[4]:
                print(eval(argv[5], {"o": o, "json": json}))
                return 0
        print("no %s %s in %s" % (argv[3], argv[4], argv[2]))
        return 1
    elif cmd == "secure":
        errs = secure(load(argv[2]))
        if errs:
            print("\n".join(errs))
            return 1
        print("%d Deployments: non-root, read-only root, no escalation, seccomp, probes, "
              "resources, emptyDirs" % len(controllers(load(argv[2]))))
    elif cmd == "args":
        for d in controllers(load(argv[2])):
            if d["metadata"]["name"] == argv[3]:
                c = d["spec"]["template"]["spec"]["containers"][0]
                print("\n".join(c.get("command", []) + c.get("args", [])))
                return 0
        return 1
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
