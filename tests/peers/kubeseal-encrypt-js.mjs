#!/usr/bin/env node
// kubeseal-encrypt-js.mjs — seal a Kubernetes Secret into a Bitnami
// SealedSecret (bitnami.com/v1alpha1) using the npm package
// "@linode/kubeseal-encrypt" 1.0.1, pinned in tests/peers/package.json.
// Adapted from the team's shared peer drivers: packages resolve from this
// folder's node_modules, so it runs from anywhere.
//
// Usage:
//   kubeseal-encrypt-js.mjs --cert CERT.pem [--scope strict|namespace-wide|cluster-wide]
//        [--namespace NS] [--name NAME] [-o yaml|json] [--engine auto|api|internal]
//        < secret.yaml > sealedsecret.yaml
//   kubeseal-encrypt-js.mjs --cert CERT.pem --raw [--scope S] [--namespace NS] [--name NAME]
//        < value-bytes > base64-ciphertext          (like `kubeseal --raw --from-file=/dev/stdin`)
//
//   --cert       X.509 certificate PEM (what `kubeseal --fetch-cert` prints) or an
//                SPKI "BEGIN PUBLIC KEY" PEM; a certificate is converted to SPKI
//                with node:crypto X509Certificate (the package only takes SPKI).
//   --scope      default: taken from the Secret's annotations
//                (sealedsecrets.bitnami.com/cluster-wide / namespace-wide = "true"),
//                else strict. When given, the annotations are rewritten as kubeseal
//                does (UpdateScopeAnnotations) on the Secret before sealing, so
//                they appear in metadata and spec.template.metadata.
//   --namespace/--name  fill in metadata.namespace/.name when the Secret has none
//                (kubeseal semantics: the Secret's own values win; a conflicting
//                flag prints a warning). Namespace defaults to "default" unless
//                cluster-wide. In --raw mode they are used directly.
//
// Wire format (read from node_modules/@linode/kubeseal-encrypt/dist/index.js and
// identical to sealed-secrets pkg/crypto HybridEncrypt):
//   value = base64( uint16_be(len(rsaCT)) || rsaCT || aesGcmCT || tag16 )
//   rsaCT = RSA-OAEP(SHA-256 hash, MGF1-SHA-256, label) of a fresh 32-byte session key
//   AES-256-GCM with the session key, 12-byte ALL-ZERO nonce, no AAD, 16-byte tag
// Label (sealed-secrets EncryptionLabel):
//   strict         -> "<namespace>/<name>"
//   namespace-wide -> "<namespace>"
//   cluster-wide   -> ""  (empty label)
// The package's public API encryptSecretItem(pem, namespace, string) ALWAYS uses
// label = namespace (validated against the DNS-label regex, non-empty) and takes
// the value as a JS string (UTF-8 encoded). So:
//   --engine api       public API only: namespace-wide scope and UTF-8 values only.
//   --engine internal  the package's own NodeCrypto.hybridEncrypt(pubKey, data, label),
//                      reached by importing dist/index.js as a data: URL with two
//                      small source patches: an extra export of the internal
//                      NodeCrypto class, and stringToArrayBuffer() passing raw
//                      Uint8Array bytes through (binary-safe). Any label works.
//   --engine auto      (default) api when possible, otherwise internal.
//
// Output layout mimics `kubeseal -o yaml` (sigs.k8s.io/yaml: map keys sorted):
//   apiVersion: bitnami.com/v1alpha1
//   kind: SealedSecret
//   metadata: {annotations: <scope annotation if not strict>, creationTimestamp: null, name, namespace}
//   spec:
//     encryptedData: {<key>: <base64>, ...}     # from .data (base64-decoded bytes) and .stringData
//     template:
//       metadata: <Secret metadata minus kubectl/kubecfg last-applied-configuration
//                  annotations, ownerReferences, uid, resourceVersion, selfLink,
//                  generation, deletion*; creationTimestamp: null>
//       type: <Secret type, omitted if absent>
//       immutable: <if set>
//   -o json prints the same object as 2-space JSON (kubeseal's default -o json
//   uses Go struct order; compare semantically).
// Exit status: 0 ok, 1 error (stderr), 2 usage.
import { readFileSync } from "node:fs";
import { X509Certificate, createPublicKey } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const peerPackageDir = (name) => join(HERE, "node_modules", ...name.split("/"));
// bare specifiers resolve from this folder's node_modules
const importPeer = (name) => import(name);
async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks);
}
const writeStdout = (data) => new Promise((ok, ko) => process.stdout.write(data, (err) => (err ? ko(err) : ok())));
function die(msg, code = 1) {
  process.stderr.write(`kubeseal-encrypt-js: ${msg}\n`);
  process.exit(code);
}

const ANNO_NS = "sealedsecrets.bitnami.com/namespace-wide";
const ANNO_CW = "sealedsecrets.bitnami.com/cluster-wide";
const LAST_APPLIED = ["kubectl.kubernetes.io/last-applied-configuration", "kubecfg.ksonnet.io/last-applied-configuration"];

const args = process.argv.slice(2);
const opt = { output: "yaml", engine: "auto", raw: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const val = () => {
    if (i + 1 >= args.length) die(`${a} needs a value`, 2);
    return args[++i];
  };
  if (a === "--cert") opt.cert = val();
  else if (a.startsWith("--cert=")) opt.cert = a.slice(7);
  else if (a === "--scope") opt.scope = val();
  else if (a.startsWith("--scope=")) opt.scope = a.slice(8);
  else if (a === "--namespace" || a === "-n") opt.namespace = val();
  else if (a.startsWith("--namespace=")) opt.namespace = a.slice(12);
  else if (a === "--name") opt.name = val();
  else if (a.startsWith("--name=")) opt.name = a.slice(7);
  else if (a === "-o" || a === "--format") opt.output = val();
  else if (a === "--engine") opt.engine = val();
  else if (a === "--raw") opt.raw = true;
  else if (a === "-h" || a === "--help") {
    process.stdout.write("usage: kubeseal-encrypt-js.mjs --cert CERT.pem [--scope S] [--namespace NS] [--name NAME] [-o yaml|json] [--raw] < in > out\n");
    process.exit(0);
  } else die(`unknown argument ${a}`, 2);
}
if (!opt.cert) die("--cert is required", 2);
if (opt.scope && !["strict", "namespace-wide", "cluster-wide"].includes(opt.scope)) die("--scope must be one of: strict, namespace-wide, cluster-wide", 2);
if (!["auto", "api", "internal"].includes(opt.engine)) die("--engine must be auto, api or internal", 2);

function spkiPem(path) {
  const pem = readFileSync(path, "utf8");
  if (pem.includes("BEGIN CERTIFICATE")) return new X509Certificate(pem).publicKey.export({ type: "spki", format: "pem" });
  return createPublicKey(pem).export({ type: "spki", format: "pem" });
}

function labelFor(scope, ns, name) {
  if (scope === "cluster-wide") return "";
  if (scope === "namespace-wide") return ns;
  return `${ns}/${name}`;
}

function scopeFromAnnotations(anno) {
  if (anno && anno[ANNO_CW] === "true") return "cluster-wide";
  if (anno && anno[ANNO_NS] === "true") return "namespace-wide";
  return "strict";
}

function updateScopeAnnotations(anno, scope) {
  const a = { ...(anno || {}) };
  delete a[ANNO_NS];
  delete a[ANNO_CW];
  if (scope === "namespace-wide") a[ANNO_NS] = "true";
  if (scope === "cluster-wide") a[ANNO_CW] = "true";
  return a;
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function asUtf8(bytes) {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

let internalCrypto = null;
async function getInternal() {
  if (internalCrypto) return internalCrypto;
  const file = join(peerPackageDir("@linode/kubeseal-encrypt"), "dist", "index.js");
  let src = readFileSync(file, "utf8");
  const n1 = "function stringToArrayBuffer(str) {";
  if (!src.includes(n1) || !src.includes("var init_node = ") || !src.includes("var node_exports = ")) {
    throw new Error("@linode/kubeseal-encrypt layout changed; use --engine api");
  }
  src = src.replace(n1, `${n1}\n  if (str instanceof Uint8Array) return str.slice().buffer;`);
  src += "\nexport { init_node as __init_node, node_exports as __node_exports };\n";
  const mod = await import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));
  mod.__init_node();
  internalCrypto = new mod.__node_exports.NodeCrypto();
  return internalCrypto;
}

async function sealValue(api, pem, pubKeyCache, bytes, scope, ns, name) {
  const label = labelFor(scope, ns, name);
  const str = asUtf8(bytes);
  const apiOk = scope === "namespace-wide" && str !== null && api.validateNamespace(ns).valid;
  if (opt.engine === "api" && !apiOk) {
    throw new Error(`--engine api cannot seal this value (scope ${scope}${str === null ? ", non-UTF-8 bytes" : ""}); the public API only does label=namespace with string data`);
  }
  if (apiOk && opt.engine !== "internal") return api.encryptSecretItem(pem, ns, str);
  const nc = await getInternal();
  if (!pubKeyCache.key) pubKeyCache.key = await nc.importPublicKey(pem);
  return nc.hybridEncrypt(pubKeyCache.key, bytes, label);
}

try {
  const api = await importPeer("@linode/kubeseal-encrypt");
  const pem = spkiPem(opt.cert);
  const v = api.validatePEM(pem);
  if (!v.valid) throw new Error(`invalid public key: ${v.error}`);
  const cache = {};
  const input = await readStdin();

  if (opt.raw) {
    const scope = opt.scope || "strict";
    const ns = opt.namespace || "";
    const name = opt.name || "";
    if (scope !== "cluster-wide" && !ns) die("--raw needs --namespace unless --scope cluster-wide", 2);
    if (scope === "strict" && !name) die("--raw with strict scope needs --name", 2);
    const ct = await sealValue(api, pem, cache, new Uint8Array(input), scope, ns, name);
    await writeStdout(ct);
    process.exit(0);
  }

  const YAML = await importPeer("yaml");
  const text = input.toString("utf8");
  const secret = text.trimStart().startsWith("{") ? JSON.parse(text) : YAML.parse(text);
  if (!secret || secret.kind !== "Secret") throw new Error("stdin is not a v1 Secret (kind: Secret)");
  const meta = { ...(secret.metadata || {}) };
  if (meta.annotations) meta.annotations = { ...meta.annotations };
  if (opt.scope) meta.annotations = updateScopeAnnotations(meta.annotations, opt.scope);
  const scope = scopeFromAnnotations(meta.annotations);
  if (opt.name && meta.name && opt.name !== meta.name) process.stderr.write(`warning: Secret name ${meta.name} wins over --name ${opt.name}\n`);
  if (opt.namespace && meta.namespace && opt.namespace !== meta.namespace) process.stderr.write(`warning: Secret namespace ${meta.namespace} wins over --namespace ${opt.namespace}\n`);
  if (!meta.name) meta.name = opt.name;
  if (!meta.name) throw new Error("the Secret has no metadata.name (and no --name)");
  if (!meta.namespace && scope !== "cluster-wide") meta.namespace = opt.namespace || "default";
  const ns = meta.namespace || "";

  // Secret metadata -> template metadata, cleaned like kubeseal.
  const tmeta = { ...meta };
  for (const k of ["selfLink", "uid", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "managedFields"]) delete tmeta[k];
  tmeta.creationTimestamp = null;
  if (tmeta.annotations) {
    for (const k of LAST_APPLIED) delete tmeta.annotations[k];
    if (Object.keys(tmeta.annotations).length === 0) delete tmeta.annotations;
  }

  const encryptedData = {};
  for (const [k, b64] of Object.entries(secret.data || {})) {
    const bytes = new Uint8Array(Buffer.from(String(b64 ?? ""), "base64"));
    encryptedData[k] = await sealValue(api, pem, cache, bytes, scope, ns, meta.name);
  }
  for (const [k, s] of Object.entries(secret.stringData || {})) {
    const bytes = new Uint8Array(Buffer.from(String(s ?? ""), "utf8"));
    encryptedData[k] = await sealValue(api, pem, cache, bytes, scope, ns, meta.name);
  }

  const ssMeta = { creationTimestamp: null, name: meta.name };
  if (ns) ssMeta.namespace = ns;
  const ssAnno = updateScopeAnnotations({}, scope);
  if (Object.keys(ssAnno).length) ssMeta.annotations = ssAnno;
  const template = { metadata: tmeta };
  if (secret.type) template.type = secret.type;
  if (secret.immutable !== undefined) template.immutable = secret.immutable;
  const sealed = {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: ssMeta,
    spec: { encryptedData, template },
  };
  if (opt.output === "json") await writeStdout(JSON.stringify(sealed, null, 2) + "\n");
  else await writeStdout(YAML.stringify(sealed, { sortMapEntries: true, lineWidth: 0 }));
} catch (err) {
  die(err && err.message ? err.message : String(err));
}
