# tests/: the unit runner (C); shell suites live in tests/cli, tests/interop, tests/kube.
UNIT_SRCS += $(wildcard tests/unit/*.c) $(wildcard tests/unit/*/*.c) $(wildcard tests/unit/*/*/*.c)
# unit sources live in subfolders mirroring the source tree; all include "test.h"
$(O)/tests/unit/%.o: ALL_CFLAGS += -Itests/unit

# tests/kube/*.c: C tests against a real kube-apiserver, in their own runner (the unit harness with
# its own list), run by tests/kube/t5000-client.sh while tests/run.sh has the server up.
# (.DEFAULT_GOAL: these rules come before the Makefile's `all`, which must stay the default.)
.DEFAULT_GOAL := all
KUBE_TEST_SRCS := $(wildcard tests/kube/*.c)
KUBE_TEST_OBJS := $(KUBE_TEST_SRCS:%.c=$(O)/%.o) $(O)/tests/kube/main.o
RUN_KUBE := $(O)/run-kube
$(O)/tests/kube/list.inc: $(KUBE_TEST_SRCS) tests/unit/gen-list.sh
	@mkdir -p $(dir $@)
	@sh tests/unit/gen-list.sh $(KUBE_TEST_SRCS) > $@
$(O)/tests/kube/main.o: tests/unit/main.c $(O)/tests/kube/list.inc
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -I$(O)/tests/kube -Itests/unit -MMD -MP -c -o $@ $<
$(RUN_KUBE): $(KUBE_TEST_OBJS) $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(KUBE_TEST_OBJS) $(O)/libgitseal.a $(LIBS)
test: $(RUN_KUBE)
-include $(KUBE_TEST_OBJS:.o=.d)
# tests/kube/apply/*.c: lib/apply against the real API server, in a runner of its own
# (run-kube-apply, driven by tests/kube/t5100-apply.sh; the bench b70-apply.sh uses it too).
KUBE_APPLY_SRCS := $(wildcard tests/kube/apply/*.c)
KUBE_APPLY_OBJS := $(KUBE_APPLY_SRCS:%.c=$(O)/%.o) $(O)/tests/kube/apply/main.o $(O)/tests/kube/kt.o
RUN_KUBE_APPLY := $(O)/run-kube-apply
$(O)/tests/kube/apply/list.inc: $(KUBE_APPLY_SRCS) tests/unit/gen-list.sh
	@mkdir -p $(dir $@)
	@sh tests/unit/gen-list.sh $(KUBE_APPLY_SRCS) > $@
$(O)/tests/kube/apply/main.o: tests/unit/main.c $(O)/tests/kube/apply/list.inc
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -I$(O)/tests/kube/apply -Itests/unit -MMD -MP -c -o $@ $<
$(RUN_KUBE_APPLY): $(KUBE_APPLY_OBJS) $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(KUBE_APPLY_OBJS) $(O)/libgitseal.a $(LIBS)
test: $(RUN_KUBE_APPLY)
-include $(KUBE_APPLY_OBJS:.o=.d)
# Fuzz targets (tests/fuzz/<name>_fuzz.c, found by wildcard): `make test` replays
# tests/fuzz/corpus/<name>/ through each one built with a plain main() (replay.c).
FUZZ_SRCS += $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_REPLAYS := $(FUZZ_SRCS:tests/fuzz/%_fuzz.c=$(O)/tests/fuzz/%-replay)
$(O)/tests/fuzz/%-replay: $(O)/tests/fuzz/%_fuzz.o $(O)/tests/fuzz/replay.o $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
.SECONDARY: $(FUZZ_SRCS:%.c=$(O)/%.o) $(O)/tests/fuzz/replay.o
test: $(FUZZ_REPLAYS)
-include $(FUZZ_SRCS:%.c=$(O)/%.d)
# tests/render/render_run.c: a small driver of lib/render for tests/render/t*.sh and the render bench.
RENDER_RUN := $(O)/tests/render/render-run
$(RENDER_RUN): $(O)/tests/render/render_run.o $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
test: $(RENDER_RUN)
bench: $(RENDER_RUN)
-include $(O)/tests/render/render_run.d
# tests/source/gs_source.c: lib/source from the command line (gs-source), for tests/source/t*.sh
# and tests/bench/b60-source.sh against the Git servers of tests/git/servers.sh.
GS_SOURCE := $(O)/gs-source
$(GS_SOURCE): $(O)/tests/source/gs_source.o $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
test: $(GS_SOURCE)
-include $(O)/tests/source/gs_source.d
# tests/tools/gen_app_crd.c: `make crd` writes deploy/base/crds/applications.yaml from lib/app's
# field table (test_app_crd__committed_file_is_generated fails when they differ).
GEN_APP_CRD := $(O)/gen-app-crd
$(GEN_APP_CRD): $(O)/tests/tools/gen_app_crd.o $(O)/libgitseal.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
crd: $(GEN_APP_CRD)
	@$(GEN_APP_CRD) > deploy/base/crds/applications.yaml.tmp && \
		mv deploy/base/crds/applications.yaml.tmp deploy/base/crds/applications.yaml
	@echo "  GEN     deploy/base/crds/applications.yaml"
	@$(MAKE) --no-print-directory manifests
-include $(O)/tests/tools/gen_app_crd.d
