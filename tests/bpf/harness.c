// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Packet-test harness: TAP, the test world, expected outputs from
 * docs/dataplane.md and the step runner (see harness.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xlb/hash.h>
#include "common/names.h"
#include "harness.h"

/* ---- TAP ---- */

static int tap_n, tap_pass, tap_failn, tap_skipn;

void tap_begin(struct tcase *tc, const char *name)
{
	tc->name = name;
	tc->failed = 0;
	tc->dlen = 0;
	tc->diag[0] = '\0';
}

static void tap_vdiag(struct tcase *tc, const char *fmt, va_list ap)
{
	size_t room = sizeof(tc->diag) - tc->dlen;
	int n;

	if (room < 4)
		return;
	n = snprintf(tc->diag + tc->dlen, room, "# ");
	tc->dlen += (size_t)n;
	room -= (size_t)n;
	n = vsnprintf(tc->diag + tc->dlen, room, fmt, ap);
	if (n < 0)
		return;
	tc->dlen += (size_t)n < room ? (size_t)n : room - 1;
	if (tc->dlen + 1 < sizeof(tc->diag)) {
		tc->diag[tc->dlen++] = '\n';
		tc->diag[tc->dlen] = '\0';
	}
}

void tap_diag(struct tcase *tc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(tc, fmt, ap);
	va_end(ap);
}

void tap_fail(struct tcase *tc, const char *fmt, ...)
{
	va_list ap;

	tc->failed = 1;
	va_start(ap, fmt);
	tap_vdiag(tc, fmt, ap);
	va_end(ap);
}

int tap_end(struct tcase *tc)
{
	tap_n++;
	if (tc->failed) {
		tap_failn++;
		printf("not ok %d - %s\n%s", tap_n, tc->name, tc->diag);
	} else {
		tap_pass++;
		printf("ok %d - %s\n", tap_n, tc->name);
	}
	fflush(stdout);
	return tc->failed;
}

void tap_skip(const char *name, const char *reason)
{
	tap_n++;
	tap_skipn++;
	printf("ok %d - %s # SKIP %s\n", tap_n, name, reason);
	fflush(stdout);
}

void tap_counts(int *passed, int *failed, int *skipped)
{
	*passed = tap_pass;
	*failed = tap_failn;
	*skipped = tap_skipn;
}

void hexdiff(struct tcase *tc, const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen)
{
	size_t max = elen > glen ? elen : glen;
	int shown = 0;

	tap_diag(tc, "  frame length: expected %zu, got %zu", elen, glen);
	for (size_t row = 0; row < max; row += 16) {
		char e[64] = "", g[64] = "", mark[64] = "";
		bool diff = false;

		for (size_t i = row; i < row + 16 && i < max; i++) {
			bool he = i < elen, hg = i < glen;
			bool d = he != hg || (he && exp[i] != got[i]);
			size_t k = (i - row) * 3;

			snprintf(e + k, sizeof(e) - k, he ? "%02x " : "-- ", he ? exp[i] : 0);
			snprintf(g + k, sizeof(g) - k, hg ? "%02x " : "-- ", hg ? got[i] : 0);
			snprintf(mark + k, sizeof(mark) - k, d ? "^^ " : "   ");
			diff |= d;
		}
		if (!diff)
			continue;
		if (++shown > 12) {
			tap_diag(tc, "  ... more differences");
			break;
		}
		tap_diag(tc, "  %04zx exp %s", row, e);
		tap_diag(tc, "       got %s", g);
		tap_diag(tc, "           %s", mark);
	}
}

/* ---- the world ---- */

const uint8_t MAC_CLIENT[6] = { 0x02, 0, 0, 0, 0xc1, 0x01 };
const uint8_t MAC_LB[6] = { 0x02, 0, 0, 0, 0x1b, 0x01 };

static void addr_set(uint8_t fam, uint8_t a[16], const char *v4, const char *v6, unsigned last)
{
	char buf[64];

	memset(a, 0, 16);
	if (fam == 4) {
		snprintf(buf, sizeof(buf), "%s%u", v4, last);
		inet_pton(AF_INET, buf, a);
	} else {
		snprintf(buf, sizeof(buf), "%s%x", v6, last);
		inet_pton(AF_INET6, buf, a);
	}
}

void addr_vip(uint8_t fam, int which, uint8_t a[16])
{
	static const unsigned last[] = { [D_VIP] = 1, [D_VIP2] = 2, [D_OTHER] = 0x200 };

	addr_set(fam, a, "192.0.2.",
		 "2001:db8:f::", fam == 4 && which == D_OTHER ? 200 : last[which]);
}

void addr_client(uint8_t fam, int client, uint8_t a[16])
{
	addr_set(fam, a, "198.51.100.", "2001:db8:c::", 10u + (unsigned)client);
}

void addr_router(uint8_t fam, uint8_t a[16])
{
	addr_set(fam, a, "198.51.100.", "2001:db8:c::", 254);
}

void addr_backend(uint8_t fam, uint32_t id, uint8_t a[16])
{
	addr_set(fam, a, "203.0.113.", "2001:db8:b::", 10u + id);
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static char libbpf_log[65536];
static size_t libbpf_log_len;

/* Keeps libbpf's messages for the diagnostics of a failed load. */
static int libbpf_keep(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t room = sizeof(libbpf_log) - libbpf_log_len;
	int n;

	if (getenv("XLB_TEST_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG || room < 2)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, room, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n < room ? (size_t)n : room - 1;
	return 0;
}

int env_open(struct env *e, char *err, size_t errlen)
{
	struct xlb_maps_opts o = { .hash_seed = HASH_SEED_TEST };

	memset(e, 0, sizeof(*e));
	libbpf_set_print(libbpf_keep);
	libbpf_log_len = 0;
	e->m = maps_open(&o);
	if (!e->m) {
		int n = snprintf(err, errlen, "maps_open: %s", strerror(errno));

		/* the last lines of libbpf's log say why (the verifier's verdict) */
		if (n > 0 && (size_t)n < errlen && libbpf_log_len) {
			const char *tail = libbpf_log_len > 3000 ?
						   libbpf_log + libbpf_log_len - 3000 :
						   libbpf_log;
			snprintf(err + n, errlen - (size_t)n, "\n%s", tail);
		}
		return -1;
	}
	e->prog_fd = maps_prog_fd(e->m);
	e->seed = maps_hash_seed(e->m);
	return 0;
}

void env_close(struct env *e)
{
	maps_close(e->m);
	e->m = NULL;
}

/* Deletes every key of a hash-like map. The next key is taken before the
 * current one goes: restarting from NULL each time is quadratic in a big map.
 */
static int map_clear(int fd)
{
	uint8_t key[2][128];
	int cur = 0, more;

	if (fd < 0)
		return fd;
	more = bpf_map_get_next_key(fd, NULL, key[cur]) == 0;
	while (more) {
		more = bpf_map_get_next_key(fd, key[cur], key[!cur]) == 0;
		if (bpf_map_delete_elem(fd, key[cur]) && errno != ENOENT)
			return -errno;
		cur = !cur;
	}
	/* entries a concurrent writer added behind the cursor (none in tests) */
	return bpf_map_get_next_key(fd, NULL, key[0]) == 0 ? map_clear(fd) : 0;
}

static int percpu_zero(int fd, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (value_size + 7) / 8 * 8;
	void *zero = calloc((size_t)ncpu, stride);
	__u32 key = 0;
	int err;

	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &key, zero, BPF_ANY);
	free(zero);
	return err;
}

int env_clear(struct env *e)
{
	struct xlb_backend zero = {};
	int err = 0;

	err |= map_clear(maps_map_fd(e->m, XLB_MAP_FLOWS));
	err |= map_clear(maps_map_fd(e->m, XLB_MAP_FRAGS));
	err |= map_clear(maps_map_fd(e->m, XLB_MAP_VIPS));
	err |= map_clear(maps_map_fd(e->m, XLB_MAP_VIP_ADDRS));
	for (uint32_t id = 0; id < BE_MAX_TRACK; id++) {
		if (!e->be_set[id])
			continue;
		err |= maps_backend_set(e->m, id, &zero);
		err |= maps_be_active_reset(e->m, id);
		e->be_set[id] = false;
		memset(&e->be[id], 0, sizeof(e->be[id]));
	}
	for (int i = 0; i < e->nrings; i++)
		err |= maps_ring_delete(e->m, e->rings[i]);
	e->nrings = 0;
	for (int i = 0; i < e->ntx; i++)
		err |= maps_tx_port_del(e->m, e->tx_ports[i]);
	e->ntx = 0;
	err |= percpu_zero(maps_map_fd(e->m, XLB_MAP_FLOOD), sizeof(struct xlb_flood_state));
	err |= percpu_zero(maps_map_fd(e->m, XLB_MAP_ICMP_TB), sizeof(struct xlb_icmp_tb));
	memset(&e->cfg, 0, sizeof(e->cfg));
	err |= maps_config_set(e->m, &e->cfg);
	return err ? -EIO : 0;
}

struct xlb_backend backend_std(uint8_t fam, uint32_t id)
{
	struct xlb_backend be = {
		.gen = 1,
		.dmac = { 0x02, 0, 0, 0, 0xb0, (uint8_t)id },
		.smac = { 0x02, 0, 0, 0, 0x5e, (uint8_t)id },
		.family = fam == 6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
		.flags = XLB_BE_F_ACTIVE,
	};

	addr_backend(fam, id, (uint8_t *)be.addr);
	return be;
}

int env_backend(struct env *e, uint32_t id, const struct xlb_backend *be)
{
	if (id < BE_MAX_TRACK) {
		e->be[id] = *be;
		e->be_set[id] = true;
	}
	return maps_backend_set(e->m, id, be);
}

int env_ring_fill(struct env *e, uint32_t vip_id, uint32_t size, const uint32_t *slots)
{
	bool known = false;

	for (int i = 0; i < e->nrings; i++)
		known |= e->rings[i] == vip_id;
	if (!known && e->nrings < (int)(sizeof(e->rings) / sizeof(e->rings[0])))
		e->rings[e->nrings++] = vip_id;
	return maps_ring_set(e->m, vip_id, 0, slots, size);
}

int env_ring_all(struct env *e, uint32_t vip_id, uint32_t size, uint32_t be_id)
{
	uint32_t *slots = malloc(size * sizeof(*slots));
	int err;

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < size; i++)
		slots[i] = be_id;
	err = env_ring_fill(e, vip_id, size, slots);
	free(slots);
	return err;
}

int env_vip(struct env *e, const struct vipcfg *v, int which)
{
	struct xlb_vip_key k = {
		.port = htons(v->anyport ? 0 : (v->port ? v->port : VIP_PORT_DEFAULT)),
		.proto = v->proto ? v->proto : IPPROTO_TCP,
		.family = v->fam == 6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
	};
	struct xlb_vip_val val = {
		.udp_idle_ns = v->udp_idle_ns,
		.vip_id = v->vip_id ? v->vip_id : VIP_ID_DEFAULT,
		.ring_size = v->ring_size ? v->ring_size : RING_SIZE_DEFAULT,
		.mtu = v->mtu,
		.encap = v->encap,
		.flags = v->flags,
		.sched = XLB_SCHED_MAGLEV,
		.ring_bank = v->ring_bank,
	};
	uint8_t be_fam = v->be_fam ? v->be_fam : v->fam;

	/* as the agent writes it: the overhead of the backends' outer family */
	if (v->encap == XLB_ENCAP_IPIP || v->encap == XLB_ENCAP_GUE)
		val.ohl = (uint8_t)((be_fam == 6 ? 40 : 20) + (v->encap == XLB_ENCAP_GUE ? 8 : 0));
	struct xlb_addr a = { .family = k.family };
	int err;

	addr_vip(v->fam, which, (uint8_t *)k.addr);
	memcpy(a.addr, k.addr, sizeof(a.addr));
	/* as the agent does: the wildcard lookup is on while a port-0 VIP exists */
	if (v->anyport && !(e->cfg.flags & XLB_CFG_F_PORT0)) {
		e->cfg.flags |= XLB_CFG_F_PORT0;
		err = maps_config_set(e->m, &e->cfg);
		if (err)
			return err;
	}
	err = maps_vip_update(e->m, &k, &val);
	return err ? err : maps_vip_addr_set(e->m, &a, 1);
}

int env_tx_port(struct env *e, uint32_t ifindex)
{
	if (e->ntx < (int)(sizeof(e->tx_ports) / sizeof(e->tx_ports[0])))
		e->tx_ports[e->ntx++] = ifindex;
	return maps_tx_port_add(e->m, ifindex);
}

int env_std(struct env *e, const struct vipcfg *v)
{
	uint8_t bf = v->be_fam ? v->be_fam : v->fam;
	struct xlb_backend b1 = backend_std(bf, 1), b2 = backend_std(bf, 2);
	int err;

	err = env_clear(e);
	if (err)
		return err;
	e->vip = *v;
	if (!e->vip.proto)
		e->vip.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "203.0.113.1", &e->cfg.src4);
	inet_pton(AF_INET6, "2001:db8:5::ab:cdef", e->cfg.src6);
	e->cfg.src_bits = v->src_bits;
	e->cfg.gue_port = v->gue_port;
	err = maps_config_set(e->m, &e->cfg);
	err = err ? err : env_backend(e, 1, &b1);
	err = err ? err : env_backend(e, 2, &b2);
	if (!err && !v->no_ring)
		err = env_ring_all(e, v->vip_id ? v->vip_id : VIP_ID_DEFAULT,
				   v->ring_size ? v->ring_size : RING_SIZE_DEFAULT, 1);
	return err ? err : env_vip(e, &e->vip, D_VIP);
}

/* ---- packet specs ---- */

void ps_resolve(struct pspec *ps, const struct vipcfg *v)
{
	if (!ps->fam)
		ps->fam = v->fam;
	if (!ps->proto)
		ps->proto = v->proto ? v->proto : IPPROTO_TCP;
	if (!ps->sport)
		ps->sport = (uint16_t)(40000 + ps->client);
	if (!ps->dport)
		ps->dport = v->port ? v->port : VIP_PORT_DEFAULT;
	if (!ps->flags)
		ps->flags = TCP_ACK;
	if (!ps->ipid)
		ps->ipid = 0x1c46;
	if (!ps->fragoff)
		ps->fragoff = 185;
	if (!ps->fragid)
		ps->fragid = 0xabcd0001;
}

void ps_flow_key(const struct pspec *ps, struct xlb_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ps->fam == 6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4;
	k->proto = ps->proto;
	addr_client(ps->fam, ps->client, (uint8_t *)k->src);
	addr_vip(ps->fam, ps->dst, (uint8_t *)k->dst);
	k->sport = htons(ps->sport);
	k->dport = htons(ps->dport);
}

/* IP header of a packet from @src to @dst carrying @l4 (after the IPv6
 * extension headers and fragment header the spec asks for).
 */
static void ps_ip(const struct pspec *ps, struct pkt *p, const uint8_t *src, const uint8_t *dst,
		  uint8_t l4)
{
	if (ps->fam == 4) {
		struct ip4_spec ip = {
			.tos = ps->tos, .id = ps->ipid, .proto = l4, .optlen = ps->ip4opt
		};

		if (ps->frag == FR_FIRST)
			ip.frag = IP4_MF;
		else if (ps->frag == FR_LATER)
			ip.frag = ps->fragoff;
		else
			ip.frag = ps->nodf ? 0 : IP4_DF;
		memcpy(ip.src, src, 4);
		memcpy(ip.dst, dst, 4);
		pkt_ip4(p, &ip);
		return;
	}

	static const uint8_t ext_nh[] = {
		[E_HOP] = IP6_NH_HOP, [E_RT] = IP6_NH_ROUTING, [E_DST] = IP6_NH_DSTOPTS
	};
	struct ip6_spec ip = { .tc = ps->tos, .flow = 0x5a5a5 };
	uint8_t chain[8];
	int n = 0;

	for (int i = 0; i < (int)sizeof(ps->ext) && ps->ext[i] != E_END; i++)
		chain[n++] = ext_nh[ps->ext[i]];
	if (ps->frag)
		chain[n++] = IP6_NH_FRAG;
	if (ps->frag && ps->ext_after)
		chain[n++] = ext_nh[ps->ext_after];
	chain[n] = l4;
	ip.nh = chain[0];
	memcpy(ip.src, src, 16);
	memcpy(ip.dst, dst, 16);
	pkt_ip6(p, &ip);
	for (int i = 0; i < n; i++) {
		if (chain[i] == IP6_NH_FRAG) {
			pkt_ip6_frag(p, chain[i + 1], ps->frag == FR_LATER ? ps->fragoff : 0,
				     ps->frag == FR_FIRST, ps->fragid);
			if (ps->frag == FR_LATER)
				break; /* the rest of the chain travels in the first fragment */
		} else {
			pkt_ip6_ext(p, chain[i], chain[i + 1]);
		}
	}
}

/* The L4 header of the flow (client side unless @reply) and its payload. */
static void ps_l4(const struct pspec *ps, struct pkt *p, bool reply, uint16_t len)
{
	uint16_t sp = reply ? ps->dport : ps->sport, dp = reply ? ps->sport : ps->dport;

	if (ps->proto == IPPROTO_TCP) {
		struct tcp_spec t = { .sport = sp,
				      .dport = dp,
				      .flags = reply ? TCP_SYN | TCP_ACK : ps->flags,
				      .seq = ps->seq ?: 0x1000u + ps->client,
				      .ack = ps->flags & TCP_ACK ? 1 : 0 };

		pkt_tcp(p, &t);
	} else if (ps->proto == IPPROTO_UDP) {
		pkt_udp(p, sp, dp, false);
	}
	if (!reply && ps->l4cut > 0 && p->l4 >= 0) {
		p->len = (size_t)p->l4 + (size_t)ps->l4cut;
		p->nl--; /* no checksum over a cut header */
		return;
	}
	pkt_fill(p, len, (uint8_t)(ps->client + ps->sport));
}

void ps_build(const struct pspec *ps, struct pkt *p)
{
	uint8_t src[16], dst[16], cl[16];
	bool v6 = ps->fam == 6;

	pkt_init(p);
	addr_client(ps->fam, ps->client, cl);
	addr_vip(ps->fam, ps->dst, dst);
	if (ps->kind == K_ARP) {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		pkt_eth(p, bcast, MAC_CLIENT, ETH_TYPE_ARP);
		addr_client(4, ps->client, cl);
		addr_vip(4, ps->dst, dst);
		memcpy(arp + 8, MAC_CLIENT, 6);
		memcpy(arp + 14, cl, 4);
		memcpy(arp + 24, dst, 4);
		pkt_put(p, arp, sizeof(arp));
		pkt_put(p, NULL, 18); /* minimum frame */
		return;
	}
	pkt_eth_addrs(p, MAC_LB, MAC_CLIENT);
	for (int i = 0; i < ps->vlan; i++)
		pkt_vlan(p, ps->vlan >= 2 && i == 0 ? ETH_TYPE_8021AD : ETH_TYPE_8021Q,
			 (uint16_t)(100 + i));
	if (ps->kind == K_ETHERTYPE) {
		pkt_ethertype(p, ps->ethertype);
		pkt_fill(p, 46, 0x42);
		return;
	}
	pkt_ethertype(p, v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);

	switch (ps->kind) {
	case K_PLAIN:
		ps_ip(ps, p, cl, dst, ps->proto);
		if (ps->frag == FR_LATER)
			pkt_fill(p, ps->len ? ps->len : 64, 0x33);
		else
			ps_l4(ps, p, false, ps->len);
		break;
	case K_ICMP_ECHO:
		ps_ip(ps, p, cl, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		pkt_icmp(p, v6, v6 ? 128 : 8, 0, 0x12340001);
		pkt_fill(p, ps->len ? ps->len : 56, 0x61);
		break;
	case K_ICMP_ERR: {
		/* the quoted packet: what the VIP's backend sent to the client */
		struct pspec q = *ps;
		struct pkt qp;
		size_t qlen;
		uint32_t rest = ps->icmp_mtu;

		q.ip4opt = 0;
		q.frag = FR_NONE;
		q.ext[0] = E_END;
		q.tos = 0;
		q.ipid = 0x7777;
		q.nodf = false;
		pkt_init(&qp);
		ps_ip(&q, &qp, dst, cl, q.proto);
		ps_l4(&q, &qp, true, 200);
		pkt_finish(&qp);
		qlen = ps->qlen ? ps->qlen : (v6 ? 48 : 28);
		if (qlen > qp.len)
			qlen = qp.len;
		addr_router(ps->fam, src);
		ps_ip(ps, p, src, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		pkt_icmp(p, v6, ps->icmp_type, ps->icmp_code, rest);
		pkt_put(p, qp.d, qlen);
		break;
	}
	}
	pkt_finish(p);
	if (ps->mut)
		ps->mut(p);
	if (ps->pad)
		pkt_put(p, NULL, ps->pad);
	if (ps->cut > 0 && (size_t)ps->cut < p->len)
		p->len = (size_t)ps->cut;
}

/* ---- expected outputs ---- */

size_t frame_l3off(const uint8_t *in, size_t len)
{
	size_t off = 14;
	uint16_t type;

	if (len < 14)
		return 0;
	type = get16(in + 12);
	for (int i = 0; i < 2 && (type == ETH_TYPE_8021Q || type == ETH_TYPE_8021AD); i++) {
		if (off + 4 > len)
			return 0;
		type = get16(in + off + 2);
		off += 4;
	}
	return type == ETH_TYPE_IP || type == ETH_TYPE_IPV6 ? off : 0;
}

static uint32_t low_bits(uint32_t base, uint32_t h, uint8_t bits)
{
	uint32_t mask = bits >= 32 ? ~0U : (1U << bits) - 1;

	return (base & ~mask) | (h & mask);
}

void exp_encap(struct pkt *out, const uint8_t *in, size_t len, size_t l3off,
	       const struct xlb_backend *be, uint8_t encap, const struct xlb_config *cfg,
	       uint32_t h)
{
	size_t l3len = ip_l3_len(in, len, l3off);
	bool inner4 = (in[l3off] >> 4) == 4;
	uint8_t tos = inner4 ? in[l3off + 1] : (uint8_t)(get16(in + l3off) >> 4);
	uint8_t proto = encap == XLB_ENCAP_GUE ? IPPROTO_UDP : inner4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	uint8_t bits = cfg->src_bits;

	pkt_init(out);
	pkt_eth_addrs(out, be->dmac, be->smac);
	if (l3off > 14)
		pkt_put(out, in + 12, l3off - 14); /* VLAN tags as received */
	pkt_ethertype(out, be->family == XLB_FAMILY_V4 ? ETH_TYPE_IP : ETH_TYPE_IPV6);
	if (be->family == XLB_FAMILY_V4) {
		struct ip4_spec ip = {
			.tos = tos,
			.id = inner4 ? get16(in + l3off + 4) : 0,
			.frag = !inner4 || (in[l3off + 6] & 0x40) ? IP4_DF : 0,
			.ttl = 64,
			.proto = proto,
		};
		uint32_t s = htonl(low_bits(ntohl(cfg->src4), h, bits));

		memcpy(ip.src, &s, 4);
		memcpy(ip.dst, be->addr, 4);
		pkt_ip4(out, &ip);
	} else {
		struct ip6_spec ip = { .tc = tos, .flow = h & 0xfffff, .nh = proto, .hop = 64 };
		uint32_t w = htonl(low_bits(ntohl(cfg->src6[3]), h, bits));

		memcpy(ip.src, cfg->src6, 12);
		memcpy(ip.src + 12, &w, 4);
		memcpy(ip.dst, be->addr, 16);
		pkt_ip6(out, &ip);
	}
	if (encap == XLB_ENCAP_GUE)
		pkt_udp(out, (uint16_t)(XLB_GUE_SPORT_BASE | (h & XLB_GUE_SPORT_MASK)),
			cfg->gue_port ? cfg->gue_port : XLB_GUE_PORT_DEFAULT, true);
	pkt_put(out, in + l3off, l3len);
	pkt_finish(out);
	if (l3off + l3len < len)
		pkt_put(out, in + l3off + l3len, len - l3off - l3len); /* Ethernet padding */
}

void exp_l2(struct pkt *out, const uint8_t *in, size_t len, const struct xlb_backend *be)
{
	pkt_init(out);
	pkt_put(out, in, len);
	memcpy(out->d, be->dmac, 6);
	memcpy(out->d + 6, be->smac, 6);
}

void exp_too_big(struct pkt *out, const uint8_t *in, size_t len, size_t l3off, uint32_t mtu)
{
	size_t l3len = ip_l3_len(in, len, l3off);
	size_t q = l3len < XLB_ICMP_QUOTE_MAX ? l3len : XLB_ICMP_QUOTE_MAX;
	const uint8_t *ip = in + l3off;

	pkt_init(out);
	pkt_eth_addrs(out, in + 6, in);
	pkt_put(out, in + 12, l3off - 12); /* VLAN tags and ethertype as received */
	if ((ip[0] >> 4) == 4) {
		struct ip4_spec h = { .ttl = 64, .proto = IPPROTO_ICMP };

		memcpy(h.src, ip + 16, 4);
		memcpy(h.dst, ip + 12, 4);
		pkt_ip4(out, &h);
		pkt_icmp(out, false, 3, 4, mtu & 0xffff);
	} else {
		struct ip6_spec h = { .nh = IPPROTO_ICMPV6, .hop = 64 };

		memcpy(h.src, ip + 24, 16);
		memcpy(h.dst, ip + 8, 16);
		pkt_ip6(out, &h);
		pkt_icmp(out, true, 2, 0, mtu);
	}
	pkt_put(out, ip, q);
	pkt_finish(out);
}

/* ---- running ---- */

/* XLB_TEST_PCAP=FILE: every input and output frame into a pcap, for tcpdump -vv. */
static void pcap_frame(const uint8_t *d, size_t len)
{
	static FILE *f;
	static bool tried;
	uint32_t rec[4];
	uint64_t ns = mono_ns();

	if (!tried) {
		const char *path = getenv("XLB_TEST_PCAP");
		const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

		tried = true;
		f = path ? fopen(path, "w") : NULL;
		if (f)
			fwrite(hdr, sizeof(hdr), 1, f);
	}
	if (!f)
		return;
	rec[0] = (uint32_t)(ns / 1000000000ULL);
	rec[1] = (uint32_t)(ns % 1000000000ULL / 1000);
	rec[2] = rec[3] = (uint32_t)len;
	fwrite(rec, sizeof(rec), 1, f);
	fwrite(d, len, 1, f);
	fflush(f);
}

int run_prog(int prog_fd, const uint8_t *in, size_t len, uint32_t ifindex, struct run *r)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);

	if (ifindex) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	r->err = bpf_prog_test_run_opts(prog_fd, &o);
	r->verdict = o.retval;
	r->out_len = o.data_size_out;
	pcap_frame(in, len);
	if (!r->err)
		pcap_frame(r->out, r->out_len);
	return r->err;
}

int snap_take(struct env *e, struct snap *s)
{
	return maps_counters_read(e->m, s->cnt, s->drops);
}

const char *verdict_name(__u32 v)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					 "XDP_REDIRECT" };

	return v < sizeof(n) / sizeof(n[0]) ? n[v] : "XDP_?";
}

static void diag_deltas(struct tcase *tc, const struct snap *a, const struct snap *b)
{
	char line[512];
	size_t n = 0;

	line[0] = '\0';
	for (int i = 0; i < __XLB_CNT_MAX; i++)
		if (b->cnt[i] != a->cnt[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s+%lld",
					      names_counter(i), (long long)(b->cnt[i] - a->cnt[i]));
	for (int i = 0; i < __XLB_DROP_MAX && n < sizeof(line); i++)
		if (b->drops[i] != a->drops[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, " drop:%s+%lld",
					      names_drop(i),
					      (long long)(b->drops[i] - a->drops[i]));
	tap_diag(tc, "  counter deltas:%s", n ? line : " none");
}

static const int verdict_cnt[] = { [XDP_PASS] = XLB_CNT_PASS,
				   [XDP_TX] = XLB_CNT_TX,
				   [XDP_REDIRECT] = XLB_CNT_REDIRECT,
				   [XDP_DROP] = XLB_CNT_DROP };

void step_run(struct env *e, struct tcase *tc, const struct step *st)
{
	__u64 want[__XLB_CNT_MAX] = {}, wdrop[__XLB_DROP_MAX] = {};
	static struct pkt in, exp;
	static struct run r;
	struct pspec ps = st->pkt;
	struct snap a, b;
	bool cmp = true, bad = false;

	ps_resolve(&ps, &e->vip);
	ps_build(&ps, &in);
	if (in.bad) {
		tap_fail(tc, "test bug: packet does not fit");
		return;
	}
	if (snap_take(e, &a) || run_prog(e->prog_fd, in.d, in.len, st->ifindex, &r) ||
	    snap_take(e, &b)) {
		tap_fail(tc, "test run failed: %s", strerror(errno));
		return;
	}

	switch (st->exp) {
	case X_SAME:
		exp = in;
		break;
	case X_ENCAP: {
		struct xlb_flow_key k;
		uint32_t h;

		ps_flow_key(&ps, &k);
		h = xlb_hash_outer(&k); /* the outer headers' per-flow value */
		exp_encap(&exp, in.d, in.len, (size_t)in.l3, &e->be[st->be ? st->be : 1],
			  st->encap ? st->encap : e->vip.encap, &e->cfg, h);
		break;
	}
	case X_L2:
		exp_l2(&exp, in.d, in.len, &e->be[st->be ? st->be : 1]);
		break;
	case X_TOO_BIG:
		exp_too_big(&exp, in.d, in.len, (size_t)in.l3, st->tb_mtu);
		break;
	default:
		cmp = false;
	}

	if (r.verdict != st->verdict) {
		tap_fail(tc, "verdict: expected %s, got %s", verdict_name(st->verdict),
			 verdict_name(r.verdict));
		cmp = false; /* the bytes mean little then */
	}
	if (cmp && (r.out_len != exp.len || memcmp(r.out, exp.d, exp.len))) {
		tap_fail(tc, "output frame differs from the expected one");
		hexdiff(tc, exp.d, exp.len, r.out, r.out_len);
	}

	want[XLB_CNT_RX] = 1;
	if (st->verdict < sizeof(verdict_cnt) / sizeof(verdict_cnt[0]))
		want[verdict_cnt[st->verdict]] = 1;
	if (st->exp == X_ENCAP) {
		uint8_t mode = st->encap ? st->encap : e->vip.encap;

		want[mode == XLB_ENCAP_GUE ? XLB_CNT_ENCAP_GUE : XLB_CNT_ENCAP_IPIP] = 1;
	} else if (st->exp == X_L2) {
		want[XLB_CNT_L2_DSR] = 1;
	} else if (st->exp == X_TOO_BIG) {
		want[XLB_CNT_TOO_BIG_SENT] = 1;
	}
	for (size_t i = 0; i < sizeof(st->cnt) / sizeof(st->cnt[0]); i++)
		if (st->cnt[i].n)
			want[st->cnt[i].idx] += st->cnt[i].n;
	for (int i = 0; i < __XLB_CNT_MAX; i++) {
		if (st->dontcare & (1ULL << i) || b.cnt[i] - a.cnt[i] == want[i])
			continue;
		tap_fail(tc, "counter %s: expected +%llu, got +%lld", names_counter(i),
			 (unsigned long long)want[i], (long long)(b.cnt[i] - a.cnt[i]));
		bad = true;
	}
	if (st->verdict == XDP_DROP && !st->drop_any)
		wdrop[st->drop] = 1;
	for (int i = 0; i < __XLB_DROP_MAX; i++) {
		__u64 d = b.drops[i] - a.drops[i];

		if (st->drop_any && st->drop_any & (1ULL << i) && d <= 1)
			continue;
		if (d == wdrop[i])
			continue;
		tap_fail(tc, "drop reason %s: expected +%llu, got +%lld", names_drop(i),
			 (unsigned long long)wdrop[i], (long long)d);
		bad = true;
	}
	if (st->drop_any) {
		__u64 sum = 0;

		for (int i = 0; i < __XLB_DROP_MAX; i++)
			sum += b.drops[i] - a.drops[i];
		if (sum != (st->verdict == XDP_DROP)) {
			tap_fail(tc, "expected exactly one drop reason, got %llu",
				 (unsigned long long)sum);
			bad = true;
		}
	}
	if (bad || r.verdict != st->verdict)
		diag_deltas(tc, &a, &b);
}
