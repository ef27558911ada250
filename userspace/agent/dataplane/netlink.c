// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Next hops through rtnetlink (libnl): route, neighbour and link queries that give a
 * backend's egress interface and MACs, and the neighbour/route change events.
 * The only file of the project that includes libnl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/parse.h"
#include "agent/dataplane/netlink.h"

/* One query in flight on the query socket */
struct nh_req {
	int (*parse)(struct nlmsghdr *nlh, void *arg); /* each reply message; 0 or -errno */
	void *arg;
	uint32_t seq; /* replies to older, abandoned queries are ignored */
	int err;      /* first error: the kernel's, or the parser's */
	int done;     /* ACK or error seen */
};

/* Events being drained */
struct nh_ev {
	nh_event_cb cb;
	void *arg;
	int count;
};

struct neigh_res {
	int got;
	uint32_t flags_ext; /* NTF_EXT_* */
	uint16_t state;
	int lladdr_len;
	uint8_t lladdr[6];
};

struct link_res {
	int got;
	uint16_t type;
	int addr_len;
	uint8_t addr[6];
};

/* Usable neighbours and links of the last resolutions. A start resolves every
 * backend, most of them through the same few neighbours and links: 100,000
 * backends behind one router asked 300,000 questions (route, neighbour, link
 * each), now 100,000 (the route). An answer is kept NH_CACHE_MS and dropped at
 * the first netlink event drained (which re-resolves what it concerns anyway). */
#define NH_CACHE_N 16
#define NH_CACHE_MS 200

struct nh_cache_neigh {
	struct xlb_addr via;
	uint32_t oif;
	uint64_t at_ms, epoch;
	struct neigh_res nb;
};

struct nh_cache_link {
	uint32_t ifindex;
	uint64_t at_ms, epoch;
	struct link_res lk;
};

struct nh_ctx {
	struct nl_sock *qsk; /* queries: route, neighbour, link */
	struct nl_cb *qcb;
	struct nh_req req;
	struct nl_sock *esk; /* events: RTNLGRP_NEIGH, RTNLGRP_IPV{4,6}_ROUTE */
	struct nl_cb *ecb;
	struct nh_ev ev;
	uint64_t epoch; /* + 1 at every drain that saw an event: older answers go */
	struct nh_cache_neigh cn[NH_CACHE_N];
	struct nh_cache_link cl[NH_CACHE_N];
	unsigned int cn_next, cl_next;
};

/* libnl's error codes lose the errno; keep the common ones */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

static int addr_to_af(const struct xlb_addr *a, const void **bytes, int *len)
{
	*bytes = a->addr;
	switch (a->family) {
	case XLB_FAMILY_V4:
		*len = 4;
		return AF_INET;
	case XLB_FAMILY_V6:
		*len = 16;
		return AF_INET6;
	default:
		return -EINVAL;
	}
}

/* 0, or -EINVAL for another family or a wrong length */
static int addr_from_af(struct xlb_addr *a, int af, const void *bytes, int len)
{
	memset(a, 0, sizeof(*a));
	if (af == AF_INET && len == 4) {
		a->family = XLB_FAMILY_V4;
	} else if (af == AF_INET6 && len == 16) {
		a->family = XLB_FAMILY_V6;
	} else {
		return -EINVAL;
	}
	memcpy(a->addr, bytes, len);
	return 0;
}

static const char *addr_str(const struct xlb_addr *a, char *buf, size_t size)
{
	if (format_addr(a, buf, size))
		snprintf(buf, size, "(family %u)", a->family);
	return buf;
}

static int req_valid(struct nl_msg *msg, void *arg)
{
	struct nh_req *req = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	if (nlh->nlmsg_seq != req->seq || req->done)
		return NL_SKIP;
	err = req->parse(nlh, req->arg);
	if (err && !req->err)
		req->err = err;
	return NL_OK;
}

static int req_ack(struct nl_msg *msg, void *arg)
{
	struct nh_req *req = arg;

	if (nlmsg_hdr(msg)->nlmsg_seq != req->seq)
		return NL_SKIP;
	req->done = 1;
	return NL_STOP;
}

static int req_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nh_req *req = arg;

	if (e->msg.nlmsg_seq != req->seq)
		return NL_SKIP;
	if (!req->err)
		req->err = e->error < 0 ? e->error : -EIO;
	req->done = 1;
	return NL_STOP;
}

static int seq_any(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

/* Sends @msg (freed here) and collects replies until the kernel's ACK or error */
static int nh_request(struct nh_ctx *ctx, struct nl_msg *msg,
		      int (*parse)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct nh_req *req = &ctx->req;
	int err;

	memset(req, 0, sizeof(*req));
	req->parse = parse;
	req->arg = arg;
	err = nl_send_auto(ctx->qsk, msg);
	req->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (err < 0)
		return nlerr_to_errno(err);
	while (!req->done) {
		err = nl_recvmsgs(ctx->qsk, ctx->qcb);
		if (err < 0 && !req->done)
			return nlerr_to_errno(err);
	}
	return req->err;
}

/* A request message with a fixed header; NULL and errno on failure */
static struct nl_msg *msg_new(int type, int flags, const void *hdr, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg) {
		errno = ENOMEM;
		return NULL;
	}
	if (nlmsg_append(msg, (void *)hdr, len, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		errno = ENOMEM;
		return NULL;
	}
	return msg;
}

struct route_res {
	int got;
	int type;
	uint32_t oif;
	int gw_af; /* 0: directly connected */
	uint8_t gw[16];
	int gw_len;
};

static int route_parse(struct nlmsghdr *nlh, void *arg)
{
	struct route_res *res = arg;
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || res->got)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EBADMSG;
	rtm = nlmsg_data(nlh);
	res->got = 1;
	res->type = rtm->rtm_type;
	if (tb[RTA_OIF] && nla_len(tb[RTA_OIF]) >= 4)
		res->oif = nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY]) {
		int len = nla_len(tb[RTA_GATEWAY]);

		if (len != 4 && len != 16)
			return -EBADMSG;
		res->gw_af = rtm->rtm_family;
		res->gw_len = len;
		memcpy(res->gw, nla_data(tb[RTA_GATEWAY]), len);
	} else if (tb[RTA_VIA]) {
		/* IPv4 route through an IPv6 gateway (struct rtvia: family, address) */
		const uint8_t *via = nla_data(tb[RTA_VIA]);
		int len = nla_len(tb[RTA_VIA]) - 2;
		uint16_t fam;

		if (len != 4 && len != 16)
			return -EBADMSG;
		memcpy(&fam, via, sizeof(fam));
		res->gw_af = fam;
		res->gw_len = len;
		memcpy(res->gw, via + 2, len);
	}
	return 0;
}

static int route_get(struct nh_ctx *ctx, const struct xlb_addr *dst, struct route_res *res)
{
	struct rtmsg rtm = {};
	struct nl_msg *msg;
	const void *bytes;
	int af, len, err;

	af = addr_to_af(dst, &bytes, &len);
	if (af < 0)
		return af;
	rtm.rtm_family = af;
	rtm.rtm_dst_len = len * 8;
	msg = msg_new(RTM_GETROUTE, 0, &rtm, sizeof(rtm));
	if (!msg)
		return -errno;
	if (nla_put(msg, RTA_DST, len, bytes) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(res, 0, sizeof(*res));
	err = nh_request(ctx, msg, route_parse, res);
	if (err)
		return err;
	return res->got ? 0 : -EBADMSG;
}

static int neigh_parse(struct nlmsghdr *nlh, void *arg)
{
	struct neigh_res *res = arg;
	struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || res->got)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return -EBADMSG;
	ndm = nlmsg_data(nlh);
	res->got = 1;
	res->state = ndm->ndm_state;
	if (tb[NDA_FLAGS_EXT] && nla_len(tb[NDA_FLAGS_EXT]) == 4)
		res->flags_ext = nla_get_u32(tb[NDA_FLAGS_EXT]);
	if (tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6) {
		res->lladdr_len = 6;
		memcpy(res->lladdr, nla_data(tb[NDA_LLADDR]), 6);
	}
	return 0;
}

/* RTM_GETNEIGH (RTM_NEWNEIGH with NTF_USE when @trigger) for @af/@addr on @ifindex */
#define NEIGH_GET 0
#define NEIGH_RESOLVE 1 /* create if missing and resolve (NTF_USE) */
#define NEIGH_MANAGED 2 /* create a managed entry, or make one managed */

static int neigh_msg(struct nh_ctx *ctx, int trigger, int af, const void *addr, int len,
		     uint32_t ifindex, struct neigh_res *res)
{
	struct ndmsg ndm = {};
	struct nl_msg *msg;

	ndm.ndm_family = af;
	ndm.ndm_ifindex = ifindex;
	if (trigger == NEIGH_MANAGED) {
		/* A managed entry (5.16+): the kernel keeps it resolved by itself and its
		 * garbage collector leaves it alone. XDP traffic never refreshes a
		 * neighbour entry, so a plain one goes stale and is removed. */
		ndm.ndm_state = NUD_NONE; /* an existing entry keeps its state and address */
		msg = msg_new(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &ndm, sizeof(ndm));
		if (msg && nla_put_u32(msg, NDA_FLAGS_EXT, NTF_EXT_MANAGED) < 0) {
			nlmsg_free(msg);
			return -ENOMEM;
		}
	} else if (trigger) {
		/* kernel: create the entry if missing, then neigh_event_send() it */
		ndm.ndm_flags = NTF_USE;
		msg = msg_new(RTM_NEWNEIGH, NLM_F_CREATE, &ndm, sizeof(ndm));
	} else {
		msg = msg_new(RTM_GETNEIGH, 0, &ndm, sizeof(ndm));
	}
	if (!msg)
		return -errno;
	if (nla_put(msg, NDA_DST, len, addr) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(res, 0, sizeof(*res));
	return nh_request(ctx, msg, neigh_parse, res);
}

static int link_parse(struct nlmsghdr *nlh, void *arg)
{
	struct link_res *res = arg;
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || res->got)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	ifi = nlmsg_data(nlh);
	res->got = 1;
	res->type = ifi->ifi_type;
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6) {
		res->addr_len = 6;
		memcpy(res->addr, nla_data(tb[IFLA_ADDRESS]), 6);
	}
	return 0;
}

static int link_get(struct nh_ctx *ctx, uint32_t ifindex, struct link_res *res)
{
	struct ifinfomsg ifi = {};
	struct nl_msg *msg;
	int err;

	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	msg = msg_new(RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if (!msg)
		return -errno;
	memset(res, 0, sizeof(*res));
	err = nh_request(ctx, msg, link_parse, res);
	if (err)
		return err;
	return res->got ? 0 : -EBADMSG;
}

static int neigh_usable(const struct neigh_res *n)
{
	const uint16_t ok = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			    NUD_NOARP;
	static const uint8_t zero[6];

	if (!n->got || !(n->state & ok) || n->lladdr_len != 6)
		return 0;
	return memcmp(n->lladdr, zero, 6) != 0;
}

static bool cache_fresh(const struct nh_ctx *ctx, uint64_t at_ms, uint64_t epoch, uint64_t now)
{
	return at_ms && epoch == ctx->epoch && now - at_ms < NH_CACHE_MS;
}

static const struct neigh_res *cache_neigh(const struct nh_ctx *ctx, const struct xlb_addr *via,
					   uint32_t oif, uint64_t now)
{
	for (int i = 0; i < NH_CACHE_N; i++) {
		const struct nh_cache_neigh *c = &ctx->cn[i];

		if (cache_fresh(ctx, c->at_ms, c->epoch, now) && c->oif == oif &&
		    c->via.family == via->family &&
		    !memcmp(c->via.addr, via->addr, sizeof(via->addr)))
			return &c->nb;
	}
	return NULL;
}

static const struct link_res *cache_link(const struct nh_ctx *ctx, uint32_t ifindex, uint64_t now)
{
	for (int i = 0; i < NH_CACHE_N; i++) {
		const struct nh_cache_link *c = &ctx->cl[i];

		if (cache_fresh(ctx, c->at_ms, c->epoch, now) && c->ifindex == ifindex)
			return &c->lk;
	}
	return NULL;
}

int netlink_resolve(struct nh_ctx *ctx, const struct xlb_addr *dst, struct nh_entry *out)
{
	const struct neigh_res *cnb;
	const struct link_res *clk;
	uint64_t now = mono_ms();
	struct route_res rt;
	struct neigh_res nb;
	struct link_res lk;
	struct xlb_addr via;
	const void *bytes;
	int af, len, err;
	char buf[INET6_ADDRSTRLEN + 16];

	if (!ctx || !dst || !out)
		return -EINVAL;
	err = route_get(ctx, dst, &rt);
	if (err)
		return err;
	switch (rt.type) {
	case RTN_UNICAST:
		break;
	case RTN_UNREACHABLE:
	case RTN_BLACKHOLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		return -EHOSTUNREACH;
	default: /* local, broadcast, multicast, anycast: not a next hop */
		return -EINVAL;
	}
	if (!rt.oif)
		return -ENETUNREACH;

	if (rt.gw_af)
		err = addr_from_af(&via, rt.gw_af, rt.gw, rt.gw_len);
	else
		via = *dst;
	if (err)
		return err;
	af = addr_to_af(&via, &bytes, &len);
	if (af < 0)
		return af;

	cnb = cache_neigh(ctx, &via, rt.oif, now);
	clk = cache_link(ctx, rt.oif, now);
	if (cnb && clk) { /* both usable a moment ago (and made managed then) */
		nb = *cnb;
		lk = *clk;
		goto found;
	}
	err = neigh_msg(ctx, NEIGH_GET, af, bytes, len, rt.oif, &nb);
	if (err && err != -ENOENT)
		return err;
	if (!neigh_usable(&nb)) {
		if (nb.got && (nb.state & (NUD_INCOMPLETE | NUD_PROBE)))
			return -EAGAIN; /* resolution already in progress */
		if (nb.got && (nb.state & (NUD_PERMANENT | NUD_NOARP)))
			return -EHOSTUNREACH; /* static entry without a MAC: will not change */
		/* no entry: make it a managed one, kept resolved from now on (a
		 * kernel before 5.16 refuses: a plain entry then); then ask for
		 * resolution now rather than at the kernel's next managed round */
		if (!nb.got && neigh_msg(ctx, NEIGH_MANAGED, af, bytes, len, rt.oif, &nb))
			pr_debug("netlink: neighbour %s: no managed entry (kernel before 5.16?)",
				 addr_str(&via, buf, sizeof(buf)));
		err = neigh_msg(ctx, NEIGH_RESOLVE, af, bytes, len, rt.oif, &nb);
		if (err) {
			pr_warn("netlink: neighbour %s: resolve request failed: %s",
				addr_str(&via, buf, sizeof(buf)), strerror(-err));
			return err;
		}
		pr_debug("netlink: neighbour %s: asked the kernel to resolve it (ifindex %u)",
			 addr_str(&via, buf, sizeof(buf)), rt.oif);
		return -EAGAIN;
	}

	err = link_get(ctx, rt.oif, &lk);
	if (err)
		return err;
	if (lk.type != ARPHRD_ETHER || lk.addr_len != 6)
		return -EOPNOTSUPP;
	if (!(nb.state & (NUD_PERMANENT | NUD_NOARP)) && !(nb.flags_ext & NTF_EXT_MANAGED)) {
		/* a learnt entry we depend on: managed from now on, so it is not
		 * garbage-collected while only XDP traffic uses it */
		struct neigh_res mr;

		if (neigh_msg(ctx, NEIGH_MANAGED, af, bytes, len, rt.oif, &mr))
			pr_debug(
				"netlink: neighbour %s: cannot make it managed (kernel before 5.16?)",
				addr_str(&via, buf, sizeof(buf)));
	}
	ctx->cn[ctx->cn_next] = (struct nh_cache_neigh){
		.via = via, .oif = rt.oif, .at_ms = now, .epoch = ctx->epoch, .nb = nb
	};
	ctx->cn_next = (ctx->cn_next + 1) % NH_CACHE_N;
	ctx->cl[ctx->cl_next] = (struct nh_cache_link){
		.ifindex = rt.oif, .at_ms = now, .epoch = ctx->epoch, .lk = lk
	};
	ctx->cl_next = (ctx->cl_next + 1) % NH_CACHE_N;

found:
	memset(out, 0, sizeof(*out));
	out->ifindex = rt.oif;
	memcpy(out->dmac, nb.lladdr, 6);
	memcpy(out->smac, lk.addr, 6);
	out->gateway = rt.gw_af != 0;
	out->via = via;
	return 0;
}

static int ev_valid(struct nl_msg *msg, void *arg)
{
	struct nh_ev *ev = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct xlb_addr addr;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		struct nlattr *tb[NDA_MAX + 1];
		const struct ndmsg *ndm;

		if (nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 || !tb[NDA_DST])
			return NL_SKIP;
		ndm = nlmsg_data(nlh);
		if (addr_from_af(&addr, ndm->ndm_family, nla_data(tb[NDA_DST]),
				 nla_len(tb[NDA_DST])))
			return NL_SKIP; /* bridge FDB and other families */
		ev->cb(ev->arg, NH_EV_NEIGH, &addr);
		ev->count++;
		return NL_OK;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm;

		if (!nlmsg_valid_hdr(nlh, sizeof(*rtm)))
			return NL_SKIP;
		rtm = nlmsg_data(nlh);
		if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
			return NL_SKIP;
		if (rtm->rtm_flags & RTM_F_CLONED)
			return NL_SKIP; /* IPv6 route cache exceptions (PMTU, redirects) */
		ev->cb(ev->arg, NH_EV_ROUTE, NULL);
		ev->count++;
		return NL_OK;
	}
	default:
		return NL_SKIP;
	}
}

int netlink_event_fd(const struct nh_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	return nl_socket_get_fd(ctx->esk);
}

int netlink_process_events(struct nh_ctx *ctx, nh_event_cb cb, void *arg)
{
	int err;

	if (!ctx || !cb)
		return -EINVAL;
	ctx->ev.cb = cb;
	ctx->ev.arg = arg;
	ctx->ev.count = 0;
	ctx->epoch++; /* whatever the drain brings: no answer from before it is reused */
	for (;;) {
		err = nl_recvmsgs_report(ctx->esk, ctx->ecb);
		if (err > 0)
			continue;
		if (err == 0 || err == -NLE_AGAIN)
			break; /* drained (libnl reports EAGAIN either way, depending on version) */
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events, so nothing cached can be trusted */
			pr_warn("netlink: events: receive buffer overrun: re-resolving all next hops");
			cb(arg, NH_EV_ROUTE, NULL);
			ctx->ev.count++;
			continue;
		}
		return nlerr_to_errno(err);
	}
	return ctx->ev.count;
}

static struct nl_sock *sock_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		errno = ENOMEM;
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sk);
		errno = -nlerr_to_errno(err);
		return NULL;
	}
	return sk;
}

struct nh_ctx *netlink_open(void)
{
	struct nh_ctx *ctx;
	int err;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;

	ctx->qsk = sock_open();
	if (!ctx->qsk) {
		err = -errno;
		pr_err("netlink: query socket: open failed: %s", strerror(-err));
		goto out_free;
	}
	ctx->qcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ctx->qcb) {
		err = -ENOMEM;
		goto out_qsk;
	}
	/* sequence numbers are checked by the callbacks: a reply to an abandoned query is skipped */
	nl_cb_set(ctx->qcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
	nl_cb_set(ctx->qcb, NL_CB_VALID, NL_CB_CUSTOM, req_valid, &ctx->req);
	nl_cb_set(ctx->qcb, NL_CB_ACK, NL_CB_CUSTOM, req_ack, &ctx->req);
	nl_cb_err(ctx->qcb, NL_CB_CUSTOM, req_error, &ctx->req);

	ctx->esk = nl_socket_alloc();
	if (!ctx->esk) {
		err = -ENOMEM;
		goto out_qcb;
	}
	nl_socket_disable_seq_check(ctx->esk);
	err = nl_connect(ctx->esk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_memberships(ctx->esk, RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE,
						RTNLGRP_IPV6_ROUTE, 0);
	if (!err)
		err = nl_socket_set_nonblocking(ctx->esk);
	if (!err)
		err = nl_socket_set_buffer_size(ctx->esk, 1 << 20, 0);
	if (err) {
		err = nlerr_to_errno(err);
		pr_err("netlink: event socket: setup failed: %s", strerror(-err));
		goto out_esk;
	}
	ctx->ecb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ctx->ecb) {
		err = -ENOMEM;
		goto out_esk;
	}
	nl_cb_set(ctx->ecb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
	nl_cb_set(ctx->ecb, NL_CB_VALID, NL_CB_CUSTOM, ev_valid, &ctx->ev);
	return ctx;

out_esk:
	nl_socket_free(ctx->esk);
out_qcb:
	nl_cb_put(ctx->qcb);
out_qsk:
	nl_socket_free(ctx->qsk);
out_free:
	free(ctx);
	errno = -err;
	return NULL;
}

void netlink_close(struct nh_ctx *ctx)
{
	if (!ctx)
		return;
	nl_cb_put(ctx->ecb);
	nl_socket_free(ctx->esk);
	nl_cb_put(ctx->qcb);
	nl_socket_free(ctx->qsk);
	free(ctx);
}
