# controller/: gitseal-controller. main.c (flags, signals, wiring) and opts.c; runtime/ is what
# every reconciler stands on; one folder per reconciler (sealedsecret/, application/ next).
CTL_SRCS += $(wildcard controller/*.c) $(wildcard controller/*/*.c)

# The unit runner links the controller (all of it but main.c) as libctl.a, before libgitseal.a.
CTL_LIB := $(O)/libctl.a
CTL_LIB_OBJS = $(filter-out $(O)/controller/main.o,$(CTL_SRCS:%.c=$(O)/%.o))
$(CTL_LIB): $(CTL_LIB_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^
$(O)/run-unit: $(CTL_LIB)
$(O)/run-unit: LIBS = $(CTL_LIB) $(O)/libgitseal.a $(PKG_LIBS) -lpthread -lm
