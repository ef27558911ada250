# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# libFuzzer targets (tests/fuzz/*_fuzz.c), built with clang and ASan+UBSan; the
# "fuzz" tier of scripts/run-tests.sh runs each one for a bounded time against a
# scratch copy of tests/fuzz/corpus/<name>/.
#
# Whether clang can link a libFuzzer binary (Debian: libclang-rt-14-dev) is probed
# once into $(FUZZ_DIR)/libfuzzer.mk; $(FUZZ_DIR)/libfuzzer.status holds "ok" or
# the reason the targets are not built, which the fuzz tier reports as a SKIP.

FUZZ_DIR    := $(BUILD)/tests/fuzz
FUZZ_STATUS := $(FUZZ_DIR)/libfuzzer.status
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE $(INCLUDES) -Iuserspace \
	$(LIBBPF_CFLAGS) $(JSONC_CFLAGS)
FUZZ_LDLIBS := $(JSONC_LDLIBS) $(LIBBPF_LDLIBS)

# target name -> the userspace sources it links
FUZZ_ctl_SRCS     := userspace/agent/control/ctl.c userspace/common/log.c userspace/common/sockio.c \
	userspace/common/fsutil.c
FUZZ_grammar_SRCS := userspace/common/grammar.c userspace/common/parse.c userspace/common/errmsg.c \
	userspace/common/names.c

ifeq ($(filter clean help deps,$(MAKECMDGOALS)),)
-include $(FUZZ_DIR)/libfuzzer.mk
endif

# The probe: link and run a trivial fuzzer. Remade when this file changes. Its files
# are private to this make (mktemp), so concurrent builds in one tree cannot race.
$(FUZZ_DIR)/libfuzzer.mk: tests/fuzz/fuzz.mk
	$(Q)mkdir -p $(@D)
	$(Q)t=$$(mktemp -d $(@D)/probe.XXXXXX) && \
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return (int)(d && n && 0); }\n' \
		> $$t/probe.c && \
	if ! command -v $(CLANG) >/dev/null 2>&1; then \
		echo "$(CLANG) not found"; \
	elif ! $(CLANG) -fsanitize=fuzzer,address,undefined -o $$t/probe $$t/probe.c \
			> $$t/log 2>&1; then \
		echo "$(CLANG) cannot link a libFuzzer binary (make deps installs libclang-rt-14-dev; then rm $@ to probe again): $$(grep -m1 -i error $$t/log)"; \
	elif ! $$t/probe -runs=1 > $$t/log 2>&1; then \
		echo "a trivial libFuzzer binary does not run here (rm $@ to probe again): $$(grep -m1 -i error $$t/log)"; \
	else \
		echo ok; \
	fi > $$t/status && \
	if [ "$$(cat $$t/status)" = ok ]; then \
		echo 'HAVE_LIBFUZZER := 1'; \
	else \
		echo 'HAVE_LIBFUZZER := 0'; \
		echo "  fuzz targets not built: $$(cat $$t/status)" >&2; \
	fi > $$t/mk && \
	mv -f $$t/status $(FUZZ_STATUS) && mv -f $$t/mk $@ && rm -rf $$t

FUZZ_NAMES := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
ifeq ($(HAVE_LIBFUZZER),1)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%_fuzz)
else
FUZZ_BINS :=
endif

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/%_fuzz: tests/fuzz/%_fuzz.c $(BPF_SKELS) $(BUILD)/config.mk
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(FUZZ_$*_SRCS) $(FUZZ_LDLIBS)

-include $(FUZZ_BINS:=.d)
