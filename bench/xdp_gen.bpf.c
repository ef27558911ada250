// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark helpers around xlb_xdp (never loaded by lbd):
 *
 * xdp_wrap   BPF_PROG_TEST_RUN driver for bench/pkt_bench.c. A plain repeat
 *            count does NOT restore the packet between repeats (verified on
 *            6.18: an adjust_head(-20) program sees 64, 84, 104... bytes), so
 *            xlb_xdp would time its own encapsulated output after the first
 *            repeat. xdp_wrap puts the original frame back (length and first
 *            64 bytes), optionally gives it a fresh flow (new-flow path), then
 *            tail-calls the program under test (slot 0 of bench_target).
 * xdp_gen    traffic generator for bench/veth_bench.c, run with
 *            BPF_F_TEST_XDP_LIVE_FRAMES: live-frame pages are recycled without
 *            their contents being reset, so it rewrites every frame whole and
 *            returns XDP_TX (sent out of the generator-side veth).
 * xdp_count  attached to the generator-side veth: counts what comes back
 *            (IPIP-encapsulated, untouched TCP, other) and drops.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define BENCH_TPL_LEN 64 /* bytes of the frame rewritten per packet; frames are >= 64 bytes */

/* bench_cnt slots (per CPU) */
#define BENCH_CNT_IPIP 0  /* xdp_count: outer IPv4 carrying IPv4 (xlb's encapsulation) */
#define BENCH_CNT_TCP 1	  /* xdp_count: plain IPv4/TCP (the floor bounces frames untouched) */
#define BENCH_CNT_OTHER 2 /* xdp_count: anything else (the stack's own IPv6 ND, ...) */
#define BENCH_CNT_MAX 4

/* Written by userspace through the mmapped .bss between runs. */
__u64 tpl[BENCH_TPL_LEN / 8]; /* the frame's first 64 bytes */
__u32 tpl_len;		      /* full frame length given to test_run */
__u32 vary;		      /* xdp_wrap: 1 = a new flow per repeat */
__u32 vary_addr_off;	      /* offset of the source address byte to vary */
__u32 vary_port_off;	      /* offset of the source port */
__u64 seq;		      /* flow index of the next packet (xdp_wrap), frame count (xdp_gen) */
__u32 gen_flows_mask;	      /* xdp_gen: cycles over flows base .. base + mask */
__u32 gen_flow_base;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bench_cnt SEC(".maps");

/* Put back the original length (front) and first 64 bytes, eight words
 * (unaligned packet stores are fine outside BPF_F_STRICT_ALIGNMENT).
 * Returns 0 or -1.
 */
static __always_inline int bench_restore(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int extra = (int)(data_end - data) - (int)tpl_len;
	__u64 *w;

	if (extra && bpf_xdp_adjust_head(ctx, extra))
		return -1;
	w = (void *)(long)ctx->data;
	if ((void *)(w + BENCH_TPL_LEN / 8) > (void *)(long)ctx->data_end)
		return -1;
	w[0] = tpl[0];
	w[1] = tpl[1];
	w[2] = tpl[2];
	w[3] = tpl[3];
	w[4] = tpl[4];
	w[5] = tpl[5];
	w[6] = tpl[6];
	w[7] = tpl[7];
	return 0;
}

/* Flow @idx: source address byte = idx >> 16, source port = idx & 0xffff.
 * Offsets come from userspace: masked, then checked against the frame end.
 */
static __always_inline void bench_set_flow(struct xdp_md *ctx, __u64 idx)
{
	__u8 *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *a = data + (vary_addr_off & (BENCH_TPL_LEN - 1));
	__u8 *p = data + (vary_port_off & (BENCH_TPL_LEN - 2));

	if ((void *)(a + 1) > data_end || (void *)(p + 2) > data_end)
		return;
	*a = (idx >> 16) & 0xff;
	p[0] = (idx >> 8) & 0xff;
	p[1] = idx & 0xff;
}

SEC("xdp")
int xdp_wrap(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	if (vary)
		bench_set_flow(ctx, seq++);
	bpf_tail_call(ctx, &bench_target, 0);
	return XDP_ABORTED; /* empty slot */
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	bench_set_flow(ctx, gen_flow_base + (seq++ & gen_flows_mask));
	return XDP_TX;
}

static __always_inline void bench_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&bench_cnt, &idx);

	if (c)
		(*c)++;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 slot = BENCH_CNT_OTHER;

	/* one counter bump per frame: this cost is in both the xlb and the floor phases */
	if ((void *)(iph + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		if (iph->protocol == IPPROTO_IPIP)
			slot = BENCH_CNT_IPIP;
		else if (iph->protocol == IPPROTO_TCP)
			slot = BENCH_CNT_TCP;
	}
	bench_count(slot);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
