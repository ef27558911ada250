# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Kernel matrix: xlb_xdp and xlb_decap load on each Debian kernel we support, within
# half the verifier's budget (tests/kernels/run.sh; QEMU under TCG, ~1 min).

.PHONY: test-kernels
test-kernels: all
	$(Q)BUILD=$(BUILD) bash tests/kernels/run.sh
