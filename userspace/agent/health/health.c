// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Health-check probe engine: one internal epoll holding a timerfd and every probe
 * socket, one min-heap of deadlines (next probe start, or the running probe's
 * timeout) so a dispatch costs O(k log n) for k due targets, not a scan.
 * Probes through the VIP (HEALTH_TCP_VIP) send an encapsulated SYN and share one
 * raw TCP receive socket per family; replies find their probe by port in a hash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <xlb/consts.h>

#include "common/clock.h"
#include "agent/health/health.h"
#include "agent/health/vipprobe.h"
#include "common/log.h"
#include "common/parse.h"

#define HEALTH_EVENTS 256	/* epoll events per batch */
#define HEALTH_BATCHES 8	/* batches per dispatch, so other modules get the loop */
#define HEALTH_START_BATCH 1024 /* due timers handled per dispatch (the rest: next one) */
#define HEALTH_STATUS_LINE 64	/* bytes of the HTTP reply we read at most */
#define HEALTH_REQ_MAX (HEALTH_PATH_MAX + HEALTH_HOST_MAX + 96)
#define HEALTH_EWMA_SHIFT 3 /* avg += (sample - avg) / 8, as TCP's srtt */
#define HEALTH_TAG_TIMER ((void *)&health_tag)
#define HEALTH_TAG_RX(fi) ((void *)&health_rx_tag[fi])
#define HEALTH_VWAIT 1024   /* buckets of via-VIP probes waiting, by reply port (power of 2) */
#define HEALTH_RX_BATCH 256 /* raw segments read per event (level-triggered: the rest next) */

static const char health_tag;
static const char health_rx_tag[2]; /* raw TCP receive socket, IPv4 and IPv6 */

enum phase {
	PH_IDLE = 0,  /* waiting for the next start; due = start time */
	PH_CONNECT,   /* TCP/HTTP connect in progress (EPOLLOUT) */
	PH_HTTP_SEND, /* request partly written (EPOLLOUT) */
	PH_HTTP_RECV, /* reading the status line (EPOLLIN) */
	PH_UDP_WAIT,  /* datagram sent, waiting for a reply (EPOLLIN) */
	PH_VIP_WAIT,  /* encapsulated SYN sent, waiting on the shared raw socket */
};

struct hc {
	uint64_t id;
	struct health_target t;
	struct hc *hnext; /* hash chain */
	struct hc *gnext; /* graveyard: freed at the end of dispatch */
	uint64_t due_ms;
	uint64_t start_ms;
	uint64_t start_us;
	uint64_t tag;	   /* the start hook's value for the running (or last) probe */
	uint32_t heap_idx; /* UINT32_MAX: not in the heap */
	int fd;
	enum phase ph;
	bool fast;
	bool dead;
	uint32_t last_us;
	uint32_t avg_us;
	struct health_hist hist; /* durations of the successful checks */
	uint16_t io_len;	 /* request bytes written, or status-line bytes read */
	char buf[HEALTH_STATUS_LINE];
	/* TCP_VIP: the running probe (fd holds its source port), linked in
	 * h->vwait while it waits for a reply
	 */
	struct vipprobe vp;
	struct hc *vnext;
	bool vwaiting;
};

struct health {
	health_result_fn cb;
	health_start_fn start; /* NULL: tags are 0 */
	void *arg;
	int epfd;
	int tfd;
	uint64_t armed_ms; /* timerfd expiry, 0 = disarmed */
	uint64_t rng;
	struct hc **buckets;
	uint32_t nbuckets; /* power of two */
	unsigned int nr;
	unsigned int inflight;
	struct hc **heap;
	uint32_t heap_len;
	uint32_t heap_cap;
	struct hc *grave;
	bool in_dispatch;
	/* TCP_VIP: raw TCP receive socket per family (-1: none), open while the
	 * family has targets (nvia), and the probes waiting, by reply port
	 */
	int rx[2];
	unsigned int nvia[2];
	struct hc *vwait[HEALTH_VWAIT];
	uint64_t isn_rng; /* ISNs and IPv4 ids; seeded at random, apart from the jitter */
};

/* xorshift64*: fast, seedable, good enough to spread probe times */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static uint64_t rng_next(struct health *h)
{
	return xorshift(&h->rng);
}

void health_set_seed(struct health *h, uint64_t seed)
{
	h->rng = seed ? seed : 0x9E3779B97F4A7C15ULL; /* xorshift must not be 0 */
}

static uint64_t jittered(struct health *h, const struct hc *c, uint64_t ival)
{
	int pct = c->t.jitter_pct ? c->t.jitter_pct : HEALTH_JITTER_DEFAULT;
	uint64_t j;

	if (pct < 0)
		return ival;
	j = ival * (uint64_t)pct / 100;
	return ival - j + rng_next(h) % (2 * j + 1);
}

static uint64_t cur_interval(const struct hc *c)
{
	if (c->fast && c->t.fast_interval_ms)
		return c->t.fast_interval_ms;
	return c->t.interval_ms;
}

/* ---- min-heap on due_ms ---- */

static void heap_set(struct health *h, uint32_t i, struct hc *c)
{
	h->heap[i] = c;
	c->heap_idx = i;
}

static void heap_up(struct health *h, uint32_t i)
{
	struct hc *c = h->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (h->heap[p]->due_ms <= c->due_ms)
			break;
		heap_set(h, i, h->heap[p]);
		i = p;
	}
	heap_set(h, i, c);
}

static void heap_down(struct health *h, uint32_t i)
{
	struct hc *c = h->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, m = l;

		if (l >= h->heap_len)
			break;
		if (l + 1 < h->heap_len && h->heap[l + 1]->due_ms < h->heap[l]->due_ms)
			m = l + 1;
		if (c->due_ms <= h->heap[m]->due_ms)
			break;
		heap_set(h, i, h->heap[m]);
		i = m;
	}
	heap_set(h, i, c);
}

static int heap_reserve(struct health *h)
{
	struct hc **n;
	uint32_t cap;

	/* one slot per target, so schedule() never allocates */
	if (h->nr < h->heap_cap)
		return 0;
	cap = h->heap_cap ? h->heap_cap * 2 : 64;
	n = realloc(h->heap, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	h->heap = n;
	h->heap_cap = cap;
	return 0;
}

static void heap_remove(struct health *h, struct hc *c)
{
	uint32_t i = c->heap_idx;
	struct hc *last;

	if (i == UINT32_MAX)
		return;
	c->heap_idx = UINT32_MAX;
	last = h->heap[--h->heap_len];
	if (i == h->heap_len)
		return;
	heap_set(h, i, last);
	heap_down(h, i);
	heap_up(h, last->heap_idx);
}

/* (Re)schedules c at due; the heap slot was reserved by health_add() */
static void schedule(struct health *h, struct hc *c, uint64_t due)
{
	if (c->heap_idx == UINT32_MAX) {
		c->due_ms = due;
		heap_set(h, h->heap_len++, c);
		heap_up(h, c->heap_idx);
		return;
	}
	if (due < c->due_ms) {
		c->due_ms = due;
		heap_up(h, c->heap_idx);
	} else {
		c->due_ms = due;
		heap_down(h, c->heap_idx);
	}
}

/* ---- id hash ---- */

static uint32_t hash_id(uint64_t id)
{
	id *= 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(id >> 32);
}

static struct hc *lookup(const struct health *h, uint64_t id)
{
	struct hc *c = h->buckets[hash_id(id) & (h->nbuckets - 1)];

	while (c && c->id != id)
		c = c->hnext;
	return c;
}

static int hash_grow(struct health *h)
{
	uint32_t n = h->nbuckets * 2, i;
	struct hc **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (i = 0; i < h->nbuckets; i++) {
		struct hc *c = h->buckets[i], *next;

		for (; c; c = next) {
			uint32_t k = hash_id(c->id) & (n - 1);

			next = c->hnext;
			c->hnext = b[k];
			b[k] = c;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
	return 0;
}

static void hash_unlink(struct health *h, struct hc *c)
{
	struct hc **pp = &h->buckets[hash_id(c->id) & (h->nbuckets - 1)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
}

/* ---- timer ---- */

static void arm_timer(struct health *h)
{
	struct itimerspec its = { 0 };
	uint64_t due = h->heap_len ? h->heap[0]->due_ms : 0;

	if (due == h->armed_ms)
		return;
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000);
		its.it_value.tv_nsec = (long)(due % 1000) * 1000000;
	}
	if (timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		h->armed_ms = due;
	else
		pr_warn("health: timer: re-arm failed: %s", strerror(errno));
}

/* ---- probes ---- */

static int addr_to_sa(const struct xlb_addr *a, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == XLB_FAMILY_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, &a->addr[0], 4);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (a->family == XLB_FAMILY_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -EINVAL;
}

static void vwait_unlink(struct health *h, struct hc *c);

/* Closes the probe socket. A TCP probe closes with RST (linger 0) so 10,000
 * checks a second leave no TIME_WAIT behind to exhaust local ports.
 */
static void probe_close(struct health *h, struct hc *c)
{
	if (c->vwaiting)
		vwait_unlink(h, c);
	if (c->fd >= 0) {
		/* a TCP_VIP socket is only bound: closing it sends nothing */
		if (c->t.kind == HEALTH_TCP || c->t.kind == HEALTH_HTTP) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd); /* also leaves the epoll: the fd is never duplicated */
		c->fd = -1;
	}
	if (c->ph != PH_IDLE) {
		c->ph = PH_IDLE;
		h->inflight--;
	}
}

/* Ends the running probe, reports it and schedules the next one */
static void probe_done(struct health *h, struct hc *c, bool ok, const char *reason)
{
	uint64_t now_us = mono_us(), now_ms = now_us / 1000, next;
	uint64_t lat = now_us - c->start_us;
	uint32_t lat_us = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;

	probe_close(h, c);
	{
		unsigned int i; /* every check, whatever its result: a timeout is slow */

		for (i = 0; i < HEALTH_HIST_BUCKETS && lat_us > health_hist_le_us[i]; i++)
			;
		c->hist.bucket[i]++;
		c->hist.sum_us += lat_us;
		c->hist.count++;
	}
	if (ok) {
		c->last_us = lat_us ? lat_us : 1;
		if (!c->avg_us)
			c->avg_us = c->last_us;
		else
			c->avg_us = (uint32_t)((int64_t)c->avg_us +
					       (((int64_t)c->last_us - c->avg_us) >>
						HEALTH_EWMA_SHIFT));
	}
	/* the interval counts from the previous start, never schedules in the past */
	next = c->start_ms + jittered(h, c, cur_interval(c));
	schedule(h, c, next > now_ms ? next : now_ms);
	h->cb(h->arg, c->id, c->tag, ok, lat_us, ok ? NULL : reason);
}

static void probe_fail_errno(struct health *h, struct hc *c, const char *what, int err)
{
	char reason[HEALTH_REASON_MAX];

	snprintf(reason, sizeof(reason), "%s: %s", what, strerror(err));
	probe_done(h, c, false, reason);
}

static int watch(struct health *h, struct hc *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(h->epfd, op, c->fd, &ev) ? -errno : 0;
}

static void http_host(const struct hc *c, char *buf, size_t len)
{
	char a[PARSE_ADDR_STRLEN];

	if (c->t.host[0]) {
		snprintf(buf, len, "%s", c->t.host);
		return;
	}
	if (format_addr(&c->t.addr, a, sizeof(a)))
		a[0] = '\0';
	if (c->t.addr.family == XLB_FAMILY_V6)
		snprintf(buf, len, c->t.port == 80 ? "[%s]" : "[%s]:%u", a, c->t.port);
	else
		snprintf(buf, len, c->t.port == 80 ? "%s" : "%s:%u", a, c->t.port);
}

static int http_request(const struct hc *c, char *buf, size_t len)
{
	char host[HEALTH_HOST_MAX + PARSE_ADDR_STRLEN];

	http_host(c, host, sizeof(host));
	return snprintf(buf, len,
			"GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: xlb-health\r\n"
			"Connection: close\r\n\r\n",
			c->t.path[0] ? c->t.path : "/", host);
}

static bool http_status_ok(const struct hc *c, unsigned int code)
{
	unsigned int i;

	if (!c->t.nr_expect)
		return code >= 200 && code <= 299;
	for (i = 0; i < c->t.nr_expect; i++)
		if (code >= c->t.expect[i].lo && code <= c->t.expect[i].hi)
			return true;
	return false;
}

/* Writes the rest of the request; then waits for the reply */
static void http_send(struct health *h, struct hc *c)
{
	char req[HEALTH_REQ_MAX];
	int len = http_request(c, req, sizeof(req));
	ssize_t n;
	int err;

	if (len < 0 || len >= (int)sizeof(req)) {
		probe_done(h, c, false, "http: request too long");
		return;
	}
	n = send(c->fd, req + c->io_len, (size_t)len - c->io_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		probe_fail_errno(h, c, "http: send", errno);
		return;
	}
	c->io_len += (uint16_t)n;
	if (c->io_len < len) {
		c->ph = PH_HTTP_SEND;
		err = watch(h, c, EPOLLOUT, EPOLL_CTL_MOD);
	} else {
		c->ph = PH_HTTP_RECV;
		c->io_len = 0;
		err = watch(h, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
	}
	if (err)
		probe_fail_errno(h, c, "http: epoll", -err);
}

/* Parses "HTTP/1.x NNN" once 12 bytes are in, or fails on EOF / a full buffer */
static void http_recv(struct health *h, struct hc *c)
{
	char reason[HEALTH_REASON_MAX];
	unsigned int code;
	ssize_t n;

	n = recv(c->fd, c->buf + c->io_len, sizeof(c->buf) - 1 - c->io_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		probe_fail_errno(h, c, "http: recv", errno);
		return;
	}
	c->io_len += (uint16_t)n;
	c->buf[c->io_len] = '\0';
	if (c->io_len < 12) {
		if (n == 0)
			probe_done(h, c, false,
				   c->io_len ? "http: short status line" :
					       "http: connection closed");
		return;
	}
	if (strncmp(c->buf, "HTTP/1.", 7) || c->buf[8] != ' ' || c->buf[9] < '1' ||
	    c->buf[9] > '9' || c->buf[10] < '0' || c->buf[10] > '9' || c->buf[11] < '0' ||
	    c->buf[11] > '9') {
		probe_done(h, c, false, "http: bad status line");
		return;
	}
	code = (unsigned int)(c->buf[9] - '0') * 100 + (unsigned int)(c->buf[10] - '0') * 10 +
	       (unsigned int)(c->buf[11] - '0');
	if (http_status_ok(c, code)) {
		probe_done(h, c, true, NULL);
		return;
	}
	snprintf(reason, sizeof(reason), "http %u", code);
	probe_done(h, c, false, reason);
}

static void udp_recv(struct health *h, struct hc *c)
{
	uint8_t buf[HEALTH_PAYLOAD_MAX];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	bool ok;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		probe_fail_errno(h, c, "udp", errno); /* ECONNREFUSED: ICMP unreachable */
		return;
	}
	if (!c->t.recv_len)
		ok = true;
	else if (c->t.recv_prefix)
		ok = n >= c->t.recv_len && !memcmp(buf, c->t.recv, c->t.recv_len);
	else
		ok = n == c->t.recv_len && !memcmp(buf, c->t.recv, c->t.recv_len);
	probe_done(h, c, ok, "udp: unexpected reply");
}

/* connect() finished (EPOLLOUT or at once) */
static void connected(struct health *h, struct hc *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		probe_fail_errno(h, c, "connect", err);
		return;
	}
	if (c->t.kind == HEALTH_TCP) {
		probe_done(h, c, true, NULL);
		return;
	}
	c->io_len = 0;
	http_send(h, c);
}

static void on_event(struct health *h, struct hc *c)
{
	switch (c->ph) {
	case PH_CONNECT:
		connected(h, c);
		break;
	case PH_HTTP_SEND:
		http_send(h, c);
		break;
	case PH_HTTP_RECV:
		http_recv(h, c);
		break;
	case PH_UDP_WAIT:
		udp_recv(h, c);
		break;
	case PH_VIP_WAIT: /* answered through the shared raw socket */
	case PH_IDLE:
		break; /* dropped by a callback earlier in this batch */
	}
}

static int open_socket(const struct hc *c, int type, struct sockaddr_storage *ss, socklen_t *len,
		       const char **what)
{
	struct sockaddr_storage src;
	socklen_t srclen;
	int fam, fd;

	*what = "socket";
	fam = addr_to_sa(&c->t.addr, c->t.port, ss, len);
	if (fam < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (c->t.bind_dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->t.bind_dev,
					   (socklen_t)strnlen(c->t.bind_dev, IF_NAMESIZE))) {
		*what = "bind device";
		goto out_close;
	}
	if (c->t.src.family && (addr_to_sa(&c->t.src, 0, &src, &srclen) != fam ||
				bind(fd, (struct sockaddr *)&src, srclen))) {
		if (c->t.src.family != c->t.addr.family)
			errno = EAFNOSUPPORT;
		*what = "bind";
		goto out_close;
	}
	return fd;
out_close : {
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}
}

/* ---- TCP_VIP: a SYN through the encapsulated path ---- */

static int fidx(uint8_t family)
{
	return family == XLB_FAMILY_V6;
}

static struct hc **vwait_bucket(struct health *h, uint16_t port)
{
	return &h->vwait[port & (HEALTH_VWAIT - 1)];
}

static void vwait_link(struct health *h, struct hc *c)
{
	struct hc **b = vwait_bucket(h, c->vp.sport);

	c->vnext = *b;
	*b = c;
	c->vwaiting = true;
}

static void vwait_unlink(struct health *h, struct hc *c)
{
	struct hc **pp = vwait_bucket(h, c->vp.sport);

	while (*pp && *pp != c)
		pp = &(*pp)->vnext;
	if (*pp)
		*pp = c->vnext;
	c->vnext = NULL;
	c->vwaiting = false;
}

/* The family's raw TCP receive socket, in the epoll; only SYN+ACK and RST pass
 * its filter, so a busy host copies little. 0 or a negative errno.
 */
static int rx_open(struct health *h, int fi)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = HEALTH_TAG_RX(fi) };
	struct sock_fprog prog;
	int on = 1, fd, err;

	if (h->rx[fi] >= 0)
		return 0;
	fd = socket(fi ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	vipprobe_rx_filter(fi ? XLB_FAMILY_V6 : XLB_FAMILY_V4, &prog);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    (fi && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))) ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		close(fd);
		return err;
	}
	h->rx[fi] = fd;
	return 0;
}

static void rx_close(struct health *h, int fi)
{
	if (h->rx[fi] < 0)
		return;
	close(h->rx[fi]); /* also leaves the epoll */
	h->rx[fi] = -1;
}

/* Targets of kind TCP_VIP per family: the receive socket goes with the last */
static void via_ref(struct health *h, const struct health_target *t, int delta)
{
	int fi;

	if (t->kind != HEALTH_TCP_VIP)
		return;
	fi = fidx(t->addr.family);
	h->nvia[fi] += (unsigned int)delta;
	if (!h->nvia[fi])
		rx_close(h, fi);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static void sa_to_addr(const struct sockaddr_storage *ss, struct xlb_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = XLB_FAMILY_V6;
		memcpy(a->addr, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = XLB_FAMILY_V4;
		memcpy(a->addr, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	}
}

/* IPIP: a raw socket of protocol 4 (IPv4) or 41 (IPv6) whose payload is the
 * inner packet; the kernel writes the outer header toward @dst. Returns 0 or
 * -1 with errno set.
 */
static int ipip_send(const struct hc *c, const uint8_t *pkt, size_t len,
		     struct sockaddr_storage *dst, socklen_t dlen)
{
	struct sockaddr_storage src;
	socklen_t srclen;
	int fd, ret = -1, e;

	fd = socket(dst->ss_family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    dst->ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IPIP);
	if (fd < 0)
		return -1;
	sa_set_port(dst, 0); /* raw IPv6: a port would have to be the protocol */
	if (c->t.bind_dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->t.bind_dev,
					   (socklen_t)strnlen(c->t.bind_dev, IF_NAMESIZE)))
		goto out;
	if (c->t.src.family && (addr_to_sa(&c->t.src, 0, &src, &srclen) < 0 ||
				bind(fd, (struct sockaddr *)&src, srclen)))
		goto out;
	if (sendto(fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)dst, dlen) >= 0)
		ret = 0;
out:
	e = errno;
	close(fd);
	errno = e;
	return ret;
}

/* Sends the probe's SYN to the VIP through the backend's tunnel; the answer
 * comes to the shared receive socket (vip_rx) or the deadline fails it
 */
static void vip_start(struct health *h, struct hc *c)
{
	uint16_t gue = c->t.gue_port ? c->t.gue_port : XLB_GUE_PORT_DEFAULT, port;
	struct sockaddr_storage dst, self;
	socklen_t dlen, slen = sizeof(self);
	uint8_t pkt[VIPPROBE_SYN_MAX];
	const char *what;
	char w[32]; /* "via vip: " and open_socket's step */
	int ufd, n, err;

	err = rx_open(h, fidx(c->t.addr.family));
	if (err) {
		probe_fail_errno(h, c, "via vip: socket", -err);
		return;
	}
	/* a UDP socket connected to the backend: the inner source is what the
	 * kernel picked (or src), and GUE sends through it
	 */
	ufd = open_socket(c, SOCK_DGRAM, &dst, &dlen, &what);
	if (ufd < 0) {
		err = errno;
		snprintf(w, sizeof(w), "via vip: %s", what);
		probe_fail_errno(h, c, w, err);
		return;
	}
	sa_set_port(&dst, gue);
	if (connect(ufd, (struct sockaddr *)&dst, dlen) ||
	    getsockname(ufd, (struct sockaddr *)&self, &slen)) {
		what = "via vip: route";
		goto out_fail;
	}
	/* the source port: reserved by a bound TCP socket for the probe's life, so
	 * the kernel answers the SYN+ACK with an RST (a half-open check)
	 */
	sa_set_port(&self, 0);
	c->fd = socket(self.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&self, slen) ||
	    getsockname(c->fd, (struct sockaddr *)&self, &slen)) {
		what = "via vip: bind";
		goto out_fail;
	}
	memset(&c->vp, 0, sizeof(c->vp));
	sa_to_addr(&self, &c->vp.src, &port);
	c->vp.sport = port;
	c->vp.vip = c->t.vip;
	c->vp.dport = c->t.port;
	c->vp.isn = (uint32_t)xorshift(&h->isn_rng);
	n = vipprobe_syn(&c->vp, (uint16_t)xorshift(&h->isn_rng), pkt, sizeof(pkt));
	if (n < 0) {
		errno = -n;
		what = "via vip: packet";
		goto out_fail;
	}
	what = "via vip: send";
	if (c->t.encap == XLB_ENCAP_GUE) {
		if (send(ufd, pkt, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			goto out_fail;
	} else if (ipip_send(c, pkt, (size_t)n, &dst, dlen)) {
		goto out_fail;
	}
	close(ufd);
	vwait_link(h, c);
	return;
out_fail:
	err = errno;
	close(ufd);
	probe_fail_errno(h, c, what, err);
}

/* One received segment: the probe it answers, if any, is done */
static void vip_reply(struct health *h, const struct xlb_addr *sa, const struct xlb_addr *da,
		      const uint8_t *tcp, size_t len)
{
	int port = vipprobe_reply_port(tcp, len);
	struct hc *c;

	if (port < 0)
		return;
	for (c = *vwait_bucket(h, (uint16_t)port); c; c = c->vnext) {
		switch (vipprobe_match(&c->vp, sa, da, tcp, len)) {
		case VIPPROBE_SYNACK:
			probe_done(h, c, true, NULL);
			return;
		case VIPPROBE_RST:
			probe_done(h, c, false, "via vip: connection refused");
			return;
		case VIPPROBE_OTHER:
			break;
		}
	}
}

/* Drains (a batch of) the family's receive socket */
static void vip_rx(struct health *h, int fi)
{
	uint8_t buf[VIPPROBE_SNAP], cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	unsigned int i;

	for (i = 0; i < HEALTH_RX_BATCH && h->rx[fi] >= 0; i++) {
		struct sockaddr_in6 from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct xlb_addr sa = { 0 }, da = { 0 };
		const uint8_t *tcp = buf;
		struct cmsghdr *cm;
		size_t len;
		ssize_t n;

		n = recvmsg(h->rx[fi], &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pr_debug("health: via vip: recv failed: %s", strerror(errno));
			return;
		}
		len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
		if (!fi) { /* IPv4: the IP header comes first */
			if (vipprobe_parse4(buf, len, &sa, &da, &tcp, &len))
				continue;
			vip_reply(h, &sa, &da, tcp, len);
			continue;
		}
		/* IPv6: the TCP header; source from the name, destination from pktinfo */
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != IPPROTO_IPV6 || cm->cmsg_type != IPV6_PKTINFO)
				continue;
			da.family = XLB_FAMILY_V6;
			memcpy(da.addr, &((struct in6_pktinfo *)CMSG_DATA(cm))->ipi6_addr, 16);
		}
		if (!da.family || mh.msg_namelen < sizeof(from))
			continue;
		sa.family = XLB_FAMILY_V6;
		memcpy(sa.addr, &from.sin6_addr, 16);
		vip_reply(h, &sa, &da, tcp, len);
	}
}

static void probe_start(struct health *h, struct hc *c, uint64_t now_ms)
{
	struct sockaddr_storage ss;
	const char *what;
	socklen_t len;
	int err;

	c->start_ms = now_ms;
	c->start_us = mono_us();
	/* before anything can fail: every result carries its start's tag */
	c->tag = h->start ? h->start(h->arg, c->id) : 0;
	c->io_len = 0;
	h->inflight++;
	c->ph = c->t.kind == HEALTH_UDP	    ? PH_UDP_WAIT :
		c->t.kind == HEALTH_TCP_VIP ? PH_VIP_WAIT :
					      PH_CONNECT;
	/* the deadline holds our heap slot while the probe runs; rounded up so a
	 * timeout never fires before timeout_ms really passed
	 */
	schedule(h, c, (c->start_us + 999) / 1000 + c->t.timeout_ms);
	if (c->t.kind == HEALTH_TCP_VIP) {
		vip_start(h, c);
		return;
	}

	c->fd = open_socket(c, c->t.kind == HEALTH_UDP ? SOCK_DGRAM : SOCK_STREAM, &ss, &len,
			    &what);
	if (c->fd < 0) {
		probe_fail_errno(h, c, what, errno);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		probe_fail_errno(h, c, "connect", errno);
		return;
	}
	if (c->t.kind == HEALTH_UDP) {
		if (send(c->fd, c->t.send, c->t.send_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			probe_fail_errno(h, c, "udp: send", errno);
			return;
		}
		err = watch(h, c, EPOLLIN, EPOLL_CTL_ADD);
	} else {
		/* even a connect that finished at once reports through EPOLLOUT */
		err = watch(h, c, EPOLLOUT, EPOLL_CTL_ADD);
	}
	if (err)
		probe_fail_errno(h, c, "epoll", -err);
}

static void probe_timeout(struct health *h, struct hc *c)
{
	char reason[HEALTH_REASON_MAX];

	if (c->t.kind == HEALTH_UDP)
		snprintf(reason, sizeof(reason), "udp: no reply");
	else if (c->t.kind == HEALTH_TCP_VIP)
		snprintf(reason, sizeof(reason), "timeout after %ums (via vip)", c->t.timeout_ms);
	else
		snprintf(reason, sizeof(reason), "timeout after %ums", c->t.timeout_ms);
	probe_done(h, c, false, reason);
}

static void run_timers(struct health *h, uint64_t now_ms)
{
	unsigned int n;

	for (n = 0; n < HEALTH_START_BATCH && h->heap_len; n++) {
		struct hc *c = h->heap[0];

		if (c->due_ms > now_ms)
			break;
		if (c->ph == PH_IDLE)
			probe_start(h, c, now_ms);
		else
			probe_timeout(h, c);
	}
}

static void reap(struct health *h)
{
	while (h->grave) {
		struct hc *c = h->grave;

		h->grave = c->gnext;
		free(c);
	}
}

int health_dispatch(struct health *h, uint64_t now_ms)
{
	struct epoll_event evs[HEALTH_EVENTS];
	int b, i, n, ret = 0;

	h->in_dispatch = true;
	for (b = 0; b < HEALTH_BATCHES; b++) {
		n = epoll_wait(h->epfd, evs, HEALTH_EVENTS, 0);
		if (n < 0) {
			if (errno != EINTR)
				ret = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			struct hc *c = evs[i].data.ptr;

			if (c == HEALTH_TAG_TIMER) {
				uint64_t ticks;

				if (read(h->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					pr_warn("health: timer: read failed: %s", strerror(errno));
				h->armed_ms = 0; /* expired: re-arm below even if unchanged */
				continue;
			}
			if (c == HEALTH_TAG_RX(0) || c == HEALTH_TAG_RX(1)) {
				vip_rx(h, c == HEALTH_TAG_RX(1));
				continue;
			}
			if (!c->dead)
				on_event(h, c);
		}
		if (n < HEALTH_EVENTS)
			break;
	}
	run_timers(h, now_ms);
	arm_timer(h);
	h->in_dispatch = false;
	reap(h);
	return ret;
}

/* ---- targets ---- */

static int check_target(const struct health_target *t)
{
	unsigned int i;

	if (t->kind > HEALTH_TCP_VIP || !t->interval_ms || !t->timeout_ms || !t->port ||
	    (t->addr.family != XLB_FAMILY_V4 && t->addr.family != XLB_FAMILY_V6) ||
	    t->jitter_pct > 50 || t->nr_expect > HEALTH_EXPECT_MAX ||
	    t->send_len > HEALTH_PAYLOAD_MAX || t->recv_len > HEALTH_PAYLOAD_MAX ||
	    (t->src.family && t->src.family != t->addr.family) ||
	    !memchr(t->path, '\0', sizeof(t->path)) || !memchr(t->host, '\0', sizeof(t->host)) ||
	    !memchr(t->bind_dev, '\0', sizeof(t->bind_dev)))
		return -EINVAL;
	if (t->path[0] && t->path[0] != '/')
		return -EINVAL;
	if (t->kind == HEALTH_TCP_VIP &&
	    (t->vip.family != t->addr.family ||
	     (t->encap != XLB_ENCAP_IPIP && t->encap != XLB_ENCAP_GUE)))
		return -EINVAL;
	/* no CR/LF smuggled into the request */
	if (strpbrk(t->path, "\r\n ") || strpbrk(t->host, "\r\n "))
		return -EINVAL;
	for (i = 0; i < t->nr_expect; i++)
		if (t->expect[i].lo < 100 || t->expect[i].hi > 999 ||
		    t->expect[i].lo > t->expect[i].hi)
			return -EINVAL;
	return 0;
}

/* First probe within HEALTH_FIRST_MAX_MS (never later than one interval) */
static void schedule_first(struct health *h, struct hc *c)
{
	uint64_t span = HEALTH_FIRST_MAX_MS;

	if (c->t.kind == HEALTH_NONE) {
		heap_remove(h, c);
		return;
	}
	if (cur_interval(c) < span)
		span = cur_interval(c);
	schedule(h, c, mono_us() / 1000 + rng_next(h) % (span + 1));
	if (!h->in_dispatch)
		arm_timer(h);
}

int health_add(struct health *h, uint64_t id, const struct health_target *t)
{
	struct hc *c;
	int err;

	err = check_target(t);
	if (err)
		return err;
	if (lookup(h, id))
		return -EEXIST;
	if (h->nr >= h->nbuckets && hash_grow(h))
		return -ENOMEM;
	if (heap_reserve(h))
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->id = id;
	c->t = *t;
	c->fd = -1;
	c->heap_idx = UINT32_MAX;
	c->hnext = h->buckets[hash_id(id) & (h->nbuckets - 1)];
	h->buckets[hash_id(id) & (h->nbuckets - 1)] = c;
	h->nr++;
	via_ref(h, t, 1);
	schedule_first(h, c);
	return 0;
}

int health_update(struct health *h, uint64_t id, const struct health_target *t)
{
	struct hc *c = lookup(h, id);
	int err = check_target(t);

	if (!c)
		return -ENOENT;
	if (err)
		return err;
	probe_close(h, c);
	if (c->t.kind != t->kind || c->t.port != t->port ||
	    memcmp(&c->t.addr, &t->addr, sizeof(t->addr)) ||
	    memcmp(&c->t.vip, &t->vip, sizeof(t->vip))) {
		c->last_us = 0;
		c->avg_us = 0;
	}
	via_ref(h, t, 1); /* before the old one goes: the receive socket stays */
	via_ref(h, &c->t, -1);
	c->t = *t;
	schedule_first(h, c);
	return 0;
}

int health_del(struct health *h, uint64_t id)
{
	struct hc *c = lookup(h, id);

	if (!c)
		return -ENOENT;
	probe_close(h, c);
	heap_remove(h, c);
	hash_unlink(h, c);
	h->nr--;
	via_ref(h, &c->t, -1);
	if (h->in_dispatch) {
		/* events for c may still sit in this dispatch's batch */
		c->dead = true;
		c->gnext = h->grave;
		h->grave = c;
	} else {
		free(c);
		arm_timer(h);
	}
	return 0;
}

int health_set_fast(struct health *h, uint64_t id, bool fast)
{
	struct hc *c = lookup(h, id);
	uint64_t due;

	if (!c)
		return -ENOENT;
	if (c->fast == fast)
		return 0;
	c->fast = fast;
	if (!fast || c->ph != PH_IDLE || c->heap_idx == UINT32_MAX || !c->t.fast_interval_ms)
		return 0;
	/* bring the next probe forward, counting from the last start if there was one */
	due = (c->start_ms ? c->start_ms : mono_us() / 1000) + jittered(h, c, cur_interval(c));
	if (due < c->due_ms) {
		schedule(h, c, due);
		if (!h->in_dispatch)
			arm_timer(h);
	}
	return 0;
}

/* 0.5 ms to 5 s: a local check answers in well under a millisecond, a timeout waits
 * up to the check's timeout */
const uint32_t health_hist_le_us[HEALTH_HIST_BUCKETS] = { 500,	 1000,	 2500,	 5000,	  10000,
							  25000, 100000, 500000, 1000000, 5000000 };

int health_hist(const struct health *h, uint64_t id, struct health_hist *out)
{
	const struct hc *c = lookup(h, id);

	if (!c)
		return -ENOENT;
	*out = c->hist;
	return 0;
}

int health_stats(const struct health *h, uint64_t id, uint32_t *last_us, uint32_t *avg_us)
{
	const struct hc *c = lookup(h, id);

	if (!c)
		return -ENOENT;
	*last_us = c->last_us;
	*avg_us = c->avg_us;
	return 0;
}

int health_next(const struct health *h, uint64_t id, uint64_t *due_ms, bool *inflight)
{
	const struct hc *c = lookup(h, id);

	if (!c || c->heap_idx == UINT32_MAX)
		return -ENOENT;
	*due_ms = c->due_ms;
	*inflight = c->ph != PH_IDLE;
	return 0;
}

unsigned int health_nr_targets(const struct health *h)
{
	return h->nr;
}

unsigned int health_nr_inflight(const struct health *h)
{
	return h->inflight;
}

int health_fd(const struct health *h)
{
	return h->epfd;
}

struct health *health_new(health_result_fn cb, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = HEALTH_TAG_TIMER };
	struct health *h;
	int err;

	if (!cb) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->cb = cb;
	h->arg = arg;
	h->tfd = -1;
	h->rx[0] = h->rx[1] = -1;
	health_set_seed(h, 0);
	/* ISNs must not be guessable (a forged SYN+ACK would fake a healthy backend) */
	if (getrandom(&h->isn_rng, sizeof(h->isn_rng), GRND_NONBLOCK) != sizeof(h->isn_rng))
		h->isn_rng = mono_us() ^ ((uint64_t)getpid() << 32);
	h->isn_rng |= 1; /* xorshift must not be 0 */
	h->nbuckets = 64;
	h->buckets = calloc(h->nbuckets, sizeof(*h->buckets));
	if (!h->buckets) {
		err = -ENOMEM;
		goto out_free;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		err = -errno;
		goto out_free;
	}
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->tfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->tfd, &ev)) {
		err = -errno;
		goto out_close;
	}
	return h;
out_close:
	if (h->tfd >= 0)
		close(h->tfd);
	close(h->epfd);
out_free:
	pr_err("health: engine: setup failed: %s", strerror(-err));
	free(h->buckets);
	free(h);
	errno = -err;
	return NULL;
}

void health_set_start_fn(struct health *h, health_start_fn fn)
{
	h->start = fn;
}

void health_free(struct health *h)
{
	uint32_t i;

	if (!h)
		return;
	for (i = 0; i < h->nbuckets; i++) {
		struct hc *c = h->buckets[i], *next;

		for (; c; c = next) {
			next = c->hnext;
			probe_close(h, c);
			free(c);
		}
	}
	reap(h);
	rx_close(h, 0);
	rx_close(h, 1);
	free(h->buckets);
	free(h->heap);
	close(h->tfd);
	close(h->epfd);
	free(h);
}
