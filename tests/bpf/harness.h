/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Packet-test harness: TAP output, the test world (addresses, MACs, one VIP
 * with two backends), packet specs built with pkt.h, expected outputs written
 * from docs/dataplane.md, and one step = run a packet, compare verdict, bytes
 * and counter deltas.
 */
#ifndef XLB_TESTS_HARNESS_H
#define XLB_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "agent/dataplane/maps.h"
#include "pkt.h"

/* ---- TAP ---- */

struct tcase {
	const char *name;
	int failed;
	char diag[16384];
	size_t dlen;
};

void tap_begin(struct tcase *tc, const char *name);
void tap_fail(struct tcase *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(struct tcase *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints ok/not ok and the diagnostics; returns 0 if the case passed. */
int tap_end(struct tcase *tc);
void tap_skip(const char *name, const char *reason);
void tap_counts(int *passed, int *failed, int *skipped);

/* Hex diff of two frames as `# ` lines in @tc's diagnostics. */
void hexdiff(struct tcase *tc, const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen);

/* ---- the world ---- */

#define RING_SIZE_DEFAULT 13 /* small prime Maglev M for the tables */
#define VIP_ID_DEFAULT 1
#define VIP_PORT_DEFAULT 80
#define BE_MAX_TRACK 16 /* backend ids the tests use: 1..15 */
#define HASH_SEED_TEST 0x5eed1e55U

extern const uint8_t MAC_CLIENT[6], MAC_LB[6];

/* clang-format off */
/* packet destination: a VIP address, a second VIP address, an address without VIP */
enum { D_VIP = 0, D_VIP2, D_OTHER };
/* what the frame is: plain client packet, ICMP error quoting the flow, echo, ARP, other */
enum { K_PLAIN = 0, K_ICMP_ERR, K_ICMP_ECHO, K_ARP, K_ETHERTYPE };
/* IPv6 extension headers in pspec.ext */
enum { E_END = 0, E_HOP, E_RT, E_DST };
enum { FR_NONE = 0, FR_FIRST, FR_LATER };
/* expected output: none (drop), the input, an encapsulation, an L2 rewrite, a too-big answer */
enum { X_NONE = 0, X_SAME, X_ENCAP, X_L2, X_TOO_BIG };
/* clang-format on */

/* Address of @who for @fam (4 or 6) into @a (network order, v4 in a[0..3]). */
void addr_vip(uint8_t fam, int which, uint8_t a[16]);
void addr_client(uint8_t fam, int client, uint8_t a[16]);
void addr_router(uint8_t fam, uint8_t a[16]);
void addr_backend(uint8_t fam, uint32_t id, uint8_t a[16]);

/* A packet as the tests describe it. Zero fields take the defaults noted. */
struct pspec {
	uint8_t fam;	/* 4 or 6; 0 = the VIP's */
	uint8_t proto;	/* flow protocol (TCP/UDP; for ICMP errors the quoted one); 0 = the VIP's */
	uint8_t kind;	/* K_* */
	uint8_t dst;	/* D_* */
	uint8_t client; /* client number: source address and port vary with it */
	uint16_t sport; /* 0 = 40000 + client */
	uint16_t dport; /* 0 = the VIP's port */
	uint8_t flags;	/* TCP flags; 0 = ACK */
	uint32_t seq;	/* TCP sequence number; 0 = 0x1000 + client */
	uint16_t len;	/* payload bytes */
	uint8_t vlan;	/* VLAN tags (outer 802.1ad when 2+) */
	uint8_t tos;	/* IPv4 TOS / IPv6 traffic class */
	uint16_t ipid;	/* IPv4 id; 0 = 0x1c46 */
	bool nodf;	/* IPv4: DF clear (default set; fragments never set it) */
	uint8_t ip4opt; /* IPv4 option bytes (NOPs), multiple of 4 */
	uint8_t ext[6]; /* IPv6 extension headers, E_END-terminated */
	uint8_t frag;	/* FR_* */
	uint8_t ext_after; /* IPv6: E_* header after the fragment header (first fragment
			    * only; a later one names it in its fragment header) */
	uint16_t fragoff;  /* FR_LATER: offset in 8-byte units; 0 = 185 */
	uint32_t fragid;   /* IPv6 fragment id; 0 = 0xabcd0001 */
	uint8_t pad;	   /* Ethernet padding after the IP packet */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_mtu;	    /* ICMP errors: MTU in the header */
	uint16_t qlen;		    /* ICMP errors: quoted bytes; 0 = IP header + 8 */
	int16_t l4cut;		    /* > 0: only this many bytes of the L4 header, no payload */
	int16_t cut;		    /* > 0: frame truncated to this length */
	uint16_t ethertype;	    /* K_ETHERTYPE */
	void (*mut)(struct pkt *p); /* breaks a field after pkt_finish */
};

/* The VIP of a test and its surroundings. Zero fields take the defaults. */
struct vipcfg {
	uint8_t fam;	/* 4 or 6 */
	uint8_t proto;	/* IPPROTO_TCP (0) or IPPROTO_UDP */
	uint8_t encap;	/* XLB_ENCAP_* (0 = none: invalid VIP) */
	uint8_t be_fam; /* backends' family; 0 = fam */
	uint8_t flags;	/* XLB_VIP_F_* */
	bool anyport;	/* port-0 VIP */
	bool no_ring;	/* do not install a ring */
	uint16_t port;	/* 0 = 80 */
	uint16_t mtu;
	uint64_t udp_idle_ns;
	uint32_t ring_size; /* 0 = RING_SIZE_DEFAULT */
	uint8_t ring_bank;  /* which xlb_rings entry of the VIP is in use */
	uint32_t vip_id;    /* 0 = VIP_ID_DEFAULT */
	uint8_t src_bits;
	uint16_t gue_port;
};

struct env {
	struct xlb_maps *m;
	int prog_fd;
	uint32_t seed;
	struct vipcfg vip; /* the VIP installed by env_std() */
	struct xlb_config cfg;
	struct xlb_backend be[BE_MAX_TRACK];
	bool be_set[BE_MAX_TRACK];
	uint32_t rings[8]; /* vip ids with a ring */
	int nrings;
	uint32_t tx_ports[4];
	int ntx;
};

int env_open(struct env *e, char *err, size_t errlen);
void env_close(struct env *e);
/* Empties every map the tests write, then installs @v: config, backends 1 and 2
 * (family be_fam, active, gen 1), a ring of backend 1 and the VIP on D_VIP.
 */
int env_std(struct env *e, const struct vipcfg *v);
int env_clear(struct env *e);
int env_backend(struct env *e, uint32_t id, const struct xlb_backend *be);
struct xlb_backend backend_std(uint8_t fam, uint32_t id);
int env_ring_fill(struct env *e, uint32_t vip_id, uint32_t size, const uint32_t *slots);
int env_ring_all(struct env *e, uint32_t vip_id, uint32_t size, uint32_t be_id);
int env_vip(struct env *e, const struct vipcfg *v, int which);
int env_tx_port(struct env *e, uint32_t ifindex);
uint64_t mono_ns(void);
/* CLOCK_MONOTONIC_COARSE: the clock of flow last_seen_ns (bpf_ktime_get_coarse_ns) */
uint64_t coarse_ns(void);

/* Fills the defaults of @ps from @v. */
void ps_resolve(struct pspec *ps, const struct vipcfg *v);
/* Builds the frame of a resolved spec. */
void ps_build(const struct pspec *ps, struct pkt *p);
/* The client flow of a resolved spec (for ICMP errors: the reversed quote). */
void ps_flow_key(const struct pspec *ps, struct xlb_flow_key *k);

/* ---- expected outputs (docs/dataplane.md) ---- */

void exp_encap(struct pkt *out, const uint8_t *in, size_t len, size_t l3off,
	       const struct xlb_backend *be, uint8_t encap, const struct xlb_config *cfg,
	       uint32_t h);
void exp_l2(struct pkt *out, const uint8_t *in, size_t len, const struct xlb_backend *be);
void exp_too_big(struct pkt *out, const uint8_t *in, size_t len, size_t l3off, uint32_t mtu);
/* L2 header length (Ethernet + up to 2 tags) of a frame, or 0 if not IP. */
size_t frame_l3off(const uint8_t *in, size_t len);

/* ---- running ---- */

struct snap {
	__u64 cnt[__XLB_CNT_MAX];
	__u64 drops[__XLB_DROP_MAX];
};

struct run {
	int err; /* bpf_prog_test_run_opts() result */
	__u32 verdict;
	uint8_t out[PKT_MAX + 512];
	__u32 out_len;
};

/* Runs @prog_fd once on @in; @ifindex != 0 passes it as ctx ingress_ifindex. */
int run_prog(int prog_fd, const uint8_t *in, size_t len, uint32_t ifindex, struct run *r);
int snap_take(struct env *e, struct snap *s);
const char *verdict_name(__u32 v);

struct cnt_exp {
	uint8_t idx;
	uint8_t n;
};

/* One packet and what must come of it. */
struct step {
	struct pspec pkt;
	__u32 verdict;	       /* XDP_* */
	uint8_t exp;	       /* X_* */
	uint8_t be;	       /* X_ENCAP/X_L2: backend id; 0 = 1 */
	uint8_t encap;	       /* X_ENCAP: mode; 0 = the VIP's */
	uint16_t tb_mtu;       /* X_TOO_BIG: MTU in the answer */
	struct cnt_exp cnt[6]; /* counters besides RX, the verdict's, the encap's */
	uint8_t drop;	       /* XLB_DROP_* when verdict is XDP_DROP */
	uint64_t dontcare;     /* bit i: counter i not checked */
	uint64_t drop_any;     /* bit i: drop reason i accepted (instead of .drop) */
	uint32_t ifindex;      /* ctx ingress ifindex; 0 = none */
};

#define CNT(c, n)              \
	{                      \
		XLB_CNT_##c, n \
	}
#define CNTBIT(c) (1ULL << XLB_CNT_##c)

/* Runs one step against the current env (its VIP config and backends). */
void step_run(struct env *e, struct tcase *tc, const struct step *st);

/* ---- suites ---- */

void suite_xdp(struct env *e);
void suite_scenarios(struct env *e);
void suite_policy(struct env *e);
void suite_decap(void);
void suite_random(struct env *e);

#endif /* XLB_TESTS_HARNESS_H */
