// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Health probe engine against real servers on loopback ephemeral ports (a TCP
 * listener, a tiny HTTP responder, a UDP echo), all served non-blocking by the
 * test's own loop, which also runs health_dispatch() with real time. The
 * check-via vip packets are checked byte by byte; its probes run over loopback
 * with the test standing in for the backend's decap (root; else skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <xlb/consts.h>

#include "agent/health/health.h"
#include "agent/health/vipprobe.h"

#define MAX_RESULTS 8192
#define MAX_CONNS 64

struct result {
	uint64_t id;
	uint64_t tag;
	bool ok;
	uint32_t lat_us;
	uint64_t t_ms;
	char reason[HEALTH_REASON_MAX];
};

struct conn {
	int fd;
	size_t len;
	char buf[512];
};

struct fix {
	struct health *h;
	struct result *res;
	unsigned int nres;
	int del_in_cb; /* id + 1 to delete from the callback, 0 none */
	uint64_t gen;  /* what the start hook returns (test_tag) */
	unsigned int nstarts;
	/* servers */
	int tcp_lfd; /* accepts and closes */
	uint16_t tcp_port;
	int http_lfd; /* answers "HTTP/1.0 <http_code>" */
	uint16_t http_port;
	int http_code;
	bool http_silent; /* accept, read, never answer */
	struct conn conns[MAX_CONNS];
	char last_req[512];
	int udp_fd; /* echoes */
	uint16_t udp_port;
	int udp_mute_fd; /* bound, never answers */
	uint16_t udp_mute_port;
	/* check-via vip: the tunnel endpoint (-1: none) and re-injection sockets */
	int dec_fd;
	int dec_kind;
	unsigned int dec_count;
	int inj4_fd;
	int inj6_fd;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_result(void *arg, uint64_t id, uint64_t tag, bool ok, uint32_t lat_us,
		      const char *reason)
{
	struct fix *f = arg;
	struct result *r;

	assert_true(ok ? reason == NULL : reason != NULL);
	if (f->del_in_cb && (uint64_t)(f->del_in_cb - 1) == id)
		assert_int_equal(health_del(f->h, id), 0);
	if (f->nres >= MAX_RESULTS)
		return;
	r = &f->res[f->nres++];
	r->id = id;
	r->tag = tag;
	r->ok = ok;
	r->lat_us = lat_us;
	r->t_ms = mono_ms();
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
}

static uint16_t sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Bound (and for TCP listening, with backlog) socket on 127.0.0.1 or ::1, port 0 */
static int server(int fam, int type, int backlog)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -1;
	if (fam == AF_INET6)
		err = bind(fd, (struct sockaddr *)&s6, sizeof(s6));
	else
		err = bind(fd, (struct sockaddr *)&s4, sizeof(s4));
	if (!err && type == SOCK_STREAM)
		err = listen(fd, backlog);
	if (err) {
		close(fd);
		return -1;
	}
	return fd;
}

static void target(struct health_target *t, enum health_kind kind, int fam, uint16_t port)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->port = port;
	if (fam == AF_INET6) {
		t->addr.family = XLB_FAMILY_V6;
		inet_pton(AF_INET6, "::1", t->addr.addr);
	} else {
		t->addr.family = XLB_FAMILY_V4;
		t->addr.addr[0] = htonl(INADDR_LOOPBACK);
	}
	t->interval_ms = 50;
	t->timeout_ms = 200;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	f->res = calloc(MAX_RESULTS, sizeof(*f->res));
	assert_non_null(f->res);
	f->h = health_new(on_result, f);
	assert_non_null(f->h);
	f->tcp_lfd = server(AF_INET, SOCK_STREAM, 4096);
	f->http_lfd = server(AF_INET, SOCK_STREAM, 64);
	f->udp_fd = server(AF_INET, SOCK_DGRAM, 0);
	f->udp_mute_fd = server(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->tcp_lfd >= 0 && f->http_lfd >= 0 && f->udp_fd >= 0 && f->udp_mute_fd >= 0);
	f->tcp_port = sock_port(f->tcp_lfd);
	f->http_port = sock_port(f->http_lfd);
	f->udp_port = sock_port(f->udp_fd);
	f->udp_mute_port = sock_port(f->udp_mute_fd);
	f->http_code = 200;
	for (i = 0; i < MAX_CONNS; i++)
		f->conns[i].fd = -1;
	f->dec_fd = f->inj4_fd = f->inj6_fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int i;

	health_free(f->h);
	for (i = 0; i < MAX_CONNS; i++)
		if (f->conns[i].fd >= 0)
			close(f->conns[i].fd);
	close(f->tcp_lfd);
	close(f->http_lfd);
	close(f->udp_fd);
	close(f->udp_mute_fd);
	if (f->dec_fd >= 0)
		close(f->dec_fd);
	if (f->inj4_fd >= 0)
		close(f->inj4_fd);
	if (f->inj6_fd >= 0)
		close(f->inj6_fd);
	free(f->res);
	free(f);
	return 0;
}

static void serve_http_conn(struct fix *f, struct conn *c)
{
	char rsp[64];
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
	int len;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (!strstr(c->buf, "\r\n\r\n") || f->http_silent)
		return;
	snprintf(f->last_req, sizeof(f->last_req), "%s", c->buf);
	len = snprintf(rsp, sizeof(rsp), "HTTP/1.0 %d X\r\nContent-Length: 0\r\n\r\n",
		       f->http_code);
	(void)!send(c->fd, rsp, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(c->fd);
	c->fd = -1;
}

static void decap_serve(struct fix *f);

/* One pass over the test's servers, never blocking */
static void serve(struct fix *f)
{
	char buf[2048];
	int fd, i;

	while ((fd = accept4(f->tcp_lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd);
	while ((fd = accept4(f->http_lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < MAX_CONNS && f->conns[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) {
			close(fd);
			continue;
		}
		f->conns[i].fd = fd;
		f->conns[i].len = 0;
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (f->conns[i].fd >= 0)
			serve_http_conn(f, &f->conns[i]);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(f->udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		(void)!sendto(f->udp_fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
	}
	if (f->dec_fd >= 0)
		decap_serve(f);
}

/* Runs the engine and the servers for ms milliseconds, as the agent's loop would */
static void pump(struct fix *f, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = health_fd(f->h), .events = POLLIN };
		uint64_t now = mono_ms();

		if (now >= end)
			break;
		(void)poll(&p, 1, 1);
		assert_int_equal(health_dispatch(f->h, mono_ms()), 0);
		serve(f);
	}
}

/* Pumps until id has n results (or ms passes); returns how many it has */
static unsigned int count(const struct fix *f, uint64_t id)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nres; i++)
		n += f->res[i].id == id;
	return n;
}

static unsigned int pump_until(struct fix *f, uint64_t id, unsigned int n, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;

	while (count(f, id) < n && mono_ms() < end)
		pump(f, 5);
	return count(f, id);
}

static const struct result *first(const struct fix *f, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < f->nres; i++)
		if (f->res[i].id == id)
			return &f->res[i];
	return NULL;
}

static void test_tcp_up(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	uint32_t last, avg;
	unsigned int i;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	assert_int_equal(health_add(f->h, 1, &t), 0);
	assert_int_equal(pump_until(f, 1, 3, 1000), 3);
	for (i = 0; i < f->nres; i++) {
		assert_true(f->res[i].ok);
		assert_true(f->res[i].lat_us > 0 && f->res[i].lat_us < 200000);
		assert_int_equal(f->res[i].tag, 0); /* no start hook */
	}
	assert_int_equal(health_stats(f->h, 1, &last, &avg), 0);
	assert_true(last > 0 && avg > 0);
	assert_int_equal(health_stats(f->h, 99, &last, &avg), -ENOENT);
}

static void test_tcp_up_v6(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	int lfd = server(AF_INET6, SOCK_STREAM, 16);

	if (lfd < 0) {
		skip(); /* no IPv6 loopback here */
		return;
	}
	target(&t, HEALTH_TCP, AF_INET6, sock_port(lfd));
	assert_int_equal(health_add(f->h, 6, &t), 0);
	assert_int_equal(pump_until(f, 6, 2, 1000), 2);
	assert_true(f->res[0].ok && f->res[1].ok);
	close(lfd);
}

static void test_tcp_refused(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	int fd = server(AF_INET, SOCK_STREAM, 1);
	uint16_t port = sock_port(fd);

	close(fd); /* nothing listens there now */
	target(&t, HEALTH_TCP, AF_INET, port);
	assert_int_equal(health_add(f->h, 2, &t), 0);
	assert_int_equal(pump_until(f, 2, 2, 1000), 2);
	assert_false(f->res[0].ok);
	assert_string_equal(f->res[0].reason, "connect: Connection refused");
}

/* A listener whose accept queue is full drops the SYN: the probe times out */
static void test_tcp_timeout(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd = server(AF_INET, SOCK_STREAM, 0), fill[4], i;
	const struct result *r;

	assert_true(lfd >= 0);
	sa.sin_port = htons(sock_port(lfd));
	for (i = 0; i < 4; i++) { /* backlog 0 holds one; the rest keep retrying SYNs */
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		(void)!connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(20000);
	target(&t, HEALTH_TCP, AF_INET, sock_port(lfd));
	t.timeout_ms = 150;
	t.interval_ms = 1000;
	assert_int_equal(health_add(f->h, 3, &t), 0);
	assert_int_equal(pump_until(f, 3, 1, 1000), 1);
	r = first(f, 3);
	assert_false(r->ok);
	assert_string_equal(r->reason, "timeout after 150ms");
	/* reported at the deadline, not long after it */
	assert_true(r->lat_us >= 150000 && r->lat_us < 190000);
	assert_int_equal(health_nr_inflight(f->h), 0);
	for (i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void test_http_200(void **state)
{
	struct fix *f = *state;
	struct health_target t;

	target(&t, HEALTH_HTTP, AF_INET, f->http_port);
	strcpy(t.path, "/healthz");
	strcpy(t.host, "svc.example");
	assert_int_equal(health_add(f->h, 4, &t), 0);
	assert_int_equal(pump_until(f, 4, 2, 1000), 2);
	assert_true(f->res[0].ok && f->res[1].ok);
	assert_non_null(strstr(f->last_req, "GET /healthz HTTP/1.0\r\n"));
	assert_non_null(strstr(f->last_req, "\r\nHost: svc.example\r\n"));
}

static void test_http_default_host(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	char want[64];

	target(&t, HEALTH_HTTP, AF_INET, f->http_port);
	assert_int_equal(health_add(f->h, 4, &t), 0);
	assert_int_equal(pump_until(f, 4, 1, 1000), 1);
	assert_true(f->res[0].ok);
	snprintf(want, sizeof(want), "GET / HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n", f->http_port);
	assert_non_null(strstr(f->last_req, want));
}

static void test_http_503(void **state)
{
	struct fix *f = *state;
	struct health_target t;

	f->http_code = 503;
	target(&t, HEALTH_HTTP, AF_INET, f->http_port);
	assert_int_equal(health_add(f->h, 5, &t), 0);
	assert_int_equal(pump_until(f, 5, 2, 1000), 2);
	assert_false(f->res[0].ok);
	assert_string_equal(f->res[0].reason, "http 503");
	assert_false(f->res[1].ok);
}

static void test_http_status_list(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	const struct result *r;

	/* 503 is healthy when listed */
	f->http_code = 503;
	target(&t, HEALTH_HTTP, AF_INET, f->http_port);
	t.nr_expect = 2;
	t.expect[0] = (struct health_status_range){ 200, 200 };
	t.expect[1] = (struct health_status_range){ 500, 503 };
	assert_int_equal(health_add(f->h, 7, &t), 0);
	assert_int_equal(pump_until(f, 7, 1, 1000), 1);
	assert_true(first(f, 7)->ok);
	/* and 204 (2xx, but not listed) is not */
	f->http_code = 204;
	assert_int_equal(health_del(f->h, 7), 0);
	assert_int_equal(health_add(f->h, 8, &t), 0);
	assert_int_equal(pump_until(f, 8, 1, 1000), 1);
	r = first(f, 8);
	assert_false(r->ok);
	assert_string_equal(r->reason, "http 204");
	/* a bad range is refused */
	t.expect[1] = (struct health_status_range){ 503, 500 };
	assert_int_equal(health_add(f->h, 9, &t), -EINVAL);
}

/* Accepts and reads, never answers: the probe times out */
static void test_http_timeout(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	const struct result *r;

	f->http_silent = true;
	target(&t, HEALTH_HTTP, AF_INET, f->http_port);
	t.timeout_ms = 120;
	t.interval_ms = 1000;
	assert_int_equal(health_add(f->h, 10, &t), 0);
	assert_int_equal(pump_until(f, 10, 1, 1000), 1);
	r = first(f, 10);
	assert_false(r->ok);
	assert_string_equal(r->reason, "timeout after 120ms");
	assert_true(r->lat_us >= 120000 && r->lat_us < 160000);
}

static void test_udp(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	int fd = server(AF_INET, SOCK_DGRAM, 0);
	uint16_t closed = sock_port(fd);

	close(fd);
	/* any reply */
	target(&t, HEALTH_UDP, AF_INET, f->udp_port);
	memcpy(t.send, "PING", 4);
	t.send_len = 4;
	assert_int_equal(health_add(f->h, 11, &t), 0);
	/* expected prefix: the echo "PING" starts with "PI" */
	memcpy(t.recv, "PI", 2);
	t.recv_len = 2;
	t.recv_prefix = true;
	assert_int_equal(health_add(f->h, 12, &t), 0);
	/* expected exactly "PONG": the echo is wrong */
	memcpy(t.recv, "PONG", 4);
	t.recv_len = 4;
	t.recv_prefix = false;
	assert_int_equal(health_add(f->h, 13, &t), 0);
	/* a mute server: no reply; a closed port: ICMP unreachable */
	target(&t, HEALTH_UDP, AF_INET, f->udp_mute_port);
	t.timeout_ms = 100;
	assert_int_equal(health_add(f->h, 14, &t), 0);
	target(&t, HEALTH_UDP, AF_INET, closed);
	assert_int_equal(health_add(f->h, 15, &t), 0);
	pump(f, 400);
	assert_true(count(f, 11) >= 2 && count(f, 12) >= 2 && count(f, 13) >= 2);
	assert_true(count(f, 14) >= 1 && count(f, 15) >= 2);
	assert_true(first(f, 11)->ok);
	assert_true(first(f, 12)->ok);
	assert_false(first(f, 13)->ok);
	assert_string_equal(first(f, 13)->reason, "udp: unexpected reply");
	assert_false(first(f, 14)->ok);
	assert_string_equal(first(f, 14)->reason, "udp: no reply");
	assert_true(first(f, 14)->lat_us >= 100000);
	assert_false(first(f, 15)->ok);
	assert_string_equal(first(f, 15)->reason, "udp: Connection refused");
}

/* 50 targets added at once: each first result within 100 ms (+ a loopback
 * connect, well under 15 ms), and the starts are spread, not all at once
 */
static void test_first_probe(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	uint64_t t0 = mono_ms(), lo = UINT64_MAX, hi = 0;
	unsigned int i;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 5000;
	for (i = 0; i < 50; i++)
		assert_int_equal(health_add(f->h, 100 + i, &t), 0);
	pump(f, 300);
	assert_int_equal(f->nres, 50);
	for (i = 0; i < 50; i++) {
		const struct result *r = first(f, 100 + i);

		assert_non_null(r);
		assert_true(r->ok);
		assert_true(r->t_ms - t0 <= HEALTH_FIRST_MAX_MS + 15);
		lo = r->t_ms < lo ? r->t_ms : lo;
		hi = r->t_ms > hi ? r->t_ms : hi;
	}
	assert_true(hi - lo >= 40); /* 50 uniform draws over 0-100 ms span far more */
}

/* Interval 100 ms, jitter +-10%: every gap between starts is in [90, 110] ms.
 * Results are taken when reported; a loopback connect and the 1 ms poll add a
 * few ms of noise either way, so allow 8 ms. Count over 1.2 s: 10-13 probes.
 */
static void test_interval(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	unsigned int i, n, distinct = 0;
	uint64_t prev = 0, prevgap = 0;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 100;
	assert_int_equal(health_add(f->h, 20, &t), 0);
	/* and one without jitter: gaps of 100 ms */
	t.jitter_pct = -1;
	assert_int_equal(health_add(f->h, 21, &t), 0);
	pump(f, 1200);
	n = count(f, 20);
	assert_true(n >= 10 && n <= 13);
	for (i = 0; i < f->nres; i++) {
		const struct result *r = &f->res[i];

		if (r->id != 20)
			continue;
		if (prev) {
			uint64_t gap = r->t_ms - prev;

			assert_true(gap >= 90 - 25 && gap <= 110 + 25); /* a loaded 2-core CI */
			distinct += prevgap && gap != prevgap;
			prevgap = gap;
		}
		prev = r->t_ms;
	}
	assert_true(distinct >= 2); /* jitter does move them */
	prev = 0;
	for (i = 0; i < f->nres; i++) {
		if (f->res[i].id != 21)
			continue;
		if (prev)
			assert_true(f->res[i].t_ms - prev >= 100 - 25 &&
				    f->res[i].t_ms - prev <= 100 + 25);
		prev = f->res[i].t_ms;
	}
	assert_true(count(f, 21) >= 10 && count(f, 21) <= 13);
}

static void test_del(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	unsigned int n;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	assert_int_equal(health_add(f->h, 30, &t), 0);
	assert_int_equal(health_add(f->h, 30, &t), -EEXIST);
	assert_int_equal(pump_until(f, 30, 2, 1000), 2);
	assert_int_equal(health_del(f->h, 30), 0);
	assert_int_equal(health_del(f->h, 30), -ENOENT);
	n = count(f, 30);
	pump(f, 300);
	assert_int_equal(count(f, 30), n);
	assert_int_equal(health_nr_targets(f->h), 0);
	/* deleting itself from the callback, with a probe of a neighbour in flight */
	assert_int_equal(health_add(f->h, 31, &t), 0);
	assert_int_equal(health_add(f->h, 32, &t), 0);
	f->del_in_cb = 31 + 1;
	pump(f, 300);
	assert_int_equal(count(f, 31), 1);
	assert_true(count(f, 32) >= 3);
	assert_int_equal(health_nr_targets(f->h), 1);
}

static uint64_t on_start(void *arg, uint64_t id)
{
	struct fix *f = arg;

	assert_int_equal(id, 45);
	f->nstarts++;
	return f->gen;
}

/* A result carries the tag its probe started with, not the one current when
 * it ends (the agent's breaker generation): a UDP probe to a mute port runs
 * its whole timeout, and the tag changes meanwhile */
static void test_tag(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	uint64_t end;

	health_set_start_fn(f->h, on_start);
	f->gen = 7;
	target(&t, HEALTH_UDP, AF_INET, f->udp_mute_port);
	t.interval_ms = 200;
	t.timeout_ms = 200; /* as long as the interval */
	assert_int_equal(health_add(f->h, 45, &t), 0);
	end = mono_ms() + 1000;
	while (!f->nstarts && mono_ms() < end)
		pump(f, 1);
	assert_int_equal(f->nstarts, 1);
	assert_int_equal(health_nr_inflight(f->h), 1);
	f->gen = 8; /* the state changes while the probe runs */
	assert_int_equal(pump_until(f, 45, 2, 1000), 2);
	assert_int_equal(f->nstarts, 2);
	assert_false(f->res[0].ok);
	assert_int_equal(f->res[0].tag, 7);
	assert_int_equal(f->res[1].tag, 8);
	/* a probe that fails as it starts carries its tag too */
	f->gen = 9;
	t.kind = HEALTH_TCP;
	t.port = 9;
	t.addr.addr[0] = htonl(0xe0000001); /* TCP to multicast: connect() fails at once */
	assert_int_equal(health_update(f->h, 45, &t), 0);
	assert_int_equal(pump_until(f, 45, 3, 1000), 3);
	assert_int_equal(f->res[2].tag, 9);
	health_set_start_fn(f->h, NULL);
	f->gen = 10;
	assert_int_equal(pump_until(f, 45, 4, 1000), 4);
	assert_int_equal(f->res[3].tag, 0);
}

/* Interval 1 s, fast 50 ms: fast on gives about 8 probes in 400 ms, off again
 * at most one (the one already scheduled) in the next 400 ms
 */
static void test_fast(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	unsigned int n;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 1000;
	t.fast_interval_ms = 50;
	assert_int_equal(health_add(f->h, 40, &t), 0);
	assert_int_equal(pump_until(f, 40, 1, 500), 1);
	pump(f, 200);
	assert_int_equal(count(f, 40), 1); /* normal interval: nothing yet */
	assert_int_equal(health_set_fast(f->h, 40, true), 0);
	pump(f, 400);
	n = count(f, 40);
	assert_true(n >= 1 + 6 && n <= 1 + 9);
	assert_int_equal(health_set_fast(f->h, 40, false), 0);
	pump(f, 400);
	assert_true(count(f, 40) <= n + 1);
	assert_int_equal(health_set_fast(f->h, 41, true), -ENOENT);
}

static void test_update(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	int fd = server(AF_INET, SOCK_STREAM, 1);
	uint16_t closed = sock_port(fd);
	unsigned int i;

	close(fd);
	target(&t, HEALTH_TCP, AF_INET, closed);
	assert_int_equal(health_add(f->h, 50, &t), 0);
	assert_int_equal(pump_until(f, 50, 1, 500), 1);
	assert_false(f->res[0].ok);
	t.port = f->tcp_port;
	assert_int_equal(health_update(f->h, 50, &t), 0);
	f->nres = 0;
	assert_int_equal(pump_until(f, 50, 2, 500), 2);
	for (i = 0; i < f->nres; i++)
		assert_true(f->res[i].ok);
	t.kind = HEALTH_NONE;
	assert_int_equal(health_update(f->h, 50, &t), 0);
	f->nres = 0;
	pump(f, 200);
	assert_int_equal(f->nres, 0);
	assert_int_equal(health_update(f->h, 51, &t), -ENOENT);
}

static void test_invalid(void **state)
{
	struct fix *f = *state;
	struct health_target t;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 0;
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	target(&t, HEALTH_TCP, AF_INET, 0);
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	target(&t, HEALTH_HTTP, AF_INET, 80);
	strcpy(t.path, "/a\r\nX: y");
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	target(&t, HEALTH_TCP, AF_INET, 80);
	t.addr.family = 0;
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	target(&t, HEALTH_TCP, AF_INET, 80);
	t.jitter_pct = 60;
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	assert_int_equal(health_nr_targets(f->h), 0);
}

/* Same seed, same schedule: the first-probe offsets repeat */
static void test_seed(void **state)
{
	struct fix *f = *state;
	struct health *a = health_new(on_result, f), *b = health_new(on_result, f);
	struct health_target t;
	uint64_t da, db, d0a = 0, d0b = 0;
	bool infl;
	unsigned int i, same = 0, diff = 0;

	assert_non_null(a);
	assert_non_null(b);
	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 1000;
	health_set_seed(a, 42);
	health_set_seed(b, 42);
	for (i = 0; i < 20; i++) {
		assert_int_equal(health_add(a, i, &t), 0);
		assert_int_equal(health_add(b, i, &t), 0);
		assert_int_equal(health_next(a, i, &da, &infl), 0);
		assert_int_equal(health_next(b, i, &db, &infl), 0);
		assert_false(infl);
		if (!i) {
			d0a = da;
			d0b = db;
		}
		/* offsets relative to the first, +-2 ms for the clock moving between adds */
		same += (da - d0a + 2 >= db - d0b) && (da - d0a <= db - d0b + 2);
	}
	assert_true(same >= 19);
	health_set_seed(b, 43);
	for (i = 0; i < 20; i++) {
		assert_int_equal(health_update(a, i, &t), 0);
		assert_int_equal(health_update(b, i, &t), 0);
		assert_int_equal(health_next(a, i, &da, &infl), 0);
		assert_int_equal(health_next(b, i, &db, &infl), 0);
		diff += da > db + 3 || db > da + 3;
	}
	assert_true(diff >= 10);
	health_free(a);
	health_free(b);
}

/* 1000 targets on one listener: each reports once within interval + 100 ms */
static void test_thousand(void **state)
{
	struct fix *f = *state;
	struct health_target t;
	static bool seen[1000];
	unsigned int i, ok = 0;

	target(&t, HEALTH_TCP, AF_INET, f->tcp_port);
	t.interval_ms = 500;
	t.timeout_ms = 400;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 1000; i++)
		assert_int_equal(health_add(f->h, 1000 + i, &t), 0);
	assert_int_equal(health_nr_targets(f->h), 1000);
	pump(f, 600);
	for (i = 0; i < f->nres; i++) {
		uint64_t k = f->res[i].id - 1000;

		assert_true(k < 1000);
		if (f->res[i].ok && !seen[k]) {
			seen[k] = true;
			ok++;
		}
	}
	assert_int_equal(ok, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(health_del(f->h, 1000 + i), 0);
	assert_int_equal(health_nr_inflight(f->h), 0);
}

/* ---- check-via vip: the packets (pure) ---- */

/* RFC 1071 over a buffer, written apart from vipprobe.c's: 0 over a block
 * that carries its own correct checksum
 */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += i & 1 ? p[i] : (uint64_t)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)(~sum & 0xffff);
}

/* TCP checksum check: pseudo-header (addresses, protocol, length) + segment */
static uint16_t ref_tcp_csum(const uint8_t *src, const uint8_t *dst, size_t alen,
			     const uint8_t *tcp, size_t len)
{
	uint8_t buf[128] = { 0 };
	size_t n = 0;

	memcpy(buf, src, alen);
	memcpy(buf + alen, dst, alen);
	n = 2 * alen;
	if (alen == 4) {
		buf[n + 1] = IPPROTO_TCP;
		buf[n + 2] = (uint8_t)(len >> 8);
		buf[n + 3] = (uint8_t)len;
		n += 4;
	} else {
		buf[n + 2] = (uint8_t)(len >> 8);
		buf[n + 3] = (uint8_t)len;
		buf[n + 7] = IPPROTO_TCP;
		n += 8;
	}
	memcpy(buf + n, tcp, len);
	return ref_csum(buf, n + len);
}

static struct xlb_addr xaddr(const char *s)
{
	struct xlb_addr a = { 0 };

	if (strchr(s, ':')) {
		a.family = XLB_FAMILY_V6;
		assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
	} else {
		a.family = XLB_FAMILY_V4;
		assert_int_equal(inet_pton(AF_INET, s, a.addr), 1);
	}
	return a;
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	assert_int_equal(strlen(hex), 2 * len);
	for (i = 0; i < len; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

static void test_vip_syn4(void **state)
{
	struct vipprobe p = { .src = xaddr("192.0.2.1"),
			      .vip = xaddr("203.0.113.10"),
			      .sport = 40000,
			      .dport = 93,
			      .isn = 0x01020304 };
	uint8_t pkt[VIPPROBE_SYN_MAX], want[44];

	(void)state;
	/* IPv4: len 44, id 0x1234, DF, TTL 64, TCP, header checksum 0x2a8c;
	 * TCP 40000 -> 93, seq 0x01020304, doff 6, SYN, window 65535, checksum
	 * 0xf976, MSS 1460
	 */
	unhex("4500002c1234400040062a8cc0000201cb00710a"
	      "9c40005d01020304000000006002fffff9760000020405b4",
	      want, sizeof(want));
	assert_int_equal(vipprobe_syn(&p, 0x1234, pkt, sizeof(pkt)), 44);
	assert_memory_equal(pkt, want, sizeof(want));
	assert_int_equal(ref_csum(pkt, 20), 0);
	assert_int_equal(ref_tcp_csum(pkt + 12, pkt + 16, 4, pkt + 20, 24), 0);
}

static void test_vip_syn6(void **state)
{
	struct vipprobe p = { .src = xaddr("2001:db8:2::1"),
			      .vip = xaddr("2001:db8:100::10"),
			      .sport = 51000,
			      .dport = 443,
			      .isn = 0xfffffffe };
	uint8_t pkt[VIPPROBE_SYN_MAX], want[64];

	(void)state;
	/* IPv6: payload 24, next header TCP, hop limit 64; TCP 51000 -> 443,
	 * checksum 0x72c3, MSS 1440
	 */
	unhex("6000000000180640"
	      "20010db8000200000000000000000001"
	      "20010db8010000000000000000000010"
	      "c73801bbfffffffe000000006002ffff72c30000020405a0",
	      want, sizeof(want));
	assert_int_equal(vipprobe_syn(&p, 0x1234, pkt, sizeof(pkt)), 64);
	assert_memory_equal(pkt, want, sizeof(want));
	assert_int_equal(ref_tcp_csum(pkt + 8, pkt + 24, 16, pkt + 40, 24), 0);
	/* other ISNs and ports: still a valid checksum */
	p.isn = 0x80000000;
	p.sport = 1;
	assert_int_equal(vipprobe_syn(&p, 0, pkt, sizeof(pkt)), 64);
	assert_int_equal(ref_tcp_csum(pkt + 8, pkt + 24, 16, pkt + 40, 24), 0);
	/* mixed families and short buffers are refused */
	p.src = xaddr("192.0.2.1");
	assert_int_equal(vipprobe_syn(&p, 0, pkt, sizeof(pkt)), -EINVAL);
	p.src = xaddr("2001:db8:2::1");
	assert_int_equal(vipprobe_syn(&p, 0, pkt, 63), -ENOSPC);
}

/* A 20-byte TCP header from sport to dport with flags and ack */
static void seg(uint8_t *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t ack)
{
	memset(t, 0, 20);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8);
	t[3] = (uint8_t)dport;
	t[8] = (uint8_t)(ack >> 24);
	t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8);
	t[11] = (uint8_t)ack;
	t[12] = 5 << 4;
	t[13] = flags;
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

static void test_vip_match(void **state)
{
	struct vipprobe p = { .src = xaddr("198.51.100.1"),
			      .vip = xaddr("203.0.113.10"),
			      .sport = 40000,
			      .dport = 93,
			      .isn = 0xffffffff }; /* isn + 1 wraps to 0 */
	struct xlb_addr vip = p.vip, me = p.src, other = xaddr("203.0.113.11");
	struct xlb_addr vip6 = xaddr("::ffff:203.0.113.10");
	uint8_t t[20];

	(void)state;
	seg(t, 93, 40000, F_SYN | F_ACK, 0);
	assert_int_equal(vipprobe_reply_port(t, 20), 40000);
	assert_int_equal(vipprobe_reply_port(t, 3), -1);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_SYNACK);
	/* the segment must be whole, from the VIP, to us */
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 19), VIPPROBE_OTHER);
	assert_int_equal(vipprobe_match(&p, &other, &me, t, 20), VIPPROBE_OTHER);
	assert_int_equal(vipprobe_match(&p, &vip6, &me, t, 20), VIPPROBE_OTHER);
	assert_int_equal(vipprobe_match(&p, &vip, &other, t, 20), VIPPROBE_OTHER);
	/* wrong acknowledgment: somebody else's SYN, or a blind guess */
	seg(t, 93, 40000, F_SYN | F_ACK, 0xffffffff);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 93, 40000, F_SYN | F_ACK, 1);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	/* other ports: another check port, another probe's source port */
	seg(t, 94, 40000, F_SYN | F_ACK, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 93, 40001, F_SYN | F_ACK, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 40000, 93, F_SYN | F_ACK, 0); /* reversed */
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	/* RST+ACK of our SYN: refused; without ACK or with a wrong ack: ignored */
	seg(t, 93, 40000, F_RST | F_ACK, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_RST);
	seg(t, 93, 40000, F_RST, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 93, 40000, F_RST | F_ACK, 5);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	/* a plain ACK or a SYN+ACK+FIN is no answer to a SYN */
	seg(t, 93, 40000, F_ACK, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 93, 40000, F_SYN | F_ACK | F_FIN, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
	seg(t, 93, 40000, F_SYN, 0);
	assert_int_equal(vipprobe_match(&p, &vip, &me, t, 20), VIPPROBE_OTHER);
}

static void test_vip_parse4(void **state)
{
	uint8_t pkt[64] = { 0 };
	struct xlb_addr sa, da, want;
	const uint8_t *tcp;
	size_t len;

	(void)state;
	/* IPv4 with 4 bytes of options (IHL 6), TCP, 44 bytes in all */
	pkt[0] = 0x46;
	pkt[3] = 44;
	pkt[9] = IPPROTO_TCP;
	memcpy(pkt + 12, "\xcb\x00\x71\x0a\xc6\x33\x64\x01", 8);
	seg(pkt + 24, 93, 40000, F_SYN | F_ACK, 1);
	assert_int_equal(vipprobe_parse4(pkt, 60, &sa, &da, &tcp, &len), 0);
	want = xaddr("203.0.113.10");
	assert_memory_equal(&sa, &want, sizeof(sa));
	want = xaddr("198.51.100.1");
	assert_memory_equal(&da, &want, sizeof(da));
	assert_ptr_equal(tcp, pkt + 24);
	assert_int_equal(len, 20); /* tot_len, not the trailing bytes */
	assert_int_equal(vipprobe_parse4(pkt, 43, &sa, &da, &tcp, &len), -EINVAL);
	pkt[6] = 0x20; /* more fragments */
	assert_int_equal(vipprobe_parse4(pkt, 60, &sa, &da, &tcp, &len), -EINVAL);
	pkt[6] = 0;
	pkt[9] = IPPROTO_UDP;
	assert_int_equal(vipprobe_parse4(pkt, 60, &sa, &da, &tcp, &len), -EINVAL);
	pkt[9] = IPPROTO_TCP;
	pkt[0] = 0x44; /* IHL below 5 */
	assert_int_equal(vipprobe_parse4(pkt, 60, &sa, &da, &tcp, &len), -EINVAL);
}

/* The receive filters keep SYN+ACK and RST only (run on a UNIX datagram
 * socket: classic BPF needs no privilege there)
 */
static void test_vip_filter(void **state)
{
	static const uint8_t flags[] = { F_SYN | F_ACK, F_RST, F_RST | F_ACK, F_SYN | F_ACK | F_FIN,
					 F_ACK,		F_SYN, F_FIN | F_ACK, 0 };
	static const bool keep[] = { true, true, true, true, false, false, false, false };
	uint8_t pkt[64] = { 0 }, buf[64];
	struct sock_fprog prog;
	unsigned int v6, i;
	int sv[2];

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		size_t off = v6 ? 0 : 24; /* IPv4: a header with options first */

		assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(vipprobe_rx_filter(v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4, &prog), 0);
		assert_int_equal(
			setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
		pkt[0] = 0x46;
		for (i = 0; i < sizeof(flags); i++) {
			ssize_t n;

			seg(pkt + off, 93, 40000, flags[i], 0);
			assert_int_equal(send(sv[0], pkt, off + 20, 0), (ssize_t)(off + 20));
			n = recv(sv[1], buf, sizeof(buf), 0);
			if (keep[i])
				assert_int_equal(n, (ssize_t)(off + 20));
			else
				assert_int_equal(n, -1);
		}
		close(sv[0]);
		close(sv[1]);
	}
	assert_int_equal(vipprobe_rx_filter(0, &prog), -EINVAL);
}

/* ---- check-via vip: the engine over loopback, with the test as the decap ---- */

enum {
	DECAP_IPIP4 = 1,
	DECAP_IPIP6,
	DECAP_UDP
};

/* What the backend's xlb_decap does: strip the tunnel, hand the inner packet
 * to the stack (here: sent again through an IPPROTO_RAW socket)
 */
static void decap_serve(struct fix *f)
{
	uint8_t buf[256];
	ssize_t n;

	while ((n = recv(f->dec_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		const uint8_t *in = buf;
		size_t len = (size_t)n;

		if (f->dec_kind == DECAP_IPIP4) { /* the outer IPv4 header comes along */
			size_t ihl = (size_t)(buf[0] & 0x0f) * 4;

			if (buf[9] != IPPROTO_IPIP || len <= ihl)
				continue;
			in += ihl;
			len -= ihl;
		}
		f->dec_count++;
		if (in[0] >> 4 == 4) {
			struct sockaddr_in d = { .sin_family = AF_INET };

			memcpy(&d.sin_addr, in + 16, 4);
			(void)!sendto(f->inj4_fd, in, len, 0, (struct sockaddr *)&d, sizeof(d));
		} else {
			struct sockaddr_in6 d = { .sin6_family = AF_INET6 };

			memcpy(&d.sin6_addr, in + 24, 16);
			(void)!sendto(f->inj6_fd, in, len, 0, (struct sockaddr *)&d, sizeof(d));
		}
	}
}

/* The tunnel endpoint of @kind; false without raw sockets (not root) */
static bool decap_up(struct fix *f, int kind, uint16_t *gue_port)
{
	f->inj4_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	f->inj6_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (f->inj4_fd < 0 || f->inj6_fd < 0)
		return false;
	f->dec_kind = kind;
	if (kind == DECAP_IPIP4)
		f->dec_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP);
	else if (kind == DECAP_IPIP6)
		f->dec_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	else
		f->dec_fd = server(*gue_port ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	assert_true(f->dec_fd >= 0);
	if (kind == DECAP_UDP)
		*gue_port = sock_port(f->dec_fd);
	return true;
}

static void vip_target(struct health_target *t, int fam, const char *vip, uint16_t port,
		       uint8_t encap, uint16_t gue_port)
{
	target(t, HEALTH_TCP_VIP, fam, port);
	t->vip = xaddr(vip);
	t->encap = encap;
	t->gue_port = gue_port;
	t->interval_ms = 100;
	t->timeout_ms = 80;
}

/* A listener on @addr (e.g. 127.0.0.2, also local on lo), any port */
static int listener_on(const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = sock_port(fd);
	return fd;
}

/* One probe kind through the fake decap: a listener answers (up, with a
 * latency), a closed port refuses (RST), a dead tunnel times out
 */
static void vip_roundtrip(struct fix *f, int kind, int fam, const char *vip, uint8_t encap)
{
	struct health_target t;
	uint16_t port, closed, gue = fam == AF_INET6; /* DECAP_UDP: non-zero asks for IPv6 */
	int lfd = listener_on(vip, &port), cfd = listener_on(vip, &closed);
	unsigned int i;

	if (lfd < 0) {
		skip(); /* no such loopback address here */
		return;
	}
	close(cfd); /* nobody listens there now */
	if (!decap_up(f, kind, &gue)) {
		/* unprivileged: the probe says why it cannot run */
		vip_target(&t, fam, vip, port, encap, 0);
		assert_int_equal(health_add(f->h, 70, &t), 0);
		assert_int_equal(pump_until(f, 70, 1, 500), 1);
		assert_false(f->res[0].ok);
		assert_string_equal(f->res[0].reason, "via vip: socket: Operation not permitted");
		close(lfd);
		skip();
		return;
	}
	vip_target(&t, fam, vip, port, encap, gue);
	assert_int_equal(health_add(f->h, 70, &t), 0);
	vip_target(&t, fam, vip, closed, encap, gue);
	assert_int_equal(health_add(f->h, 71, &t), 0);
	assert_int_equal(pump_until(f, 70, 3, 1000), 3);
	assert_true(pump_until(f, 71, 2, 1000) >= 2);
	for (i = 0; i < f->nres; i++) {
		const struct result *r = &f->res[i];

		if (r->id == 70) {
			if (!r->ok)
				print_message("# up probe failed: %s\n", r->reason);
			assert_true(r->ok);
			assert_true(r->lat_us > 0 && r->lat_us < 80000);
		} else {
			assert_false(r->ok);
			assert_string_equal(r->reason, "via vip: connection refused");
		}
	}
	/* every probe went through the tunnel: none reached the VIP directly */
	assert_true(f->dec_count >= 5);
	/* the tunnel goes away: the probe times out */
	close(f->dec_fd);
	f->dec_fd = -1;
	assert_int_equal(health_del(f->h, 71), 0);
	f->nres = 0;
	assert_int_equal(pump_until(f, 70, 1, 500), 1);
	assert_false(f->res[0].ok);
	assert_string_equal(f->res[0].reason, "timeout after 80ms (via vip)");
	assert_true(f->res[0].lat_us >= 80000);
	assert_int_equal(health_del(f->h, 70), 0);
	assert_int_equal(health_nr_inflight(f->h), 0);
	close(lfd);
}

static void test_vip_ipip4(void **state)
{
	vip_roundtrip(*state, DECAP_IPIP4, AF_INET, "127.0.0.2", XLB_ENCAP_IPIP);
}

static void test_vip_gue4(void **state)
{
	vip_roundtrip(*state, DECAP_UDP, AF_INET, "127.0.0.2", XLB_ENCAP_GUE);
}

static void test_vip_ipip6(void **state)
{
	vip_roundtrip(*state, DECAP_IPIP6, AF_INET6, "::1", XLB_ENCAP_IPIP);
}

static void test_vip_gue6(void **state)
{
	vip_roundtrip(*state, DECAP_UDP, AF_INET6, "::1", XLB_ENCAP_GUE);
}

static void test_vip_invalid(void **state)
{
	struct fix *f = *state;
	struct health_target t;

	vip_target(&t, AF_INET, "::1", 80, XLB_ENCAP_IPIP, 0); /* 6 in 4 */
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	vip_target(&t, AF_INET, "127.0.0.2", 80, XLB_ENCAP_L2, 0);
	assert_int_equal(health_add(f->h, 1, &t), -EINVAL);
	vip_target(&t, AF_INET, "127.0.0.2", 80, XLB_ENCAP_GUE, 0);
	assert_int_equal(health_add(f->h, 1, &t), 0);
	/* to a plain TCP check and back: the same id, the new kind */
	t.kind = HEALTH_TCP;
	assert_int_equal(health_update(f->h, 1, &t), 0);
	t.kind = HEALTH_TCP_VIP;
	t.encap = 9;
	assert_int_equal(health_update(f->h, 1, &t), -EINVAL);
	assert_int_equal(health_del(f->h, 1), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_tcp_up),	      T(test_tcp_up_v6),
		T(test_tcp_refused),  T(test_tcp_timeout),
		T(test_http_200),     T(test_http_default_host),
		T(test_http_503),     T(test_http_status_list),
		T(test_http_timeout), T(test_udp),
		T(test_first_probe),  T(test_interval),
		T(test_del),	      T(test_fast),
		T(test_tag),	      T(test_update),
		T(test_invalid),      T(test_seed),
		T(test_thousand),     T(test_vip_syn4),
		T(test_vip_syn6),     T(test_vip_match),
		T(test_vip_parse4),   T(test_vip_filter),
		T(test_vip_ipip4),    T(test_vip_gue4),
		T(test_vip_ipip6),    T(test_vip_gue6),
		T(test_vip_invalid),
	};
	struct rlimit rl;

	/* 1000 probes may be in flight at once */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
