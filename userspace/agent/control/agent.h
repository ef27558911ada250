/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The agent's state, built and owned by the single event loop in main.c and
 * served by the control wing: the command handlers (cmd.c), the commit
 * transaction (commit.c) and the metrics. Declarations only: no function of
 * any module here.
 */
#ifndef XLB_AGENT_CONTROL_AGENT_H
#define XLB_AGENT_CONTROL_AGENT_H

#include <stdbool.h>
#include "agent/model/config.h"
#include "agent/model/policy_model.h"
#include "agent/model/state.h"
#include "agent/dataplane/maps.h"
#include "agent/dataplane/sync.h"

#define XLB_VERSION "0.1.0"
#define XLB_JSON_SCHEMA 1 /* goes up on any breaking change of lbctl -j keys */
#define AGENT_IFACES_MAX 8

struct agent {
	struct xlb_maps *maps;
	struct sync *sync;
	struct supervise *sv;	/* health checks and breakers */
	struct config cfg;	/* the running config: what the maps hold */
	struct config file_cfg; /* --config as last read: tells a reload which drains it made */
	bool have_file_cfg;
	struct state st;	 /* the state file and its .prev */
	const char *config_path; /* --config, for agent reload / SIGHUP; may be NULL */
	const char *ifaces[AGENT_IFACES_MAX];
	int nifaces;
	struct maps_flow_count flows; /* flow-table occupancy, counted a chunk per tick */
	struct polsync *ps;	      /* publishes cfg.pol to the dataplane */
	uint64_t txn_conn;	      /* connection with an open policy transaction; 0 = none */
	struct policy txn;	      /* its staged policy (published at commit) */
	uint64_t gen;		      /* goes up with every committed change */
	uint64_t apply_conn;	      /* connection sending an apply in parts; 0 = none */
	char *apply_buf;	      /* its text so far (apply-part) */
	size_t apply_len;
	bool stop;   /* leave the loop; the dataplane keeps forwarding */
	bool detach; /* on stop, also detach the program */
};

#endif /* XLB_AGENT_CONTROL_AGENT_H */
