/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lbd's control-socket server (protocol in common/ctl_proto.h): accepts lbctl
 * connections on the agent's single epoll loop, checks and audit-logs every request
 * and hands its argv to one handler. No threads; every fd is non-blocking.
 */
#ifndef XLB_AGENT_CTL_H
#define XLB_AGENT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "common/ctl_proto.h"

struct ctl_server;

/* Credentials of a connected client, from SO_PEERCRED at accept time */
struct ctl_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint64_t conn; /* this connection: 1, 2, ... unique while lbd runs */
};

/* Handles one checked request. argv_array is a non-empty array of strings (borrowed).
 * Returns an enum ctl_code. On success it may set *data to a new JSON value (the
 * server takes the reference; NULL sends null). On error it writes a message of the
 * shape "object: what: reason" into msg (msglen bytes); *data is then ignored, and
 * it may set *errname to the cause's errno name (a static string, e.g. "ENOSPC";
 * left NULL, the code's default name is sent).
 * The server logs the request; the handler does not.
 */
typedef int (*ctl_handler_fn)(void *arg, const struct ctl_peer *peer,
			      struct json_object *argv_array, struct json_object **data, char *msg,
			      size_t msglen, const char **errname);

/* Creates the socket at path (its parent directory 0755 if missing), mode 0660,
 * group 'group' unless it is -1. Refuses with EADDRINUSE if another process serves
 * path; replaces a stale socket file; refuses with EEXIST if path is not a socket.
 * Peers with uid 0, lbd's own uid, or membership in 'group' may use it.
 * Returns the server, or NULL with errno set (the reason is logged).
 */
struct ctl_server *ctl_open(const char *path, long group, ctl_handler_fn fn, void *arg);

/* @fn is called with the connection id whenever a client goes away (closed by
 * either side), so state a handler keeps per connection can be dropped. */
void ctl_set_close_hook(struct ctl_server *srv, void (*fn)(void *arg, uint64_t conn));

/* @fn tells whether a request only reads: it is logged at debug level, changes
 * at info (without @fn, every request at info) */
void ctl_set_readonly_fn(struct ctl_server *srv, bool (*fn)(struct json_object *argv));

/* The one fd to watch for EPOLLIN in the agent's loop; call ctl_dispatch() when ready */
int ctl_fd(const struct ctl_server *srv);

/* Accepts clients, reads, answers complete requests and flushes output, without
 * blocking. Returns 0, or a negative errno if the internal epoll failed.
 */
int ctl_dispatch(struct ctl_server *srv);

/* Whether requests wait that the next ctl_dispatch() would answer without any
 * new event (changes are made a few per dispatch): call it again soon */
bool ctl_pending(const struct ctl_server *srv);

/* Closes clients with no complete request for CTL_IDLE_MS (and clients that stopped
 * reading their responses). now_ms is CLOCK_MONOTONIC in milliseconds.
 */
void ctl_tick(struct ctl_server *srv, uint64_t now_ms);

/* Number of connected clients (for status and tests) */
unsigned int ctl_nr_clients(const struct ctl_server *srv);

/* Closes every client and the socket, and unlinks the socket file if it is still ours */
void ctl_close(struct ctl_server *srv);

/* Parses one request line (without its '\n'; len bytes, need not be NUL-terminated).
 * On CTL_OK, *argv is a new reference to the checked argv array (caller puts it).
 * Otherwise returns CTL_E_USAGE or CTL_E_CONNECT (version mismatch), *argv is NULL
 * and msg holds the reason. Pure: no I/O, no logging (fuzzed by tests/fuzz/ctl_fuzz.c).
 */
int ctl_parse_request(const char *line, size_t len, struct json_object **argv, char *msg,
		      size_t msglen);

/* Joins argv with spaces into buf for logging, replacing control bytes with '?' and
 * truncating with "..." when it does not fit. Returns buf.
 */
char *ctl_argv_join(struct json_object *argv, char *buf, size_t buflen);

#endif /* XLB_AGENT_CTL_H */
