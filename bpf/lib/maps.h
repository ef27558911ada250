/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every map of xlb_xdp, BTF-defined. Maps holding state that must survive an
 * lbd restart are pinned by name (lbd sets the pin root to <pin-dir>/v<ABI>).
 */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xlb/abi.h>
#include <xlb/active.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/types.h>

/* Virtual services: (addr, port, proto) -> service config */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_vip_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vips SEC(".maps");

/* Addresses hosting a VIP, for failing closed when the port is unknown */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vip_addrs SEC(".maps");

/* Backend slots (one per VIP/backend pair): outer address, next hop, generation */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_BE_SLOTS(XLB_MAX_BACKENDS)); /* lbd: --max-backends */
	__type(key, __u32);
	__type(value, struct xlb_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_backends SEC(".maps");

/* Inner map template of xlb_rings: Maglev slot -> backend slot id.
 * BPF_F_INNER_MAP lets each VIP's table have its own (prime) size;
 * BPF_F_MMAPABLE lets the agent fill a new table with one memcpy.
 */
struct xlb_ring_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAGLEV_M);
	__uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
};

/* Maglev tables by XLB_RING_KEY(vip_id, bank): two per VIP, the VIP entry names
 * the one in use (a new table goes into the other, then the VIP entry flips) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_MAX_VIPS * 2);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xlb_ring_inner); /* must be last: flexible array */
} xlb_rings SEC(".maps");

/* The agent's digest of the inputs of each table in xlb_rings (same key), so a
 * restart with pins rebuilds only the tables whose inputs changed. The
 * dataplane never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS * 2);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_ring_sig SEC(".maps");

/* Sticky flows: client 5-tuple -> backend slot. One LRU shared by every CPU,
 * so --flow-table-size N means N flows whatever CPU they arrive on (a list
 * per CPU gave each CPU N / CPUs). Its cost: inserts from several CPUs take
 * the list's lock (measured ~20% cheaper per new flow than per-CPU lists on 2
 * cores, where it is never contended; many cores at high new-flow rates pay).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_FLOW_MAX);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_flows SEC(".maps");

/* Fragmented datagrams: (src, dst, id, proto) -> where the first fragment went */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_FRAG_MAX);
	__type(key, struct xlb_frag_key);
	__type(value, struct xlb_frag_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_frags SEC(".maps");

/* Generated ICMP budget of this CPU (GCRA; config icmp_rate, icmp_burst) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_icmp_tb);
} xlb_icmp_tb SEC(".maps");

/* Runtime knobs (key 0): outer sources, GUE port, flood guard rate */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_config SEC(".maps");

/* Egress interfaces other than the ingress one, for XDP_REDIRECT (key: ifindex).
 * The kernel adds BPF_F_RDONLY_PROG to devmaps, so libbpf's pin-by-name reuse
 * check never matches it: maps.c reuses the pinned map by fd itself.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XLB_TX_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_tx_ports SEC(".maps");

/* Global counters and drop reasons, one block per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_global_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_counters SEC(".maps");

/* Per-VIP counters by vip_id */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vip_stats SEC(".maps");

/* Per-backend-slot counters */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_BE_SLOTS(XLB_MAX_BACKENDS)); /* lbd: --max-backends */
	__type(key, __u32);
	__type(value, struct xlb_be_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_stats SEC(".maps");

/* Active flows per backend slot, counted per 68.7 s window (<xlb/active.h>).
 * Shared, atomic: lc reads it across CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_BE_SLOTS(XLB_MAX_BACKENDS)); /* lbd: --max-backends */
	__type(key, __u32);
	__type(value, struct xlb_be_active);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_active SEC(".maps");

/* Circuit breaker state per backend slot (agent writes, dataplane reads on
 * every new flow and spends half-open budget atomically) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_BE_SLOTS(XLB_MAX_BACKENDS)); /* lbd: --max-backends */
	__type(key, __u32);
	__type(value, struct xlb_be_brk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_brk SEC(".maps");

/* Passive signals per backend slot (SYN retransmissions, breaker decisions) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_BE_SLOTS(XLB_MAX_BACKENDS)); /* lbd: --max-backends */
	__type(key, __u32);
	__type(value, struct xlb_be_pasv);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_pasv SEC(".maps");

/* lc VIPs: candidate slots and weights, by vip_id */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_lc_set);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_lc_sets SEC(".maps");

/* wrr VIPs: this CPU's position in the VIP's round-robin ring, by vip_id */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u32);
} xlb_wrr_pos SEC(".maps");

/* Flood guard: this CPU's new-flow count in the current one-second window */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_flood_state);
} xlb_flood SEC(".maps");

#endif /* XLB_BPF_MAPS_H */
