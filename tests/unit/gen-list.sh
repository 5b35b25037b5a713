#!/bin/sh
# List every `void test_<suite>__<name>(void)` for tests/unit/main.c.
grep -ho '^void test_[a-z0-9_]*__[a-z0-9_]*(void)' "$@" | sed 's/^void \(.*\)(void)/\1/' | sort -u > /tmp/.gs-list.$$
sed 's/.*/void &(void);/' /tmp/.gs-list.$$
echo 'static const struct unit_test unit_tests[] = {'
sed 's/.*/\t{ "&", & },/' /tmp/.gs-list.$$
echo '};'
rm -f /tmp/.gs-list.$$
