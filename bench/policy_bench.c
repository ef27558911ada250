// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy_bench: what the policy stage (issue 5) costs an established TCP flow,
 * in ns per packet by BPF_PROG_TEST_RUN, measured like pkt_bench (through
 * xdp_wrap, which restores the frame each repeat; figure = wrap->xlb_xdp -
 * wrap->xdp_floor + xdp_floor, median of --rounds runs of --repeat repeats):
 *   policy off               XLB_CFG_F_POLICY clear: one flag test
 *   no scope with rules      flag set, no rules anywhere (scope and limit reads)
 *   prefixes=0               flag set, global scope with rules, empty trie
 *   prefixes=N               N random IPv4 prefixes (/8-/32) in the global trie,
 *                            plus an allow /24 holding the source
 *   prefixes=N (no match)    the same trie without that /24: the lookup misses
 * No prefix covers the source except that /24, so it is never denied. Also
 * times filling the trie with the N prefixes (one update per prefix, as the
 * agent's sync would; and one batch update for comparison).
 * Each run checks xlb's counters: TX and FLOW_HIT +repeat, DROP 0, POL_ALLOW
 * +repeat exactly when an allow rule matches.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xlb/policy_abi.h>

#define BENCH_NAME "policy_bench"
#include "bench_common.h"

#define MAX_ROUNDS 15
#define VIP_ID 0
#define SRC "198.51.100.250"

struct pbench {
	struct xlb_maps *m;
	struct xdp_floor_bpf *floor;
	struct xdp_gen_bpf *gen;
	int xlb_fd, floor_fd, wrap_fd, target_fd;
	uint32_t repeat, rounds, nprefixes;
	int cpu;
	struct frame f;
};

static int test_run(int fd, const struct frame *in, uint32_t repeat, uint32_t *ns, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = in->len,
		    .repeat = repeat);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err) {
		fprintf(stderr, "policy_bench: prog fd %d: BPF_PROG_TEST_RUN failed: %s\n", fd,
			strerror(-err));
		return err;
	}
	*ns = o.duration;
	*retval = o.retval;
	return 0;
}

/* Point xdp_wrap at @target_fd with the frame to restore before each repeat. */
static int wrap_prepare(struct pbench *b, int target_fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(b->target_fd, &zero, &target_fd, BPF_ANY)) {
		fprintf(stderr, "policy_bench: bench_target: update failed: %s\n", strerror(errno));
		return -errno;
	}
	memcpy(b->gen->bss->tpl, b->f.b, sizeof(b->gen->bss->tpl));
	b->gen->bss->tpl_len = b->f.len;
	b->gen->bss->vary = 0;
	return 0;
}

/* Median ns of the established flow, checked by the counters; @allow_rule:
 * every packet must match an allow rule (XLB_CNT_POL_ALLOW). */
static int measure(struct pbench *b, const char *label, int allow_rule, uint32_t *med)
{
	uint32_t est[MAX_ROUNDS], fl, wf, wx, ret;
	__u64 c0[__XLB_CNT_MAX], d0[__XLB_DROP_MAX], c1[__XLB_CNT_MAX], d1[__XLB_DROP_MAX];
	int err = 0, bad = 0;

	for (uint32_t r = 0; r < b->rounds && !err; r++) {
		err = test_run(b->floor_fd, &b->f, b->repeat, &fl, &ret);
		err = err ?: wrap_prepare(b, b->floor_fd);
		err = err ?: test_run(b->wrap_fd, &b->f, b->repeat, &wf, &ret);
		err = err ?: wrap_prepare(b, b->xlb_fd);
		err = err ?: test_run(b->wrap_fd, &b->f, 1, &wx, &ret); /* the flow entry */
		err = err ?: maps_counters_read(b->m, c0, d0);
		err = err ?: test_run(b->wrap_fd, &b->f, b->repeat, &wx, &ret);
		err = err ?: maps_counters_read(b->m, c1, d1);
		if (err)
			break;
		if (ret != XDP_TX || c1[XLB_CNT_TX] - c0[XLB_CNT_TX] != b->repeat ||
		    c1[XLB_CNT_FLOW_HIT] - c0[XLB_CNT_FLOW_HIT] != b->repeat ||
		    c1[XLB_CNT_DROP] != c0[XLB_CNT_DROP] ||
		    c1[XLB_CNT_POL_ALLOW] - c0[XLB_CNT_POL_ALLOW] != (allow_rule ? b->repeat : 0)) {
			fprintf(stderr,
				"policy_bench: %s: counters: verdict %u, TX +%llu, FLOW_HIT +%llu,"
				" DROP +%llu, POL_ALLOW +%llu (repeat %u)\n",
				label, ret, (unsigned long long)(c1[XLB_CNT_TX] - c0[XLB_CNT_TX]),
				(unsigned long long)(c1[XLB_CNT_FLOW_HIT] - c0[XLB_CNT_FLOW_HIT]),
				(unsigned long long)(c1[XLB_CNT_DROP] - c0[XLB_CNT_DROP]),
				(unsigned long long)(c1[XLB_CNT_POL_ALLOW] - c0[XLB_CNT_POL_ALLOW]),
				b->repeat);
			bad = 1;
		}
		est[r] = (int64_t)wx - wf + fl < 0 ? 0 : (uint32_t)((int64_t)wx - wf + fl);
	}
	if (err)
		return err;
	*med = median_u32(est, b->rounds);
	return bad ? -EPROTO : 0;
}

static int cfg_policy(struct pbench *b, int on)
{
	struct xlb_config cfg;
	int err = maps_config_get(b->m, &cfg);

	if (err)
		return err;
	cfg.flags = on ? cfg.flags | XLB_CFG_F_POLICY : cfg.flags & ~XLB_CFG_F_POLICY;
	cfg.pol_bank = 0;
	return maps_config_set(b->m, &cfg);
}

static int upd(const char *map, int fd, const void *k, const void *v)
{
	if (!bpf_map_update_elem(fd, k, v, BPF_ANY))
		return 0;
	fprintf(stderr, "policy_bench: %s: update failed: %s\n", map, strerror(errno));
	return -errno;
}

static int trie_new(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "xlb_pol4_in", sizeof(struct xlb_pol_key4),
				sizeof(struct xlb_pol_chain), XLB_POL_PREFIX_MAX, &o);

	if (fd < 0)
		fprintf(stderr, "policy_bench: LPM trie: create failed: %s\n", strerror(errno));
	return fd < 0 ? -errno : fd;
}

static uint64_t rs = 0x706f6c6963795f62ULL;

static uint32_t rnd32(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (uint32_t)((rs * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint32_t mask_of(uint32_t len)
{
	return len ? ~0U << (32 - len) : 0;
}

/* @n distinct random prefixes /8-/32 (global scope), none containing @src
 * (host order). Duplicates are skipped with an open-addressing set of
 * (addr, len), so the trie really holds @n entries. */
static struct xlb_pol_key4 *gen_prefixes(uint32_t n, uint32_t src)
{
	struct xlb_pol_key4 *k = calloc(n, sizeof(*k));
	uint32_t i = 0;
	size_t cap = 1;
	uint64_t *set;

	while (cap < 4 * (size_t)n)
		cap <<= 1;
	set = calloc(cap, sizeof(*set));
	if (!k || !set) {
		free(k);
		free(set);
		return NULL;
	}
	while (i < n) {
		uint32_t len = 8 + rnd32() % 25, m = mask_of(len), a = rnd32() & m;
		uint64_t v = ((uint64_t)a << 8 | len) + 1;
		size_t h = (size_t)(v * 0x9e3779b97f4a7c15ULL) & (cap - 1);

		if ((src & m) == a)
			continue; /* would cover the source */
		while (set[h] && set[h] != v)
			h = (h + 1) & (cap - 1);
		if (set[h])
			continue;
		set[h] = v;
		k[i].prefixlen = 32 + len;
		k[i].scope = XLB_POL_SCOPE_GLOBAL;
		k[i].addr = htonl(a);
		i++;
	}
	free(set);
	return k;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: policy_bench [--repeat N] [--rounds N] [--prefixes N] [--cpu N]\n"
		   "  --repeat N    BPF_PROG_TEST_RUN repeat count per run (default 1000000)\n"
		   "  --rounds N    runs per figure; the figure is their median (default 5)\n"
		   "  --prefixes N  random IPv4 prefixes in the global trie (default 100000)\n"
		   "  --cpu N       CPU to pin to (default: the last online CPU)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "repeat", required_argument, NULL, 'r' },
					      { "rounds", required_argument, NULL, 'n' },
					      { "prefixes", required_argument, NULL, 'p' },
					      { "cpu", required_argument, NULL, 'c' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	static const struct bench_vip vip = { VIP_ID, 0, IPPROTO_TCP, "203.0.113.10",
					      80,     1, mac_router };
	struct pbench b = { .repeat = 1000000, .rounds = 5, .nprefixes = 100000, .cpu = -1 };
	struct xlb_pol_rule allow = { .action = XLB_POL_ALLOW }, deny = { .action = XLB_POL_DENY };
	struct xlb_pol_scope sc = { .flags = XLB_POL_SCOPE_F_RULES, .dflt = XLB_POL_ALLOW };
	struct xlb_pol_chain ch_deny = { .n = 1, .rule = { 1 } }, ch_allow = { .n = 1 };
	struct xlb_pol_key4 k24 = { .prefixlen = 32 + 24, .scope = XLB_POL_SCOPE_GLOBAL };
	struct xlb_pol_key4 *keys = NULL;
	struct xlb_pol_chain *vals = NULL;
	uint32_t off, on_none, on0, onN, missN, bank = 0, id, sidx;
	int used_maglev = 1, err, opt, trie = -1, trie_b = -1, fd_rules, fd_scopes, fd_pol4;
	uint64_t t0, t_one, t_batch = 0;
	int batch_err = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			b.repeat = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			b.rounds = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			b.nprefixes = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			b.cpu = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (b.repeat < 1 || b.rounds < 1 || b.rounds > MAX_ROUNDS || b.nprefixes < 1 ||
	    b.nprefixes > XLB_POL_PREFIX_MAX - 1) {
		fprintf(stderr,
			"policy_bench: invalid --repeat/--rounds/--prefixes (rounds <= %d,"
			" prefixes < %d)\n",
			MAX_ROUNDS, XLB_POL_PREFIX_MAX);
		return 2;
	}
	if (bench_start(&b.cpu) < 0)
		return 1;
	build_frame(&b.f, 0, IPPROTO_TCP, 0x10, SRC, "203.0.113.10", 40000, 80);

	err = bench_load(&(struct xlb_maps_opts){ 0 }, &b.m, &b.floor, &b.gen);
	if (err)
		goto out;
	b.xlb_fd = maps_prog_fd(b.m);
	b.floor_fd = bpf_program__fd(b.floor->progs.xdp_floor);
	b.wrap_fd = bpf_program__fd(b.gen->progs.xdp_wrap);
	b.target_fd = bpf_map__fd(b.gen->maps.bench_target);
	fd_rules = maps_map_fd(b.m, XLB_MAP_POL_RULES);
	fd_scopes = maps_map_fd(b.m, XLB_MAP_POL_SCOPES);
	fd_pol4 = maps_map_fd(b.m, XLB_MAP_POL4);
	if (fd_rules < 0 || fd_scopes < 0 || fd_pol4 < 0) {
		fprintf(stderr, "policy_bench: xlb_xdp has no policy maps\n");
		err = -ENOENT;
		goto out;
	}
	err = bench_setup_config(b.m);
	err = err ?: bench_setup_vip(b.m, &vip, &used_maglev);
	if (err) {
		fprintf(stderr, "policy_bench: setup failed: %s\n", strerror(-err));
		goto out;
	}
	printf("policy_bench: BPF_PROG_TEST_RUN, pinned to CPU %d, %u repeats x %u runs"
	       " (median), established TCP flow %s -> 203.0.113.10:80 (ipip, %d backends)\n",
	       b.cpu, b.repeat, b.rounds, SRC, NBACKENDS);

	err = measure(&b, "policy off", 0, &off);
	if (err)
		goto out;
	printf("policy off ns/pkt=%u\n", off);

	/* flag set, no scope has rules: the fixed cost (scope reads, rate-limit settings) */
	err = cfg_policy(&b, 1);
	err = err ?: measure(&b, "no rules", 0, &on_none);
	if (err)
		goto out;
	printf("policy on, no scope with rules ns/pkt=%u\n", on_none);

	/* rules 0 allow, 1 deny; the global scope has rules, default allow; empty trie */
	id = 0;
	err = upd(XLB_MAP_POL_RULES, fd_rules, &id, &allow);
	id = 1;
	err = err ?: upd(XLB_MAP_POL_RULES, fd_rules, &id, &deny);
	sidx = XLB_POL_SCOPE_GLOBAL; /* bank 0 */
	err = err ?: upd(XLB_MAP_POL_SCOPES, fd_scopes, &sidx, &sc);
	trie = err ? err : trie_new();
	err = trie < 0 ? trie : upd(XLB_MAP_POL4, fd_pol4, &bank, &trie);
	err = err ?: cfg_policy(&b, 1);
	err = err ?: measure(&b, "prefixes=0", 0, &on0);
	if (err)
		goto out;
	printf("policy prefixes=0 ns/pkt=%u\n", on0);

	keys = gen_prefixes(b.nprefixes, ntohl(ip4(SRC)));
	vals = calloc(b.nprefixes, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < b.nprefixes; i++)
		vals[i] = ch_deny;
	/* the agent's way: one update per prefix into the trie being filled */
	t0 = mono_ns();
	for (uint32_t i = 0; i < b.nprefixes && !err; i++)
		err = upd("LPM trie", trie, &keys[i], &vals[i]);
	t_one = mono_ns() - t0;
	if (err)
		goto out;
	/* for comparison: one batch update into a fresh trie */
	trie_b = trie_new();
	if (trie_b >= 0) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
		__u32 n = b.nprefixes;

		t0 = mono_ns();
		batch_err = bpf_map_update_batch(trie_b, keys, vals, &n, &bo);
		t_batch = mono_ns() - t0;
		close(trie_b);
	}
	k24.addr = htonl(ntohl(ip4(SRC)) & 0xffffff00U);
	err = upd("LPM trie", trie, &k24, &ch_allow);
	err = err ?: measure(&b, "prefixes=N", 1, &onN);
	if (err)
		goto out;
	if (bpf_map_delete_elem(trie, &k24)) {
		err = -errno;
		goto out;
	}
	err = measure(&b, "prefixes=N, no match", 0, &missN);
	if (err)
		goto out;
	printf("policy prefixes=%u ns/pkt=%u (+1 allow /24 holding the source)\n", b.nprefixes,
	       onN);
	printf("policy prefixes=%u ns/pkt=%u (source under no prefix)\n", b.nprefixes, missN);
	printf("insert prefixes=%u ms=%.1f (%.2f us/prefix, one bpf_map_update_elem each)\n",
	       b.nprefixes, t_one / 1e6, t_one / 1e3 / b.nprefixes);
	if (batch_err)
		printf("insert prefixes=%u batch: not supported here (%s)\n", b.nprefixes,
		       strerror(-batch_err));
	else
		printf("insert prefixes=%u batch ms=%.1f (one bpf_map_update_batch)\n", b.nprefixes,
		       t_batch / 1e6);
	printf("  cost of the stage: prefixes=0 %+d ns, prefixes=%u %+d ns (hit) %+d ns (miss)"
	       " over policy off\n",
	       (int)on0 - (int)off, b.nprefixes, (int)onN - (int)off, (int)missN - (int)off);
out:
	if (trie >= 0)
		close(trie);
	free(keys);
	free(vals);
	xdp_gen_bpf__destroy(b.gen);
	xdp_floor_bpf__destroy(b.floor);
	maps_close(b.m);
	return err ? 1 : 0;
}
