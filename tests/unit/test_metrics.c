// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of userspace/agent/control/metrics.c without BPF: the exposition writer
 * (escaping, names, values, buffer growth), the HTTP request parser, and the
 * server's error answers over a real loopback socket (404/405/400 do not read
 * the maps). The 200 path with real counters is covered by the lbd bats suite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "agent/control/metrics.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_label_escape(void **state)
{
	struct metrics_buf b = {};

	metrics_buf_label_value(&b, "a\\b\"c\nd");
	assert_int_equal(b.err, 0);
	assert_string_equal(b.data, "a\\\\b\\\"c\\nd");
	assert_int_equal(b.len, strlen("a\\\\b\\\"c\\nd"));
	metrics_buf_free(&b);

	metrics_buf_label_value(&b, "[2001:db8::10]:80/tcp");
	assert_string_equal(b.data, "[2001:db8::10]:80/tcp");
	metrics_buf_free(&b);
}

static void test_sample_lines(void **state)
{
	const char *vip[] = { "vip", "203.0.113.10:80/tcp", NULL };
	const char *two[] = { "vip", "203.0.113.10:80/tcp", "backend", "198.51.100.11", NULL };
	const char *evil[] = { "reason", "x\"}\n# y", NULL };
	const char *none[] = { NULL };
	struct metrics_buf b = {};

	metrics_sample(&b, "xlb_vips", NULL, 3);
	metrics_sample(&b, "xlb_vips", none, 0);
	metrics_sample(&b, "xlb_packets_total", vip, 18446744073709551615ULL);
	metrics_sample(&b, "xlb_backend_up", two, 1);
	metrics_sample(&b, "xlb_drops_by_reason_total", evil, 7);
	assert_int_equal(b.err, 0);
	assert_string_equal(
		b.data, "xlb_vips 3\n"
			"xlb_vips 0\n"
			"xlb_packets_total{vip=\"203.0.113.10:80/tcp\"} 18446744073709551615\n"
			"xlb_backend_up{vip=\"203.0.113.10:80/tcp\",backend=\"198.51.100.11\"} 1\n"
			"xlb_drops_by_reason_total{reason=\"x\\\"}\\n# y\"} 7\n");
	metrics_buf_free(&b);
}

static void test_family_help(void **state)
{
	struct metrics_buf b = {};

	metrics_family(&b, "xlb_bytes_total", "counter", "Bytes \"in\"\nC:\\ path");
	assert_int_equal(b.err, 0);
	/* HELP escapes backslash and newline only; quotes stay */
	assert_string_equal(b.data, "# HELP xlb_bytes_total Bytes \"in\"\\nC:\\\\ path\n"
				    "# TYPE xlb_bytes_total counter\n");
	metrics_buf_free(&b);
}

static void test_bad_names(void **state)
{
	static const char *const bad_metric[] = { "", "1abc", "xlb-bytes", "xlb bytes", "é" };
	static const char *const bad_label[] = { "", "9x", "__name", "a:b", "a-b" };
	const char *ok[] = { "vip", "v", NULL };
	const char *noval[] = { "vip", NULL };
	struct metrics_buf b = {};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_metric); i++) {
		metrics_sample(&b, bad_metric[i], NULL, 1);
		assert_int_equal(b.err, -EINVAL);
		metrics_buf_free(&b);
		metrics_family(&b, bad_metric[i], "gauge", "h");
		assert_int_equal(b.err, -EINVAL);
		metrics_buf_free(&b);
	}
	for (i = 0; i < ARRAY_SIZE(bad_label); i++) {
		const char *lab[] = { bad_label[i], "v", NULL };

		metrics_sample(&b, "xlb_x", lab, 1);
		assert_int_equal(b.err, -EINVAL);
		metrics_buf_free(&b);
	}
	metrics_sample(&b, "xlb_x", noval, 1);
	assert_int_equal(b.err, -EINVAL);
	metrics_buf_free(&b);

	/* colons are fine in metric names; the error is sticky */
	metrics_sample(&b, "xlb:rule_x", ok, 1);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.data, "xlb:rule_x{vip=\"v\"} 1\n");
	metrics_sample(&b, "bad name", NULL, 1);
	metrics_sample(&b, "xlb_y", NULL, 2);
	assert_int_equal(b.err, -EINVAL);
	assert_null(strstr(b.data, "xlb_y"));
	metrics_buf_free(&b);
}

static void test_fixed(void **state)
{
	struct metrics_buf b = {};

	metrics_sample_fixed(&b, "t", NULL, 1500000, 9);
	metrics_sample_fixed(&b, "t", NULL, 0, 9);
	metrics_sample_fixed(&b, "t", NULL, 12345678901ULL, 9);
	metrics_sample_fixed(&b, "t", NULL, 42, 0);
	metrics_sample_fixed(&b, "t", NULL, 5, 3);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.data, "t 0.001500000\n"
				    "t 0.000000000\n"
				    "t 12.345678901\n"
				    "t 42\n"
				    "t 0.005\n");
	metrics_sample_fixed(&b, "t", NULL, 1, 20);
	assert_int_equal(b.err, -EINVAL);
	metrics_buf_free(&b);
}

/* Many lines across several reallocations: nothing lost or garbled */
static void test_growth(void **state)
{
	char want[64], vip[32];
	struct metrics_buf b = {};
	const char *p;
	int i;

	for (i = 0; i < 5000; i++) {
		const char *lab[] = { "vip", vip, NULL };

		snprintf(vip, sizeof(vip), "10.0.%d.%d:80/tcp", i / 256, i % 256);
		metrics_sample(&b, "xlb_packets_total", lab, (uint64_t)i * 1000003);
	}
	assert_int_equal(b.err, 0);
	assert_int_equal(strlen(b.data), b.len);
	assert_true(b.cap > b.len);
	for (i = 0, p = b.data; i < 5000; i++) {
		int n = snprintf(want, sizeof(want),
				 "xlb_packets_total{vip=\"10.0.%d.%d:80/tcp\"} %llu\n", i / 256,
				 i % 256, (unsigned long long)i * 1000003);

		assert_memory_equal(p, want, (size_t)n);
		p += n;
	}
	assert_int_equal(*p, '\0');
	metrics_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

#define REQ(s) metrics_parse_request(s, sizeof(s) - 1)

static void test_parse_request(void **state)
{
	static const char nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";

	/* incomplete head */
	assert_int_equal(REQ(""), 0);
	assert_int_equal(REQ("GET /metrics HTTP/1.1"), 0);
	assert_int_equal(REQ("GET /metrics HTTP/1.1\r\n"), 0);
	assert_int_equal(REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n"), 0);
	assert_int_equal(REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r"), 0);
	/* served */
	assert_int_equal(REQ("GET /metrics HTTP/1.0\r\n\r\n"), 200);
	assert_int_equal(REQ("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n"
			     "Accept: text/plain\r\n\r\n"),
			 200);
	assert_int_equal(REQ("GET /metrics HTTP/1.1\n\n"), 200);
	assert_int_equal(REQ("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"), 200);
	/* other paths */
	assert_int_equal(REQ("GET / HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(REQ("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(REQ("GET /metric HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(REQ("GET /metrics/ HTTP/1.1\r\n\r\n"), 404);
	/* other methods */
	assert_int_equal(REQ("POST /metrics HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(REQ("HEAD /metrics HTTP/1.0\r\n\r\n"), 405);
	assert_int_equal(REQ("GETS /metrics HTTP/1.0\r\n\r\n"), 405);
	/* malformed */
	assert_int_equal(REQ("\r\n\r\n"), 400);
	assert_int_equal(REQ("get /metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(REQ("GET /metrics HTTP/2.0\r\n\r\n"), 400);
	assert_int_equal(REQ("GET /metrics HTTP/1.10\r\n\r\n"), 400);
	assert_int_equal(REQ("GET /metrics\r\n\r\n"), 400);
	assert_int_equal(REQ("GET  /metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(REQ("GET metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(REQ("GET /met rics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(REQ(" GET /metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(metrics_parse_request(nul, sizeof(nul) - 1), 400);
}

static void test_open_bad_addr(void **state)
{
	static const char *const bad[] = { "",	       "127.0.0.1",	  "127.0.0.1:0",
					   "::1:9100", "127.0.0.1:70000", "localhost:9100",
					   "[::1]" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		assert_null(metrics_open(bad[i]));
		assert_int_equal(errno, EINVAL);
	}
}

/* Opens on a free loopback port (tries a few); fills addr */
static struct metrics *open_loopback(bool v6, char *addr, size_t len, uint16_t *port)
{
	struct metrics *m = NULL;
	int i;

	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	for (i = 0; i < 50 && !m; i++) {
		*port = (uint16_t)(20000 + rand() % 40000);
		snprintf(addr, len, v6 ? "[::1]:%u" : "127.0.0.1:%u", *port);
		m = metrics_open(addr);
		if (!m && errno != EADDRINUSE)
			fail_msg("metrics_open(%s): %s", addr, strerror(errno));
	}
	assert_non_null(m);
	return m;
}

static int connect_to(int family, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin6.sin6_addr = in6addr_loopback;
	if (family == AF_INET)
		assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	else
		assert_int_equal(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	return fd;
}

/* Dispatches until the client's response is complete (server closed); returns its length */
static size_t exchange(struct metrics *m, int fd, char *resp, size_t len)
{
	size_t got = 0;
	int rounds;

	for (rounds = 0; rounds < 200; rounds++) {
		struct pollfd p = { .fd = metrics_fd(m), .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) > 0)
			metrics_dispatch(m, NULL); /* error answers never touch the agent */
		n = recv(fd, resp + got, len - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	resp[got] = '\0';
	return got;
}

static void test_server_errors(void **state)
{
	static const struct {
		const char *req, *status;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.0 404 Not Found\r\n" },
		{ "POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.0 405 Method Not Allowed\r\n" },
		{ "hello\n\n", "HTTP/1.0 400 Bad Request\r\n" },
	};
	char addr[64], resp[4096];
	struct metrics *m;
	uint16_t port;
	size_t i;

	m = open_loopback(false, addr, sizeof(addr), &port);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = connect_to(AF_INET, port);

		assert_int_equal(send(fd, cases[i].req, strlen(cases[i].req), 0),
				 (ssize_t)strlen(cases[i].req));
		assert_true(exchange(m, fd, resp, sizeof(resp)) > 0);
		assert_memory_equal(resp, cases[i].status, strlen(cases[i].status));
		assert_non_null(strstr(resp, "\r\nConnection: close\r\n"));
		assert_int_equal(strstr(resp, "Allow: GET\r\n") != NULL, i == 1);
		close(fd);
	}
	metrics_close(m);
}

/* Several clients at once, the request split across writes, on IPv6 */
static void test_server_many_clients(void **state)
{
	char addr[64], resp[4096];
	int fds[10];
	struct metrics *m;
	uint16_t port;
	size_t i;

	m = open_loopback(true, addr, sizeof(addr), &port);
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		fds[i] = connect_to(AF_INET6, port);
		assert_int_equal(send(fds[i], "GET /nope HT", 12, 0), 12);
	}
	for (i = 0; i < 5; i++) /* partial heads: no answer yet */
		metrics_dispatch(m, NULL);
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		assert_int_equal(recv(fds[i], resp, sizeof(resp), MSG_DONTWAIT), -1);
	for (i = ARRAY_SIZE(fds); i-- > 0;) {
		assert_int_equal(send(fds[i], "TP/1.1\r\n\r\n", 10, 0), 10);
		assert_true(exchange(m, fds[i], resp, sizeof(resp)) > 0);
		assert_non_null(strstr(resp, "HTTP/1.0 404 "));
		close(fds[i]);
	}
	metrics_close(m);
}

/* A head that never ends is cut off at METRICS_REQ_MAX */
static void test_server_oversized(void **state)
{
	char addr[64], resp[4096], *junk;
	struct metrics *m;
	uint16_t port;
	int fd;

	junk = malloc(METRICS_REQ_MAX);
	assert_non_null(junk);
	memcpy(junk, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(junk + 26, 'a', METRICS_REQ_MAX - 26);
	m = open_loopback(false, addr, sizeof(addr), &port);
	fd = connect_to(AF_INET, port);
	assert_int_equal(send(fd, junk, METRICS_REQ_MAX, 0), METRICS_REQ_MAX);
	assert_true(exchange(m, fd, resp, sizeof(resp)) > 0);
	assert_non_null(strstr(resp, "HTTP/1.0 431 "));
	close(fd);
	metrics_close(m);
	free(junk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_sample_lines),
		cmocka_unit_test(test_family_help),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_open_bad_addr),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_server_many_clients),
		cmocka_unit_test(test_server_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
