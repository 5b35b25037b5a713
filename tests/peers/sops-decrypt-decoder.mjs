#!/usr/bin/env node
// sops-decrypt-decoder.mjs — decrypt a SOPS YAML/JSON file AND verify its MAC with
// npm "sops-decoder" 0.10.3 (koblas/sops-decoder-node), pinned in tests/peers/package.json.
// Adapted from the team's shared peer driver (shared/peers/sops-decrypt-decoder.mjs).
//
//   SOPS_AGE_KEY_FILE=keys.txt node sops-decrypt-decoder.mjs [--input-type yaml|json] FILE
//   prints the decrypted tree as JSON and "MAC OK" on stderr.
//
// sops-decoder only knows AWS KMS for the data key: this driver age-decrypts
// sops.age[i].enc with typage ("age-encryption") and loads the package's
// build/decode.js with one source patch so that getKey() returns that key.
// Everything else (per-leaf AES-GCM with AAD, suffix/regex rules,
// mac_only_encrypted, the SHA-512 MAC compared with the decrypted sops.mac) is the
// package's own code. It throws "Hash mismatch" on a MAC failure.
// Exit 0 ok, 1 error (stderr), 2 usage.
import { readFileSync } from "node:fs";
import { Module, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as age from "age-encryption";
import YAML from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const die = (msg, code = 1) => {
  process.stderr.write(`sops-decrypt-decoder: ${msg}\n`);
  process.exit(code);
};
const args = process.argv.slice(2);
let inputType = null, file = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--input-type") inputType = args[++i];
  else if (a.startsWith("-") && a !== "-") die(`unknown flag ${a}`, 2);
  else file = a;
}
if (!file) die("a SOPS file is required", 2);
if (!inputType) inputType = /\.json$/i.test(file) ? "json" : "yaml";

function loadPatchedDecoder() {
  const filename = join(here, "node_modules", "sops-decoder", "build", "decode.js");
  let src = readFileSync(filename, "utf8");
  const needle = "function getKey(tree) {";
  if (!src.includes(needle)) throw new Error("sops-decoder layout changed: getKey() not found");
  src = src.replace(needle, `${needle}\n    if (globalThis.__SOPS_DATA_KEY__) return Promise.resolve(globalThis.__SOPS_DATA_KEY__);`);
  const m = new Module(filename);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(dirname(filename));
  m.require = createRequire(filename);
  m._compile(src, filename);
  return m.exports;
}

try {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const tree = inputType === "json" ? JSON.parse(text) : YAML.parse(text);
  if (!tree || typeof tree !== "object" || !tree.sops) throw new Error("not a SOPS document (no top-level sops key)");
  const stanzas = Array.isArray(tree.sops.age) ? tree.sops.age : [];
  if (!stanzas.length) throw new Error("no sops.age recipients in file");
  const keys = [];
  for (const src of [process.env.SOPS_AGE_KEY_FILE && readFileSync(process.env.SOPS_AGE_KEY_FILE, "utf8"), process.env.SOPS_AGE_KEY])
    if (src) for (const raw of src.split(/\s+/)) if (raw.startsWith("AGE-SECRET-KEY-1")) keys.push(raw);
  if (!keys.length) die("set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY)", 2);
  const d = new age.Decrypter();
  for (const k of keys) d.addIdentity(k);
  let dataKey = null;
  const errs = [];
  for (const s of stanzas) {
    try {
      dataKey = await d.decrypt(age.armor.decode(s.enc));
      break;
    } catch (e) {
      errs.push(`${s.recipient}: ${e.message}`);
    }
  }
  if (!dataKey) throw new Error(`could not decrypt the data key:\n${errs.join("\n")}`);
  if (dataKey.length !== 32) throw new Error(`data key has ${dataKey.length} bytes, want 32`);
  globalThis.__SOPS_DATA_KEY__ = dataKey;
  const result = await loadPatchedDecoder().decrypt(tree);
  delete result.sops;
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.stderr.write(tree.sops.mac ? "MAC OK\n" : "no MAC in file\n");
} catch (err) {
  die(err && err.message ? err.message : String(err));
}
