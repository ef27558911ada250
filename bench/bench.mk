# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Benchmarks: build/bench/<name> from bench/<name>.c; `make bench` runs them.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_SRCS := $(filter-out %.bpf.c,$(BENCH_SRCS))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

.PHONY: bench bench-build
bench-build: all $(BENCH_BINS)
bench: bench-build
	$(Q)bash bench/run.sh

$(BUILD)/bench/%: bench/%.c bench/bench_common.h $(USER_LIBS) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests $(USER_LDFLAGS) -o $@ $< $(USER_LIBS) $(USER_LDLIBS)
