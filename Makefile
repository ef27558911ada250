# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xlb: one non-recursive build. Every generated file goes under build/.
# `make help` lists the targets; V=1 shows full commands.

BUILD   ?= build
CLANG   ?= clang
CC      ?= gcc
BPFTOOL ?= bpftool
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-6s %s\n' "$(1)" "$(2)";
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

# configure: checks the toolchain once and records it in build/config.mk
$(BUILD)/config.mk: scripts/configure.sh
	$(Q)mkdir -p $(BUILD)
	$(Q)BUILD=$(BUILD) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) sh scripts/configure.sh > $@.tmp && mv $@.tmp $@
ifeq ($(filter clean help deps man,$(MAKECMDGOALS)),)
-include $(BUILD)/config.mk
endif

INCLUDES := -Iheaders -I$(BUILD)

include bpf/bpf.mk
include userspace/userspace.mk
include tests/tests.mk
include bench/bench.mk
include tests/kernels/kernels.mk
include tests/vm/vm.mk

.PHONY: all deps clean help check format demo install FORCE
all: bpf userspace

deps:
	sh scripts/deps.sh

# Installs what is missing, then runs the main job (see README).
demo:
	$(Q)sh scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/demo.sh

clean:
	rm -rf $(BUILD)

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)

check: bpf
	clang-format --dry-run -Werror $(FORMAT_SRC)
	cppcheck --quiet --error-exitcode=1 --enable=warning --inline-suppr \
		-Iheaders -D__linux__ userspace
	$(call msg,CHECK,BPF sources include no glibc header)
	$(Q)CLANG=$(CLANG) bash scripts/check-bpf-includes.sh $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) \
		-- $(BPF_SRCS)

# install: PREFIX (default /usr/local) and DESTDIR (a staging root) as usual; the
# directories below can each be overridden. An existing /etc/xlb/xlb.conf or
# /etc/default/lbd is never replaced.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= /etc
MAN_PAGES   := $(BUILD)/man/lbd.8 $(BUILD)/man/lbctl.8 $(BUILD)/man/xlb.conf.5

.PHONY: man uninstall deb
# the manual pages are README.md's lbd(8), lbctl(8) and config-format sections,
# generated (build outputs, never committed); install and deb build them
man: $(MAN_PAGES)
$(MAN_PAGES) &: README.md scripts/md2man.py
	$(call msg,MAN,$(BUILD)/man)
	$(Q)mkdir -p $(BUILD)/man
	$(Q)python3 scripts/md2man.py README.md $(BUILD)/man

# the unit, with this install's paths
$(BUILD)/lbd.service: packaging/systemd/lbd.service.in FORCE
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DEFAULTDIR@|$(SYSCONFDIR)/default|g' $< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

install: all $(BUILD)/lbd.service $(MAN_PAGES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/xlb \
		$(DESTDIR)$(SYSCONFDIR)/default
	install -m 0755 $(BUILD)/lbd $(BUILD)/lbctl $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(BUILD)/man/lbd.8 $(BUILD)/man/lbctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/man/xlb.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 scripts/lbctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/lbctl
	install -m 0644 $(BUILD)/lbd.service $(DESTDIR)$(UNITDIR)/lbd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.conf ] || \
		install -m 0644 packaging/xlb.conf $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/lbd ] || \
		install -m 0644 packaging/default/lbd $(DESTDIR)$(SYSCONFDIR)/default/lbd
	@echo 'installed; under systemd: set LBD_OPTS="--iface IFACE" in $(SYSCONFDIR)/default/lbd,'
	@echo '  then: systemctl daemon-reload && systemctl enable --now lbd'

# leaves $(SYSCONFDIR)/xlb and $(SYSCONFDIR)/default/lbd (configuration) in place
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/lbd $(DESTDIR)$(SBINDIR)/lbctl \
		$(DESTDIR)$(MANDIR)/man8/lbd.8 $(DESTDIR)$(MANDIR)/man8/lbctl.8 \
		$(DESTDIR)$(MANDIR)/man5/xlb.conf.5 $(DESTDIR)$(BASHCOMPDIR)/lbctl \
		$(DESTDIR)$(UNITDIR)/lbd.service

# build/xlb_<version>_<arch>.deb with dpkg-deb, offline (scripts/mkdeb.sh)
deb: all
	$(Q)BUILD=$(BUILD) bash scripts/mkdeb.sh

help:
	@echo 'xlb targets:'
	@echo '  all              build BPF objects, skeletons and userspace (default)'
	@echo '  bpf              build build/*.bpf.o and build/*.skel.h'
	@echo '  demo             install deps, build, balance real HTTP traffic in namespaces'
	@echo '  test             run every test tier; ends with "N passed, N failed, N skipped"'
	@echo '  test-unit        cmocka unit tests (no privileges)'
	@echo '  test-bpf         BPF_PROG_TEST_RUN packet tests (root)'
	@echo '  test-integration bats + network namespaces (root)'
	@echo '  test-long        long randomized runs and soaks'
	@echo '  test-kernels     xlb_xdp/xlb_decap load on Debian 12 and 13 kernels (QEMU, ~1 min)'
	@echo '  test-vm          xlb in 3 QEMU VMs on Debian 12 (XLB_VM_KERNEL=backports|all)'
	@echo '  vm-image         build (or find cached) the VM image of test-vm'
	@echo '  vagrant-box      the same image as a libvirt Vagrant box (vagrant/README.md)'
	@echo '  test-fresh       build, unit and packet tests in a fresh Debian root (root)'
	@echo '  bench            build and run the benchmarks (prints numbers)'
	@echo '  check            clang-format, cppcheck, no glibc headers in BPF sources'
	@echo '  format           apply clang-format'
	@echo '  install          lbd, lbctl, man pages, bash completion, systemd unit, example'
	@echo '                   config (PREFIX=/usr/local, DESTDIR=; uninstall removes them)'
	@echo '  deb              build/xlb_<version>_<arch>.deb (dpkg-deb; no network)'
	@echo '  man              build/man/*.8 *.5 from README.md (python3)'
	@echo '  deps             install Debian packages (scripts/deps.sh)'
	@echo '  clean            rm -rf build'
	@echo 'Variables: V=1 (full commands), SAN=1 (ASan+UBSan userspace), PREFIX, DESTDIR'
