/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* metrics: Prometheus text exposition (format 0.0.4) of the dataplane counters
 * at `lbd --metrics ADDR:PORT`. A small HTTP/1.0 server on the agent's single
 * epoll loop: one internal epoll holds the listener and every client, all fds
 * are non-blocking, each connection gets one response and is closed.
 *
 * Metric families (every counter ends in _total):
 *   xlb_packets_total, xlb_bytes_total, xlb_new_flows_total, xlb_drops_total {vip}
 *   xlb_backend_packets_total, xlb_backend_bytes_total, xlb_backend_new_flows_total,
 *   xlb_backend_up, xlb_backend_active_flows, xlb_backend_breaker_state,
 *   xlb_backend_ejections, xlb_backend_syn_retransmits_total,
 *   xlb_backend_breaker_refused_total, xlb_backend_weight, xlb_backend_draining,
 *   xlb_backend_check_latency_seconds, xlb_backend_check_latency_avg_seconds,
 *   xlb_backend_check_duration_seconds (histogram)
 *                                                                  {vip, backend}
 *   the global counters, each in one family whose label values are disjoint
 *   outcomes (so a family sums to something): xlb_dataplane_packets_total,
 *   xlb_dataplane_verdicts_total {verdict}, xlb_dataplane_forwarded_total {method},
 *   xlb_flow_lookups_total {result}, xlb_flows_not_inserted_total {reason},
 *   xlb_fragments_total {kind}, and one family each for the others
 *   xlb_drops_by_reason_total {reason}  every drop reason (names_drop)
 *   xlb_vips, xlb_backends              configured objects
 *   xlb_flow_table_capacity             max_entries of xlb_flows
 *   xlb_flow_table_entries              occupancy, once the background count made a pass
 *   xlb_build_info {version, bpf_abi, json_schema, systemd}   always 1
 *   xlb_maglev_build_seconds            last table build (only after metrics_note_build)
 *   breaker and health transitions, refused ejections, panics, SYN bursts
 */
#ifndef XLB_AGENT_METRICS_H
#define XLB_AGENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct agent;
struct metrics;

#define METRICS_CLIENTS_MAX 64
#define METRICS_REQ_MAX 8192  /* request line and headers */
#define METRICS_IDLE_MS 10000 /* a client that has not sent its request by then is closed */

/* Listen on "127.0.0.1:19842" or "[::1]:19842" (TCP, non-blocking, CLOEXEC,
 * SO_REUSEADDR). NULL with errno set (the reason is logged). */
struct metrics *metrics_open(const char *addr_port);
/* The one fd to watch for EPOLLIN in the agent's loop */
int metrics_fd(const struct metrics *m);
/* Accepts, reads, answers and closes clients without blocking. Serves
 * `GET /metrics` (200), other paths 404, other methods 405, garbage 400. */
void metrics_dispatch(struct metrics *m, struct agent *a);
/* Optional, from the 1 s timer: closes clients idle for METRICS_IDLE_MS.
 * (metrics_dispatch also does this whenever it runs.) */
void metrics_tick(struct metrics *m, uint64_t now_ms);
/* Record how long the last Maglev table build took (xlb_maglev_build_seconds) */
void metrics_note_build(struct metrics *m, uint64_t ns);
void metrics_close(struct metrics *m);

/* ---- pure pieces (unit-tested) ---- */

/* Growing text buffer: after the first failure err stays set and writes are ignored */
struct metrics_buf {
	char *data;
	size_t len, cap;
	int err; /* 0, -ENOMEM or -EINVAL (bad metric or label name) */
};

void metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void metrics_buf_free(struct metrics_buf *b);
/* Append @s as a label value: backslash, double quote and newline escaped */
void metrics_buf_label_value(struct metrics_buf *b, const char *s);
/* "# HELP name help" (help escaped: backslash, newline) and "# TYPE name type" */
void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help);
/* One sample line: name{k="v",...} value. @labels is k, v, k, v, ..., NULL
 * (NULL or empty: no braces). Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and
 * label names [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__"), else b->err = -EINVAL. */
void metrics_sample(struct metrics_buf *b, const char *name, const char *const *labels,
		    uint64_t value);
/* Same, with a decimal fixed-point value: @num / 10^@decimals (e.g. ns as seconds) */
void metrics_sample_fixed(struct metrics_buf *b, const char *name, const char *const *labels,
			  uint64_t num, unsigned int decimals);

/* HTTP request head in @buf (@len bytes, not NUL-terminated). Returns 0 while the
 * head (ending in an empty line) is incomplete, else the status to answer: 200
 * for "GET /metrics HTTP/1.x" (a query string is ignored), 404 other path, 405
 * other method, 400 malformed. */
int metrics_parse_request(const char *buf, size_t len);

#endif /* XLB_AGENT_METRICS_H */
