#!/bin/sh
# Beyond sops: set/unset/updatekeys/edit keep the file's bytes outside the changed values;
# comments are kept and encrypted as sops does; --previous (or the Git HEAD version) keeps
# the ciphertext of unchanged values so a diff shows only what changed.
. "$(dirname "$0")/../lib.sh"
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG SOPS_EDITOR
export SOPS_AGE_KEY_FILE="$TMP/k1.txt"

# changed A B: how many lines differ (diff's < and > lines), lastmodified aside (it has 1 s resolution)
changed() { grep -v 'lastmodified"\?[:=]' "$1" > .c1; grep -v 'lastmodified"\?[:=]' "$2" > .c2; diff .c1 .c2 | grep -c '^[<>]'; }

t_expect "setup: a commented, 2-space Secret" '
	age-keygen -o k1.txt 2>/dev/null && age-keygen -o k2.txt 2>/dev/null &&
	cat > c.yaml <<-EOF
	# top comment
	apiVersion: v1
	kind: Secret
	metadata:
	  name: db  # the name
	stringData:
	  # the password
	  password: s3cr3t
	  port: 5432
	  multi: |
	    line1
	    line2
	  flow: {a: 1, b: [x, z]}
	  list:
	    - one  # first
	    - two
	EOF
	"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" c.yaml > c.enc.yaml'

t_expect "comments are encrypted as sops writes them, layout kept" '
	grep -q "^#ENC\[AES256_GCM,data:.*,type:comment\]\$" c.enc.yaml &&
	grep -q "^  #ENC\[AES256_GCM,.*type:comment\]\$" c.enc.yaml &&
	grep -q "^  name: ENC\[.*\]  #ENC\[.*type:comment\]\$" c.enc.yaml &&
	grep -q "^    - ENC\[" c.enc.yaml && grep -q "^  flow: {a: \"ENC\[" c.enc.yaml && ! grep -q "the password" c.enc.yaml'

t_expect "decrypt gives back the file byte for byte (comments decrypted)" '
	"$GITSEAL" sops -d c.enc.yaml > c.dec.yaml && cmp c.yaml c.dec.yaml'

t_expect "with encrypted_regex, comments outside data/stringData stay readable (as sops)" '
	"$GITSEAL" encrypt --age "$(age-keygen -y k1.txt)" c.yaml > k.enc.yaml &&
	grep -q "^# top comment" k.enc.yaml && grep -q "# the name" k.enc.yaml && ! grep -q "# the password" k.enc.yaml &&
	"$GITSEAL" decrypt k.enc.yaml > k.dec.yaml && cmp c.yaml k.dec.yaml'

t_expect "set changes one value line (plus mac/lastmodified), nothing else" '
	cp c.enc.yaml s.yaml && "$GITSEAL" sops set s.yaml "[\"stringData\"][\"port\"]" 6543 &&
	[ "$(changed c.enc.yaml s.yaml)" = 4 ] && diff c.enc.yaml s.yaml | grep -q "^>   port: ENC" &&
	"$GITSEAL" sops -d s.yaml > s.dec && sed "s/port: 5432/port: 6543/" c.yaml > want && cmp want s.dec'

t_expect "set of a new key appends it with the siblings indentation" '
	cp c.enc.yaml n.yaml && "$GITSEAL" sops set n.yaml "[\"stringData\"][\"token\"]" "\"abc\"" &&
	grep -q "^  token: ENC\[" n.yaml && "$GITSEAL" sops -d n.yaml > n.dec && grep -q "^  token: abc" n.dec &&
	grep -q "^  # the password" n.dec && grep -q "^    - one  # first" n.dec'

t_expect "unset removes the entry and nothing else" '
	cp c.enc.yaml u.yaml && "$GITSEAL" sops unset u.yaml "[\"stringData\"][\"port\"]" &&
	[ "$(changed c.enc.yaml u.yaml)" = 3 ] && "$GITSEAL" sops -d u.yaml > u.dec && grep -v "port: 5432" c.yaml > want && cmp want u.dec'

t_expect "updatekeys rewrites only the sops block" '
	cp c.enc.yaml up.yaml && printf "creation_rules:\n  - age: %s,%s\n" "$(age-keygen -y k1.txt)" "$(age-keygen -y k2.txt)" > .sops.yaml &&
	"$GITSEAL" sops updatekeys -y up.yaml 2>/dev/null && rm .sops.yaml &&
	sed "/^sops:/,\$d" c.enc.yaml > a && sed "/^sops:/,\$d" up.yaml > b && cmp a b &&
	SOPS_AGE_KEY_FILE=k2.txt "$GITSEAL" sops -d up.yaml > up.dec && cmp c.yaml up.dec'

t_expect "edit: comments and layout survive, only the edited value changes" '
	cp c.enc.yaml e.yaml && EDITOR="sed -i s/line2/LINE2/" "$GITSEAL" sops edit e.yaml &&
	[ "$(changed c.enc.yaml e.yaml)" = 4 ] && "$GITSEAL" sops -d e.yaml > e.dec &&
	sed s/line2/LINE2/ c.yaml > want && cmp want e.dec'

t_expect "rotate re-encrypts values and comments with the new data key" '
	"$GITSEAL" sops -r c.enc.yaml > r.yaml && [ "$(changed c.enc.yaml r.yaml)" -gt 20 ] &&
	grep -q "^  #ENC\[" r.yaml && "$GITSEAL" sops -d r.yaml > r.dec && cmp c.yaml r.dec'

t_expect "--previous keeps the ciphertext of unchanged values" '
	sed "s/s3cr3t/n3w-s3cr3t/" c.yaml > c2.yaml && "$GITSEAL" sops -e --previous c.enc.yaml c2.yaml > c2.enc.yaml &&
	[ "$(changed c.enc.yaml c2.enc.yaml)" = 4 ] && diff c.enc.yaml c2.enc.yaml | grep -q "^>   password: ENC" &&
	"$GITSEAL" sops -d c2.enc.yaml > c2.dec && cmp c2.yaml c2.dec &&
	"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" c2.yaml > fresh.yaml && [ "$(changed c.enc.yaml fresh.yaml)" -gt 20 ]'

t_expect "in place under Git: the HEAD version plays --previous" '
	command -v git >/dev/null || exit 0
	mkdir repo && cp c.enc.yaml repo/s.yaml && cd repo && git init -q && git add s.yaml &&
	git -c user.email=t@t -c user.name=t commit -qm init && "$GITSEAL" sops -d -i s.yaml &&
	sed -i "s/port: 5432/port: 6000/" s.yaml && "$GITSEAL" sops -e -i --age "$(age-keygen -y ../k1.txt)" s.yaml &&
	[ "$(git diff --numstat s.yaml | cut -f1)" -le 4 ] && git diff s.yaml | grep -q "^+  port: ENC" &&
	"$GITSEAL" sops -d s.yaml | grep -q "port: 6000" &&
	"$GITSEAL" sops -d -i s.yaml && "$GITSEAL" sops -e -i --age "$(age-keygen -y ../k2.txt)" s.yaml &&
	[ "$(git diff --numstat s.yaml | cut -f1)" -gt 10 ] && SOPS_AGE_KEY_FILE=../k2.txt "$GITSEAL" sops -d s.yaml | grep -q "port: 6000"'

t_expect "dotenv: comment lines encrypted as sops writes them, lines kept; set changes one line" '
	printf "# database\nDB_USER=admin\n\n# the password\nDB_PASS=s3cr3t\nMULTI=a\\\\nb\n" > d.env &&
	"$GITSEAL" sops -e --age "$(age-keygen -y k1.txt)" d.env > d.enc.env &&
	grep -q "^#ENC\[AES256_GCM,.*,type:comment\]\$" d.enc.env && ! grep -q "the password" d.enc.env &&
	"$GITSEAL" sops -d d.enc.env > d.dec.env && cmp d.env d.dec.env &&
	cp d.enc.env d2.env && "$GITSEAL" sops set d2.env "[\"DB_USER\"]" "\"root\"" && [ "$(changed d.enc.env d2.env)" = 4 ] &&
	"$GITSEAL" sops -d d2.env > d2.dec && sed s/=admin/=root/ d.env > want && cmp want d2.dec'

t_expect "JSON: set and edit keep the file's indentation (2 spaces here, sops writes tabs)" '
	cp $FIXTURES/sops-upstream/secret.enc.sops392.json j.json && chmod u+w j.json &&
	SOPS_AGE_KEY_FILE=$FIXTURES/sops-upstream/key.txt "$GITSEAL" sops set j.json "[\"string\"]" "\"new\"" &&
	[ "$(changed $FIXTURES/sops-upstream/secret.enc.sops392.json j.json)" = 6 ] &&
	SOPS_AGE_KEY_FILE=$FIXTURES/sops-upstream/key.txt EDITOR="sed -i s/gotta/got/" "$GITSEAL" sops edit j.json &&
	grep -q "^  \"0word\": \"ENC" j.json && grep -q "^    \"lastmodified\"" j.json &&
	SOPS_AGE_KEY_FILE=$FIXTURES/sops-upstream/key.txt "$GITSEAL" sops -d --extract "[\"0word\"]" j.json | grep -qx "got match go"'

t_expect "peers read the commented, spliced file (sops-decoder checks the MAC)" '
	command -v node >/dev/null && have_peer sops-age || exit 0
	node $PEERS_DIR/sops-decrypt-decoder.mjs c.enc.yaml > p1.json 2>mac && contains mac "MAC OK" &&
	node $PEERS_DIR/sops-decrypt-js.mjs s.yaml > p2.json && grep -q "\"port\": 6543" p2.json'
t_done
