#!/bin/sh
# gitseal age / age-keygen on their own: keys, round trips at chunk boundaries,
# armor, recipients files, and bad input (age's wording, exit 1, no output file).
. "$(dirname "$0")/../lib.sh"

age_() { "$GITSEAL" age "$@"; }
keygen() { "$GITSEAL" age-keygen "$@"; }
newkey() { rm -f "$1" && "$GITSEAL" age-keygen -o "$1" 2>/dev/null; }
pk() { sed -n 's/^# public key: //p' "$1"; }
# mk NAME SIZE: a random file
mk() { head -c "$2" /dev/urandom > "$1"; }

t_expect "age-keygen -o writes a 0600 key file and prints the public key" '
	keygen -o k1 2> err &&
	test "$(stat -c %a k1)" = 600 &&
	grep -q "^# created: 20[0-9-]*T[0-9:]*\(Z\|[+-][0-9][0-9]:[0-9][0-9]\)$" k1 &&
	grep -q "^AGE-SECRET-KEY-1[0-9A-Z]\{58\}$" k1 &&
	test "$(sed -n "s/^Public key: //p" err)" = "$(pk k1)" &&
	pk k1 | grep -q "^age1[0-9a-z]\{58\}$"'
t_expect "age-keygen -o refuses to overwrite" '
	newkey k1 && cp k1 k1.orig &&
	fails_with 1 keygen -o k1 2> err && contains err "age-keygen: error: failed to open output file \"k1\": open k1: file exists" &&
	cmp k1 k1.orig'
t_expect "age-keygen -y prints the recipients of an identity file" '
	newkey k1 && keygen >> k1 2>/dev/null; keygen -y k1 > r &&
	test "$(wc -l < r)" = 2 && test "$(head -n1 r)" = "$(pk k1 | head -n1)" &&
	keygen -y < k1 | cmp - r'
t_expect "age-keygen -y rejects a bad identity file" '
	echo "AGE-SECRET-KEY-1QQQ" > bad && fails_with 1 keygen -y bad 2> err &&
	contains err "age-keygen: error: failed to parse input: failed to read \"bad\": error at line 1: malformed secret key"'

t_expect "round trip at the STREAM chunk boundaries (binary and armored)" '
	newkey k && R=$(pk k) &&
	for n in 0 1 65535 65536 65537 131072 200000 1048576; do
		mk in$n $n &&
		age_ -r "$R" -o e$n in$n && age_ -d -i k -o d$n e$n && cmp in$n d$n &&
		age_ -a -r "$R" in$n > a$n && head -n1 a$n | grep -qx -- "-----BEGIN AGE ENCRYPTED FILE-----" &&
		age_ -d -i k < a$n | cmp - in$n || { echo "size $n"; exit 1; }
	done'
t_expect "file sizes follow the format (header + 16 + chunks with 16-byte tags)" '
	newkey k && mk in 131072 && age_ -r "$(pk k)" in > e &&
	hdr=$(awk "/^---/{print NR; exit}" e) && hlen=$(head -n "$hdr" e | wc -c) &&
	test $(( $(wc -c < e) - hlen )) = $((16 + 2 * 65552))'
t_expect "armor lines are 64 columns" '
	newkey k && mk in 5000 && age_ -a -r "$(pk k)" in > a &&
	test "$(sed -n "2,\$p" a | grep -v "^-----" | awk "{print length}" | sort -u | tail -n1)" = 64 &&
	tail -n1 a | grep -qx -- "-----END AGE ENCRYPTED FILE-----"'
t_expect "several recipients: each identity opens the file" '
	newkey k1 && newkey k2 && newkey k3 && mk in 70000 &&
	age_ -r "$(pk k1)" -r "$(pk k2)" --recipient "$(pk k3)" -o e in &&
	test "$(grep -c "^-> X25519 " e)" = 3 &&
	for k in k1 k2 k3; do age_ --decrypt --identity $k e | cmp - in || exit 1; done'
t_expect "-R recipients file (comments, blank lines) and -e -i identity file" '
	newkey k1 && newkey k2 && mk in 1000 &&
	{ echo "# team"; echo; pk k1; } > rf && age_ -R rf -o e1 in && age_ -d -i k1 e1 | cmp - in &&
	age_ -e -i k2 -o e2 in && age_ -d -i k2 e2 | cmp - in &&
	age_ -d -i k2 -i k1 e1 | cmp - in'
t_expect "identity files with CRLF line ends" '
	newkey k && sed "s/\$/\r/" k > kcrlf && mk in 100 &&
	age_ -r "$(pk k)" in | age_ -d -i kcrlf | cmp - in'
t_expect "a large stream in constant memory (64 MiB through pipes, max RSS < 40 MiB)" '
	newkey k && R=$(pk k) &&
	python3 -c "
import resource, subprocess, sys
g, r = sys.argv[1], sys.argv[2]
enc = subprocess.Popen([g, \"age\", \"-r\", r], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
dec = subprocess.Popen([g, \"age\", \"-d\", \"-i\", \"k\"], stdin=enc.stdout, stdout=subprocess.PIPE)
enc.stdout.close()
import threading
def feed():
    block = bytes(range(256)) * 4096
    for i in range(64):
        enc.stdin.write(block)
    enc.stdin.close()
t = threading.Thread(target=feed); t.start()
n = 0
while True:
    b = dec.stdout.read(1 << 20)
    if not b: break
    n += len(b)
t.join(); assert enc.wait() == 0 and dec.wait() == 0, \"exit\"
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(n, rss)
assert n == 64 << 20, n
assert rss < 40 * 1024, rss
" "$GITSEAL" "$R"'

# ---- bad input ----
t_expect "wrong key: age's message, exit 1, no output file" '
	newkey k1 && newkey k2 && mk in 100 && age_ -r "$(pk k1)" -o e in &&
	fails_with 1 age_ -d -i k2 -o out e 2> err &&
	test "$(head -n1 err)" = "age: error: no identity matched any of the recipients" && test ! -e out'
t_expect "truncated file (inside a chunk, at a chunk boundary, inside the header): error, no output" '
	newkey k && mk in 200000 && age_ -r "$(pk k)" -o e in &&
	head -c $(( $(wc -c < e) - 100 )) e > t1 && fails_with 1 age_ -d -i k -o o1 t1 2> err1 &&
	contains err1 "age: error: failed to decrypt and authenticate payload chunk" && test ! -e o1 &&
	head -c $(( $(wc -c < e) - (200000 - 3 * 65536 + 16) )) e > t2 && fails_with 1 age_ -d -i k -o o2 t2 2> err2 &&
	contains err2 "age: error: unexpected EOF" && test ! -e o2 &&
	head -c 60 e > t3 && fails_with 1 age_ -d -i k -o o3 t3 2> err3 &&
	contains err3 "age: error: failed to read header" && test ! -e o3'
t_expect "tampered chunk: only the chunks before it are released (stdout), -o keeps the old file" '
	newkey k && mk in 300000 && age_ -r "$(pk k)" -o e in &&
	hlen=$(( $(wc -c < e) - 16 - 300000 - 5 * 16 )) &&
	flip_byte e $((hlen + 16 + 2 * 65552 + 7)) &&
	rm -f out && echo old > out && fails_with 1 age_ -d -i k -o out e 2> err &&
	contains err "age: error: failed to decrypt and authenticate payload chunk" && test "$(cat out)" = old &&
	{ age_ -d -i k e > part 2>/dev/null; true; } && test "$(wc -c < part)" = 131072 &&
	head -c 131072 in | cmp - part'
t_expect "large file: a bad chunk deep inside a batch releases exactly the chunks before it" '
	newkey k && mk in 3000000 && age_ -r "$(pk k)" -o e in &&
	hlen=$(( $(wc -c < e) - 16 - 3000000 - 46 * 16 )) &&
	for c in 0 17 21 37 45; do
		cp e t && flip_byte t $((hlen + 16 + c * 65552 + 100)) &&
		{ age_ -d -i k t > part 2> err; test $? = 1; } && contains err "failed to decrypt and authenticate payload chunk" &&
		test "$(wc -c < part)" = $((c * 65536)) && head -c $((c * 65536)) in | cmp - part || { echo "chunk $c"; exit 1; }
	done'
t_expect "tampered header: bad header MAC" '
	newkey k && mk in 10 && age_ -r "$(pk k)" -r "$(pk k)" -o e in &&
	awk "NR==4{c=substr(\$0,11,1); \$0=substr(\$0,1,10) (c==\"A\" ? \"B\" : \"A\") substr(\$0,12)} {print}" e > e2 && ! cmp -s e e2 &&
	fails_with 1 age_ -d -i k e2 2> err && contains err "age: error: bad header MAC"'
t_expect "trailing data after the last chunk is an error" '
	newkey k && mk in 65536 && age_ -r "$(pk k)" -o e in && echo x >> e &&
	fails_with 1 age_ -d -i k -o o e 2> err && contains err "trailing data after end of encrypted file" && test ! -e o'
t_expect "bad armor: invalid armor, no output" '
	newkey k && mk in 1000 && age_ -a -r "$(pk k)" -o a in &&
	sed "3s/^./!/" a > a2 && fails_with 1 age_ -d -i k -o o a2 2> err && contains err "age: error: invalid armor" && test ! -e o &&
	{ cat a; echo garbage; } > a3 && fails_with 1 age_ -d -i k a3 2> err3 && contains err3 "invalid armor: trailing data after armored file"'
t_expect "not an age file" '
	newkey k && echo hello > f && fails_with 1 age_ -d -i k f 2> err &&
	contains err "age: error: failed to read header: parsing age header: unexpected intro: \"hello\\n\""'
t_expect "bad recipient strings: age's wording" '
	mk in 10 &&
	fails_with 1 age_ -r age1xyz in 2> e1 && contains e1 "age: error: malformed recipient \"age1xyz\":" &&
	fails_with 1 age_ -r foo in 2> e2 && contains e2 "age: error: unknown recipient type: \"foo\"" &&
	fails_with 1 age_ -r age1mf0cxxwlys7e469etnu3uam7r3yzm6umkhaeq3q6cn8f08ptdymsl7gc5p in 2> e3 && contains e3 "invalid checksum" &&
	echo "age1bad" > rf && fails_with 1 age_ -R rf in 2> e4 &&
	contains e4 "age: error: failed to parse recipient file \"rf\": \"rf\": malformed recipient at line 1"'
t_expect "bad identity files: age's wording" '
	newkey k && mk in 10 && age_ -r "$(pk k)" -o e in &&
	fails_with 1 age_ -d -i nope e 2> e1 && contains e1 "age: error: reading \"nope\": failed to open file: open nope: no such file or directory" &&
	echo "# nothing" > empty && fails_with 1 age_ -d -i empty e 2> e2 && contains e2 "reading \"empty\": failed to read \"empty\": no secret keys found" &&
	echo hello > junk && fails_with 1 age_ -d -i junk e 2> e3 && contains e3 "error at line 1: unknown identity type"'
t_expect "usage errors as age" '
	mk in 10 &&
	fails_with 1 age_ in 2> e1 && contains e1 "age: error: missing recipients" &&
	fails_with 1 age_ -d -r age1x in 2> e2 && contains e2 "-r/--recipient can'"'"'t be used with -d/--decrypt" &&
	fails_with 1 age_ -i k in 2> e3 && contains e3 "-i/--identity and -j can'"'"'t be used in encryption mode" &&
	fails_with 1 age_ -d -i k in extra 2> e4 && contains e4 "too many INPUT arguments" &&
	fails_with 2 age_ --bogus 2> e5 && contains e5 "flag provided but not defined: -bogus" &&
	fails_with 1 age_ 2> e6 && contains e6 "Usage:"'
t_expect "stdin cannot be both input and identity file" '
	fails_with 1 age_ -d -i - < /dev/null 2> err && contains err "standard input is used for multiple purposes"'
t_expect "-o gets mode 0666 & ~umask, and is replaced atomically" '
	newkey k && rm -f e && mk in 10 && (umask 022 && age_ -r "$(pk k)" -o e in) &&
	test "$(stat -c %a e)" = 644 && ls -a | grep -c "^\.e\." | grep -qx 0'
if command -v ssh-keygen >/dev/null 2>&1; then
t_expect "ssh-ed25519: round trip, wrong key, unsupported keys named" '
	rm -f ed ed.pub ed2 ed2.pub edpw edpw.pub && mk in 70000 &&
	ssh-keygen -q -t ed25519 -N "" -C a -f ed && ssh-keygen -q -t ed25519 -N "" -C b -f ed2 &&
	age_ -R ed.pub -o s in && age_ -d -i ed s | cmp - in &&
	fails_with 1 age_ -d -i ed2 s 2> e1 && contains e1 "age: error: no identity matched any of the recipients" &&
	ssh-keygen -q -t ed25519 -N secret -C c -f edpw &&
	fails_with 1 age_ -d -i edpw s 2> e2 && contains e2 "passphrase-protected SSH keys are not supported" &&
	fails_with 1 age_ -r "ssh-dss AAAAB3NzaC1kc3MAAACBAP" in 2> e3 && contains e3 "unknown SSH recipient type"'
t_expect "ssh-rsa: round trip (recipient and -e -i), keys under 2048 bits refused" '
	rm -f rsa rsa.pub rsa1 rsa1.pub && mk in 70000 && ssh-keygen -q -t rsa -b 2048 -N "" -C r -f rsa &&
	age_ -R rsa.pub -o s in && grep -q "^-> ssh-rsa [A-Za-z0-9+/]\{6\}$" s && age_ -d -i rsa s | cmp - in &&
	age_ -e -i rsa in | age_ -d -i rsa | cmp - in &&
	ssh-keygen -q -t rsa -b 1024 -N "" -C r -f rsa1 &&
	fails_with 1 age_ -r "$(cut -d" " -f1,2 rsa1.pub)" in 2> err && contains err "insufficient ssh-rsa key size"'
fi
t_expect "killed while writing -o: no output file, no temporary file" '
	newkey k && { cat /dev/zero | "$GITSEAL" age -r "$(pk k)" -o killed.age & } && pid=$! && sleep 1 &&
	ls -a | grep -q "^\.killed\.age\." && kill -TERM $pid; wait $pid;
	test ! -e killed.age && ! ls -a | grep -q "^\.killed\.age\."'
t_expect "a slow stream shows progress on a terminal (erased at the end), never when stderr is not one" '
	newkey k && command -v script > /dev/null &&
	printf "(head -c 3145728 /dev/zero; sleep 1; head -c 2097152 /dev/zero) | \"%s\" age -r %s -o slow.age\n" \
		"$GITSEAL" "$(pk k)" > slow.sh &&
	script -qec "sh slow.sh" /dev/null < /dev/null > tty.out && grep -q "encrypting: [0-9]* MiB" tty.out &&
	grep -q "$(printf "\r\033")\[K" tty.out && "$GITSEAL" age -d -i k slow.age | wc -c | grep -qx 5242880 &&
	GITSEAL_NO_PROGRESS=1 script -qec "sh slow.sh" /dev/null < /dev/null > tty2.out && ! grep -q encrypting tty2.out &&
	sh slow.sh 2> err && ! test -s err'
t_done
