#!/bin/sh
# SOPS interop, both directions: real sops files (tests/fixtures/sops-upstream) decrypt with
# the MAC verified; what we write is read by npm sops-age and sops-decoder (MAC check);
# key groups / Shamir against vectors from the Python model (tests/fixtures/sops-vectors).
. "$(dirname "$0")/../lib.sh"
U=$FIXTURES/sops-upstream
V=$FIXTURES/sops-vectors
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG

if ! command -v node >/dev/null 2>&1 || ! have_peer yaml; then
	t_peer_missing "SOPS interop (the comparisons run in node)" node
	t_done
	exit
fi

# jq-less semantic compare: both files parsed by node, keys sorted
same_json() { node -e '
const fs = require("fs");
const norm = (v) => Array.isArray(v) ? v.map(norm) : v && typeof v === "object" ?
  Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm(v[k])])) : v;
const a = JSON.stringify(norm(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))));
const b = JSON.stringify(norm(JSON.parse(fs.readFileSync(process.argv[2], "utf8"))));
if (a !== b) { console.error(a + "\n!=\n" + b); process.exit(1); }' "$1" "$2"; }
yaml2json() { node --input-type=module -e '
import YAML from "'"$PEERS_DIR"'/node_modules/yaml/dist/index.js";
import fs from "fs";
process.stdout.write(JSON.stringify(YAML.parse(fs.readFileSync(process.argv[1], "utf8"))));' "$1"; }

for f in yaml json sops392.json; do
	t_expect "upstream secret.enc.$f (sops 3.8/3.9) decrypts, MAC verified, as Go sops does" '
		SOPS_AGE_KEY_FILE=$U/key.txt "$GITSEAL" sops -d --output-type json $U/secret.enc.'"$f"' > dec.json &&
		case '"$f"' in
		yaml) yaml2json $U/expected/secret.dec-by-go-sops.yaml > want.json ;;
		*) cp $U/expected/secret.dec-by-go-sops.'"$f"' want.json ;;
		esac && same_json dec.json want.json'
done
t_expect "upstream dotenv decrypts byte for byte as Go sops" '
	SOPS_AGE_KEY_FILE=$U/key.txt "$GITSEAL" sops -d $U/secret.enc.env > dec.env && cmp dec.env $U/expected/secret.dec-by-go-sops.env'
t_expect "upstream ini decrypts (MAC verified)" '
	SOPS_AGE_KEY_FILE=$U/key.txt "$GITSEAL" sops -d $U/secret.enc.ini > dec.ini &&
	grep -qx "secret = this is a secret" dec.ini && grep -qx "string = string" dec.ini && grep -qx "\[complex\]" dec.ini'
t_expect "upstream files: a changed value is a MAC mismatch (51)" '
	sed "s/^string: ENC/string_unencrypted: plain\nstring: ENC/" $U/secret.enc.yaml > t.yaml &&
	SOPS_AGE_KEY_FILE=$U/key.txt fails_with 51 "$GITSEAL" sops -d t.yaml 2>err && contains err "MAC mismatch"'

if ! command -v node >/dev/null 2>&1 || ! have_peer sops-age; then
	t_peer_missing "npm sops-age reads what we encrypt" sops-age
else
	t_expect "setup: keys and plaintexts" '
		age-keygen -o k1.txt 2>/dev/null && age-keygen -o k2.txt 2>/dev/null && age-keygen -o k3.txt 2>/dev/null &&
		printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    app: x\ndata:\n  password: czNjcjN0\nstringData:\n  port: 5432\n  ratio: 1.5\n  enabled: false\n  list:\n    - a\n    - n: 7\n  multi: |\n    line1\n    line2\n  \"quoted\": \"true\"\n" > s.yaml &&
		printf "{\"a\": \"x\", \"n\": 42, \"f\": 2.5, \"b\": true, \"l\": [1, \"two\", {\"k\": \"v\"}], \"o\": {\"p_unencrypted\": \"keep\", \"q\": null}}\n" > j.json &&
		printf "DB_USER=admin\nDB_PASSWORD=s3cr3t\nMULTI=l1\\\\nl2\n" > a.env'
	for rule in "" "--encrypted-regex=^(data|stringData)\$" "--unencrypted-suffix=_plain" "--encrypted-suffix=word" "--unencrypted-regex=^meta"; do
		RULE=$rule && export RULE
		t_expect "sops-age and sops-decoder (MAC) read our YAML/JSON [${rule:-default rule}, 3 recipients]" '
			R="$(age-keygen -y k1.txt),$(age-keygen -y k2.txt),$(age-keygen -y k3.txt)" &&
			"$GITSEAL" sops -e --age "$R" $RULE s.yaml > s.enc.yaml &&
			"$GITSEAL" sops -e --age "$R" $RULE j.json > j.enc.json &&
			SOPS_AGE_KEY_FILE=k3.txt "$GITSEAL" sops -d --output-type json s.enc.yaml > ours.json &&
			for k in k1 k2 k3; do
				SOPS_AGE_KEY_FILE=$k.txt node $PEERS_DIR/sops-decrypt-js.mjs s.enc.yaml > js.json && same_json js.json ours.json || exit 1
			done &&
			SOPS_AGE_KEY_FILE=k2.txt node $PEERS_DIR/sops-decrypt-decoder.mjs s.enc.yaml > dec.json 2>mac && same_json dec.json ours.json &&
			contains mac "MAC OK" &&
			SOPS_AGE_KEY_FILE=k1.txt "$GITSEAL" sops -d j.enc.json > ours2.json && same_json ours2.json j.json &&
			SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-js.mjs j.enc.json > js2.json && same_json js2.json j.json &&
			SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-decoder.mjs j.enc.json > dec2.json 2>mac && same_json dec2.json j.json &&
			contains mac "MAC OK"'
	done
	t_expect "sops-decoder checks --mac-only-encrypted files" '
		"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" --encrypted-regex "^(data|stringData)\$" --mac-only-encrypted s.yaml > mo.yaml &&
		SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-decoder.mjs mo.yaml > /dev/null 2>mac && contains mac "MAC OK"'
	t_expect "sops-decoder reads files under the comment rules (MAC over plain and encrypted values)" '
		printf "# top\nplain: visible\n# mark\nsecret: hidden\nother: 5 # mark\nn:\n  # mark\n  x: [1, 2]\n  y: true\n" > cm.yaml &&
		"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" --encrypted-comment-regex mark cm.yaml > cm1.yaml &&
		"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" --unencrypted-comment-regex mark cm.yaml > cm2.yaml &&
		grep -q "^secret: ENC" cm1.yaml && grep -q "^plain: visible" cm1.yaml && grep -q "^secret: hidden" cm2.yaml &&
		SOPS_AGE_KEY_FILE=k1.txt "$GITSEAL" sops -d --output-type json cm1.yaml > ours.json &&
		for f in cm1 cm2; do
			SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-decoder.mjs $f.yaml > dec.json 2>mac &&
			same_json dec.json ours.json && contains mac "MAC OK" || exit 1
		done'
	t_expect "sops-decoder rejects our file after tampering (its own MAC check)" '
		grep -q "^    name: db" s.enc.yaml && sed "s/^    name: db/    name: dc/" s.enc.yaml > bad.yaml &&
		SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-decoder.mjs s.enc.yaml >/dev/null 2>&1 &&
		! SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-decoder.mjs bad.yaml >/dev/null 2>err && contains err "mismatch"'
	t_expect "sops-age reads our dotenv" '
		"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" a.env > a.enc.env &&
		SOPS_AGE_KEY_FILE=k1.txt node $PEERS_DIR/sops-decrypt-js.mjs a.enc.env > js.json &&
		node -e "const o=JSON.parse(require(\"fs\").readFileSync(\"js.json\")); if (o.DB_PASSWORD!==\"s3cr3t\"||o.MULTI!==\"l1\\nl2\") process.exit(1)"'
	t_expect "sops-age reads a Secret encrypted with gitseal encrypt and a .sops.yaml rule" '
		printf "creation_rules:\n  - path_regex: \\\\.yaml\$\n    encrypted_regex: ^(data)\$\n    age: %s\n" "$(age-keygen -y k2.txt)" > .sops.yaml &&
		"$GITSEAL" encrypt s.yaml > e.yaml && rm .sops.yaml && contains e.yaml "encrypted_regex: ^(data)\$" &&
		grep -q "port: 5432" e.yaml &&
		SOPS_AGE_KEY_FILE=k2.txt node $PEERS_DIR/sops-decrypt-js.mjs e.yaml > js.json &&
		SOPS_AGE_KEY_FILE=k2.txt node $PEERS_DIR/sops-decrypt-decoder.mjs e.yaml > dec.json 2>/dev/null && same_json js.json dec.json'
fi

t_expect "Shamir vectors (Python model): 2 of 3 groups open, 1 does not (128)" '
	cat $V/key2.txt $V/key3.txt > k23 && SOPS_AGE_KEY_FILE=k23 "$GITSEAL" sops -d --output-type json $V/shamir-2of3.enc.yaml > a.json &&
	cat $V/key1.txt $V/key3.txt > k13 && SOPS_AGE_KEY_FILE=k13 "$GITSEAL" sops -d --output-type json $V/shamir-2of3.enc.yaml > b.json &&
	yaml2json $V/plain.yaml > want.json && same_json a.json want.json && same_json b.json want.json &&
	SOPS_AGE_KEY_FILE=$V/key1.txt fails_with 128 "$GITSEAL" sops -d $V/shamir-2of3.enc.yaml 2>err &&
	contains err "Shamir threshold of 2, but only 1 part(s)"'
t_expect "Shamir vectors: 3 of 3 needs every group" '
	cat $V/key1.txt $V/key2.txt $V/key3.txt > k123 && SOPS_AGE_KEY_FILE=k123 "$GITSEAL" sops -d --output-type json $V/shamir-3of3.enc.yaml > c.json &&
	same_json c.json want.json && SOPS_AGE_KEY_FILE=k23 fails_with 128 "$GITSEAL" sops -d $V/shamir-3of3.enc.yaml 2>/dev/null'
t_expect "Shamir vectors: a group with two recipients, encrypted_regex; flat group with mac_only_encrypted" '
	cat $V/key3.txt $V/key2.txt > k32 && SOPS_AGE_KEY_FILE=k32 "$GITSEAL" sops -d --output-type json $V/shamir-2of2-multi.enc.yaml > d.json &&
	same_json d.json want.json &&
	SOPS_AGE_KEY_FILE=$V/key2.txt "$GITSEAL" sops -d --output-type json $V/group1-macOnly.enc.yaml > e.json && same_json e.json want.json'
t_expect "unquoted timestamps left in plaintext are hashed as sops >= 3.10 does (time.Time)" '
	SOPS_AGE_KEY_FILE=$V/key1.txt "$GITSEAL" sops -d $V/time-unencrypted.enc.yaml > t.dec && cmp t.dec $V/time-plain.yaml &&
	sed "s/created: 2024-01-02/created: 2024-01-03/" $V/time-unencrypted.enc.yaml > t2.yaml &&
	SOPS_AGE_KEY_FILE=$V/key1.txt fails_with 51 "$GITSEAL" sops -d t2.yaml 2>/dev/null &&
	R1=$(age-keygen -y $V/key1.txt) && "$GITSEAL" encrypt --age "$R1" $V/time-plain.yaml > t3.yaml &&
	grep -q "created: 2024-01-02\$" t3.yaml && SOPS_AGE_KEY_FILE=$V/key1.txt "$GITSEAL" decrypt t3.yaml > t3.dec && cmp t3.dec $V/time-plain.yaml'
t_expect "our key groups: 2-of-3 written by us opens with any two keys, and layout is sops 3.9's" '
	R1=$(age-keygen -y $V/key1.txt) && R2=$(age-keygen -y $V/key2.txt) && R3=$(age-keygen -y $V/key3.txt) &&
	printf "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [%s]\n      - age:\n          - %s\n      - age: %s\n" "$R1" "$R2" "$R3" > .sops.yaml &&
	"$GITSEAL" sops -e $V/plain.yaml > g.yaml && rm .sops.yaml &&
	contains g.yaml "shamir_threshold: 2" && contains g.yaml "key_groups:" &&
	SOPS_AGE_KEY_FILE=k13 "$GITSEAL" sops -d --output-type json g.yaml > g1.json && same_json g1.json want.json &&
	SOPS_AGE_KEY_FILE=k23 "$GITSEAL" sops -d --output-type json g.yaml > g2.json && same_json g2.json want.json &&
	SOPS_AGE_KEY_FILE=$V/key3.txt fails_with 128 "$GITSEAL" sops -d g.yaml 2>/dev/null'
t_expect "groups add / delete re-split the same data key" '
	cp g.yaml g2.yaml && age-keygen -o k4.txt 2>/dev/null &&
	SOPS_AGE_KEY_FILE=k13 "$GITSEAL" sops groups add --file g2.yaml --age "$(age-keygen -y k4.txt)" &&
	cat k4.txt $V/key1.txt > k14 && SOPS_AGE_KEY_FILE=k14 "$GITSEAL" sops -d --output-type json g2.yaml > g3.json && same_json g3.json want.json &&
	SOPS_AGE_KEY_FILE=k14 "$GITSEAL" sops groups delete --file g2.yaml 0 && SOPS_AGE_KEY_FILE=k14 fails_with 128 "$GITSEAL" sops -d g2.yaml 2>/dev/null &&
	cat k4.txt $V/key2.txt > k24 && SOPS_AGE_KEY_FILE=k24 "$GITSEAL" sops -d g2.yaml >/dev/null'
t_done
