// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Packet tests of the policy stage and the rate limits (issue 5,
 * <xlb/policy_abi.h>). The agent side does not write these maps yet, so the tests
 * write them as it would: rules and scopes in a bank, the (scope, prefix) ->
 * chain entries the agent computes from CIDRs and their except blocks, in LPM
 * tries created here and inserted into the outer slot of the bank. Every case
 * starts and ends with every policy map emptied and the flag clear.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xlb/policy_abi.h>
#include "harness.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define SEC_NS 1000000000ULL
#define RULE_IDS 64 /* rule ids the tests use: 0 .. RULE_IDS - 1 */
#define GLOBAL XLB_POL_SCOPE_GLOBAL
#define VIP1 VIP_ID_DEFAULT
#define ALLOW XLB_POL_ALLOW
#define DENY XLB_POL_DENY
#define RULES XLB_POL_SCOPE_F_RULES

/* ---- the policy maps, written as the agent would ---- */

static struct {
	int outer[2]; /* xlb_pol4, xlb_pol6 */
	int rules, scopes, hits, rlcfg, rlsrc, rlceil;
	int trie[XLB_POL_BANKS][2]; /* inner tries created here, -1 if none */
	int ncpus;
} P;

static int fd_of(struct env *e, const char *name)
{
	int fd = maps_map_fd(e->m, name);

	if (fd < 0)
		fprintf(stderr, "policy: %s: no such map\n", name);
	return fd;
}

static int pol_open(struct env *e)
{
	P.outer[0] = fd_of(e, XLB_MAP_POL4);
	P.outer[1] = fd_of(e, XLB_MAP_POL6);
	P.rules = fd_of(e, XLB_MAP_POL_RULES);
	P.scopes = fd_of(e, XLB_MAP_POL_SCOPES);
	P.hits = fd_of(e, XLB_MAP_POL_HITS);
	P.rlcfg = fd_of(e, XLB_MAP_RL_CFG);
	P.rlsrc = fd_of(e, XLB_MAP_RL_SRC);
	P.rlceil = fd_of(e, XLB_MAP_RL_CEIL);
	for (int b = 0; b < XLB_POL_BANKS; b++)
		P.trie[b][0] = P.trie[b][1] = -1;
	P.ncpus = libbpf_num_possible_cpus();
	if (P.outer[0] < 0 || P.outer[1] < 0 || P.rules < 0 || P.scopes < 0 || P.hits < 0 ||
	    P.rlcfg < 0 || P.rlsrc < 0 || P.rlceil < 0 || P.ncpus <= 0)
		return -ENOENT;
	return 0;
}

static int upd(int fd, const void *k, const void *v)
{
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

/* Deletes every key of a hash map (next key taken before the current goes). */
static int hash_clear(int fd)
{
	uint8_t key[2][64];
	int cur = 0, more;

	more = bpf_map_get_next_key(fd, NULL, key[cur]) == 0;
	while (more) {
		more = bpf_map_get_next_key(fd, key[cur], key[!cur]) == 0;
		if (bpf_map_delete_elem(fd, key[cur]) && errno != ENOENT)
			return -errno;
		cur = !cur;
	}
	return 0;
}

/* Empties every policy and rate-limit map the tests write. */
static int pol_reset(struct env *e)
{
	struct xlb_pol_scope sc = {};
	struct xlb_pol_rule r = {};
	struct xlb_rl_cfg rc = {};
	uint64_t *zero = calloc((size_t)P.ncpus, sizeof(uint64_t)), z = 0;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (uint32_t b = 0; b < XLB_POL_BANKS; b++) {
		for (int f = 0; f < 2; f++) {
			if (bpf_map_delete_elem(P.outer[f], &b) && errno != ENOENT)
				err = err ?: -errno;
			if (P.trie[b][f] >= 0)
				close(P.trie[b][f]);
			P.trie[b][f] = -1;
		}
		for (uint32_t id = 0; id < RULE_IDS; id++) {
			uint32_t k = b * XLB_POL_RULES_MAX + id;

			err = err ?: upd(P.rules, &k, &r);
		}
		for (uint32_t s = 0; s < XLB_POL_SCOPES; s++) {
			uint32_t k = b * XLB_POL_SCOPES + s;

			err = err ?: upd(P.scopes, &k, &sc);
		}
	}
	for (uint32_t id = 0; id < RULE_IDS; id++)
		err = err ?: upd(P.hits, &id, zero);
	for (uint32_t s = 0; s < XLB_POL_SCOPES; s++)
		err = err ?: upd(P.rlcfg, &s, &rc);
	for (uint32_t v = 0; v < XLB_MAX_VIPS; v++)
		err = err ?: upd(P.rlceil, &v, &z);
	err = err ?: hash_clear(P.rlsrc);
	free(zero);
	if (e->m) {
		e->cfg.flags &= (__u8)~XLB_CFG_F_POLICY;
		e->cfg.pol_bank = 0;
		err = err ?: maps_config_set(e->m, &e->cfg);
	}
	return err;
}

/* Policy on, reading @bank (the flag as the agent sets it while any scope has
 * rules, a deny default or a limit). */
static int pol_enable(struct env *e, uint8_t bank)
{
	e->cfg.flags |= XLB_CFG_F_POLICY;
	e->cfg.pol_bank = bank;
	return maps_config_set(e->m, &e->cfg);
}

/* Rule @id in @bank; @ports like "80,443-444" (NULL or "" = any). */
static int pol_rule(uint8_t bank, uint32_t id, uint8_t action, uint8_t proto, const char *ports)
{
	struct xlb_pol_rule r = { .action = action, .proto = proto };
	uint32_t k = bank * XLB_POL_RULES_MAX + id;
	const char *s = ports;

	while (s && *s) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (r.nports == XLB_POL_PORTS_MAX || (*end && *end != ','))
			return -EINVAL;
		r.ports[r.nports].lo = (uint16_t)lo;
		r.ports[r.nports++].hi = (uint16_t)hi;
		s = *end ? end + 1 : end;
	}
	return upd(P.rules, &k, &r);
}

static int pol_scope(uint8_t bank, uint32_t scope, uint8_t flags, uint8_t dflt)
{
	struct xlb_pol_scope sc = { .flags = flags, .dflt = dflt };
	uint32_t k = bank * XLB_POL_SCOPES + scope;

	return upd(P.scopes, &k, &sc);
}

/* The family's trie of @bank, created and put in the outer slot on first use.
 * Inner maps must match the template in bpf/lib/policy_maps.h: LPM_TRIE,
 * BPF_F_NO_PREALLOC, key 12 (v4) / 24 (v6) bytes, value 40, XLB_POL_PREFIX_MAX. */
static int pol_trie(uint8_t bank, int v6)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	__u32 k = bank;
	int fd;

	if (P.trie[bank][v6] >= 0)
		return P.trie[bank][v6];
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, v6 ? "xlb_pol6_in" : "xlb_pol4_in",
			    v6 ? sizeof(struct xlb_pol_key6) : sizeof(struct xlb_pol_key4),
			    sizeof(struct xlb_pol_chain), XLB_POL_PREFIX_MAX, &o);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(P.outer[v6], &k, &fd, BPF_ANY)) {
		int err = -errno;

		close(fd);
		return err;
	}
	P.trie[bank][v6] = fd;
	return fd;
}

/* Clears the bits of @a (network order, @bits long) past the prefix length @len */
static void host_bits_clear(uint8_t *a, unsigned len, unsigned bits)
{
	for (unsigned i = len; i < bits; i++) {
		uint8_t bit = (uint8_t)(0x80u >> (i % 8));

		a[i / 8] &= (uint8_t)~bit;
	}
}

/* Prefix @cidr ("198.51.100.0/24", "2001:db8:c::/64") of @scope in @bank
 * carries the rule chain @chain ("1,2"; "" = no rule applies here). */
static int pol_prefix(uint8_t bank, uint32_t scope, const char *cidr, const char *chain)
{
	struct xlb_pol_chain ch = {};
	char buf[64], *slash;
	int v6 = strchr(cidr, ':') != NULL, fd;
	unsigned long len;
	const char *s = chain;
	union {
		struct xlb_pol_key4 k4;
		struct xlb_pol_key6 k6;
	} k;

	memset(&k, 0, sizeof(k));
	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	len = strtoul(slash + 1, NULL, 10);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, v6 ? (void *)k.k6.addr : (void *)&k.k4.addr) !=
	    1)
		return -EINVAL;
	if (len > (v6 ? 128u : 32u))
		return -EINVAL;
	host_bits_clear(v6 ? (uint8_t *)k.k6.addr : (uint8_t *)&k.k4.addr, (unsigned)len,
			v6 ? 128u : 32u);
	k.k4.prefixlen = (uint32_t)(32 + len); /* same place in both keys */
	k.k4.scope = scope;
	while (s && *s) {
		char *end;

		if (ch.n == XLB_POL_CHAIN_MAX)
			return -EINVAL;
		ch.rule[ch.n++] = (uint32_t)strtoul(s, &end, 10);
		s = *end ? end + 1 : end;
	}
	fd = pol_trie(bank, v6);
	return fd < 0 ? fd : upd(fd, &k, &ch);
}

static int pol_rl(uint32_t scope, const struct xlb_rl_cfg *c)
{
	return upd(P.rlcfg, &scope, c);
}

/* GCRA settings of @burst packets at @per_s per second */
static void gcra(uint64_t per_s, uint64_t burst, __u64 *interval, __u64 *tol)
{
	*interval = SEC_NS / per_s;
	*tol = (burst - 1) * *interval;
}

static uint64_t pol_hits(uint32_t id)
{
	uint64_t *v = calloc((size_t)P.ncpus, sizeof(uint64_t)), sum = 0;

	if (v && !bpf_map_lookup_elem(P.hits, &id, v))
		for (int i = 0; i < P.ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

static uint64_t vip_drops(struct env *e, uint32_t vip_id)
{
	struct xlb_vip_stats vs = {};

	maps_vip_stats_read(e->m, vip_id, &vs);
	return vs.drops;
}

static void expect_vip_drops(struct env *e, struct tcase *tc, uint64_t before, uint64_t n)
{
	uint64_t got = vip_drops(e, VIP1) - before;

	if (got != n)
		tap_fail(tc, "vip %u drops: expected +%llu, got +%llu", VIP1, (unsigned long long)n,
			 (unsigned long long)got);
}

static uint64_t rl_buckets(void)
{
	struct xlb_rl_key k[2];
	uint64_t n = 0;
	int cur = 0;

	for (int r = bpf_map_get_next_key(P.rlsrc, NULL, &k[cur]); !r;
	     r = bpf_map_get_next_key(P.rlsrc, &k[cur], &k[!cur]), cur = !cur)
		n++;
	return n;
}

/* ---- steps ---- */

#define DC_FLOW (CNTBIT(FLOW_HIT) | CNTBIT(FLOW_MISS) | CNTBIT(SYN))
/* forwarded to backend 1 (exact output checked); the flow-table outcome aside */
#define FWD .verdict = XDP_TX, .exp = X_ENCAP, .be = 1, .dontcare = DC_FLOW
/* ... and an allow rule matched */
#define FWDA FWD, .cnt = { CNT(POL_ALLOW, 1) }
/* ... and a source bucket was created */
#define FWDN FWD, .cnt = { CNT(RL_NEW_SOURCE, 1) }
#define DROPPED(r) .verdict = XDP_DROP, .exp = X_NONE, .drop = XLB_DROP_##r

struct pstep {
	struct step s;
	const char *what;
};

static void run_steps(struct env *e, struct tcase *tc, const struct pstep *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t before = tc->dlen;

		step_run(e, tc, &st[i].s);
		if (tc->dlen != before)
			tap_diag(tc, "  ^ step %zu: %s", i + 1, st[i].what);
	}
}

static void expect_hits(struct tcase *tc, uint32_t id, uint64_t want)
{
	uint64_t got = pol_hits(id);

	if (got != want)
		tap_fail(tc, "xlb_pol_hits[%u]: expected %llu, got %llu", id,
			 (unsigned long long)want, (unsigned long long)got);
}

/* env_std(@v), policy maps empty, policy on in bank 0 */
static int pol_begin(struct env *e, struct tcase *tc, const char *name, const struct vipcfg *v)
{
	int err;

	tap_begin(tc, name);
	err = env_std(e, v);
	err = err ?: pol_reset(e);
	return err ?: pol_enable(e, 0); /* pol_end() reports a failure */
}

static void pol_end(struct env *e, struct tcase *tc, int err)
{
	if (err)
		tap_fail(tc, "map setup failed: %s", strerror(-err));
	if (pol_reset(e))
		tap_fail(tc, "cannot empty the policy maps");
	tap_end(tc);
}

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- cases ---- */

/* clients: 198.51.100.(10 + n), 2001:db8:c::(10 + n) (harness.c) */

/* A deny 198.51.100.0/24 except 198.51.100.32/27; B allow 198.51.100.36/30;
 * C deny 198.51.100.48/28 except 198.51.100.50/32. The agent's chains:
 * /24 [A], /27 [] (A excepted), /30 [B], /28 [C], /32 [] (C excepted). */
static void t_nested4(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct pstep st[] = {
		{ { .pkt = { .client = 0 }, DROPPED(POLICY) }, ".10: A denies" },
		{ { .pkt = { .client = 24 }, FWD }, ".34: in A's except, no rule: default" },
		{ { .pkt = { .client = 27 }, FWDA }, ".37: B allows" },
		{ { .pkt = { .client = 40 }, FWD }, ".50: C's except: default" },
		{ { .pkt = { .client = 41 }, DROPPED(POLICY) }, ".51: C denies" },
		{ { .pkt = { .client = 60 }, DROPPED(POLICY) }, ".70: A denies" },
		{ { .pkt = { .client = 27, .len = 10 }, FWDA }, ".37 again: B" },
	};
	struct tcase tc;
	int err = pol_begin(e, &tc, "policy: v4 deny with nested except blocks, allow inside", &v);

	err = err ?: pol_rule(0, 1, DENY, 0, NULL);
	err = err ?: pol_rule(0, 2, ALLOW, 0, NULL);
	err = err ?: pol_rule(0, 3, DENY, 0, NULL);
	err = err ?: pol_scope(0, VIP1, RULES, ALLOW);
	err = err ?: pol_prefix(0, VIP1, "198.51.100.0/24", "1");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.32/27", "");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.36/30", "2");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.48/28", "3");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.50/32", "");
	if (!err) {
		uint64_t d0 = vip_drops(e, VIP1);

		run_steps(e, &tc, st, NSTEPS(st));
		expect_hits(&tc, 1, 2);
		expect_hits(&tc, 2, 2);
		expect_hits(&tc, 3, 1);
		expect_vip_drops(e, &tc, d0, 3);
	}
	pol_end(e, &tc, err);
}

/* The same shape over IPv6, with a deny default: the except block without a
 * rule falls to the default, the allow inside it passes. */
static void t_nested6(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .encap = XLB_ENCAP_GUE };
	const struct pstep st[] = {
		{ { .pkt = { .client = 0 }, DROPPED(POLICY) }, "::a: A denies" },
		{ { .pkt = { .client = 22 }, DROPPED(POLICY_DEFAULT) },
		  "::20: A's except: default" },
		{ { .pkt = { .client = 27 }, FWDA }, "::25: B allows" },
		{ { .pkt = { .client = 38 }, DROPPED(POLICY) }, "::30: C denies" },
		{ { .pkt = { .client = 39 }, FWDA }, "::31: D allows in C's except" },
		{ { .pkt = { .client = 60 }, DROPPED(POLICY) }, "::46: A denies" },
	};
	struct tcase tc;
	int err = pol_begin(e, &tc, "policy: v6 nested except blocks, deny default", &v);

	/* A deny /64 except ::20/123; B allow ::24/126; C deny ::30/124 except ::31/128;
	 * D allow ::31/128 */
	err = err ?: pol_rule(0, 1, DENY, 0, NULL);
	err = err ?: pol_rule(0, 2, ALLOW, 0, NULL);
	err = err ?: pol_rule(0, 3, DENY, 0, NULL);
	err = err ?: pol_rule(0, 4, ALLOW, 0, NULL);
	err = err ?: pol_scope(0, VIP1, RULES, DENY);
	err = err ?: pol_prefix(0, VIP1, "2001:db8:c::/64", "1");
	err = err ?: pol_prefix(0, VIP1, "2001:db8:c::20/123", "");
	err = err ?: pol_prefix(0, VIP1, "2001:db8:c::24/126", "2");
	err = err ?: pol_prefix(0, VIP1, "2001:db8:c::30/124", "3");
	err = err ?: pol_prefix(0, VIP1, "2001:db8:c::31/128", "4");
	if (!err) {
		run_steps(e, &tc, st, NSTEPS(st));
		expect_hits(&tc, 1, 2);
		expect_hits(&tc, 2, 1);
		expect_hits(&tc, 3, 1);
		expect_hits(&tc, 4, 1);
	}
	pol_end(e, &tc, err);
}

/* Chain [0 deny icmp, 1 deny udp, 2 allow tcp 80,443-444, 3 deny any] on a
 * port-0 VIP (TCP and UDP): the first rule whose protocol and ports match. */
static void t_ports(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP, .anyport = true };
	const struct vipcfg vu = {
		.fam = 4, .proto = UDP, .encap = XLB_ENCAP_IPIP, .anyport = true
	};
	const struct pstep st[] = {
		{ { .pkt = { .dport = 80 }, FWDA }, "tcp 80: rule 2" },
		{ { .pkt = { .dport = 81 }, DROPPED(POLICY) }, "tcp 81: rule 3" },
		{ { .pkt = { .dport = 79 }, DROPPED(POLICY) }, "tcp 79: rule 3" },
		{ { .pkt = { .dport = 443 }, FWDA }, "tcp 443: rule 2" },
		{ { .pkt = { .dport = 444 }, FWDA }, "tcp 444: rule 2" },
		{ { .pkt = { .dport = 445 }, DROPPED(POLICY) }, "tcp 445: rule 3" },
		{ { .pkt = { .proto = UDP, .dport = 80 }, DROPPED(POLICY) }, "udp 80: rule 1" },
		{ { .pkt = { .client = 200, .dport = 81 }, FWD }, "198.51.100.210: no prefix" },
	};
	struct tcase tc;
	int err =
		pol_begin(e, &tc, "policy: per-protocol and per-port rules, first match wins", &v);

	err = err ?: env_vip(e, &vu, D_VIP);
	err = err ?: pol_rule(0, 0, DENY, IPPROTO_ICMP, NULL);
	err = err ?: pol_rule(0, 1, DENY, UDP, NULL);
	err = err ?: pol_rule(0, 2, ALLOW, TCP, "80,443-444");
	err = err ?: pol_rule(0, 3, DENY, 0, NULL);
	err = err ?: pol_scope(0, VIP1, RULES, ALLOW);
	err = err ?: pol_prefix(0, VIP1, "198.51.100.0/25", "0,1,2,3");
	if (!err) {
		run_steps(e, &tc, st, NSTEPS(st));
		expect_hits(&tc, 0, 0);
		expect_hits(&tc, 1, 1);
		expect_hits(&tc, 2, 3);
		expect_hits(&tc, 3, 3);
	}
	pol_end(e, &tc, err);
}

/* VIP default deny: only sources an allow rule covers pass; a scope without
 * rules (no F_RULES) and a family without a trie use the default. */
static void t_defaults(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct vipcfg v6 = { .fam = 6, .encap = XLB_ENCAP_IPIP };
	const struct pstep st[] = {
		{ { .pkt = { .client = 10 }, FWDA }, ".20: allowed" },
		{ { .pkt = { .client = 13 }, FWDA }, ".23: allowed" },
		{ { .pkt = { .client = 14 }, DROPPED(POLICY_DEFAULT) }, ".24: default deny" },
		{ { .pkt = { .client = 0 }, DROPPED(POLICY_DEFAULT) }, ".10: default deny" },
		{ { .pkt = { .fam = 6 }, DROPPED(POLICY_DEFAULT) }, "v6: no v6 trie: default" },
	};
	struct tcase tc;
	int err = pol_begin(e, &tc, "policy: vip default deny admits only allowed sources", &v);

	err = err ?: env_vip(e, &v6, D_VIP);
	err = err ?: pol_rule(0, 5, ALLOW, 0, NULL);
	err = err ?: pol_scope(0, VIP1, RULES, DENY);
	err = err ?: pol_prefix(0, VIP1, "198.51.100.20/30", "5");
	if (!err) {
		run_steps(e, &tc, st, NSTEPS(st));
		expect_hits(&tc, 5, 2);
	}
	/* default deny without rules: no trie lookup at all */
	err = err ?: pol_scope(0, VIP1, 0, DENY);
	if (!err) {
		const struct pstep st2[] = {
			{ { .pkt = { .client = 10 }, DROPPED(POLICY_DEFAULT) },
			  ".20: scope has no rules: default deny" },
		};

		run_steps(e, &tc, st2, NSTEPS(st2));
	}
	/* allow default, rules flag set, v6 slot empty: v6 allowed by default */
	err = err ?: pol_scope(0, VIP1, RULES, ALLOW);
	if (!err) {
		const struct pstep st3[] = {
			{ { .pkt = { .fam = 6 }, FWD }, "v6: no trie, allow default" },
			{ { .pkt = { .client = 0 }, FWD }, ".10: no prefix, allow default" },
		};

		run_steps(e, &tc, st3, NSTEPS(st3));
	}
	pol_end(e, &tc, err);
}

/* Global before VIP: a global deny wins over a VIP allow; a global allow
 * leaves the decision to the VIP (which denies). */
static void t_global_first(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct pstep st[] = {
		{ { .pkt = { .client = 0 }, DROPPED(POLICY) }, ".10: global deny over vip allow" },
		{ { .pkt = { .client = 10 }, FWDA }, ".20: vip allow" },
		{ { .pkt = { .client = 40 }, FWDA }, ".50: global allow, vip no rule" },
		{ { .pkt = { .client = 41 }, DROPPED(POLICY) }, ".51: global allow, vip deny" },
		{ { .pkt = { .client = 200 }, DROPPED(POLICY_DEFAULT) },
		  ".210: global default deny (vip allow never seen)" },
	};
	struct tcase tc;
	int err = pol_begin(e, &tc, "policy: global scope first, then the vip's", &v);

	/* global: 1 deny .0/28, 2 allow .0/25 (-> .0/28 [1, 2]); default deny
	 * vip: 3 allow .0/26 except .48/28, 4 deny .51/32 */
	err = err ?: pol_rule(0, 1, DENY, 0, NULL);
	err = err ?: pol_rule(0, 2, ALLOW, 0, NULL);
	err = err ?: pol_rule(0, 3, ALLOW, 0, NULL);
	err = err ?: pol_rule(0, 4, DENY, 0, NULL);
	err = err ?: pol_scope(0, GLOBAL, RULES, DENY);
	err = err ?: pol_prefix(0, GLOBAL, "198.51.100.0/28", "1,2");
	err = err ?: pol_prefix(0, GLOBAL, "198.51.100.0/25", "2");
	err = err ?: pol_scope(0, VIP1, RULES, ALLOW);
	err = err ?: pol_prefix(0, VIP1, "198.51.100.0/26", "3");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.48/28", "");
	err = err ?: pol_prefix(0, VIP1, "198.51.100.51/32", "4");
	if (!err) {
		run_steps(e, &tc, st, NSTEPS(st));
		expect_hits(&tc, 1, 1);
		expect_hits(&tc, 2, 3); /* .20, .50, .51 */
		expect_hits(&tc, 3, 1); /* .20 only: .10 never reached the vip scope */
		expect_hits(&tc, 4, 1);
	}
	pol_end(e, &tc, err);
}

/* Rules in bank 1 are ignored while pol_bank is 0 and apply once flipped;
 * with the flag clear nothing applies at all. */
static void t_banks(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	const struct pstep allow[] = { { { .pkt = { .client = 3 }, FWD }, "bank 0 empty" } };
	const struct pstep deny[] = {
		{ { .pkt = { .client = 3 }, DROPPED(POLICY) }, "bank 1 denies" },
	};
	const struct pstep off[] = { { { .pkt = { .client = 3 }, FWD }, "flag clear" } };
	struct tcase tc;
	int err =
		pol_begin(e, &tc, "policy: bank flip, and nothing applies with the flag clear", &v);

	err = err ?: pol_rule(1, 7, DENY, 0, NULL);
	err = err ?: pol_scope(1, VIP1, RULES, ALLOW);
	err = err ?: pol_prefix(1, VIP1, "198.51.100.0/24", "7");
	if (!err) {
		run_steps(e, &tc, allow, 1);
		err = pol_enable(e, 1);
	}
	if (!err) {
		run_steps(e, &tc, deny, 1);
		err = pol_enable(e, 0);
	}
	if (!err) {
		run_steps(e, &tc, allow, 1);
		err = pol_enable(e, 1);
	}
	if (!err) {
		e->cfg.flags &= (__u8)~XLB_CFG_F_POLICY; /* bank 1 selected, flag clear */
		err = maps_config_set(e->m, &e->cfg);
	}
	if (!err) {
		run_steps(e, &tc, off, 1);
		expect_hits(&tc, 7, 1);
	}
	pol_end(e, &tc, err);
}

/* New flows, burst 3 at 1/s per source: three SYNs pass, the fourth is
 * dropped, another source passes, established packets still pass. */
static void t_rl_new_flow(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_IPIP };
	/* clang-format off */
#define SYN_FROM(c, p) .pkt = { .client = (c), .sport = (p), .flags = TCP_SYN }
	/* clang-format on */
	const struct pstep st[] = {
		{ { SYN_FROM(0, 1000), FWDN }, "1st new flow" },
		{ { SYN_FROM(0, 1001), FWD }, "2nd" },
		{ { SYN_FROM(0, 1002), FWD }, "3rd" },
		{ { SYN_FROM(0, 1003), DROPPED(RL_NEW_FLOW), .dontcare = DC_FLOW }, "4th: over" },
		{ { .pkt = { .client = 0, .sport = 1004 },
		    DROPPED(RL_NEW_FLOW),
		    .dontcare = DC_FLOW },
		  "ack of an unknown flow: a new flow too" },
		{ { SYN_FROM(1, 1000), FWDN }, "other source" },
		{ { .pkt = { .client = 0, .sport = 1000 }, FWD }, "established flow 1" },
		{ { .pkt = { .client = 0, .sport = 1002, .len = 50 }, FWD }, "established flow 3" },
	};
	struct xlb_rl_cfg rc = {};
	struct tcase tc;
	int err = pol_begin(e, &tc, "ratelimit: new flows burst 3 at 1/s per source", &v);

	gcra(1, 3, &rc.nf_interval_ns, &rc.nf_tolerance_ns);
	err = err ?: pol_rl(VIP1, &rc);
	if (!err) {
		uint64_t d0 = vip_drops(e, VIP1);

		run_steps(e, &tc, st, NSTEPS(st));
		expect_vip_drops(e, &tc, d0, 2);
		if (rl_buckets() != 2)
			tap_fail(&tc, "expected 2 source buckets, found %llu",
				 (unsigned long long)rl_buckets());
	}
	pol_end(e, &tc, err);

	/* the global scope is charged first: its burst 2 refuses the third flow
	 * before the vip's burst 3 is consulted (so the vip bucket keeps a token) */
	const struct pstep st2[] = {
		{ { SYN_FROM(0, 1000), FWD, .cnt = { CNT(RL_NEW_SOURCE, 2) } }, "1st" },
		{ { SYN_FROM(0, 1001), FWD }, "2nd" },
		{ { SYN_FROM(0, 1002), DROPPED(RL_NEW_FLOW), .dontcare = DC_FLOW }, "3rd: global" },
	};
	struct xlb_rl_cfg g = {};

	err = pol_begin(e, &tc, "ratelimit: global new-flow limit before the vip's", &v);
	gcra(1, 2, &g.nf_interval_ns, &g.nf_tolerance_ns);
	err = err ?: pol_rl(GLOBAL, &g);
	err = err ?: pol_rl(VIP1, &rc);
	if (!err)
		run_steps(e, &tc, st2, NSTEPS(st2));
	if (!err) { /* the vip bucket has one token left: global off, one more passes */
		const struct pstep st3[] = {
			{ { SYN_FROM(0, 1003), FWD }, "global off: vip's 3rd token" },
			{ { SYN_FROM(0, 1004), DROPPED(RL_NEW_FLOW), .dontcare = DC_FLOW },
			  "vip burst spent" },
		};

		g = (struct xlb_rl_cfg){};
		err = pol_rl(GLOBAL, &g);
		if (!err)
			run_steps(e, &tc, st3, NSTEPS(st3));
	}
	pol_end(e, &tc, err);
#undef SYN_FROM
}

/* Packets, burst 5 at 1/s per source: the sixth packet is dropped, every
 * packet counts (established too), another source passes. */
static void t_rl_pps(struct env *e)
{
	const struct vipcfg v = { .fam = 6, .proto = UDP, .port = 53, .encap = XLB_ENCAP_IPIP };
	const struct pstep st[] = {
		{ { .pkt = { .client = 5 }, FWDN }, "1" },
		{ { .pkt = { .client = 5 }, FWD }, "2" },
		{ { .pkt = { .client = 5, .sport = 7 }, FWD }, "3 (another flow, same source)" },
		{ { .pkt = { .client = 5 }, FWD }, "4" },
		{ { .pkt = { .client = 5 }, FWD }, "5" },
		{ { .pkt = { .client = 5 }, DROPPED(RL_PPS) }, "6: over" },
		{ { .pkt = { .client = 5, .sport = 7 }, DROPPED(RL_PPS) }, "7: over" },
		{ { .pkt = { .client = 6 }, FWDN }, "other" },
	};
	struct xlb_rl_cfg rc = { .prefix6 = 128 };
	struct tcase tc;
	int err = pol_begin(e, &tc, "ratelimit: packets burst 5 at 1/s per source (v6 /128)", &v);

	gcra(1, 5, &rc.pps_interval_ns, &rc.pps_tolerance_ns);
	err = err ?: pol_rl(VIP1, &rc);
	if (!err)
		run_steps(e, &tc, st, NSTEPS(st));
	pol_end(e, &tc, err);
}

/* The VIP's new-flow ceiling, burst 2 at 1/s over all sources. */
static void t_rl_ceiling(struct env *e)
{
	const struct vipcfg v = { .fam = 4, .encap = XLB_ENCAP_GUE };
	const struct pstep st[] = {
		{ { .pkt = { .client = 0, .flags = TCP_SYN }, FWD }, "flow 1" },
		{ { .pkt = { .client = 1, .flags = TCP_SYN }, FWD }, "flow 2" },
		{ { .pkt = { .client = 2, .flags = TCP_SYN },
		    DROPPED(RL_CEILING),
		    .dontcare = DC_FLOW },
		  "flow 3: over the ceiling" },
		{ { .pkt = { .client = 0 }, FWD }, "flow 1 established" },
		{ { .pkt = { .client = 3 }, DROPPED(RL_CEILING), .dontcare = DC_FLOW },
		  "unknown flow: new" },
	};
	struct xlb_rl_cfg rc = {};
	struct tcase tc;
	int err = pol_begin(e, &tc, "ratelimit: vip new-flow ceiling burst 2 at 1/s", &v);

	gcra(1, 2, &rc.ceil_interval_ns, &rc.ceil_tolerance_ns);
	err = err ?: pol_rl(VIP1, &rc);
	if (!err) {
		run_steps(e, &tc, st, NSTEPS(st));
		if (rl_buckets())
			tap_fail(&tc, "the ceiling created source buckets");
	}
	pol_end(e, &tc, err);
}

/* prefix4 24: one bucket for 198.51.100.0/24; prefix4 32: one per address;
 * prefix6 0 (default 64): one bucket for 2001:db8:c::/64. */
static void t_rl_prefix(struct env *e)
{
	static const struct {
		const char *name;
		uint8_t fam, prefix4, prefix6;
		bool grouped;
	} c[] = {
		{ "ratelimit: prefix4 24 puts clients of a /24 in one bucket", 4, 24, 0, true },
		{ "ratelimit: prefix4 32 gives each client its own bucket", 4, 32, 0, false },
		{ "ratelimit: prefix6 default (64) groups clients of a /64", 6, 0, 0, true },
		{ "ratelimit: prefix6 128 gives each client its own bucket", 6, 0, 128, false },
	};

	for (size_t i = 0; i < NSTEPS(c); i++) {
		const struct vipcfg v = { .fam = c[i].fam, .encap = XLB_ENCAP_IPIP };
		const struct pstep st[] = {
			{ { .pkt = { .client = 0, .flags = TCP_SYN }, FWDN }, "client 0" },
			{ { .pkt = { .client = 1, .flags = TCP_SYN },
			    FWD,
			    .cnt = { CNT(RL_NEW_SOURCE, c[i].grouped ? 0 : 1) } },
			  "client 1" },
			{ { .pkt = { .client = 2, .flags = TCP_SYN },
			    DROPPED(RL_NEW_FLOW),
			    .dontcare = DC_FLOW },
			  "client 2: the group's burst is spent" },
			{ { .pkt = { .client = 2, .flags = TCP_SYN }, FWDN },
			  "client 2: its own bucket" },
		};
		struct xlb_rl_cfg rc = { .prefix4 = c[i].prefix4, .prefix6 = c[i].prefix6 };
		struct tcase tc;
		int err = pol_begin(e, &tc, c[i].name, &v);

		gcra(1, 2, &rc.nf_interval_ns, &rc.nf_tolerance_ns);
		err = err ?: pol_rl(VIP1, &rc);
		if (!err) {
			run_steps(e, &tc, st, 2);
			run_steps(e, &tc, &st[c[i].grouped ? 2 : 3], 1);
			if (rl_buckets() != (c[i].grouped ? 1 : 3))
				tap_fail(&tc, "expected %d buckets, found %llu",
					 c[i].grouped ? 1 : 3, (unsigned long long)rl_buckets());
		}
		pol_end(e, &tc, err);
	}
}

/* ---- randomized: no source inside a deny rule's CIDR is ever forwarded ---- */

#define RAND_SEED 0x706f6c6963792121ULL
#define RAND_PKTS 120000
#define RAND_PER_CIDR 1000

static uint64_t prs;

static uint64_t prnd(void)
{
	prs ^= prs >> 12;
	prs ^= prs << 25;
	prs ^= prs >> 27;
	return prs * 0x2545f4914f6cdd1dULL;
}

static uint32_t prn(uint32_t n)
{
	return (uint32_t)(prnd() % n);
}

static uint8_t rsrc[16];

/* the source of the packet becomes rsrc (after the builder: checksums redone) */
static void mut_src(struct pkt *p)
{
	bool v4 = (p->d[p->l3] >> 4) == 4;

	memcpy(p->d + p->l3 + (v4 ? 12 : 8), rsrc, v4 ? 4 : 16);
	pkt_finish(p);
}

static bool in_prefix(const uint8_t *a, const uint8_t *net, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		if (((a[i / 8] ^ net[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

/* A random prefix: mostly around the test clients, sometimes anywhere, any length */
static void rand_cidr(uint8_t fam, uint8_t net[16], unsigned *len)
{
	unsigned bits = fam == 4 ? 32 : 128;

	for (int i = 0; i < 16; i++)
		net[i] = (uint8_t)prnd();
	if (prn(4)) {
		addr_client(fam, (int)prn(240), net);
		*len = bits - prn(fam == 4 ? 12 : 20);
	} else {
		*len = prn(bits + 1);
	}
	host_bits_clear(net, *len, bits);
	if (fam == 4)
		memset(net + 4, 0, 12);
}

static int rand_install(uint8_t fam, uint32_t scope, const uint8_t *net, unsigned len, bool del)
{
	union {
		struct xlb_pol_key4 k4;
		struct xlb_pol_key6 k6;
	} k;
	struct xlb_pol_chain ch = { .n = 1, .rule = { 9 } };
	int fd = pol_trie(0, fam == 6);

	if (fd < 0)
		return fd;
	memset(&k, 0, sizeof(k));
	k.k4.prefixlen = 32 + len;
	k.k4.scope = scope;
	memcpy(fam == 6 ? (void *)k.k6.addr : (void *)&k.k4.addr, net, fam == 6 ? 16 : 4);
	if (del)
		return bpf_map_delete_elem(fd, &k) ? -errno : 0;
	return upd(fd, &k, &ch);
}

static void t_random(struct env *e)
{
	static const struct vipcfg vs[] = {
		{ .fam = 4, .encap = XLB_ENCAP_IPIP, .anyport = true, .vip_id = 1 },
		{ .fam = 4, .proto = UDP, .encap = XLB_ENCAP_GUE, .anyport = true, .vip_id = 2 },
		{ .fam = 6, .encap = XLB_ENCAP_IPIP, .anyport = true, .vip_id = 3 },
		{ .fam = 6, .proto = UDP, .encap = XLB_ENCAP_GUE, .anyport = true, .vip_id = 4 },
	};
	static struct pkt p;
	static struct run r;
	uint64_t inside = 0, outside = 0, bad = 0, t0 = mono_ns();
	uint8_t net[16] = {}, fam = 4;
	unsigned len = 0;
	uint32_t scope = GLOBAL;
	struct snap a, b;
	struct tcase tc;
	char name[128];
	int err;

	snprintf(name, sizeof(name),
		 "policy: random cidr denied, no source inside forwarded (%d packets)", RAND_PKTS);
	err = pol_begin(e, &tc, name, &vs[0]);
	for (size_t i = 1; i < NSTEPS(vs) && !err; i++)
		err = env_ring_all(e, vs[i].vip_id, RING_SIZE_DEFAULT, i % 2 ? 2 : 1) ?:
			      env_vip(e, &vs[i], D_VIP);
	err = err ?: pol_enable(e, 0);
	err = err ?: pol_rule(0, 9, DENY, 0, NULL);
	err = err ?: pol_rule(0, 8, ALLOW, 0, NULL);
	for (uint32_t s = 1; s <= 4 && !err; s++)
		err = pol_scope(0, s, RULES, ALLOW);
	err = err ?: pol_scope(0, GLOBAL, RULES, ALLOW);
	/* unrelated allows so the tries are not trivial, in scopes no VIP uses (an
	 * allow more specific than the deny in the same scope would rightly win) */
	prs = RAND_SEED;
	for (int i = 0; i < 200 && !err; i++) {
		char c[64];

		snprintf(c, sizeof(c), "%u.%u.%u.0/%u", prn(256), prn(256), prn(256), 8 + prn(17));
		err = pol_prefix(0, 5 + prn(4), c, "8");
		snprintf(c, sizeof(c), "2001:db8:%x::/%u", prn(65536), 32 + prn(33));
		err = err ?: pol_prefix(0, 5 + prn(4), c, "8");
	}
	snap_take(e, &a);
	for (uint64_t i = 0; i < RAND_PKTS && !err; i++) {
		struct pspec ps = {};
		bool in;

		if (i % RAND_PER_CIDR == 0) {
			if (i)
				err = rand_install(fam, scope, net, len, true);
			fam = prn(2) ? 4 : 6;
			scope = prn(2) ? GLOBAL : 1 + prn(2) + (fam == 6 ? 2 : 0);
			rand_cidr(fam, net, &len);
			err = err ?: rand_install(fam, scope, net, len, false);
			if (err)
				break;
		}
		ps.fam = prn(4) ? fam : (fam == 4 ? 6 : 4);
		ps.proto = prn(2) ? TCP : UDP;
		ps.client = (uint8_t)prn(240);
		ps.sport = (uint16_t)(1 + prn(65535));
		ps.dport = (uint16_t)(1 + prn(65535));
		ps.flags = (uint8_t)(prn(3) ? TCP_SYN : TCP_ACK);
		ps.len = (uint16_t)prn(200);
		ps.mut = mut_src;
		memset(rsrc, 0, sizeof(rsrc));
		if (ps.fam == fam && prn(2)) { /* inside the prefix */
			memcpy(rsrc, net, 16);
			for (unsigned k = len; k < (fam == 4 ? 32u : 128u); k++)
				if (prn(2))
					rsrc[k / 8] |= (uint8_t)(0x80 >> (k % 8));
		} else if (prn(2)) {
			addr_client(ps.fam, ps.client, rsrc);
		} else {
			for (int k = 0; k < (ps.fam == 4 ? 4 : 16); k++)
				rsrc[k] = (uint8_t)prnd();
		}
		ps_resolve(&ps, &vs[0]);
		ps_build(&ps, &p);
		if (p.bad) {
			err = -EINVAL;
			break;
		}
		run_prog(e->prog_fd, p.d, p.len, 0, &r);
		/* the deny applies to its family's packets of its scope's VIP */
		in = ps.fam == fam && in_prefix(rsrc, net, len) &&
		     (scope == GLOBAL || scope == (ps.fam == 4 ? 1u : 3u) + (ps.proto == UDP));
		inside += in;
		outside += !in;
		if (r.err || (in && (r.verdict == XDP_TX || r.verdict == XDP_REDIRECT)) ||
		    (!in && r.verdict != XDP_TX)) {
			if (bad++ < 3) {
				char s[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];

				inet_ntop(ps.fam == 4 ? AF_INET : AF_INET6, rsrc, s, sizeof(s));
				inet_ntop(fam == 4 ? AF_INET : AF_INET6, net, n, sizeof(n));
				tap_fail(&tc, "packet %llu: source %s, deny %s/%u in scope %u: %s",
					 (unsigned long long)i, s, n, len, scope,
					 verdict_name(r.verdict));
			}
		}
	}
	snap_take(e, &b);
	printf("# policy random: %.1f s, %llu packets inside a denied cidr, %llu outside\n",
	       (double)(mono_ns() - t0) / 1e9, (unsigned long long)inside,
	       (unsigned long long)outside);
	if (bad)
		tap_fail(&tc, "%llu packets broke the invariant", (unsigned long long)bad);
	if (!err && b.drops[XLB_DROP_POLICY] - a.drops[XLB_DROP_POLICY] != inside)
		tap_fail(&tc, "drops[policy] +%llu, packets inside %llu",
			 (unsigned long long)(b.drops[XLB_DROP_POLICY] - a.drops[XLB_DROP_POLICY]),
			 (unsigned long long)inside);
	if (!err && inside < RAND_PKTS / 8)
		tap_fail(&tc, "only %llu packets inside a denied cidr: generator broken",
			 (unsigned long long)inside);
	pol_end(e, &tc, err);
}

void suite_policy(struct env *e)
{
	struct tcase tc;

	if (pol_open(e)) {
		tap_begin(&tc, "policy: maps");
		tap_fail(&tc, "policy maps missing from xlb_xdp");
		tap_end(&tc);
		return;
	}
	t_nested4(e);
	t_nested6(e);
	t_ports(e);
	t_defaults(e);
	t_global_first(e);
	t_banks(e);
	t_rl_new_flow(e);
	t_rl_pps(e);
	t_rl_ceiling(e);
	t_rl_prefix(e);
	t_random(e);
	env_clear(e);
}
