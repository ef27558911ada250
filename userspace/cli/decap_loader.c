// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_decap without lbd: loads the skeleton unpinned, attaches it with a plain
 * netlink XDP attach and finds it again through the kernel's program and map ids.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xlb/abi.h>
#include <xlb/consts.h>
#include "cli/decap_loader.h"
#include "xlb_decap.skel.h"

#define DECAP_MAX_MAP_IDS 8

static uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(unsigned long)p;
}

bool decap_is_ours(const struct decap_info *info)
{
	return info->prog_id && !strcmp(info->prog_name, XLB_PROG_DECAP);
}

int decap_query(const char *ifname, struct decap_info *info)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info pinfo = {};
	uint32_t len = sizeof(pinfo);
	int err, fd;

	memset(info, 0, sizeof(*info));
	if (strlen(ifname) >= sizeof(info->ifname))
		return -ENODEV;
	strcpy(info->ifname, ifname);
	info->ifindex = if_nametoindex(ifname);
	if (!info->ifindex)
		return -ENODEV;
	err = bpf_xdp_query((int)info->ifindex, 0, &q);
	if (err)
		return err;
	/* native and generic cannot coexist; offload (hw) is only reported */
	if (q.drv_prog_id) {
		info->prog_id = q.drv_prog_id;
		info->mode = "native";
	} else if (q.skb_prog_id) {
		info->prog_id = q.skb_prog_id;
		info->mode = "generic";
		info->generic = true;
	} else if (q.hw_prog_id) {
		info->prog_id = q.hw_prog_id;
		info->mode = "offload";
	} else {
		return -ENOENT;
	}
	fd = bpf_prog_get_fd_by_id(info->prog_id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &pinfo, &len);
	close(fd);
	if (err)
		return -errno;
	snprintf(info->prog_name, sizeof(info->prog_name), "%s", pinfo.name);
	return 0;
}

static bool addr_usable(const struct ifaddrs *ifa, struct xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!ifa->ifa_addr || (ifa->ifa_flags & IFF_LOOPBACK))
		return false;
	if (ifa->ifa_addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ifa->ifa_addr;

		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			return false;
		a->addr[0] = sin->sin_addr.s_addr;
		a->family = XLB_FAMILY_V4;
		return true;
	}
	if (ifa->ifa_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ifa->ifa_addr;

		if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
		    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return false;
		memcpy(a->addr, &sin6->sin6_addr, 16);
		a->family = XLB_FAMILY_V6;
		return true;
	}
	return false;
}

int decap_local_addrs(struct xlb_addr *addrs, int max)
{
	struct ifaddrs *list, *ifa;
	struct xlb_addr a;
	int n = 0, i;

	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!addr_usable(ifa, &a))
			continue;
		for (i = 0; i < n; i++)
			if (!memcmp(&addrs[i], &a, sizeof(a)))
				break;
		if (i < n)
			continue;
		if (n == max) {
			freeifaddrs(list);
			return -E2BIG;
		}
		addrs[n++] = a;
	}
	freeifaddrs(list);
	return n;
}

/* open (unpinned) → rodata → load → addresses; the skeleton in *out on success */
static int decap_load(const struct decap_attach_opts *opts, const struct xlb_addr *addrs, int n,
		      struct xlb_decap_bpf **out)
{
	struct xlb_decap_bpf *skel;
	struct bpf_map *map;
	uint32_t one = 1;
	int err, fd, i;

	skel = xlb_decap_bpf__open();
	if (!skel)
		return -errno;
	/* No pins: the maps live as long as the attached program holds them */
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			goto out_destroy;
	}
	if (bpf_map__key_size(skel->maps.xlb_dcap_addrs) != sizeof(struct xlb_addr) ||
	    bpf_map__value_size(skel->maps.xlb_dcap_cnt) != sizeof(struct xlb_decap_stats)) {
		err = -EPROTO; /* object and headers disagree (STYLE 11) */
		goto out_destroy;
	}
	skel->rodata->xlb_decap_gue_port = opts->gue_port;
	err = xlb_decap_bpf__load(skel);
	if (err)
		goto out_destroy;
	fd = bpf_map__fd(skel->maps.xlb_dcap_addrs);
	for (i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &addrs[i], &one, BPF_ANY)) {
			err = -errno;
			goto out_destroy;
		}
	}
	*out = skel;
	return 0;

out_destroy:
	xlb_decap_bpf__destroy(skel);
	return err;
}

static uint32_t mode_flag(bool generic)
{
	return generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

int decap_attach(const char *ifname, const struct decap_attach_opts *opts, struct decap_info *old)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	struct xlb_addr local[XLB_DCAP_ADDRS_MAX];
	const struct xlb_addr *addrs = opts->addrs;
	struct xlb_decap_bpf *skel = NULL;
	int err, n = opts->n_addrs, old_fd = -1;
	uint32_t flags;

	err = decap_query(ifname, old);
	if (err == -ENOENT)
		err = 0; /* nothing attached: old->prog_id stays 0 */
	if (err)
		return err;
	if (old->prog_id && !decap_is_ours(old))
		return -EBUSY;
	if (!addrs) {
		n = decap_local_addrs(local, XLB_DCAP_ADDRS_MAX);
		if (n < 0)
			return n;
		addrs = local;
	}
	if (n > XLB_DCAP_ADDRS_MAX)
		return -E2BIG;
	if (!n)
		return -ENOENT;
	err = decap_load(opts, addrs, n, &skel);
	if (err)
		return err;

	flags = mode_flag(opts->generic);
	if (old->prog_id) {
		old_fd = bpf_prog_get_fd_by_id(old->prog_id);
		if (old_fd < 0) {
			err = -errno;
			goto out_destroy;
		}
		ao.old_prog_fd = old_fd;
	}
	if (old->prog_id && old->generic != opts->generic) {
		/* the kernel refuses native and generic at once: detach, then attach */
		err = bpf_xdp_detach((int)old->ifindex, XDP_FLAGS_REPLACE | mode_flag(old->generic),
				     &ao);
		if (err)
			goto out_close;
		ao.old_prog_fd = 0;
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	} else if (old->prog_id) {
		/* atomic swap, and only if the program we checked is still the one there */
		flags |= XDP_FLAGS_REPLACE;
	} else {
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	err = bpf_xdp_attach((int)old->ifindex, bpf_program__fd(skel->progs.xlb_decap), flags,
			     ao.old_prog_fd ? &ao : NULL);

out_close:
	if (old_fd >= 0)
		close(old_fd);
out_destroy:
	/* the attached program keeps itself and its maps alive */
	xlb_decap_bpf__destroy(skel);
	return err;
}

int decap_detach(const char *ifname, struct decap_info *info)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	int err, fd;

	err = decap_query(ifname, info);
	if (err)
		return err;
	if (!decap_is_ours(info))
		return -EBUSY;
	fd = bpf_prog_get_fd_by_id(info->prog_id);
	if (fd < 0)
		return -errno;
	ao.old_prog_fd = fd;
	err = bpf_xdp_detach((int)info->ifindex, XDP_FLAGS_REPLACE | mode_flag(info->generic), &ao);
	close(fd);
	return err;
}

/* fd of the map of program @prog_fd named @name, or -errno */
static int prog_map_fd(int prog_fd, const char *name, struct bpf_map_info *minfo)
{
	uint32_t ids[DECAP_MAX_MAP_IDS], len, i;
	struct bpf_prog_info pinfo = {};
	int fd;

	len = sizeof(pinfo);
	pinfo.nr_map_ids = DECAP_MAX_MAP_IDS;
	pinfo.map_ids = ptr_to_u64(ids);
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len))
		return -errno;
	for (i = 0; i < pinfo.nr_map_ids && i < DECAP_MAX_MAP_IDS; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(minfo, 0, sizeof(*minfo));
		len = sizeof(*minfo);
		if (!bpf_obj_get_info_by_fd(fd, minfo, &len) && !strcmp(minfo->name, name))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int read_addrs(int prog_fd, struct xlb_addr *addrs, int max, int *n)
{
	struct bpf_map_info minfo;
	struct xlb_addr key, next;
	void *prev = NULL;
	int fd, err = 0;

	*n = 0;
	fd = prog_map_fd(prog_fd, XLB_MAP_DECAP_ADDRS, &minfo);
	if (fd < 0)
		return fd;
	if (minfo.key_size != sizeof(struct xlb_addr)) {
		err = -EPROTO;
		goto out_close;
	}
	while (*n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		addrs[(*n)++] = next;
		key = next;
		prev = &key;
	}
out_close:
	close(fd);
	return err;
}

static int read_counters(int prog_fd, uint64_t cnt[__XLB_DCAP_MAX])
{
	struct xlb_decap_stats *vals;
	struct bpf_map_info minfo;
	uint32_t key = 0;
	int fd, ncpus, cpu, i, err = 0;

	memset(cnt, 0, sizeof(uint64_t) * __XLB_DCAP_MAX);
	fd = prog_map_fd(prog_fd, XLB_MAP_DECAP_CNT, &minfo);
	if (fd < 0)
		return fd;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0 || minfo.value_size != sizeof(*vals)) {
		err = ncpus < 0 ? ncpus : -EPROTO;
		goto out_close;
	}
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals) {
		err = -ENOMEM;
		goto out_close;
	}
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		err = -errno;
	} else {
		for (cpu = 0; cpu < ncpus; cpu++)
			for (i = 0; i < __XLB_DCAP_MAX; i++)
				cnt[i] += vals[cpu].cnt[i];
	}
	free(vals);
out_close:
	close(fd);
	return err;
}

int decap_read(const struct decap_info *info, struct xlb_addr *addrs, int max, int *n,
	       uint64_t cnt[__XLB_DCAP_MAX])
{
	int fd, err;

	fd = bpf_prog_get_fd_by_id(info->prog_id);
	if (fd < 0)
		return -errno;
	err = read_addrs(fd, addrs, max, n);
	if (!err)
		err = read_counters(fd, cnt);
	close(fd);
	return err;
}
