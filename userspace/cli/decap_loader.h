/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* xlb_decap on a backend, without lbd: load, attach, query, detach. Shared by
 * `lbctl decap` and the tests. Nothing is pinned: the program is attached with a
 * plain netlink XDP attach (no bpf_link), so it stays after the process exits and
 * works where /sys/fs/bpf is not a bpffs (e.g. under `ip netns exec`).
 * Every function returns 0 or a negative errno (STYLE 42).
 */
#ifndef XLB_CLI_DECAP_LOADER_H
#define XLB_CLI_DECAP_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <xlb/stats.h>
#include <xlb/types.h>

/* What is attached to one interface */
struct decap_info {
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	uint32_t prog_id;
	char prog_name[16]; /* BPF_OBJ_NAME_LEN */
	const char *mode;   /* "native", "generic" or "offload" */
	bool generic;	    /* attached in generic (skb) mode */
};

struct decap_attach_opts {
	const struct xlb_addr *addrs; /* tunnel endpoints; NULL = decap_local_addrs() */
	int n_addrs;
	uint16_t gue_port; /* host order; 0 = XLB_GUE_PORT_DEFAULT */
	bool generic;	   /* generic (skb) mode instead of native */
};

/* The program attached to @ifname, if any.
 * Returns 0, -ENODEV (no such interface), -ENOENT (no XDP program attached).
 */
int decap_query(const char *ifname, struct decap_info *info);

/* True if @info names an xlb_decap program */
bool decap_is_ours(const struct decap_info *info);

/* Every address of this network namespace a tunnel may target: all IPv4 and
 * IPv6 addresses except those on loopback interfaces (where VIPs live),
 * 127.0.0.0/8, ::1 and IPv6 link-local (fe80::/10). Duplicates are dropped.
 * Returns the count (at most @max), -E2BIG if there are more, or -errno.
 */
int decap_local_addrs(struct xlb_addr *addrs, int max);

/* Load a fresh xlb_decap, fill its addresses and attach it to @ifname. An
 * xlb_decap already there is replaced atomically (XDP_FLAGS_REPLACE) in the same
 * mode, or detached first when the mode changes. *@old describes what was there
 * (prog_id 0 if nothing). Returns 0, -ENODEV, -EBUSY (another program is
 * attached: *old names it), -E2BIG (too many addresses), -ENOENT (no
 * address), or the errno of the failed load/attach.
 */
int decap_attach(const char *ifname, const struct decap_attach_opts *opts, struct decap_info *old);

/* Detach xlb_decap from @ifname. Returns 0, -ENODEV, -ENOENT (nothing
 * attached), -EBUSY (another program: *info names it) or -errno.
 */
int decap_detach(const char *ifname, struct decap_info *info);

/* Read the tunnel addresses (up to @max, count in *@n) and the counters summed
 * over CPUs of the xlb_decap program @info names, through its map ids.
 */
int decap_read(const struct decap_info *info, struct xlb_addr *addrs, int max, int *n,
	       uint64_t cnt[__XLB_DCAP_MAX]);

#endif /* XLB_CLI_DECAP_LOADER_H */
