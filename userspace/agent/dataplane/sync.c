// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sync: reconcile the maps with a config. Phases, in this order (STYLE 37):
 *   A. delete VIP entries that are no longer configured (no new packets match)
 *   B. give new VIPs an id and new backends a slot; write backend entries,
 *      then breaker states (xlb_be_brk) that changed
 *      (a backend's egress port goes into xlb_tx_ports before its entry names it)
 *   C. rebuild the Maglev table of every VIP whose inputs changed, into the
 *      VIP's idle bank (the dataplane still reads the other one)
 *   D. write VIP entries: a new VIP becomes visible only now, and a VIP whose
 *      table was rebuilt flips to its new bank and size in one update
 *   E. VIP address refcounts, the port-0 flag
 *   F. drop the rings of deleted VIPs, deactivate unused backend slots, remove
 *      egress ports no backend uses
 * A new owner of a VIP id or backend slot starts with zeroed counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/digest.h"
#include "agent/dataplane/grace.h"
#include "agent/dataplane/maglev.h"
#include "agent/dataplane/sched.h"
#include "agent/dataplane/sync.h"
#include "common/log.h"
#include "common/parse.h"

/* How long a backend keeps its last known next hop while the neighbour is being
 * resolved again, before it leaves the tables */
#define SYNC_NH_GRACE_MS 10000

/* A next hop as the resolver gave it, reused until a route or neighbour event */
struct sync_nh {
	uint32_t ifindex;
	uint8_t dmac[6], smac[6];
	struct xlb_addr via; /* the neighbour whose MAC dmac is */
	bool valid;
};

struct sync_vip_cache {
	struct xlb_vip_key key;
	struct xlb_vip_val val;
	bool known; /* the map holds val under key */
};

struct sync_addr_cache {
	struct xlb_addr addr;
	uint32_t count;
};

/* A bank not named by its VIP entry has no reader left once an RCU grace
 * period has ended (grace.h): it may then be rewritten in place. Without the
 * grace thread, after this long (a grace period is milliseconds). */
#define SYNC_REFILL_IDLE_MS 1000

/* Tables built in phase C and not installed yet (open fds: bounded) */
#define SYNC_PEND_MAX 256

struct sync_pend {
	uint32_t vip_id, bank;
	uint64_t sig;
	int fd;
};

struct sync_brk_mirror {
	uint32_t state;
	uint32_t gen;
	bool known; /* false: rewrite on the next apply */
};

struct sync {
	struct xlb_maps *m;
	sync_resolve_fn resolve;
	void *arg;
	struct xlb_backend *slot;	       /* mirror of xlb_backends */
	bool *slot_ready;		       /* resolved and eligible for the ring */
	uint64_t ring_sig[XLB_MAX_VIPS];       /* inputs of the installed table, 0 = none */
	uint8_t ring_live[XLB_MAX_VIPS];       /* the bank the VIP entry in the map names */
	uint8_t ring_bank[XLB_MAX_VIPS];       /* the bank of the newest table (phase D names it) */
	uint64_t ring_idle_ms[XLB_MAX_VIPS];   /* when the live bank's other went idle */
	uint64_t ring_idle_mark[XLB_MAX_VIPS]; /* ... as a grace mark (0: none taken) */
	struct grace *grace;		       /* NULL: SYNC_REFILL_IDLE_MS */
	uint64_t grace_last;		       /* the newest mark taken */
	bool vip_in_map[XLB_MAX_VIPS];
	uint32_t tx_ports[XLB_TX_PORTS_MAX]; /* ifindexes in xlb_tx_ports */
	size_t ntx;
	uint64_t *nh_lost_ms; /* per slot: when its next hop stopped resolving, 0 = resolved */
	struct sync_pend pend[SYNC_PEND_MAX];
	size_t npend;
	/* What the maps hold, so a change costs what it changes (not the whole config) */
	struct sync_nh *nh;	       /* per slot: the resolver's last answer */
	struct sync_vip_cache *vipc;   /* per vip_id: the VIP entry in the map */
	bool vips_known;	       /* every VIP entry in the map is in vipc */
	struct sync_addr_cache *addrc; /* VIP addresses and counts in xlb_vip_addrs */
	size_t naddr;
	bool addrs_known;	   /* addrc is all of xlb_vip_addrs */
	uint32_t *table;	   /* Maglev scratch, XLB_MAGLEV_M_MAX entries */
	struct maglev_backend *mb; /* scratch, nslots entries */
	uint32_t nslots;	   /* backend slots in the maps: --max-backends + 1 */
	uint32_t slot_hint;	   /* where alloc_slot looks first */
	bool pending;
	uint64_t last_build_ns;
	sync_usable_fn usable;
	void *usable_arg;
	sync_brk_fn brk;
	void *brk_arg;
	struct sync_brk_mirror *brk_mirror; /* what xlb_be_brk holds, per slot */
};

void sync_set_usable(struct sync *s, sync_usable_fn fn, void *arg)
{
	s->usable = fn;
	s->usable_arg = arg;
}

void sync_set_breaker(struct sync *s, sync_brk_fn fn, void *arg)
{
	s->brk = fn;
	s->brk_arg = arg;
}

uint64_t sync_last_build_ns(const struct sync *s)
{
	return s ? s->last_build_ns : 0;
}

struct sync *sync_new(struct xlb_maps *m, sync_resolve_fn resolve, void *arg)
{
	struct sync *s = calloc(1, sizeof(*s));
	uint32_t i;
	int err;

	if (!s)
		return NULL;
	s->m = m;
	s->resolve = resolve;
	s->arg = arg;
	s->nslots = XLB_BE_SLOTS(maps_be_max(m));
	s->slot = calloc(s->nslots, sizeof(*s->slot));
	s->slot_ready = calloc(s->nslots, sizeof(*s->slot_ready));
	s->table = calloc(XLB_MAGLEV_M_MAX, sizeof(*s->table));
	s->mb = calloc(s->nslots, sizeof(*s->mb));
	s->brk_mirror = calloc(s->nslots, sizeof(*s->brk_mirror));
	s->nh_lost_ms = calloc(s->nslots, sizeof(*s->nh_lost_ms));
	s->nh = calloc(s->nslots, sizeof(*s->nh));
	s->vipc = calloc(XLB_MAX_VIPS, sizeof(*s->vipc));
	s->addrc = calloc(XLB_MAX_VIPS, sizeof(*s->addrc));
	s->grace = grace_new(); /* NULL: tables idle for SYNC_REFILL_IDLE_MS are reused */
	if (!s->slot || !s->slot_ready || !s->table || !s->mb || !s->brk_mirror || !s->nh_lost_ms ||
	    !s->nh || !s->vipc || !s->addrc) {
		errno = ENOMEM;
		goto out_free;
	}
	for (i = 0; i < s->nslots; i++) {
		err = maps_backend_get(m, i, &s->slot[i]);
		if (err) {
			errno = -err;
			goto out_free;
		}
	}
	return s;

out_free:
	sync_free(s);
	return NULL;
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s->slot_ready);
	free(s->table);
	free(s->mb);
	free(s->brk_mirror);
	free(s->nh_lost_ms);
	free(s->nh);
	free(s->vipc);
	free(s->addrc);
	grace_free(s->grace);
	free(s);
}

bool sync_pending(const struct sync *s)
{
	return s->pending;
}

const struct xlb_backend *sync_slot_entry(const struct sync *s, uint32_t slot)
{
	return slot < s->nslots ? &s->slot[slot] : NULL;
}

bool sync_slot_ready(const struct sync *s, uint32_t slot)
{
	return slot < s->nslots && s->slot_ready[slot];
}

static bool slot_addr_eq(const struct xlb_backend *b, const struct xlb_addr *a)
{
	return b->family == a->family && !memcmp(b->addr, a->addr, sizeof(b->addr));
}

bool sync_nh_invalidate(struct sync *s, const struct xlb_addr *addr)
{
	bool any = false;
	uint32_t slot;

	for (slot = 1; slot < s->nslots; slot++) {
		struct sync_nh *nh = &s->nh[slot];

		if (!nh->valid || !(s->slot[slot].flags & XLB_BE_F_ACTIVE))
			continue;
		if (addr &&
		    !(nh->via.family == addr->family &&
		      !memcmp(nh->via.addr, addr->addr, sizeof(addr->addr))) &&
		    !slot_addr_eq(&s->slot[slot], addr))
			continue;
		nh->valid = false;
		any = true;
	}
	return any || s->pending;
}

/* A grace mark (grace.h), 0 without the grace thread */
static uint64_t take_mark(struct sync *s)
{
	if (!s->grace)
		return 0;
	s->grace_last = grace_mark(s->grace);
	return s->grace_last;
}

void sync_settle(struct sync *s)
{
	if (s->grace && s->grace_last)
		grace_wait(s->grace, s->grace_last);
}

struct recover_ctx {
	struct sync *s;
	struct config *cfg;
	uint64_t mark; /* a grace mark taken before reading the VIP entries */
};

static int recover_vip(void *arg, const struct xlb_vip_key *k, const struct xlb_vip_val *v)
{
	struct recover_ctx *c = arg;
	struct cfg_vip *cv = config_vip(c->cfg, k);

	if (v->vip_id < XLB_MAX_VIPS) {
		c->s->ring_live[v->vip_id] = c->s->ring_bank[v->vip_id] = v->ring_bank & 1;
		/* the lbd before may have flipped it a moment ago: its other bank
		 * counts as idle from now on */
		c->s->ring_idle_ms[v->vip_id] = mono_ms();
		c->s->ring_idle_mark[v->vip_id] = c->mark;
	}
	/* the digest of the table in use: the same inputs after the restart rebuild
	 * nothing (a missing digest reads 0: rebuilt) */
	if (v->vip_id < XLB_MAX_VIPS) {
		__u64 sig = 0;

		maps_ring_sig_get(c->s->m, v->vip_id, v->ring_bank & 1, &sig);
		c->s->ring_sig[v->vip_id] = sig;
	}
	if (cv && v->vip_id < XLB_MAX_VIPS)
		cv->vip_id = v->vip_id;
	return 0;
}

/* The backend slots in use, ordered by (VIP, address), so that a restart finds
 * each configured backend's slot in log time (100,000 backends would otherwise
 * take 10^10 comparisons) */
struct recover_slot {
	uint32_t vip_id, slot;
	uint8_t family;
	uint8_t addr[16];
};

static int recover_slot_cmp(const void *a, const void *b)
{
	const struct recover_slot *x = a, *y = b;

	if (x->vip_id != y->vip_id)
		return x->vip_id < y->vip_id ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* ... and among equal ones (never in a sane map) by slot */
static int recover_slot_sort(const void *a, const void *b)
{
	const struct recover_slot *x = a, *y = b;
	int r = recover_slot_cmp(a, b);

	return r ? r : (x->slot > y->slot) - (x->slot < y->slot);
}

int sync_recover(struct sync *s, struct config *cfg)
{
	struct recover_ctx rc = { .s = s, .cfg = cfg, .mark = take_mark(s) };
	struct recover_slot *idx, want, *hit;
	size_t i, j, n = 0;
	uint32_t slot;
	int err;

	err = maps_vip_foreach(s->m, recover_vip, &rc);
	if (err)
		return err;
	idx = calloc(s->nslots, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (slot = 1; slot < s->nslots; slot++) {
		const struct xlb_backend *b = &s->slot[slot];

		if (!(b->flags & XLB_BE_F_ACTIVE))
			continue;
		idx[n] = (struct recover_slot){ .vip_id = b->vip_id,
						.slot = slot,
						.family = b->family };
		memcpy(idx[n].addr, b->addr, sizeof(idx[n].addr));
		n++;
	}
	qsort(idx, n, sizeof(*idx), recover_slot_sort);
	for (i = 0; i < cfg->nvip; i++) {
		struct cfg_vip *v = &cfg->vip[i];

		v->dirty = true; /* same inputs give the same table: a harmless swap */
		if (v->vip_id == UINT32_MAX)
			continue;
		for (j = 0; j < v->nbe; j++) {
			want = (struct recover_slot){ .vip_id = v->vip_id,
						      .family = v->be[j].addr.family };
			memcpy(want.addr, v->be[j].addr.addr, sizeof(want.addr));
			/* the lowest slot of equal ones, as the scan it replaces found */
			hit = bsearch(&want, idx, n, sizeof(*idx), recover_slot_cmp);
			while (hit && hit > idx && !recover_slot_cmp(hit - 1, &want))
				hit--;
			if (hit)
				v->be[j].slot = hit->slot;
		}
	}
	free(idx);
	return 0;
}

/* Phase A: VIP entries in the maps that the config no longer has */
struct stale_ctx {
	struct sync *s;
	struct config *cfg;
	struct xlb_vip_key keys[64];
	uint32_t ids[64];
	int n;
};

static int collect_stale(void *arg, const struct xlb_vip_key *k, const struct xlb_vip_val *v)
{
	struct stale_ctx *c = arg;

	if (v->vip_id < XLB_MAX_VIPS)
		c->s->vip_in_map[v->vip_id] = true;
	if (config_vip(c->cfg, k))
		return 0;
	c->ids[c->n] = v->vip_id;
	c->keys[c->n++] = *k;
	return c->n == (int)(sizeof(c->keys) / sizeof(c->keys[0])) ? 1 : 0;
}

static bool vip_id_used(const struct config *cfg, uint32_t id)
{
	size_t i;

	for (i = 0; i < cfg->nvip; i++)
		if (cfg->vip[i].vip_id == id)
			return true;
	return false;
}

/* Phase A, once the cache knows every VIP entry: the ones the config lost */
static int delete_stale_cached(struct sync *s, struct config *cfg)
{
	uint32_t id;
	int err;

	for (id = 0; id < XLB_MAX_VIPS; id++) {
		struct sync_vip_cache *c = &s->vipc[id];

		if (!c->known)
			continue;
		if (config_vip(cfg, &c->key)) {
			s->vip_in_map[id] = true;
			continue;
		}
		err = maps_vip_delete(s->m, &c->key);
		if (err && err != -ENOENT)
			return err;
		c->known = false;
		if (!vip_id_used(cfg, id)) {
			err = maps_ring_delete(s->m, id);
			if (err && err != -ENOENT)
				return err;
			s->ring_sig[id] = 0;
		}
	}
	return 0;
}

static int delete_stale_vips(struct sync *s, struct config *cfg)
{
	struct stale_ctx c = { .s = s, .cfg = cfg };
	int ret, i, err;

	if (s->vips_known)
		return delete_stale_cached(s, cfg);
	do {
		c.n = 0;
		ret = maps_vip_foreach(s->m, collect_stale, &c);
		for (i = 0; i < c.n; i++) {
			err = maps_vip_delete(s->m, &c.keys[i]);
			if (err && err != -ENOENT)
				return err;
			/* its table too, unless a configured VIP owns that id (restart) */
			if (c.ids[i] < XLB_MAX_VIPS && !vip_id_used(cfg, c.ids[i])) {
				err = maps_ring_delete(s->m, c.ids[i]);
				if (err && err != -ENOENT)
					return err;
				s->ring_sig[c.ids[i]] = 0;
			}
		}
	} while (ret == 1); /* more than one batch */
	/* the entries the config keeps are learnt in phase D (vipc[].known) */
	return ret < 0 ? ret : 0;
}

static uint32_t alloc_vip_id(struct sync *s, const struct config *cfg)
{
	bool used[XLB_MAX_VIPS] = {};
	uint32_t id;
	size_t i;

	for (i = 0; i < cfg->nvip; i++)
		if (cfg->vip[i].vip_id < XLB_MAX_VIPS)
			used[cfg->vip[i].vip_id] = true;
	/* prefer ids no stale entry still uses, so phase F never frees a live ring */
	for (id = 0; id < XLB_MAX_VIPS; id++)
		if (!used[id] && !s->vip_in_map[id] && !s->ring_sig[id])
			return id;
	for (id = 0; id < XLB_MAX_VIPS; id++)
		if (!used[id])
			return id;
	return UINT32_MAX;
}

/* A free slot, searched from where the last one was found (from 1 each time,
 * a start with 100,000 backends took seconds); slot 0 stays unused: 0 means
 * "none" */
static uint32_t alloc_slot(struct sync *s, const bool *taken)
{
	uint32_t n, i = s->slot_hint;

	for (n = 1; n < s->nslots; n++, i++) {
		if (i < 1 || i >= s->nslots)
			i = 1;
		if (!taken[i] && !(s->slot[i].flags & XLB_BE_F_ACTIVE)) {
			s->slot_hint = i + 1;
			return i;
		}
	}
	return 0;
}

/* Phase B: an egress port in xlb_tx_ports before any backend entry names it */
static int tx_port_need(struct sync *s, uint32_t ifindex)
{
	size_t i;
	int err;

	if (!ifindex)
		return 0;
	for (i = 0; i < s->ntx; i++)
		if (s->tx_ports[i] == ifindex)
			return 0;
	if (s->ntx == XLB_TX_PORTS_MAX)
		return -ENOSPC;
	err = maps_tx_port_add(s->m, ifindex);
	if (err)
		return err;
	s->tx_ports[s->ntx++] = ifindex;
	return 0;
}

/* Phase F: egress ports that no backend in use names any more */
static int tx_ports_prune(struct sync *s, const bool *taken)
{
	size_t i = 0;
	uint32_t slot;
	bool used;
	int err;

	while (i < s->ntx) {
		used = false;
		for (slot = 1; slot < s->nslots && !used; slot++)
			used = taken[slot] && s->slot[slot].ifindex == s->tx_ports[i];
		if (used) {
			i++;
			continue;
		}
		err = maps_tx_port_del(s->m, s->tx_ports[i]);
		if (err && err != -ENOENT)
			return err;
		s->tx_ports[i] = s->tx_ports[--s->ntx];
	}
	return 0;
}

/* Phase B for one backend: resolve its next hop and write its slot if changed */
static int write_backend(struct sync *s, const struct cfg_vip *v, struct cfg_backend *b)
{
	struct xlb_backend nb = {};
	char a[PARSE_ADDR_STRLEN];
	struct sync_nh *nh;
	int err;

	memcpy(nb.addr, b->addr.addr, sizeof(nb.addr));
	nb.family = b->addr.family;
	nb.flags = XLB_BE_F_ACTIVE;
	nb.vip_id = v->vip_id;
	nb.gen = s->slot[b->slot].gen;
	if (!(s->slot[b->slot].flags & XLB_BE_F_ACTIVE) ||
	    !slot_addr_eq(&s->slot[b->slot], &b->addr) || s->slot[b->slot].vip_id != v->vip_id) {
		struct xlb_be_brk closed = { .state = XLB_BRK_CLOSED };

		nb.gen++; /* a new owner: flows remembering the old one re-select */
		err = maps_be_active_reset(s->m, b->slot); /* and none of them is its */
		if (!err)
			err = maps_be_pasv_reset(s->m, b->slot); /* nor its passive signal */
		if (!err)
			err = maps_be_stats_reset(s->m, b->slot); /* nor its packets */
		if (!err)
			err = maps_be_brk_set(s->m, b->slot, &closed);
		if (err)
			return err;
		s->brk_mirror[b->slot].known = false;
	}

	nh = &s->nh[b->slot];
	if (!nh->valid || nb.gen != s->slot[b->slot].gen) {
		err = s->resolve ? s->resolve(s->arg, &b->addr, &nh->ifindex, nh->dmac, nh->smac,
					      &nh->via) :
				   -ENOSYS;
		nh->valid = err == 0;
	} else {
		err = 0; /* resolved, and no route or neighbour event since: no netlink */
	}
	if (!err) {
		nb.ifindex = nh->ifindex;
		memcpy(nb.dmac, nh->dmac, sizeof(nb.dmac));
		memcpy(nb.smac, nh->smac, sizeof(nb.smac));
	}
	if (b->has_mac && (err == 0 || err == -EAGAIN)) {
		memcpy(nb.dmac, b->mac, sizeof(nb.dmac)); /* operator's MAC wins */
		err = 0;
	}
	if (!err) {
		s->nh_lost_ms[b->slot] = 0;
	} else if (err == -EAGAIN && nb.gen == s->slot[b->slot].gen && s->slot[b->slot].ifindex) {
		/* The neighbour entry went away or is being re-resolved (the kernel's
		 * garbage collector removes entries XDP traffic never refreshes):
		 * keep forwarding to the last known next hop while it resolves again,
		 * for at most SYNC_NH_GRACE_MS; only then does the backend leave the
		 * tables. Zeroed MACs would blackhole its established flows. */
		uint64_t now = mono_ms();

		if (!s->nh_lost_ms[b->slot])
			s->nh_lost_ms[b->slot] = now;
		nb.ifindex = s->slot[b->slot].ifindex;
		memcpy(nb.dmac, s->slot[b->slot].dmac, sizeof(nb.dmac));
		memcpy(nb.smac, s->slot[b->slot].smac, sizeof(nb.smac));
		s->pending = true; /* retried on the next tick and on every neighbour event */
		if (now - s->nh_lost_ms[b->slot] < SYNC_NH_GRACE_MS)
			err = 0;
	}
	s->slot_ready[b->slot] = err == 0;
	if (err) {
		format_addr(&b->addr, a, sizeof(a));
		if (err != -EAGAIN)
			pr_warn("sync: backend %s: no next hop: %s", a, strerror(-err));
		s->pending = true;
		/* keep the slot owned (inactive in rings) until it resolves */
	}
	err = tx_port_need(s, nb.ifindex); /* before the entry can send packets there */
	if (err)
		return err;
	if (!memcmp(&nb, &s->slot[b->slot], sizeof(nb)))
		return 0;
	err = maps_backend_set(s->m, b->slot, &nb);
	if (err)
		return err;
	s->slot[b->slot] = nb;
	return 0;
}

/* Phase B, last: the breaker state of one backend, written when it changed */
static int write_breaker(struct sync *s, const struct cfg_vip *v, const struct cfg_backend *b)
{
	struct sync_brk_mirror *mi = &s->brk_mirror[b->slot];
	struct xlb_be_brk nb = { .state = XLB_BRK_CLOSED };
	uint32_t gen = 0;
	int err;

	if (s->brk)
		s->brk(s->brk_arg, v, b, &nb, &gen);
	if (mi->known && mi->state == nb.state && mi->gen == gen)
		return 0;
	err = maps_be_brk_set(s->m, b->slot, &nb);
	if (err)
		return err;
	mi->state = nb.state;
	mi->gen = gen;
	mi->known = true;
	return 0;
}

/* Phase C: the tables built so far swap in with one update (the kernel waits
 * for its programs to leave the old ones once per update, where it batches) */
static int rings_flush(struct sync *s)
{
	__u32 ids[SYNC_PEND_MAX], banks[SYNC_PEND_MAX];
	int fds[SYNC_PEND_MAX], err;
	size_t i;

	for (i = 0; i < s->npend; i++) {
		ids[i] = s->pend[i].vip_id;
		banks[i] = s->pend[i].bank;
		fds[i] = s->pend[i].fd;
	}
	err = maps_ring_install(s->m, ids, banks, fds, (__u32)s->npend);
	for (i = 0; i < s->npend; i++) {
		/* with the table, its digest: a restart keeps a table whose inputs
		 * did not change */
		if (!err)
			err = maps_ring_sig_set(s->m, ids[i], banks[i], s->pend[i].sig);
		if (!err) {
			s->ring_bank[ids[i]] = banks[i];
			s->ring_sig[ids[i]] = s->pend[i].sig;
		}
		close(fds[i]);
	}
	s->npend = 0;
	return err;
}

/* No program can still read the bank @vip_id's entry stopped naming */
static bool bank_unread(const struct sync *s, uint32_t vip_id)
{
	if (s->grace && s->ring_idle_mark[vip_id] &&
	    grace_passed(s->grace, s->ring_idle_mark[vip_id]))
		return true;
	return mono_ms() - s->ring_idle_ms[vip_id] >= SYNC_REFILL_IDLE_MS;
}

/* Phase C for one VIP */
static int build_ring(struct sync *s, struct cfg_vip *v)
{
	uint64_t sig = DIGEST_INIT;
	uint32_t m = v->opt.ring_size;
	size_t i, n = 0;
	uint64_t t0;
	uint32_t bank;
	int err;

	for (i = 0; i < v->nbe; i++) {
		struct cfg_backend *b = &v->be[i];

		if (b->draining || !s->slot_ready[b->slot])
			continue;
		if (s->usable && !s->usable(s->usable_arg, v, b))
			continue; /* failing its checks: no new flows */
		memset(&s->mb[n], 0, sizeof(s->mb[n]));
		s->mb[n].id = b->slot;
		s->mb[n].weight = b->weight;
		memcpy(s->mb[n].key, b->addr.addr, 16);
		s->mb[n].key[16] = b->addr.family;
		sig = digest_mix(sig, &s->mb[n], sizeof(s->mb[n]));
		n++;
	}
	sig = digest_mix(sig, &m, sizeof(m));
	sig = digest_mix(sig, &v->opt.sched, sizeof(v->opt.sched));
	if (!n) {
		if (v->opt.sched == GR_SCHED_LC) {
			/* no candidate either: lc refuses new flows like a VIP without
			 * a table (no_ring), instead of picking drained backends */
			struct xlb_lc_set none = {};

			err = maps_lc_set(s->m, v->vip_id, &none);
			if (err)
				return err;
		}
		if (s->ring_sig[v->vip_id]) {
			err = maps_ring_delete(s->m, v->vip_id);
			if (err && err != -ENOENT)
				return err;
			s->ring_sig[v->vip_id] = 0;
		}
		return 0; /* no usable backend: new flows drop (no_ring), flows stay */
	}
	if (s->ring_sig[v->vip_id] == sig)
		return 0;
	if (v->opt.sched == GR_SCHED_LC) {
		struct xlb_lc_set set = {};

		for (i = 0; i < n && i < XLB_LC_MAX; i++) { /* config caps lc at XLB_LC_MAX */
			set.ids[i] = s->mb[i].id;
			set.weights[i] = s->mb[i].weight;
		}
		set.n = i;
		err = maps_lc_set(s->m, v->vip_id, &set);
		if (err)
			return err;
	}
	t0 = mono_ns();
	err = v->opt.sched == GR_SCHED_WRR ? sched_wrr_build(s->mb, n, m, s->table) :
					     maglev_build(s->mb, n, m, 0, s->table);
	s->last_build_ns = mono_ns() - t0;
	if (err)
		return err;
	/* into the bank the VIP entry does not name; installed with the others of
	 * this phase in one update (rings_flush), and phase D flips the entry, table
	 * and size at once */
	bank = s->ring_live[v->vip_id] ^ 1;
	if (bank_unread(s, v->vip_id) && !maps_ring_refill(s->m, v->vip_id, bank, s->table, m)) {
		/* the idle bank had a table of this size and no reader left:
		 * rewritten in place, no outer update (and no RCU wait in it) */
		err = maps_ring_sig_set(s->m, v->vip_id, bank, sig);
		if (err)
			return err;
		s->ring_bank[v->vip_id] = bank;
		s->ring_sig[v->vip_id] = sig;
		return 0;
	}
	err = maps_ring_new(s->m, s->table, m);
	if (err < 0)
		return err;
	s->pend[s->npend].fd = err;
	s->pend[s->npend].vip_id = v->vip_id;
	s->pend[s->npend].bank = bank;
	s->pend[s->npend++].sig = sig;
	return s->npend == SYNC_PEND_MAX ? rings_flush(s) : 0;
}

/* The largest encapsulation overhead over @v's backends (their outer family) */
static uint8_t vip_overhead(const struct cfg_vip *v)
{
	uint8_t ohl = 0, o;
	size_t i;

	if (v->opt.encap == XLB_ENCAP_L2)
		return 0;
	for (i = 0; i < v->nbe; i++) {
		o = v->be[i].addr.family == XLB_FAMILY_V6 ? XLB_IPV6_HDR_LEN : XLB_IPV4_HDR_LEN;
		if (v->opt.encap == XLB_ENCAP_GUE)
			o += XLB_UDP_HDR_LEN;
		if (o > ohl)
			ohl = o;
	}
	return ohl;
}

static void vip_val(const struct sync *s, const struct cfg_vip *v, struct xlb_vip_val *out)
{
	memset(out, 0, sizeof(*out));
	out->ohl = vip_overhead(v);
	out->vip_id = v->vip_id;
	out->ring_bank = s->ring_bank[v->vip_id];
	out->ring_size = v->opt.ring_size;
	out->mtu = v->opt.mtu;
	out->encap = v->opt.encap;
	out->flags = v->opt.hash == GR_HASH_SRC ? XLB_VIP_F_HASH_SRC : 0;
	if (v->opt.open_flows == GR_OPEN_FLOWS_RESELECT)
		out->flags |= XLB_VIP_F_RESELECT_OPEN;
	out->sched = v->opt.sched == GR_SCHED_WRR ? XLB_SCHED_WRR :
		     v->opt.sched == GR_SCHED_LC  ? XLB_SCHED_LC :
						    XLB_SCHED_MAGLEV;
	out->udp_idle_ns = (__u64)v->opt.udp_idle_ms * 1000000ULL;
}

/* Phase E helpers */
struct addr_ctx {
	struct config *cfg;
	struct xlb_addr gone[64];
	int n;
};

static uint32_t vip_addr_count(const struct config *cfg, const struct xlb_addr *a)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < cfg->nvip; i++)
		if (cfg->vip[i].key.family == a->family &&
		    !memcmp(cfg->vip[i].key.addr, a->addr, sizeof(a->addr)))
			n++;
	return n;
}

static int collect_gone_addr(void *arg, const struct xlb_addr *a, __u32 count)
{
	struct addr_ctx *c = arg;

	if (vip_addr_count(c->cfg, a))
		return 0;
	c->gone[c->n++] = *a;
	return c->n == (int)(sizeof(c->gone) / sizeof(c->gone[0])) ? 1 : 0;
}

/* The VIP addresses of @cfg and how many VIPs each hosts, into @out; their number */
static size_t addr_list(const struct config *cfg, struct sync_addr_cache *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < cfg->nvip && n < XLB_MAX_VIPS; i++) {
		struct xlb_addr a = { .family = cfg->vip[i].key.family };

		memcpy(a.addr, cfg->vip[i].key.addr, sizeof(a.addr));
		for (j = 0; j < n && !addr_eq(&out[j].addr, &a); j++)
			;
		if (j == n) {
			out[n].addr = a;
			out[n++].count = 0;
		}
		out[j].count++;
	}
	return n;
}

/* Phase E, once the cache holds all of xlb_vip_addrs: write what changed */
static int sync_addrs_cached(struct sync *s, struct config *cfg)
{
	struct sync_addr_cache *next = calloc(XLB_MAX_VIPS, sizeof(*next));
	size_t i, j, n;
	int err = 0;

	if (!next)
		return -ENOMEM;
	n = addr_list(cfg, next);
	for (j = 0; !err && j < n; j++) { /* new or changed */
		for (i = 0; i < s->naddr && !addr_eq(&s->addrc[i].addr, &next[j].addr); i++)
			;
		if (i == s->naddr || s->addrc[i].count != next[j].count)
			err = maps_vip_addr_set(s->m, &next[j].addr, next[j].count);
	}
	for (i = 0; !err && i < s->naddr; i++) { /* gone */
		for (j = 0; j < n && !addr_eq(&s->addrc[i].addr, &next[j].addr); j++)
			;
		if (j == n) {
			err = maps_vip_addr_set(s->m, &s->addrc[i].addr, 0);
			if (err == -ENOENT)
				err = 0;
		}
	}
	if (!err) {
		memcpy(s->addrc, next, n * sizeof(*next));
		s->naddr = n;
	} else {
		s->addrs_known = false; /* a full pass next time */
	}
	free(next);
	return err;
}

static int sync_addrs(struct sync *s, struct config *cfg)
{
	struct addr_ctx c = { .cfg = cfg };
	struct xlb_addr a;
	size_t i;
	int ret, err;

	if (s->addrs_known)
		return sync_addrs_cached(s, cfg);
	for (i = 0; i < cfg->nvip; i++) {
		memset(&a, 0, sizeof(a));
		memcpy(a.addr, cfg->vip[i].key.addr, sizeof(a.addr));
		a.family = cfg->vip[i].key.family;
		err = maps_vip_addr_set(s->m, &a, vip_addr_count(cfg, &a));
		if (err)
			return err;
	}
	do {
		c.n = 0;
		ret = maps_vip_addr_foreach(s->m, collect_gone_addr, &c);
		for (i = 0; i < (size_t)c.n; i++) {
			err = maps_vip_addr_set(s->m, &c.gone[i], 0);
			if (err && err != -ENOENT)
				return err;
		}
	} while (ret == 1);
	if (ret < 0)
		return ret;
	s->naddr = addr_list(cfg, s->addrc); /* what the map holds now */
	s->addrs_known = true;
	return 0;
}

static int sync_flags(struct sync *s, const struct config *cfg)
{
	struct xlb_config xc;
	bool port0 = false;
	size_t i;
	int err;

	for (i = 0; i < cfg->nvip; i++)
		port0 |= cfg->vip[i].key.port == 0;
	err = maps_config_get(s->m, &xc);
	if (err)
		return err;
	if (!!(xc.flags & XLB_CFG_F_PORT0) == port0)
		return 0;
	xc.flags = port0 ? xc.flags | XLB_CFG_F_PORT0 : xc.flags & ~XLB_CFG_F_PORT0;
	return maps_config_set(s->m, &xc);
}

int sync_apply(struct sync *s, struct config *cfg)
{
	bool *taken = calloc(s->nslots, sizeof(*taken));
	bool vip_live[XLB_MAX_VIPS] = {};
	struct xlb_vip_val val, cur;
	size_t i, j;
	uint32_t slot;
	int err;

	if (!taken)
		return -ENOMEM;
	s->pending = false;
	memset(s->vip_in_map, 0, sizeof(s->vip_in_map));

	err = delete_stale_vips(s, cfg); /* A */
	if (err)
		goto out;

	for (i = 0; i < cfg->nvip; i++) /* ids already owned stay owned */
		for (j = 0; j < cfg->vip[i].nbe; j++)
			if (cfg->vip[i].be[j].slot)
				taken[cfg->vip[i].be[j].slot] = true;
	for (i = 0; i < cfg->nvip; i++) { /* B */
		struct cfg_vip *v = &cfg->vip[i];

		if (v->vip_id == UINT32_MAX) {
			v->vip_id = alloc_vip_id(s, cfg);
			if (v->vip_id == UINT32_MAX) {
				err = -ENOSPC;
				goto out;
			}
			/* a new owner of the id: counters from zero */
			err = maps_vip_stats_reset(s->m, v->vip_id);
			if (err)
				goto out;
		}
		vip_live[v->vip_id] = true;
		for (j = 0; j < v->nbe; j++) {
			struct cfg_backend *b = &v->be[j];

			if (!b->slot) {
				b->slot = alloc_slot(s, taken);
				if (!b->slot) {
					err = -ENOSPC;
					goto out;
				}
				taken[b->slot] = true;
			}
			err = write_backend(s, v, b);
			if (!err)
				err = write_breaker(s, v, b);
			if (err)
				goto out;
		}
	}

	for (i = 0; i < cfg->nvip; i++) { /* C */
		err = build_ring(s, &cfg->vip[i]);
		if (err)
			goto out;
		cfg->vip[i].dirty = false;
	}
	err = rings_flush(s);
	if (err)
		goto out;

	for (i = 0; i < cfg->nvip; i++) { /* D */
		struct sync_vip_cache *vc = &s->vipc[cfg->vip[i].vip_id];

		vip_val(s, &cfg->vip[i], &val);
		if (vc->known && vip_key_eq(&vc->key, &cfg->vip[i].key) &&
		    !memcmp(&vc->val, &val, sizeof(val)))
			continue; /* the map holds it: no bpf call at all */
		if (!(vc->known = !maps_vip_lookup(s->m, &cfg->vip[i].key, &cur) &&
				  !memcmp(&cur, &val, sizeof(val)))) {
			err = maps_vip_update(s->m, &cfg->vip[i].key, &val);
			if (err)
				goto out;
		}
		vc->key = cfg->vip[i].key;
		vc->val = val;
		vc->known = true;
		if (s->ring_live[val.vip_id] != val.ring_bank) { /* the old bank goes idle now */
			s->ring_idle_ms[val.vip_id] = mono_ms();
			s->ring_idle_mark[val.vip_id] = take_mark(s);
		}
		s->ring_live[val.vip_id] = val.ring_bank;
	}
	s->vips_known = true;

	err = sync_addrs(s, cfg); /* E */
	if (!err)
		err = sync_flags(s, cfg);
	if (err)
		goto out;

	for (i = 0; i < XLB_MAX_VIPS; i++) { /* F */
		if (vip_live[i] || !s->ring_sig[i])
			continue;
		err = maps_ring_delete(s->m, i);
		if (err && err != -ENOENT)
			goto out;
		s->ring_sig[i] = 0;
	}
	for (slot = 1; slot < s->nslots; slot++) {
		struct xlb_backend nb = s->slot[slot];

		if (taken[slot] || !(nb.flags & XLB_BE_F_ACTIVE))
			continue;
		nb.flags = 0; /* flows still pointing here re-select */
		err = maps_backend_set(s->m, slot, &nb);
		if (err)
			goto out;
		s->slot[slot] = nb;
		s->slot_ready[slot] = false;
	}
	err = tx_ports_prune(s, taken);
out:
	for (i = 0; i < s->npend; i++) /* a failure in phase C: built, not installed */
		close(s->pend[i].fd);
	s->npend = 0;
	free(taken);
	return err;
}
