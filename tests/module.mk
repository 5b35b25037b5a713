# tests/: the unit runner (C); shell suites live in tests/cli, tests/interop, tests/kube.
UNIT_SRCS += $(wildcard tests/unit/*.c) $(wildcard tests/unit/*/*.c)
