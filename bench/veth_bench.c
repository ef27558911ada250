// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* veth_bench: Mpps that xlb_xdp forwards on a veth pair, against the floor
 * program (XDP_TX only) on the same pair, alternated round by round.
 * xdp_gen injects 64-byte frames with BPF_F_TEST_XDP_LIVE_FRAMES out of the
 * generator-side veth; the program under test runs on the peer and sends them
 * back (XDP_TX); xdp_count counts and drops them on the generator side.
 * bench/run.sh creates the namespaces and the pair; see bench/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define BENCH_NAME "veth_bench"
#include "bench_common.h"

#define MAX_ROUNDS 20
#define CHUNK (1U << 18) /* frames per BPF_PROG_TEST_RUN call */
/* xdp_gen.bpf.c: bench_cnt slots */
#define BENCH_CNT_IPIP 0
#define BENCH_CNT_TCP 1
#define BENCH_CNT_OTHER 2

struct veth {
	struct xlb_maps *m;
	struct xdp_floor_bpf *floor;
	struct xdp_gen_bpf *gen;
	int xlb_fd, floor_fd, gen_fd, count_fd, cnt_map_fd;
	int ns_gen, ns_lb, ns_orig;
	int if_gen, if_lb;
	int ncpus, cpu;
	struct frame frame; /* 64 bytes: Ethernet + IPv4 + TCP ACK + 10 bytes */
};

struct sample {
	double mpps, offered; /* frames back of the kind the phase produces (IPIP for xlb) */
	__u64 ipip, tcp, other, on_cpu;
	__u64 cnt[__XLB_CNT_MAX];
};

/* One VIP, 203.0.113.10:80/tcp, IPIP to 100 backends 192.0.2.128-227 (XDP_TX,
 * back to the generator's MAC) */
static int setup_xlb(struct veth *v, int *used_maglev)
{
	static const struct bench_vip vip = {
		0, 0, IPPROTO_TCP, "203.0.113.10", 80, 1, mac_client
	};
	int err = bench_setup_config(v->m);

	return err ?: bench_setup_vip(v->m, &vip, used_maglev);
}

static int enter_ns(int fd, const char *name)
{
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "veth_bench: netns %s: setns failed: %s\n", name, strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "veth_bench: netns %s: open failed: %s\n", name, strerror(errno));
	return fd;
}

/* Attach @fd in native mode on the balancer-side veth (replacing what is there) */
static int lb_attach(struct veth *v, int fd, const char *name)
{
	int err = enter_ns(v->ns_lb, "balancer");

	if (!err) {
		err = bpf_xdp_attach(v->if_lb, fd, XDP_FLAGS_DRV_MODE, NULL);
		if (err)
			fprintf(stderr, "veth_bench: %s: attach (native) failed: %s\n", name,
				strerror(-err));
	}
	return enter_ns(v->ns_gen, "generator") ?: err;
}

/* Sum of bench_cnt[@slot] over CPUs; *@on_cpu += this CPU's share */
static int count_read(struct veth *v, __u32 slot, __u64 *total, __u64 *on_cpu)
{
	__u64 vals[v->ncpus];
	int err = bpf_map_lookup_elem(v->cnt_map_fd, &slot, vals);

	if (err) {
		fprintf(stderr, "veth_bench: bench_cnt: lookup failed: %s\n", strerror(errno));
		return -errno;
	}
	*total = 0;
	for (int i = 0; i < v->ncpus; i++)
		*total += vals[i];
	*on_cpu += vals[v->cpu];
	return 0;
}

struct snapv {
	__u64 ipip, tcp, other, on_cpu;
	__u64 cnt[__XLB_CNT_MAX];
	uint64_t t;
};

static int snapv_take(struct veth *v, struct snapv *s)
{
	int err;

	s->on_cpu = 0;
	err = count_read(v, BENCH_CNT_IPIP, &s->ipip, &s->on_cpu);
	if (!err)
		err = count_read(v, BENCH_CNT_TCP, &s->tcp, &s->on_cpu);
	if (!err)
		err = count_read(v, BENCH_CNT_OTHER, &s->other, &s->on_cpu);
	if (!err)
		err = maps_counters_read(v->m, s->cnt, NULL);
	s->t = mono_ns();
	return err;
}

/* Inject frames for @secs seconds; the rate counts frames back of the kind
 * the phase produces: IPIP when xlb_xdp runs (@xlb), untouched TCP otherwise. */
static int blast(struct veth *v, double secs, int xlb, struct sample *out)
{
	struct xdp_md ctx = { .data_end = v->frame.len, .ingress_ifindex = v->if_gen };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = v->frame.b, .data_size_in = v->frame.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = CHUNK,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	struct snapv s0, s1;
	uint64_t sent = 0, end;
	int err;

	err = snapv_take(v, &s0);
	if (err)
		return err;
	end = s0.t + (uint64_t)(secs * 1e9);
	do {
		err = bpf_prog_test_run_opts(v->gen_fd, &o);
		if (err) {
			fprintf(stderr, "veth_bench: xdp_gen: live BPF_PROG_TEST_RUN failed: %s\n",
				strerror(-err));
			return err;
		}
		sent += CHUNK;
	} while (mono_ns() < end);
	err = snapv_take(v, &s1);
	if (err)
		return err;
	out->ipip = s1.ipip - s0.ipip;
	out->tcp = s1.tcp - s0.tcp;
	out->other = s1.other - s0.other;
	out->on_cpu = s1.on_cpu - s0.on_cpu;
	for (int i = 0; i < __XLB_CNT_MAX; i++)
		out->cnt[i] = s1.cnt[i] - s0.cnt[i];
	out->mpps = (xlb ? out->ipip : out->tcp) / ((s1.t - s0.t) / 1e3);
	out->offered = sent / ((s1.t - s0.t) / 1e3);
	return 0;
}

/* ns per run of each program inside the veth path, from the kernel's bpf_stats */
static void stats_line(struct veth *v, double secs)
{
	const struct {
		const char *name;
		int fd;
	} progs[] = { { "xdp_gen", v->gen_fd },
		      { "xlb_xdp", v->xlb_fd },
		      { "xdp_count", v->count_fd } };
	struct bpf_prog_info a[3], b[3];
	struct sample s;
	__u32 len;
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (sfd < 0) {
		printf("  bpf_stats: unavailable (%s)\n", strerror(-sfd));
		return;
	}
	for (int i = 0; i < 3; i++) {
		len = sizeof(a[i]);
		memset(&a[i], 0, sizeof(a[i]));
		bpf_obj_get_info_by_fd(progs[i].fd, &a[i], &len);
	}
	if (blast(v, secs, 1, &s)) {
		close(sfd);
		return;
	}
	for (int i = 0; i < 3; i++) {
		len = sizeof(b[i]);
		memset(&b[i], 0, sizeof(b[i]));
		bpf_obj_get_info_by_fd(progs[i].fd, &b[i], &len);
	}
	close(sfd);
	printf("  in the veth path (kernel bpf_stats, %.0f s with xlb_xdp, which itself adds"
	       " two clock reads per run):\n   ",
	       secs);
	for (int i = 0; i < 3; i++) {
		__u64 n = b[i].run_cnt - a[i].run_cnt;

		printf(" %s %.0f ns/run%s", progs[i].name,
		       n ? (double)(b[i].run_time_ns - a[i].run_time_ns) / n : 0.0,
		       i < 2 ? "," : "\n");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: veth_bench --gen-ns NS --lb-ns NS --gen-dev DEV --lb-dev DEV\n"
		   "                  [--seconds S] [--rounds N] [--cpu N] [--flows N]"
		   " [--summary FILE]\n"
		   "  the two namespaces and the veth pair must exist (bench/run.sh makes them)\n"
		   "  --seconds S  length of each xlb or floor phase (default 2)\n"
		   "  --rounds N   xlb/floor pairs (default 4)\n"
		   "  --flows N    established flows the generator cycles through, power of 2"
		   " (default 1024)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "gen-ns", required_argument, NULL, 'g' },
					      { "lb-ns", required_argument, NULL, 'l' },
					      { "gen-dev", required_argument, NULL, 'G' },
					      { "lb-dev", required_argument, NULL, 'L' },
					      { "seconds", required_argument, NULL, 's' },
					      { "rounds", required_argument, NULL, 'n' },
					      { "cpu", required_argument, NULL, 'c' },
					      { "flows", required_argument, NULL, 'f' },
					      { "summary", required_argument, NULL, 'S' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	const char *gen_ns = NULL, *lb_ns = NULL, *gen_dev = NULL, *lb_dev = NULL, *summary = NULL;
	struct veth v = { .ns_gen = -1, .ns_lb = -1, .ns_orig = -1, .cpu = -1 };
	double secs = 2, xr[MAX_ROUNDS], fr[MAX_ROUNDS], ratio[MAX_ROUNDS];
	int rounds = 4, used_maglev = 1, opt, err = 0, ok = 1, attached_gen = 0, attached_lb = 0;
	uint32_t flows = 1024;
	struct sample warm;
	__u64 xlb_ipip = 0, xlb_tcp = 0, xlb_hit = 0, xlb_tx = 0, xlb_drop = 0, fl_ipip = 0,
	      fl_tcp = 0, fl_xlb_rx = 0, other = 0, total = 0, on_cpu = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			gen_ns = optarg;
			break;
		case 'l':
			lb_ns = optarg;
			break;
		case 'G':
			gen_dev = optarg;
			break;
		case 'L':
			lb_dev = optarg;
			break;
		case 's':
			secs = atof(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'c':
			v.cpu = atoi(optarg);
			break;
		case 'f':
			flows = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			summary = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!gen_ns || !lb_ns || !gen_dev || !lb_dev || secs <= 0 || rounds < 1 ||
	    rounds > MAX_ROUNDS || !flows || (flows & (flows - 1)) || flows > 65536) {
		usage(stderr);
		return 2;
	}
	v.ncpus = bench_start(&v.cpu);
	if (v.ncpus < 0)
		return 1;

	err = bench_load(NULL, &v.m, &v.floor, &v.gen);
	if (err)
		goto out;
	v.xlb_fd = maps_prog_fd(v.m);
	v.floor_fd = bpf_program__fd(v.floor->progs.xdp_floor);
	v.gen_fd = bpf_program__fd(v.gen->progs.xdp_gen);
	v.count_fd = bpf_program__fd(v.gen->progs.xdp_count);
	v.cnt_map_fd = bpf_map__fd(v.gen->maps.bench_cnt);
	err = setup_xlb(&v, &used_maglev);
	if (err) {
		fprintf(stderr, "veth_bench: setup failed: %s\n", strerror(-err));
		goto out;
	}
	build_frame(&v.frame, 0, IPPROTO_TCP, 0x10, "198.51.100.0", "203.0.113.10", 1024, 80);
	memcpy(v.gen->bss->tpl, v.frame.b, sizeof(v.gen->bss->tpl));
	v.gen->bss->tpl_len = v.frame.len;
	v.gen->bss->vary_addr_off = sizeof(struct ethhdr) + 15; /* last byte of saddr */
	v.gen->bss->vary_port_off = sizeof(struct ethhdr) + sizeof(struct iphdr);
	v.gen->bss->gen_flows_mask = flows - 1;
	v.gen->bss->gen_flow_base = 1024; /* source ports 1024 .. 1024 + flows - 1 */

	v.ns_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	v.ns_gen = open_ns(gen_ns);
	v.ns_lb = open_ns(lb_ns);
	if (v.ns_orig < 0 || v.ns_gen < 0 || v.ns_lb < 0) {
		err = -ENOENT;
		goto out;
	}
	err = enter_ns(v.ns_lb, lb_ns);
	if (!err) {
		v.if_lb = if_nametoindex(lb_dev);
		err = enter_ns(v.ns_gen, gen_ns);
	}
	if (!err)
		v.if_gen = if_nametoindex(gen_dev);
	if (err || !v.if_lb || !v.if_gen) {
		fprintf(stderr, "veth_bench: %s/%s, %s/%s: interfaces not found\n", gen_ns, gen_dev,
			lb_ns, lb_dev);
		err = -ENODEV;
		goto out;
	}
	err = bpf_xdp_attach(v.if_gen, v.count_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "veth_bench: xdp_count: attach (native) to %s failed: %s\n",
			gen_dev, strerror(-err));
		goto out;
	}
	attached_gen = 1;
	err = lb_attach(&v, v.xlb_fd, "xlb_xdp");
	if (err)
		goto out;
	attached_lb = 1;

	printf("veth_bench: veth pair %s (ns %s) <-> %s (ns %s), everything pinned to CPU %d\n",
	       gen_dev, gen_ns, lb_dev, lb_ns, v.cpu);
	printf("  xdp_gen injects 64-byte TCP frames (%u established flows to 203.0.113.10:80)"
	       " with\n  BPF_F_TEST_XDP_LIVE_FRAMES out of %s; %s runs xlb_xdp (IPIP to %d"
	       " backends,\n  ring by %s, XDP_TX) or xdp_floor (XDP_TX); xdp_count on %s counts"
	       " and drops.\n",
	       flows, gen_dev, lb_dev, NBACKENDS, used_maglev ? "maglev_build()" : "round robin",
	       gen_dev);
	/* warm-up: every flow's first packet inserts its entry; the rest are hits */
	err = blast(&v, 0.5, 1, &warm);
	if (err)
		goto out;
	printf("  %d rounds of %g s xlb + %g s floor, order alternating:\n", rounds, secs, secs);
	printf("    round   xlb_xdp Mpps   floor Mpps   ratio   (offered Mpps xlb / floor)\n");
	for (int r = 0; r < rounds; r++) {
		struct sample sx, sf;

		for (int k = 0; k < 2; k++) {
			int run_xlb = (r + k) % 2 == 0;

			err = lb_attach(&v, run_xlb ? v.xlb_fd : v.floor_fd,
					run_xlb ? "xlb_xdp" : "xdp_floor");
			if (!err)
				err = blast(&v, secs, run_xlb, run_xlb ? &sx : &sf);
			if (err)
				goto out;
		}
		xr[r] = sx.mpps;
		fr[r] = sf.mpps;
		ratio[r] = sx.mpps / sf.mpps;
		printf("    %5d   %12.2f   %10.2f   %5.2f   (%.2f / %.2f)\n", r + 1, sx.mpps,
		       sf.mpps, ratio[r], sx.offered, sf.offered);
		xlb_ipip += sx.ipip;
		xlb_tcp += sx.tcp;
		xlb_hit += sx.cnt[XLB_CNT_FLOW_HIT];
		xlb_tx += sx.cnt[XLB_CNT_TX];
		xlb_drop += sx.cnt[XLB_CNT_DROP];
		fl_ipip += sf.ipip;
		fl_tcp += sf.tcp;
		fl_xlb_rx += sf.cnt[XLB_CNT_RX];
		other += sx.other + sf.other;
		total += sx.ipip + sx.tcp + sx.other + sf.ipip + sf.tcp + sf.other;
		on_cpu += sx.on_cpu + sf.on_cpu;
	}
	printf("    median  %12.2f   %10.2f   %5.2f   (ratio: median of the per-round ratios)\n",
	       median_dbl(xr, rounds), median_dbl(fr, rounds), median_dbl(ratio, rounds));

	printf("    xlb_xdp adds %.0f ns per frame over the floor (1/Mpps difference of the medians)\n",
	       1e3 / median_dbl(xr, rounds) - 1e3 / median_dbl(fr, rounds));

	/* proof of path: in xlb phases every frame came back IPIP-encapsulated from a
	 * flow hit; in floor phases untouched, and xlb_xdp never ran */
	ok = xlb_ipip && !xlb_tcp && xlb_hit == xlb_tx && xlb_tx == xlb_ipip && !xlb_drop &&
	     fl_tcp && !fl_ipip && !fl_xlb_rx;
	printf("  checks: xlb phases: %llu frames back IPIP, %llu untouched; xlb TX %llu, FLOW_HIT"
	       " %llu, DROP %llu\n          floor phases: %llu back untouched, %llu IPIP; xlb RX"
	       " %llu\n          other frames %llu; counted on CPU %d: %.1f%% -> %s\n",
	       (unsigned long long)xlb_ipip, (unsigned long long)xlb_tcp,
	       (unsigned long long)xlb_tx, (unsigned long long)xlb_hit,
	       (unsigned long long)xlb_drop, (unsigned long long)fl_tcp,
	       (unsigned long long)fl_ipip, (unsigned long long)fl_xlb_rx,
	       (unsigned long long)other, v.cpu, total ? 100.0 * on_cpu / total : 0.0,
	       ok ? "ok" : "FAILED");
	err = lb_attach(&v, v.xlb_fd, "xlb_xdp");
	if (!err)
		stats_line(&v, 1);
	if (summary) {
		FILE *f = fopen(summary, "a");

		if (f) {
			fprintf(f,
				"veth_xlb_mpps %.2f\nveth_floor_mpps %.2f\nveth_ratio %.2f\n"
				"veth_checks %s\nveth_rounds %d\nveth_seconds %g\n",
				median_dbl(xr, rounds), median_dbl(fr, rounds),
				median_dbl(ratio, rounds), ok ? "ok" : "FAILED", rounds, secs);
			fclose(f);
		}
	}
	if (!ok)
		err = -EPROTO;
out:
	if (attached_lb && !enter_ns(v.ns_lb, lb_ns))
		bpf_xdp_detach(v.if_lb, XDP_FLAGS_DRV_MODE, NULL);
	if (attached_gen && !enter_ns(v.ns_gen, gen_ns))
		bpf_xdp_detach(v.if_gen, XDP_FLAGS_DRV_MODE, NULL);
	if (v.ns_orig >= 0)
		setns(v.ns_orig, CLONE_NEWNET);
	if (v.ns_gen >= 0)
		close(v.ns_gen);
	if (v.ns_lb >= 0)
		close(v.ns_lb);
	if (v.ns_orig >= 0)
		close(v.ns_orig);
	xdp_gen_bpf__destroy(v.gen);
	xdp_floor_bpf__destroy(v.floor);
	maps_close(v.m);
	return err ? 1 : 0;
}
