/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Next hops: route and neighbour lookups (egress interface, next-hop and source MAC)
 * for backend addresses, and the neighbour/route change events that invalidate them.
 */
#ifndef XLB_AGENT_NETLINK_H
#define XLB_AGENT_NETLINK_H

#include <stdint.h>
#include <xlb/types.h>

struct nh_ctx; /* opaque: one query socket and one event socket */

struct nh_entry {
	uint32_t ifindex; /* egress interface */
	uint8_t dmac[6];  /* MAC of the next hop (gateway, or the destination itself) */
	uint8_t smac[6];  /* MAC of the egress interface */
	uint8_t gateway;  /* 1: reached through @via as a router; 0: directly connected */
	uint8_t pad[3];
	struct xlb_addr via; /* the neighbour whose MAC is @dmac */
};

/* What changed: passed to the netlink_process_events() callback */
enum {
	NH_EV_NEIGH = 1, /* a neighbour entry was added, changed or deleted; addr is its address */
	NH_EV_ROUTE = 2, /* a route changed (addr NULL), or events were lost: re-resolve all */
};

typedef void (*nh_event_cb)(void *arg, int what, const struct xlb_addr *addr);

/* Opens the query and event sockets (NETLINK_ROUTE, in the caller's network namespace).
 * Returns NULL and sets errno on failure.
 */
struct nh_ctx *netlink_open(void);
void netlink_close(struct nh_ctx *ctx);

/**
 * netlink_resolve() - how to reach @dst from here
 * @ctx: from netlink_open()
 * @dst: destination (XLB_FAMILY_V4 or XLB_FAMILY_V6)
 * @out: filled on success
 *
 * Asks the kernel for the route to @dst (RTM_GETROUTE: the egress interface and the
 * gateway the kernel itself would use), then for the neighbour entry of the gateway,
 * or of @dst when directly connected, on that interface (RTM_GETNEIGH), then for the
 * interface's MAC (RTM_GETLINK). A neighbour is usable in NUD_REACHABLE, STALE, DELAY,
 * PROBE, PERMANENT, and NOARP when it has a MAC.
 *
 * When the neighbour is missing, NUD_NONE or NUD_FAILED, asks the kernel to resolve it
 * (RTM_NEWNEIGH with NTF_USE: the kernel creates the entry if needed and sends an
 * ARP request / neighbour solicitation, exactly as if a packet were queued; no packet
 * reaches the destination) and returns -EAGAIN; also -EAGAIN while NUD_INCOMPLETE.
 * The entry's change is then reported as an NH_EV_NEIGH event.
 *
 * Return: 0; -EAGAIN (neighbour not resolved yet); -ENETUNREACH or -EHOSTUNREACH (no
 * route); -EINVAL (@dst is not a unicast destination, e.g. a local address, or has an
 * unknown family); -EOPNOTSUPP (the egress interface is not Ethernet); other -errno.
 */
int netlink_resolve(struct nh_ctx *ctx, const struct xlb_addr *dst, struct nh_entry *out);

/* Non-blocking file descriptor that becomes readable when change events are pending */
int netlink_event_fd(const struct nh_ctx *ctx);

/* Drains pending events, calling @cb for every IPv4/IPv6 neighbour or route change.
 * When the kernel dropped events (receive buffer overrun), calls @cb once with
 * NH_EV_ROUTE and NULL: everything must be re-resolved.
 * Return: the number of callbacks made (>= 0) or -errno.
 */
int netlink_process_events(struct nh_ctx *ctx, nh_event_cb cb, void *arg);

#endif /* XLB_AGENT_NETLINK_H */
