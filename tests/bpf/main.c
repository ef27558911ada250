// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_pkt_test: BPF_PROG_RUN packet tests of xlb_xdp and xlb_decap, as TAP.
 * Loads the real objects (xlb_xdp through maps_open(), as lbd does), runs the
 * fixture tables, the multi-packet scenarios and the randomized invariants.
 * Exit status 1 if any case failed. Needs root; skips with a reason otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

int main(void)
{
	static struct env e;
	static char err[4096];
	int passed, failed, skipped;
	cpu_set_t cpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Per-CPU state (flood guard window, counters) must stay on one CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		printf("# warning: cannot pin to CPU 0: %s\n", strerror(errno));

	if (geteuid() != 0) {
		tap_skip("xlb_xdp packet tests", "requires root for BPF_PROG_RUN");
		goto out;
	}
	if (env_open(&e, err, sizeof(err))) {
		struct tcase tc;

		if (errno == EPERM) {
			tap_skip("xlb_xdp packet tests", "BPF not permitted here");
		} else {
			tap_begin(&tc, "load xlb_xdp through maps_open()");
			tap_fail(&tc, "cannot load xlb_xdp:");
			for (char *save, *l = strtok_r(err, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				tap_diag(&tc, "  %s", l);
			tap_end(&tc);
		}
	} else {
		suite_xdp(&e);
		suite_scenarios(&e);
		suite_policy(&e);
		suite_random(&e);
		env_close(&e);
	}
	suite_decap();
out:
	tap_counts(&passed, &failed, &skipped);
	printf("1..%d\n", passed + failed + skipped);
	printf("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
