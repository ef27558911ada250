// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* maps: typed wrappers over the xlb_xdp skeleton and its maps. The only module
 * that includes the skeleton; see maps.h for the API contract.
 *
 * Update order (callers): backends, then the ring (maps_ring_set builds a new
 * inner map and swaps it in with one outer update), then the VIP entry, then
 * xlb_vip_addrs. Removal goes the other way. The dataplane never sees a VIP
 * whose ring or backends are not in place yet.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/fsutil.h"
#include "agent/dataplane/maps.h"
#include "xlb_xdp.skel.h"

struct xlb_maps {
	struct xlb_xdp_bpf *skel;
	__u32 hash_seed;
	int ncpus;
	char pin_dir[PATH_MAX]; /* <pin_root>/v<ABI>, or "" without pinning */
};

/* Logs `maps: <obj>: <what>: <strerror>` and returns @err (a negative errno). */
static int maps_err(const char *obj, const char *what, int err)
{
	pr_err("maps: %s: %s: %s", obj, what, strerror(-err));
	return err;
}

/* Compare the object's key/value sizes with the shared structs (STYLE 11). */
static int check_sizes(struct xlb_xdp_bpf *skel)
{
	const struct {
		const struct bpf_map *map;
		__u32 key, val;
	} want[] = {
		{ skel->maps.xlb_vips, sizeof(struct xlb_vip_key), sizeof(struct xlb_vip_val) },
		{ skel->maps.xlb_vip_addrs, sizeof(struct xlb_addr), sizeof(__u32) },
		{ skel->maps.xlb_backends, sizeof(__u32), sizeof(struct xlb_backend) },
		{ skel->maps.xlb_rings, sizeof(__u32), sizeof(__u32) },
		{ skel->maps.xlb_ring_sig, sizeof(__u32), sizeof(__u64) },
		{ skel->maps.xlb_flows, sizeof(struct xlb_flow_key), sizeof(struct xlb_flow_val) },
		{ skel->maps.xlb_frags, sizeof(struct xlb_frag_key), sizeof(struct xlb_frag_val) },
		{ skel->maps.xlb_config, sizeof(__u32), sizeof(struct xlb_config) },
		{ skel->maps.xlb_counters, sizeof(__u32), sizeof(struct xlb_global_stats) },
		{ skel->maps.xlb_vip_stats, sizeof(__u32), sizeof(struct xlb_vip_stats) },
		{ skel->maps.xlb_be_stats, sizeof(__u32), sizeof(struct xlb_be_stats) },
		{ skel->maps.xlb_flood, sizeof(__u32), sizeof(struct xlb_flood_state) },
		{ skel->maps.xlb_be_active, sizeof(__u32), sizeof(struct xlb_be_active) },
		{ skel->maps.xlb_lc_sets, sizeof(__u32), sizeof(struct xlb_lc_set) },
		{ skel->maps.xlb_be_brk, sizeof(__u32), sizeof(struct xlb_be_brk) },
		{ skel->maps.xlb_be_pasv, sizeof(__u32), sizeof(struct xlb_be_pasv) },
		{ skel->maps.xlb_pol4, sizeof(__u32), sizeof(__u32) },
		{ skel->maps.xlb_pol6, sizeof(__u32), sizeof(__u32) },
		{ skel->maps.xlb_pol_rules, sizeof(__u32), sizeof(struct xlb_pol_rule) },
		{ skel->maps.xlb_pol_scopes, sizeof(__u32), sizeof(struct xlb_pol_scope) },
		{ skel->maps.xlb_pol_hits, sizeof(__u32), sizeof(__u64) },
		{ skel->maps.xlb_rl_cfg, sizeof(__u32), sizeof(struct xlb_rl_cfg) },
		{ skel->maps.xlb_rl_src, sizeof(struct xlb_rl_key), sizeof(struct xlb_rl_val) },
		{ skel->maps.xlb_rl_ceil, sizeof(__u32), sizeof(__u64) },
	};
	const struct bpf_map *inner = bpf_map__inner_map(skel->maps.xlb_rings);
	const struct bpf_map *tx = skel->maps.xlb_tx_ports;
	char what[96];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		__u32 ks = bpf_map__key_size(want[i].map), vs = bpf_map__value_size(want[i].map);

		if (ks == want[i].key && vs == want[i].val)
			continue;
		snprintf(what, sizeof(what), "key/value size %u/%u, ABI says %u/%u", ks, vs,
			 want[i].key, want[i].val);
		return maps_err(bpf_map__name(want[i].map), what, -EINVAL);
	}
	if (!inner || bpf_map__key_size(inner) != 4 || bpf_map__value_size(inner) != 4)
		return maps_err(XLB_MAP_RINGS, "inner map is not an array of __u32", -EINVAL);
	/* devmap values are an ifindex, or struct bpf_devmap_val (ifindex + prog) */
	if (bpf_map__key_size(tx) != 4 ||
	    (bpf_map__value_size(tx) != 4 && bpf_map__value_size(tx) != 8))
		return maps_err(XLB_MAP_TX_PORTS, "key/value size is not a devmap's", -EINVAL);
	return 0;
}

/* The kernel adds BPF_F_RDONLY_PROG to every devmap, so libbpf's pin-by-name
 * compatibility check always rejects a pinned xlb_tx_ports. Reuse it by fd. */
static int reuse_tx_ports(struct bpf_map *map, const char *pin_dir)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, XLB_MAP_TX_PORTS) >= (int)sizeof(path))
		return maps_err(pin_dir, "pin path", -ENAMETOOLONG);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* first start: libbpf creates and pins it */
	err = bpf_map__set_pin_path(map, NULL);
	if (!err)
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	if (err)
		return maps_err(path, "cannot reuse pinned map", err);
	return 0;
}

int maps_pinned_entries(const char *pin_root, const char *name, __u32 *n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	*n = 0;
	if (!pin_root)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s/%s", pin_root, XLB_PIN_SUBDIR, name) >=
	    (int)sizeof(path))
		return maps_err(pin_root, "pin path", -ENAMETOOLONG);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : maps_err(path, "cannot open pinned map", -errno);
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return maps_err(path, "cannot read map info", -errno);
	*n = info.max_entries;
	return 0;
}

/* Size the map @map: @want entries (0 = the pinned size, else @def). libbpf would
 * refuse a pinned map of another size with a bare "incompatible"; say which
 * option asked for what, and how to change it. @extra: entries beyond the
 * option's value (slot 0 of the backend maps). */
static int size_map(struct bpf_map *map, const char *pin_root, const char *opt, __u32 want,
		    __u32 def, __u32 extra)
{
	__u32 pinned;
	int err;

	err = maps_pinned_entries(pin_root, bpf_map__name(map), &pinned);
	if (err)
		return err;
	if (want && pinned && want + extra != pinned) {
		pr_err("maps: %s is pinned with room for %u (%s %u); %s %u asks for another "
		       "size, which takes a dataplane without pins: stop lbd, remove %s/%s "
		       "(forwarding stops until lbd attaches again) and start it (README, Limits)",
		       bpf_map__name(map), pinned - extra, opt, pinned - extra, opt, want, pin_root,
		       XLB_PIN_SUBDIR);
		return -EEXIST;
	}
	if (!want)
		want = pinned ? pinned - extra : def;
	err = bpf_map__set_max_entries(map, want + extra);
	return err ? maps_err(bpf_map__name(map), "set max_entries failed", err) : 0;
}

/* The per-slot maps, all sized XLB_BE_SLOTS(--max-backends) */
static int size_be_maps(struct xlb_xdp_bpf *skel, const char *pin_root, __u32 be_max)
{
	struct bpf_map *maps[] = { skel->maps.xlb_backends, skel->maps.xlb_be_stats,
				   skel->maps.xlb_be_active, skel->maps.xlb_be_brk,
				   skel->maps.xlb_be_pasv };
	int err;

	if (be_max > XLB_MAX_BACKENDS_LIMIT)
		return maps_err("--max-backends", "too large", -ERANGE);
	/* the first one decides (all are pinned together); the others follow it */
	err = size_map(maps[0], pin_root, "--max-backends", be_max, XLB_MAX_BACKENDS, 1);
	if (err)
		return err;
	be_max = bpf_map__max_entries(maps[0]) - 1;
	for (size_t i = 1; i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = size_map(maps[i], pin_root, "--max-backends", be_max, XLB_MAX_BACKENDS, 1);
		if (err)
			return err;
	}
	return 0;
}

struct xlb_maps *maps_open(const struct xlb_maps_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	const struct xlb_maps_opts none = {};
	char pin_dir[PATH_MAX];
	struct xlb_maps *m;
	int err;

	if (!opts)
		opts = &none;
	if (opts->pin_root) {
		if (snprintf(pin_dir, sizeof(pin_dir), "%s/%s", opts->pin_root, XLB_PIN_SUBDIR) >=
		    (int)sizeof(pin_dir)) {
			err = maps_err(opts->pin_root, "pin path", -ENAMETOOLONG);
			goto out_errno;
		}
		err = mkdir_p(pin_dir, 0700);
		if (err) {
			maps_err(pin_dir, "mkdir failed", err);
			goto out_errno;
		}
		oo.pin_root_path = pin_dir;
	}

	m = calloc(1, sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto out_errno;
	}
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus < 0) {
		err = maps_err("cpus", "cannot count possible CPUs", m->ncpus);
		goto out_free;
	}
	if (opts->pin_root)
		memcpy(m->pin_dir, pin_dir, sizeof(m->pin_dir));
	m->hash_seed = opts->hash_seed ? opts->hash_seed : XLB_HASH_SEED_DEFAULT;

	m->skel = xlb_xdp_bpf__open_opts(&oo);
	if (!m->skel) {
		err = maps_err(XLB_PROG_XDP, "open failed", -errno);
		goto out_free;
	}
	m->skel->rodata->xlb_hash_seed = m->hash_seed;
	if (!opts->pin_root) {
		struct bpf_map *map;

		/* else libbpf pins LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf.
		 * (bpf_object__for_each_map spelled out: `make check`'s cppcheck
		 * does not see libbpf's headers, nor LIBBPF_OPTS below.)
		 */
		for (map = bpf_object__next_map(m->skel->obj, NULL); map;
		     map = bpf_object__next_map(m->skel->obj, map))
			bpf_map__set_pin_path(map, NULL);
	}
	err = size_map(m->skel->maps.xlb_flows, opts->pin_root, "--flow-table-size", opts->flow_max,
		       XLB_FLOW_MAX, 0);
	if (!err)
		err = size_be_maps(m->skel, opts->pin_root, opts->be_max);
	if (err)
		goto out_destroy;
	err = check_sizes(m->skel);
	if (err)
		goto out_destroy;
	if (opts->pin_root) {
		err = reuse_tx_ports(m->skel->maps.xlb_tx_ports, pin_dir);
		if (err)
			goto out_destroy;
	}
	err = xlb_xdp_bpf__load(m->skel);
	if (err) {
		maps_err(XLB_PROG_XDP, "load failed (verifier log: lbd -vv)", err);
		goto out_destroy;
	}
	return m;

out_destroy:
	xlb_xdp_bpf__destroy(m->skel);
out_free:
	free(m);
out_errno:
	errno = -err;
	return NULL;
}

void maps_close(struct xlb_maps *m)
{
	if (!m)
		return;
	xlb_xdp_bpf__destroy(m->skel);
	free(m);
}

__u32 maps_flow_max(const struct xlb_maps *m)
{
	return bpf_map__max_entries(m->skel->maps.xlb_flows);
}

__u32 maps_be_max(const struct xlb_maps *m)
{
	return bpf_map__max_entries(m->skel->maps.xlb_backends) - 1;
}

int maps_prog_fd(const struct xlb_maps *m)
{
	return bpf_program__fd(m->skel->progs.xlb_xdp);
}

int maps_map_fd(const struct xlb_maps *m, const char *name)
{
	const struct bpf_map *map = bpf_object__find_map_by_name(m->skel->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

__u32 maps_hash_seed(const struct xlb_maps *m)
{
	return m->hash_seed;
}

/* Thin wrappers: name the map in the error, stay quiet on a plain miss. */
static int map_update(const struct bpf_map *map, const void *key, const void *val)
{
	int err = bpf_map_update_elem(bpf_map__fd(map), key, val, BPF_ANY);

	return err ? maps_err(bpf_map__name(map), "update failed", err) : 0;
}

static int map_lookup(const struct bpf_map *map, const void *key, void *val)
{
	int err = bpf_map_lookup_elem(bpf_map__fd(map), key, val);

	if (err && err != -ENOENT)
		return maps_err(bpf_map__name(map), "lookup failed", err);
	return err;
}

static int map_delete(const struct bpf_map *map, const void *key)
{
	int err = bpf_map_delete_elem(bpf_map__fd(map), key);

	if (err && err != -ENOENT)
		return maps_err(bpf_map__name(map), "delete failed", err);
	return err;
}

int maps_config_set(struct xlb_maps *m, const struct xlb_config *cfg)
{
	__u32 key = 0;

	return map_update(m->skel->maps.xlb_config, &key, cfg);
}

int maps_config_get(struct xlb_maps *m, struct xlb_config *cfg)
{
	__u32 key = 0;

	return map_lookup(m->skel->maps.xlb_config, &key, cfg);
}

int maps_vip_update(struct xlb_maps *m, const struct xlb_vip_key *key,
		    const struct xlb_vip_val *val)
{
	return map_update(m->skel->maps.xlb_vips, key, val);
}

int maps_vip_delete(struct xlb_maps *m, const struct xlb_vip_key *key)
{
	return map_delete(m->skel->maps.xlb_vips, key);
}

int maps_vip_lookup(struct xlb_maps *m, const struct xlb_vip_key *key, struct xlb_vip_val *val)
{
	return map_lookup(m->skel->maps.xlb_vips, key, val);
}

int maps_vip_addr_set(struct xlb_maps *m, const struct xlb_addr *addr, __u32 count)
{
	int err;

	if (count)
		return map_update(m->skel->maps.xlb_vip_addrs, addr, &count);
	err = map_delete(m->skel->maps.xlb_vip_addrs, addr);
	return err == -ENOENT ? 0 : err;
}

int maps_backend_set(struct xlb_maps *m, __u32 id, const struct xlb_backend *be)
{
	return map_update(m->skel->maps.xlb_backends, &id, be);
}

int maps_backend_get(struct xlb_maps *m, __u32 id, struct xlb_backend *be)
{
	return map_lookup(m->skel->maps.xlb_backends, &id, be);
}

/* A mappable array lays its elements out 8 bytes apart (round_up(value_size, 8)),
 * whatever the value size: a 4-byte slot id sits in the first half of each. */
#define RING_ELEM 8

static size_t ring_mmap_len(__u32 size)
{
	size_t page = (size_t)getpagesize();

	return ((size_t)size * RING_ELEM + page - 1) & ~(page - 1);
}

static void ring_copy(void *mem, const __u32 *slots, __u32 size)
{
	for (__u32 i = 0; i < size; i++)
		memcpy((char *)mem + (size_t)i * RING_ELEM, &slots[i], sizeof(slots[i]));
}

int maps_ring_new(struct xlb_maps *m, const __u32 *slots, __u32 size)
{
	/* Same flags as the outer map's template (the kernel compares them on insert);
	 * BPF_F_INNER_MAP is what lets our size differ from the template's, and
	 * BPF_F_MMAPABLE lets us fill it with one copy instead of a syscall walking
	 * every slot (a 65,537-slot table: about 17 ms by batch update).
	 */
	struct bpf_map_create_opts co = { .sz = sizeof(co),
					  .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE };
	size_t len = ring_mmap_len(size);
	void *mem;
	int fd, err;

	(void)m;
	if (!slots || size == 0 || size > XLB_MAGLEV_M_MAX)
		return maps_err(XLB_MAP_RINGS, "invalid ring size", -EINVAL);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_ring", sizeof(__u32), sizeof(__u32), size,
			    &co);
	if (fd < 0)
		return maps_err("xlb_ring", "create failed", fd);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = maps_err("xlb_ring", "mmap failed", -errno);
		close(fd);
		return err;
	}
	ring_copy(mem, slots, size);
	munmap(mem, len);
	return fd;
}

int maps_ring_install(struct xlb_maps *m, const __u32 *vip_ids, const __u32 *banks, const int *fds,
		      __u32 n)
{
	__u32 *keys, count = n;
	int err;

	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return maps_err(XLB_MAP_RINGS, "cannot allocate keys", -ENOMEM);
	for (__u32 i = 0; i < n; i++) {
		if (vip_ids[i] >= XLB_MAX_VIPS || banks[i] > 1) {
			free(keys);
			return maps_err(XLB_MAP_RINGS, "invalid vip id or bank", -EINVAL);
		}
		keys[i] = XLB_RING_KEY(vip_ids[i], banks[i]);
	}
	/* the swap: readers see either the old table or the new one, whole. The
	 * kernel waits for programs to leave the old tables (an RCU grace period per
	 * update, 5-20 ms here); a batch waits once where the kernel allows it. */
	err = bpf_map_update_batch(bpf_map__fd(m->skel->maps.xlb_rings), keys, fds, &count, NULL);
	if (err)
		err = maps_err(XLB_MAP_RINGS, "update failed", -errno);
	free(keys);
	return err;
}

int maps_ring_refill(struct xlb_maps *m, __u32 vip_id, __u32 bank, const __u32 *slots, __u32 size)
{
	__u32 key = XLB_RING_KEY(vip_id, bank), id;
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	size_t len;
	void *mem;
	int fd, err = 0;

	if (vip_id >= XLB_MAX_VIPS || bank > 1 || !size)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.xlb_rings), &key, &id))
		return -ENOENT; /* no table in that bank */
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) || info.max_entries != size ||
	    !(info.map_flags & BPF_F_MMAPABLE)) {
		close(fd);
		return -EINVAL; /* another size (or from before tables were mappable) */
	}
	len = ring_mmap_len(size);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
	} else {
		ring_copy(mem, slots, size);
		munmap(mem, len);
	}
	close(fd);
	return err;
}

int maps_ring_set(struct xlb_maps *m, __u32 vip_id, __u32 bank, const __u32 *slots, __u32 size)
{
	int fd = maps_ring_new(m, slots, size), err;

	if (fd < 0)
		return fd;
	err = maps_ring_install(m, &vip_id, &bank, &fd, 1);
	close(fd);
	return err;
}

int maps_ring_sig_set(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 sig)
{
	__u32 key = XLB_RING_KEY(vip_id, bank);

	return map_update(m->skel->maps.xlb_ring_sig, &key, &sig);
}

int maps_ring_sig_get(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u64 *sig)
{
	__u32 key = XLB_RING_KEY(vip_id, bank);

	return map_lookup(m->skel->maps.xlb_ring_sig, &key, sig);
}

int maps_ring_delete(struct xlb_maps *m, __u32 vip_id)
{
	int err = 0;

	for (__u32 bank = 0; !err && bank < 2; bank++) {
		__u32 key = XLB_RING_KEY(vip_id, bank);
		__u64 none = 0;

		err = map_delete(m->skel->maps.xlb_rings, &key);
		if (err == -ENOENT)
			err = 0;
		if (!err) /* no table: no digest either, or a restart would trust it */
			err = map_update(m->skel->maps.xlb_ring_sig, &key, &none);
	}
	return err;
}

/* xlb_tx_ports value: the ifindex, zero-extended when it is a struct bpf_devmap_val */
int maps_tx_port_add(struct xlb_maps *m, __u32 ifindex)
{
	__u32 val[2] = { ifindex, 0 };

	return map_update(m->skel->maps.xlb_tx_ports, &ifindex, val);
}

int maps_tx_port_del(struct xlb_maps *m, __u32 ifindex)
{
	int err = map_delete(m->skel->maps.xlb_tx_ports, &ifindex);

	return err == -ENOENT ? 0 : err;
}

int maps_flow_lookup(struct xlb_maps *m, const struct xlb_flow_key *k, struct xlb_flow_val *v)
{
	return map_lookup(m->skel->maps.xlb_flows, k, v);
}

int maps_flow_update(struct xlb_maps *m, const struct xlb_flow_key *k, const struct xlb_flow_val *v)
{
	return map_update(m->skel->maps.xlb_flows, k, v);
}

int maps_flow_delete(struct xlb_maps *m, const struct xlb_flow_key *k)
{
	return map_delete(m->skel->maps.xlb_flows, k);
}

int maps_frag_lookup(struct xlb_maps *m, const struct xlb_frag_key *k, struct xlb_frag_val *v)
{
	return map_lookup(m->skel->maps.xlb_frags, k, v);
}

/* Sums the @nwords __u64 words of per-CPU entry @key of @map into @sum. */
static int percpu_sum(struct xlb_maps *m, const struct bpf_map *map, __u32 key, __u64 *sum,
		      size_t nwords)
{
	/* per-CPU values are laid out at an 8-byte stride; ours are __u64-only */
	size_t stride = (bpf_map__value_size(map) + 7) / 8;
	__u64 *vals = calloc((size_t)m->ncpus * stride, sizeof(__u64));
	int err;

	if (!vals)
		return maps_err(bpf_map__name(map), "cannot allocate per-CPU buffer", -ENOMEM);
	err = map_lookup(map, &key, vals);
	if (!err) {
		memset(sum, 0, nwords * sizeof(*sum));
		for (int cpu = 0; cpu < m->ncpus; cpu++)
			for (size_t w = 0; w < nwords; w++)
				sum[w] += vals[cpu * stride + w];
	}
	free(vals);
	return err;
}

int maps_counters_read(struct xlb_maps *m, __u64 *cnt, __u64 *drops)
{
	struct xlb_global_stats sum;
	int err;

	_Static_assert(sizeof(sum) % sizeof(__u64) == 0, "xlb_global_stats is __u64 only");
	err = percpu_sum(m, m->skel->maps.xlb_counters, 0, (__u64 *)&sum,
			 sizeof(sum) / sizeof(__u64));
	if (err)
		return err;
	if (cnt)
		memcpy(cnt, sum.cnt, __XLB_CNT_MAX * sizeof(*cnt));
	if (drops)
		memcpy(drops, sum.drops, __XLB_DROP_MAX * sizeof(*drops));
	return 0;
}

/* Writes zero to every CPU's copy of every entry of a per-CPU array. */
/* Zero entries @first..@last of a per-CPU array on every CPU */
static int percpu_zero(struct xlb_maps *m, const struct bpf_map *map, __u32 first, __u32 last)
{
	size_t stride = (bpf_map__value_size(map) + 7) / 8;
	__u64 *zero = calloc((size_t)m->ncpus * stride, sizeof(__u64));
	int err = 0;

	if (!zero)
		return maps_err(bpf_map__name(map), "cannot allocate per-CPU buffer", -ENOMEM);
	for (__u32 i = first; !err && i <= last; i++)
		err = map_update(map, &i, zero);
	free(zero);
	return err;
}

int maps_counters_reset(struct xlb_maps *m)
{
	return percpu_zero(m, m->skel->maps.xlb_counters, 0, 0);
}

int maps_vip_stats_read(struct xlb_maps *m, __u32 vip_id, struct xlb_vip_stats *sum)
{
	_Static_assert(sizeof(*sum) == 4 * sizeof(__u64), "xlb_vip_stats is four __u64");
	return percpu_sum(m, m->skel->maps.xlb_vip_stats, vip_id, (__u64 *)sum, 4);
}

int maps_be_stats_read(struct xlb_maps *m, __u32 id, struct xlb_be_stats *sum)
{
	_Static_assert(sizeof(*sum) == 3 * sizeof(__u64), "xlb_be_stats is three __u64");
	return percpu_sum(m, m->skel->maps.xlb_be_stats, id, (__u64 *)sum, 3);
}

int maps_vip_stats_reset(struct xlb_maps *m, __u32 vip_id)
{
	return percpu_zero(m, m->skel->maps.xlb_vip_stats, vip_id, vip_id);
}

int maps_be_stats_reset(struct xlb_maps *m, __u32 id)
{
	return percpu_zero(m, m->skel->maps.xlb_be_stats, id, id);
}

/* <pin_dir>/link_<ifname>: the pinned bpf_link that keeps xlb_xdp attached */
static int link_pin_path(const struct xlb_maps *m, const char *ifname, char *buf, size_t len)
{
	if (!m->pin_dir[0])
		return maps_err(ifname, "attach needs pinned maps (pin_root)", -EINVAL);
	if (snprintf(buf, len, "%s/link_%s", m->pin_dir, ifname) >= (int)len)
		return maps_err(ifname, "link pin path", -ENAMETOOLONG);
	return 0;
}

/* A veth drops every frame XDP_TX or XDP_REDIRECT sends into it unless its peer
 * has an XDP program (the driver counts them as xdp_tx_errors, and nothing else
 * shows them): say so at attach. The peer is checked when it is in our network
 * namespace; otherwise the warning says where to look. */
static bool is_veth(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool veth;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	veth = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(di.driver, "veth");
	close(fd);
	return veth;
}

/* /sys/class/net/@ifname/@attr as a number, 0 if unknown */
static unsigned int sysfs_net_uint(const char *ifname, const char *attr)
{
	char path[PATH_MAX];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void veth_peer_check(const char *ifname, unsigned int ifindex)
{
	char peer_name[IF_NAMESIZE] = "";
	unsigned int peer, back = 0;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!is_veth(ifname))
		return;
	peer = sysfs_net_uint(ifname, "iflink");
	/* the peer, if it is in our namespace: its iflink points back at us */
	if (peer && if_indextoname(peer, peer_name))
		back = sysfs_net_uint(peer_name, "iflink");
	if (back == ifindex) {
		if (!bpf_xdp_query(peer, 0, &q) && q.attach_mode != XDP_ATTACHED_NONE)
			return;
		pr_warn("maps: %s: its veth peer %s has no XDP program: frames xlb_xdp sends "
			"back (XDP_TX) or redirects into %s are dropped (ethtool -S %s: "
			"xdp_tx_errors); attach one to %s (an XDP_PASS program is enough)",
			ifname, peer_name, ifname, ifname, peer_name);
		return;
	}
	/* cannot be checked from here: a note, not a warning */
	pr_info("maps: %s: a veth whose peer is in another namespace: frames xlb_xdp sends "
		"into a veth are dropped unless its peer has an XDP program (an XDP_PASS one "
		"is enough); ethtool -S %s shows them as xdp_tx_errors",
		ifname, ifname);
}

/* The MTU of @ifname, 0 if unknown */
static unsigned int iface_mtu(const char *ifname)
{
	return sysfs_net_uint(ifname, "mtu");
}

int maps_attach(struct xlb_maps *m, const char *ifname, bool generic)
{
	struct bpf_link_create_opts lo = { .sz = sizeof(lo) };
	struct bpf_link_info info;
	__u32 info_len = sizeof(info);
	char path[PATH_MAX];
	unsigned int ifindex;
	int fd, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return maps_err(ifname, "no such interface", -errno);
	err = link_pin_path(m, ifname, path, sizeof(path));
	if (err)
		return err;

	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* a link from an earlier run: swap the program in place, never detaching */
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
		if (!err && info.xdp.ifindex == ifindex) {
			err = bpf_link_update(fd, maps_prog_fd(m), NULL);
			close(fd);
			return err ? maps_err(ifname, "link update failed", err) : 0;
		}
		/* the interface went away (and maybe came back): the old link is dead */
		close(fd);
		unlink(path);
	}

	lo.flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(maps_prog_fd(m), ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		unsigned int mtu = iface_mtu(ifname);
		char what[160];

		if (!generic && mtu > XLB_MTU_MAX) {
			/* drivers refuse single-buffer programs on jumbo MTUs */
			snprintf(what, sizeof(what),
				 "native XDP attach failed: mtu %u is above %d, the most xlb_xdp "
				 "(single-buffer XDP) carries; lower it (ip link set %s mtu %d)",
				 mtu, XLB_MTU_MAX, ifname, XLB_MTU_MAX);
			return maps_err(ifname, what, fd);
		}
		return maps_err(ifname,
				generic ? "generic XDP attach failed" :
					  "native XDP attach failed (try generic mode)",
				fd);
	}
	err = bpf_obj_pin(fd, path);
	close(fd); /* the pin holds the link */
	if (err)
		return maps_err(path, "cannot pin link", -errno);
	veth_peer_check(ifname, ifindex);
	return 0;
}

int maps_detach(struct xlb_maps *m, const char *ifname)
{
	char path[PATH_MAX];
	int err = link_pin_path(m, ifname, path, sizeof(path));

	if (err)
		return err;
	/* the last reference goes with the pin: the kernel detaches the program */
	if (unlink(path))
		return maps_err(path, "cannot remove link pin", -errno);
	return 0;
}

int maps_vip_foreach(struct xlb_maps *m,
		     int (*cb)(void *arg, const struct xlb_vip_key *k, const struct xlb_vip_val *v),
		     void *arg)
{
	int fd = bpf_map__fd(m->skel->maps.xlb_vips);
	struct xlb_vip_key k, next;
	struct xlb_vip_val v;
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue; /* deleted meanwhile */
		ret = cb(arg, &k, &v);
		if (ret)
			return ret;
	}
	return 0;
}

int maps_vip_addr_foreach(struct xlb_maps *m,
			  int (*cb)(void *arg, const struct xlb_addr *a, __u32 count), void *arg)
{
	int fd = bpf_map__fd(m->skel->maps.xlb_vip_addrs);
	struct xlb_addr k, next;
	void *prev = NULL;
	__u32 count;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &count))
			continue;
		ret = cb(arg, &k, count);
		if (ret)
			return ret;
	}
	return 0;
}

int maps_ring_lookup(struct xlb_maps *m, __u32 vip_id, __u32 bank, __u32 slot, __u32 *be_id)
{
	__u32 key = XLB_RING_KEY(vip_id, bank), inner_id;
	int fd, err;

	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.xlb_rings), &key, &inner_id))
		return -ENOENT; /* no table: the VIP has no usable backend */
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &slot, be_id) ? -errno : 0;
	close(fd);
	return err;
}

int maps_lc_set(struct xlb_maps *m, __u32 vip_id, const struct xlb_lc_set *set)
{
	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.xlb_lc_sets), &vip_id, set, BPF_ANY))
		return maps_err(XLB_MAP_LC_SETS, "update failed", -errno);
	return 0;
}

int maps_be_active_get(struct xlb_maps *m, __u32 id, __u64 *active)
{
	struct xlb_be_active v;

	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.xlb_be_active), &id, &v))
		return -errno;
	*active = xlb_active_estimate(
		v.cur, v.prev,
		mono_ns()); /* CLOCK_MONOTONIC: the dataplane's coarse clock, finer */
	return 0;
}

int maps_be_active_reset(struct xlb_maps *m, __u32 id)
{
	struct xlb_be_active zero = {};

	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.xlb_be_active), &id, &zero, BPF_ANY))
		return maps_err(XLB_MAP_BE_ACTIVE, "reset failed", -errno);
	return 0;
}

int maps_be_brk_set(struct xlb_maps *m, __u32 id, const struct xlb_be_brk *b)
{
	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.xlb_be_brk), &id, b, BPF_ANY))
		return maps_err(XLB_MAP_BE_BRK, "update failed", -errno);
	return 0;
}

int maps_be_brk_get(struct xlb_maps *m, __u32 id, struct xlb_be_brk *b)
{
	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.xlb_be_brk), &id, b))
		return -errno;
	return 0;
}

int maps_be_pasv_read(struct xlb_maps *m, __u32 id, struct xlb_be_pasv *sum)
{
	_Static_assert(sizeof(*sum) == 4 * sizeof(__u64), "xlb_be_pasv is four __u64");
	return percpu_sum(m, m->skel->maps.xlb_be_pasv, id, (__u64 *)sum, 4);
}

int maps_be_pasv_reset(struct xlb_maps *m, __u32 id)
{
	return percpu_zero(m, m->skel->maps.xlb_be_pasv, id, id);
}

/* ---- policy (issue 5, <xlb/policy_abi.h>) ---- */

int maps_pol_trie_new(struct xlb_maps *m, int family)
{
	struct bpf_map_create_opts o = { .sz = sizeof(o), .map_flags = BPF_F_NO_PREALLOC };
	__u32 ks = family == XLB_FAMILY_V4 ? sizeof(struct xlb_pol_key4) :
					     sizeof(struct xlb_pol_key6);
	int fd;

	(void)m;
	/* flags and max_entries must equal the template's (LPM tries cannot take
	 * BPF_F_INNER_MAP, so every inner trie has the same size) */
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE,
			    family == XLB_FAMILY_V4 ? "xlb_pol4_in" : "xlb_pol6_in", ks,
			    sizeof(struct xlb_pol_chain), XLB_POL_PREFIX_MAX, &o);
	if (fd < 0)
		return maps_err(family == XLB_FAMILY_V4 ? XLB_MAP_POL4 : XLB_MAP_POL6,
				"cannot create a rule trie", -errno);
	return fd;
}

int maps_pol_trie_install(struct xlb_maps *m, int family, __u32 bank, int fd)
{
	const struct bpf_map *outer = family == XLB_FAMILY_V4 ? m->skel->maps.xlb_pol4 :
								m->skel->maps.xlb_pol6;

	if (bpf_map_update_elem(bpf_map__fd(outer), &bank, &fd, BPF_ANY))
		return maps_err(bpf_map__name(outer), "cannot install a rule trie", -errno);
	return 0;
}

/* Bulk array writes: one syscall per chunk where the kernel allows it */
static int array_write(const struct bpf_map *map, const __u32 *keys, const void *vals, __u32 n,
		       size_t vsize)
{
	struct bpf_map_batch_opts bo = { .sz = sizeof(bo) };
	__u32 done = 0, cnt;
	int fd = bpf_map__fd(map);

	while (done < n) {
		cnt = n - done;
		if (!bpf_map_update_batch(fd, keys + done, (const char *)vals + done * vsize, &cnt,
					  &bo)) {
			done += cnt;
			continue;
		}
		/* no batch support: one at a time */
		for (; done < n; done++)
			if (bpf_map_update_elem(fd, keys + done, (const char *)vals + done * vsize,
						BPF_ANY))
				return maps_err(bpf_map__name(map), "update failed", -errno);
	}
	return 0;
}

int maps_pol_rules_write(struct xlb_maps *m, __u32 bank, const __u32 *ids,
			 const struct xlb_pol_rule *rules, __u32 n)
{
	__u32 *keys = malloc((n + 1) * sizeof(*keys)), i;
	int err;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = bank * XLB_POL_RULES_MAX + ids[i];
	err = array_write(m->skel->maps.xlb_pol_rules, keys, rules, n, sizeof(*rules));
	free(keys);
	return err;
}

int maps_pol_trie_update(struct xlb_maps *m, int fd, int family, const void *key,
			 const struct xlb_pol_chain *chain)
{
	(void)m;
	if (bpf_map_update_elem(fd, key, chain, BPF_ANY))
		return maps_err(family == XLB_FAMILY_V4 ? XLB_MAP_POL4 : XLB_MAP_POL6,
				"cannot add a prefix", -errno);
	return 0;
}

int maps_pol_trie_delete(struct xlb_maps *m, int fd, int family, const void *key)
{
	(void)m;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return maps_err(family == XLB_FAMILY_V4 ? XLB_MAP_POL4 : XLB_MAP_POL6,
				"cannot remove a prefix", -errno);
	return 0;
}

int maps_pol_scopes_write(struct xlb_maps *m, __u32 bank, const struct xlb_pol_scope *sc)
{
	__u32 *keys = malloc(XLB_POL_SCOPES * sizeof(*keys)), i;
	int err;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < XLB_POL_SCOPES; i++)
		keys[i] = bank * XLB_POL_SCOPES + i;
	err = array_write(m->skel->maps.xlb_pol_scopes, keys, sc, XLB_POL_SCOPES, sizeof(*sc));
	free(keys);
	return err;
}

int maps_pol_hits_read(struct xlb_maps *m, __u32 id, __u64 *hits)
{
	return percpu_sum(m, m->skel->maps.xlb_pol_hits, id, hits, 1);
}

int maps_pol_hits_reset(struct xlb_maps *m, __u32 id)
{
	return percpu_zero(m, m->skel->maps.xlb_pol_hits, id, id);
}

int maps_rl_cfg_set(struct xlb_maps *m, __u32 scope, const struct xlb_rl_cfg *c)
{
	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.xlb_rl_cfg), &scope, c, BPF_ANY))
		return maps_err(XLB_MAP_RL_CFG, "update failed", -errno);
	return 0;
}

int maps_rl_ceil_reset(struct xlb_maps *m, __u32 vip_id)
{
	__u64 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.xlb_rl_ceil), &vip_id, &zero, BPF_ANY))
		return maps_err(XLB_MAP_RL_CEIL, "reset failed", -errno);
	return 0;
}

int maps_unpin(struct xlb_maps *m)
{
	char path[PATH_MAX];
	int err;

	if (!m->pin_dir[0])
		return 0;
	err = bpf_object__unpin_maps(m->skel->obj, NULL);
	if (err)
		return maps_err(m->pin_dir, "cannot unpin maps", err);
	/* reused by fd, so libbpf does not know its pin */
	if (snprintf(path, sizeof(path), "%s/%s", m->pin_dir, XLB_MAP_TX_PORTS) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return maps_err(path, "cannot unpin", -errno);
	if (rmdir(m->pin_dir) && errno != ENOENT)
		return maps_err(m->pin_dir, "cannot remove pin directory", -errno);
	return 0;
}

int maps_flow_count_step(struct xlb_maps *m, struct maps_flow_count *fc, __u32 budget)
{
	struct bpf_map_batch_opts bo = { .sz = sizeof(bo) };
	int fd = bpf_map__fd(m->skel->maps.xlb_flows);
	__u32 n = budget, out;
	int err;

	if (!fc->keys || fc->cap < budget) {
		free(fc->keys);
		free(fc->vals);
		fc->keys = calloc(budget, sizeof(struct xlb_flow_key));
		fc->vals = calloc(budget, sizeof(struct xlb_flow_val));
		fc->cap = fc->keys && fc->vals ? budget : 0;
		if (!fc->cap)
			return -ENOMEM;
	}
	err = bpf_map_lookup_batch(fd, fc->started ? &fc->token : NULL, &out, fc->keys, fc->vals,
				   &n, &bo);
	if (err && errno != ENOENT)
		return -errno;
	fc->counting += n;
	fc->token = out;
	fc->started = true;
	if (err) { /* ENOENT: the pass is complete */
		fc->last = fc->counting;
		fc->counting = 0;
		fc->started = false;
		fc->passes++;
	}
	return 0;
}

void maps_flow_count_free(struct maps_flow_count *fc)
{
	free(fc->keys);
	free(fc->vals);
	memset(fc, 0, sizeof(*fc));
}
