#!/usr/bin/env node
// sops-decrypt-js.mjs — decrypt a SOPS file (age recipients) with npm "sops-age"
// 4.0.2 (humphd/sops-age, pure JS), pinned in tests/peers/package.json, and print
// the plaintext tree as JSON (2-space indent, keys in file order).
// Adapted from the team's shared peer driver (shared/peers/sops-decrypt-js.mjs).
//
//   SOPS_AGE_KEY_FILE=keys.txt node sops-decrypt-js.mjs [--input-type yaml|json|dotenv] [--extract PATH] FILE
//
// sops-age does NOT verify the MAC, reads only sops.age (no key groups), rejects
// type:time and skips all-digit map keys in the AAD. Use sops-decrypt-decoder.mjs
// for a MAC check. Exit 0 ok, 1 error (stderr), 2 usage.
import { readFileSync } from "node:fs";
import { decryptSops } from "sops-age";

const die = (msg, code = 1) => {
  process.stderr.write(`sops-decrypt-js: ${msg}\n`);
  process.exit(code);
};
const args = process.argv.slice(2);
let inputType = null, extract = null, file = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--input-type") inputType = args[++i];
  else if (a === "--extract") extract = args[++i];
  else if (a.startsWith("-") && a !== "-") die(`unknown flag ${a}`, 2);
  else file = a;
}
if (!file) die("a SOPS file is required", 2);
if (!inputType) inputType = /\.json$/i.test(file) ? "json" : /\.env$/i.test(file) ? "dotenv" : "yaml";
const fileType = { yaml: "yaml", json: "json", dotenv: "env", env: "env" }[inputType];
if (!fileType) die(`unsupported input type ${inputType}`, 2);

const keys = [];
for (const src of [process.env.SOPS_AGE_KEY_FILE && readFileSync(process.env.SOPS_AGE_KEY_FILE, "utf8"), process.env.SOPS_AGE_KEY])
  if (src)
    for (const raw of src.split(/\s+/)) if (raw.startsWith("AGE-SECRET-KEY-1")) keys.push(raw);
if (!keys.length) die("set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY", 2);

const plain = (v) =>
  v instanceof Uint8Array ? new TextDecoder().decode(v)
  : Array.isArray(v) ? v.map(plain)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  : v;

try {
  const content = readFileSync(file === "-" ? 0 : file, "utf8");
  const errs = [];
  let result;
  for (const k of keys) {
    try {
      result = await decryptSops(content, { fileType, secretKey: k, ...(extract ? { keyPath: extract } : {}) });
      break;
    } catch (e) {
      errs.push(e.message);
    }
  }
  if (result === undefined) throw new Error(errs.join("\n"));
  result = plain(result);
  process.stdout.write(extract && (typeof result !== "object" || result === null) ? String(result) + "\n" : JSON.stringify(result, null, 2) + "\n");
} catch (err) {
  die(err && err.message ? err.message : String(err));
}
