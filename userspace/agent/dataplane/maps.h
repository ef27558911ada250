/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* maps: the only module that touches the xlb_xdp skeleton and libbpf map APIs.
 * Everything else (lbd, tests, benchmarks) goes through these typed wrappers.
 * All functions return 0 or a negative errno unless stated otherwise.
 */
#ifndef XLB_AGENT_MAPS_H
#define XLB_AGENT_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <xlb/abi.h>
#include <xlb/active.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/policy_abi.h>
#include <xlb/types.h>

struct xlb_maps;

struct xlb_maps_opts {
	const char
		*pin_root; /* NULL: no pinning (tests, benchmarks); else e.g. XLB_PIN_ROOT_DEFAULT,
				 maps are pinned under <pin_root>/v<ABI>/ and reused when present */
	/* Sizes fixed once pinned: 0 takes the pinned size (else the default); a
	 * size other than the pinned one is refused (maps_open fails, EEXIST) */
	__u32 flow_max;	 /* flow table entries; default XLB_FLOW_MAX */
	__u32 be_max;	 /* backends (slots 1..N); default XLB_MAX_BACKENDS */
	__u32 hash_seed; /* 0 = XLB_HASH_SEED_DEFAULT */
};

/* Entries of the map @name pinned under <@pin_root>/v<ABI>: 0 with *@n = 0 when
 * it is not pinned (a first start), else 0 or a negative errno. */
int maps_pinned_entries(const char *pin_root, const char *name, __u32 *n);

/* Open and load xlb_xdp (not attached). Returns NULL and sets errno on failure. */
struct xlb_maps *maps_open(const struct xlb_maps_opts *opts);
void maps_close(struct xlb_maps *m);

/* Attach xlb_xdp to @ifname with a bpf_link pinned at <pin_dir>/link_<ifname>
 * (native mode unless @generic). If that pin exists from an earlier run, the
 * program is swapped in place (bpf_link_update): the interface is never left
 * without a program, and the pinned maps carry flows and counters over.
 * Requires pin_root. */
int maps_attach(struct xlb_maps *m, const char *ifname, bool generic);
/* Remove the link pin: the program is detached (maps stay pinned). */
int maps_detach(struct xlb_maps *m, const char *ifname);

int maps_prog_fd(const struct xlb_maps *m);		     /* the xlb_xdp program */
int maps_map_fd(const struct xlb_maps *m, const char *name); /* any map by XLB_MAP_* name */
__u32 maps_hash_seed(const struct xlb_maps *m);
__u32 maps_flow_max(const struct xlb_maps *m); /* flow table entries */
__u32 maps_be_max(const struct xlb_maps *m);   /* backends: slots 1..N */

int maps_config_set(struct xlb_maps *m, const struct xlb_config *cfg);
int maps_config_get(struct xlb_maps *m, struct xlb_config *cfg);

int maps_vip_update(struct xlb_maps *m, const struct xlb_vip_key *key,
		    const struct xlb_vip_val *val);
int maps_vip_delete(struct xlb_maps *m, const struct xlb_vip_key *key);
int maps_vip_lookup(struct xlb_maps *m, const struct xlb_vip_key *key, struct xlb_vip_val *val);
/* Call @cb for every VIP entry / VIP address in the maps; stops at a non-zero
 * @cb result and returns it. The callback must not modify the map. */
int maps_vip_foreach(struct xlb_maps *m,
		     int (*cb)(void *arg, const struct xlb_vip_key *k, const struct xlb_vip_val *v),
		     void *arg);
int maps_vip_addr_foreach(struct xlb_maps *m,
			  int (*cb)(void *arg, const struct xlb_addr *a, __u32 count), void *arg);
/* count = number of VIPs on that address; 0 deletes the entry */
int maps_vip_addr_set(struct xlb_maps *m, const struct xlb_addr *addr, __u32 count);

int maps_backend_set(struct xlb_maps *m, __u32 id, const struct xlb_backend *be);
int maps_backend_get(struct xlb_maps *m, __u32 id, struct xlb_backend *be);

/* Install a whole Maglev table in bank @bank (0/1) of @vip_id: creates a new
 * inner array of @size slots, fills it, then swaps it in with one outer-map
 * update. The dataplane never sees a partial table, and reads the bank the VIP
 * entry names: fill the idle bank, then flip the VIP entry (sync.c). The inner
 * array must be created with BPF_F_INNER_MAP like the template in
 * bpf/lib/maps.h: the kernel compares map flags when an inner map is inserted
 * (only max_entries may differ). */
int maps_ring_set(struct xlb_maps *m, __u32 vip_id, __u32 bank, const __u32 *slots, __u32 size);
/* The same in two steps, so many tables swap in with one update: a new table,
 * filled (its fd, to close after installing, or -errno); then @n of them
 * installed as bank @banks[i] of @vip_ids[i]. */
int maps_ring_new(struct xlb_maps *m, const __u32 *slots, __u32 size);
/* Rewrite bank @bank of @vip_id in place, when it holds a table of @size slots
 * (-ENOENT: no table there; -EINVAL: another size). Only for a bank no packet
 * can be reading: one the VIP entry has not named for well over an RCU grace
 * period (sync.c waits a second). It spares the outer update, whose RCU wait
 * costs 5-20 ms per table. */
int maps_ring_refill(struct xlb_maps *m, __u32 vip_id, __u32 bank, const __u32 *slots, __u32 size);
int maps_ring_install(struct xlb_maps *m, const __u32 *vip_ids, const __u32 *banks, const int *fds,
		      __u32 n);
/* The digest of the inputs of bank @bank's table (0: none), kept across restarts */
int maps_ring_sig_set(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 sig);
int maps_ring_sig_get(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 *sig);
/* Removes both banks of @vip_id, and their digests */
int maps_ring_delete(struct xlb_maps *m, __u32 vip_id);
/* Backend slot in @slot of bank @bank of @vip_id; -ENOENT without a table */
int maps_ring_lookup(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u32 slot, __u32 *be_id);

/* Candidates of an lc VIP (written whole; the dataplane reads it per new flow) */
int maps_lc_set(struct xlb_maps *m, __u32 vip_id, const struct xlb_lc_set *set);
/* Active flows of a backend slot as the dataplane counts them (clamped at 0);
 * reset when the slot gets a new owner */
int maps_be_active_get(struct xlb_maps *m, __u32 id, __u64 *active);
int maps_be_active_reset(struct xlb_maps *m, __u32 id);

/* Breaker state of a backend slot as the dataplane enforces it (one write) */
int maps_be_brk_set(struct xlb_maps *m, __u32 id, const struct xlb_be_brk *b);
int maps_be_brk_get(struct xlb_maps *m, __u32 id, struct xlb_be_brk *b);
/* Passive signals of a backend slot summed over CPUs; reset with a new owner */
int maps_be_pasv_read(struct xlb_maps *m, __u32 id, struct xlb_be_pasv *sum);
int maps_be_pasv_reset(struct xlb_maps *m, __u32 id);

/* Policy (<xlb/policy_abi.h>). A rule set is published by filling the inactive
 * bank (new tries installed in its outer slots, rules, scopes) and flipping
 * xlb_config.pol_bank with maps_config_set. */
int maps_pol_trie_new(struct xlb_maps *m, int family); /* an fd, or -errno */
/* One entry of a trie (@key: struct xlb_pol_key4/6 of @family) */
int maps_pol_trie_update(struct xlb_maps *m, int fd, int family, const void *key,
			 const struct xlb_pol_chain *chain);
int maps_pol_trie_delete(struct xlb_maps *m, int fd, int family, const void *key);
int maps_pol_trie_install(struct xlb_maps *m, int family, __u32 bank, int fd);
int maps_pol_rules_write(struct xlb_maps *m, __u32 bank, const __u32 *ids,
			 const struct xlb_pol_rule *rules, __u32 n);
/* All XLB_POL_SCOPES scope values of @bank at once */
int maps_pol_scopes_write(struct xlb_maps *m, __u32 bank, const struct xlb_pol_scope *sc);
int maps_pol_hits_read(struct xlb_maps *m, __u32 id, __u64 *hits); /* summed over CPUs */
int maps_pol_hits_reset(struct xlb_maps *m, __u32 id);
/* Rate limits apply at once (not banked); a reused VIP id starts a fresh ceiling */
int maps_rl_cfg_set(struct xlb_maps *m, __u32 scope, const struct xlb_rl_cfg *c);
int maps_rl_ceil_reset(struct xlb_maps *m, __u32 vip_id);

int maps_tx_port_add(struct xlb_maps *m, __u32 ifindex);
int maps_tx_port_del(struct xlb_maps *m, __u32 ifindex);

int maps_flow_lookup(struct xlb_maps *m, const struct xlb_flow_key *k, struct xlb_flow_val *v);
int maps_flow_update(struct xlb_maps *m, const struct xlb_flow_key *k,
		     const struct xlb_flow_val *v);
int maps_flow_delete(struct xlb_maps *m, const struct xlb_flow_key *k);
int maps_frag_lookup(struct xlb_maps *m, const struct xlb_frag_key *k, struct xlb_frag_val *v);

/* Remove every map pin and the pin directory (agent stop detach) */
int maps_unpin(struct xlb_maps *m);

/* Flow-table occupancy without stalling the agent: each step reads at most
 * @budget entries with one batched lookup; when a pass over the whole table
 * completes, @last holds its count. (An LRU table changes while it is read,
 * so a pass is an estimate.) */
struct maps_flow_count {
	__u64 last;	/* entries counted by the last complete pass */
	__u64 passes;	/* complete passes so far (0: @last not valid yet) */
	__u64 counting; /* this pass so far */
	__u32 token;
	bool started;
	__u32 cap;
	void *keys, *vals;
};
int maps_flow_count_step(struct xlb_maps *m, struct maps_flow_count *fc, __u32 budget);
void maps_flow_count_free(struct maps_flow_count *fc);

/* Counters summed over all possible CPUs. Arrays sized __XLB_CNT_MAX / __XLB_DROP_MAX. */
int maps_counters_read(struct xlb_maps *m, __u64 *cnt, __u64 *drops);
int maps_counters_reset(struct xlb_maps *m);
int maps_vip_stats_read(struct xlb_maps *m, __u32 vip_id, struct xlb_vip_stats *sum);
int maps_be_stats_read(struct xlb_maps *m, __u32 id, struct xlb_be_stats *sum);
/* Zero the counters of a VIP id or backend slot for a new owner */
int maps_vip_stats_reset(struct xlb_maps *m, __u32 vip_id);
int maps_be_stats_reset(struct xlb_maps *m, __u32 id);

#endif /* XLB_AGENT_MAPS_H */
