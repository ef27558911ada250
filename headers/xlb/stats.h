/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Counter and drop-reason numbers. Stable: never renumber, never reuse.
 * A retired value stays as XLB_*_UNUSEDn. Names live in userspace/common/names.c.
 */
#ifndef XLB_STATS_H
#define XLB_STATS_H

/* Index into struct xlb_global_stats.cnt (map xlb_counters) */
enum xlb_counter {
	XLB_CNT_RX = 0,		       /* every packet the program saw */
	XLB_CNT_PASS = 1,	       /* not VIP traffic: XDP_PASS untouched */
	XLB_CNT_TX = 2,		       /* forwarded with XDP_TX */
	XLB_CNT_REDIRECT = 3,	       /* forwarded with XDP_REDIRECT */
	XLB_CNT_DROP = 4,	       /* dropped (reason in xlb_drops) */
	XLB_CNT_FLOW_HIT = 5,	       /* flow table hit, backend still valid */
	XLB_CNT_FLOW_MISS = 6,	       /* no usable flow entry: backend selected */
	XLB_CNT_FLOW_RESELECT = 7,     /* entry found but its backend is gone: re-selected */
	XLB_CNT_UDP_EXPIRED = 8,       /* UDP entry older than the VIP's idle time */
	XLB_CNT_SYN = 9,	       /* TCP SYN: fresh selection, flow table not read */
	XLB_CNT_RST_NO_FLOW = 10,      /* RST/FIN, no usable entry: not inserted */
	XLB_CNT_FLOOD_GUARD = 11,      /* new flow not inserted: flood guard active */
	XLB_CNT_FRAG_FIRST = 12,       /* first fragment tracked */
	XLB_CNT_FRAG_HIT = 13,	       /* later fragment followed its first one */
	XLB_CNT_ICMP_FWD = 14,	       /* ICMP error quoting a VIP flow sent to its backend */
	XLB_CNT_TOO_BIG_SENT = 15,     /* ICMP frag-needed / ICMPv6 packet-too-big sent */
	XLB_CNT_ENCAP_IPIP = 16,       /* forwarded with IP-in-IP */
	XLB_CNT_ENCAP_GUE = 17,	       /* forwarded with GUE */
	XLB_CNT_L2_DSR = 18,	       /* forwarded by MAC rewrite */
	XLB_CNT_FLOW_INSERT_FAIL = 19, /* flow table update failed */
	XLB_CNT_BRK_REROUTE = 20,      /* new flow's choice open or out of budget: next choice */
	XLB_CNT_BRK_HALF_ADMIT = 21,   /* new flow admitted to a half-open backend */
	XLB_CNT_BRK_EXHAUSTED = 22,    /* no admitted choice in XLB_BRK_TRIES: first kept */
	XLB_CNT_BRK_FLOW_MOVED = 23,   /* existing flow of an open backend re-selected */
	XLB_CNT_SYN_RETX = 24,	       /* SYN again for a flow never past its SYN */
	XLB_CNT_POL_ALLOW = 25,	       /* an allow rule matched (either scope), per packet */
	XLB_CNT_RL_NEW_SOURCE = 26,    /* rate-limit bucket created (LRU may evict one) */
	XLB_CNT_RL_NO_BUCKET = 27,     /* no rate-limit bucket could be made: admitted */
	__XLB_CNT_MAX
};
#define XLB_COUNTERS_SLOTS 64 /* room to grow without an ABI change */

/* Index into struct xlb_global_stats.drops (map xlb_counters) */
enum xlb_drop_reason {
	XLB_DROP_UNUSED0 = 0,	      /* never used: 0 means "no drop" */
	XLB_DROP_IP_MALFORMED = 1,    /* IP header invalid, destined to a VIP address */
	XLB_DROP_L4_TRUNCATED = 2,    /* TCP/UDP header cut short, to a VIP address */
	XLB_DROP_TCP_DOFF = 3,	      /* TCP data offset < 5 */
	XLB_DROP_IPV6_EXT_BOUND = 4,  /* more IPv6 extension headers than XLB_IPV6_EXT_MAX */
	XLB_DROP_NO_RING = 5,	      /* VIP has no Maglev table (no backends) */
	XLB_DROP_BAD_BACKEND = 6,     /* table points at an invalid backend slot */
	XLB_DROP_BAD_VIP = 7,	      /* VIP entry invalid (encap, vip_id, ring size) */
	XLB_DROP_FRAG_MISS = 8,	      /* later fragment to a VIP address, first one unseen */
	XLB_DROP_ADJUST = 9,	      /* bpf_xdp_adjust_head/tail failed */
	XLB_DROP_ICMP_MALFORMED = 10, /* ICMP error to a VIP address with unusable quote */
	XLB_DROP_POLICY = 11,	      /* a deny rule matched the source */
	XLB_DROP_FAMILY = 12,	      /* backend family cannot carry this VIP (l2 mismatch) */
	XLB_DROP_NO_TX_PORT = 13,     /* backend egress ifindex missing from xlb_tx_ports */
	XLB_DROP_POLICY_DEFAULT = 14, /* no rule matched and the scope's default is deny */
	XLB_DROP_RL_PPS = 15,	      /* source over its packet rate (global or VIP scope) */
	XLB_DROP_RL_NEW_FLOW = 16,    /* source over its new-flow rate (global or VIP scope) */
	XLB_DROP_RL_CEILING = 17,     /* VIP over its new-flow ceiling (all sources) */
	XLB_DROP_ICMP_RATE = 18,      /* too big, and the too-big answers are over their rate */
	__XLB_DROP_MAX
};
#define XLB_DROPS_SLOTS 64

/* Index into struct xlb_decap_stats.cnt (map xlb_dcap_cnt, xlb_decap program) */
enum xlb_decap_counter {
	XLB_DCAP_RX = 0,	     /* every packet seen */
	XLB_DCAP_PASS = 1,	     /* not for us: XDP_PASS untouched */
	XLB_DCAP_IPIP4 = 2,	     /* IPv4-in-IPv4 stripped */
	XLB_DCAP_IP6IP6 = 3,	     /* IPv6-in-IPv6 stripped */
	XLB_DCAP_IP4IP6 = 4,	     /* IPv4-in-IPv6 stripped */
	XLB_DCAP_IP6IP4 = 5,	     /* IPv6-in-IPv4 stripped */
	XLB_DCAP_GUE4 = 6,	     /* GUE over IPv4 stripped */
	XLB_DCAP_GUE6 = 7,	     /* GUE over IPv6 stripped */
	XLB_DCAP_DROP_MALFORMED = 8, /* addressed to us, encapsulated, but inner packet unusable */
	XLB_DCAP_DROP_ADJUST = 9,    /* bpf_xdp_adjust_head failed */
	XLB_DCAP_DROP_ECN = 10,	     /* outer CE over an inner Not-ECT packet (RFC 6040 4.2) */
	__XLB_DCAP_MAX
};
#define XLB_DCAP_SLOTS 16

#endif /* XLB_STATS_H */
