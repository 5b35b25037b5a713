#!/bin/sh
# The CLI's dispatch, help and usage errors.
. "$(dirname "$0")/../lib.sh"

t_expect "version prints the version" '"$GITSEAL" version | grep -q "^gitseal version "'
t_expect "help lists the commands" '"$GITSEAL" --help > out && contains out "commands:"'
t_expect "no command is a usage error (2)" 'fails_with 2 "$GITSEAL"'
t_expect "unknown command is a usage error (2)" 'fails_with 2 "$GITSEAL" frobnicate 2>err && contains err "not a gitseal command"'
t_expect "controller prints its version" '"$CONTROLLER" --version | grep -q "gitseal-controller version"'
t_done
