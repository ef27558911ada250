// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ifstats: the driver's XDP transmit-failure counters of an interface, read with
 * the ethtool ioctls (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include "agent/dataplane/ifstats.h"

int ifstats_is_xdp_tx_error(const char *name)
{
	return (strstr(name, "xdp") && strstr(name, "err")) || strstr(name, "xdp_tx_drops");
}

static int ethtool(int fd, const char *ifname, void *data)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

int ifstats_xdp_tx_errors(const char *ifname, uint64_t *sum, unsigned int *found)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *vals = NULL;
	int fd, err;
	__u32 n, i;

	*sum = 0;
	*found = 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ethtool(fd, ifname, &info);
	if (err || !info.hdr.sset_mask) {
		close(fd);
		return err == -EOPNOTSUPP ? 0 : err; /* no statistics: none of ours */
	}
	n = info.len;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(__u64));
	if (!names || !vals) {
		err = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	err = ethtool(fd, ifname, names);
	if (!err)
		err = ethtool(fd, ifname, vals);
	for (i = 0; !err && i < n && i < vals->n_stats; i++) {
		char name[ETH_GSTRING_LEN + 1] = "";

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		if (ifstats_is_xdp_tx_error(name)) {
			*sum += vals->data[i];
			(*found)++;
		}
	}
out:
	free(names);
	free(vals);
	close(fd);
	return err;
}
