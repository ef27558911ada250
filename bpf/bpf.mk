# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# BPF objects: bpf/*.bpf.c and bench/*.bpf.c -> build/*.bpf.o -> build/*.skel.h

BPF_SRCS  := $(wildcard bpf/*.bpf.c) $(wildcard bench/*.bpf.c)
BPF_NAMES := $(notdir $(BPF_SRCS:.bpf.c=))
BPF_OBJS  := $(addprefix $(BUILD)/,$(addsuffix .bpf.o,$(BPF_NAMES)))
BPF_SKELS := $(addprefix $(BUILD)/,$(addsuffix .skel.h,$(BPF_NAMES)))
BPF_HDRS  := $(wildcard bpf/lib/*.h headers/xlb/*.h)

BPF_CFLAGS ?= -g -O2 -Wall -Wextra -Werror -Wno-unused-parameter
BPF_CFLAGS += -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ibpf -Iheaders $(EXTRA_BPF_CFLAGS)

.PHONY: bpf
bpf: $(BPF_OBJS) $(BPF_SKELS)

$(BUILD)/%.tmp.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/config.mk
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

$(BUILD)/%.tmp.bpf.o: bench/%.bpf.c $(BPF_HDRS) $(BUILD)/config.mk
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

# `bpftool gen object` links (and strips DWARF dupes) into the final object
$(BUILD)/%.bpf.o: $(BUILD)/%.tmp.bpf.o
	$(call msg,GENOBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

.SECONDARY: $(BPF_NAMES:%=$(BUILD)/%.tmp.bpf.o)
