/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Active health-check probe engine: schedules TCP, HTTP and UDP probes, and
 * TCP SYN probes through the encapsulated path to a VIP, on the agent's single
 * epoll loop with non-blocking sockets and reports every result with its
 * latency. No rise/fall logic here: that is the breaker's job.
 */
#ifndef XLB_AGENT_HEALTH_H
#define XLB_AGENT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <xlb/types.h>

#define HEALTH_PATH_MAX 256	 /* HTTP path, NUL included */
#define HEALTH_HOST_MAX 256	 /* HTTP Host header value, NUL included */
#define HEALTH_PAYLOAD_MAX 512	 /* UDP payload sent or expected */
#define HEALTH_EXPECT_MAX 8	 /* HTTP status ranges */
#define HEALTH_REASON_MAX 128	 /* failure reason, NUL included */
#define HEALTH_FIRST_MAX_MS 100	 /* first probe within this long of health_add() */
#define HEALTH_JITTER_DEFAULT 10 /* percent of the interval, either way */

enum health_kind {
	HEALTH_NONE = 0, /* no probes: the target is accepted and never checked */
	HEALTH_TCP,	 /* connect() succeeds */
	HEALTH_HTTP,	 /* GET path answers an expected status */
	HEALTH_UDP,	 /* a datagram is answered (optionally with a given payload) */
	/* `check tcp check-via vip`: a SYN to vip:port, encapsulated to addr as the
	 * dataplane sends traffic; the backend's SYN+ACK (straight back, DSR) is a
	 * success, its RST a failure. Needs raw sockets (root or CAP_NET_RAW).
	 */
	HEALTH_TCP_VIP,
};

/* Inclusive HTTP status range; one code is lo == hi */
struct health_status_range {
	uint16_t lo;
	uint16_t hi;
};

/* What to probe and how often. Zero-initialise, then set fields. */
struct health_target {
	enum health_kind kind;
	struct xlb_addr addr; /* XLB_FAMILY_V4/V6, network order; TCP_VIP: the outer destination */
	uint16_t port;	      /* host order, 1-65535; TCP_VIP: the port on the VIP */
	uint32_t interval_ms; /* >= 1 */
	uint32_t timeout_ms;  /* >= 1; a probe running longer is aborted and fails */
	/* interval while health_set_fast() is on (backend changing state); 0 = interval_ms */
	uint32_t fast_interval_ms;
	/* +-percent of the interval, 0-50; 0 means HEALTH_JITTER_DEFAULT, negative none */
	int jitter_pct;
	/* optional: source address (family 0 = any) and device (empty = any) */
	struct xlb_addr src;
	char bind_dev[IF_NAMESIZE];
	/* HTTP: path ("" = "/"), Host header ("" = the address, with :port unless 80),
	 * healthy statuses (nr_expect 0 = 200-299)
	 */
	char path[HEALTH_PATH_MAX];
	char host[HEALTH_HOST_MAX];
	struct health_status_range expect[HEALTH_EXPECT_MAX];
	unsigned int nr_expect;
	/* UDP: payload sent; reply expected (recv_len 0 = any reply), whole or as a prefix */
	uint8_t send[HEALTH_PAYLOAD_MAX];
	uint16_t send_len;
	uint8_t recv[HEALTH_PAYLOAD_MAX];
	uint16_t recv_len;
	bool recv_prefix;
	/* TCP_VIP: the VIP (inner destination, addr's family), the encapsulation
	 * (XLB_ENCAP_IPIP: IPv4 protocol 4 / IPv6 next header 41; XLB_ENCAP_GUE: a
	 * UDP datagram to addr:gue_port holding the inner packet) and the GUE port
	 * (0 = XLB_GUE_PORT_DEFAULT). The inner source is src if given, else the
	 * address the kernel would use toward addr; bind_dev applies to the
	 * outer packet.
	 */
	struct xlb_addr vip;
	uint8_t encap;
	uint16_t gue_port;
};

/* One finished probe. tag: what the start hook returned when this probe
 * started (0 without a hook; see health_set_start_fn). ok: healthy.
 * latency_us: probe start to result (for a timeout, the time waited). reason:
 * NULL when ok, else a short lowercase string such as "connect: Connection
 * refused", "timeout after 1000ms", "http 503", "udp: no reply", "via vip:
 * connection refused", "timeout after 1000ms (via vip)" (valid during the call
 * only). The callback may call health_add/update/del/set_fast (also on id
 * itself), but not health_free.
 */
typedef void (*health_result_fn)(void *arg, uint64_t id, uint64_t tag, bool ok, uint32_t latency_us,
				 const char *reason);

/* Called as a probe of id starts, with the engine's arg; its return value
 * travels with that probe and comes back as the result's tag. The agent
 * returns the backend's breaker generation, so a result is judged against the
 * state its probe was sent in, not the one it finished in. Must not call into
 * the engine.
 */
typedef uint64_t (*health_start_fn)(void *arg, uint64_t id);

struct health;

/* Returns a new engine, or NULL with errno set. The PRNG for jitter starts from a
 * fixed seed, so a run is reproducible; see health_set_seed().
 */
struct health *health_new(health_result_fn cb, void *arg);

/* Sets (or with NULL removes) the start hook for probes started from now on */
void health_set_start_fn(struct health *h, health_start_fn fn);

/* Reseeds the jitter PRNG (the agent may use a random seed so LB nodes do not
 * probe in step). Affects delays drawn from now on.
 */
void health_set_seed(struct health *h, uint64_t seed);

/* The one fd to watch for EPOLLIN in the agent's loop (an epoll holding every
 * probe socket, an internal timerfd and, while TCP_VIP targets exist, one raw
 * TCP receive socket per family); call health_dispatch() when ready.
 */
int health_fd(const struct health *h);

/* Handles ready sockets, aborts probes past their timeout, starts due probes
 * and re-arms the timer, without blocking. now_ms is CLOCK_MONOTONIC in
 * milliseconds. Returns 0, or a negative errno if the internal epoll failed.
 */
int health_dispatch(struct health *h, uint64_t now_ms);

/* Adds target id; its first probe starts within HEALTH_FIRST_MAX_MS (jittered,
 * and no later than one interval). Returns 0, -EEXIST, -EINVAL (bad target) or
 * -ENOMEM.
 */
int health_add(struct health *h, uint64_t id, const struct health_target *t);

/* Replaces id's target. A probe in flight is dropped unreported and the next one
 * starts as after health_add(). Latency stats are kept unless the kind, address,
 * port or VIP changed. Returns 0, -ENOENT or -EINVAL.
 */
int health_update(struct health *h, uint64_t id, const struct health_target *t);

/* Stops probing id; a probe in flight is dropped unreported. 0 or -ENOENT. */
int health_del(struct health *h, uint64_t id);

/* Probe id at its fast interval while fast is true (the caller's backend is
 * changing state). Switching on brings a far-off next probe forward.
 * Returns 0 or -ENOENT.
 */
int health_set_fast(struct health *h, uint64_t id, bool fast);

/* Latency of id's last successful probe and its moving average (EWMA, 1/8 per
 * sample), in microseconds; both 0 before the first success. 0 or -ENOENT.
 */
/* Durations of a target's checks (any result: a timeout is slow), µs, in HEALTH_HIST_BUCKETS buckets of
 * upper bounds health_hist_le_us[] (cumulative counts as Prometheus wants them are
 * made by the reader), plus their sum and count */
#define HEALTH_HIST_BUCKETS 10
extern const uint32_t health_hist_le_us[HEALTH_HIST_BUCKETS];
struct health_hist {
	uint64_t bucket[HEALTH_HIST_BUCKETS + 1]; /* the last: above every bound */
	uint64_t sum_us;
	uint64_t count;
};
int health_hist(const struct health *h, uint64_t id, struct health_hist *out);

int health_stats(const struct health *h, uint64_t id, uint32_t *last_us, uint32_t *avg_us);

/* When id's next probe starts (CLOCK_MONOTONIC ms), or its running probe's
 * deadline if *inflight. 0, or -ENOENT (also for kind none).
 */
int health_next(const struct health *h, uint64_t id, uint64_t *due_ms, bool *inflight);

/* Number of targets, and of probes in flight */
unsigned int health_nr_targets(const struct health *h);
unsigned int health_nr_inflight(const struct health *h);

/* Closes every probe and frees h (NULL is fine). Not from the callback. */
void health_free(struct health *h);

#endif /* XLB_AGENT_HEALTH_H */
