// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl grammar: word splitting, table-driven command parsing, and the
 * canonical printer used by `lbctl show`, the state file and the config file.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xlb/consts.h>
#include "cidr.h"
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

static const char *const action_names[] = {
	[XLB_POL_ALLOW] = "allow",
	[XLB_POL_DENY] = "deny",
};

const char *gr_action_name(unsigned int v)
{
	return v < ARRAY_SIZE(action_names) ? action_names[v] : NULL;
}

/* Indexed by IPPROTO_*: the policy `proto` values */
static const char *const proto_names[] = {
	[IPPROTO_ICMP] = "icmp",
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
};

const char *gr_proto_name(unsigned int v)
{
	return v < ARRAY_SIZE(proto_names) ? proto_names[v] : NULL;
}

static const char *const init_names[] = {
	[GR_INIT_DOWN] = "down",
	[GR_INIT_UP] = "up",
};
_Static_assert(ARRAY_SIZE(init_names) == __GR_INIT_MAX, "grammar: init-state table incomplete");

const char *gr_init_name(unsigned int v)
{
	return v < ARRAY_SIZE(init_names) ? init_names[v] : NULL;
}

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
	KW_PORTS,  /* policy port ranges (pol.ports, pol.nports) */
	KW_EXCEPT, /* policy except blocks (pol.except, pol.nexcept) */
};

struct kw {
	const char *name;
	uint32_t bit; /* in the object's set word */
	enum kw_kind kind;
	size_t off;   /* in struct gr_cmd */
	size_t width; /* bytes, KW_ENUM/KW_UINT/KW_DUR */
	uint32_t min, max;
	const char *(*name_of)(unsigned int v);
	unsigned int nvals;
	uint32_t verbs; /* VB() of the verbs that take it; 0 = every verb with keywords */
};

#define OPT(f) offsetof(struct gr_cmd, opt.f), sizeof(((struct gr_cmd *)0)->opt.f)
#define POL(f) offsetof(struct gr_cmd, pol.f), sizeof(((struct gr_cmd *)0)->pol.f)
#define RL(f) offsetof(struct gr_cmd, rl.f), sizeof(((struct gr_cmd *)0)->rl.f)
#define VB(v) (1U << (v))

static const struct kw vip_kws[] = {
	{ "sched", GR_OPT_SCHED, KW_ENUM, OPT(sched), 0, 0, gr_sched_name, __GR_SCHED_MAX, 0 },
	{ "encap", GR_OPT_ENCAP, KW_ENUM, OPT(encap), 0, 0, names_encap, XLB_ENCAP_L2 + 1, 0 },
	{ "hash", GR_OPT_HASH, KW_ENUM, OPT(hash), 0, 0, gr_hash_name, __GR_HASH_MAX, 0 },
	{ "ring-size", GR_OPT_RING_SIZE, KW_UINT, OPT(ring_size), GR_RING_SIZE_MIN,
	  GR_RING_SIZE_MAX, NULL, 0, 0 },
	{ "udp-idle", GR_OPT_UDP_IDLE, KW_DUR, OPT(udp_idle_ms), GR_UDP_IDLE_MIN_MS, GR_DUR_MAX_MS,
	  NULL, 0, 0 },
	{ "mtu", GR_OPT_MTU, KW_UINT, OPT(mtu), GR_MTU_MIN, GR_MTU_MAX, NULL, 0, 0 },
	{ "check", GR_OPT_CHECK, KW_ENUM, OPT(check), 0, 0, gr_check_name, __GR_CHECK_MAX, 0 },
	{ "check-via", GR_OPT_CHECK_VIA, KW_ENUM, OPT(check_via), 0, 0, gr_via_name, __GR_VIA_MAX,
	  0 },
	{ "check-port", GR_OPT_CHECK_PORT, KW_UINT, OPT(check_port), GR_PORT_MIN, GR_PORT_MAX, NULL,
	  0, 0 },
	{ "path", GR_OPT_PATH, KW_PATH, OPT(path), 0, 0, NULL, 0, 0 },
	{ "host", GR_OPT_HOST, KW_TEXT, OPT(host), 0, 0, NULL, 0, 0 },
	{ "expect", GR_OPT_EXPECT, KW_EXPECT, OPT(expect), GR_STATUS_MIN, GR_STATUS_MAX, NULL, 0,
	  0 },
	{ "send", GR_OPT_SEND, KW_TEXT, OPT(send), 0, 0, NULL, 0, 0 },
	{ "receive", GR_OPT_RECEIVE, KW_TEXT, OPT(receive), 0, 0, NULL, 0, 0 },
	{ "interval", GR_OPT_INTERVAL, KW_DUR, OPT(interval_ms), GR_DUR_MIN_MS, GR_DUR_MAX_MS, NULL,
	  0, 0 },
	{ "timeout", GR_OPT_TIMEOUT, KW_DUR, OPT(timeout_ms), GR_DUR_MIN_MS, GR_DUR_MAX_MS, NULL, 0,
	  0 },
	{ "rise", GR_OPT_RISE, KW_UINT, OPT(rise), GR_RUN_MIN, GR_RUN_MAX, NULL, 0, 0 },
	{ "fall", GR_OPT_FALL, KW_UINT, OPT(fall), GR_RUN_MIN, GR_RUN_MAX, NULL, 0, 0 },
	{ "fail-ratio", GR_OPT_FAIL_RATIO, KW_UINT, OPT(fail_ratio), 0, GR_PCT_MAX, NULL, 0, 0 },
	{ "fail-window", GR_OPT_FAIL_WINDOW, KW_UINT, OPT(fail_window), 1, GR_FAIL_WINDOW_MAX, NULL,
	  0, 0 },
	{ "fail-min", GR_OPT_FAIL_MIN, KW_UINT, OPT(fail_min), 1, GR_FAIL_WINDOW_MAX, NULL, 0, 0 },
	{ "init-state", GR_OPT_INIT_STATE, KW_ENUM, OPT(init_state), 0, 0, gr_init_name,
	  __GR_INIT_MAX, 0 },
	{ "eject-time", GR_OPT_EJECT_TIME, KW_DUR, OPT(eject_ms), GR_DUR_MIN_MS, GR_DUR_MAX_MS,
	  NULL, 0, 0 },
	{ "max-eject-time", GR_OPT_MAX_EJECT_TIME, KW_DUR, OPT(max_eject_ms), GR_DUR_MIN_MS,
	  GR_DUR_MAX_MS, NULL, 0, 0 },
	{ "half-open-flows", GR_OPT_HALF_OPEN_FLOWS, KW_UINT, OPT(half_open_flows),
	  GR_HALF_OPEN_FLOWS_MIN, GR_HALF_OPEN_FLOWS_MAX, NULL, 0, 0 },
	{ "panic", GR_OPT_PANIC, KW_UINT, OPT(panic_pct), 0, GR_PCT_MAX, NULL, 0, 0 },
	{ "max-eject", GR_OPT_MAX_EJECT, KW_UINT, OPT(max_eject_pct), 0, GR_PCT_MAX, NULL, 0, 0 },
	{ "open-flows", GR_OPT_OPEN_FLOWS, KW_ENUM, OPT(open_flows), 0, 0, gr_open_flows_name,
	  __GR_OPEN_FLOWS_MAX, 0 },
	{ "syn-burst", GR_OPT_SYN_BURST, KW_UINT, OPT(syn_burst), 0, GR_SYN_BURST_MAX, NULL, 0, 0 },
};

static const struct kw backend_kws[] = {
	{ "weight", GR_OPT_WEIGHT, KW_UINT, OPT(weight), GR_WEIGHT_MIN, GR_WEIGHT_MAX, NULL, 0, 0 },
	{ "port", GR_OPT_PORT, KW_UINT, OPT(port), GR_PORT_MIN, GR_PORT_MAX, NULL, 0, 0 },
	{ "mac", GR_OPT_MAC, KW_MAC, OPT(mac), 0, 0, NULL, 0, 0 },
	/* per-backend overrides of the VIP's check */
	{ "check", GR_OPT_CHECK, KW_ENUM, OPT(check), 0, 0, gr_check_name, __GR_CHECK_MAX, 0 },
	{ "check-port", GR_OPT_CHECK_PORT, KW_UINT, OPT(check_port), GR_PORT_MIN, GR_PORT_MAX, NULL,
	  0, 0 },
};

static const struct kw policy_kws[] = {
	{ "except", GR_POL_EXCEPT, KW_EXCEPT, POL(except), 0, 0, NULL, 0, VB(GR_VERB_ADD) },
	{ "proto", GR_POL_PROTO, KW_ENUM, POL(proto), 0, 0, gr_proto_name, ARRAY_SIZE(proto_names),
	  VB(GR_VERB_ADD) | VB(GR_VERB_DEL) },
	{ "ports", GR_POL_PORTS, KW_PORTS, POL(ports), GR_PORT_MIN, GR_PORT_MAX, NULL, 0,
	  VB(GR_VERB_ADD) | VB(GR_VERB_DEL) },
};

static const struct kw ratelimit_kws[] = {
	{ "pps", GR_RL_PPS, KW_UINT, RL(pps), 0, GR_RATE_MAX, NULL, 0, 0 },
	{ "burst", GR_RL_BURST, KW_UINT, RL(burst), 1, GR_RATE_MAX, NULL, 0, 0 },
	{ "new-flows", GR_RL_NEW_FLOWS, KW_UINT, RL(new_flows), 0, GR_RATE_MAX, NULL, 0, 0 },
	{ "new-flows-burst", GR_RL_NEW_FLOWS_BURST, KW_UINT, RL(new_flows_burst), 1, GR_RATE_MAX,
	  NULL, 0, 0 },
	{ "ceiling", GR_RL_CEILING, KW_UINT, RL(ceiling), 0, GR_RATE_MAX, NULL, 0, 0 },
	{ "ceiling-burst", GR_RL_CEILING_BURST, KW_UINT, RL(ceiling_burst), 1, GR_RATE_MAX, NULL, 0,
	  0 },
	{ "prefix-len", GR_RL_PREFIX_LEN, KW_UINT, RL(prefix_len), 1, GR_PREFIX_LEN_MAX, NULL, 0,
	  0 },
	{ "prefix-len6", GR_RL_PREFIX_LEN6, KW_UINT, RL(prefix_len6), 1, GR_PREFIX_LEN6_MAX, NULL,
	  0, 0 },
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
	const struct kw *kws;	      /* keywords of add/set (policy: add/del) */
	size_t nkws;
	size_t set_off; /* the uint32_t set word of kws in struct gr_cmd */
	int scoped;	/* [vip VIP] scope syntax (policy, ratelimit) */
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

static const struct verb_ent policy_verbs[] = {
	{ "show", GR_VERB_SHOW },   { "list", GR_VERB_SHOW },  { "add", GR_VERB_ADD },
	{ "del", GR_VERB_DEL },	    { "delete", GR_VERB_DEL }, { "default", GR_VERB_DEFAULT },
	{ "flush", GR_VERB_FLUSH }, { "help", GR_VERB_HELP },  { NULL, GR_VERB_SHOW },
};

static const struct verb_ent ratelimit_verbs[] = {
	{ "show", GR_VERB_SHOW }, { "list", GR_VERB_SHOW },  { "set", GR_VERB_SET },
	{ "del", GR_VERB_DEL },	  { "delete", GR_VERB_DEL }, { "help", GR_VERB_HELP },
	{ NULL, GR_VERB_SHOW },
};

#define OPT_SET offsetof(struct gr_cmd, opt.set)

static const struct obj_ent objects[] = {
	{ "vip", GR_OBJ_VIP, vip_verbs, vip_kws, ARRAY_SIZE(vip_kws), OPT_SET, 0 },
	{ "backend", GR_OBJ_BACKEND, backend_verbs, backend_kws, ARRAY_SIZE(backend_kws), OPT_SET,
	  0 },
	{ "stats", GR_OBJ_STATS, stats_verbs, NULL, 0, OPT_SET, 0 },
	{ "flow", GR_OBJ_FLOW, flow_verbs, NULL, 0, OPT_SET, 0 },
	{ "policy", GR_OBJ_POLICY, policy_verbs, policy_kws, ARRAY_SIZE(policy_kws),
	  offsetof(struct gr_cmd, pol.set), 1 },
	{ "ratelimit", GR_OBJ_RATELIMIT, ratelimit_verbs, ratelimit_kws, ARRAY_SIZE(ratelimit_kws),
	  offsetof(struct gr_cmd, rl.set), 1 },
};

static const char *const verb_names[] = {
	[GR_VERB_SHOW] = "show",       [GR_VERB_ADD] = "add",	  [GR_VERB_SET] = "set",
	[GR_VERB_DEL] = "del",	       [GR_VERB_DRAIN] = "drain", [GR_VERB_ENABLE] = "enable",
	[GR_VERB_LOOKUP] = "lookup",   [GR_VERB_HELP] = "help",	  [GR_VERB_FLUSH] = "flush",
	[GR_VERB_DEFAULT] = "default",
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

static void kw_store(struct gr_cmd *c, const struct kw *k, uint64_t v)
{
	void *f = (char *)c + k->off;

	if (k->width == 1)
		*(uint8_t *)f = (uint8_t)v;
	else if (k->width == 2)
		*(uint16_t *)f = (uint16_t)v;
	else
		*(uint32_t *)f = (uint32_t)v;
}

static uint64_t kw_load(const struct gr_cmd *c, const struct kw *k)
{
	const void *f = (const char *)c + k->off;

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

/* A list of decimal values or ranges (HTTP statuses of `expect`, policy
 * `ports`), described for messages and bounds */
struct range_spec {
	const char *name;    /* keyword */
	const char *noun;    /* "statuses" */
	const char *example; /* "200-299,301" */
	unsigned int min, max;
	unsigned int maxn;   /* ranges */
	unsigned int digits; /* most digits of one value */
};

/* One value: 1..digits digits; no leading zero (it would not print back the same) */
static int range_value(const char **p, unsigned int digits, unsigned int *out)
{
	const char *s = *p;
	unsigned int v = 0, n = 0;

	while (*s >= '0' && *s <= '9' && n <= digits) {
		v = v * 10 + (unsigned int)(*s - '0');
		s++;
		n++;
	}
	if (!n || n > digits || (**p == '0' && n > 1))
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

/* N[-M][,...]: sorted and merged, so equal sets parse to equal ranges */
static int parse_ranges(const struct range_spec *rs, const char *s, struct gr_range *out,
			uint8_t *nout, char *err, size_t errlen)
{
	struct gr_range r[GR_EXPECT_MAX > XLB_POL_PORTS_MAX ? GR_EXPECT_MAX : XLB_POL_PORTS_MAX];
	unsigned int n = 0, i, j, lo, hi, m;
	const char *p = s;
	struct gr_range t;

	for (;;) {
		if (n >= rs->maxn || n >= ARRAY_SIZE(r))
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': at most %u %s or ranges", rs->name,
				      TOKMAX, s, rs->maxn, rs->noun);
		if (range_value(&p, rs->digits, &lo))
			goto bad_syntax;
		hi = lo;
		if (*p == '-') {
			p++;
			if (range_value(&p, rs->digits, &hi))
				goto bad_syntax;
		}
		if (*p && *p != ',')
			goto bad_syntax;
		if (lo < rs->min || hi > rs->max || lo > rs->max)
			return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': %s must be %u-%u",
				      rs->name, TOKMAX, s, rs->noun, rs->min, rs->max);
		if (lo > hi)
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': range %u-%u is reversed", rs->name,
				      TOKMAX, s, lo, hi);
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
	memset(out, 0, rs->maxn * sizeof(*out));
	out[0] = r[0];
	m = 1;
	for (i = 1; i < n; i++) {
		struct gr_range *last = &out[m - 1];

		if (r[i].lo <= last->hi + 1) { /* overlapping or adjacent */
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			out[m++] = r[i];
		}
	}
	*nout = (uint8_t)m;
	return 0;

bad_syntax:
	return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': want %s or ranges like %s",
		      rs->name, TOKMAX, s, rs->noun, rs->example);
}

static int parse_expect(const struct kw *k, const char *s, struct gr_opts *o, char *err,
			size_t errlen)
{
	const struct range_spec rs = { k->name,	      "statuses", "200-299,301", k->min, k->max,
				       GR_EXPECT_MAX, 3 };

	return parse_ranges(&rs, s, o->expect, &o->nexpect, err, errlen);
}

static int parse_ports(const struct kw *k, const char *s, struct gr_policy *pol, char *err,
		       size_t errlen)
{
	const struct range_spec rs = { k->name,		  "ports", "80,8000-8080", k->min, k->max,
				       XLB_POL_PORTS_MAX, 5 };

	return parse_ranges(&rs, s, pol->ports, &pol->nports, err, errlen);
}

/* CIDR[,CIDR...]: each one normalised; sorted by cidr_cmp */
static int parse_except(const struct kw *k, const char *s, struct gr_policy *pol, char *err,
			size_t errlen)
{
	struct cidr c[GR_EXCEPT_MAX], t;
	char tok[CIDR_STRLEN + 16];
	unsigned int n = 0, i, j;
	const char *p = s, *end;
	size_t len;
	int ret;

	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len)
			return errmsg(
				-EINVAL, err, errlen,
				"invalid %s '%.*s': want prefixes like 10.1.0.0/16,10.2.0.0/16",
				k->name, TOKMAX, s);
		if (n >= GR_EXCEPT_MAX)
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': at most %d prefixes", k->name, TOKMAX, s,
				      GR_EXCEPT_MAX);
		if (len >= sizeof(tok))
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': want a prefix like 10.0.0.0/8 or "
				      "2001:db8::/32",
				      k->name, TOKMAX, p);
		memcpy(tok, p, len);
		tok[len] = '\0';
		ret = cidr_parse(tok, k->name, &c[n], err, errlen);
		if (ret)
			return ret;
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && cidr_cmp(&c[j - 1], &c[j]) > 0; j--) {
			t = c[j];
			c[j] = c[j - 1];
			c[j - 1] = t;
		}
	memset(pol->except, 0, sizeof(pol->except));
	memcpy(pol->except, c, n * sizeof(c[0]));
	pol->nexcept = (uint8_t)n;
	return 0;
}

static int format_ranges(const struct gr_range *r, unsigned int n, unsigned int maxn, char *buf,
			 size_t len)
{
	size_t used = 0;
	unsigned int i;
	int w;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!n || n > maxn)
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

int gr_expect_format(const struct gr_range *r, unsigned int n, char *buf, size_t len)
{
	return format_ranges(r, n, GR_EXPECT_MAX, buf, len);
}

int gr_ports_format(const struct gr_range *r, unsigned int n, char *buf, size_t len)
{
	return format_ranges(r, n, XLB_POL_PORTS_MAX, buf, len);
}

int gr_except_format(const struct cidr *c, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int ret;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!n || n > GR_EXCEPT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (i) {
			if (used + 1 >= len)
				return -ENOSPC;
			buf[used++] = ',';
			buf[used] = '\0';
		}
		ret = cidr_format(&c[i], buf + used, len - used);
		if (ret)
			return ret;
		used += strlen(buf + used);
	}
	return 0;
}

static int parse_kw_value(const struct kw *k, const char *s, struct gr_cmd *c, char *err,
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
		/* IPVS and Katran users drain with weight 0: point them at drain */
		if (ret && !strcmp(k->name, "weight") && !parse_uint(s, k->name, 0, 0, &v, NULL, 0))
			return errmsg(-EINVAL, err, errlen,
				      "invalid weight '0': must be %u-%u; to stop new flows "
				      "to a backend and keep its established ones (weight 0 in "
				      "IPVS), use 'lbctl backend drain VIP ADDR'",
				      GR_WEIGHT_MIN, GR_WEIGHT_MAX);
		break;
	case KW_DUR:
		ret = parse_dur_range(s, k->name, k->min, k->max, &v, err, errlen);
		break;
	case KW_PATH:
		return parse_path(s, c->opt.path, err, errlen);
	case KW_MAC:
		return parse_mac(s, c->opt.mac, err, errlen);
	case KW_TEXT:
		return parse_text(k, s, (char *)c + k->off, err, errlen);
	case KW_EXPECT:
		return parse_expect(k, s, &c->opt, err, errlen);
	case KW_PORTS:
		return parse_ports(k, s, &c->pol, err, errlen);
	case KW_EXCEPT:
		return parse_except(k, s, &c->pol, err, errlen);
	default:
		return -EINVAL;
	}
	if (!ret)
		kw_store(c, k, v);
	return ret;
}

static uint32_t *set_word(const struct obj_ent *ob, struct gr_cmd *c)
{
	return (uint32_t *)((char *)c + ob->set_off);
}

static int parse_keywords(const struct obj_ent *ob, const char *cmd, int argc, char *const argv[],
			  struct gr_cmd *c, char *err, size_t errlen)
{
	uint32_t *set = set_word(ob, c);
	int i, ret;

	for (i = 0; i < argc; i += 2) {
		const struct kw *k = NULL;
		size_t j;

		for (j = 0; j < ob->nkws; j++)
			if (!strcmp(argv[i], ob->kws[j].name) &&
			    (!ob->kws[j].verbs || (ob->kws[j].verbs & VB(c->verb))))
				k = &ob->kws[j];
		if (!k && ob->scoped && !strcmp(argv[i], "vip"))
			return errmsg(-EINVAL, err, errlen,
				      "misplaced 'vip': write 'vip VIP' right after '%s'; try "
				      "'lbctl %s help'",
				      cmd, ob->name);
		if (!k)
			return errmsg(-EINVAL, err, errlen,
				      "unknown keyword '%.*s' for '%s'; try 'lbctl %s help'",
				      TOKMAX, argv[i], cmd, ob->name);
		if (*set & k->bit)
			return errmsg(-EINVAL, err, errlen, "duplicate keyword '%s'", k->name);
		if (i + 1 >= argc)
			return errmsg(-EINVAL, err, errlen, "missing value for '%s'", k->name);
		ret = parse_kw_value(k, argv[i + 1], c, err, errlen);
		if (ret)
			return ret;
		*set |= k->bit;
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

/* policy and ratelimit: VERB [vip VIP] then, by verb, the action, the CIDR
 * and keywords. argv starts after the verb. */
static int parse_scoped(const struct obj_ent *ob, const char *cmd, int argc, char *const argv[],
			struct gr_cmd *c, char *err, size_t errlen)
{
	int pol = ob->obj == GR_OBJ_POLICY, i = 0, keywords, ret;
	uint64_t v;

	if (c->verb != GR_VERB_HELP && argc > 0 && !strcmp(argv[0], "vip")) {
		if (argc < 2)
			return errmsg(-EINVAL, err, errlen, "missing VIP after 'vip' for '%s'",
				      cmd);
		ret = parse_vip(argv[1], &c->vip, err, errlen);
		if (ret)
			return ret;
		c->args |= GR_ARG_VIP;
		i = 2;
	}
	if (pol && (c->verb == GR_VERB_ADD || c->verb == GR_VERB_DEFAULT)) {
		if (i >= argc)
			return errmsg(-EINVAL, err, errlen,
				      "missing action for '%s': allow or deny; try 'lbctl %s help'",
				      cmd, ob->name);
		for (v = 0; v < ARRAY_SIZE(action_names); v++)
			if (!strcmp(argv[i], action_names[v]))
				break;
		if (v == ARRAY_SIZE(action_names))
			return errmsg(-EINVAL, err, errlen,
				      "invalid action '%.*s': must be allow or deny", TOKMAX,
				      argv[i]);
		c->pol.action = (uint8_t)v;
		c->args |= GR_ARG_ACTION;
		i++;
	}
	if (pol && (c->verb == GR_VERB_ADD || c->verb == GR_VERB_DEL)) {
		if (i >= argc)
			return errmsg(-EINVAL, err, errlen,
				      "missing CIDR for '%s'; try 'lbctl %s help'", cmd, ob->name);
		ret = cidr_parse(argv[i], "CIDR", &c->pol.cidr, err, errlen);
		if (ret)
			return ret;
		c->args |= GR_ARG_CIDR;
		i++;
	}
	keywords = pol ? c->verb == GR_VERB_ADD || c->verb == GR_VERB_DEL : c->verb == GR_VERB_SET;
	if (!keywords) {
		if (i < argc)
			return errmsg(-EINVAL, err, errlen,
				      "unexpected argument '%.*s' for '%s'; try 'lbctl %s help'",
				      TOKMAX, argv[i], cmd, ob->name);
		return 0;
	}
	ret = parse_keywords(ob, cmd, argc - i, argv + i, c, err, errlen);
	if (ret)
		return ret;
	if (c->verb == GR_VERB_SET && !*set_word(ob, c))
		return errmsg(-EINVAL, err, errlen,
			      "nothing to set for '%s': give a keyword; try 'lbctl %s help'", cmd,
			      ob->name);
	return 0;
}

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
	if (ob->scoped)
		return parse_scoped(ob, cmd, argc - 2, argv + 2, c, err, errlen);

	switch (c->verb) {
	case GR_VERB_HELP:
	case GR_VERB_FLUSH: /* scoped objects only */
	case GR_VERB_DEFAULT:
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
	ret = parse_keywords(ob, cmd, argc, argv, c, err, errlen);
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

static int print_kw(struct sbuf *sb, const struct kw *k, const struct gr_cmd *c)
{
	char exc[GR_EXCEPT_MAX * CIDR_STRLEN];
	const struct gr_opts *o = &c->opt;
	char v[PARSE_DUR_STRLEN];
	char ex[GR_EXPECT_STRLEN];
	const char *name;
	const char *text;
	int ret;

	switch (k->kind) {
	case KW_ENUM:
		name = k->name_of((unsigned int)kw_load(c, k));
		if (!name)
			return -EINVAL;
		sb_add(sb, " %s %s", k->name, name);
		return 0;
	case KW_UINT:
		sb_add(sb, " %s %llu", k->name, (unsigned long long)kw_load(c, k));
		return 0;
	case KW_DUR:
		format_dur(kw_load(c, k), v, sizeof(v));
		sb_add(sb, " %s %s", k->name, v);
		return 0;
	case KW_PATH:
		print_word(sb, k->name, o->path);
		return 0;
	case KW_TEXT:
		text = (const char *)c + k->off;
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
	case KW_PORTS:
		ret = gr_ports_format(c->pol.ports, c->pol.nports, ex, sizeof(ex));
		if (ret)
			return -EINVAL;
		sb_add(sb, " %s %s", k->name, ex);
		return 0;
	case KW_EXCEPT:
		ret = gr_except_format(c->pol.except, c->pol.nexcept, exc, sizeof(exc));
		if (ret)
			return -EINVAL;
		sb_add(sb, " %s %s", k->name, exc);
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

static int print_keywords(struct sbuf *sb, const struct obj_ent *ob, const struct gr_cmd *c)
{
	uint32_t set = *(const uint32_t *)((const char *)c + ob->set_off);
	size_t i;
	int ret;

	for (i = 0; i < ob->nkws; i++) {
		if (!(set & ob->kws[i].bit))
			continue;
		ret = print_kw(sb, &ob->kws[i], c);
		if (ret)
			return ret;
	}
	return sb->err;
}

/* VERB [vip VIP] [ACTION] [CIDR] keywords... */
static int print_scoped(struct sbuf *sb, const struct obj_ent *ob, const struct gr_cmd *c)
{
	char tmp[PARSE_VIP_STRLEN > CIDR_STRLEN ? PARSE_VIP_STRLEN : CIDR_STRLEN];
	const char *name;
	int ret;

	if (c->args & GR_ARG_VIP) {
		ret = format_vip(&c->vip, tmp, sizeof(tmp));
		if (ret)
			return ret;
		sb_add(sb, " vip %s", tmp);
	}
	if (c->args & GR_ARG_ACTION) {
		name = gr_action_name(c->pol.action);
		if (!name)
			return -EINVAL;
		sb_add(sb, " %s", name);
	}
	if (c->args & GR_ARG_CIDR) {
		ret = cidr_format(&c->pol.cidr, tmp, sizeof(tmp));
		if (ret)
			return ret;
		sb_add(sb, " %s", tmp);
	}
	return print_keywords(sb, ob, c);
}

int grammar_print(const struct gr_cmd *c, char *buf, size_t len)
{
	struct sbuf sb = { .buf = buf, .len = len };
	const struct obj_ent *ob;
	char tmp[PARSE_VIP_STRLEN];
	const char *verb;
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
	if (ob->scoped)
		return print_scoped(&sb, ob, c);
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
	return print_keywords(&sb, ob, c);
}

int grammar_emit(const struct gr_cmd *cmd, int (*emit)(void *arg, const char *line), void *arg)
{
	char line[GR_LINE_MAX];
	int ret;

	ret = grammar_print(cmd, line, sizeof(line));
	if (ret)
		return ret;
	return emit(arg, line);
}
