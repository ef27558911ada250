/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every map of xlb_decap, BTF-defined and pinned by name.
 * Kept apart from maps.h (the maps of xlb_xdp) on purpose: the decap program
 * runs on backends, and including maps.h would make its object create, and pin,
 * the whole load balancer state (flow table, rings...) on every backend.
 * The C names are the XLB_MAP_DECAP_* strings of <xlb/abi.h>.
 */
#ifndef XLB_BPF_DECAP_MAPS_H
#define XLB_BPF_DECAP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xlb/abi.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/types.h>

/* Local tunnel endpoints: outer destination (struct xlb_addr) -> __u32 (value unused) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DCAP_ADDRS_MAX);
	__type(key, struct xlb_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_dcap_addrs SEC(".maps");

/* xlb_decap counters, one block per CPU (key 0), cnt[] by enum xlb_decap_counter */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_decap_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_dcap_cnt SEC(".maps");

#endif /* XLB_BPF_DECAP_MAPS_H */
