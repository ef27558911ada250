#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# vagrant/Vagrantfile stays loadable: `vagrant validate` in vagrant/ when the vagrant
# binary is installed, else skipped with the reason. Validation only parses and checks
# the Vagrantfile: no box is fetched, no VM is created, and the version and box-update
# checks (the only network access `vagrant` makes on its own) are switched off.

load lib/assert

setup_file() {
	command -v vagrant >/dev/null ||
		xlb_skip "vagrant is not installed (optional: only vagrant/ needs it)" || return 0
	command -v timeout >/dev/null || xlb_skip "timeout (coreutils) is not installed" || return 0
}

@test "vagrant validate: vagrant/Vagrantfile is valid" {
	cd "$XLB_ROOT/vagrant" || fail "no vagrant/ directory"
	run timeout 120 env VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_BOX_UPDATE_CHECK_DISABLE=1 \
		VAGRANT_NO_COLOR=1 vagrant validate
	((status == 0)) || fail "vagrant validate exited with $status:" "$output"
}
