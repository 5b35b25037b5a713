#!/usr/bin/env node
// ss-unseal-openssl.mjs — an unsealer for Bitnami SealedSecrets that shares no
// code with gitseal: the RSA-OAEP step is the `openssl pkeyutl` CLI, the
// AES-GCM step is node:crypto (`openssl enc` cannot do GCM).
//
//   node ss-unseal-openssl.mjs KEY.pem < sealedsecret.(yaml|json)
//
// Prints one "key=<base64 of the plaintext>" line per encryptedData item, sorted
// by key, for every SealedSecret document in the input. The OAEP label comes from
// the document's own metadata, as the controller does (sealed-secrets
// EncryptionLabel): strict "<ns>/<name>", namespace-wide "<ns>", cluster-wide "".
// Item format: u16be(len) || RSA-OAEP-SHA256/MGF1-SHA256(session key) ||
// AES-GCM(12 zero bytes nonce, no AAD) ciphertext || tag16.
// Exit 0 ok, 1 when an item does not open (the message names it), 2 usage.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import YAML from "yaml";

const die = (msg, code = 1) => {
  process.stderr.write(`ss-unseal-openssl: ${msg}\n`);
  process.exit(code);
};
if (process.argv.length !== 3) die("usage: ss-unseal-openssl.mjs KEY.pem < sealedsecret", 2);
const key = process.argv[2];

const text = readFileSync(0, "utf8");
const docs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
if (!docs.length) die("no documents");
for (const ss of docs) {
  if (ss.kind !== "SealedSecret") die(`not a SealedSecret: ${ss.kind}`);
  const md = ss.metadata || {};
  const anno = md.annotations || {};
  const label =
    anno["sealedsecrets.bitnami.com/cluster-wide"] === "true" ? "" :
    anno["sealedsecrets.bitnami.com/namespace-wide"] === "true" ? (md.namespace || "") :
    `${md.namespace || ""}/${md.name || ""}`;
  const enc = (ss.spec && ss.spec.encryptedData) || {};
  for (const k of Object.keys(enc).sort()) {
    const blob = Buffer.from(enc[k], "base64");
    const n = blob.readUInt16BE(0);
    const rsa = blob.subarray(2, 2 + n);
    const args = ["pkeyutl", "-decrypt", "-inkey", key, "-pkeyopt", "rsa_padding_mode:oaep",
      "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"];
    if (label) args.push("-pkeyopt", `rsa_oaep_label:${Buffer.from(label).toString("hex")}`);
    let sk;
    try {
      sk = execFileSync("openssl", args, { input: rsa, stdio: ["pipe", "pipe", "pipe"] });
    } catch {
      die(`${k}: openssl pkeyutl could not decrypt the session key (label "${label}")`);
    }
    const body = blob.subarray(2 + n, blob.length - 16);
    const tag = blob.subarray(blob.length - 16);
    try {
      const d = createDecipheriv(`aes-${sk.length * 8}-gcm`, sk, Buffer.alloc(12));
      d.setAuthTag(tag);
      const pt = Buffer.concat([d.update(body), d.final()]);
      process.stdout.write(`${k}=${pt.toString("base64")}\n`);
    } catch {
      die(`${k}: AES-GCM authentication failed`);
    }
  }
}
