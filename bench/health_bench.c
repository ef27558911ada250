// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* health_bench: the cost of active health checks. N targets (default 10,000),
 * TCP connect checks every second against listeners on 127.0.0.1 served by a
 * forked child (accept and close), for S seconds (default 10). Prints probes/s,
 * the checker's CPU time as a fraction of one core and the probe latency.
 * Usage: health_bench [TARGETS [SECONDS [LISTENERS]]]   (no privileges needed)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <xlb/consts.h>

#include "common/clock.h"
#include "agent/health/health.h"

#define WARMUP_MS 2000 /* first-probe burst and settling, not measured */
#define MAX_LISTENERS 16

struct counts {
	uint64_t ok, fail, lat_sum_us;
	uint32_t lat_max_us;
	char last_reason[HEALTH_REASON_MAX];
};

static void on_result(void *arg, uint64_t id, uint64_t tag, bool ok, uint32_t lat_us,
		      const char *reason)
{
	struct counts *c = arg;

	(void)id;
	(void)tag;
	if (ok) {
		c->ok++;
		c->lat_sum_us += lat_us;
		if (lat_us > c->lat_max_us)
			c->lat_max_us = lat_us;
	} else {
		c->fail++;
		snprintf(c->last_reason, sizeof(c->last_reason), "%s", reason);
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The backends: accept and close on every listener until killed */
static void serve(const int *lfd, int n)
{
	struct pollfd p[MAX_LISTENERS];
	int i, fd;

	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = lfd[i], .events = POLLIN };
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			_exit(1);
		for (i = 0; i < n; i++)
			while ((fd = accept4(lfd[i], NULL, NULL, SOCK_CLOEXEC)) >= 0)
				close(fd);
	}
}

int main(int argc, char **argv)
{
	unsigned int ntargets = argc > 1 ? (unsigned int)atoi(argv[1]) : 10000;
	unsigned int seconds = argc > 2 ? (unsigned int)atoi(argv[2]) : 10;
	int nl = argc > 3 ? atoi(argv[3]) : 4;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint16_t port[MAX_LISTENERS];
	int lfd[MAX_LISTENERS], i, status;
	struct counts cnt = { 0 };
	struct health_target t;
	struct health *h;
	struct rlimit rl;
	uint64_t t0, tm, end, ok0 = 0, fail0 = 0, lat0 = 0, peak = 0;
	double cpu0 = 0, cpu1, wall;
	unsigned int k;
	pid_t child;

	if (!ntargets || seconds * 1000 <= WARMUP_MS || nl < 1 || nl > MAX_LISTENERS) {
		fprintf(stderr, "usage: health_bench [TARGETS [SECONDS>2 [LISTENERS<=%d]]]\n",
			MAX_LISTENERS);
		return 2;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < nl; i++) {
		socklen_t len = sizeof(sa);

		sa.sin_port = 0;
		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd[i] < 0 || bind(lfd[i], (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(lfd[i], 65535) || getsockname(lfd[i], (struct sockaddr *)&sa, &len)) {
			perror("health_bench: listener");
			return 1;
		}
		port[i] = ntohs(sa.sin_port);
	}
	child = fork();
	if (child < 0) {
		perror("health_bench: fork");
		return 1;
	}
	if (child == 0)
		serve(lfd, nl);
	for (i = 0; i < nl; i++)
		close(lfd[i]);

	h = health_new(on_result, &cnt);
	if (!h) {
		perror("health_bench: health_new");
		kill(child, SIGKILL);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	t.kind = HEALTH_TCP;
	t.addr.family = XLB_FAMILY_V4;
	t.addr.addr[0] = htonl(INADDR_LOOPBACK);
	t.interval_ms = 1000;
	t.timeout_ms = 1000;
	for (k = 0; k < ntargets; k++) {
		t.port = port[k % (unsigned int)nl];
		if (health_add(h, k, &t)) {
			fprintf(stderr, "health_bench: add %u failed\n", k);
			return 1;
		}
	}

	t0 = mono_ms();
	tm = t0 + WARMUP_MS;
	end = t0 + (uint64_t)seconds * 1000;
	for (;;) {
		struct pollfd p = { .fd = health_fd(h), .events = POLLIN };
		uint64_t now = mono_ms();

		if (now >= end)
			break;
		if (tm && now >= tm) {
			cpu0 = cpu_s();
			ok0 = cnt.ok;
			fail0 = cnt.fail;
			lat0 = cnt.lat_sum_us;
			cnt.lat_max_us = 0;
			tm = 0;
		}
		(void)poll(&p, 1, (int)(end - now));
		if (health_dispatch(h, mono_ms())) {
			perror("health_bench: dispatch");
			break;
		}
		if (health_nr_inflight(h) > peak)
			peak = health_nr_inflight(h);
	}
	cpu1 = cpu_s();
	wall = (double)(mono_ms() - (t0 + WARMUP_MS)) / 1000.0;

	printf("health_bench: %u TCP targets on %d listener(s) at 127.0.0.1, interval 1s, "
	       "timeout 1s, %u s (first %d ms not measured)\n",
	       ntargets, nl, seconds, WARMUP_MS);
	printf("  probes/s          %10.0f   (ok %llu, failed %llu in %.2f s)\n",
	       (double)(cnt.ok - ok0 + cnt.fail - fail0) / wall, (unsigned long long)(cnt.ok - ok0),
	       (unsigned long long)(cnt.fail - fail0), wall);
	printf("  cpu (user+sys)    %10.3f   of one core (%.3f s)\n", (cpu1 - cpu0) / wall,
	       cpu1 - cpu0);
	printf("  latency avg       %10.1f us (max %u us)\n",
	       cnt.ok > ok0 ? (double)(cnt.lat_sum_us - lat0) / (double)(cnt.ok - ok0) : 0.0,
	       cnt.lat_max_us);
	printf("  peak in flight    %10llu\n", (unsigned long long)peak);
	if (cnt.fail)
		printf("  last failure      %s\n", cnt.last_reason);

	health_free(h);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return cnt.fail - fail0 ? 1 : 0;
}
