# keys/: key lifecycle (RSA-4096 + cert, keyring, rotation, backup), no network.
LIB_SRCS += $(wildcard keys/*.c)
