/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* options: lbd's command line (lbd --help), parsed into struct opts and the
 * agent's interfaces; a usage error is one log line and exit status 2.
 */
#ifndef XLB_AGENT_OPTIONS_H
#define XLB_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "agent/control/agent.h"

struct opts {
	const char *config, *state, *socket, *pin_dir, *group;
	const char *src4, *src6;
	const char *metrics;
	const char *check; /* --check-config FILE */
	bool generic, use_prev;
	uint16_t gue_port;
	uint32_t flood_rate, flow_max, icmp_rate, icmp_burst;
	uint32_t be_max;  /* --max-backends; 0 = as pinned, else XLB_MAX_BACKENDS */
	uint32_t log_buf; /* --log-buffer */
};

/* Parse argv into @o (defaults already set by the caller) and @a's interfaces;
 * sets the log level. Exits: 0 after --help, 2 on a usage error. */
void options_parse(int argc, char **argv, struct opts *o, struct agent *a);

/* A usage error: one log line (time and level, as every line lbd writes), exit 2 */
void __attribute__((format(printf, 1, 2), noreturn)) options_die_usage(const char *fmt, ...);

#endif /* XLB_AGENT_OPTIONS_H */
