// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cost of the control plane at scale (issue 10): sync.c against the real maps
 * of a loaded xlb_xdp (pinned in a private bpffs, as lbd does), with a resolver
 * that answers at once (no netlink: next-hop costs are counted, not timed).
 * For each shape (VIPs x backends) it prints:
 *   first start      config text parsed + every table built and written
 *   one change       one backend's weight changed, applied (a new table)
 *   same again       the same config applied again (nothing to do)
 *   next change      another weight change 2 s later (the idle table rewritten)
 *   restart          a new sync on the pinned maps: recover + apply, nothing changed
 *   resolutions and map writes for each step, and the process's peak RSS.
 * Root (BPF, bpffs mount). Prints numbers only; never a test.
 * Usage: sync_bench [VIPSxBACKENDS...]   (default: 1000x10 100x1000; at most
 * 1024 VIPs; the maps get room for the shape's backends, as lbd --max-backends)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "agent/model/config.h"
#include "agent/dataplane/maps.h"
#include "agent/dataplane/sync.h"

static unsigned long resolutions;

static int resolve(void *arg, const struct xlb_addr *dst, uint32_t *ifindex, uint8_t dmac[6],
		   uint8_t smac[6], struct xlb_addr *via)
{
	(void)arg;
	*ifindex = 1;
	memset(dmac, 0x02, 6);
	memset(smac, 0x04, 6);
	*via = *dst;
	resolutions++;
	return 0;
}

/* N VIPs (203.0.113.1-250, ports 1000 up), M backends each (10.0.0.0/8, distinct) */
static char *config_text(unsigned int nvip, unsigned int nbe, unsigned int weight_of_first)
{
	size_t cap = (size_t)nvip * (64 + (size_t)nbe * 80) + 1, len = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	for (unsigned int v = 0; v < nvip; v++) {
		len += snprintf(t + len, cap - len, "vip add 203.0.113.%u:%u/tcp\n", v % 250 + 1,
				1000 + v / 250);
		for (unsigned int b = 0; b < nbe; b++)
			len += snprintf(t + len, cap - len,
					"backend add 203.0.113.%u:%u/tcp 10.%u.%u.%u weight %u\n",
					v % 250 + 1, 1000 + v / 250, (v >> 8 & 3) | (b / 250) << 2,
					v & 0xff, b % 250 + 1,
					v == 0 && b == 0 ? weight_of_first : 100);
	}
	return t;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static int load(struct config *c, unsigned int nvip, unsigned int nbe, unsigned int w)
{
	char err[256], *text = config_text(nvip, nbe, w);
	int ret;

	if (!text)
		return -ENOMEM;
	config_free(c);
	config_init(c);
	ret = config_load_text(c, text, err, sizeof(err));
	if (ret)
		fprintf(stderr, "sync_bench: config: %s\n", err);
	free(text);
	return ret;
}

static void line(const char *what, uint64_t ns, unsigned long res)
{
	printf("  %-12s %10.1f ms   %8lu next-hop resolutions\n", what, (double)ns / 1e6, res);
}

static int shape(const char *root, unsigned int nvip, unsigned int nbe)
{
	struct xlb_maps_opts mo = { .pin_root = root, .be_max = nvip * nbe };
	struct config c, c2;
	struct xlb_maps *m;
	struct sync *s;
	uint64_t t0;
	int err;

	printf("%u VIPs x %u backends (%u backends):\n", nvip, nbe, nvip * nbe);
	if (mo.be_max < XLB_MAX_BACKENDS)
		mo.be_max = XLB_MAX_BACKENDS;
	config_set_max_backends(mo.be_max);
	config_init(&c);
	config_init(&c2);
	m = maps_open(&mo);
	if (!m) {
		fprintf(stderr, "sync_bench: maps_open: %s\n", strerror(errno));
		return -errno;
	}
	s = sync_new(m, resolve, NULL);
	if (!s)
		return -errno;

	resolutions = 0;
	t0 = mono_ns();
	err = load(&c, nvip, nbe, 100);
	if (!err)
		err = sync_apply(s, &c);
	line("first start", mono_ns() - t0, resolutions);
	if (err)
		goto out;

	resolutions = 0;
	t0 = mono_ns();
	err = load(&c2, nvip, nbe, 300); /* parsing a whole config is the client's cost */
	if (!err)
		err = sync_recover(s, &c2); /* ids of the running config carried over */
	if (err)
		goto out;
	t0 = mono_ns();
	err = sync_apply(s, &c2);
	line("one change", mono_ns() - t0, resolutions);
	if (err)
		goto out;

	resolutions = 0;
	t0 = mono_ns();
	err = sync_apply(s, &c2);
	line("same again", mono_ns() - t0, resolutions);
	if (err)
		goto out;

	/* a second change a while later: the idle bank is rewritten in place */
	sleep(2);
	err = load(&c, nvip, nbe, 200);
	if (!err)
		err = sync_recover(s, &c);
	if (err)
		goto out;
	t0 = mono_ns();
	err = sync_apply(s, &c);
	line("next change", mono_ns() - t0, resolutions);
	if (err)
		goto out;

	/* restart: what a new lbd does on the pinned maps */
	sync_free(s);
	maps_close(m);
	resolutions = 0;
	t0 = mono_ns();
	m = maps_open(&mo);
	s = m ? sync_new(m, resolve, NULL) : NULL;
	err = s ? load(&c, nvip, nbe, 300) : -errno;
	if (!err)
		err = sync_recover(s, &c);
	if (!err)
		err = sync_apply(s, &c);
	line("restart", mono_ns() - t0, resolutions);
out:
	printf("  peak RSS     %10ld KiB\n", peak_rss_kib());
	if (err)
		fprintf(stderr, "sync_bench: %s\n", strerror(-err));
	sync_free(s);
	maps_close(m);
	config_free(&c);
	config_free(&c2);
	return err;
}

int main(int argc, char **argv)
{
	const char *def[] = { "1000x10", "100x1000" };
	char root[] = "/tmp/xlb-sync-bench.XXXXXX";
	int n = argc > 1 ? argc - 1 : 2, err = 0;

	if (!mkdtemp(root) || mount("bpf", root, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "sync_bench: bpffs at %s: %s (needs root)\n", root,
			strerror(errno));
		return 1;
	}
	for (int i = 0; i < n && !err; i++) {
		unsigned int v, b;
		const char *arg = argc > 1 ? argv[i + 1] : def[i];

		if (sscanf(arg, "%ux%u", &v, &b) != 2 || !v || !b) {
			fprintf(stderr, "usage: sync_bench [VIPSxBACKENDS...]\n");
			err = 2;
			break;
		}
		err = shape(root, v, b);
		umount(root);
		mount("bpf", root, "bpf", 0, "mode=0700"); /* the next shape starts empty */
	}
	umount(root);
	rmdir(root);
	return err ? 1 : 0;
}
