// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pkt_bench: ns per packet of xlb_xdp by BPF_PROG_TEST_RUN, per path, against
 * a floor program that only returns XDP_TX. Each figure is the median of
 * --rounds runs of --repeat repeats, and each run proves it timed the intended
 * path by the growth of xlb's own counters. Method: bench/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define BENCH_NAME "pkt_bench"
#include "bench_common.h"

#define MAX_ROUNDS 15
#define SAMPLE 1000
/* New flows take source 198.51.100.(idx >> 16), port idx & 0xffff; idx stays below
 * the sources the fixed flows use (198.51.100.250+), so every SYN is a miss. */
#define NEW_FLOW_IDX_MAX (250U << 16)

enum vip_idx {
	VIP_TCP4,
	VIP_UDP4,
	VIP_TCP6,
	NVIPS
};

enum path_kind {
	P_ESTAB,  /* established TCP flow (flow table hit) */
	P_NEW,	  /* TCP SYN of a new flow into a full table */
	P_UDP,	  /* established UDP flow */
	P_IPV6,	  /* established TCP flow over IPv6 */
	P_NONVIP, /* TCP to an address that hosts no VIP */
	NPATHS
};

struct path {
	const char *key;  /* summary key */
	const char *name; /* printed */
	struct frame f;
	int wrapped;	   /* restored per repeat by xdp_wrap (the program rewrites it) */
	int vary;	   /* a new flow per repeat */
	uint32_t addr_off; /* offset of the source address byte varied by xdp_wrap */
	uint32_t port_off; /* offset of the source port */
	int want_ret;	   /* XDP verdict every repeat must give */
	int hit_cnt;	   /* XLB_CNT_* that must grow by exactly the repeat count */
	uint32_t ns[MAX_ROUNDS];
	uint32_t wrap_ns[MAX_ROUNDS], floor_ns[MAX_ROUNDS];
	int checks_ok;
	char proof[640];
	char out[160];
};

/* An established flow: restored per repeat by xdp_wrap, a flow hit, IPIP, XDP_TX */
/* clang-format off */
#define ESTAB_PATH(k, n) \
	{ .key = (k), .name = (n), .wrapped = 1, .want_ret = XDP_TX, .hit_cnt = XLB_CNT_FLOW_HIT }
/* clang-format on */

struct bench {
	struct xlb_maps *m;
	struct xdp_floor_bpf *floor;
	struct xdp_gen_bpf *gen;
	int xlb_fd, floor_fd, wrap_fd, target_fd, flows_fd;
	uint32_t repeat, rounds, flow_max, share;
	int cpu, ncpus_possible;
	uint64_t next_idx; /* next new-flow index */
	FILE *summary;
};

/* One BPF_PROG_TEST_RUN. @ns gets the kernel's per-repeat average. */
static int test_run(int fd, const struct frame *in, struct frame *out, uint32_t repeat,
		    uint32_t *ns, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = in->len,
		    .data_out = out ? out->b : NULL, .data_size_out = out ? FRAME_MAX : 0,
		    .repeat = repeat);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err) {
		fprintf(stderr, "pkt_bench: prog fd %d: BPF_PROG_TEST_RUN failed: %s\n", fd,
			strerror(-err));
		return err;
	}
	if (out)
		out->len = o.data_size_out;
	*ns = o.duration;
	*retval = o.retval;
	return 0;
}

struct snap {
	__u64 cnt[__XLB_CNT_MAX];
	__u64 drops[__XLB_DROP_MAX];
	struct xlb_vip_stats vip[NVIPS];
};

static int snap_take(struct bench *b, struct snap *s)
{
	int err = maps_counters_read(b->m, s->cnt, s->drops);

	for (uint32_t i = 0; !err && i < NVIPS; i++)
		err = maps_vip_stats_read(b->m, i, &s->vip[i]);
	if (err)
		fprintf(stderr, "pkt_bench: counters: read failed: %s\n", strerror(-err));
	return err;
}

/* ---- setup: 3 VIPs x 100 backends, Maglev rings, config ---- */

static int setup(struct bench *b, int *used_maglev)
{
	/* 203.0.113.10 hosts two VIPs: the TCP one sets its address count to 2 */
	static const struct bench_vip vips[NVIPS] = {
		[VIP_TCP4] = { VIP_TCP4, 0, IPPROTO_TCP, "203.0.113.10", 80, 2, mac_router },
		[VIP_UDP4] = { VIP_UDP4, 0, IPPROTO_UDP, "203.0.113.10", 53, 1, mac_router },
		[VIP_TCP6] = { VIP_TCP6, 1, IPPROTO_TCP, "2001:db8::10", 80, 1, mac_router },
	};
	int err = bench_setup_config(b->m);

	for (int i = 0; !err && i < NVIPS; i++)
		err = bench_setup_vip(b->m, &vips[i], used_maglev);
	return err;
}

/* ---- flow table: prefill to full size, count, sample ---- */

#define NET_203_0_113 0xcb007100U  /* 203.0.113.0, host order */
#define NET_198_51_100 0xc6336400U /* 198.51.100.0, host order */

/* Prefilled flow i: 203.0.113.(i >> 16):(i & 0xffff) -> 203.0.113.10:80/tcp */
static void prefill_key(struct xlb_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = XLB_FAMILY_V4;
	k->proto = IPPROTO_TCP;
	k->src[0] = htonl(NET_203_0_113 | ((i >> 16) & 0xff));
	k->dst[0] = htonl(NET_203_0_113 | 10);
	k->sport = htons(i & 0xffff);
	k->dport = htons(80);
}

/* New flow idx (what xdp_wrap writes): 198.51.100.(idx >> 16):(idx & 0xffff) */
static void new_flow_key(struct xlb_flow_key *k, uint64_t idx)
{
	prefill_key(k, 0);
	k->src[0] = htonl(NET_198_51_100 | ((idx >> 16) & 0xff));
	k->sport = htons(idx & 0xffff);
}

/* The LRU has one list per possible CPU (BPF_F_NO_COMMON_LRU), each holding
 * flow_max / ncpus entries, and an insert takes from (or evicts on) the list
 * of the CPU it runs on. So fill each list from its own CPU. */
static int prefill(struct bench *b)
{
	const uint32_t chunk = 65536;
	struct xlb_flow_key *keys = calloc(chunk, sizeof(*keys));
	struct xlb_flow_val *vals = calloc(chunk, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	uint64_t now = mono_ns();
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (int cpu = 0; cpu < b->ncpus_possible && !err; cpu++) {
		err = pin_cpu(cpu);
		for (uint32_t base = cpu * b->share; !err && base < (cpu + 1) * b->share;
		     base += chunk) {
			uint32_t n = (cpu + 1) * b->share - base;

			if (n > chunk)
				n = chunk;
			for (uint32_t j = 0; j < n; j++) {
				prefill_key(&keys[j], base + j);
				vals[j].last_seen_ns = now;
				vals[j].backend_id = (base + j) % NBACKENDS; /* VIP_TCP4's slots */
				vals[j].backend_gen = 1;
			}
			err = bpf_map_update_batch(b->flows_fd, keys, vals, &n, &bo);
			if (err)
				fprintf(stderr, "pkt_bench: %s: prefill on cpu %d failed: %s\n",
					XLB_MAP_FLOWS, cpu, strerror(-err));
		}
	}
	if (!err)
		err = pin_cpu(b->cpu);
out:
	free(keys);
	free(vals);
	return err;
}

static long count_flows(struct bench *b)
{
	const uint32_t chunk = 65536;
	struct xlb_flow_key *keys = calloc(chunk, sizeof(*keys));
	struct xlb_flow_val *vals = calloc(chunk, sizeof(*vals));
	uint32_t token = 0;
	void *in = NULL;
	long total = 0;
	int err;

	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	for (;;) {
		uint32_t n = chunk;

		err = bpf_map_lookup_batch(b->flows_fd, in, &token, keys, vals, &n, NULL);
		if (err && err != -ENOENT) {
			fprintf(stderr, "pkt_bench: %s: batch lookup failed: %s\n", XLB_MAP_FLOWS,
				strerror(-err));
			total = err;
			break;
		}
		total += n;
		if (err == -ENOENT)
			break;
		in = &token;
	}
out:
	free(keys);
	free(vals);
	return total;
}

/* ---- one path ---- */

#define D(s1, s0, i) ((s1)->cnt[i] - (s0)->cnt[i])

static __u64 drops_total(const struct snap *s)
{
	__u64 t = 0;

	for (int i = 0; i < __XLB_DROP_MAX; i++)
		t += s->drops[i];
	return t;
}

/* Every expectation of @p for one run of @r repeats; appends failures to @why. */
static int check_run(const struct path *p, const struct snap *s0, const struct snap *s1, uint32_t r,
		     char *why, size_t whylen)
{
	int fwd = p->want_ret == XDP_TX;
	struct {
		const char *name;
		__u64 got, want;
	} c[] = {
		{ "RX", D(s1, s0, XLB_CNT_RX), r },
		{ "TX", D(s1, s0, XLB_CNT_TX), fwd ? r : 0 },
		{ "PASS", D(s1, s0, XLB_CNT_PASS), fwd ? 0 : r },
		{ "DROP", D(s1, s0, XLB_CNT_DROP), 0 },
		{ "ENCAP_IPIP", D(s1, s0, XLB_CNT_ENCAP_IPIP), fwd ? r : 0 },
		{ "FLOW_HIT", D(s1, s0, XLB_CNT_FLOW_HIT), p->hit_cnt == XLB_CNT_FLOW_HIT ? r : 0 },
		{ "FLOW_MISS", D(s1, s0, XLB_CNT_FLOW_MISS),
		  p->hit_cnt == XLB_CNT_FLOW_MISS ? r : 0 },
		{ "SYN", D(s1, s0, XLB_CNT_SYN), p->hit_cnt == XLB_CNT_SYN ? r : 0 },
		{ "FLOW_INSERT_FAIL", D(s1, s0, XLB_CNT_FLOW_INSERT_FAIL), 0 },
		{ "FLOOD_GUARD", D(s1, s0, XLB_CNT_FLOOD_GUARD), 0 },
		{ "drops[]", drops_total(s1) - drops_total(s0), 0 },
		{ "vip new_flows", s1->vip[VIP_TCP4].new_flows - s0->vip[VIP_TCP4].new_flows,
		  p->vary ? r : 0 },
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].got == c[i].want)
			continue;
		ok = 0;
		snprintf(why + strlen(why), whylen - strlen(why), " %s +%llu (want %llu)",
			 c[i].name, (unsigned long long)c[i].got, (unsigned long long)c[i].want);
	}
	return ok;
}

static void describe_out(const struct path *p, const struct frame *o, char *buf, size_t len)
{
	const struct ethhdr *eth = (const void *)o->b;
	char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN];

	if (p->want_ret != XDP_TX) {
		snprintf(buf, len, "%u B, %s", o->len,
			 o->len == p->f.len && !memcmp(o->b, p->f.b, o->len) ? "unchanged" :
									       "CHANGED");
		return;
	}
	if (eth->h_proto == htons(ETH_P_IP)) {
		const struct iphdr *ip = (const void *)(eth + 1);

		inet_ntop(AF_INET, &ip->saddr, a, sizeof(a));
		inet_ntop(AF_INET, &ip->daddr, z, sizeof(z));
		snprintf(buf, len, "%u B, outer IPv4 %s > %s proto %u%s", o->len, a, z,
			 ip->protocol, ip->protocol == IPPROTO_IPIP ? " (IPIP)" : "");
	} else if (eth->h_proto == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = (const void *)(eth + 1);

		inet_ntop(AF_INET6, &ip6->saddr, a, sizeof(a));
		inet_ntop(AF_INET6, &ip6->daddr, z, sizeof(z));
		snprintf(buf, len, "%u B, outer IPv6 %s > %s next header %u%s", o->len, a, z,
			 ip6->nexthdr, ip6->nexthdr == IPPROTO_IPV6 ? " (IP6IP6)" : "");
	} else {
		snprintf(buf, len, "%u B, ethertype 0x%04x (unexpected)", o->len,
			 ntohs(eth->h_proto));
	}
}

/* Point xdp_wrap at @target_fd and give it @p's frame. */
static int wrap_prepare(struct bench *b, const struct path *p, int target_fd, uint64_t seq)
{
	__u32 zero = 0;
	int err = bpf_map_update_elem(b->target_fd, &zero, &target_fd, BPF_ANY);

	if (err) {
		fprintf(stderr, "pkt_bench: bench_target: update failed: %s\n", strerror(errno));
		return -errno;
	}
	memcpy(b->gen->bss->tpl, p->f.b, sizeof(b->gen->bss->tpl));
	b->gen->bss->tpl_len = p->f.len;
	b->gen->bss->vary = p->vary;
	b->gen->bss->vary_addr_off = p->addr_off;
	b->gen->bss->vary_port_off = p->port_off;
	b->gen->bss->seq = seq;
	return 0;
}

struct totals {
	__u64 runs, bad;
	char why[512];
};

/* A timed run of a floor (@what: xdp_floor, or xdp_wrap -> xdp_floor), which must give XDP_TX */
static int floor_run(struct bench *b, int fd, const struct path *p, const char *what, uint32_t *ns)
{
	uint32_t ret;
	int err = test_run(fd, &p->f, NULL, b->repeat, ns, &ret);

	if (!err && ret != XDP_TX) {
		fprintf(stderr, "pkt_bench: %s returned %u\n", what, ret);
		err = -EINVAL;
	}
	return err;
}

/* One round of @p: floor direct, xdp_wrap->floor, then the timed run of
 * xlb_xdp (through xdp_wrap unless @direct). Returns the per-repeat ns. */
static int measure(struct bench *b, struct path *p, uint32_t round, int direct, uint32_t *est,
		   struct totals *t, struct frame *out)
{
	uint32_t fl, wf = 0, wx, ret, r = b->repeat;
	struct snap s0, s1;
	int err;

	err = floor_run(b, b->floor_fd, p, "xdp_floor", &fl);
	if (err)
		return err;
	if (!direct) {
		err = wrap_prepare(b, p, b->floor_fd, 0);
		if (!err)
			err = floor_run(b, b->wrap_fd, p, "xdp_wrap -> xdp_floor", &wf);
		if (!err)
			err = wrap_prepare(b, p, b->xlb_fd, b->next_idx);
		/* warm-up: (re)creates the flow entry of a fixed flow, as its first packet would */
		if (!err && !p->vary)
			err = test_run(b->wrap_fd, &p->f, NULL, 1, &wx, &ret);
		if (err)
			return err;
	}
	err = snap_take(b, &s0);
	if (!err)
		err = test_run(direct ? b->xlb_fd : b->wrap_fd, &p->f, out, r, &wx, &ret);
	if (!err)
		err = snap_take(b, &s1);
	if (err)
		return err;
	if (p->vary)
		b->next_idx += r;

	t->runs++;
	if (ret != (uint32_t)p->want_ret) {
		t->bad++;
		snprintf(t->why + strlen(t->why), sizeof(t->why) - strlen(t->why),
			 " verdict %u (want %d)", ret, p->want_ret);
	} else if (!check_run(p, &s0, &s1, r, t->why, sizeof(t->why))) {
		t->bad++;
	}
	if (direct) {
		*est = wx;
	} else {
		int64_t e = (int64_t)wx - wf + fl;

		*est = e < 0 ? 0 : (uint32_t)e;
		p->wrap_ns[round] = wx;
	}
	p->floor_ns[round] = direct ? fl : wf;
	return 0;
}

static void fmt_runs(const uint32_t *v, uint32_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%u", i ? " " : "", v[i]);
}

static int bench_path(struct bench *b, struct path *p, uint32_t *floor_med)
{
	struct totals t = { 0 };
	char runs[128];
	struct frame out;
	int err;

	for (uint32_t i = 0; i < b->rounds; i++) {
		err = measure(b, p, i, !p->wrapped, &p->ns[i], &t, &out);
		if (err)
			return err;
	}
	describe_out(p, &out, p->out, sizeof(p->out));
	fmt_runs(p->ns, b->rounds, runs, sizeof(runs));
	printf("  %-22s %4u ns   runs: %s\n", p->name, median_u32(p->ns, b->rounds), runs);
	if (p->wrapped)
		printf("  %-22s          = xdp_wrap->xlb_xdp %u - xdp_wrap->xdp_floor %u + floor %u"
		       " (medians)\n",
		       "", median_u32(p->wrap_ns, b->rounds), median_u32(p->floor_ns, b->rounds),
		       *floor_med);
	if (t.bad)
		snprintf(p->proof, sizeof(p->proof), "FAILED in %llu of %llu runs:%s",
			 (unsigned long long)t.bad, (unsigned long long)t.runs, t.why);
	else if (p->want_ret == XDP_TX)
		snprintf(p->proof, sizeof(p->proof),
			 "%s, TX, ENCAP_IPIP%s each +%u per run (= repeat) x %u runs; DROP 0: ok",
			 p->hit_cnt == XLB_CNT_FLOW_HIT ? "FLOW_HIT" : "SYN",
			 p->vary ? ", VIP new_flows" : "", b->repeat, b->rounds);
	else
		snprintf(p->proof, sizeof(p->proof),
			 "RX, PASS each +%u per run (= repeat) x %u runs; TX 0, DROP 0: ok",
			 b->repeat, b->rounds);
	p->checks_ok = !t.bad;
	printf("  %-22s          counters: %s\n", "", p->proof);
	printf("  %-22s          last output: %s\n", "", p->out);
	return 0;
}

/* ---- the non-reset fact, shown live ---- */

/* Plain repeat=3 of xlb_xdp on an established-flow packet: if the kernel put
 * the packet back before each repeat, TX would grow by 3. */
static int show_repeat_semantics(struct bench *b, struct path *est)
{
	uint32_t ns, ret;
	struct snap s0, s1;
	struct frame out;
	int err;

	err = wrap_prepare(b, est, b->xlb_fd, 0);
	if (!err)
		err = test_run(b->wrap_fd, &est->f, NULL, 1, &ns, &ret); /* flow entry */
	if (!err)
		err = snap_take(b, &s0);
	if (!err)
		err = test_run(b->xlb_fd, &est->f, &out, 3, &ns, &ret);
	if (!err)
		err = snap_take(b, &s1);
	if (err)
		return err;
	printf("  plain repeat=3 of xlb_xdp, one %u-byte packet: TX +%llu, PASS +%llu, output %u B\n",
	       est->f.len, (unsigned long long)D(&s1, &s0, XLB_CNT_TX),
	       (unsigned long long)D(&s1, &s0, XLB_CNT_PASS), out.len);
	if (D(&s1, &s0, XLB_CNT_TX) == 3)
		printf("  -> the kernel restores the packet per repeat here\n");
	else
		printf("  -> repeats 2..n see the encapsulated output, not the packet: the kernel"
		       " does not\n     restore data between repeats, so encapsulating paths are"
		       " timed through xdp_wrap\n");
	return 0;
}

/* ---- where the time goes ---- */

static void prog_line(const char *name, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("  %-10s (info unavailable: %s)\n", name, strerror(errno));
		return;
	}
	printf("  %-10s id %-5u xlated %5u insns   jited %6u bytes   verifier processed %u insns\n",
	       name, info.id, info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* bpftool prog profile needs a bpftool built with its BPF skeletons and a
 * hardware PMU. Try it once on xlb_xdp under load (non-VIP path, timed
 * directly, so fentry/fexit see every run); print its output or why not. */
static void try_profile(struct bench *b, struct path *nonvip)
{
	char cmd[160], line[256];
	uint32_t ns, ret;
	int status, failed = 0;
	FILE *fp;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "bpftool prog profile id %u duration 1 cycles instructions 2>&1",
		 prog_id(b->xlb_fd));
	pid = fork();
	if (pid == 0) { /* load for the profiler: the non-VIP path for ~1.5 s */
		uint64_t end = mono_ns() + 1500000000ULL;

		while (mono_ns() < end)
			if (test_run(b->xlb_fd, &nonvip->f, NULL, 100000, &ns, &ret))
				_exit(1);
		_exit(0);
	}
	fp = popen(cmd, "r");
	if (!fp) {
		printf("  bpftool prog profile: cannot run bpftool: %s\n", strerror(errno));
	} else {
		printf("  bpftool prog profile id %u duration 1 cycles instructions"
		       " (xlb_xdp, non-VIP path):\n",
		       prog_id(b->xlb_fd));
		while (fgets(line, sizeof(line), fp)) {
			failed |= !!strstr(line, "Error");
			printf("    %s", line);
		}
		status = pclose(fp);
		/* Debian's bpftool exits 0 even when profile is compiled out */
		if (status || failed)
			printf("  -> not available here%s\n",
			       access("/sys/bus/event_source/devices/cpu", F_OK) ?
				       "; nor is a hardware PMU (no /sys/bus/event_source/devices/cpu:"
				       " virtualized), which it also needs" :
				       "");
	}
	if (pid > 0) { /* the load is no longer needed once bpftool is done */
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pkt_bench [--repeat N] [--rounds N] [--flows N] [--cpu N]\n"
		"                 [--summary FILE] [--no-profile]\n"
		"  --repeat N   BPF_PROG_TEST_RUN repeat count per run (default 1000000)\n"
		"  --rounds N   runs per path; the figure is their median (default 5)\n"
		"  --flows N    flow table size, prefilled to full (default 4194304)\n"
		"  --cpu N      CPU to pin to (default: the last online CPU)\n"
		"  --summary F  append 'key value' result lines to F (bench/run.sh)\n"
		"  --no-profile skip the bpftool prog profile attempt\n"
		"  --no-prefill leave the flow table empty (diagnosis: new flows without eviction)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "repeat", required_argument, NULL, 'r' },
					      { "rounds", required_argument, NULL, 'n' },
					      { "flows", required_argument, NULL, 'f' },
					      { "cpu", required_argument, NULL, 'c' },
					      { "summary", required_argument, NULL, 's' },
					      { "no-profile", no_argument, NULL, 'P' },
					      { "no-prefill", no_argument, NULL, 'E' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct bench b = { .repeat = 1000000, .rounds = 5, .flow_max = 4194304, .cpu = -1 };
	struct path paths[NPATHS] = {
		[P_ESTAB] = ESTAB_PATH("estab", "established TCP flow"),
		[P_NEW] = { .key = "new",
			    .name = "new flow (SYN, full)",
			    .wrapped = 1,
			    .vary = 1,
			    .addr_off = 14 + 15,
			    .port_off = 14 + 20,
			    .want_ret = XDP_TX,
			    .hit_cnt = XLB_CNT_SYN },
		[P_UDP] = ESTAB_PATH("udp", "UDP (established)"),
		[P_IPV6] = ESTAB_PATH("ipv6", "IPv6 TCP (established)"),
		[P_NONVIP] = { .key = "nonvip",
			       .name = "non-VIP packet",
			       .want_ret = XDP_PASS,
			       .hit_cnt = XLB_CNT_PASS },
	};
	static const enum path_kind order[] = { P_ESTAB, P_UDP, P_IPV6, P_NONVIP, P_NEW };
	struct xlb_maps_opts mo = {};
	const char *summary = NULL;
	int used_maglev = 1, profile = 1, prefill_pct = 100, err, opt, all_ok = 1;
	uint32_t floor_med, cross[MAX_ROUNDS];
	struct totals ct = { 0 };
	long before, after;
	uint64_t t0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			b.repeat = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			b.rounds = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			b.flow_max = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			b.cpu = atoi(optarg);
			break;
		case 's':
			summary = optarg;
			break;
		case 'P':
			profile = 0;
			break;
		case 'E':
			prefill_pct = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (b.repeat < 1 || b.rounds < 1 || b.rounds > MAX_ROUNDS || b.flow_max < 1024 ||
	    b.flow_max > (64U << 20) || (uint64_t)b.repeat * b.rounds >= NEW_FLOW_IDX_MAX) {
		fprintf(stderr,
			"pkt_bench: invalid --repeat/--rounds/--flows (rounds <= %d,"
			" repeat x rounds < %u)\n",
			MAX_ROUNDS, NEW_FLOW_IDX_MAX);
		return 2;
	}
	if (!prefill_pct)
		paths[P_NEW].name = "new flow (SYN, empty)";
	b.ncpus_possible = bench_start(&b.cpu);
	if (b.ncpus_possible < 0)
		return 1;
	b.share = b.flow_max / b.ncpus_possible;
	if (summary) {
		b.summary = fopen(summary, "a");
		if (!b.summary) {
			fprintf(stderr, "pkt_bench: %s: open failed: %s\n", summary,
				strerror(errno));
			return 1;
		}
	}

	/* frames: clients in 198.51.100.0/24, VIPs in 203.0.113.0/24 and 2001:db8::/64 */
	build_frame(&paths[P_ESTAB].f, 0, IPPROTO_TCP, 0x10, "198.51.100.250", "203.0.113.10",
		    40000, 80);
	build_frame(&paths[P_NEW].f, 0, IPPROTO_TCP, 0x02, "198.51.100.0", "203.0.113.10", 0, 80);
	build_frame(&paths[P_UDP].f, 0, IPPROTO_UDP, 0, "198.51.100.251", "203.0.113.10", 40001,
		    53);
	build_frame(&paths[P_IPV6].f, 1, IPPROTO_TCP, 0x10, "2001:db8:1::250", "2001:db8::10",
		    40002, 80);
	build_frame(&paths[P_NONVIP].f, 0, IPPROTO_TCP, 0x10, "198.51.100.252", "203.0.113.99",
		    40003, 80);

	mo.flow_max = b.flow_max;
	t0 = mono_ns();
	err = bench_load(&mo, &b.m, &b.floor, &b.gen);
	if (err)
		goto out;
	b.xlb_fd = maps_prog_fd(b.m);
	b.flows_fd = maps_map_fd(b.m, XLB_MAP_FLOWS);
	b.floor_fd = bpf_program__fd(b.floor->progs.xdp_floor);
	b.wrap_fd = bpf_program__fd(b.gen->progs.xdp_wrap);
	b.target_fd = bpf_map__fd(b.gen->maps.bench_target);
	err = setup(&b, &used_maglev);
	if (err) {
		fprintf(stderr, "pkt_bench: setup failed: %s\n", strerror(-err));
		goto out;
	}
	err = prefill_pct ? prefill(&b) : 0;
	if (err)
		goto out;
	before = count_flows(&b);

	printf("pkt_bench: BPF_PROG_TEST_RUN, pinned to CPU %d, %u repeats x %u runs per path"
	       " (median)\n",
	       b.cpu, b.repeat, b.rounds);
	printf("  3 VIPs (203.0.113.10:80/tcp, :53/udp, [2001:db8::10]:80/tcp), %d backends each,"
	       " IPIP, ring M=%u by %s\n",
	       NBACKENDS, RING_M,
	       used_maglev ? "maglev_build()" : "round robin (maglev_build() failed)");
	printf("  flow table %u entries (%d per-CPU LRU lists of %u), prefilled: %ld entries"
	       " (setup %.1f s)\n",
	       b.flow_max, b.ncpus_possible, b.share, before, (mono_ns() - t0) / 1e9);
	err = show_repeat_semantics(&b, &paths[P_ESTAB]);
	if (err)
		goto out;

	printf("\n");
	/* floor: the direct test_run of xdp_floor, every round of the first path */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct path *p = &paths[order[i]];

		if (order[i] == P_NEW) {
			before = count_flows(&b);
			if (before < 0) {
				err = before;
				goto out;
			}
		}
		if (i == 0) {
			uint32_t fl[MAX_ROUNDS], ret;

			for (uint32_t r = 0; r < b.rounds; r++) {
				err = test_run(b.floor_fd, &p->f, NULL, b.repeat, &fl[r], &ret);
				if (err)
					goto out;
			}
			floor_med = median_u32(fl, b.rounds);
			fmt_runs(fl, b.rounds, p->proof, sizeof(p->proof));
			printf("  %-22s %4u ns   runs: %s\n", "floor (XDP_TX only)", floor_med,
			       p->proof);
		}
		err = bench_path(&b, p, &floor_med);
		if (err)
			goto out;
		all_ok &= p->checks_ok;
	}

	/* method check: the non-VIP path (which does not rewrite) through xdp_wrap too */
	paths[P_NONVIP].wrapped = 1;
	for (uint32_t r = 0; r < b.rounds; r++) {
		struct frame out;

		err = measure(&b, &paths[P_NONVIP], r, 0, &cross[r], &ct, &out);
		if (err)
			goto out;
	}
	all_ok &= !ct.bad;
	printf("\n  method check: non-VIP timed directly %u ns, through xdp_wrap (wrap->xlb - "
	       "wrap->floor + floor) %u ns%s\n",
	       median_u32(paths[P_NONVIP].ns, b.rounds), median_u32(cross, b.rounds),
	       ct.bad ? " (COUNTERS FAILED)" : "");

	/* the LRU: full before, still full after, new flows in, oldest out */
	after = count_flows(&b);
	{
		struct xlb_flow_key k;
		struct xlb_flow_val v;
		int newest = 0, oldest = 0;

		for (uint32_t i = 0; i < SAMPLE; i++) {
			new_flow_key(&k, b.next_idx - 1 - i);
			newest += !maps_flow_lookup(b.m, &k, &v);
			prefill_key(&k, b.cpu * b.share + i);
			oldest += !maps_flow_lookup(b.m, &k, &v);
		}
		printf("  LRU: before the new flows %ld of %u entries; after %llu new flows on CPU"
		       " %d: %ld entries;\n       newest %d/%d present, oldest prefilled on this CPU's"
		       " list %d/%d left",
		       before, b.flow_max, (unsigned long long)b.repeat * b.rounds, b.cpu, after,
		       newest, SAMPLE, oldest, SAMPLE);
		if (before >= b.flow_max - 64 && after >= b.flow_max - 64)
			printf(":\n       the table is full, so every insert evicted one entry\n");
		else
			printf("\n       (the table was not full: not every insert evicted)\n");
	}

	printf("\n  where the time goes (same program for every path; cost by difference):\n");
	prog_line("xlb_xdp", b.xlb_fd);
	prog_line("xdp_floor", b.floor_fd);
	prog_line("xdp_wrap", b.wrap_fd);
	{
		int nv = median_u32(paths[P_NONVIP].ns, b.rounds),
		    es = median_u32(paths[P_ESTAB].ns, b.rounds),
		    nw = median_u32(paths[P_NEW].ns, b.rounds);

		printf("  %4d ns  run any XDP program (floor)\n", (int)floor_med);
		printf("  %4d ns  parse + VIP lookup miss (non-VIP - floor)\n",
		       nv - (int)floor_med);
		printf("  %4d ns  VIP hit + flow hit + encap + counters (established - non-VIP)\n",
		       es - nv);
		printf("  %4d ns  Maglev + LRU insert with eviction (new flow - established)\n",
		       nw - es);
	}
	if (profile)
		try_profile(&b, &paths[P_NONVIP]);

	if (b.summary) {
		fprintf(b.summary, "pkt_floor %u\n", floor_med);
		for (int i = 0; i < NPATHS; i++)
			fprintf(b.summary, "pkt_%s %u\n", paths[i].key,
				median_u32(paths[i].ns, b.rounds));
		fprintf(b.summary, "pkt_checks %s\n", all_ok ? "ok" : "FAILED");
		fprintf(b.summary, "pkt_repeat %u\npkt_rounds %u\npkt_flows %u\n", b.repeat,
			b.rounds, b.flow_max);
	}
	err = all_ok ? 0 : -EPROTO;
	if (!all_ok)
		fprintf(stderr, "pkt_bench: a counter check failed: some figure did not time its"
				" path\n");
out:
	if (b.summary)
		fclose(b.summary);
	xdp_gen_bpf__destroy(b.gen);
	xdp_floor_bpf__destroy(b.floor);
	maps_close(b.m);
	return err ? 1 : 0;
}
