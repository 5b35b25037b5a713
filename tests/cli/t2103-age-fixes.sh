#!/bin/sh
# age as a new user meets it: unsupported SSH keys in a recipients file are skipped with
# age's warning, a header cut anywhere gives age's own message (checked against Go age when
# it is installed), and gitseal linked as age / age-keygen.
. "$(dirname "$0")/../lib.sh"

t_expect "setup: an age key, an ECDSA and an ed25519 SSH key, a file" '
	"$GITSEAL" age-keygen -o k.txt 2>/dev/null && "$GITSEAL" age-keygen -y k.txt > r.txt &&
	ssh-keygen -q -t ecdsa -N "" -C "" -f ec && ssh-keygen -q -t ed25519 -N "" -C "" -f ed &&
	echo "secret data" > in.txt'

t_expect "an unsupported SSH key type in a recipients file is skipped with age's warning" '
	{ cat ec.pub; cat r.txt; } > rcpts.txt &&
	"$GITSEAL" age -R rcpts.txt -o out.age in.txt 2> warn &&
	contains warn "age: warning: recipients file \"rcpts.txt\": ignoring unsupported SSH key of type \"ecdsa-sha2-nistp256\" at line 1" &&
	"$GITSEAL" age -d -i k.txt out.age | grep -qx "secret data" &&
	{ cat r.txt; cat ed.pub; } > ok.txt && "$GITSEAL" age -R ok.txt -o o2.age in.txt 2> w2 && test ! -s w2 &&
	"$GITSEAL" age -d -i ed o2.age | grep -qx "secret data"'

t_expect "a recipients file with only unsupported keys: the warning, then no recipients found; junk is still malformed" '
	cp ec.pub only.txt && fails_with 1 "$GITSEAL" age -R only.txt in.txt 2> e &&
	contains e "ignoring unsupported SSH key" && contains e "\"only.txt\": no recipients found" &&
	echo "ssh-rsa AAAAnotbase64!" > junk.txt && fails_with 1 "$GITSEAL" age -R junk.txt in.txt 2> e2 &&
	contains e2 "malformed recipient at line 1" && ! grep -q warning e2'

t_expect "a truncated header gives age's message, wherever it is cut" '
	"$GITSEAL" age -r "$(cat r.txt)" -o f.age in.txt &&
	head -c 10 f.age > t1.age && fails_with 1 "$GITSEAL" age -d -i k.txt t1.age 2> e1 &&
	contains e1 "age: error: failed to read header: parsing age header: failed to read intro: EOF" &&
	head -c 40 f.age > t2.age && fails_with 1 "$GITSEAL" age -d -i k.txt t2.age 2> e2 &&
	contains e2 "age: error: failed to read header: failed to parse header: failed to read line: EOF" &&
	n=$(grep -abo -- "---" f.age | head -n1 | cut -d: -f1) && head -c $((n + 10)) f.age > t3.age &&
	fails_with 1 "$GITSEAL" age -d -i k.txt t3.age 2> e3 && contains e3 "age: error: failed to read header: failed to read header: EOF"'

if have_peer age; then
t_expect "every cut of the header: the same first line as Go age" '
	n=$(grep -abo -- "---" f.age | head -n1 | cut -d: -f1) && end=$((n + 48)) && i=1 && bad=0 &&
	while [ $i -lt $end ]; do
		head -c $i f.age > cut.age
		a=$(age -d -i k.txt cut.age 2>&1 | head -n1); o=$("$GITSEAL" age -d -i k.txt cut.age 2>&1 | head -n1)
		[ "$a" = "$o" ] || { echo "cut at $i: age: $a / gitseal: $o"; bad=1; }
		i=$((i + 1))
	done; test $bad = 0'
else
	t_peer_missing "every cut of the header: the same first line as Go age" age
fi

t_expect "linked as age and age-keygen: their version lines, then gitseal's" '
	ln -s "$GITSEAL" age && ln -s "$GITSEAL" age-keygen &&
	./age --version > v && head -n1 v | grep -qx "v1\.[0-9]*\.[0-9]*" && sed -n 2p v | grep -q "^gitseal version " &&
	./age-keygen -version > v2 && head -n1 v2 | grep -qx "v1\.[0-9]*\.[0-9]*" &&
	./age -r "$(cat r.txt)" -a in.txt > a.age && ./age -d -i k.txt a.age | grep -qx "secret data" &&
	./age-keygen -y k.txt | cmp - r.txt'

t_done
