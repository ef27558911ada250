/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The agent's state, owned by the single event loop in main.c and handed to
 * the control-socket handlers in cmd.c.
 */
#ifndef XLB_AGENT_AGENT_H
#define XLB_AGENT_AGENT_H

#include <stdbool.h>
#include "agent/model/config.h"
#include "agent/dataplane/maps.h"
#include "agent/model/state.h"
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

/* Replace the running config with @next (already validated): make the maps
 * match it, persist it, then swap. On failure (the dataplane refused, or the
 * state file could not be saved: acknowledged means durable) the maps and
 * checks are brought back to the running config, which stays as it was, and
 * @next is freed. 0 or -errno (message in msg, with the real cause). */
int agent_commit(struct agent *a, struct config *next, char *msg, size_t msglen);

/* Publish the running policy (already changed in a->cfg.pol) to the dataplane
 * and persist the state. @prev is the policy before the change, taken over:
 * on failure it is put back into a->cfg.pol and published again. 0 or -errno
 * (message in msg). */
int agent_commit_policy(struct agent *a, struct policy *prev, char *msg, size_t msglen);

/* A control connection went away: its open policy transaction is dropped */
void cmd_conn_closed(void *arg, uint64_t conn);

/* Re-read --config and apply its difference like `lbctl apply`, but keep the
 * runtime drains the file does not mention (agent reload, SIGHUP); each change
 * is logged. Returns an lbctl exit code; msg says why on failure; *@data (if
 * @data) gets the changes made, as apply --dry-run, plus "kept". */
struct json_object;
int cmd_reload(struct agent *a, struct json_object **data, char *msg, size_t msglen);

/* Read --config (if any) as the reference of the next reload: drains it makes
 * are its own, the others are runtime drains. 0 or -errno */
int cmd_remember_file(struct agent *a);

/* Whether the request @argv (a JSON array of strings) only reads: shows, stats,
 * flow lookups, events, agent status, version, help, apply ... dry-run */
struct json_object;
bool cmd_is_readonly(struct json_object *argv);

/* The control-socket handler (ctl_handler_fn): lbctl's verbs on the agent side */
struct ctl_peer;
struct json_object;
int cmd_handle(void *arg, const struct ctl_peer *peer, struct json_object *argv,
	       struct json_object **data, char *msg, size_t msglen);

#endif /* XLB_AGENT_AGENT_H */
