#!/bin/sh
# Interop with Debian's Go age 1.1.1 (age, age-keygen), both directions: binary and
# armored files at chunk boundaries, several recipients, keys from either keygen,
# passphrase files and passphrase-protected identity files (typed through a pty).
. "$(dirname "$0")/../lib.sh"

if ! have_peer age || ! have_peer age-keygen; then
	t_peer_missing "Go age interop" age
	if command -v ssh-keygen >/dev/null 2>&1; then
t_expect "ssh-ed25519 recipients and OpenSSH identities, both directions" '
	setup && rm -f ed ed.pub && ssh-keygen -q -t ed25519 -N "" -C test -f ed &&
	"$GITSEAL" age -R ed.pub -o s1 in65537 && age -d -i ed s1 | cmp - in65537 &&
	grep -q "^-> ssh-ed25519 [A-Za-z0-9+/]\{6\} [A-Za-z0-9+/]\{43\}$" s1 &&
	age -r "$(cat ed.pub)" -o s2 in65537 && "$GITSEAL" age -d -i ed s2 | cmp - in65537 &&
	"$GITSEAL" age -e -i ed -a in1 | age -d -i ed | cmp - in1'
t_expect "ssh-rsa recipients and OpenSSH RSA identities, both directions" '
	setup && rm -f rsa rsa.pub && ssh-keygen -q -t rsa -b 3072 -N "" -C test -f rsa &&
	"$GITSEAL" age -R rsa.pub -o r1 in65537 && age -d -i rsa r1 | cmp - in65537 &&
	age -R rsa.pub -o r2 in65537 && "$GITSEAL" age -d -i rsa r2 | cmp - in65537'
else
	t_peer_missing "ssh-ed25519 interop" ssh-keygen
fi
t_done
	exit
fi
PTY="python3 $TOP/tests/peers/age-pty.py"
typed() { _a=$1; shift; printf "$_a" > answers && $PTY answers tty.log -- "$@"; }
pk() { sed -n 's/^# public key: //p' "$1"; }
SIZES="0 1 65536 65537 1000000"
setup() {
	[ -f ours.key ] || "$GITSEAL" age-keygen -o ours.key 2>/dev/null
	[ -f go.key ] || age-keygen -o go.key 2>/dev/null
	for n in $SIZES; do [ -f in$n ] || head -c $n /dev/urandom > in$n; done
}

t_expect "keys: age-keygen -y agrees with ours on both kinds of key file" '
	setup && test "$(age-keygen -y ours.key)" = "$(pk ours.key)" &&
	test "$("$GITSEAL" age-keygen -y go.key)" = "$(pk go.key)" &&
	test "$("$GITSEAL" age-keygen -y go.key)" = "$(age-keygen -y go.key)"'
t_expect "Go age decrypts ours (binary and armored, 0 B .. 1 MB)" '
	setup && for n in $SIZES; do
		"$GITSEAL" age -r "$(pk go.key)" -o e$n in$n && age -d -i go.key e$n | cmp - in$n &&
		"$GITSEAL" age -a -r "$(pk go.key)" -o a$n in$n && age -d -i go.key a$n | cmp - in$n || { echo "size $n"; exit 1; }
	done'
t_expect "we decrypt Go age (binary and armored, 0 B .. 1 MB)" '
	setup && for n in $SIZES; do
		age -r "$(pk ours.key)" -o ge$n in$n && "$GITSEAL" age -d -i ours.key ge$n | cmp - in$n &&
		age -a -r "$(pk ours.key)" -o ga$n in$n && "$GITSEAL" age -d -i ours.key ga$n | cmp - in$n || { echo "size $n"; exit 1; }
	done'
t_expect "several recipients, both directions" '
	setup && age-keygen -o go2.key 2>/dev/null; "$GITSEAL" age-keygen -o ours2.key 2>/dev/null;
	"$GITSEAL" age -r "$(pk go.key)" -r "$(pk ours.key)" -r "$(pk go2.key)" -r "$(pk ours2.key)" -o m1 in65537 &&
	age -d -i go.key m1 | cmp - in65537 && age -d -i go2.key m1 | cmp - in65537 &&
	age -d -i ours.key m1 | cmp - in65537 && age -d -i ours2.key m1 | cmp - in65537 &&
	age -r "$(pk go.key)" -r "$(pk ours.key)" -r "$(pk ours2.key)" -a -o m2 in65537 &&
	"$GITSEAL" age -d -i ours2.key m2 | cmp - in65537 && "$GITSEAL" age -d -i go.key m2 | cmp - in65537'
t_expect "a Go-made file with the wrong key: same message and exit code as Go age" '
	setup && age -r "$(pk go.key)" -o w in1 &&
	fails_with 1 age -d -i ours.key w 2> goerr && fails_with 1 "$GITSEAL" age -d -i ours.key w 2> err &&
	test "$(head -n1 err)" = "$(head -n1 goerr)"'
t_expect "the same errors as Go age on truncated and tampered files" '
	setup && "$GITSEAL" age -r "$(pk ours.key)" -o t in1000000 &&
	head -c 500000 t > t1 && cp t t2 && flip_byte t2 400000 &&
	for f in t1 t2; do
		age -d -i ours.key $f > /dev/null 2> goerr; "$GITSEAL" age -d -i ours.key $f > /dev/null 2> err;
		test "$(head -n1 err)" = "$(head -n1 goerr)" || { echo "$f: ours: $(head -n1 err) / go: $(head -n1 goerr)"; exit 1; }
	done'
t_expect "passphrase files: Go age decrypts ours, we decrypt those of Go age" '
	setup && typed "correct horse\ncorrect horse\n" "$GITSEAL" age -p -o p1 in65537 < /dev/null &&
	typed "correct horse\n" age -d -o po1 p1 < /dev/null && cmp po1 in65537 &&
	typed "battery staple\nbattery staple\n" age -p -a -o p2 in65537 < /dev/null &&
	typed "battery staple\n" "$GITSEAL" age -d -o po2 p2 < /dev/null && cmp po2 in65537'
t_expect "passphrase-protected identity files: Go age uses ours, we use those of Go age" '
	setup && typed "idpw\nidpw\n" "$GITSEAL" age -p -o ours.key.age ours.key < /dev/null &&
	"$GITSEAL" age -r "$(pk ours.key)" -o x1 in1000000 &&
	typed "idpw\n" age -d -i ours.key.age -o xo1 x1 < /dev/null && cmp xo1 in1000000 &&
	typed "idpw2\nidpw2\n" age -p -a -o go.key.age go.key < /dev/null &&
	age -r "$(pk go.key)" -o x2 in1000000 &&
	typed "idpw2\n" "$GITSEAL" age -d -i go.key.age -o xo2 x2 < /dev/null && cmp xo2 in1000000'
if command -v ssh-keygen >/dev/null 2>&1; then
t_expect "ssh-ed25519 recipients and OpenSSH identities, both directions" '
	setup && rm -f ed ed.pub && ssh-keygen -q -t ed25519 -N "" -C test -f ed &&
	"$GITSEAL" age -R ed.pub -o s1 in65537 && age -d -i ed s1 | cmp - in65537 &&
	grep -q "^-> ssh-ed25519 [A-Za-z0-9+/]\{6\} [A-Za-z0-9+/]\{43\}$" s1 &&
	age -r "$(cat ed.pub)" -o s2 in65537 && "$GITSEAL" age -d -i ed s2 | cmp - in65537 &&
	"$GITSEAL" age -e -i ed -a in1 | age -d -i ed | cmp - in1'
t_expect "ssh-rsa recipients and OpenSSH RSA identities, both directions" '
	setup && rm -f rsa rsa.pub && ssh-keygen -q -t rsa -b 3072 -N "" -C test -f rsa &&
	"$GITSEAL" age -R rsa.pub -o r1 in65537 && age -d -i rsa r1 | cmp - in65537 &&
	age -R rsa.pub -o r2 in65537 && "$GITSEAL" age -d -i rsa r2 | cmp - in65537'
else
	t_peer_missing "ssh-ed25519 interop" ssh-keygen
fi
t_done
