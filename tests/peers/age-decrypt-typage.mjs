#!/usr/bin/env node
// age-decrypt-typage.mjs — decrypt an age file (binary or armored) from stdin to
// stdout with typage (npm "age-encryption" 0.3.1), pinned in tests/peers/package.json.
// Adapted from the team's shared peer drivers.
//
//   node age-decrypt-typage.mjs [-i] IDENTITY_FILE... < enc > plain
//   node age-decrypt-typage.mjs --passphrase-env VAR < enc > plain
//
// Armor is detected (BEGIN line after optional whitespace) and decoded with
// typage's strict armor.decode (buffered); binary input is streamed. On a failure
// detected mid-stream some plaintext may already have been written.
// Exit 0 ok, 1 error (message on stderr), 2 usage.
import { Writable } from "node:stream";
import { readFileSync } from "node:fs";
import * as age from "age-encryption";

const die = (msg, code = 1) => {
  process.stderr.write(`age-decrypt-typage: ${msg}\n`);
  process.exit(code);
};

const args = process.argv.slice(2);
const idFiles = [];
let passVar = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "-d" || a === "--decrypt") continue;
  else if (a === "-i" || a === "--identity") idFiles.push(args[++i]);
  else if (a === "--passphrase-env") passVar = args[++i];
  else if (a.startsWith("-")) die(`unknown flag ${a}`, 2);
  else idFiles.push(a);
}
if (!idFiles.length && !passVar) die("an identity file or --passphrase-env is required", 2);

try {
  const d = new age.Decrypter();
  if (passVar) d.addPassphrase(process.env[passVar] ?? die(`${passVar} is not set`, 2));
  for (const f of idFiles)
    for (const raw of readFileSync(f, "utf8").split(/\r?\n/)) {
      const line = raw.trim();
      if (line && !line.startsWith("#")) d.addIdentity(line);
    }
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const input = Buffer.concat(chunks);
  const isArmor = input.subarray(0, 2048).toString("latin1").trimStart().startsWith("-----BEGIN AGE ENCRYPTED FILE-----");
  if (isArmor) {
    const out = await d.decrypt(age.armor.decode(input.toString("latin1")));
    await new Promise((res, rej) => process.stdout.write(out, (e) => (e ? rej(e) : res())));
  } else {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(input.buffer, input.byteOffset, input.length));
        c.close();
      },
    });
    const out = await d.decrypt(stream);
    await out.pipeTo(Writable.toWeb(process.stdout));
  }
} catch (err) {
  die(err && err.message ? err.message : String(err));
}
