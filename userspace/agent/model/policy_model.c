// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy: the rule-set model (scopes, rules, defaults, rate limits). Every
 * change goes through policy_apply(), which checks the command against the
 * whole model and reserves all memory before it touches anything, so a
 * refused command leaves the model as it was. No I/O, no libbpf. The trie,
 * printer, compiler and rate arithmetic are in policy_*.c (policy_int.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlb/consts.h>
#include "common/errmsg.h"
#include "common/grammar.h"
#include "common/parse.h"
#include "agent/model/policy_int.h"

const char *pol_cidr_str(const struct cidr *c, char *buf, size_t len)
{
	if (cidr_format(c, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *scope_str(const struct pol_scope *s, const struct xlb_vip_key *key, char *buf,
			     size_t len)
{
	char vs[PARSE_VIP_STRLEN];

	if (s)
		key = s->global ? NULL : &s->key;
	if (!key) {
		snprintf(buf, len, "global");
		return buf;
	}
	if (format_vip(key, vs, sizeof(vs)))
		snprintf(vs, sizeof(vs), "?");
	snprintf(buf, len, "vip %s", vs);
	return buf;
}

/* "10.0.0.0/8 proto tcp ports 80": a rule as its identity */
static const char *rule_str(const struct cidr *c, uint8_t proto, const struct gr_range *ports,
			    unsigned int nports, char *buf, size_t len)
{
	char cs[CIDR_STRLEN], ps[GR_EXPECT_STRLEN] = "";
	const char *pn = gr_proto_name(proto);

	if (nports && gr_ports_format(ports, nports, ps, sizeof(ps)))
		snprintf(ps, sizeof(ps), "?");
	snprintf(buf, len, "%s%s%s%s%s", pol_cidr_str(c, cs, sizeof(cs)), proto ? " proto " : "",
		 proto ? (pn ? pn : "?") : "", nports ? " ports " : "", ps);
	return buf;
}

/* Adding a rule: the CIDR, its except blocks, and where it goes */
struct add_ctx {
	const struct pol_trie *t;
	const struct cidr *cidr;
	const struct cidr *except;
	unsigned int nexcept;
	const struct cidr *bad; /* the prefix whose chain is too long */
	struct cidr badbuf;
	unsigned int badlen;
};

static bool in_except(const struct add_ctx *a, const struct pol_node *n)
{
	unsigned int i;

	for (i = 0; i < a->nexcept; i++)
		if (pol_cidr_covers_node(&a->except[i], n))
			return true;
	return false;
}

/* Every prefix inside the new rule's CIDR, below node idx: its chain plus the
 * new rule (unless an except block covers it) must fit. */
static int check_below(struct add_ctx *a, uint8_t family, uint32_t idx, const uint32_t *act,
		       unsigned int nact)
{
	const struct pol_node *n = &a->t->node[idx];
	uint32_t cur[ACT_MAX];
	unsigned int ncur = nact, i;
	int ret;

	if (in_except(a, n))
		return 0; /* the new rule does not apply here; the rest was valid */
	if (pol_node_used(n)) {
		ncur = pol_node_chain(n, act, nact, cur);
		if (ncur + 1 > CHAIN_MAX) {
			pol_node_cidr(n, family, &a->badbuf);
			a->bad = &a->badbuf;
			a->badlen = ncur + 1;
			return -ENOSPC;
		}
		act = cur;
	}
	for (i = 0; i < 2; i++) {
		if (!n->child[i])
			continue;
		ret = check_below(a, family, n->child[i], act, ncur);
		if (ret)
			return ret;
	}
	return 0;
}

/* Would any prefix get more than CHAIN_MAX rules with the new one? */
static int check_chains(struct add_ctx *a, uint8_t family)
{
	const struct pol_trie *t = a->t;
	uint32_t act[ACT_MAX], cur[ACT_MAX], idx = t->root, exact = 0, below = 0;
	unsigned int nact = 0, i;
	int ret;

	/* the chain at the CIDR from the prefixes that contain it */
	while (idx) {
		const struct pol_node *n = &t->node[idx];

		if (n->plen > a->cidr->plen) {
			if (pol_cidr_covers_node(a->cidr, n))
				below = idx;
			break;
		}
		if (!pol_node_covers(n, a->cidr))
			break;
		if (pol_node_used(n)) {
			nact = pol_node_chain(n, act, nact, cur);
			if (nact > ACT_MAX)
				nact = ACT_MAX;
			memcpy(act, cur, nact * sizeof(act[0]));
		}
		if (n->plen == a->cidr->plen) {
			exact = idx;
			break;
		}
		idx = n->child[cidr_addr_bit(a->cidr->addr, n->plen)];
	}
	if (nact + 1 > CHAIN_MAX) {
		a->bad = a->cidr;
		a->badlen = nact + 1;
		return -ENOSPC;
	}
	if (exact) {
		for (i = 0; i < 2; i++) {
			if (!t->node[exact].child[i])
				continue;
			ret = check_below(a, family, t->node[exact].child[i], act, nact);
			if (ret)
				return ret;
		}
		return 0;
	}
	return below ? check_below(a, family, below, act, nact) : 0;
}

/* ---- ids and scopes ---- */

static int ids_reserve(struct policy *p)
{
	struct pol_rule *r;
	uint32_t *f, cap;

	if (p->nfree || p->nids < p->cap)
		return 0;
	if (p->nids >= XLB_POL_RULES_MAX)
		return -ENOSPC;
	cap = p->cap ? p->cap * 2 : 256;
	if (cap > XLB_POL_RULES_MAX)
		cap = XLB_POL_RULES_MAX;
	r = realloc(p->rule, (size_t)cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	p->rule = r;
	/* the free list can hold every id, so freeing never allocates */
	f = realloc(p->freeids, (size_t)cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->freeids = f;
	p->cap = cap;
	return 0;
}

static uint32_t id_alloc(struct policy *p)
{
	if (p->nfree)
		return p->freeids[--p->nfree];
	return p->nids++;
}

static void scope_init(struct pol_scope *s, bool global, const struct xlb_vip_key *key)
{
	memset(s, 0, sizeof(*s));
	s->global = global;
	if (key)
		s->key = *key;
	s->dflt = POL_DEF_ACTION;
	s->head = s->tail = POL_NONE;
	s->rl.prefix_len = POL_DEF_PREFIX_LEN;
	s->rl.prefix_len6 = POL_DEF_PREFIX_LEN6;
}

static void scope_free(struct pol_scope *s)
{
	pol_trie_free(&s->trie[0]);
	pol_trie_free(&s->trie[1]);
}

struct pol_scope *policy_scope(const struct policy *p, const struct xlb_vip_key *key)
{
	size_t i;

	if (!key)
		return (struct pol_scope *)&p->global;
	for (i = 0; i < p->nvip; i++)
		if (vip_key_eq(&p->vip[i]->key, key))
			return p->vip[i];
	return NULL;
}

/* The scope of @key, created (empty) if needed */
static struct pol_scope *scope_get(struct policy *p, const struct xlb_vip_key *key)
{
	struct pol_scope *s = policy_scope(p, key), **v;

	if (s)
		return s;
	if (p->nvip == p->capvip) {
		size_t cap = p->capvip ? p->capvip * 2 : 8;

		v = realloc(p->vip, cap * sizeof(*v));
		if (!v)
			return NULL;
		p->vip = v;
		p->capvip = cap;
	}
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	scope_init(s, false, key);
	p->vip[p->nvip++] = s;
	return s;
}

/* A VIP scope with nothing in it is removed, so equal models print equal */
static void scope_gc(struct policy *p, struct pol_scope *s)
{
	size_t i;

	if (s->global || s->nrules || s->has_rl || s->dflt != POL_DEF_ACTION)
		return;
	for (i = 0; i < p->nvip; i++) {
		if (p->vip[i] != s)
			continue;
		scope_free(s);
		free(s);
		memmove(&p->vip[i], &p->vip[i + 1], (p->nvip - i - 1) * sizeof(p->vip[0]));
		p->nvip--;
		return;
	}
}

static void touch(struct policy *p, struct pol_scope *s)
{
	s->gen = ++p->gen;
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	scope_init(&p->global, true, NULL);
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nvip; i++) {
		scope_free(p->vip[i]);
		free(p->vip[i]);
	}
	free(p->vip);
	scope_free(&p->global);
	free(p->rule);
	free(p->freeids);
	policy_init(p);
}

static int scope_copy(struct pol_scope *dst, const struct pol_scope *src)
{
	*dst = *src;
	memset(dst->trie, 0, sizeof(dst->trie));
	if (pol_trie_copy(&dst->trie[0], &src->trie[0]) ||
	    pol_trie_copy(&dst->trie[1], &src->trie[1])) {
		scope_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int policy_copy(struct policy *dst, const struct policy *src)
{
	size_t i;

	policy_init(dst);
	if (src->cap) {
		dst->rule = malloc((size_t)src->cap * sizeof(*dst->rule));
		dst->freeids = malloc((size_t)src->cap * sizeof(*dst->freeids));
		if (!dst->rule || !dst->freeids)
			goto out_free;
		memcpy(dst->rule, src->rule, (size_t)src->nids * sizeof(*dst->rule));
		memcpy(dst->freeids, src->freeids, (size_t)src->nfree * sizeof(*dst->freeids));
	}
	dst->nids = src->nids;
	dst->cap = src->cap;
	dst->nfree = src->nfree;
	dst->nrules = src->nrules;
	memcpy(dst->nprefix, src->nprefix, sizeof(dst->nprefix));
	dst->seq = src->seq;
	dst->gen = src->gen;
	if (scope_copy(&dst->global, &src->global))
		goto out_free;
	if (src->nvip) {
		dst->vip = calloc(src->nvip, sizeof(*dst->vip));
		if (!dst->vip)
			goto out_free;
		dst->capvip = src->nvip;
	}
	for (i = 0; i < src->nvip; i++) {
		dst->vip[i] = malloc(sizeof(*dst->vip[i]));
		if (!dst->vip[i] || scope_copy(dst->vip[i], src->vip[i])) {
			free(dst->vip[i]);
			goto out_free;
		}
		dst->nvip++;
	}
	return 0;

out_free:
	policy_free(dst);
	return -ENOMEM;
}

const struct pol_rule *policy_rule(const struct policy *p, uint32_t id)
{
	if (id >= p->nids || !p->rule[id].used)
		return NULL;
	return &p->rule[id];
}

/* ---- policy add / del ---- */

static bool rule_spec(const struct pol_rule *r)
{
	return r->proto || r->nports;
}

static bool same_match(const struct pol_rule *r, uint8_t proto, const struct gr_range *ports,
		       unsigned int nports)
{
	return r->proto == proto && r->nports == nports &&
	       !memcmp(r->ports, ports, nports * sizeof(ports[0]));
}

/* The rule of node n with this proto and ports; POL_NONE if none */
static uint32_t node_rule(const struct policy *p, const struct pol_node *n, uint8_t proto,
			  const struct gr_range *ports, unsigned int nports)
{
	unsigned int i;

	for (i = 0; i < n->ncid; i++)
		if (same_match(&p->rule[n->cid[i]], proto, ports, nports))
			return n->cid[i];
	return POL_NONE;
}

/* Port ranges as the grammar makes them: GR_PORT_MIN-GR_PORT_MAX, sorted, disjoint */
static int check_ports(const struct gr_policy *g, char *err, size_t errlen)
{
	unsigned int i;

	if (!g->nports || g->nports > XLB_POL_PORTS_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid ports: 1-%d ports or ranges",
			      XLB_POL_PORTS_MAX);
	for (i = 0; i < g->nports; i++)
		if (g->ports[i].lo < GR_PORT_MIN || g->ports[i].lo > g->ports[i].hi ||
		    (i && g->ports[i].lo <= g->ports[i - 1].hi + 1))
			return errmsg(-EINVAL, err, errlen,
				      "invalid ports range %u-%u: ports %u-%u, sorted, disjoint",
				      g->ports[i].lo, g->ports[i].hi, GR_PORT_MIN, GR_PORT_MAX);
	return 0;
}

/* The rule fields of a policy add/del command, checked and normalised */
struct rule_in {
	struct cidr cidr;
	uint8_t proto, nports, nexcept;
	struct gr_range ports[XLB_POL_PORTS_MAX];
	struct cidr except[GR_EXCEPT_MAX];
};

static int check_cidr(const struct cidr *in, const char *name, struct cidr *out, char *err,
		      size_t errlen)
{
	unsigned int max = cidr_maxlen(in->family);

	if (!max || in->plen > max)
		return errmsg(-EINVAL, err, errlen, "invalid %s: bad family or prefix length",
			      name);
	*out = *in;
	memset(out->pad, 0, sizeof(out->pad));
	cidr_mask(out->addr, out->plen); /* host bits: accepted and cleared */
	return 0;
}

static int rule_input(const struct xlb_vip_key *key, const struct gr_cmd *cmd, struct rule_in *in,
		      char *err, size_t errlen)
{
	const struct gr_policy *g = &cmd->pol;
	char cs[CIDR_STRLEN], es[CIDR_STRLEN], ps[GR_EXPECT_STRLEN], vs[PARSE_VIP_STRLEN];
	unsigned int i, j;
	int ret;

	memset(in, 0, sizeof(*in));
	if (!(cmd->args & GR_ARG_CIDR))
		return errmsg(-EINVAL, err, errlen, "missing CIDR for 'policy %s'",
			      gr_verb_name(cmd->verb));
	ret = check_cidr(&g->cidr, "CIDR", &in->cidr, err, errlen);
	if (ret)
		return ret;
	pol_cidr_str(&in->cidr, cs, sizeof(cs));
	if (key && key->family != in->cidr.family) {
		if (format_vip(key, vs, sizeof(vs)))
			snprintf(vs, sizeof(vs), "?");
		return errmsg(-EINVAL, err, errlen, "invalid CIDR '%s': vip %s is %s", cs, vs,
			      key->family == XLB_FAMILY_V4 ? "IPv4" : "IPv6");
	}
	if (g->set & GR_POL_PROTO) {
		if (g->proto != IPPROTO_TCP && g->proto != IPPROTO_UDP && g->proto != IPPROTO_ICMP)
			return errmsg(-EINVAL, err, errlen,
				      "invalid proto %u: must be tcp, udp or icmp", g->proto);
		in->proto = g->proto;
	}
	if (g->set & GR_POL_PORTS) {
		ret = check_ports(g, err, errlen);
		if (ret)
			return ret;
		if (in->proto == IPPROTO_ICMP) {
			if (gr_ports_format(g->ports, g->nports, ps, sizeof(ps)))
				snprintf(ps, sizeof(ps), "?");
			return errmsg(-EINVAL, err, errlen,
				      "invalid ports '%s': proto icmp has no ports", ps);
		}
		in->nports = g->nports;
		memcpy(in->ports, g->ports, g->nports * sizeof(g->ports[0]));
	}
	if (!(g->set & GR_POL_EXCEPT))
		return 0;
	if (cmd->verb != GR_VERB_ADD)
		return errmsg(-EINVAL, err, errlen, "'except' is only for 'policy add'");
	if (!g->nexcept || g->nexcept > GR_EXCEPT_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid except: 1-%d prefixes", GR_EXCEPT_MAX);
	for (i = 0; i < g->nexcept; i++) {
		struct cidr *e = &in->except[i];

		ret = check_cidr(&g->except[i], "except", e, err, errlen);
		if (ret)
			return ret;
		pol_cidr_str(e, es, sizeof(es));
		if (e->family != in->cidr.family)
			return errmsg(-EINVAL, err, errlen, "invalid except '%s': not %s like %s",
				      es, in->cidr.family == XLB_FAMILY_V4 ? "IPv4" : "IPv6", cs);
		if (cidr_equal(e, &in->cidr))
			return errmsg(-EINVAL, err, errlen,
				      "invalid except '%s': the whole CIDR, the rule would match "
				      "nothing",
				      es);
		if (!cidr_contains(&in->cidr, e))
			return errmsg(-EINVAL, err, errlen, "invalid except '%s': not inside %s",
				      es, cs);
		/* sorted: a block containing a later one sorts right before it */
		for (j = 0; j < i; j++)
			if (cidr_overlap(&in->except[j], e))
				return errmsg(-EINVAL, err, errlen,
					      "invalid except '%s': overlaps %s", es,
					      pol_cidr_str(&in->except[j], cs, sizeof(cs)));
	}
	in->nexcept = g->nexcept;
	/* keep them sorted whatever order a hand-made command used */
	for (i = 1; i < in->nexcept; i++)
		for (j = i; j > 0 && cidr_cmp(&in->except[j - 1], &in->except[j]) > 0; j--) {
			struct cidr t = in->except[j];

			in->except[j] = in->except[j - 1];
			in->except[j - 1] = t;
		}
	return 0;
}

static void node_set_used(struct policy *p, struct pol_trie *t, int f, struct pol_node *n, bool was)
{
	if (was == pol_node_used(n))
		return;
	if (was) {
		t->nprefix--;
		p->nprefix[f]--;
	} else {
		t->nprefix++;
		p->nprefix[f]++;
	}
}

/* 1 if c is not yet a prefix of the scope's rules (a trie entry) */
static unsigned int prefix_fresh(const struct pol_scope *s, int f, const struct cidr *c)
{
	uint32_t idx;

	if (!s)
		return 1;
	idx = pol_trie_find(&s->trie[f], c);
	return !idx || !pol_node_used(&s->trie[f].node[idx]);
}

static int policy_add(struct policy *p, const struct xlb_vip_key *key, const struct gr_cmd *cmd,
		      char *err, size_t errlen)
{
	char ss[SCOPE_STRLEN], rs[256], bs[CIDR_STRLEN];
	struct pol_scope *s = policy_scope(p, key);
	struct add_ctx a = { 0 };
	struct rule_in in;
	struct pol_trie *t;
	struct pol_rule *r;
	struct pol_node *n;
	uint32_t id, idx, fresh;
	unsigned int i, k;
	bool created = false, was;
	int ret, f;

	if (!(cmd->args & GR_ARG_ACTION) ||
	    (cmd->pol.action != XLB_POL_ALLOW && cmd->pol.action != XLB_POL_DENY))
		return errmsg(-EINVAL, err, errlen,
			      "missing action for 'policy add': allow or deny");
	ret = rule_input(key, cmd, &in, err, errlen);
	if (ret)
		return ret;
	scope_str(s, key, ss, sizeof(ss));
	rule_str(&in.cidr, in.proto, in.ports, in.nports, rs, sizeof(rs));
	f = pol_fam_idx(in.cidr.family);
	if (s) {
		t = &s->trie[f];
		idx = pol_trie_find(t, &in.cidr);
		if (idx && node_rule(p, &t->node[idx], in.proto, in.ports, in.nports) != POL_NONE)
			return errmsg(-EEXIST, err, errlen, "policy rule %s already exists in %s",
				      rs, ss);
		a.t = t;
		a.cidr = &in.cidr;
		a.except = in.except;
		a.nexcept = in.nexcept;
		ret = check_chains(&a, in.cidr.family);
		if (ret)
			return errmsg(ret, err, errlen,
				      "policy rule %s in %s: %u rules would apply to %s (at most "
				      "%d)",
				      rs, ss, a.badlen, pol_cidr_str(a.bad, bs, sizeof(bs)),
				      CHAIN_MAX);
	}
	if (p->nrules >= XLB_POL_RULES_MAX)
		return errmsg(-ENOSPC, err, errlen, "too many policy rules (at most %d)",
			      XLB_POL_RULES_MAX);
	fresh = prefix_fresh(s, f, &in.cidr);
	for (i = 0; i < in.nexcept; i++)
		fresh += prefix_fresh(s, f, &in.except[i]);
	if (p->nprefix[f] + fresh > XLB_POL_PREFIX_MAX)
		return errmsg(-ENOSPC, err, errlen,
			      "too many %s prefixes in policy rules (at most %d)",
			      f ? "IPv6" : "IPv4", XLB_POL_PREFIX_MAX);

	/* reserve everything, then change */
	ret = ids_reserve(p);
	if (ret)
		return errmsg(ret, err, errlen, "policy rule %s: %s", rs, strerror(-ret));
	if (!s) {
		s = scope_get(p, key);
		if (!s)
			return errmsg(-ENOMEM, err, errlen, "policy rule %s: out of memory", rs);
		created = true;
	}
	t = &s->trie[f];
	ret = pol_trie_reserve(t, 2 * (1 + in.nexcept));
	if (ret) {
		if (created)
			scope_gc(p, s);
		return errmsg(ret, err, errlen, "policy rule %s: out of memory", rs);
	}

	id = id_alloc(p);
	r = &p->rule[id];
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->seq = ++p->seq;
	r->action = cmd->pol.action;
	r->proto = in.proto;
	r->nports = in.nports;
	memcpy(r->ports, in.ports, sizeof(r->ports));
	r->cidr = in.cidr;
	r->nexcept = in.nexcept;
	memcpy(r->except, in.except, sizeof(r->except));
	r->prev = s->tail;
	r->next = POL_NONE;
	if (s->tail != POL_NONE)
		p->rule[s->tail].next = id;
	else
		s->head = id;
	s->tail = id;
	s->nrules++;
	p->nrules++;

	/* chain order inside the node: rules with proto/ports first, then
	 * insertion order; the new rule is the newest of its kind */
	n = &t->node[pol_trie_insert(t, &in.cidr)];
	was = pol_node_used(n);
	k = n->ncid;
	if (rule_spec(r))
		for (k = 0; k < n->ncid && rule_spec(&p->rule[n->cid[k]]); k++)
			;
	memmove(&n->cid[k + 1], &n->cid[k], (n->ncid - k) * sizeof(n->cid[0]));
	n->cid[k] = id;
	n->ncid++;
	node_set_used(p, t, f, n, was);
	for (i = 0; i < in.nexcept; i++) {
		n = &t->node[pol_trie_insert(t, &in.except[i])];
		was = pol_node_used(n);
		n->exc[n->nexc++] = id;
		node_set_used(p, t, f, n, was);
	}
	touch(p, s);
	return 0;
}

static void id_remove(uint32_t *ids, uint8_t *n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (ids[i] == id) {
			memmove(&ids[i], &ids[i + 1], (*n - i - 1) * sizeof(ids[0]));
			(*n)--;
			return;
		}
}

/* Unlink rule id from its scope's trie and list and free the id */
static void rule_remove(struct policy *p, struct pol_scope *s, uint32_t id)
{
	struct pol_rule *r = &p->rule[id];
	int f = pol_fam_idx(r->cidr.family);
	struct pol_trie *t = &s->trie[f];
	struct pol_node *n;
	uint32_t idx;
	unsigned int i;
	bool was;

	idx = pol_trie_find(t, &r->cidr);
	if (idx) {
		n = &t->node[idx];
		was = pol_node_used(n);
		id_remove(n->cid, &n->ncid, id);
		node_set_used(p, t, f, n, was);
		pol_trie_prune(t, &r->cidr);
	}
	for (i = 0; i < r->nexcept; i++) {
		idx = pol_trie_find(t, &r->except[i]);
		if (!idx)
			continue;
		n = &t->node[idx];
		was = pol_node_used(n);
		id_remove(n->exc, &n->nexc, id);
		node_set_used(p, t, f, n, was);
		pol_trie_prune(t, &r->except[i]);
	}
	if (r->prev != POL_NONE)
		p->rule[r->prev].next = r->next;
	else
		s->head = r->next;
	if (r->next != POL_NONE)
		p->rule[r->next].prev = r->prev;
	else
		s->tail = r->prev;
	s->nrules--;
	p->nrules--;
	r->used = false;
	p->freeids[p->nfree++] = id; /* room reserved by ids_reserve */
}

static int policy_del(struct policy *p, const struct xlb_vip_key *key, const struct gr_cmd *cmd,
		      char *err, size_t errlen)
{
	char ss[SCOPE_STRLEN], rs[256];
	struct pol_scope *s = policy_scope(p, key);
	struct rule_in in;
	uint32_t idx, id = POL_NONE;
	int ret;

	ret = rule_input(key, cmd, &in, err, errlen);
	if (ret)
		return ret;
	scope_str(s, key, ss, sizeof(ss));
	rule_str(&in.cidr, in.proto, in.ports, in.nports, rs, sizeof(rs));
	if (s) {
		struct pol_trie *t = &s->trie[pol_fam_idx(in.cidr.family)];

		idx = pol_trie_find(t, &in.cidr);
		if (idx)
			id = node_rule(p, &t->node[idx], in.proto, in.ports, in.nports);
	}
	if (id == POL_NONE)
		return errmsg(-ENOENT, err, errlen, "policy rule %s not found in %s", rs, ss);
	rule_remove(p, s, id);
	touch(p, s);
	scope_gc(p, s);
	return 0;
}

/* Every rule of the scope, at once */
static void scope_flush(struct policy *p, struct pol_scope *s)
{
	uint32_t id, next;
	int f;

	for (id = s->head; id != POL_NONE; id = next) {
		next = p->rule[id].next;
		p->rule[id].used = false;
		p->freeids[p->nfree++] = id;
	}
	for (f = 0; f < 2; f++) {
		p->nprefix[f] -= s->trie[f].nprefix;
		pol_trie_free(&s->trie[f]);
	}
	p->nrules -= s->nrules;
	s->nrules = 0;
	s->head = s->tail = POL_NONE;
}

bool policy_drop_vip(struct policy *p, const struct xlb_vip_key *key)
{
	struct pol_scope *s = policy_scope(p, key);

	if (!key || !s)
		return false;
	scope_flush(p, s);
	s->has_rl = false;
	s->dflt = POL_DEF_ACTION;
	touch(p, s);
	scope_gc(p, s);
	return true;
}

/* ---- ratelimit ---- */

static int rl_del(struct policy *p, const struct xlb_vip_key *key, char *err, size_t errlen);

static int rl_set(struct policy *p, const struct xlb_vip_key *key, const struct gr_cmd *cmd,
		  char *err, size_t errlen)
{
	const struct gr_ratelimit *g = &cmd->rl;
	struct pol_scope *s = policy_scope(p, key);
	char ss[SCOPE_STRLEN];
	struct pol_rl rl;
	uint32_t set = g->set;

	scope_str(s, key, ss, sizeof(ss));
	if (!set)
		return errmsg(-EINVAL, err, errlen, "nothing to set for 'ratelimit set'");
	if (!key && (set & (GR_RL_CEILING | GR_RL_CEILING_BURST)))
		return errmsg(-EINVAL, err, errlen,
			      "invalid %s: only a VIP has a new-flow ceiling; add 'vip VIP'",
			      set & GR_RL_CEILING ? "ceiling" : "ceiling-burst");
	if (key && key->family == XLB_FAMILY_V4 && (set & GR_RL_PREFIX_LEN6))
		return errmsg(-EINVAL, err, errlen, "invalid prefix-len6: %s is IPv4", ss);
	if (key && key->family == XLB_FAMILY_V6 && (set & GR_RL_PREFIX_LEN))
		return errmsg(-EINVAL, err, errlen,
			      "invalid prefix-len: %s is IPv6; use prefix-len6", ss);
	if (s) {
		rl = s->rl;
	} else {
		memset(&rl, 0, sizeof(rl));
		rl.prefix_len = POL_DEF_PREFIX_LEN;
		rl.prefix_len6 = POL_DEF_PREFIX_LEN6;
	}
#define RL_TAKE(bit, f, what)                                                                      \
	do {                                                                                       \
		if (set & (bit)) {                                                                 \
			if (!g->f || g->f > GR_RATE_MAX)                                           \
				return errmsg(-EINVAL, err, errlen, "invalid %s %u: must be 1-%u", \
					      what, g->f, GR_RATE_MAX);                            \
			rl.f = g->f;                                                               \
		}                                                                                  \
	} while (0)
/* a rate of 0 switches that limit off, and forgets its burst */
#define RL_RATE(bit, f, bf)                                                                        \
	do {                                                                                       \
		if (set & (bit)) {                                                                 \
			if (g->f > GR_RATE_MAX)                                                    \
				return errmsg(-EINVAL, err, errlen, "invalid rate %u: at most %u", \
					      g->f, GR_RATE_MAX);                                  \
			rl.f = g->f;                                                               \
			if (!g->f)                                                                 \
				rl.bf = 0;                                                         \
		}                                                                                  \
	} while (0)
	RL_RATE(GR_RL_PPS, pps, burst);
	RL_TAKE(GR_RL_BURST, burst, "burst");
	RL_RATE(GR_RL_NEW_FLOWS, new_flows, new_flows_burst);
	RL_TAKE(GR_RL_NEW_FLOWS_BURST, new_flows_burst, "new-flows-burst");
	RL_RATE(GR_RL_CEILING, ceiling, ceiling_burst);
	RL_TAKE(GR_RL_CEILING_BURST, ceiling_burst, "ceiling-burst");
#undef RL_TAKE
#undef RL_RATE
	if (set & GR_RL_PREFIX_LEN) {
		if (!g->prefix_len || g->prefix_len > GR_PREFIX_LEN_MAX)
			return errmsg(-EINVAL, err, errlen, "invalid prefix-len %u: must be 1-%d",
				      g->prefix_len, GR_PREFIX_LEN_MAX);
		rl.prefix_len = g->prefix_len;
	}
	if (set & GR_RL_PREFIX_LEN6) {
		if (!g->prefix_len6 || g->prefix_len6 > GR_PREFIX_LEN6_MAX)
			return errmsg(-EINVAL, err, errlen, "invalid prefix-len6 %u: must be 1-%d",
				      g->prefix_len6, GR_PREFIX_LEN6_MAX);
		rl.prefix_len6 = g->prefix_len6;
	}
	if (rl.burst && !rl.pps)
		return errmsg(-EINVAL, err, errlen,
			      "invalid burst: it is the burst of 'pps', which %s does not set "
			      "(new flows: new-flows-burst)",
			      ss);
	if (rl.new_flows_burst && !rl.new_flows)
		return errmsg(-EINVAL, err, errlen,
			      "invalid new-flows-burst: %s has no 'new-flows' limit", ss);
	if (rl.ceiling_burst && !rl.ceiling)
		return errmsg(-EINVAL, err, errlen,
			      "invalid ceiling-burst: %s has no 'ceiling' limit", ss);
	if (!rl.pps && !rl.new_flows && !rl.ceiling) {
		if (!s || !s->has_rl)
			return errmsg(-EINVAL, err, errlen,
				      "nothing to limit in %s: give pps, new-flows or ceiling", ss);
		/* every limit switched off: as `ratelimit del` */
		return rl_del(p, key, err, errlen);
	}
	if (!s) {
		s = scope_get(p, key);
		if (!s)
			return errmsg(-ENOMEM, err, errlen, "ratelimit %s: out of memory", ss);
	}
	s->rl = rl;
	s->has_rl = true;
	touch(p, s);
	return 0;
}

static int rl_del(struct policy *p, const struct xlb_vip_key *key, char *err, size_t errlen)
{
	struct pol_scope *s = policy_scope(p, key);
	char ss[SCOPE_STRLEN];

	if (!s || !s->has_rl)
		return errmsg(-ENOENT, err, errlen, "no rate limits in %s",
			      scope_str(s, key, ss, sizeof(ss)));
	s->has_rl = false;
	memset(&s->rl, 0, sizeof(s->rl));
	s->rl.prefix_len = POL_DEF_PREFIX_LEN;
	s->rl.prefix_len6 = POL_DEF_PREFIX_LEN6;
	touch(p, s);
	scope_gc(p, s);
	return 0;
}

/* ---- policy_apply ---- */

int policy_apply(struct policy *p, const struct pol_vip_set *vips, const struct gr_cmd *cmd,
		 char *err, size_t errlen)
{
	const char *obj = gr_object_name(cmd->obj), *verb = gr_verb_name(cmd->verb);
	const struct xlb_vip_key *key = NULL;
	char vs[PARSE_VIP_STRLEN];
	struct pol_scope *s;

	if (!obj)
		obj = "?";
	if (!verb)
		verb = "?";
	if ((cmd->obj != GR_OBJ_POLICY && cmd->obj != GR_OBJ_RATELIMIT) ||
	    cmd->verb == GR_VERB_SHOW || cmd->verb == GR_VERB_HELP)
		return errmsg(-EOPNOTSUPP, err, errlen, "'%s %s' does not change the policy", obj,
			      verb);
	if (cmd->args & GR_ARG_VIP) {
		key = &cmd->vip;
		if (format_vip(key, vs, sizeof(vs)) ||
		    (key->family != XLB_FAMILY_V4 && key->family != XLB_FAMILY_V6))
			return errmsg(-EINVAL, err, errlen, "invalid vip: bad family or protocol");
		if (vips && !vips->has(vips->arg, key))
			return errmsg(-ENOENT, err, errlen, "vip %s not found", vs);
	}
	if (cmd->obj == GR_OBJ_RATELIMIT) {
		if (cmd->verb == GR_VERB_SET)
			return rl_set(p, key, cmd, err, errlen);
		if (cmd->verb == GR_VERB_DEL)
			return rl_del(p, key, err, errlen);
		return errmsg(-EOPNOTSUPP, err, errlen, "unknown command 'ratelimit %s'", verb);
	}
	switch (cmd->verb) {
	case GR_VERB_ADD:
		return policy_add(p, key, cmd, err, errlen);
	case GR_VERB_DEL:
		return policy_del(p, key, cmd, err, errlen);
	case GR_VERB_DEFAULT:
		if (!(cmd->args & GR_ARG_ACTION) ||
		    (cmd->pol.action != XLB_POL_ALLOW && cmd->pol.action != XLB_POL_DENY))
			return errmsg(-EINVAL, err, errlen,
				      "missing action for 'policy default': allow or deny");
		s = scope_get(p, key);
		if (!s)
			return errmsg(-ENOMEM, err, errlen, "policy default: out of memory");
		s->dflt = cmd->pol.action;
		touch(p, s);
		scope_gc(p, s);
		return 0;
	case GR_VERB_FLUSH:
		s = policy_scope(p, key);
		if (s && s->nrules) {
			scope_flush(p, s);
			touch(p, s);
			scope_gc(p, s);
		}
		return 0;
	default:
		return errmsg(-EOPNOTSUPP, err, errlen, "unknown command 'policy %s'", verb);
	}
}
