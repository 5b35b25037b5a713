#!/bin/sh
# gitseal sops edit (and bare FILE): plaintext only in a 0600 file of a fresh 0700 tmpfs
# directory, wiped and removed on every exit path; unchanged values keep their ciphertext.
. "$(dirname "$0")/../lib.sh"
export XDG_CONFIG_HOME="$TMP/xdg" HOME="$TMP/home"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_RECIPIENTS SOPS_CONFIG SOPS_EDITOR
export SOPS_AGE_KEY_FILE="$TMP/k1.txt"

# the "editor": records where and how it was called, then runs $EDIT_CMD on the file
cat > "$TMP/ed.sh" <<'EOF'
f=$1
ls -ld "$(dirname "$f")" > "$TMP/ed.dir"
ls -l "$f" > "$TMP/ed.file"
echo "$f" > "$TMP/ed.path"
eval "$EDIT_CMD"
EOF
export EDITOR="sh $TMP/ed.sh"

t_expect "setup" '
	age-keygen -o k1.txt 2>/dev/null && R1=$(age-keygen -y k1.txt) &&
	printf "kind: Secret\nstringData:\n  a: one\n  b: two\n  num: 5\n" > s.yaml &&
	"$GITSEAL" sops -e --age "$R1" s.yaml > e.yaml'

t_expect "edit: the change is saved, other values keep their exact ciphertext" '
	cp e.yaml e0.yaml && EDIT_CMD="sed -i s/two/TWO/ \"\$f\" && cp \"\$f\" \"\$f.swp\"" "$GITSEAL" sops edit e.yaml &&
	"$GITSEAL" sops -d e.yaml > d.yaml && contains d.yaml "b: TWO" && contains d.yaml "a: one" &&
	grep "  a: ENC" e0.yaml > a0 && grep "  a: ENC" e.yaml > a1 && cmp a0 a1 &&
	grep "  num: ENC" e0.yaml > n0 && grep "  num: ENC" e.yaml > n1 && cmp n0 n1 &&
	grep "  b: ENC" e0.yaml > b0 && grep "  b: ENC" e.yaml > b1 && ! cmp -s b0 b1'

t_expect "the plaintext lived in a 0600 file in a 0700 tmpfs directory, removed afterwards (editor swap files too)" '
	grep -q "^drwx------" ed.dir && grep -q "^-rw-------" ed.file &&
	case $(cat ed.path) in /dev/shm/*|"$XDG_RUNTIME_DIR"/*) ;; *) exit 1 ;; esac &&
	[ ! -e "$(cat ed.path)" ] && [ ! -d "$(dirname "$(cat ed.path)")" ]'

t_expect "bare FILE is edit; no change: exit 200, file untouched" '
	cp e.yaml keep.yaml && EDIT_CMD=true fails_with 200 "$GITSEAL" sops e.yaml 2>err &&
	contains err "File has not changed, exiting." && cmp e.yaml keep.yaml && [ ! -e "$(cat ed.path)" ]'

t_expect "editor fails: error, file untouched, plaintext removed" '
	EDIT_CMD="echo junk >> \"\$f\"; exit 3" fails_with 201 "$GITSEAL" sops edit e.yaml 2>err && cmp e.yaml keep.yaml &&
	[ ! -e "$(cat ed.path)" ]'

t_expect "invalid YAML after the edit: refused, file untouched" '
	EDIT_CMD="printf \"a: [\\n\" > \"\$f\"" "$GITSEAL" sops edit e.yaml 2>err; [ $? -ne 0 ] &&
	contains err "invalid syntax" && cmp e.yaml keep.yaml && [ ! -e "$(cat ed.path)" ]'

t_expect "killed while editing: the plaintext is still removed" '
	EDIT_CMD="kill -TERM \$(ps -o ppid= -p \$PPID); sleep 1" "$GITSEAL" sops edit e.yaml 2>/dev/null; [ $? -eq 143 ] &&
	[ ! -e "$(cat ed.path)" ] && cmp e.yaml keep.yaml'

t_expect "edit a new file: keys from --age, written encrypted" '
	R1=$(age-keygen -y k1.txt) && EDIT_CMD="printf \"x: 1\\npw: secret\\n\" > \"\$f\"" "$GITSEAL" sops edit --age "$R1" new.yaml &&
	contains new.yaml "pw: ENC[" && "$GITSEAL" sops -d new.yaml | grep -q "pw: secret"'

t_expect "no editor found: exit 201" '
	EDITOR= PATH=/nonexistent fails_with 201 "$GITSEAL" sops edit e.yaml 2>err && contains err "no editor available"'
t_done
