# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Userspace: common/ and agent/ modules become static libraries (so tests link the
# very code lbd runs); lbd and lbctl are linked from them when their main exists.
# The agent's modules live in wings by job (agent/model, dataplane, health,
# control) around the wiring at the top of agent/.

USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wformat=2 -Wshadow \
	-Wno-unused-parameter -D_GNU_SOURCE $(INCLUDES) -Iuserspace \
	$(LIBBPF_CFLAGS) $(LIBNL_CFLAGS) $(JSONC_CFLAGS) $(SYSTEMD_CFLAGS)
USER_LDLIBS := $(LIBBPF_LDLIBS) $(LIBNL_LDLIBS) $(JSONC_LDLIBS) $(SYSTEMD_LDLIBS) -lz -lm
ifeq ($(SAN),1)
USER_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
USER_LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRCS := $(wildcard userspace/common/*.c)
AGENT_SRCS  := $(filter-out userspace/agent/main.c,$(wildcard userspace/agent/*.c \
		userspace/agent/*/*.c))
CLI_SRCS    := $(wildcard userspace/cli/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
AGENT_OBJS  := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS    := $(CLI_SRCS:%.c=$(BUILD)/%.o)

LIBCOMMON := $(BUILD)/libxlbcommon.a
LIBAGENT  := $(BUILD)/libxlbagent.a
USER_LIBS := $(LIBAGENT) $(LIBCOMMON)

USER_BINS :=
ifneq ($(wildcard userspace/agent/main.c),)
USER_BINS += $(BUILD)/lbd
endif
ifneq ($(CLI_SRCS),)
USER_BINS += $(BUILD)/lbctl
endif

.PHONY: userspace lbd lbctl
userspace: $(USER_LIBS) $(USER_BINS)
lbd: $(BUILD)/lbd
lbctl: $(BUILD)/lbctl

# every userspace object may include a skeleton: build them first
$(BUILD)/userspace/%.o: userspace/%.c $(BPF_SKELS) $(BUILD)/config.mk
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBAGENT): $(AGENT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/lbd: $(BUILD)/userspace/agent/main.o $(USER_LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_LDFLAGS) -o $@ $^ $(USER_LDLIBS)

$(BUILD)/lbctl: $(CLI_OBJS) $(USER_LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_LDFLAGS) -o $@ $^ $(USER_LDLIBS)

-include $(COMMON_OBJS:.o=.d) $(AGENT_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
