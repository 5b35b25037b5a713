# sealer/: crypto and sealed file formats, no network (Sealed Secrets, age, SOPS).
LIB_SRCS += $(wildcard sealer/*/*.c)
