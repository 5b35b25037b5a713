#!/bin/sh
# gitseal age streams in batches of 16 chunks (two buffers each way, a helper
# thread): round trips and failures at the batch edges, through files and pipes.
. "$(dirname "$0")/../lib.sh"

age_() { "$GITSEAL" age "$@"; }
newkey() { rm -f "$1" && "$GITSEAL" age-keygen -o "$1" 2>/dev/null; }
pk() { sed -n 's/^# public key: //p' "$1"; }
C=65536
E=65552 # a full encrypted chunk
# flip FILE OFFSET: invert one byte (always a change, unlike writing a fixed byte)
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d " ") &&
	printf "\\$(printf %o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

t_expect "round trips around the batch edges (files, and pipes both ways), identical to Go's reading" '
	newkey k && R=$(pk k) &&
	for n in $((15 * C)) $((16 * C)) $((17 * C + 1)) $((31 * C)) $((32 * C - 1)) $((32 * C)) $((32 * C + 1)) \
	         $((33 * C)) $((63 * C)) $((64 * C)) $((64 * C + 5)) $((97 * C + 12345)); do
		head -c $n /dev/urandom > in &&
		age_ -r "$R" -o e in && age_ -d -i k -o d e && cmp in d &&
		cat in | age_ -r "$R" | cat > e2 && cat e2 | age_ -d -i k | cmp - in &&
		test $(( $(wc -c < e) )) = $(( $(wc -c < e2) )) &&
		{ ! command -v age >/dev/null || age -d -i k e | cmp - in; } || { echo "size $n"; exit 1; }
	done'
t_expect "a bad chunk in the second or third batch releases exactly the chunks before it" '
	newkey k && head -c $((70 * C + 99)) /dev/urandom > in && age_ -r "$(pk k)" -o e in &&
	hlen=$(( $(wc -c < e) - 16 - 70 * C - 99 - 71 * 16 )) &&
	for c in 14 15 16 30 31 32 33 61 62 63 69 70; do
		cp e t && flip t $((hlen + 16 + c * E + 9)) && ! cmp -s e t &&
		{ cat t | age_ -d -i k > part 2> err; test $? = 1; } &&
		contains err "failed to decrypt and authenticate payload chunk" &&
		test "$(wc -c < part)" = $((c * C)) && head -c $((c * C)) in | cmp - part &&
		fails_with 1 age_ -d -i k -o out t 2>/dev/null && test ! -e out || { echo "chunk $c"; exit 1; }
	done'
t_expect "a full final chunk followed by trailing data inside a batch: trailing data error" '
	newkey k && head -c $((40 * C)) /dev/urandom > in && age_ -r "$(pk k)" -o e in &&
	cp e t && head -c 100 /dev/urandom >> t &&
	{ age_ -d -i k t > part 2> err; test $? = 1; } &&
	contains err "trailing data after end of encrypted file" && cmp part in &&
	fails_with 1 age_ -d -i k -o out t 2>/dev/null && test ! -e out'
t_expect "truncated at a chunk boundary inside a later batch: error, no output file" '
	newkey k && head -c $((70 * C)) /dev/urandom > in && age_ -r "$(pk k)" -o e in &&
	hlen=$(( $(wc -c < e) - 16 - 70 * E )) &&
	for c in 31 32 45 64; do
		head -c $((hlen + 16 + c * E)) e > t &&
		{ age_ -d -i k t > part 2> err; test $? = 1; } && contains err "age: error:" &&
		test "$(wc -c < part)" -le $((c * C)) && head -c "$(wc -c < part)" in | cmp - part &&
		fails_with 1 age_ -d -i k -o out t 2>/dev/null && test ! -e out || { echo "chunk $c"; exit 1; }
	done'
t_done
