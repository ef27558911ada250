// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Multi-packet scenarios of xlb_xdp (flow stickiness across a Maglev change,
 * SYN re-selection, RST, UDP expiry, flood guard, fragments, redirect, stats)
 * and the maps.c API itself (pins, round trips).
 */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/magic.h>
#include "harness.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool flow_get(struct env *e, const struct pspec *ps0, const struct vipcfg *v,
		     struct xlb_flow_val *val)
{
	struct pspec ps = *ps0;
	struct xlb_flow_key k;

	ps_resolve(&ps, v);
	ps_flow_key(&ps, &k);
	return maps_flow_lookup(e->m, &k, val) == 0;
}

static void expect_flow(struct env *e, struct tcase *tc, const char *what, const struct pspec *ps,
			uint32_t be)
{
	struct xlb_flow_val v;
	bool have = flow_get(e, ps, &e->vip, &v);

	if (!be && have)
		tap_fail(tc, "%s: expected no flow entry, found backend %u", what, v.backend_id);
	else if (be && !have)
		tap_fail(tc, "%s: expected a flow entry for backend %u, found none", what, be);
	else if (be && v.backend_id != be)
		tap_fail(tc, "%s: flow entry has backend %u, expected %u", what, v.backend_id, be);
}

/* step initializers: forwarded to backend @b by encapsulation, and the flow-table counter */
#define FWD(b) .verdict = XDP_TX, .exp = X_ENCAP, .be = (b)
#define NEWF .cnt = { { XLB_CNT_FLOW_MISS, 1 } }
#define HITF .cnt = { { XLB_CNT_FLOW_HIT, 1 } }
/* a SYN: fresh selection counted as XLB_CNT_SYN, the flow table not read */
#define SYNF .cnt = { { XLB_CNT_SYN, 1 } }, .dontcare = 1ULL << XLB_CNT_FLOW_MISS

/* First packet inserts, the ring moves to backend 2, the flow stays on 1. */
static void sc_sticky(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct step syn = { .pkt = { .flags = TCP_SYN }, FWD(1), SYNF };
	const struct step ack = { .pkt = { .len = 100 }, FWD(1), HITF };
	const struct step other = { .pkt = { .client = 9, .flags = TCP_SYN }, FWD(2), SYNF };
	struct tcase tc;

	tap_begin(&tc, "flow sticks to its backend after the maglev table changes");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &syn);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &ack);
		step_run(e, &tc, &other); /* the new table is live */
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	const struct vipcfg v6 = { .fam = 6, .proto = UDP, .port = 53, .encap = XLB_ENCAP_GUE };
	const struct step u1 = { .pkt = { .len = 20 }, FWD(1), NEWF };
	const struct step u2 = { .pkt = { .len = 30 }, FWD(1), HITF };

	tap_begin(&tc, "v6 udp flow sticks after the maglev table changes");
	if (env_std(e, &v6) == 0) {
		step_run(e, &tc, &u1);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &u2);
		expect_flow(e, &tc, "after", &u2.pkt, 1);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* A SYN takes the current table and rewrites the entry; the flow follows it. */
static void sc_syn_reselect(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .encap = XLB_ENCAP_IPIP };
	const struct step syn1 = { .pkt = { .flags = TCP_SYN }, FWD(1), SYNF };
	/* the same SYN again without an ACK between: a retransmission */
	const struct step syn2 = { .pkt = { .flags = TCP_SYN },
				   FWD(2),
				   .cnt = { { XLB_CNT_SYN, 1 }, { XLB_CNT_SYN_RETX, 1 } },
				   .dontcare = 1ULL << XLB_CNT_FLOW_MISS };
	const struct step ack = { .pkt = {}, FWD(2), HITF };
	struct tcase tc;

	tap_begin(&tc, "syn re-selects after the maglev table changes, later packets follow");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &syn1);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &syn2);
		expect_flow(e, &tc, "after the second syn", &syn2.pkt, 2);
		step_run(e, &tc, &ack);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* An RST without entry leaves none behind: the next packet is a miss. */
static void sc_rst(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_GUE };
	const struct step rst = { .pkt = { .flags = TCP_RST },
				  FWD(1),
				  .cnt = { { XLB_CNT_RST_NO_FLOW, 1 } },
				  .dontcare = 1ULL << XLB_CNT_FLOW_MISS };
	const struct step ack = { .pkt = {}, FWD(2), NEWF };
	struct tcase tc;

	tap_begin(&tc, "rst without entry is not inserted: next packet takes the new table");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &rst);
		expect_flow(e, &tc, "after rst", &rst.pkt, 0);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &ack);
		expect_flow(e, &tc, "after ack", &ack.pkt, 2);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* A UDP entry holds within udp_idle_ns and is re-selected after it. */
static void sc_udp_expiry(struct env *e)
{
	const struct vipcfg v = { .fam = 4,
				  .proto = UDP,
				  .port = 53,
				  .encap = XLB_ENCAP_IPIP,
				  .udp_idle_ns = 400000000ULL };
	const struct step u1 = { .pkt = {}, FWD(1), NEWF };
	const struct step u2 = { .pkt = {}, FWD(1), HITF };
	const struct step u3 = { .pkt = {},
				 FWD(2),
				 .cnt = { { XLB_CNT_UDP_EXPIRED, 1 } },
				 .dontcare = 1ULL << XLB_CNT_FLOW_MISS |
					     1ULL << XLB_CNT_FLOW_RESELECT };
	struct tcase tc;

	tap_begin(&tc, "udp flow expires after the vip's udp_idle_ns");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &u1);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &u2);
		sleep_ms(600);
		step_run(e, &tc, &u3);
		expect_flow(e, &tc, "after expiry", &u3.pkt, 2);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* flood_rate 2: the first two new flows of the window are inserted, the fourth
 * is forwarded without an entry. The third is left open: docs/dataplane.md says
 * the guard starts once "more than" flood_rate flows were inserted (third
 * inserted), struct xlb_config says flood_rate flows "before flood guard"
 * (third not inserted). The diagnostics say which one the dataplane does.
 */
static void sc_flood(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const uint64_t either = 1ULL << XLB_CNT_FLOW_MISS | 1ULL << XLB_CNT_FLOOD_GUARD;
	struct step st[4];
	struct xlb_flow_val fv;
	struct tcase tc;

	tap_begin(&tc, "flood guard: flood_rate 2, four new flows, the last is not inserted");
	if (env_std(e, &v)) {
		tap_fail(&tc, "map setup failed");
		tap_end(&tc);
		return;
	}
	e->cfg.flood_rate = 2;
	maps_config_set(e->m, &e->cfg);
	for (int i = 0; i < 4; i++) {
		st[i] = (struct step){ .pkt = { .client = (uint8_t)(20 + i) }, FWD(1), NEWF };
		if (i == 2) { /* inserted or guarded: see above */
			st[i].cnt[0].n = 0;
			st[i].dontcare = either;
		} else if (i == 3) {
			st[i].cnt[0].idx = XLB_CNT_FLOOD_GUARD;
			st[i].dontcare = 1ULL << XLB_CNT_FLOW_MISS;
		}
		step_run(e, &tc, &st[i]);
	}
	expect_flow(e, &tc, "flow 1", &st[0].pkt, 1);
	expect_flow(e, &tc, "flow 2", &st[1].pkt, 1);
	expect_flow(e, &tc, "flow 4", &st[3].pkt, 0);
	tap_diag(&tc, "  third new flow with flood_rate 2: %s",
		 flow_get(e, &st[2].pkt, &e->vip, &fv) ? "inserted" : "not inserted");
	if (!tc.failed)
		printf("%s", tc.diag);
	tap_end(&tc);

	tap_begin(&tc, "flood guard off (flood_rate 0): every new flow inserted");
	if (env_std(e, &v) == 0) {
		for (int i = 0; i < 6; i++) {
			st[0] = (struct step){ .pkt = { .client = (uint8_t)(30 + i) },
					       FWD(1),
					       NEWF };
			step_run(e, &tc, &st[0]);
			expect_flow(e, &tc, "new flow", &st[0].pkt, 1);
		}
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* A later fragment keeps the encapsulation recorded with the first one even
 * after the VIP changes mode ("same backend, same encap").
 */
static void sc_frag_mode(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .proto = UDP, .port = 53, .encap = XLB_ENCAP_GUE };
	const struct step first = { .pkt = { .frag = FR_FIRST, .ipid = 0x999, .len = 100 },
				    FWD(1),
				    .cnt = { { XLB_CNT_FLOW_MISS, 1 },
					     { XLB_CNT_FRAG_FIRST, 1 } } };
	const struct step later = { .pkt = { .frag = FR_LATER, .ipid = 0x999, .fragoff = 14 },
				    FWD(1),
				    .encap = XLB_ENCAP_GUE,
				    .cnt = { { XLB_CNT_FRAG_HIT, 1 } } };
	struct vipcfg ipip = v;
	struct tcase tc;

	tap_begin(&tc, "later fragment keeps the first one's encapsulation after a mode change");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &first);
		ipip.encap = XLB_ENCAP_IPIP;
		if (env_vip(e, &ipip, D_VIP))
			tap_fail(&tc, "cannot change the vip");
		step_run(e, &tc, &later);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* First fragment tracked; after a table change the later one still follows it,
 * with the same hash (GUE port / flow label) and mode. Another datagram misses.
 */
static void sc_frags(struct env *e, uint8_t fam, uint8_t encap, uint8_t be_fam)
{
	const struct vipcfg v = {
		.fam = fam, .proto = UDP, .port = 53, .encap = encap, .be_fam = be_fam
	};
	struct step first = {
		.pkt = { .frag = FR_FIRST, .ipid = 0x4321, .fragid = 0x77, .len = 300 },
		FWD(1),
		.cnt = { { XLB_CNT_FLOW_MISS, 1 }, { XLB_CNT_FRAG_FIRST, 1 } }
	};
	/* the later fragment's hash is the first one's flow: same spec, no L4 */
	struct step later = { .pkt = { .frag = FR_LATER,
				       .ipid = 0x4321,
				       .fragid = 0x77,
				       .fragoff = 39,
				       .len = 100 },
			      FWD(1),
			      .cnt = { { XLB_CNT_FRAG_HIT, 1 } } };
	const struct step other = { .pkt = { .frag = FR_LATER, .ipid = 0x4322, .fragid = 0x78 },
				    .verdict = XDP_DROP,
				    .exp = X_NONE,
				    .drop = XLB_DROP_FRAG_MISS };
	char name[128];
	struct tcase tc;

	if (encap == XLB_ENCAP_L2)
		first.exp = later.exp = X_L2;
	snprintf(name, sizeof(name), "v%u %s fragments: later fragment follows the first", fam,
		 encap == XLB_ENCAP_GUE ? "gue" :
		 encap == XLB_ENCAP_L2	? "l2" :
					  "ipip");
	tap_begin(&tc, name);
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &first);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		step_run(e, &tc, &later);
		step_run(e, &tc, &other);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* Backend behind another device: XDP_REDIRECT through xlb_tx_ports. */
static void sc_redirect(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const char *dev = "xlbtdum0";
	struct xlb_backend b1;
	struct tcase tc;
	unsigned ifindex;

	if (system("ip link add xlbtdum0 type dummy 2>/dev/null")) {
		dev = "xlbtveth0";
		if (system("ip link add xlbtveth0 type veth peer name xlbtveth1 2>/dev/null")) {
			tap_skip("backend on another device: XDP_REDIRECT",
				 "cannot create a dummy or veth device");
			return;
		}
	}
	ifindex = if_nametoindex(dev);
	tap_begin(&tc, "backend on another device: XDP_REDIRECT via xlb_tx_ports");
	if (!ifindex || env_std(e, &v)) {
		tap_fail(&tc, "setup failed");
	} else {
		const struct step st = { .pkt = { .len = 20 },
					 .verdict = XDP_REDIRECT,
					 .exp = X_ENCAP,
					 .ifindex = 1,
					 .cnt = { { XLB_CNT_FLOW_MISS, 1 } } };
		const struct step tx = { .pkt = { .len = 20 },
					 .verdict = XDP_TX,
					 .exp = X_ENCAP,
					 .ifindex = ifindex,
					 .cnt = { { XLB_CNT_FLOW_HIT, 1 } } };

		b1 = e->be[1];
		b1.ifindex = ifindex;
		if (env_backend(e, 1, &b1) || env_tx_port(e, ifindex))
			tap_fail(&tc, "cannot add %s to xlb_tx_ports", dev);
		step_run(e, &tc, &st);
		/* the same backend seen from its own device is XDP_TX */
		step_run(e, &tc, &tx);
	}
	tap_end(&tc);
	env_clear(e); /* drops the devmap entry before the device goes */
	if (strcmp(dev, "xlbtdum0") == 0)
		(void)!system("ip link del xlbtdum0 2>/dev/null");
	else
		(void)!system("ip link del xlbtveth0 2>/dev/null");
}

/* Per-VIP and per-backend counters. */
static void sc_stats(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP, .vip_id = 7 };
	struct xlb_vip_stats va, vb;
	struct xlb_be_stats b1a, b1b, b2a, b2b;
	struct tcase tc;
	struct xlb_flow_key k;
	struct xlb_flow_val fv = { .backend_id = 2, .backend_gen = 1 };
	struct pspec ps = { .client = 2 };

	tap_begin(&tc, "per-vip and per-backend counters");
	if (env_std(e, &v)) {
		tap_fail(&tc, "map setup failed");
		tap_end(&tc);
		return;
	}
	ps_resolve(&ps, &e->vip);
	ps_flow_key(&ps, &k);
	fv.last_seen_ns = coarse_ns();
	maps_flow_update(e->m, &k, &fv);
	if (maps_vip_stats_read(e->m, 7, &va) || maps_be_stats_read(e->m, 1, &b1a) ||
	    maps_be_stats_read(e->m, 2, &b2a)) {
		tap_fail(&tc, "cannot read stats");
		tap_end(&tc);
		return;
	}
	const struct step s1 = { .pkt = { .client = 1, .flags = TCP_SYN }, FWD(1), SYNF };
	const struct step s2 = { .pkt = { .client = 1, .len = 100 }, FWD(1), HITF };
	const struct step s3 = { .pkt = { .client = 2, .len = 10 }, FWD(2), HITF };
	const struct step s4 = { .pkt = { .client = 3 }, FWD(1), NEWF };

	step_run(e, &tc, &s1);
	step_run(e, &tc, &s2);
	step_run(e, &tc, &s3);
	step_run(e, &tc, &s4);
	maps_vip_stats_read(e->m, 7, &vb);
	maps_be_stats_read(e->m, 1, &b1b);
	maps_be_stats_read(e->m, 2, &b2b);
	if (vb.packets - va.packets != 4 || vb.new_flows - va.new_flows != 2 ||
	    vb.drops != va.drops)
		tap_fail(&tc,
			 "vip 7: expected packets +4 new_flows +2 drops +0, got +%llu +%llu +%llu",
			 (unsigned long long)(vb.packets - va.packets),
			 (unsigned long long)(vb.new_flows - va.new_flows),
			 (unsigned long long)(vb.drops - va.drops));
	if (b1b.packets - b1a.packets != 3 || b1b.new_flows - b1a.new_flows != 2)
		tap_fail(&tc, "backend 1: expected packets +3 new_flows +2, got +%llu +%llu",
			 (unsigned long long)(b1b.packets - b1a.packets),
			 (unsigned long long)(b1b.new_flows - b1a.new_flows));
	if (b2b.packets - b2a.packets != 1 || b2b.new_flows != b2a.new_flows)
		tap_fail(&tc, "backend 2: expected packets +1 new_flows +0, got +%llu +%llu",
			 (unsigned long long)(b2b.packets - b2a.packets),
			 (unsigned long long)(b2b.new_flows - b2a.new_flows));
	if (vb.bytes <= va.bytes || b1b.bytes <= b1a.bytes || b2b.bytes <= b2a.bytes)
		tap_fail(&tc, "bytes counters did not grow");
	tap_end(&tc);
}

/* A SYN records the backend's current generation. */
static void sc_gen(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .encap = XLB_ENCAP_GUE };
	const struct step syn = { .pkt = { .flags = TCP_SYN }, FWD(1), SYNF };
	struct xlb_backend b1;
	struct xlb_flow_val fv;
	struct tcase tc;

	tap_begin(&tc, "new flow entry records the backend's generation");
	if (env_std(e, &v) == 0) {
		b1 = e->be[1];
		b1.gen = 5;
		env_backend(e, 1, &b1);
		step_run(e, &tc, &syn);
		if (!flow_get(e, &syn.pkt, &e->vip, &fv))
			tap_fail(&tc, "no flow entry");
		else if (fv.backend_id != 1 || fv.backend_gen != 5)
			tap_fail(&tc, "flow entry: backend %u gen %u, expected 1 gen 5",
				 fv.backend_id, fv.backend_gen);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* ---- the maps.c API ---- */

static void sc_maps_api(struct env *e)
{
	const struct vipcfg v = { .fam = 6,
				  .proto = UDP,
				  .port = 443,
				  .encap = XLB_ENCAP_GUE,
				  .mtu = 1400,
				  .udp_idle_ns = 12345,
				  .vip_id = 3 };
	struct xlb_vip_key k = { .port = htons(443), .proto = UDP, .family = XLB_FAMILY_V6 };
	struct xlb_vip_val val;
	struct xlb_backend be;
	struct xlb_config cfg;
	struct xlb_flow_key fk = { .family = XLB_FAMILY_V4, .proto = TCP, .sport = 1 };
	struct xlb_flow_val fv = { .last_seen_ns = 42, .backend_id = 2, .backend_gen = 9 }, fv2;
	__u64 cnt[__XLB_CNT_MAX], drops[__XLB_DROP_MAX];
	uint32_t slots[17];
	struct tcase tc;

	tap_begin(&tc, "maps api: vip, backend, config, flow round trips");
	if (env_std(e, &v)) {
		tap_fail(&tc, "map setup failed");
		tap_end(&tc);
		return;
	}
	addr_vip(6, D_VIP, (uint8_t *)k.addr);
	if (maps_vip_lookup(e->m, &k, &val) || val.vip_id != 3 || val.mtu != 1400 ||
	    val.udp_idle_ns != 12345 || val.encap != XLB_ENCAP_GUE)
		tap_fail(&tc, "vip lookup does not return what was written");
	if (maps_vip_delete(e->m, &k) || maps_vip_lookup(e->m, &k, &val) != -ENOENT)
		tap_fail(&tc, "vip delete");
	if (maps_backend_get(e->m, 2, &be) || memcmp(&be, &e->be[2], sizeof(be)))
		tap_fail(&tc, "backend get does not return what was written");
	if (maps_config_get(e->m, &cfg) || memcmp(&cfg, &e->cfg, sizeof(cfg)))
		tap_fail(&tc, "config get does not return what was written");
	if (maps_flow_update(e->m, &fk, &fv) || maps_flow_lookup(e->m, &fk, &fv2) ||
	    memcmp(&fv, &fv2, sizeof(fv)))
		tap_fail(&tc, "flow update/lookup");
	if (maps_flow_delete(e->m, &fk) || maps_flow_lookup(e->m, &fk, &fv2) != -ENOENT)
		tap_fail(&tc, "flow delete");
	if (maps_vip_addr_set(e->m, &(struct xlb_addr){ .family = 4 }, 0))
		tap_fail(&tc, "vip_addr_set 0 of an absent address must succeed");
	if (maps_map_fd(e->m, XLB_MAP_FLOWS) < 0 || maps_map_fd(e->m, "xlb_nonexistent") != -ENOENT)
		tap_fail(&tc, "maps_map_fd");
	if (maps_hash_seed(e->m) != HASH_SEED_TEST)
		tap_fail(&tc, "hash seed: got %#x", maps_hash_seed(e->m));
	tap_end(&tc);

	tap_begin(&tc, "maps api: ring swap to another size, ring delete, counters reset");
	for (int i = 0; i < 17; i++)
		slots[i] = 2;
	{
		const struct vipcfg v4 = { .fam = 4, .encap = XLB_ENCAP_IPIP, .ring_size = 17 };
		const struct step s = { .pkt = {}, FWD(2), NEWF };
		const struct step nr = { .pkt = { .client = 1 },
					 .verdict = XDP_DROP,
					 .exp = X_NONE,
					 .drop = XLB_DROP_NO_RING,
					 .dontcare = 0xfe0 };

		if (env_std(e, &v4) || env_ring_fill(e, VIP_ID_DEFAULT, 17, slots))
			tap_fail(&tc, "setup");
		step_run(e, &tc, &s);
		if (maps_ring_delete(e->m, VIP_ID_DEFAULT) ||
		    maps_ring_delete(e->m, VIP_ID_DEFAULT))
			tap_fail(&tc, "ring delete (twice) must succeed");
		step_run(e, &tc, &nr);
		if (maps_ring_set(e->m, 1, 0, slots, 0) != -EINVAL)
			tap_fail(&tc, "ring of size 0 must be refused");
		if (maps_counters_reset(e->m) || maps_counters_read(e->m, cnt, drops))
			tap_fail(&tc, "counters reset/read");
		for (int i = 0; i < __XLB_CNT_MAX; i++)
			if (cnt[i])
				tap_fail(&tc, "counter %d not reset", i);
		for (int i = 0; i < __XLB_DROP_MAX; i++)
			if (drops[i])
				tap_fail(&tc, "drop %d not reset", i);
	}
	tap_end(&tc);
}

/* Removes a pin directory tree of files and directories (bpffs). */
static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (unlink(sub))
			rm_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

/* maps_open() with a pin root: maps pinned under <root>/v<ABI>, reused by the next open. */
static void sc_pins(void)
{
	char root[] = "/tmp/xlb-pins-XXXXXX", path[64], err[256];
	struct xlb_maps_opts o = { .pin_root = NULL, .flow_max = 4096 };
	struct xlb_vip_key k = { .port = htons(80), .proto = TCP, .family = XLB_FAMILY_V4 };
	struct xlb_vip_val val = { .vip_id = 9, .ring_size = 13, .encap = XLB_ENCAP_IPIP }, got;
	struct xlb_maps *m1 = NULL, *m2 = NULL;
	struct statfs sf;
	struct tcase tc;
	struct stat st;
	bool mounted = false;

	if (!mkdtemp(root)) {
		tap_skip("maps_open with a pin root", "cannot make a temporary directory");
		return;
	}
	if (mount("bpf", root, "bpf", 0, NULL) == 0)
		mounted = true;
	if (!mounted || statfs(root, &sf) || sf.f_type != BPF_FS_MAGIC) {
		rmdir(root);
		tap_skip("maps_open with a pin root", "cannot mount a private bpffs");
		return;
	}
	snprintf(path, sizeof(path), "%s/xlb", root);
	o.pin_root = path;
	addr_vip(4, D_VIP, (uint8_t *)k.addr);

	tap_begin(&tc, "maps_open with a pin root pins under v<ABI> and reuses the pins");
	m1 = maps_open(&o);
	if (!m1) {
		tap_fail(&tc, "first maps_open: %s", strerror(errno));
		goto out;
	}
	snprintf(err, sizeof(err), "%s/%s/%s", path, XLB_PIN_SUBDIR, XLB_MAP_VIPS);
	if (stat(err, &st))
		tap_fail(&tc, "no pin at %s", err);
	if (maps_vip_update(m1, &k, &val))
		tap_fail(&tc, "vip update");
	maps_close(m1);
	m2 = maps_open(&o);
	if (!m2) {
		tap_fail(&tc, "second maps_open: %s", strerror(errno));
		goto out;
	}
	if (maps_vip_lookup(m2, &k, &got) || got.vip_id != 9)
		tap_fail(&tc, "the second open does not see the first one's vip");
	maps_close(m2);
out:
	tap_end(&tc);
	rm_tree(path);
	umount(root);
	rmdir(root);
}

/* ---- circuit breakers (issue 4): xlb_be_brk read per new flow ---- */

static void brk_set(struct env *e, uint32_t id, uint32_t state, int32_t budget)
{
	struct xlb_be_brk b = { .state = state, .budget = budget };

	maps_be_brk_set(e->m, id, &b);
}

static void brk_clear(struct env *e)
{
	for (uint32_t id = 0; id < BE_MAX_TRACK; id++) {
		brk_set(e, id, XLB_BRK_CLOSED, 0);
		maps_be_pasv_reset(e->m, id);
	}
}

/* Sends @ps once; returns the verdict (UINT32_MAX on a run error) */
static __u32 send_pkt(struct env *e, const struct pspec *ps0)
{
	struct pspec ps = *ps0;
	static struct run r;
	struct pkt p;

	ps_resolve(&ps, &e->vip);
	ps_build(&ps, &p);
	if (run_prog(e->prog_fd, p.d, p.len, 0, &r) || r.err)
		return UINT32_MAX;
	return r.verdict;
}

static uint32_t flow_be(struct env *e, const struct pspec *ps)
{
	struct xlb_flow_val v;

	return flow_get(e, ps, &e->vip, &v) ? v.backend_id : 0;
}

static __u64 cnt_delta(const struct snap *a, const struct snap *b, int idx)
{
	return b->cnt[idx] - a->cnt[idx];
}

#define BRK_CLIENTS 24

/* A ring alternating backends 1 and 2; first choices recorded with every
 * breaker closed, then backend 1 opened / half-opened. */
static int brk_world(struct env *e, const struct vipcfg *v, uint32_t first[BRK_CLIENTS],
		     struct tcase *tc)
{
	uint32_t slots[RING_SIZE_DEFAULT];
	struct pspec ps;
	int n1 = 0;

	if (env_std(e, v))
		return -1;
	brk_clear(e);
	for (uint32_t i = 0; i < RING_SIZE_DEFAULT; i++)
		slots[i] = 1 + (i & 1);
	if (env_ring_fill(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, slots))
		return -1;
	for (int c = 0; c < BRK_CLIENTS; c++) {
		ps = (struct pspec){ .client = (uint8_t)(100 + c), .flags = TCP_SYN };
		if (send_pkt(e, &ps) != XDP_TX)
			tap_fail(tc, "closed: client %d's syn not forwarded", c);
		first[c] = flow_be(e, &ps);
		n1 += first[c] == 1;
	}
	if (!n1 || n1 == BRK_CLIENTS)
		tap_fail(tc, "world: %d of %d first choices on backend 1, want a mix", n1,
			 BRK_CLIENTS);
	return 0;
}

static void sc_breaker(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct vipcfg vmove = { .fam = 4,
				      .encap = XLB_ENCAP_IPIP,
				      .flags = XLB_VIP_F_RESELECT_OPEN };
	uint32_t first[BRK_CLIENTS];
	struct snap s0, s1;
	struct xlb_be_pasv pv;
	struct xlb_be_brk b;
	struct pspec ps;
	struct tcase tc;
	int n1 = 0, admitted = 0;

	tap_begin(&tc, "breaker open: new flows take the next choice, existing flows stay");
	if (brk_world(e, &v, first, &tc) == 0) {
		for (int c = 0; c < BRK_CLIENTS; c++)
			n1 += first[c] == 1;
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		snap_take(e, &s0);
		for (int c = 0; c < BRK_CLIENTS; c++) { /* established: keep their backend */
			ps = (struct pspec){ .client = (uint8_t)(100 + c) };
			if (send_pkt(e, &ps) != XDP_TX || flow_be(e, &ps) != first[c])
				tap_fail(&tc, "open: client %d's ack left backend %u", c, first[c]);
		}
		for (int c = 0; c < BRK_CLIENTS; c++) { /* new flows: never backend 1 */
			ps = (struct pspec){ .client = (uint8_t)(100 + c), .flags = TCP_SYN };
			if (send_pkt(e, &ps) != XDP_TX || flow_be(e, &ps) != 2)
				tap_fail(&tc, "open: new flow of client %d went to backend %u", c,
					 flow_be(e, &ps));
		}
		snap_take(e, &s1);
		if (cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE) != (__u64)n1 ||
		    cnt_delta(&s0, &s1, XLB_CNT_BRK_EXHAUSTED) != 0)
			tap_fail(&tc, "counters: brk_reroute +%llu (want %d), brk_exhausted +%llu",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE), n1,
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_EXHAUSTED));
		maps_be_pasv_read(e->m, 1, &pv);
		if (pv.brk_refused != cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE))
			tap_fail(&tc, "backend 1 brk_refused %llu, reroutes %llu",
				 (unsigned long long)pv.brk_refused,
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE));
		tap_diag(&tc, "  %d of %d first choices were the open backend", n1, BRK_CLIENTS);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "breaker half-open: budget 2 admits two new flows, then the next choice");
	if (brk_world(e, &v, first, &tc) == 0) {
		brk_set(e, 1, XLB_BRK_HALF_OPEN, 2);
		snap_take(e, &s0);
		for (int c = 0; c < BRK_CLIENTS; c++) {
			if (first[c] != 1)
				continue;
			ps = (struct pspec){ .client = (uint8_t)(100 + c), .flags = TCP_SYN };
			send_pkt(e, &ps);
			if (flow_be(e, &ps) == 1)
				admitted++;
			else if (admitted < 2)
				tap_fail(&tc, "half-open: flow %d refused with budget left", c);
		}
		snap_take(e, &s1);
		maps_be_brk_get(e->m, 1, &b);
		maps_be_pasv_read(e->m, 1, &pv);
		if (admitted != 2 || cnt_delta(&s0, &s1, XLB_CNT_BRK_HALF_ADMIT) != 2 ||
		    pv.brk_admit != 2 || b.budget > 0)
			tap_fail(&tc,
				 "admitted %d, brk_half_open_admit +%llu, pasv admit %llu, budget "
				 "now %d (want 2, 2, 2, <= 0)",
				 admitted,
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_HALF_ADMIT),
				 (unsigned long long)pv.brk_admit, b.budget);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "breaker closed again: new flows take their first choice");
	if (brk_world(e, &v, first, &tc) == 0) {
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		brk_set(e, 1, XLB_BRK_CLOSED, 0);
		snap_take(e, &s0);
		for (int c = 0; c < BRK_CLIENTS; c++) {
			ps = (struct pspec){ .client = (uint8_t)(100 + c),
					     .sport = 50002,
					     .flags = TCP_SYN };
			if (send_pkt(e, &ps) != XDP_TX)
				tap_fail(&tc, "closed: new flow of client %d not forwarded", c);
		}
		snap_take(e, &s1);
		if (cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE))
			tap_fail(&tc, "closed: %llu flows rerouted",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_REROUTE));
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "open-flows reselect: established flows of an open backend move");
	if (brk_world(e, &vmove, first, &tc) == 0) {
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		snap_take(e, &s0);
		n1 = 0;
		for (int c = 0; c < BRK_CLIENTS; c++) {
			ps = (struct pspec){ .client = (uint8_t)(100 + c) };
			if (send_pkt(e, &ps) != XDP_TX || flow_be(e, &ps) != 2)
				tap_fail(&tc, "client %d (first choice %u) now on backend %u", c,
					 first[c], flow_be(e, &ps));
			n1 += first[c] == 1;
		}
		snap_take(e, &s1);
		if (cnt_delta(&s0, &s1, XLB_CNT_BRK_FLOW_MOVED) != (__u64)n1)
			tap_fail(&tc, "brk_flow_moved +%llu, want %d",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_FLOW_MOVED),
				 n1);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "breaker: every choice open keeps the first choice, counted");
	if (env_std(e, &v) == 0) {
		brk_clear(e);
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		snap_take(e, &s0);
		ps = (struct pspec){ .client = 7, .flags = TCP_SYN };
		if (send_pkt(e, &ps) != XDP_TX || flow_be(e, &ps) != 1)
			tap_fail(&tc, "not forwarded to the only backend of the ring");
		snap_take(e, &s1);
		if (cnt_delta(&s0, &s1, XLB_CNT_BRK_EXHAUSTED) != 1)
			tap_fail(&tc, "brk_exhausted +%llu, want 1",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_BRK_EXHAUSTED));
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "lc: an open candidate gets no new flows however idle");
	if (env_std(e, &(struct vipcfg){ .fam = 4, .encap = XLB_ENCAP_IPIP }) == 0) {
		struct xlb_lc_set set = { .n = 2, .ids = { 1, 2 }, .weights = { 1, 1 } };
		struct xlb_vip_key k;
		struct xlb_vip_val vv;
		bool ok = false;

		struct pspec p0 = { .flags = TCP_SYN };
		struct xlb_flow_key fk;

		brk_clear(e);
		maps_lc_set(e->m, VIP_ID_DEFAULT, &set);
		/* switch the installed VIP to lc */
		ps_resolve(&p0, &e->vip);
		ps_flow_key(&p0, &fk);
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, fk.dst, sizeof(k.addr));
		k.port = fk.dport;
		k.proto = fk.proto;
		k.family = fk.family;
		if (maps_vip_lookup(e->m, &k, &vv) == 0) {
			vv.sched = XLB_SCHED_LC;
			ok = maps_vip_update(e->m, &k, &vv) == 0;
		}
		if (!ok)
			tap_fail(&tc, "cannot switch the vip to lc");
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		for (int c = 0; c < 8; c++) {
			ps = (struct pspec){ .client = (uint8_t)(60 + c), .flags = TCP_SYN };
			if (send_pkt(e, &ps) != XDP_TX || flow_be(e, &ps) != 2)
				tap_fail(&tc, "new flow %d went to backend %u", c, flow_be(e, &ps));
		}
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
	brk_clear(e);
}

/* The passive signal: a SYN again before any ACK is a retransmission,
 * counted for the backend the flow was on; once past the SYN, never. */
static void sc_syn_retx(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .encap = XLB_ENCAP_GUE };
	const struct pspec syn = { .client = 3, .flags = TCP_SYN };
	const struct pspec ack = { .client = 3 };
	struct xlb_be_pasv pv;
	struct tcase tc;

	tap_begin(&tc, "syn retransmissions counted per backend until the flow gets past the syn");
	if (env_std(e, &v) == 0) {
		brk_clear(e);
		send_pkt(e, &syn);
		send_pkt(e, &syn);
		send_pkt(e, &syn);
		maps_be_pasv_read(e->m, 1, &pv);
		if (pv.syn_retx != 2 || pv.estab != 0)
			tap_fail(&tc, "after 3 syns: syn_retx %llu estab %llu (want 2, 0)",
				 (unsigned long long)pv.syn_retx, (unsigned long long)pv.estab);
		send_pkt(e, &ack);
		send_pkt(e, &ack);
		send_pkt(e, &syn); /* a new connection on the same tuple: not a retransmission */
		maps_be_pasv_read(e->m, 1, &pv);
		if (pv.syn_retx != 2 || pv.estab != 1)
			tap_fail(&tc, "after ack, ack, syn: syn_retx %llu estab %llu (want 2, 1)",
				 (unsigned long long)pv.syn_retx, (unsigned long long)pv.estab);
		brk_clear(e);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	/* Clients behind NAT or with busy port ranges reuse a 5-tuple right after a
	 * refused connection: each SYN carries a new initial sequence number. None of
	 * them is a retransmission, whatever the entry's state; a repeat of the last
	 * one is. */
	tap_begin(&tc, "syn on a reused port with a new sequence number is not a retransmission");
	if (env_std(e, &v) == 0) {
		struct pspec reuse = syn;
		uint64_t before;
		int i;

		brk_clear(e);
		for (i = 0; i < 12; i++) {
			reuse.seq = 0x10000u * (uint32_t)(i + 1);
			send_pkt(e, &reuse);
		}
		maps_be_pasv_read(e->m, 1, &pv);
		if (pv.syn_retx != 0)
			tap_fail(&tc, "12 syns with 12 sequence numbers: syn_retx %llu (want 0)",
				 (unsigned long long)pv.syn_retx);
		before = pv.syn_retx;
		send_pkt(e, &reuse); /* the last SYN again: its backend did not answer */
		maps_be_pasv_read(e->m, 1, &pv);
		if (pv.syn_retx != before + 1)
			tap_fail(&tc, "the last syn repeated: syn_retx %llu (want %llu)",
				 (unsigned long long)pv.syn_retx, (unsigned long long)before + 1);
		brk_clear(e);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* IPv6: the fragment header names a destination options header that travels in the
 * first fragment only. A later fragment's bytes after its fragment header are payload:
 * the walk stops there, and both fragments are keyed by the fragment header's next
 * header, so the later one follows the first. */
static void sc_frag6_ext_after(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .proto = UDP, .port = 53, .encap = XLB_ENCAP_GUE };
	const struct step first = {
		.pkt = { .frag = FR_FIRST, .ext_after = E_DST, .fragid = 0x99, .len = 300 },
		FWD(1),
		.cnt = { { XLB_CNT_FLOW_MISS, 1 }, { XLB_CNT_FRAG_FIRST, 1 } }
	};
	const struct step later = { .pkt = { .frag = FR_LATER,
					     .ext_after = E_DST,
					     .fragid = 0x99,
					     .fragoff = 600,
					     .len = 100 },
				    FWD(1),
				    .cnt = { { XLB_CNT_FRAG_HIT, 1 } } };
	struct tcase tc;

	tap_begin(
		&tc,
		"v6 later fragment whose fragment header names an option header follows the first");
	if (env_std(e, &v) == 0) {
		step_run(e, &tc, &first);
		step_run(e, &tc, &later);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* A VIP's table and its size change as one unit: the new table goes into the idle
 * bank while packets keep using the old one, then one VIP update names the new
 * bank and size together. Shrinking 13 -> 7 and growing back: no packet is
 * dropped, and every new flow goes where the table in use says. */
static void sc_ring_resize(struct env *e)
{
	struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	uint32_t seven[7], thirteen[13];
	struct snap s0, s1;
	struct tcase tc;
	int bad = 0;

	for (int i = 0; i < 7; i++)
		seven[i] = 2;
	for (int i = 0; i < 13; i++)
		thirteen[i] = 1;
	tap_begin(&tc, "ring size change: the vip entry flips table and size at once, no drop");
	if (env_std(e, &v) == 0 && snap_take(e, &s0) == 0) {
		for (int round = 0; round < 4; round++) {
			const uint32_t size = round & 1 ? 13 : 7, want = round & 1 ? 1 : 2;
			const uint8_t bank = (uint8_t)((round + 1) & 1);

			/* the idle bank gets the new table; packets in between use the old */
			if (maps_ring_set(e->m, VIP_ID_DEFAULT, bank, size == 7 ? seven : thirteen,
					  size))
				tap_fail(&tc, "ring set failed");
			for (int c = 0; c < 20; c++)
				send_pkt(e, &(struct pspec){ .client = (uint8_t)(100 + c),
							     .flags = TCP_SYN });
			v.ring_size = size;
			v.ring_bank = bank;
			if (env_vip(e, &v, D_VIP))
				tap_fail(&tc, "vip update failed");
			for (int c = 0; c < 20; c++) {
				struct pspec syn = { .client = (uint8_t)(100 + c),
						     .flags = TCP_SYN };

				send_pkt(e, &syn);
				if (flow_be(e, &syn) != want)
					bad++;
			}
		}
		snap_take(e, &s1);
		if (bad)
			tap_fail(&tc, "%d new flows not on the backend of the table in use", bad);
		if (cnt_delta(&s0, &s1, XLB_CNT_DROP))
			tap_fail(&tc, "%llu packets dropped (bad_vip %llu)",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_DROP),
				 (unsigned long long)(s1.drops[XLB_DROP_BAD_VIP] -
						      s0.drops[XLB_DROP_BAD_VIP]));
		maps_ring_delete(e->m, VIP_ID_DEFAULT);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* ---- active flows (issue 11): xlb_be_active after every packet ---- */

static uint64_t active_of(struct env *e, uint32_t id)
{
	__u64 v = UINT64_MAX;

	maps_be_active_get(e->m, id, &v);
	return v;
}

/* @n packets of @ps, then backend @id must hold @want active flows */
static void active_after(struct env *e, struct tcase *tc, const char *what, const struct pspec *ps,
			 int n, uint32_t id, uint64_t want)
{
	uint64_t got;

	for (int i = 0; i < n; i++)
		if (send_pkt(e, ps) == UINT32_MAX)
			tap_fail(tc, "%s: test run failed", what);
	got = active_of(e, id);
	if (got != want)
		tap_fail(tc, "%s: backend %u has %llu active flows, expected %llu", what, id,
			 (unsigned long long)got, (unsigned long long)want);
}

static void sc_active(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct vipcfg vu = { .fam = 4,
				   .proto = UDP,
				   .port = 53,
				   .encap = XLB_ENCAP_IPIP,
				   .udp_idle_ns = 100000000ULL };
	const struct vipcfg vmove = { .fam = 4,
				      .encap = XLB_ENCAP_IPIP,
				      .flags = XLB_VIP_F_RESELECT_OPEN };
	struct pspec syn = { .client = 50, .flags = TCP_SYN };
	struct pspec ack = { .client = 50 };
	struct pspec fin = { .client = 50, .flags = TCP_FIN | TCP_ACK };
	struct pspec rst = { .client = 51, .flags = TCP_RST };
	struct pspec fin2 = { .client = 52, .flags = TCP_FIN | TCP_ACK };
	struct tcase tc;

	tap_begin(&tc, "active flows: a tcp flow counts once from its syn to its fin");
	if (env_std(e, &v) == 0) {
		active_after(e, &tc, "syn", &syn, 1, 1, 1);
		active_after(e, &tc, "the same syn again (retransmission)", &syn, 1, 1, 1);
		active_after(e, &tc, "3 acks", &ack, 3, 1, 1);
		active_after(e, &tc, "fin", &fin, 1, 1, 0);
		active_after(e, &tc, "ack and fin after the fin", &fin, 2, 1, 0);
		active_after(e, &tc, "a new connection on the same tuple", &syn, 1, 1, 1);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "active flows: rst and fin without a usable entry make no flow");
	if (env_std(e, &v) == 0) {
		active_after(e, &tc, "rst without entry", &rst, 1, 1, 0);
		expect_flow(e, &tc, "rst", &rst, 0);
		active_after(e, &tc, "fin without entry", &fin2, 1, 1, 0);
		expect_flow(e, &tc, "fin", &fin2, 0);
		/* an entry whose backend slot got a new owner: the fin is re-selected */
		active_after(e, &tc, "syn", &syn, 1, 1, 1);
		e->be[1].gen++;
		env_backend(e, 1, &e->be[1]);
		maps_be_active_reset(e->m, 1); /* what lbd does for a new owner */
		active_after(e, &tc, "rst on the re-selection path",
			     &(struct pspec){ .client = 50, .flags = TCP_RST }, 1, 1, 0);
		active_after(e, &tc, "fin on the re-selection path", &fin, 1, 1, 0);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	/* flood_rate 1: the first flow takes the second's budget; the rest are refused
	 * state. Refusals after an expiry must not subtract again and again. */
	tap_begin(
		&tc,
		"active flows: a udp entry expired, then refused by the flood guard, counts once");
	if (env_std(e, &vu) == 0) {
		struct pspec u = { .client = 60 };

		e->cfg.flood_rate = 1;
		maps_config_set(e->m, &e->cfg);
		active_after(e, &tc, "first packet", &u, 1, 1, 1);
		sleep_ms(150); /* past the 100 ms idle time, within the flood second */
		active_after(e, &tc, "5 packets after the idle time", &u, 5, 1, 1);
		for (int i = 0; i < 5; i++) {
			struct pspec other = { .client = (uint8_t)(61 + i) };

			active_after(e, &tc, "a refused new flow", &other, 1, 1, 1);
		}
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);

	tap_begin(&tc, "active flows: a flow moved off an open backend moves its count once");
	if (env_std(e, &vmove) == 0) {
		struct pspec a = { .client = 70 };

		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 1);
		brk_clear(e);
		active_after(e, &tc, "new flow on backend 1", &a, 1, 1, 1);
		env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, 2);
		brk_set(e, 1, XLB_BRK_OPEN, 0);
		active_after(e, &tc, "moved: backend 1", &a, 3, 1, 0);
		if (active_of(e, 2) != 1)
			tap_fail(&tc, "moved: backend 2 has %llu active flows, expected 1",
				 (unsigned long long)active_of(e, 2));
		brk_clear(e);
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

/* Generated ICMP is rate-limited per CPU (RFC 4443 2.4(f)), and a too-big packet
 * is answered (or refused) before the flow stage: no flow entry, no new-flow
 * count, nothing spent. */
static void sc_icmp_rate(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	struct snap s0, s1;
	struct tcase tc;
	int tx = 0, drop = 0, entries = 0;

	tap_begin(&tc, "too-big answers: burst 5 then refused (icmp_rate_limited), no flow state");
	if (env_std(e, &v) == 0 && snap_take(e, &s0) == 0) {
		e->cfg.icmp_rate = 1; /* one more per second: none within this test */
		e->cfg.icmp_burst = 5;
		maps_config_set(e->m, &e->cfg);
		for (int c = 0; c < 20; c++) {
			struct pspec big = { .client = (uint8_t)(120 + c), .len = 1441 };
			__u32 verdict = send_pkt(e, &big);

			tx += verdict == XDP_TX;
			drop += verdict == XDP_DROP;
			entries += flow_be(e, &big) != 0;
		}
		snap_take(e, &s1);
		if (tx != 5 || drop != 15)
			tap_fail(&tc, "20 oversized packets: %d answered, %d dropped (want 5, 15)",
				 tx, drop);
		if (cnt_delta(&s0, &s1, XLB_CNT_TOO_BIG_SENT) != 5 ||
		    s1.drops[XLB_DROP_ICMP_RATE] - s0.drops[XLB_DROP_ICMP_RATE] != 15)
			tap_fail(&tc, "counters: too_big_sent +%llu, icmp_rate_limited +%llu",
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_TOO_BIG_SENT),
				 (unsigned long long)(s1.drops[XLB_DROP_ICMP_RATE] -
						      s0.drops[XLB_DROP_ICMP_RATE]));
		if (entries || cnt_delta(&s0, &s1, XLB_CNT_FLOW_MISS) ||
		    cnt_delta(&s0, &s1, XLB_CNT_SYN) || active_of(e, 1))
			tap_fail(&tc,
				 "flow state touched: %d entries, flow_miss +%llu, active %llu",
				 entries,
				 (unsigned long long)cnt_delta(&s0, &s1, XLB_CNT_FLOW_MISS),
				 (unsigned long long)active_of(e, 1));
		/* packets that fit are not limited */
		if (send_pkt(e, &(struct pspec){ .client = 119, .len = 100 }) != XDP_TX)
			tap_fail(&tc, "a packet that fits was not forwarded");
	} else {
		tap_fail(&tc, "map setup failed");
	}
	tap_end(&tc);
}

void suite_scenarios(struct env *e)
{
	sc_sticky(e);
	sc_syn_reselect(e);
	sc_rst(e);
	sc_udp_expiry(e);
	sc_flood(e);
	sc_frags(e, 4, XLB_ENCAP_GUE, 4);
	sc_frags(e, 4, XLB_ENCAP_IPIP, 6);
	sc_frags(e, 6, XLB_ENCAP_IPIP, 6);
	sc_frags(e, 6, XLB_ENCAP_GUE, 4);
	sc_frags(e, 4, XLB_ENCAP_L2, 4);
	sc_frag6_ext_after(e);
	sc_frag_mode(e);
	sc_redirect(e);
	sc_stats(e);
	sc_gen(e);
	sc_maps_api(e);
	sc_breaker(e);
	sc_syn_retx(e);
	sc_active(e);
	sc_ring_resize(e);
	sc_icmp_rate(e);
	sc_pins();
}
