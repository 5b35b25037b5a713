#!/usr/bin/env node
// age-encrypt-typage.mjs — encrypt stdin to stdout with typage (npm "age-encryption"
// 0.3.1, the TypeScript age by age's author), pinned in tests/peers/package.json.
// Adapted from the team's shared peer drivers; run from anywhere (imports resolve
// from this folder's node_modules).
//
//   node age-encrypt-typage.mjs [-a] [-r RECIPIENT]... [-R FILE]... < plain > enc
//   node age-encrypt-typage.mjs [-a] --passphrase-env VAR [--work-factor N] < plain > enc
//
// Binary output is streamed (64 KiB STREAM chunks); armored output is buffered
// (typage's armor.encode takes the whole file). Exit 0 ok, 1 error, 2 usage.
import { Readable, Writable } from "node:stream";
import { readFileSync } from "node:fs";
import * as age from "age-encryption";

const die = (msg, code = 1) => {
  process.stderr.write(`age-encrypt-typage: ${msg}\n`);
  process.exit(code);
};

const args = process.argv.slice(2);
let armor = false, passVar = null, workFactor = null;
const recipients = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "-a" || a === "--armor") armor = true;
  else if (a === "-r" || a === "--recipient") recipients.push(args[++i]);
  else if (a === "-R" || a === "--recipients-file")
    recipients.push(...readFileSync(args[++i], "utf8").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
  else if (a === "--passphrase-env") passVar = args[++i];
  else if (a === "--work-factor") workFactor = Number(args[++i]);
  else die(`unknown argument ${a}`, 2);
}
if (!recipients.length && !passVar) die("a recipient or --passphrase-env is required", 2);

try {
  const e = new age.Encrypter();
  if (passVar) {
    e.setPassphrase(process.env[passVar] ?? die(`${passVar} is not set`, 2));
    if (workFactor) e.setScryptWorkFactor(workFactor);
  }
  for (const r of recipients) e.addRecipient(r);
  const out = await e.encrypt(Readable.toWeb(process.stdin));
  if (!armor) {
    await out.pipeTo(Writable.toWeb(process.stdout));
  } else {
    const parts = [];
    for await (const c of out) parts.push(c);
    const text = age.armor.encode(Buffer.concat(parts));
    await new Promise((res, rej) => process.stdout.write(text, (err) => (err ? rej(err) : res())));
  }
} catch (err) {
  die(err && err.message ? err.message : String(err));
}
