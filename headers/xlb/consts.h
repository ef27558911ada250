/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sizes, flags and defaults shared by the dataplane and the agent.
 * Sizes are #ifndef-overridable so tests can shrink them.
 */
#ifndef XLB_CONSTS_H
#define XLB_CONSTS_H

#ifndef XLB_MAX_VIPS
#define XLB_MAX_VIPS 1024
#endif
/* Backend slots are per (VIP, backend) pair: one VIP's backend is one slot, and
 * slot 0 is never used (0 means "none"). XLB_MAX_BACKENDS is the default number
 * of backends (lbd --max-backends N): the per-slot maps are sized to
 * XLB_BE_SLOTS(N) when lbd loads them, and keep that size while pinned. */
#ifndef XLB_MAX_BACKENDS
#define XLB_MAX_BACKENDS 16384
#endif
#define XLB_BE_SLOTS(n) ((n) + 1)
/* The largest --max-backends. Slot ids stay far below 2^31, so the dataplane
 * returns them as a non-negative int beside its negative drop reasons. */
#define XLB_MAX_BACKENDS_LIMIT (1U << 20)
/* Default Maglev table size M; must be prime (Maglev paper, section 3.4). */
#ifndef XLB_MAGLEV_M
#define XLB_MAGLEV_M 65537
#endif
/* Largest ring a VIP may use (inner map max_entries may differ per VIP). */
#ifndef XLB_MAGLEV_M_MAX
#define XLB_MAGLEV_M_MAX 1048573
#endif
#ifndef XLB_FLOW_MAX
#define XLB_FLOW_MAX (1 << 20)
#endif
#ifndef XLB_FRAG_MAX
#define XLB_FRAG_MAX 16384
#endif
#ifndef XLB_TX_PORTS_MAX
#define XLB_TX_PORTS_MAX 64
#endif

/* Tunnel endpoint addresses xlb_decap accepts (xlb_dcap_addrs) */
#ifndef XLB_DCAP_ADDRS_MAX
#define XLB_DCAP_ADDRS_MAX 64
#endif

/* Parser bounds */
#define XLB_VLAN_MAX 2
#define XLB_IPV6_EXT_MAX 4

/* Address families as stored in shared structs (not AF_*: BPF has no socket.h) */
#define XLB_FAMILY_V4 4
#define XLB_FAMILY_V6 6

/* struct xlb_vip_val.encap */
#define XLB_ENCAP_NONE 0 /* invalid: a VIP must name its mode */
#define XLB_ENCAP_IPIP 1 /* IPv4-in-IPv4, IPv6-in-IPv6, IPv4-in-IPv6, IPv6-in-IPv4 */
#define XLB_ENCAP_GUE 2	 /* outer IP + UDP, GUE variant 1 (inner IP directly) */
#define XLB_ENCAP_L2 3	 /* direct server return: MAC rewrite only */

/* struct xlb_vip_val.flags */
#define XLB_VIP_F_HASH_SRC (1U << 0) /* hash the source address only (client affinity) */
/* existing flows of a backend whose circuit is open are re-selected (default: kept) */
#define XLB_VIP_F_RESELECT_OPEN (1U << 1)

/* struct xlb_vip_val.sched
 * maglev: slot = flow hash % M, consistent across nodes.
 * wrr: the ring holds a smooth weighted round-robin sequence; a new flow takes
 *      this CPU's next position.
 * lc: a new flow takes the candidate (xlb_lc_sets) with the fewest active flows
 *     per unit of weight; the ring (Maglev over the same backends) serves
 *     packets that cannot start a flow (RST, ICMP errors).
 * All are sticky afterwards through the flow table.
 */
#define XLB_SCHED_MAGLEV 0
#define XLB_SCHED_WRR 1
#define XLB_SCHED_LC 2

/* Largest backend set of an `lc` VIP (scanned once per new flow) */
#define XLB_LC_MAX 32

/* struct xlb_config.flags
 * PORT0: some VIP has port 0, so try the wildcard on an exact miss. The agent
 * keeps it set exactly while such a VIP exists, so other traffic pays for one
 * VIP lookup, not two.
 */
#define XLB_CFG_F_PORT0 (1U << 0)
/* POLICY: some scope has rules, a deny default or a rate limit (<xlb/policy_abi.h>);
 * without it the policy stage costs nothing but this test. */
#define XLB_CFG_F_POLICY (1U << 1)

/* struct xlb_flow_val.flags
 * ENDED: FIN/RST seen, already subtracted from active flows.
 * ESTAB: a TCP packet without SYN was seen, so the handshake got past the SYN;
 *        a SYN that finds its own entry without it is a retransmission
 *        (the passive signal of a backend that drops SYNs).
 */
#define XLB_FLOW_F_ENDED (1U << 0)
#define XLB_FLOW_F_ESTAB (1U << 1)

/* struct xlb_be_brk.state: a backend's circuit breaker as the agent mirrors it
 * (same numbers as the agent's enum breaker_state).
 * CLOSED: normal. OPEN: no new flows. HALF_OPEN: new flows while budget > 0.
 */
#define XLB_BRK_CLOSED 0
#define XLB_BRK_OPEN 1
#define XLB_BRK_HALF_OPEN 2
/* A new flow whose choice is not admitted re-hashes into the same table at most
 * this many times (deterministic: every node picks the same next choice). With
 * half the backends open, all tries fail for 1 flow in 2^16; that flow keeps
 * its first choice (counted: brk_exhausted). */
#define XLB_BRK_TRIES 16

/* struct xlb_backend.flags */
#define XLB_BE_F_ACTIVE (1U << 0) /* slot in use; flows to an inactive slot are re-selected */

/* Encapsulation overheads (bytes added to the L3 packet) */
#define XLB_IPV4_HDR_LEN 20
#define XLB_IPV6_HDR_LEN 40
#define XLB_UDP_HDR_LEN 8

/* Defaults the agent writes; the dataplane also uses them when a field is 0. */
#define XLB_MTU_DEFAULT 1500
/* The largest packet (L3, after encapsulation) xlb_xdp can carry: it is
 * single-buffer XDP (not xdp.frags), so a frame must fit one page with the XDP
 * headroom and the shared info: 4096 - 256 - 320 = 3520 bytes, less Ethernet and
 * two VLAN tags. Drivers refuse to attach single-buffer programs above about
 * this MTU. */
#define XLB_MTU_MAX 3498
#define XLB_UDP_IDLE_DEFAULT_NS (30ULL * 1000000000ULL)
#define XLB_GUE_PORT_DEFAULT 6080
#define XLB_FLOOD_RATE_DEFAULT 125000 /* new flows per CPU per second */
/* Generated ICMP (RFC 4443 2.4(f): rate-limited; answers can reflect to spoofed sources) */
#define XLB_ICMP_RATE_DEFAULT 100 /* per CPU per second */
#define XLB_ICMP_BURST_DEFAULT 20
#define XLB_HASH_SEED_DEFAULT 0x786c6221U

/* Outer header constants */
#define XLB_OUTER_TTL 64
/* GUE outer UDP source port: 0x8000 | (flow hash & 0x7fff), so backends' RSS spreads flows */
#define XLB_GUE_SPORT_BASE 0x8000
#define XLB_GUE_SPORT_MASK 0x7fff
/* Largest number of low bits of the outer source varied per flow */
#define XLB_SRC_BITS_MAX 16

/* A UDP flow entry's last-seen time is refreshed at most this often */
#define XLB_FLOW_TOUCH_NS 1000000000ULL

/* Attempts at moving a backend's active-flow count to a new window (<xlb/active.h>) */
#define XLB_ACTIVE_CAS_TRIES 4

/* ICMP errors generated by xlb (too-big) quote at most this many bytes of the packet */
#define XLB_ICMP_QUOTE_MAX 128

#endif /* XLB_CONSTS_H */
