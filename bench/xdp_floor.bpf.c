// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_floor: the benchmark floor. It only returns XDP_TX, so its cost is what
 * BPF_PROG_TEST_RUN (or a veth pair) charges for running any XDP program at all.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_floor(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
