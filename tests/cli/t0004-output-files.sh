#!/bin/sh
# Output files: written in place when they are devices or FIFOs (a temp file
# renamed over /dev/null would replace the device when run as root), through
# symlinks to their target (the link stays), atomically otherwise.
. "$(dirname "$0")/../lib.sh"

t_expect "setup: a key, a Secret" '
	"$GITSEAL" keys new --out-dir "$TMP" >/dev/null 2>&1 && "$GITSEAL" age-keygen -o "$TMP/age.txt" 2>/dev/null &&
	printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\nstringData:\n  a: b\n" > "$TMP/s.yaml"'
t_expect "seal -w FIFO: written through the FIFO, which stays a FIFO" '
	mkfifo f && { cat f > got & } && "$GITSEAL" seal --cert tls.crt -f s.yaml -w f && wait &&
	test -p f && grep -q "\"kind\": \"SealedSecret\"" got'
t_expect "age -o FIFO: written through the FIFO" '
	mkfifo g && { cat g > got2 & } && echo hello | "$GITSEAL" age -r "$("$GITSEAL" age-keygen -y age.txt)" -o g && wait &&
	test -p g && "$GITSEAL" age -d -i age.txt got2 | grep -q hello'
t_expect "seal -w through a symlink replaces the target and keeps the link" '
	echo old > target.json && ln -s target.json link.json &&
	"$GITSEAL" seal --cert tls.crt -f s.yaml -w link.json && test -L link.json && grep -q SealedSecret target.json'
t_expect "age -o through a symlink replaces the target and keeps the link" '
	echo old > t.age && ln -s t.age l.age &&
	echo hi | "$GITSEAL" age -r "$("$GITSEAL" age-keygen -y age.txt)" -o l.age && test -L l.age &&
	"$GITSEAL" age -d -i age.txt t.age | grep -q hi'
t_expect "sops --output through a symlink keeps the link" '
	echo old > t.enc.yaml && ln -s t.enc.yaml l.enc.yaml &&
	"$GITSEAL" sops -e --age "$("$GITSEAL" age-keygen -y age.txt)" --output l.enc.yaml s.yaml && test -L l.enc.yaml &&
	grep -q "ENC\[AES256_GCM" t.enc.yaml'
t_done
