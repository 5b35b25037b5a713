# controller/: gitseal-controller, the in-cluster daemon.
CTL_SRCS += $(wildcard controller/*.c)
