#!/bin/sh
# Interop with typage (npm age-encryption 0.3.1, the TypeScript age), both directions:
# binary and armored, chunk boundaries, several recipients, passphrases.
. "$(dirname "$0")/../lib.sh"

if ! have_peer age-encryption || ! command -v node >/dev/null 2>&1; then
	t_peer_missing "typage interop" age-encryption
	t_done
	exit
fi
ENC="node $PEERS_DIR/age-encrypt-typage.mjs"
DEC="node $PEERS_DIR/age-decrypt-typage.mjs"
pk() { sed -n 's/^# public key: //p' "$1"; }
SIZES="0 65536 65537 1000000"
setup() {
	[ -f k1 ] || "$GITSEAL" age-keygen -o k1 2>/dev/null
	[ -f k2 ] || "$GITSEAL" age-keygen -o k2 2>/dev/null
	for n in $SIZES; do [ -f in$n ] || head -c $n /dev/urandom > in$n; done
}

t_expect "typage decrypts ours (binary and armored, 0 B .. 1 MB)" '
	setup && for n in $SIZES; do
		"$GITSEAL" age -r "$(pk k1)" in$n | $DEC k1 | cmp - in$n &&
		"$GITSEAL" age -a -r "$(pk k1)" in$n | $DEC k1 | cmp - in$n || { echo "size $n"; exit 1; }
	done'
t_expect "we decrypt typage (binary and armored, 0 B .. 1 MB)" '
	setup && for n in $SIZES; do
		$ENC -r "$(pk k1)" < in$n > e$n && "$GITSEAL" age -d -i k1 e$n | cmp - in$n &&
		$ENC -a -r "$(pk k1)" < in$n > a$n && "$GITSEAL" age -d -i k1 a$n | cmp - in$n || { echo "size $n"; exit 1; }
	done'
t_expect "several recipients, both directions" '
	setup && "$GITSEAL" age -r "$(pk k1)" -r "$(pk k2)" -o m1 in65537 &&
	$DEC k1 < m1 | cmp - in65537 && $DEC k2 < m1 | cmp - in65537 &&
	$ENC -r "$(pk k1)" -r "$(pk k2)" < in65537 > m2 &&
	"$GITSEAL" age -d -i k1 m2 | cmp - in65537 && "$GITSEAL" age -d -i k2 m2 | cmp - in65537'
t_expect "passphrase files both ways (typage work factor 18)" '
	setup && export AGE_TEST_PASS="open sesame" &&
	printf "open sesame\nopen sesame\n" > answers &&
	python3 "$TOP/tests/peers/age-pty.py" answers tty.log -- "$GITSEAL" age -p -o p1 in65537 < /dev/null &&
	$DEC --passphrase-env AGE_TEST_PASS < p1 | cmp - in65537 &&
	$ENC --passphrase-env AGE_TEST_PASS -a < in65537 > p2 &&
	printf "open sesame\n" > answers &&
	python3 "$TOP/tests/peers/age-pty.py" answers tty.log -- "$GITSEAL" age -d -o po2 p2 < /dev/null && cmp po2 in65537'
t_expect "typage rejects our truncated file, we reject its truncated file" '
	setup && "$GITSEAL" age -r "$(pk k1)" -o t in1000000 && head -c 600000 t > t1 &&
	! $DEC k1 < t1 > /dev/null 2>&1 &&
	$ENC -r "$(pk k1)" < in1000000 > t2 && head -c 600000 t2 > t3 &&
	fails_with 1 "$GITSEAL" age -d -i k1 -o o t3 2> err && contains err "age: error:" && test ! -e o'
t_done
