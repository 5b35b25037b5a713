#!/bin/sh
# gitseal sops / encrypt / decrypt: round trips, formats, rules, set/unset, rotate, exit codes.
. "$(dirname "$0")/../lib.sh"
V=$FIXTURES/sops-vectors

setup() {
	age-keygen -o k1.txt 2>/dev/null && age-keygen -o k2.txt 2>/dev/null &&
	R1=$(age-keygen -y k1.txt) && R2=$(age-keygen -y k2.txt) &&
	cat > s.yaml <<-'EOF'
	apiVersion: v1
	kind: Secret
	metadata:
	  name: db
	  namespace: apps
	type: Opaque
	data:
	  password: czNjcjN0
	stringData:
	  config.yaml: |
	    host: db
	    port: 5432
	  port: 5432
	  ratio: 1.50
	  enabled: true
	  empty: ""
	  list:
	    - a
	    - nested: x
	      n: 7
	    - null
	EOF
}
setup_env() { R1=$(age-keygen -y k1.txt) && R2=$(age-keygen -y k2.txt); }
export SOPS_AGE_KEY_FILE=k1.txt
# isolate from the user's config and keys
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG

t_expect "setup keys and a Secret" 'setup'

t_expect "encrypt: every leaf encrypted by default, metadata as sops 3.9 writes it" '
	setup_env && "$GITSEAL" sops encrypt --age "$R1" s.yaml > all.enc.yaml &&
	contains all.enc.yaml "apiVersion: ENC[AES256_GCM,data:" &&
	contains all.enc.yaml "port: ENC[AES256_GCM" && contains all.enc.yaml ",type:int]" &&
	contains all.enc.yaml ",type:float]" && contains all.enc.yaml ",type:bool]" &&
	contains all.enc.yaml "empty: \"\"" && contains all.enc.yaml "    kms: []" &&
	contains all.enc.yaml "    mac: ENC[AES256_GCM" && contains all.enc.yaml "lastmodified: \"" &&
	contains all.enc.yaml "unencrypted_suffix: _unencrypted" && contains all.enc.yaml "version: 3.9.4" &&
	contains all.enc.yaml "-----BEGIN AGE ENCRYPTED FILE-----"'

t_expect "decrypt gives back the same values (MAC verified)" '
	"$GITSEAL" sops -d all.enc.yaml > all.dec.yaml &&
	contains all.dec.yaml "ratio: 1.5" && contains all.dec.yaml "enabled: true" &&
	contains all.dec.yaml "host: db" && contains all.dec.yaml "password: czNjcjN0" &&
	"$GITSEAL" sops -d --output-type json all.enc.yaml > all.dec.json && contains all.dec.json "\"port\": 5432"'

t_expect "gitseal encrypt keeps kind/metadata readable (^(data|stringData)\$)" '
	setup_env && "$GITSEAL" encrypt --age "$R1,$R2" s.yaml > k8s.enc.yaml &&
	contains k8s.enc.yaml "kind: Secret" && contains k8s.enc.yaml "name: db" &&
	contains k8s.enc.yaml "encrypted_regex: ^(data|stringData)\$" &&
	! grep -q "password: czNjcjN0" k8s.enc.yaml && [ "$(grep -c "recipient: age1" k8s.enc.yaml)" = 2 ] &&
	"$GITSEAL" decrypt k8s.enc.yaml > k8s.dec.yaml && contains k8s.dec.yaml "password: czNjcjN0" &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" decrypt k8s.enc.yaml > k8s.dec2.yaml && cmp k8s.dec.yaml k8s.dec2.yaml'

t_expect "gitseal encrypt reads a manifest on stdin; SOPS_AGE_RECIPIENTS gives the keys" '
	setup_env && SOPS_AGE_RECIPIENTS="$R2" "$GITSEAL" encrypt < s.yaml > stdin.enc.yaml &&
	contains stdin.enc.yaml "recipient: $R2" && SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" decrypt stdin.enc.yaml > stdin.dec &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" decrypt - < stdin.enc.yaml > stdin.dec2 && cmp stdin.dec stdin.dec2 &&
	contains stdin.dec "password: czNjcjN0"'

t_expect "--indent and --output-type" '
	"$GITSEAL" sops -d --indent 2 k8s.enc.yaml > i2.yaml && grep -q "^  name: db" i2.yaml &&
	"$GITSEAL" sops -d --output-type json --indent 2 k8s.enc.yaml > i2.json && grep -q "^  \"kind\": \"Secret\"" i2.json'

t_expect "--extract prints one value raw" '
	[ "$("$GITSEAL" sops -d --extract "[\"stringData\"][\"port\"]" k8s.enc.yaml)" = 5432 ] &&
	[ "$("$GITSEAL" sops -d --extract "[\"data\"][\"password\"]" k8s.enc.yaml)" = czNjcjN0 ] &&
	[ "$("$GITSEAL" sops -d --extract "[\"stringData\"][\"list\"][0]" k8s.enc.yaml)" = a ]'

t_expect "--extract: a bad path is exit 91, a missing key exit 1" '
	fails_with 91 "$GITSEAL" sops -d --extract "stringData.port" k8s.enc.yaml 2>err &&
	fails_with 1 "$GITSEAL" sops -d --extract "[\"nope\"]" k8s.enc.yaml 2>err && contains err "component"'

t_expect "suffix and regex rules" '
	setup_env && printf "a_enc: 1\nb: 2\nc_unencrypted: 3\nmeta:\n  x: y\n" > r.yaml &&
	"$GITSEAL" sops -e --age "$R1" --encrypted-suffix _enc r.yaml > r1.yaml &&
	grep -q "a_enc: ENC\[" r1.yaml && grep -q "^b: 2" r1.yaml &&
	"$GITSEAL" sops -e --age "$R1" r.yaml > r2.yaml &&
	grep -q "c_unencrypted: 3" r2.yaml && grep -q "^b: ENC\[" r2.yaml &&
	"$GITSEAL" sops -e --age "$R1" --unencrypted-regex "^meta" r.yaml > r3.yaml &&
	grep -q "x: \"y\"" r3.yaml && grep -q "^b: ENC\[" r3.yaml &&
	for f in r1 r2 r3; do "$GITSEAL" sops -d $f.yaml > $f.dec && grep -q "a_enc: 1" $f.dec || exit 1; done'

t_expect "two rules at once: exit 8" '
	setup_env && fails_with 8 "$GITSEAL" sops -e --age "$R1" --encrypted-suffix _e --unencrypted-regex x r.yaml 2>err &&
	contains err "cannot use more than one"'

t_expect "--mac-only-encrypted: plaintext values can change without a MAC mismatch" '
	setup_env && "$GITSEAL" sops -e --age "$R1" --encrypted-suffix _enc --mac-only-encrypted r.yaml > mo.yaml &&
	contains mo.yaml "mac_only_encrypted: true" && sed "s/^b: 2/b: 3/" mo.yaml > mo2.yaml &&
	"$GITSEAL" sops -d mo2.yaml | grep -q "b: 3" &&
	sed "s/^b: 2/b: 3/" r1.yaml > r1b.yaml && fails_with 51 "$GITSEAL" sops -d r1b.yaml 2>err'

t_expect "json, dotenv, ini and binary round trips" '
	setup_env && printf "{\"a\": 1, \"b\": [true, null, \"x\"], \"c\": {\"d\": 2.5}}\n" > j.json &&
	"$GITSEAL" sops -e --age "$R1" j.json > j.enc.json && contains j.enc.json "\"mac\": \"ENC[" &&
	"$GITSEAL" sops -d j.enc.json > j.dec.json && contains j.dec.json "\"d\": 2.5" &&
	printf "USER=admin\nPASS=s3cr3t\nMULTI=l1\\\\nl2\n" > a.env &&
	"$GITSEAL" sops -e --age "$R1" a.env > a.enc.env && contains a.enc.env "sops_mac=ENC[" &&
	"$GITSEAL" sops -d a.enc.env > a.dec.env && cmp a.env a.dec.env &&
	printf "top = 1\n\n[sec]\nk = v\n" > c.ini &&
	"$GITSEAL" sops -e --age "$R1" c.ini > c.enc.ini && contains c.enc.ini "[sops]" &&
	"$GITSEAL" sops -d c.enc.ini > c.dec.ini && contains c.dec.ini "k = v" &&
	head -c 3000 /dev/urandom > blob.bin &&
	"$GITSEAL" sops -e --age "$R1" blob.bin > blob.enc && contains blob.enc "\"data\": \"ENC[" &&
	"$GITSEAL" sops -d blob.enc > blob.dec && cmp blob.bin blob.dec'

t_expect "-i writes in place (0600 kept mode), --output writes elsewhere" '
	setup_env && cp s.yaml ip.yaml && chmod 640 ip.yaml && "$GITSEAL" sops -e -i --age "$R1" ip.yaml &&
	contains ip.yaml "sops:" && [ "$(stat -c %a ip.yaml)" = 640 ] &&
	"$GITSEAL" sops -d --output out.yaml ip.yaml && [ "$(stat -c %a out.yaml)" = 600 ] && contains out.yaml "host: db"'

t_expect "stdin needs --filename-override (exit 8); with it the format comes from the name" '
	setup_env && fails_with 8 "$GITSEAL" sops -e --age "$R1" - < s.yaml 2>err &&
	"$GITSEAL" sops -e --age "$R1" --filename-override x.json - < j.json > sj.json && contains sj.json "\"sops\": {"'

t_expect "already encrypted: exit 203, file untouched" '
	setup_env && cp k8s.enc.yaml again.yaml && fails_with 203 "$GITSEAL" sops -e -i --age "$R1" again.yaml 2>err &&
	contains err "File already encrypted" && cmp again.yaml k8s.enc.yaml &&
	fails_with 203 "$GITSEAL" sops -e --age "$R1" a.enc.env 2>err'

t_expect "an empty file: exit 92" '
	: > empty.yaml && setup_env && fails_with 92 "$GITSEAL" sops -e --age "$R1" empty.yaml 2>err &&
	contains err "must contain at least one document"'

t_expect "wrong key: exit 128 with sops' report" '
	SOPS_AGE_KEY_FILE=k2.txt && export SOPS_AGE_KEY_FILE && fails_with 128 "$GITSEAL" sops -d all.enc.yaml 2>err &&
	contains err "Failed to get the data key required to decrypt the SOPS file." &&
	contains err "Group 0: FAILED" && contains err "no identity matched any of the recipients" &&
	contains err "Recovery failed because no master key was able to decrypt the file"'

t_expect "no key at all: exit 128" '
	unset SOPS_AGE_KEY_FILE && fails_with 128 "$GITSEAL" sops -d all.enc.yaml 2>err && contains err "Did not find keys in locations"'

t_expect "SOPS_AGE_KEY and SOPS_AGE_KEY_CMD and the default keys.txt" '
	unset SOPS_AGE_KEY_FILE && SOPS_AGE_KEY=$(grep AGE-SECRET k1.txt) "$GITSEAL" sops -d all.enc.yaml > x1 &&
	SOPS_AGE_KEY_CMD="cat k1.txt" "$GITSEAL" sops -d all.enc.yaml > x2 &&
	mkdir -p "$XDG_CONFIG_HOME/sops/age" && cp k1.txt "$XDG_CONFIG_HOME/sops/age/keys.txt" &&
	"$GITSEAL" sops -d all.enc.yaml > x3 && rm -r "$XDG_CONFIG_HOME/sops" &&
	mkdir -p "$HOME/.config/sops/age" && cp k1.txt "$HOME/.config/sops/age/keys.txt" &&
	env -u XDG_CONFIG_HOME "$GITSEAL" sops -d all.enc.yaml > x4 && rm -r "$HOME/.config/sops" &&
	cmp x1 x2 && cmp x1 x3 && cmp x1 x4'

t_expect "tampering: changed value, added key, removed key -> 51; swapped values -> 25" '
	sed "s/^kind: Secret/kind: Secrets/" k8s.enc.yaml > t1.yaml && fails_with 51 "$GITSEAL" sops -d t1.yaml 2>err &&
	contains err "MAC mismatch. File has " &&
	sed "s/^type: Opaque/type: Opaque\nextra: 1/" k8s.enc.yaml > t2.yaml && fails_with 51 "$GITSEAL" sops -d t2.yaml 2>err &&
	grep -v "^type: Opaque" k8s.enc.yaml > t3.yaml && fails_with 51 "$GITSEAL" sops -d t3.yaml 2>err &&
	P=$(sed -n "s/^    password: //p" k8s.enc.yaml) && Q=$(sed -n "s/^    port: //p" k8s.enc.yaml) &&
	sed -e "s|^    password: .*|    password: $Q|" -e "s|^    port: .*|    port: $P|" k8s.enc.yaml > t4.yaml &&
	fails_with 25 "$GITSEAL" sops -d t4.yaml 2>err && contains err "Error decrypting tree" &&
	contains err "message authentication failed"'

t_expect "--ignore-mac decrypts a file whose MAC does not match" '
	"$GITSEAL" sops -d --ignore-mac t1.yaml > t1.dec && contains t1.dec "kind: Secrets"'

t_expect "bad ENC[] syntax: exit 25 naming the place" '
	sed "s/^    port: ENC\[AES256_GCM,data:/    port: ENC[AES256_GCM,dta:/" k8s.enc.yaml > b1.yaml &&
	fails_with 25 "$GITSEAL" sops -d b1.yaml 2>err && contains err "does not match sops" && contains err "stringData:port:"'

t_expect "malformed sops block / no metadata / bad version: exit 1" '
	fails_with 1 "$GITSEAL" sops -d s.yaml 2>err && contains err "sops metadata not found" &&
	sed "s/^    version: .*/    version: 3.9/" k8s.enc.yaml > v.yaml && fails_with 1 "$GITSEAL" sops -d v.yaml 2>err &&
	contains err "version" &&
	grep -v "^    lastmodified" k8s.enc.yaml > lm.yaml && fails_with 1 "$GITSEAL" sops -d lm.yaml 2>err &&
	contains err "lastmodified"'

t_expect "set / unset keep other ciphertexts; --idempotent; --value-stdin" '
	cp k8s.enc.yaml st.yaml && "$GITSEAL" sops set st.yaml "[\"stringData\"][\"port\"]" "6543" &&
	[ "$("$GITSEAL" sops -d --extract "[\"stringData\"][\"port\"]" st.yaml)" = 6543 ] &&
	grep "password: ENC" k8s.enc.yaml > a1 && grep "password: ENC" st.yaml > a2 && cmp a1 a2 &&
	! cmp -s st.yaml k8s.enc.yaml &&
	echo "\"from stdin\"" | "$GITSEAL" sops set --value-stdin st.yaml "[\"stringData\"][\"new\"]" &&
	[ "$("$GITSEAL" sops -d --extract "[\"stringData\"][\"new\"]" st.yaml)" = "from stdin" ] &&
	cp st.yaml st.before && "$GITSEAL" sops set --idempotent st.yaml "[\"stringData\"][\"port\"]" 6543 && cmp st.yaml st.before &&
	"$GITSEAL" sops unset st.yaml "[\"stringData\"][\"new\"]" &&
	fails_with 1 "$GITSEAL" sops -d --extract "[\"stringData\"][\"new\"]" st.yaml 2>/dev/null &&
	fails_with 7 "$GITSEAL" sops set st.yaml "[\"a\"]" "{bad json" 2>err'

t_expect "rotate: new data key, every value changes; --add-age / --rm-age" '
	setup_env && "$GITSEAL" sops -r --add-age "$R2" all.enc.yaml > rot.yaml &&
	[ "$(grep -c "recipient: age1" rot.yaml)" = 2 ] &&
	! grep -qF "$(sed -n "s/^    password: //p" all.enc.yaml)" rot.yaml &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d rot.yaml > rot.dec && "$GITSEAL" sops -d all.enc.yaml > all.dec && cmp rot.dec all.dec &&
	"$GITSEAL" sops -r --add-age "$R2" rot.yaml > rot1.yaml && [ "$(grep -c "recipient: age1" rot1.yaml)" = 2 ] &&
	"$GITSEAL" sops rotate --rm-age "$R2" rot.yaml > rot2.yaml && [ "$(grep -c "recipient: age1" rot2.yaml)" = 1 ] &&
	fails_with 128 env SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d rot2.yaml 2>/dev/null'

t_expect "rotate refuses a file with pgp master keys; decrypt and updatekeys keep them" '
	setup_env && awk "/^    pgp: \[\]/{print \"    pgp:\"; print \"        - created_at: \\\"2024-01-01T00:00:00Z\\\"\"; print \"          enc: x\"; print \"          fp: ABCDEF\"; next} {print}" k8s.enc.yaml > pgp.yaml &&
	contains pgp.yaml "fp: ABCDEF" && "$GITSEAL" sops -d pgp.yaml > /dev/null &&
	fails_with 1 "$GITSEAL" sops -r pgp.yaml 2>err && contains err "pgp" &&
	"$GITSEAL" sops set pgp.yaml "[\"stringData\"][\"port\"]" 1 && contains pgp.yaml "fp: ABCDEF"'

t_expect "filestatus" '
	"$GITSEAL" sops filestatus k8s.enc.yaml | grep -qx "{\"encrypted\":true}" &&
	"$GITSEAL" sops filestatus s.yaml | grep -qx "{\"encrypted\":false}"'

t_expect "exec-env and exec-file" '
	setup_env && printf "DB_USER: admin\nDB_PASS: pw\n" > e.yaml && "$GITSEAL" sops -e --age "$R1" e.yaml > e.enc.yaml &&
	[ "$("$GITSEAL" sops exec-env e.enc.yaml "echo \$DB_USER-\$DB_PASS")" = admin-pw ] &&
	fails_with 3 "$GITSEAL" sops exec-env e.enc.yaml "exit 3" &&
	"$GITSEAL" sops exec-file e.enc.yaml "cat {} > seen; ls -ld \$(dirname {}) > perms" && contains seen "DB_PASS: pw" &&
	grep -q "^drwx------" perms && ! ls /dev/shm/gitseal-sops.* 2>/dev/null'

t_expect "multi-document YAML: metadata in every document, MAC over all" '
	setup_env && printf "a: 1\n---\nb: 2\n" > m.yaml && "$GITSEAL" sops -e --age "$R1" m.yaml > m.enc.yaml &&
	[ "$(grep -c "^sops:" m.enc.yaml)" = 2 ] && "$GITSEAL" sops -d m.enc.yaml > m.dec && contains m.dec "b: 2" &&
	awk "/^b: ENC/{print \"b: \\\"x\\\"\"; next} {print}" m.enc.yaml > m2.yaml && fails_with 25 "$GITSEAL" sops -d m2.yaml 2>/dev/null'

t_expect "no keys and no config: sops' message" '
	fails_with 1 "$GITSEAL" sops -e s.yaml 2>err && contains err "config file not found, or has no creation rules, and no keys provided"'

t_expect "usage errors" '
	fails_with 100 "$GITSEAL" sops -d 2>/dev/null </dev/null || fails_with 2 "$GITSEAL" sops -d nonexist.yaml 2>/dev/null;
	fails_with 100 "$GITSEAL" sops -d nonexist.yaml 2>err && contains err "non-existent" &&
	fails_with 8 "$GITSEAL" sops -d -i --output x k8s.enc.yaml 2>/dev/null &&
	fails_with 1 "$GITSEAL" sops --bogus x 2>/dev/null'
t_done
