/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Map key and value structs shared by bpf/ and userspace/.
 * Only fixed-width types, largest fields first, explicit padding, and a size
 * assert next to each definition so both compilers check the layout.
 * Addresses are network order; an IPv4 address sits in addr[0], addr[1..3] = 0.
 */
#ifndef XLB_TYPES_H
#define XLB_TYPES_H

#include <linux/types.h>
#include <xlb/consts.h>
#include <xlb/stats.h>

#define XLB_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), "ABI: sizeof(" #type ") changed")

/* xlb_vips key: one virtual service. port 0 = every port of the address. */
struct xlb_vip_key {
	__be32 addr[4]; /* network order */
	__be16 port;	/* network order; 0 = any port */
	__u8 proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;	/* XLB_FAMILY_V4 / XLB_FAMILY_V6 */
};
XLB_ASSERT_SIZE(struct xlb_vip_key, 20);

/* xlb_vips value: the service's dataplane configuration. */
struct xlb_vip_val {
	__u64 udp_idle_ns; /* UDP flow idle expiry; 0 = XLB_UDP_IDLE_DEFAULT_NS */
	__u32 vip_id;	   /* index into xlb_rings and xlb_vip_stats, < XLB_MAX_VIPS */
	__u32 ring_size;   /* Maglev M of this VIP's ring (prime) */
	__u16 mtu;	   /* largest L3 packet after encapsulation; 0 = XLB_MTU_DEFAULT */
	__u8 encap;	   /* XLB_ENCAP_* */
	__u8 flags;	   /* XLB_VIP_F_* */
	__u8 sched;	   /* XLB_SCHED_* */
	__u8 ring_bank;	   /* which of the VIP's two xlb_rings entries is in use (0/1) */
	__u8 ohl;	   /* encapsulation overhead, bytes: the largest over the VIP's
			    * backends (ipip 20/40, gue 28/48 by outer family; l2 0) */
	__u8 pad;
};
XLB_ASSERT_SIZE(struct xlb_vip_val, 24);

/* xlb_rings key of bank @bank of VIP @vip_id. Each VIP has two entries: the agent
 * fills the idle one, then flips ring_bank and ring_size in the VIP entry with one
 * update, so no packet ever sees a table with another VIP entry's size. */
#define XLB_RING_KEY(vip_id, bank) ((__u32)(vip_id)*2 + ((bank)&1))

/* xlb_vip_addrs key: an address that hosts at least one VIP (value: VIP count).
 * Consulted only where the port is unknown (malformed L4, non-first fragments,
 * extension header bound) so VIP traffic fails closed instead of leaking to the host.
 */
struct xlb_addr {
	__be32 addr[4]; /* network order */
	__u8 family;	/* XLB_FAMILY_* */
	__u8 pad[3];
};
XLB_ASSERT_SIZE(struct xlb_addr, 20);

/* xlb_backends value, indexed by backend slot id. */
struct xlb_backend {
	__be32 addr[4]; /* network order: outer destination (ipip/gue) */
	__u32 gen;	/* bumped when the slot is reused; flows remember it */
	__u32 ifindex;	/* egress interface; 0 or the ingress one = XDP_TX */
	__u8 dmac[6];	/* next-hop MAC (l2 mode: the backend's own MAC) */
	__u8 smac[6];	/* MAC of the egress interface */
	__u8 family;	/* XLB_FAMILY_* of addr */
	__u8 flags;	/* XLB_BE_F_* */
	__u8 pad[2];
	__u32 vip_id; /* owning VIP: lets a restarted agent recover its ids from pins */
	__u32 pad2;
};
XLB_ASSERT_SIZE(struct xlb_backend, 48);
/* The dataplane moves both MACs as 32/16-bit words (struct xlb_macs): keep dmac
 * 4-byte aligned with smac right after it. */
_Static_assert(__builtin_offsetof(struct xlb_backend, dmac) % 4 == 0, "ABI: dmac alignment");
_Static_assert(__builtin_offsetof(struct xlb_backend, smac) ==
		       __builtin_offsetof(struct xlb_backend, dmac) + 6,
	       "ABI: smac must follow dmac");

/* xlb_flows key: the client's 5-tuple as received. */
struct xlb_flow_key {
	__be32 src[4]; /* network order */
	__be32 dst[4]; /* network order */
	__be16 sport;  /* network order */
	__be16 dport;  /* network order */
	__u8 proto;    /* IPPROTO_* */
	__u8 family;   /* XLB_FAMILY_* */
	__u8 pad[2];
};
XLB_ASSERT_SIZE(struct xlb_flow_key, 40);

/* xlb_flows value */
struct xlb_flow_val {
	__u64 last_seen_ns; /* UDP idle expiry: coarse clock, refreshed at most every
			     * XLB_FLOW_TOUCH_NS. TCP entries do not use it (0, or the
			     * insert time when the flood guard read the clock). */
	__u32 backend_id;   /* slot in xlb_backends */
	__u32 backend_gen;  /* xlb_backend.gen when chosen */
	__u32 flags;	    /* XLB_FLOW_F_* */
	__be32 syn_seq;	    /* TCP: sequence number of the SYN that made the entry (network
			     * order); a SYN repeating it is a retransmission. Was padding:
			     * entries from before read 0, which just matches no SYN. */
};
XLB_ASSERT_SIZE(struct xlb_flow_val, 24);

/* xlb_lc_sets value, indexed by vip_id: the candidates of an `lc` VIP */
struct xlb_lc_set {
	__u32 n; /* entries in use, <= XLB_LC_MAX */
	__u32 pad;
	__u32 ids[XLB_LC_MAX];	   /* backend slots */
	__u32 weights[XLB_LC_MAX]; /* their weights (> 0) */
};
XLB_ASSERT_SIZE(struct xlb_lc_set, 8 + 8 * XLB_LC_MAX);

/* xlb_frags key: one IP datagram being fragmented (IPv4 id widened to 32 bits). */
struct xlb_frag_key {
	__be32 src[4]; /* network order */
	__be32 dst[4]; /* network order */
	__be32 id;     /* IPv4 id (16 bits, network order) or IPv6 fragment id */
	__u8 proto;    /* upper-layer protocol */
	__u8 family;   /* XLB_FAMILY_* */
	__u8 pad[2];
};
XLB_ASSERT_SIZE(struct xlb_frag_key, 40);

/* xlb_frags value: where the first fragment went. */
struct xlb_frag_val {
	__u64 reserved; /* 0: LRU eviction ages entries, nothing reads a timestamp */
	__u32 backend_id;
	__u32 backend_gen;
	__u32 vip_id;
	__u32 hash; /* flow hash of the first fragment (outer source / GUE port) */
	__u8 encap; /* the VIP's XLB_ENCAP_* */
	__u8 pad[7];
};
XLB_ASSERT_SIZE(struct xlb_frag_val, 32);

/* xlb_config value (single entry, key 0): runtime knobs the agent writes. */
struct xlb_config {
	__be32 src6[4];	  /* outer IPv6 source base, network order */
	__be32 src4;	  /* outer IPv4 source base, network order */
	__u32 flood_rate; /* new flows per CPU per second before flood guard; 0 = off */
	__u16 gue_port;	  /* GUE destination port, host order; 0 = XLB_GUE_PORT_DEFAULT */
	__u8 src_bits;	  /* low bits of the outer source varied per flow, <= XLB_SRC_BITS_MAX */
	__u8 flags;	  /* XLB_CFG_F_* */
	__u8 pol_bank;	  /* policy bank in use (0/1, policy_abi.h); flipped to replace rules */
	__u8 pad[3];
	__u32 icmp_rate; /* generated ICMP (too-big) per CPU per second; 0 = XLB_ICMP_RATE_DEFAULT */
	__u32 icmp_burst; /* ... of which at once; 0 = XLB_ICMP_BURST_DEFAULT */
};
XLB_ASSERT_SIZE(struct xlb_config, 40);

/* xlb_counters value (per CPU, single entry, key 0): every global counter in one
 * block, so the fast path does one map lookup for all of them.
 * cnt[] is indexed by enum xlb_counter, drops[] by enum xlb_drop_reason.
 */
struct xlb_global_stats {
	__u64 cnt[XLB_COUNTERS_SLOTS];
	__u64 drops[XLB_DROPS_SLOTS];
};
XLB_ASSERT_SIZE(struct xlb_global_stats, 8 * (XLB_COUNTERS_SLOTS + XLB_DROPS_SLOTS));

/* xlb_dcap_cnt value (per CPU, single entry): counters of xlb_decap by enum xlb_decap_counter */
struct xlb_decap_stats {
	__u64 cnt[XLB_DCAP_SLOTS];
};
XLB_ASSERT_SIZE(struct xlb_decap_stats, 8 * XLB_DCAP_SLOTS);

/* xlb_vip_stats value (per CPU), indexed by vip_id */
struct xlb_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops;
};
XLB_ASSERT_SIZE(struct xlb_vip_stats, 32);

/* xlb_be_stats value (per CPU), indexed by backend slot id */
struct xlb_be_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};
XLB_ASSERT_SIZE(struct xlb_be_stats, 24);

/* xlb_be_brk value, indexed by backend slot: the circuit breaker state the
 * agent mirrors (one map write per change). The dataplane reads it for every
 * new flow and spends budget atomically; the agent refills it on each entry
 * into half-open. */
struct xlb_be_brk {
	__u32 state;  /* XLB_BRK_* */
	__s32 budget; /* HALF_OPEN: new flows still admitted; may dip below 0 under races */
};
XLB_ASSERT_SIZE(struct xlb_be_brk, 8);

/* xlb_be_pasv value (per CPU), indexed by backend slot: the passive signals
 * only an inline balancer sees. Reset when the slot gets a new owner. */
struct xlb_be_pasv {
	__u64 syn_retx;	   /* SYN retransmitted by a client whose flow never got past the SYN */
	__u64 estab;	   /* flows that got past the SYN (first non-SYN packet seen) */
	__u64 brk_refused; /* new flows turned away by the breaker (open / budget spent) */
	__u64 brk_admit;   /* new flows admitted while half-open */
};
XLB_ASSERT_SIZE(struct xlb_be_pasv, 32);

/* xlb_flood value (per CPU, key 0): new-flow rate window of this CPU */
struct xlb_flood_state {
	__u64 window_start_ns;
	__u64 new_flows;
};
XLB_ASSERT_SIZE(struct xlb_flood_state, 16);

/* xlb_icmp_tb value (per CPU, single entry): GCRA state of generated ICMP */
struct xlb_icmp_tb {
	__u64 tat; /* theoretical arrival time, bpf_ktime_get_coarse_ns() */
};
XLB_ASSERT_SIZE(struct xlb_icmp_tb, 8);

#endif /* XLB_TYPES_H */
