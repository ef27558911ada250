// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The order in which sync.c writes the maps, against a recording fake of the map
 * layer (this file defines the maps_* functions sync.c calls, so the real maps.c
 * is not linked). After every single write the fake checks that the dataplane
 * could not act on a half state:
 *   - every VIP entry whose table exists names a table of its own ring size;
 *   - every backend named by a table a VIP entry uses is active;
 *   - every active backend's egress port is in xlb_tx_ports.
 * Then scenarios change ring sizes, backends, next hops and VIPs. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agent/model/config.h"
#include "agent/dataplane/sync.h"
#include "common/grammar.h"

#define NVIP 8
#define RING_MAX 131

static struct fake {
	struct {
		bool used;
		struct xlb_vip_key k;
		struct xlb_vip_val v;
	} vip[NVIP];
	struct xlb_backend be[XLB_MAX_BACKENDS];
	struct {
		uint32_t size; /* 0: no table */
		uint64_t sig;
		uint32_t slots[RING_MAX];
	} ring[XLB_MAX_VIPS * 2];
	uint32_t tx[XLB_TX_PORTS_MAX];
	int ntx;
	struct xlb_lc_set lc[XLB_MAX_VIPS];
	int writes;
	int ring_sets; /* tables built */
	int refills;   /* ... of them rewritten in place (maps_ring_refill) */
	int violations;
	char why[256];
} F;

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (F.violations++)
		return;
	va_start(ap, fmt);
	vsnprintf(F.why, sizeof(F.why), fmt, ap);
	va_end(ap);
}

static bool tx_has(uint32_t ifindex)
{
	for (int i = 0; i < F.ntx; i++)
		if (F.tx[i] == ifindex)
			return true;
	return false;
}

/* What the dataplane could see right now */
static void check(const char *after)
{
	F.writes++;
	for (int i = 0; i < NVIP; i++) {
		const struct xlb_vip_val *v = &F.vip[i].v;
		uint32_t key;

		if (!F.vip[i].used)
			continue;
		key = XLB_RING_KEY(v->vip_id, v->ring_bank);
		if (!F.ring[key].size)
			continue; /* no table: new flows drop as no_ring, a whole state */
		if (F.ring[key].size != v->ring_size)
			violation("after %s (write %d): vip %u names a table of %u slots, size %u",
				  after, F.writes, v->vip_id, F.ring[key].size, v->ring_size);
		for (uint32_t s = 0; s < F.ring[key].size; s++)
			if (!(F.be[F.ring[key].slots[s]].flags & XLB_BE_F_ACTIVE))
				violation(
					"after %s (write %d): vip %u's table names freed backend %u",
					after, F.writes, v->vip_id, F.ring[key].slots[s]);
	}
	for (uint32_t id = 1; id < XLB_MAX_BACKENDS; id++)
		if ((F.be[id].flags & XLB_BE_F_ACTIVE) && F.be[id].ifindex &&
		    !tx_has(F.be[id].ifindex))
			violation(
				"after %s (write %d): backend %u is live on ifindex %u without its "
				"transmit port",
				after, F.writes, id, F.be[id].ifindex);
}

/* ---- the fake map layer ---- */

__u32 maps_be_max(const struct xlb_maps *m)
{
	(void)m;
	return XLB_MAX_BACKENDS - 1; /* slots 1.. of F.be */
}

int maps_backend_get(struct xlb_maps *m, __u32 id, struct xlb_backend *be)
{
	(void)m;
	if (id >= XLB_MAX_BACKENDS)
		return -ENOENT;
	*be = F.be[id];
	return 0;
}

int maps_backend_set(struct xlb_maps *m, __u32 id, const struct xlb_backend *be)
{
	(void)m;
	F.be[id] = *be;
	check("backend_set");
	return 0;
}

int maps_be_active_reset(struct xlb_maps *m, __u32 id)
{
	(void)m;
	(void)id;
	return 0;
}

int maps_be_pasv_reset(struct xlb_maps *m, __u32 id)
{
	(void)m;
	(void)id;
	return 0;
}

int maps_be_stats_reset(struct xlb_maps *m, __u32 id)
{
	(void)m;
	(void)id;
	return 0;
}

int maps_vip_stats_reset(struct xlb_maps *m, __u32 vip_id)
{
	(void)m;
	(void)vip_id;
	return 0;
}

int maps_be_brk_set(struct xlb_maps *m, __u32 id, const struct xlb_be_brk *b)
{
	(void)m;
	(void)id;
	(void)b;
	return 0;
}

int maps_config_get(struct xlb_maps *m, struct xlb_config *c)
{
	(void)m;
	memset(c, 0, sizeof(*c));
	return 0;
}

int maps_config_set(struct xlb_maps *m, const struct xlb_config *c)
{
	(void)m;
	(void)c;
	return 0;
}

int maps_lc_set(struct xlb_maps *m, __u32 vip_id, const struct xlb_lc_set *set)
{
	(void)m;
	F.lc[vip_id] = *set;
	check("lc_set");
	return 0;
}

int maps_ring_refill(struct xlb_maps *m, __u32 vip_id, __u32 bank, const __u32 *slots, __u32 size)
{
	__u32 key = XLB_RING_KEY(vip_id, bank);

	(void)m;
	if (!F.ring[key].size)
		return -ENOENT;
	if (F.ring[key].size != size)
		return -EINVAL;
	/* the bank must be idle: the VIP entry names the other one */
	for (int i = 0; i < NVIP; i++)
		if (F.vip[i].used && F.vip[i].v.vip_id == vip_id && F.vip[i].v.ring_bank == bank)
			violation("vip %u's table in use rewritten in place", vip_id);
	memcpy(F.ring[key].slots, slots, size * sizeof(*slots));
	F.ring_sets++;
	F.refills++;
	check("ring_refill");
	return 0;
}

/* tables built and not installed, by fake fd */
static struct {
	uint32_t size;
	uint32_t slots[RING_MAX];
} built[64];
static int nbuilt;

int maps_ring_new(struct xlb_maps *m, const __u32 *slots, __u32 size)
{
	(void)m;
	assert_true(size <= RING_MAX && nbuilt < 64);
	built[nbuilt].size = size;
	memcpy(built[nbuilt].slots, slots, size * sizeof(*slots));
	return 1000 + nbuilt++; /* sync closes it: close() of an unused number fails harmlessly */
}

/* one update: every table of the batch becomes visible at once */
int maps_ring_install(struct xlb_maps *m, const __u32 *vip_ids, const __u32 *banks, const int *fds,
		      __u32 n)
{
	(void)m;
	for (__u32 i = 0; i < n; i++) {
		__u32 key = XLB_RING_KEY(vip_ids[i], banks[i]);
		int b = fds[i] - 1000;

		F.ring[key].size = built[b].size;
		memcpy(F.ring[key].slots, built[b].slots, built[b].size * sizeof(__u32));
		F.ring_sets++;
	}
	nbuilt = 0;
	check("ring_install");
	return 0;
}

int maps_ring_sig_set(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 sig)
{
	(void)m;
	F.ring[XLB_RING_KEY(vip_id, bank)].sig = sig;
	return 0;
}

int maps_ring_sig_get(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 *sig)
{
	(void)m;
	*sig = F.ring[XLB_RING_KEY(vip_id, bank)].sig;
	return 0;
}

int maps_ring_delete(struct xlb_maps *m, __u32 vip_id)
{
	(void)m;
	F.ring[XLB_RING_KEY(vip_id, 0)].size = 0;
	F.ring[XLB_RING_KEY(vip_id, 1)].size = 0;
	F.ring[XLB_RING_KEY(vip_id, 0)].sig = 0;
	F.ring[XLB_RING_KEY(vip_id, 1)].sig = 0;
	check("ring_delete");
	return 0;
}

int maps_tx_port_add(struct xlb_maps *m, __u32 ifindex)
{
	(void)m;
	if (!tx_has(ifindex))
		F.tx[F.ntx++] = ifindex;
	check("tx_port_add");
	return 0;
}

int maps_tx_port_del(struct xlb_maps *m, __u32 ifindex)
{
	(void)m;
	for (int i = 0; i < F.ntx; i++)
		if (F.tx[i] == ifindex) {
			F.tx[i] = F.tx[--F.ntx];
			check("tx_port_del");
			return 0;
		}
	return -ENOENT;
}

int maps_vip_addr_foreach(struct xlb_maps *m,
			  int (*cb)(void *arg, const struct xlb_addr *a, __u32 count), void *arg)
{
	(void)m;
	(void)cb;
	(void)arg;
	return 0;
}

int maps_vip_addr_set(struct xlb_maps *m, const struct xlb_addr *addr, __u32 count)
{
	(void)m;
	(void)addr;
	(void)count;
	return 0;
}

static int vip_find(const struct xlb_vip_key *k)
{
	for (int i = 0; i < NVIP; i++)
		if (F.vip[i].used && !memcmp(&F.vip[i].k, k, sizeof(*k)))
			return i;
	return -1;
}

int maps_vip_lookup(struct xlb_maps *m, const struct xlb_vip_key *k, struct xlb_vip_val *v)
{
	int i = vip_find(k);

	(void)m;
	if (i < 0)
		return -ENOENT;
	*v = F.vip[i].v;
	return 0;
}

int maps_vip_update(struct xlb_maps *m, const struct xlb_vip_key *k, const struct xlb_vip_val *v)
{
	int i = vip_find(k);

	(void)m;
	for (int j = 0; i < 0 && j < NVIP; j++)
		if (!F.vip[j].used)
			i = j;
	assert_true(i >= 0);
	F.vip[i].used = true;
	F.vip[i].k = *k;
	F.vip[i].v = *v;
	check("vip_update");
	return 0;
}

int maps_vip_delete(struct xlb_maps *m, const struct xlb_vip_key *k)
{
	int i = vip_find(k);

	(void)m;
	if (i < 0)
		return -ENOENT;
	F.vip[i].used = false;
	check("vip_delete");
	return 0;
}

int maps_vip_foreach(struct xlb_maps *m,
		     int (*cb)(void *arg, const struct xlb_vip_key *k, const struct xlb_vip_val *v),
		     void *arg)
{
	(void)m;
	for (int i = 0; i < NVIP; i++)
		if (F.vip[i].used && cb(arg, &F.vip[i].k, &F.vip[i].v))
			break;
	return 0;
}

/* ---- the world: backends resolve to an ifindex chosen per address ---- */

static uint32_t ifindex_of[256];
static int resolutions;

static int resolve(void *arg, const struct xlb_addr *dst, uint32_t *ifindex, uint8_t dmac[6],
		   uint8_t smac[6], struct xlb_addr *via)
{
	*via = *dst;
	resolutions++;
	uint8_t last = ((const uint8_t *)dst->addr)[3];

	(void)arg;
	*ifindex = ifindex_of[last] ? ifindex_of[last] : 10;
	memset(dmac, last, 6);
	memset(smac, 0x5e, 6);
	return 0;
}

static void load(struct config *c, const char *text)
{
	char err[256];

	config_free(c);
	config_init(c);
	if (config_load_text(c, text, err, sizeof(err)))
		fail_msg("config: %s", err);
}

static void apply(struct sync *s, struct config *c, const char *what)
{
	int err = sync_apply(s, c);

	if (err)
		fail_msg("%s: sync_apply: %s", what, strerror(-err));
	if (F.violations)
		fail_msg("%s: %d half states; first: %s", what, F.violations, F.why);
}

#define VIP "vip add 192.0.2.10:80/tcp ring-size %s\n"
#define BE(n) "backend add 192.0.2.10:80/tcp 198.51.100." #n "\n"

static void test_ring_size_changes(void **state)
{
	struct config c;
	struct sync *s;
	char text[512];

	(void)state;
	memset(&F, 0, sizeof(F));
	config_init(&c);
	s = sync_new(NULL, resolve, NULL);
	assert_non_null(s);
	for (int round = 0; round < 6; round++) {
		snprintf(text, sizeof(text), VIP BE(1) BE(2) BE(3), round & 1 ? "7" : "13");
		load(&c, text);
		apply(s, &c, round & 1 ? "13 -> 7" : "7 -> 13");
	}
	/* the last table in use has the last size */
	for (int i = 0; i < NVIP; i++)
		if (F.vip[i].used)
			assert_int_equal(F.vip[i].v.ring_size, 7);
	sync_free(s);
	config_free(&c);
}

static void test_backends_and_ports(void **state)
{
	struct config c;
	struct sync *s;
	char text[512];

	(void)state;
	memset(&F, 0, sizeof(F));
	memset(ifindex_of, 0, sizeof(ifindex_of));
	config_init(&c);
	s = sync_new(NULL, resolve, NULL);
	assert_non_null(s);
	snprintf(text, sizeof(text), VIP BE(1) BE(2), "13");
	load(&c, text);
	apply(s, &c, "two backends");
	/* a change costs what it changes: nothing changed, nothing resolved */
	resolutions = 0;
	apply(s, &c, "the same config again");
	assert_int_equal(resolutions, 0);
	/* backend 2 moves to another interface (a route event): its port must be
	 * there first; only the next hops the event concerns are resolved again */
	ifindex_of[2] = 20;
	assert_true(sync_nh_invalidate(s, &(struct xlb_addr){ .family = XLB_FAMILY_V4,
							      .addr = { htonl(0xc6336402) } }));
	apply(s, &c, "next hop moves to ifindex 20");
	assert_int_equal(resolutions, 1);
	assert_true(tx_has(20));
	/* backend 1 leaves; then backend 2's old port is unused and goes */
	snprintf(text, sizeof(text), VIP BE(2) BE(3), "13");
	load(&c, text);
	ifindex_of[3] = 30;
	apply(s, &c, "backend 1 out, backend 3 in on ifindex 30");
	assert_true(tx_has(20) && tx_has(30));
	snprintf(text, sizeof(text), VIP BE(3), "13");
	load(&c, text);
	apply(s, &c, "backend 2 out");
	assert_false(tx_has(20));
	/* the VIP goes away and comes back with another size */
	load(&c, "");
	apply(s, &c, "vip deleted");
	snprintf(text, sizeof(text), VIP BE(3) BE(4), "11");
	load(&c, text);
	apply(s, &c, "vip back with ring-size 11");
	sync_free(s);
	config_free(&c);
}

/* An lc VIP whose backends are all drained takes no new flow, like a Maglev VIP
 * without a table: no lc candidate, no ring */
static void test_lc_all_drained(void **state)
{
	struct config c;
	struct sync *s;
	char err[256];
	const char *drain[] = { "backend", "drain", "192.0.2.10:80/tcp", NULL, NULL };
	struct gr_cmd cmd;
	uint32_t vip_id = 0;

	(void)state;
	memset(&F, 0, sizeof(F));
	config_init(&c);
	s = sync_new(NULL, resolve, NULL);
	assert_non_null(s);
	load(&c, "vip add 192.0.2.10:80/tcp sched lc ring-size 13\n" BE(1) BE(2));
	apply(s, &c, "lc vip");
	for (int i = 0; i < NVIP; i++)
		if (F.vip[i].used)
			vip_id = F.vip[i].v.vip_id;
	assert_int_equal(F.lc[vip_id].n, 2);
	for (int b = 1; b <= 2; b++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "198.51.100.%d", b);
		drain[3] = addr;
		assert_int_equal(grammar_parse(4, (char **)drain, &cmd, err, sizeof(err)), 0);
		assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), 0);
	}
	apply(s, &c, "both drained");
	assert_int_equal(F.lc[vip_id].n, 0);
	assert_int_equal(
		F.ring[XLB_RING_KEY(vip_id, 0)].size + F.ring[XLB_RING_KEY(vip_id, 1)].size, 0);
	sync_free(s);
	config_free(&c);
}

/* A restart with pins: a new sync recovers ids, banks and table digests from the
 * maps; applying the same config then rebuilds no table and resolves nothing
 * twice, and the tables stay those in use */
static void test_restart_keeps_tables(void **state)
{
	struct config c, c2;
	struct sync *s, *s2;
	char text[512];

	(void)state;
	memset(&F, 0, sizeof(F));
	config_init(&c);
	config_init(&c2);
	s = sync_new(NULL, resolve, NULL);
	assert_non_null(s);
	snprintf(text, sizeof(text), VIP BE(1) BE(2) BE(3), "13");
	load(&c, text);
	apply(s, &c, "first start");
	sync_free(s);

	load(&c2, text);
	s2 = sync_new(NULL, resolve, NULL);
	assert_non_null(s2);
	assert_int_equal(sync_recover(s2, &c2), 0);
	apply(s2, &c2, "after the restart"); /* every write checked by the fake */
	assert_int_equal(F.ring_sets, 1);    /* the one table of the first start */
	/* a real change after the restart still rebuilds */
	snprintf(text, sizeof(text), VIP BE(1) BE(2), "13");
	load(&c2, text);
	apply(s2, &c2, "a backend less");
	assert_int_equal(F.ring_sets, 2);
	sync_free(s2);
	config_free(&c);
	config_free(&c2);
}

/* A change rewrites the VIP's idle table in place once a grace period has
 * passed since the VIP stopped naming it (the grace thread), not a second
 * later (the fallback), and never the table in use */
static void test_idle_bank_after_grace(void **state)
{
	struct config c;
	struct sync *s;
	char text[512];

	(void)state;
	memset(&F, 0, sizeof(F));
	config_init(&c);
	s = sync_new(NULL, resolve, NULL);
	assert_non_null(s);
	snprintf(text, sizeof(text), VIP BE(1) BE(2) BE(3), "13");
	load(&c, text);
	apply(s, &c, "first");
	snprintf(text, sizeof(text),
		 VIP BE(1) BE(2) BE(3) "backend set 192.0.2.10:80/tcp 198.51.100.1 weight 7\n",
		 "13");
	load(&c, text);
	assert_int_equal(sync_recover(s, &c), 0);
	apply(s, &c, "second: the other bank has no table yet");
	assert_int_equal(F.ring_sets, 2);
	assert_int_equal(F.refills, 0);
	for (int w = 8; w < 12; w++) {
		snprintf(text, sizeof(text),
			 VIP BE(1) BE(2)
				 BE(3) "backend set 192.0.2.10:80/tcp 198.51.100.1 weight %d\n",
			 "13", w);
		load(&c, text);
		assert_int_equal(sync_recover(s, &c), 0); /* ids carried over, as lbd's copies do */
		sync_settle(s);
		apply(s, &c, "a change after a grace period");
	}
	assert_int_equal(F.ring_sets, 6);
	assert_int_equal(F.refills, 4); /* no new table: the idle one rewritten */
	sync_free(s);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_size_changes),
		cmocka_unit_test(test_backends_and_ports),
		cmocka_unit_test(test_lc_all_drained),
		cmocka_unit_test(test_restart_keeps_tables),
		cmocka_unit_test(test_idle_bank_after_grace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
