/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ifstats: what the NIC driver says about the frames XDP sends (ethtool statistics).
 * A driver may drop what XDP_TX or XDP_REDIRECT hands it (a veth whose peer has no
 * XDP program, a full TX ring) and count it only in its own statistics; lbctl stats
 * and the metrics show those counters for every interface lbd attached to.
 */
#ifndef XLB_AGENT_IFSTATS_H
#define XLB_AGENT_IFSTATS_H

#include <stdint.h>

/* The sum of @ifname's ethtool statistics that count frames XDP sent and the driver
 * failed to transmit: names holding "xdp" and "err" (veth: rx_queue_N_xdp_tx_errors,
 * tx_queue_N_xdp_xmit_errors; mlx5: tx_xdp_err, ...) or "xdp_tx_drops" (virtio_net).
 * 0 with *found = 0 when the driver has none. Returns 0 or -errno. */
int ifstats_xdp_tx_errors(const char *ifname, uint64_t *sum, unsigned int *found);

/* Whether the statistics name @name counts XDP transmit failures (as above) */
int ifstats_is_xdp_tx_error(const char *name);

#endif /* XLB_AGENT_IFSTATS_H */
