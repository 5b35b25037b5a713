#!/bin/sh
# What the CLI says about itself, all from the option tables: VERB --help and gitseal help VERB
# for every verb, "did you mean", missing required flags named, completion scripts for bash,
# zsh and fish that load and complete, man pages that render, make install and install-links.
. "$(dirname "$0")/../lib.sh"

verbs() { "$GITSEAL" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && $1 != "commands:" {print $1}'; }

t_expect "every verb has --help (exit 0, its own usage) and gitseal help VERB prints the same" '
	n=0 && for v in $(verbs); do
		"$GITSEAL" $v --help > h1 2>&1 || { echo "$v --help failed"; exit 1; }
		"$GITSEAL" help $v > h2 2>&1 || { echo "help $v failed"; exit 1; }
		cmp h1 h2 || { echo "$v: --help and help differ"; exit 1; }
		test -s h1 || { echo "$v: empty help"; exit 1; }
		n=$((n + 1))
	done && test $n -ge 15'

t_expect "sub-verbs too: gitseal help keys new, gitseal keys new --help; keys --help lists all its verbs" '
	"$GITSEAL" help keys new > a && "$GITSEAL" keys new --help > b && cmp a b && contains a "usage: gitseal keys new" &&
	"$GITSEAL" keys --help > k && for s in new cert backup restore; do grep -q "^  $s " k || { echo "keys --help: no $s"; exit 1; }; done &&
	"$GITSEAL" help sops updatekeys | grep -q "usage: gitseal sops updatekeys"'

t_expect "a mistyped verb: exit 2 and the closest names (git's \"did you mean\")" '
	fails_with 2 "$GITSEAL" sael 2> e && contains e "'"'"'sael'"'"' is not a gitseal command" && grep -qx "	seal" e &&
	fails_with 2 "$GITSEAL" ressal 2> e2 && grep -qx "	reseal" e2 &&
	fails_with 2 "$GITSEAL" help unsael 2> e3 && grep -qx "	unseal" e3 &&
	fails_with 2 "$GITSEAL" keys nwe 2> e4 && grep -qx "	new" e4 &&
	fails_with 2 "$GITSEAL" qqqqqqqq 2> e5 && ! grep -q "most similar" e5'

t_expect "every missing required flag is named" '
	fails_with 2 "$GITSEAL" reseal x.yaml 2> e1 && contains e1 "missing --key OLD_KEY, --cert NEW_CERT" &&
	fails_with 2 "$GITSEAL" unseal x.yaml 2> e2 && contains e2 "missing --key KEY" &&
	fails_with 2 "$GITSEAL" validate x.yaml 2> e3 && contains e3 "missing --key KEY" &&
	fails_with 2 "$GITSEAL" keys cert 2> e4 && contains e4 "missing --key KEY" &&
	fails_with 2 "$GITSEAL" completion 2> e5 && contains e5 "bash, zsh or fish"'

t_expect "bash completion: loads (bash -n), completes a verb, a sub-verb, options and their values" '
	"$GITSEAL" completion bash > c.bash && bash -n c.bash &&
	bash -c ". ./c.bash; COMP_WORDS=(gitseal rese); COMP_CWORD=1; _gitseal; echo \"\${COMPREPLY[*]}\"" > r1 && grep -qx "reseal" r1 &&
	bash -c ". ./c.bash; COMP_WORDS=(gitseal keys n); COMP_CWORD=2; _gitseal; echo \"\${COMPREPLY[*]}\"" > r2 && grep -qx "new" r2 &&
	bash -c ". ./c.bash; COMP_WORDS=(gitseal seal --sc); COMP_CWORD=2; _gitseal; echo \"\${COMPREPLY[*]}\"" > r3 && grep -qx -- "--scope" r3 &&
	bash -c ". ./c.bash; COMP_WORDS=(gitseal seal -o \"\"); COMP_CWORD=3; _gitseal; echo \"\${COMPREPLY[*]}\"" > r4 && grep -qx "json yaml" r4 &&
	bash -c ". ./c.bash; COMP_WORDS=(gitseal sops set --value-s); COMP_CWORD=3; _gitseal; echo \"\${COMPREPLY[*]}\"" > r5 && grep -qx -- "--value-stdin" r5'

t_expect "zsh completion: loads (zsh -n), and completes a verb in a real interactive zsh" '
	command -v zsh >/dev/null || { echo "zsh is not installed: make deps"; exit 1; }
	mkdir -p zf && "$GITSEAL" completion zsh > zf/_gitseal && zsh -n zf/_gitseal &&
	cat > zt.zsh <<-EOF &&
	zmodload zsh/zpty
	zpty z "zsh -f -i"
	zpty -w z "PS1=\"> \"; fpath=($TMP/zf \\\$fpath); autoload -U compinit; compinit -u -D; gitseal() { :; }; print -r -- LOADED"
	zpty -r z out "*LOADED*"
	zpty -n -w z \$'"'"'gitseal resea\t'"'"'
	zpty -r z out "*gitseal reseal*" && print -r -- COMPLETED
	zpty -d z
	EOF
	timeout 30 zsh -f zt.zsh > zout && grep -q COMPLETED zout'

t_expect "fish completion: loads (fish -n) and completes a verb and an option" '
	command -v fish >/dev/null || { echo "fish is not installed: make deps"; exit 1; }
	"$GITSEAL" completion fish > c.fish && fish -n c.fish &&
	fish -c "source c.fish; complete -C \"gitseal uns\"" | grep -q "^unseal	" &&
	fish -c "source c.fish; complete -C \"gitseal reseal --ce\"" | grep -q "^--cert	"'

t_expect "man pages: gitseal.1 and one per verb, each renders with man -l without a warning" '
	"$GITSEAL" man -o man && test -f man/gitseal.1 && n=0 &&
	for v in $(verbs); do test -f man/gitseal-$v.1 || { echo "no page for $v"; exit 1; }; n=$((n + 1)); done &&
	for f in man/*.1; do
		MANWIDTH=100 man --warnings -E UTF-8 -l "$f" > page 2> warn || { echo "$f: man failed"; exit 1; }
		test ! -s warn || { echo "$f:"; cat warn; exit 1; }
		grep -q "^NAME" page || { echo "$f: no NAME"; exit 1; }
	done &&
	MANWIDTH=100 man -l man/gitseal-reseal.1 | grep -q -- "--cert NEW_CERT" &&
	MANWIDTH=100 man -l man/gitseal.1 | grep -q "gitseal-check(1)"'

t_expect "make install (PREFIX, DESTDIR): both binaries, completion, man pages; install-links is separate" '
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$TOP" O="$O" install \
		DESTDIR="$TMP/root" PREFIX=/opt/gs > log 2>&1 || { cat log; exit 1; }
	test -x root/opt/gs/bin/gitseal && test -x root/opt/gs/bin/gitseal-controller &&
	test -f root/opt/gs/share/man/man1/gitseal.1 && test -f root/opt/gs/share/man/man1/gitseal-seal.1 &&
	test -f root/opt/gs/share/bash-completion/completions/gitseal && test -f root/opt/gs/share/zsh/site-functions/_gitseal &&
	test -f root/opt/gs/share/fish/vendor_completions.d/gitseal.fish && test ! -e root/opt/gs/bin/sops &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$TOP" O="$O" install-links \
		DESTDIR="$TMP/root" PREFIX=/opt/gs > log 2>&1 &&
	test "$(readlink root/opt/gs/bin/sops)" = gitseal && root/opt/gs/bin/kubeseal --version | grep -q "^kubeseal version" &&
	rm root/opt/gs/bin/age && echo real > root/opt/gs/bin/age &&
	! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$TOP" O="$O" install-links \
		DESTDIR="$TMP/root" PREFIX=/opt/gs > log 2>&1 && contains log "left alone" && grep -qx real root/opt/gs/bin/age'

t_done
