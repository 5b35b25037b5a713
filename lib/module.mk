# lib/: what the CLI and the controller share (core, doc, net, kube, and the GitOps stages).
# Every lib/<module>/*.c joins libgitseal.a with sealer/ and keys/.
LIB_SRCS += $(wildcard lib/*/*.c)
