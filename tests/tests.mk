# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Test tiers. Every runner prints TAP; scripts/run-tests.sh counts it and ends
# with "N passed, N failed, N skipped".

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
PKT_SRCS  := $(wildcard tests/bpf/*.c)
PKT_BIN   := $(BUILD)/tests/bpf/xlb_pkt_test
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)
TEST_CFLAGS := $(USER_CFLAGS) -Itests $(CMOCKA_CFLAGS)

include tests/fuzz/fuzz.mk

.PHONY: test test-unit test-bpf test-integration test-long test-fresh tests-build
tests-build: all $(UNIT_BINS) $(TOOL_BINS) $(if $(PKT_SRCS),$(PKT_BIN)) $(FUZZ_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(USER_LIBS) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(USER_LDFLAGS) -o $@ $< $(USER_LIBS) $(CMOCKA_LDLIBS) $(USER_LDLIBS)

# fixtures used by the integration tests
$(BUILD)/tests/tools/%: tests/tools/%.c $(USER_LIBS) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(USER_LDFLAGS) -o $@ $< $(USER_LIBS) $(USER_LDLIBS)

$(PKT_BIN): $(PKT_SRCS) $(wildcard tests/bpf/*.h) $(USER_LIBS) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(USER_LDFLAGS) -o $@ $(PKT_SRCS) $(USER_LIBS) $(USER_LDLIBS)

# `make test` installs what is missing first (README: both set-up commands do)
test:
	$(Q)sh scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)bash scripts/run-tests.sh all

test-unit: tests-build
	$(Q)bash scripts/run-tests.sh unit

test-bpf: tests-build
	$(Q)bash scripts/run-tests.sh bpf

test-integration: tests-build
	$(Q)bash scripts/run-tests.sh integration

test-long: tests-build
	$(Q)XLB_TEST_LONG=1 bash scripts/run-tests.sh all

# build and the unit and packet tiers in a fresh minimal Debian root holding only what
# scripts/deps.sh installs (catches a dependency the host happens to have); no build here
test-fresh:
	$(Q)bash scripts/fresh-root.sh
