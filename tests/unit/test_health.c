// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Health probe engine against real servers on loopback ephemeral ports (a TCP
 * listener, a tiny HTTP responder, a UDP echo), all served non-blocking by the
 * test's own loop, which also runs health_dispatch() with real time.
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

#include "agent/health.h"

#define MAX_RESULTS 8192
#define MAX_CONNS 64

struct result {
	uint64_t id;
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
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_result(void *arg, uint64_t id, bool ok, uint32_t lat_us, const char *reason)
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

			assert_true(gap >= 90 - 8 && gap <= 110 + 8);
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
			assert_true(f->res[i].t_ms - prev >= 100 - 8 &&
				    f->res[i].t_ms - prev <= 100 + 8);
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
		T(test_update),	      T(test_invalid),
		T(test_seed),	      T(test_thousand),
	};
	struct rlimit rl;

	/* 1000 probes may be in flight at once */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
