// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl grammar: word splitting, table-driven command parsing, and the
 * canonical printer used by `lbctl show`, the state file and the config file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xlb/consts.h>
#include "errmsg.h"
#include "grammar.h"
#include "names.h"
#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TOKMAX 64 /* longest word quoted back in a message */
#define ERRTMP 256

/* ---- value names ---- */

static const char *const sched_names[] = {
	[GR_SCHED_MAGLEV] = "maglev",
	[GR_SCHED_WRR] = "wrr",
	[GR_SCHED_LC] = "lc",
};
_Static_assert(ARRAY_SIZE(sched_names) == __GR_SCHED_MAX, "grammar: sched table incomplete");

static const char *const hash_names[] = {
	[GR_HASH_5TUPLE] = "5tuple",
	[GR_HASH_SRC] = "src",
};
_Static_assert(ARRAY_SIZE(hash_names) == __GR_HASH_MAX, "grammar: hash table incomplete");

static const char *const check_names[] = {
	[GR_CHECK_NONE] = "none",
	[GR_CHECK_TCP] = "tcp",
	[GR_CHECK_HTTP] = "http",
	[GR_CHECK_UDP] = "udp",
};
_Static_assert(ARRAY_SIZE(check_names) == __GR_CHECK_MAX, "grammar: check table incomplete");

static const char *const via_names[] = {
	[GR_VIA_DIRECT] = "direct",
	[GR_VIA_VIP] = "vip",
};
_Static_assert(ARRAY_SIZE(via_names) == __GR_VIA_MAX, "grammar: check-via table incomplete");

static const char *const open_flows_names[] = {
	[GR_OPEN_FLOWS_KEEP] = "keep",
	[GR_OPEN_FLOWS_RESELECT] = "reselect",
};
_Static_assert(ARRAY_SIZE(open_flows_names) == __GR_OPEN_FLOWS_MAX,
	       "grammar: open-flows table incomplete");

const char *gr_open_flows_name(unsigned int v)
{
	return v < ARRAY_SIZE(open_flows_names) ? open_flows_names[v] : NULL;
}

const char *gr_sched_name(unsigned int v)
{
	return v < ARRAY_SIZE(sched_names) ? sched_names[v] : NULL;
}

const char *gr_hash_name(unsigned int v)
{
	return v < ARRAY_SIZE(hash_names) ? hash_names[v] : NULL;
}

const char *gr_check_name(unsigned int v)
{
	return v < ARRAY_SIZE(check_names) ? check_names[v] : NULL;
}

const char *gr_via_name(unsigned int v)
{
	return v < ARRAY_SIZE(via_names) ? via_names[v] : NULL;
}

/* ---- keyword tables, in canonical print order ---- */

enum kw_kind {
	KW_ENUM, /* uint8_t, named by kw.name_of(0 .. nvals-1) */
	KW_UINT, /* uint8/16/32_t in [min, max] */
	KW_DUR,	 /* uint32_t milliseconds in [min, max] */
	KW_PATH,
	KW_MAC,
	KW_TEXT,   /* char[width]: printable, no quotes, 1 .. width-1 bytes */
	KW_EXPECT, /* HTTP status ranges (expect, nexpect) */
};

struct kw {
	const char *name;
	uint32_t bit;
	enum kw_kind kind;
	size_t off;   /* in struct gr_opts */
	size_t width; /* bytes, KW_ENUM/KW_UINT/KW_DUR */
	uint32_t min, max;
	const char *(*name_of)(unsigned int v);
	unsigned int nvals;
};

#define OPT(f) offsetof(struct gr_opts, f), sizeof(((struct gr_opts *)0)->f)

static const struct kw vip_kws[] = {
	{ "sched", GR_OPT_SCHED, KW_ENUM, OPT(sched), 0, 0, gr_sched_name, __GR_SCHED_MAX },
	{ "encap", GR_OPT_ENCAP, KW_ENUM, OPT(encap), 0, 0, names_encap, XLB_ENCAP_L2 + 1 },
	{ "hash", GR_OPT_HASH, KW_ENUM, OPT(hash), 0, 0, gr_hash_name, __GR_HASH_MAX },
	{ "ring-size", GR_OPT_RING_SIZE, KW_UINT, OPT(ring_size), 1, XLB_MAGLEV_M_MAX, NULL, 0 },
	{ "udp-idle", GR_OPT_UDP_IDLE, KW_DUR, OPT(udp_idle_ms), 1, GR_DUR_MAX_MS, NULL, 0 },
	{ "mtu", GR_OPT_MTU, KW_UINT, OPT(mtu), 576, 9216, NULL, 0 },
	{ "check", GR_OPT_CHECK, KW_ENUM, OPT(check), 0, 0, gr_check_name, __GR_CHECK_MAX },
	{ "check-via", GR_OPT_CHECK_VIA, KW_ENUM, OPT(check_via), 0, 0, gr_via_name, __GR_VIA_MAX },
	{ "check-port", GR_OPT_CHECK_PORT, KW_UINT, OPT(check_port), 1, 65535, NULL, 0 },
	{ "path", GR_OPT_PATH, KW_PATH, OPT(path), 0, 0, NULL, 0 },
	{ "host", GR_OPT_HOST, KW_TEXT, OPT(host), 0, 0, NULL, 0 },
	{ "expect", GR_OPT_EXPECT, KW_EXPECT, OPT(expect), 100, 599, NULL, 0 },
	{ "send", GR_OPT_SEND, KW_TEXT, OPT(send), 0, 0, NULL, 0 },
	{ "receive", GR_OPT_RECEIVE, KW_TEXT, OPT(receive), 0, 0, NULL, 0 },
	{ "interval", GR_OPT_INTERVAL, KW_DUR, OPT(interval_ms), 1, GR_DUR_MAX_MS, NULL, 0 },
	{ "timeout", GR_OPT_TIMEOUT, KW_DUR, OPT(timeout_ms), 1, GR_DUR_MAX_MS, NULL, 0 },
	{ "rise", GR_OPT_RISE, KW_UINT, OPT(rise), 1, 100, NULL, 0 },
	{ "fall", GR_OPT_FALL, KW_UINT, OPT(fall), 1, 100, NULL, 0 },
	{ "eject-time", GR_OPT_EJECT_TIME, KW_DUR, OPT(eject_ms), 1, GR_DUR_MAX_MS, NULL, 0 },
	{ "max-eject-time", GR_OPT_MAX_EJECT_TIME, KW_DUR, OPT(max_eject_ms), 1, GR_DUR_MAX_MS,
	  NULL, 0 },
	{ "half-open-flows", GR_OPT_HALF_OPEN_FLOWS, KW_UINT, OPT(half_open_flows), 1, 1000, NULL,
	  0 },
	{ "panic", GR_OPT_PANIC, KW_UINT, OPT(panic_pct), 0, 100, NULL, 0 },
	{ "max-eject", GR_OPT_MAX_EJECT, KW_UINT, OPT(max_eject_pct), 0, 100, NULL, 0 },
	{ "open-flows", GR_OPT_OPEN_FLOWS, KW_ENUM, OPT(open_flows), 0, 0, gr_open_flows_name,
	  __GR_OPEN_FLOWS_MAX },
	{ "syn-burst", GR_OPT_SYN_BURST, KW_UINT, OPT(syn_burst), 0, GR_SYN_BURST_MAX, NULL, 0 },
};

static const struct kw backend_kws[] = {
	{ "weight", GR_OPT_WEIGHT, KW_UINT, OPT(weight), 1, 65535, NULL, 0 },
	{ "port", GR_OPT_PORT, KW_UINT, OPT(port), 1, 65535, NULL, 0 },
	{ "mac", GR_OPT_MAC, KW_MAC, OPT(mac), 0, 0, NULL, 0 },
	/* per-backend overrides of the VIP's check */
	{ "check", GR_OPT_CHECK, KW_ENUM, OPT(check), 0, 0, gr_check_name, __GR_CHECK_MAX },
	{ "check-port", GR_OPT_CHECK_PORT, KW_UINT, OPT(check_port), 1, 65535, NULL, 0 },
};

/* ---- objects and verbs ---- */

struct verb_ent {
	const char *name;
	enum gr_verb verb;
};

struct obj_ent {
	const char *name;
	enum gr_object obj;
	const struct verb_ent *verbs; /* NULL-terminated; aliases included */
	const struct kw *kws;	      /* keywords of add/set */
	size_t nkws;
};

static const struct verb_ent vip_verbs[] = {
	{ "show", GR_VERB_SHOW }, { "list", GR_VERB_SHOW }, { "add", GR_VERB_ADD },
	{ "set", GR_VERB_SET },	  { "del", GR_VERB_DEL },   { "delete", GR_VERB_DEL },
	{ "help", GR_VERB_HELP }, { NULL, GR_VERB_SHOW },
};

static const struct verb_ent backend_verbs[] = {
	{ "show", GR_VERB_SHOW }, { "list", GR_VERB_SHOW },   { "add", GR_VERB_ADD },
	{ "set", GR_VERB_SET },	  { "drain", GR_VERB_DRAIN }, { "enable", GR_VERB_ENABLE },
	{ "del", GR_VERB_DEL },	  { "delete", GR_VERB_DEL },  { "help", GR_VERB_HELP },
	{ NULL, GR_VERB_SHOW },
};

static const struct verb_ent stats_verbs[] = {
	{ "show", GR_VERB_SHOW },
	{ "list", GR_VERB_SHOW },
	{ "help", GR_VERB_HELP },
	{ NULL, GR_VERB_SHOW },
};

static const struct verb_ent flow_verbs[] = {
	{ "lookup", GR_VERB_LOOKUP },
	{ "help", GR_VERB_HELP },
	{ NULL, GR_VERB_SHOW },
};

static const struct obj_ent objects[] = {
	{ "vip", GR_OBJ_VIP, vip_verbs, vip_kws, ARRAY_SIZE(vip_kws) },
	{ "backend", GR_OBJ_BACKEND, backend_verbs, backend_kws, ARRAY_SIZE(backend_kws) },
	{ "stats", GR_OBJ_STATS, stats_verbs, NULL, 0 },
	{ "flow", GR_OBJ_FLOW, flow_verbs, NULL, 0 },
};

static const char *const verb_names[] = {
	[GR_VERB_SHOW] = "show",     [GR_VERB_ADD] = "add",	[GR_VERB_SET] = "set",
	[GR_VERB_DEL] = "del",	     [GR_VERB_DRAIN] = "drain", [GR_VERB_ENABLE] = "enable",
	[GR_VERB_LOOKUP] = "lookup", [GR_VERB_HELP] = "help",
};

const char *gr_object_name(enum gr_object obj)
{
	size_t i;

	if (obj == GR_OBJ_ALL)
		return "show";
	for (i = 0; i < ARRAY_SIZE(objects); i++)
		if (objects[i].obj == obj)
			return objects[i].name;
	return NULL;
}

const char *gr_verb_name(enum gr_verb verb)
{
	if ((unsigned int)verb >= ARRAY_SIZE(verb_names))
		return NULL;
	return verb_names[verb];
}

static const struct obj_ent *find_object(enum gr_object obj)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(objects); i++)
		if (objects[i].obj == obj)
			return &objects[i];
	return NULL;
}

/* ---- splitting ---- */

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int grammar_split(char *line, char **argv, int max, int *argc, char *err, size_t errlen)
{
	char *p = line;
	int n = 0;

	*argc = 0;
	for (;;) {
		char *word;

		while (is_blank(*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (n >= max)
			return errmsg(-EINVAL, err, errlen, "too many words (at most %d)", max);
		if (*p == '"') {
			word = ++p;
			p = strchr(p, '"');
			if (!p)
				return errmsg(-EINVAL, err, errlen,
					      "unterminated quote in '\"%.*s'", TOKMAX, word);
			*p++ = '\0';
			if (*p && !is_blank(*p) && *p != '#')
				return errmsg(-EINVAL, err, errlen,
					      "closing quote of '\"%.*s\"' must end the word",
					      TOKMAX, word);
		} else {
			word = p;
			while (*p && !is_blank(*p) && *p != '#' && *p != '"')
				p++;
			if (*p == '"')
				return errmsg(-EINVAL, err, errlen,
					      "quote inside word '%.*s': quote the whole word",
					      (int)(p - word + 1), word);
		}
		argv[n++] = word;
		if (*p == '#') {
			*p = '\0';
			break;
		}
		if (*p)
			*p++ = '\0';
	}
	*argc = n;
	return 0;
}

/* ---- parsing ---- */

static void kw_store(struct gr_opts *o, const struct kw *k, uint64_t v)
{
	void *f = (char *)o + k->off;

	if (k->width == 1)
		*(uint8_t *)f = (uint8_t)v;
	else if (k->width == 2)
		*(uint16_t *)f = (uint16_t)v;
	else
		*(uint32_t *)f = (uint32_t)v;
}

static uint64_t kw_load(const struct gr_opts *o, const struct kw *k)
{
	const void *f = (const char *)o + k->off;

	if (k->width == 1)
		return *(const uint8_t *)f;
	if (k->width == 2)
		return *(const uint16_t *)f;
	return *(const uint32_t *)f;
}

static int parse_enum(const struct kw *k, const char *s, uint64_t *out, char *err, size_t errlen)
{
	char list[ERRTMP] = "";
	unsigned int v, n = 0, total = 0;
	const char *sep;
	size_t used;

	for (v = 0; v < k->nvals; v++) {
		const char *name = k->name_of(v);

		if (!name)
			continue;
		if (!strcmp(s, name)) {
			*out = v;
			return 0;
		}
		total++;
	}
	for (v = 0; v < k->nvals; v++) {
		const char *name = k->name_of(v);

		if (!name)
			continue;
		used = strlen(list);
		if (n == 0)
			sep = "";
		else if (n + 1 == total)
			sep = " or ";
		else
			sep = ", ";
		snprintf(list + used, sizeof(list) - used, "%s%s", sep, name);
		n++;
	}
	return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': must be %s", k->name, TOKMAX, s,
		      list);
}

static int parse_path(const char *s, char *out, char *err, size_t errlen)
{
	size_t i, n = strlen(s);

	if (s[0] != '/')
		return errmsg(-EINVAL, err, errlen, "invalid path '%.*s': must start with '/'",
			      TOKMAX, s);
	if (n > GR_PATH_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid path '%.*s...': longer than %d bytes",
			      TOKMAX, s, GR_PATH_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"')
			return errmsg(-EINVAL, err, errlen,
				      "invalid path '%.*s': printable characters only, no quotes",
				      TOKMAX, s);
	memcpy(out, s, n + 1);
	return 0;
}

/* send/receive text: like a path, without the leading '/' */
static int parse_text(const struct kw *k, const char *s, char *out, char *err, size_t errlen)
{
	size_t i, n = strlen(s);

	if (!n)
		return errmsg(-EINVAL, err, errlen, "invalid %s '': must not be empty", k->name);
	if (n >= k->width)
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s...': longer than %zu bytes",
			      k->name, TOKMAX, s, k->width - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"')
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': printable characters only, no quotes",
				      k->name, TOKMAX, s);
	memset(out, 0, k->width);
	memcpy(out, s, n);
	return 0;
}

/* One status: 1-3 digits (a leading zero would not print back the same) */
static int expect_code(const char **p, unsigned int *out)
{
	const char *s = *p;
	unsigned int v = 0, n = 0;

	while (*s >= '0' && *s <= '9' && n < 4) {
		v = v * 10 + (unsigned int)(*s - '0');
		s++;
		n++;
	}
	if (!n || n > 3 || **p == '0')
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

/* CODE[-CODE][,...]: sorted and merged, so equal sets parse to equal ranges */
static int parse_expect(const struct kw *k, const char *s, struct gr_opts *o, char *err,
			size_t errlen)
{
	struct gr_range r[GR_EXPECT_MAX], t;
	unsigned int n = 0, i, j, lo, hi;
	const char *p = s;

	for (;;) {
		if (n >= GR_EXPECT_MAX)
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect '%.*s': at most %d statuses or ranges",
				      TOKMAX, s, GR_EXPECT_MAX);
		if (expect_code(&p, &lo))
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect '%.*s': want statuses or ranges like "
				      "200-299,301",
				      TOKMAX, s);
		hi = lo;
		if (*p == '-') {
			p++;
			if (expect_code(&p, &hi))
				return errmsg(-EINVAL, err, errlen,
					      "invalid expect '%.*s': want statuses or ranges like "
					      "200-299,301",
					      TOKMAX, s);
		}
		if (*p && *p != ',')
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect '%.*s': want statuses or ranges like "
				      "200-299,301",
				      TOKMAX, s);
		if (lo < k->min || hi > k->max)
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect '%.*s': statuses must be %u-%u", TOKMAX, s,
				      k->min, k->max);
		if (lo > hi)
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect '%.*s': range %u-%u is reversed", TOKMAX, s,
				      lo, hi);
		r[n].lo = (uint16_t)lo;
		r[n].hi = (uint16_t)hi;
		n++;
		if (!*p)
			break;
		p++; /* ',' */
	}
	for (i = 1; i < n; i++) /* insertion sort by lo */
		for (j = i; j > 0 && r[j - 1].lo > r[j].lo; j--) {
			t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	memset(o->expect, 0, sizeof(o->expect));
	o->expect[0] = r[0];
	o->nexpect = 1;
	for (i = 1; i < n; i++) {
		struct gr_range *last = &o->expect[o->nexpect - 1];

		if (r[i].lo <= last->hi + 1) { /* overlapping or adjacent */
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			o->expect[o->nexpect++] = r[i];
		}
	}
	return 0;
}

int gr_expect_format(const struct gr_range *r, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int w;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!n || n > GR_EXPECT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (r[i].lo > r[i].hi)
			return -EINVAL;
		if (r[i].lo == r[i].hi)
			w = snprintf(buf + used, len - used, "%s%u", i ? "," : "", r[i].lo);
		else
			w = snprintf(buf + used, len - used, "%s%u-%u", i ? "," : "", r[i].lo,
				     r[i].hi);
		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

static int parse_kw_value(const struct kw *k, const char *s, struct gr_opts *o, char *err,
			  size_t errlen)
{
	uint64_t v = 0;
	int ret;

	switch (k->kind) {
	case KW_ENUM:
		ret = parse_enum(k, s, &v, err, errlen);
		break;
	case KW_UINT:
		ret = parse_uint(s, k->name, k->min, k->max, &v, err, errlen);
		break;
	case KW_DUR:
		ret = parse_dur_range(s, k->name, k->min, k->max, &v, err, errlen);
		break;
	case KW_PATH:
		return parse_path(s, o->path, err, errlen);
	case KW_MAC:
		return parse_mac(s, o->mac, err, errlen);
	case KW_TEXT:
		return parse_text(k, s, (char *)o + k->off, err, errlen);
	case KW_EXPECT:
		return parse_expect(k, s, o, err, errlen);
	default:
		return -EINVAL;
	}
	if (!ret)
		kw_store(o, k, v);
	return ret;
}

static int parse_keywords(const struct obj_ent *ob, const char *cmd, int argc, char *const argv[],
			  struct gr_opts *o, char *err, size_t errlen)
{
	int i, ret;

	for (i = 0; i < argc; i += 2) {
		const struct kw *k = NULL;
		size_t j;

		for (j = 0; j < ob->nkws; j++)
			if (!strcmp(argv[i], ob->kws[j].name))
				k = &ob->kws[j];
		if (!k)
			return errmsg(-EINVAL, err, errlen,
				      "unknown keyword '%.*s' for '%s'; try 'lbctl %s help'",
				      TOKMAX, argv[i], cmd, ob->name);
		if (o->set & k->bit)
			return errmsg(-EINVAL, err, errlen, "duplicate keyword '%s'", k->name);
		if (i + 1 >= argc)
			return errmsg(-EINVAL, err, errlen, "missing value for '%s'", k->name);
		ret = parse_kw_value(k, argv[i + 1], o, err, errlen);
		if (ret)
			return ret;
		o->set |= k->bit;
	}
	return 0;
}

/* Positional argument kinds, in the order a command takes them */
enum pos_kind {
	POS_VIP,
	POS_ADDR,
	POS_SRC,
};

static int parse_pos(enum pos_kind kind, const char *s, struct gr_cmd *c, char *err, size_t errlen)
{
	int ret;

	switch (kind) {
	case POS_VIP:
		ret = parse_vip(s, &c->vip, err, errlen);
		if (!ret)
			c->args |= GR_ARG_VIP;
		return ret;
	case POS_ADDR:
		ret = parse_addr(s, &c->addr, err, errlen);
		if (!ret)
			c->args |= GR_ARG_ADDR;
		return ret;
	case POS_SRC:
		ret = parse_addr_port(s, &c->addr, &c->src_port, err, errlen);
		if (!ret)
			c->args |= GR_ARG_ADDR | (c->src_port ? GR_ARG_SRC_PORT : 0);
		return ret;
	}
	return -EINVAL;
}

static const char *const pos_names[] = {
	[POS_VIP] = "VIP",
	[POS_ADDR] = "ADDR",
	[POS_SRC] = "SRC_ADDR",
};

int grammar_parse(int argc, char *const argv[], struct gr_cmd *c, char *err, size_t errlen)
{
	static const enum pos_kind pos_vip[] = { POS_VIP };
	static const enum pos_kind pos_vip_addr[] = { POS_VIP, POS_ADDR };
	static const enum pos_kind pos_vip_src[] = { POS_VIP, POS_SRC };
	const enum pos_kind *pos = NULL;
	const struct obj_ent *ob = NULL;
	const struct verb_ent *ve;
	int npos = 0, optional = 0, keywords = 0, i, ret;
	char cmd[64];
	size_t j;

	memset(c, 0, sizeof(*c));
	if (argc < 1)
		return errmsg(-EINVAL, err, errlen, "empty command; try 'lbctl help'");
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")) {
		if (argc > 1)
			return errmsg(-EINVAL, err, errlen,
				      "unexpected argument '%.*s' for 'show'; try 'lbctl help'",
				      TOKMAX, argv[1]);
		c->obj = GR_OBJ_ALL;
		c->verb = GR_VERB_SHOW;
		return 0;
	}
	for (j = 0; j < ARRAY_SIZE(objects); j++)
		if (!strcmp(argv[0], objects[j].name))
			ob = &objects[j];
	if (!ob)
		return errmsg(-EINVAL, err, errlen, "unknown object '%.*s'; try 'lbctl help'",
			      TOKMAX, argv[0]);
	c->obj = ob->obj;

	if (argc < 2) {
		if (ob->obj == GR_OBJ_FLOW)
			return errmsg(-EINVAL, err, errlen,
				      "missing command for '%s'; try 'lbctl %s help'", ob->name,
				      ob->name);
		c->verb = GR_VERB_SHOW;
		return 0;
	}
	for (ve = ob->verbs; ve->name; ve++)
		if (!strcmp(argv[1], ve->name))
			break;
	if (!ve->name)
		return errmsg(-EINVAL, err, errlen,
			      "unknown command '%.*s' for '%s'; try 'lbctl %s help'", TOKMAX,
			      argv[1], ob->name, ob->name);
	c->verb = ve->verb;
	snprintf(cmd, sizeof(cmd), "%s %s", ob->name, gr_verb_name(c->verb));

	switch (c->verb) {
	case GR_VERB_HELP:
		break;
	case GR_VERB_SHOW:
		pos = pos_vip; /* every object's show takes an optional VIP filter */
		npos = 1;
		optional = 1;
		break;
	case GR_VERB_ADD:
	case GR_VERB_SET:
		keywords = 1;
		/* fall through */
	case GR_VERB_DEL:
	case GR_VERB_DRAIN:
	case GR_VERB_ENABLE:
		pos = ob->obj == GR_OBJ_VIP ? pos_vip : pos_vip_addr;
		npos = ob->obj == GR_OBJ_VIP ? 1 : 2;
		break;
	case GR_VERB_LOOKUP:
		pos = pos_vip_src;
		npos = 2;
		break;
	}

	argc -= 2;
	argv += 2;
	for (i = 0; i < npos; i++) {
		if (i >= argc) {
			if (optional)
				return 0;
			return errmsg(-EINVAL, err, errlen,
				      "missing %s for '%s'; try 'lbctl %s help'", pos_names[pos[i]],
				      cmd, ob->name);
		}
		ret = parse_pos(pos[i], argv[i], c, err, errlen);
		if (ret)
			return ret;
	}
	argc -= npos;
	argv += npos;
	if (!keywords) {
		if (argc > 0)
			return errmsg(-EINVAL, err, errlen,
				      "unexpected argument '%.*s' for '%s'; try 'lbctl %s help'",
				      TOKMAX, argv[0], cmd, ob->name);
		return 0;
	}
	ret = parse_keywords(ob, cmd, argc, argv, &c->opt, err, errlen);
	if (ret)
		return ret;
	if (c->verb == GR_VERB_SET && !c->opt.set)
		return errmsg(-EINVAL, err, errlen,
			      "nothing to set for '%s': give a keyword; try 'lbctl %s help'", cmd,
			      ob->name);
	return 0;
}

/* ---- printing ---- */

struct sbuf {
	char *buf;
	size_t len, used;
	int err;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->used, sb->len - sb->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		sb->err = -EINVAL;
	else if ((size_t)n >= sb->len - sb->used)
		sb->err = -ENOSPC;
	else
		sb->used += (size_t)n;
}

/* A word printed back: quoted when a blank or '#' would split it */
static void print_word(struct sbuf *sb, const char *name, const char *word)
{
	if (strpbrk(word, " #") || !*word)
		sb_add(sb, " %s \"%s\"", name, word);
	else
		sb_add(sb, " %s %s", name, word);
}

static int print_kw(struct sbuf *sb, const struct kw *k, const struct gr_opts *o)
{
	char v[PARSE_DUR_STRLEN];
	char ex[GR_EXPECT_STRLEN];
	const char *name;
	const char *text;
	int ret;

	switch (k->kind) {
	case KW_ENUM:
		name = k->name_of((unsigned int)kw_load(o, k));
		if (!name)
			return -EINVAL;
		sb_add(sb, " %s %s", k->name, name);
		return 0;
	case KW_UINT:
		sb_add(sb, " %s %llu", k->name, (unsigned long long)kw_load(o, k));
		return 0;
	case KW_DUR:
		format_dur(kw_load(o, k), v, sizeof(v));
		sb_add(sb, " %s %s", k->name, v);
		return 0;
	case KW_PATH:
		print_word(sb, k->name, o->path);
		return 0;
	case KW_TEXT:
		text = (const char *)o + k->off;
		if (!memchr(text, '\0', k->width))
			return -EINVAL;
		print_word(sb, k->name, text);
		return 0;
	case KW_EXPECT:
		ret = gr_expect_format(o->expect, o->nexpect, ex, sizeof(ex));
		if (ret)
			return -EINVAL;
		sb_add(sb, " %s %s", k->name, ex);
		return 0;
	case KW_MAC: {
		char mac[PARSE_MAC_STRLEN];

		format_mac(o->mac, mac, sizeof(mac));
		sb_add(sb, " %s %s", k->name, mac);
		return 0;
	}
	}
	return -EINVAL;
}

int grammar_print(const struct gr_cmd *c, char *buf, size_t len)
{
	struct sbuf sb = { .buf = buf, .len = len };
	const struct obj_ent *ob;
	char tmp[PARSE_VIP_STRLEN];
	const char *verb;
	size_t i;
	int ret;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (c->obj == GR_OBJ_ALL) {
		sb_add(&sb, "show");
		return sb.err;
	}
	ob = find_object(c->obj);
	verb = gr_verb_name(c->verb);
	if (!ob || !verb)
		return -EINVAL;
	sb_add(&sb, "%s %s", ob->name, verb);
	if (c->args & GR_ARG_VIP) {
		ret = format_vip(&c->vip, tmp, sizeof(tmp));
		if (ret)
			return ret;
		sb_add(&sb, " %s", tmp);
	}
	if (c->args & GR_ARG_ADDR) {
		ret = format_addr_port(&c->addr, c->src_port, tmp, sizeof(tmp));
		if (ret)
			return ret;
		sb_add(&sb, " %s", tmp);
	}
	for (i = 0; i < ob->nkws; i++) {
		if (!(c->opt.set & ob->kws[i].bit))
			continue;
		ret = print_kw(&sb, &ob->kws[i], &c->opt);
		if (ret)
			return ret;
	}
	return sb.err;
}
