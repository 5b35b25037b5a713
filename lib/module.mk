# lib/: what the CLI and the controller share (core, doc, kube). sealer/ and keys/ join it in libgitseal.a.
LIB_SRCS += $(wildcard lib/core/*.c) $(wildcard lib/doc/*.c) $(wildcard lib/kube/*.c)
