// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* config: the in-memory model of VIPs and backends. Every change goes through
 * config_apply(), which checks the whole result before it touches anything, so
 * a rejected command leaves the config as it was. No I/O, no libbpf.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlb/consts.h>
#include "common/digest.h"
#include "common/errmsg.h"
#include "common/grammar.h"
#include "common/parse.h"
#include "agent/model/config.h"
#include "agent/model/prime.h"

#define ERRTMP 512

#define VIP_OPTS                                                                                   \
	(GR_OPT_SCHED | GR_OPT_ENCAP | GR_OPT_HASH | GR_OPT_RING_SIZE | GR_OPT_UDP_IDLE |          \
	 GR_OPT_MTU | GR_OPT_CHECK | GR_OPT_PATH | GR_OPT_INTERVAL | GR_OPT_TIMEOUT |              \
	 GR_OPT_RISE | GR_OPT_FALL | GR_OPT_EJECT_TIME | GR_OPT_MAX_EJECT_TIME |                   \
	 GR_OPT_HALF_OPEN_FLOWS | GR_OPT_PANIC | GR_OPT_MAX_EJECT | GR_OPT_EXPECT | GR_OPT_SEND |  \
	 GR_OPT_RECEIVE | GR_OPT_CHECK_VIA | GR_OPT_HOST | GR_OPT_CHECK_PORT | GR_OPT_OPEN_FLOWS | \
	 GR_OPT_SYN_BURST | GR_OPT_INIT_STATE | GR_OPT_FAIL_RATIO | GR_OPT_FAIL_WINDOW |           \
	 GR_OPT_FAIL_MIN)
#define BE_OPTS (GR_OPT_WEIGHT | GR_OPT_PORT | GR_OPT_MAC | GR_OPT_CHECK | GR_OPT_CHECK_PORT)

/* Smallest MTU an IPv6 link may have (RFC 8200, section 5) */
#define IPV6_MIN_MTU 1280

/* Printable names for messages; a bad key prints as "?" rather than failing */
static const char *vip_str(const struct xlb_vip_key *key, char *buf, size_t len)
{
	if (format_vip(key, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *addr_str(const struct xlb_addr *addr, char *buf, size_t len)
{
	if (format_addr(addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *dur_str(uint64_t ms, char *buf, size_t len)
{
	if (format_dur(ms, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static void default_opts(struct gr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sched = CFG_DEF_SCHED;
	o->encap = CFG_DEF_ENCAP;
	o->hash = CFG_DEF_HASH;
	o->ring_size = CFG_DEF_RING_SIZE;
	o->udp_idle_ms = CFG_DEF_UDP_IDLE_MS;
	o->mtu = CFG_DEF_MTU;
	o->check = CFG_DEF_CHECK;
	snprintf(o->path, sizeof(o->path), "%s", CFG_DEF_PATH);
	o->interval_ms = CFG_DEF_INTERVAL_MS;
	o->timeout_ms = CFG_DEF_TIMEOUT_MS;
	o->rise = CFG_DEF_RISE;
	o->fall = CFG_DEF_FALL;
	o->eject_ms = CFG_DEF_EJECT_MS;
	o->max_eject_ms = CFG_DEF_MAX_EJECT_MS;
	o->half_open_flows = CFG_DEF_HALF_OPEN_FLOWS;
	o->panic_pct = CFG_DEF_PANIC_PCT;
	o->max_eject_pct = CFG_DEF_MAX_EJECT_PCT;
	o->check_via = CFG_DEF_CHECK_VIA;
	o->expect[0].lo = CFG_DEF_EXPECT_LO;
	o->expect[0].hi = CFG_DEF_EXPECT_HI;
	o->nexpect = 1;
	o->open_flows = CFG_DEF_OPEN_FLOWS;
	o->init_state = CFG_DEF_INIT_STATE;
	o->fail_ratio = CFG_DEF_FAIL_RATIO;
	o->fail_window = CFG_DEF_FAIL_WINDOW;
	o->fail_min = CFG_DEF_FAIL_MIN;
	o->syn_burst = CFG_DEF_SYN_BURST;
	/* send, receive, host: ""; check-port 0 (memset above) */
}

static void default_expect(struct gr_opts *o)
{
	memset(o->expect, 0, sizeof(o->expect));
	o->expect[0].lo = CFG_DEF_EXPECT_LO;
	o->expect[0].hi = CFG_DEF_EXPECT_HI;
	o->nexpect = 1;
}

/* Overlay the VIP keywords given in @in onto the effective options @o. */
static void merge_opts(struct gr_opts *o, const struct gr_opts *in)
{
	uint32_t s = in->set;

	if (s & GR_OPT_SCHED)
		o->sched = in->sched;
	if (s & GR_OPT_ENCAP)
		o->encap = in->encap;
	if (s & GR_OPT_HASH)
		o->hash = in->hash;
	if (s & GR_OPT_RING_SIZE)
		o->ring_size = in->ring_size;
	if (s & GR_OPT_UDP_IDLE)
		o->udp_idle_ms = in->udp_idle_ms;
	if (s & GR_OPT_MTU)
		o->mtu = in->mtu;
	if (s & GR_OPT_CHECK) {
		o->check = in->check;
		/* A path belongs to an http check: leaving http drops it, so
		 * the invariant "non-default path => check http" always holds
		 * and `lbctl show` output stays loadable. */
		if (in->check != GR_CHECK_HTTP) {
			snprintf(o->path, sizeof(o->path), "%s", CFG_DEF_PATH);
			memset(o->host, 0, sizeof(o->host));
			default_expect(o);
		}
		/* likewise send/receive belong to a udp check */
		if (in->check != GR_CHECK_UDP) {
			memset(o->send, 0, sizeof(o->send));
			memset(o->receive, 0, sizeof(o->receive));
		}
	}
	if (s & GR_OPT_CHECK_VIA)
		o->check_via = in->check_via;
	if (s & GR_OPT_PATH)
		memcpy(o->path, in->path, sizeof(o->path)); /* NUL checked by config_apply */
	if (s & GR_OPT_EXPECT) {
		memcpy(o->expect, in->expect, sizeof(o->expect));
		o->nexpect = in->nexpect;
	}
	if (s & GR_OPT_SEND)
		memcpy(o->send, in->send, sizeof(o->send)); /* NUL checked by config_apply */
	if (s & GR_OPT_RECEIVE)
		memcpy(o->receive, in->receive, sizeof(o->receive));
	if (s & GR_OPT_HOST)
		memcpy(o->host, in->host, sizeof(o->host)); /* NUL checked by config_apply */
	if (s & GR_OPT_CHECK_PORT)
		o->check_port = in->check_port;
	if (s & GR_OPT_OPEN_FLOWS)
		o->open_flows = in->open_flows;
	if (s & GR_OPT_INIT_STATE)
		o->init_state = in->init_state;
	if (s & GR_OPT_FAIL_RATIO)
		o->fail_ratio = in->fail_ratio;
	if (s & GR_OPT_FAIL_WINDOW)
		o->fail_window = in->fail_window;
	if (s & GR_OPT_FAIL_MIN)
		o->fail_min = in->fail_min;
	if (s & GR_OPT_SYN_BURST)
		o->syn_burst = in->syn_burst;
	if (s & GR_OPT_INTERVAL)
		o->interval_ms = in->interval_ms;
	if (s & GR_OPT_TIMEOUT)
		o->timeout_ms = in->timeout_ms;
	if (s & GR_OPT_RISE)
		o->rise = in->rise;
	if (s & GR_OPT_FALL)
		o->fall = in->fall;
	if (s & GR_OPT_EJECT_TIME)
		o->eject_ms = in->eject_ms;
	if (s & GR_OPT_MAX_EJECT_TIME)
		o->max_eject_ms = in->max_eject_ms;
	if (s & GR_OPT_HALF_OPEN_FLOWS)
		o->half_open_flows = in->half_open_flows;
	if (s & GR_OPT_PANIC)
		o->panic_pct = in->panic_pct;
	if (s & GR_OPT_MAX_EJECT)
		o->max_eject_pct = in->max_eject_pct;
	o->set = 0;
}

static bool expect_is_default(const struct gr_opts *o)
{
	struct gr_opts d;

	default_expect(&d);
	return o->nexpect == d.nexpect && !memcmp(o->expect, d.expect, sizeof(o->expect));
}

/* Ranges as the grammar makes them: 1-8, within 100-599, sorted, disjoint */
static int check_expect(const struct gr_opts *o, char *err, size_t errlen)
{
	unsigned int i;

	if (!o->nexpect || o->nexpect > GR_EXPECT_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid expect: 1-%d ranges", GR_EXPECT_MAX);
	for (i = 0; i < o->nexpect; i++)
		if (o->expect[i].lo < GR_STATUS_MIN || o->expect[i].hi > GR_STATUS_MAX ||
		    o->expect[i].lo > o->expect[i].hi ||
		    (i && o->expect[i].lo <= o->expect[i - 1].hi + 1))
			return errmsg(-EINVAL, err, errlen,
				      "invalid expect range %u-%u: statuses %u-%u, sorted, "
				      "disjoint",
				      o->expect[i].lo, o->expect[i].hi, GR_STATUS_MIN,
				      GR_STATUS_MAX);
	return 0;
}

static bool text_ok(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"')
			return false;
	return i < size;
}

/* check-via vip sends a SYN to the VIP inside the backend's tunnel: the backend
 * must be of the VIP's family (no 4in6/6in4 probes) and its check tcp
 */
static int check_via_backend(const struct xlb_vip_key *key, const struct gr_opts *o,
			     const struct cfg_backend *b, char *err, size_t errlen)
{
	char as[PARSE_ADDR_STRLEN];

	if (o->check_via != GR_VIA_VIP)
		return 0;
	addr_str(&b->addr, as, sizeof(as));
	if (b->addr.family != key->family)
		return errmsg(-EINVAL, err, errlen,
			      "check-via vip needs backends of the VIP's address family: backend "
			      "%s is %s",
			      as, b->addr.family == XLB_FAMILY_V6 ? "IPv6" : "IPv4");
	if (b->has_check && b->check != GR_CHECK_TCP && b->check != GR_CHECK_NONE)
		return errmsg(-EINVAL, err, errlen,
			      "check-via vip works with check tcp only: backend %s has check %s",
			      as, gr_check_name(b->check));
	return 0;
}

/* A value out of its grammar range (limits.h), in the grammar's words:
 * "invalid rise '0': must be 1-100". 0 when inside. */
static int uint_range(const char *name, uint32_t v, uint32_t min, uint32_t max, char *err,
		      size_t errlen)
{
	if (v >= min && v <= max)
		return 0;
	return errmsg(-EINVAL, err, errlen, "invalid %s '%u': must be %u-%u", name, v, min, max);
}

/* The same for a duration up to GR_DUR_MAX_MS: "must be 1ms-24h" */
static int dur_range(const char *name, uint32_t ms, uint32_t min, char *err, size_t errlen)
{
	char v[PARSE_DUR_STRLEN], lo[PARSE_DUR_STRLEN], hi[PARSE_DUR_STRLEN];

	if (ms >= min && ms <= GR_DUR_MAX_MS)
		return 0;
	format_dur_bound(min, lo, sizeof(lo));
	format_dur_bound(GR_DUR_MAX_MS, hi, sizeof(hi));
	return errmsg(-EINVAL, err, errlen, "invalid %s '%s': must be %s-%s", name,
		      dur_str(ms, v, sizeof(v)), lo, hi);
}

static int check_key(const struct xlb_vip_key *key, char *err, size_t errlen)
{
	if ((key->family != XLB_FAMILY_V4 && key->family != XLB_FAMILY_V6) ||
	    (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP))
		return errmsg(-EINVAL, err, errlen, "invalid vip: bad family or protocol");
	return 0;
}

/* The health-check and breaker options of a VIP (check_vip()'s second half):
 * @vs is the VIP as text for the messages. 0 or -EINVAL with a message. */
static int check_vip_health(const struct xlb_vip_key *key, const struct gr_opts *o, uint32_t given,
			    const struct cfg_backend *be, size_t nbe, const char *vs, char *err,
			    size_t errlen)
{
	char d1[PARSE_DUR_STRLEN], d2[PARSE_DUR_STRLEN];
	size_t i;

	if (o->path[0] != '/' || strnlen(o->path, sizeof(o->path)) > GR_PATH_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid path: must start with '/'");
	if (o->check != GR_CHECK_HTTP &&
	    ((given & GR_OPT_PATH) || strcmp(o->path, CFG_DEF_PATH) != 0))
		return errmsg(-EINVAL, err, errlen,
			      "'path' needs 'check http' (vip %s has check %s)", vs,
			      gr_check_name(o->check));
	if (o->check_via >= __GR_VIA_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid check-via '%u'", o->check_via);
	if (o->check_via == GR_VIA_VIP) {
		if (o->check == GR_CHECK_HTTP || o->check == GR_CHECK_UDP)
			return errmsg(-EINVAL, err, errlen,
				      "check-via vip works with check tcp only (vip %s has check "
				      "%s)",
				      vs, gr_check_name(o->check));
		if (o->encap != XLB_ENCAP_IPIP && o->encap != XLB_ENCAP_GUE)
			return errmsg(-EINVAL, err, errlen,
				      "check-via vip needs encap ipip or gue (vip %s has encap l2)",
				      vs);
		for (i = 0; i < nbe; i++)
			if (check_via_backend(key, o, &be[i], err, errlen))
				return -EINVAL;
	}
	if (check_expect(o, err, errlen))
		return -EINVAL;
	if (o->check != GR_CHECK_HTTP && ((given & GR_OPT_EXPECT) || !expect_is_default(o)))
		return errmsg(-EINVAL, err, errlen,
			      "'expect' needs 'check http' (vip %s has check %s)", vs,
			      gr_check_name(o->check));
	if (!text_ok(o->send, sizeof(o->send)) || !text_ok(o->receive, sizeof(o->receive)))
		return errmsg(-EINVAL, err, errlen,
			      "invalid send or receive: printable characters only, at most %d "
			      "bytes",
			      GR_PAYLOAD_MAX);
	if (o->check != GR_CHECK_UDP && ((given & GR_OPT_SEND) || o->send[0]))
		return errmsg(-EINVAL, err, errlen,
			      "'send' needs 'check udp' (vip %s has check %s)", vs,
			      gr_check_name(o->check));
	if (o->check != GR_CHECK_UDP && ((given & GR_OPT_RECEIVE) || o->receive[0]))
		return errmsg(-EINVAL, err, errlen,
			      "'receive' needs 'check udp' (vip %s has check %s)", vs,
			      gr_check_name(o->check));
	if (!text_ok(o->host, sizeof(o->host)))
		return errmsg(-EINVAL, err, errlen,
			      "invalid host: printable characters only, at most %d bytes",
			      GR_HOST_MAX);
	if (o->check != GR_CHECK_HTTP && ((given & GR_OPT_HOST) || o->host[0]))
		return errmsg(-EINVAL, err, errlen,
			      "'host' needs 'check http' (vip %s has check %s)", vs,
			      gr_check_name(o->check));
	if ((given & GR_OPT_HOST) && !o->host[0])
		return errmsg(-EINVAL, err, errlen, "invalid host '': must not be empty");
	if (uint_range("fail-ratio", o->fail_ratio, 0, GR_PCT_MAX, err, errlen) ||
	    uint_range("fail-window", o->fail_window, 1, GR_FAIL_WINDOW_MAX, err, errlen))
		return -EINVAL;
	if (!o->fail_min || o->fail_min > o->fail_window)
		return errmsg(-EINVAL, err, errlen,
			      "invalid fail-min '%u': must be 1 to fail-window %u", o->fail_min,
			      o->fail_window);
	if (o->init_state >= __GR_INIT_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid init-state '%u'", o->init_state);
	if (o->open_flows >= __GR_OPEN_FLOWS_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid open-flows '%u'", o->open_flows);
	if (uint_range("syn-burst", o->syn_burst, 0, GR_SYN_BURST_MAX, err, errlen))
		return -EINVAL;
	if ((given & GR_OPT_SEND) && !o->send[0])
		return errmsg(-EINVAL, err, errlen, "invalid send '': must not be empty");
	if ((given & GR_OPT_RECEIVE) && !o->receive[0])
		return errmsg(-EINVAL, err, errlen, "invalid receive '': must not be empty");
	if (dur_range("eject-time", o->eject_ms, GR_DUR_MIN_MS, err, errlen) ||
	    dur_range("max-eject-time", o->max_eject_ms, GR_DUR_MIN_MS, err, errlen))
		return -EINVAL;
	if (o->max_eject_ms < o->eject_ms) {
		dur_str(o->max_eject_ms, d1, sizeof(d1));
		dur_str(o->eject_ms, d2, sizeof(d2));
		if (given & GR_OPT_MAX_EJECT_TIME || !(given & GR_OPT_EJECT_TIME))
			return errmsg(-EINVAL, err, errlen,
				      "invalid max-eject-time '%s': must be at least eject-time "
				      "%s",
				      d1, d2);
		return errmsg(-EINVAL, err, errlen,
			      "invalid eject-time '%s': must be at most max-eject-time %s", d2, d1);
	}
	if (uint_range("half-open-flows", o->half_open_flows, GR_HALF_OPEN_FLOWS_MIN,
		       GR_HALF_OPEN_FLOWS_MAX, err, errlen) ||
	    uint_range("panic", o->panic_pct, 0, GR_PCT_MAX, err, errlen) ||
	    uint_range("max-eject", o->max_eject_pct, 0, GR_PCT_MAX, err, errlen) ||
	    dur_range("interval", o->interval_ms, GR_DUR_MIN_MS, err, errlen))
		return -EINVAL;
	/* a check may take the whole interval (HAProxy's default: `inter` is
	 * also the timeout); the next one starts an interval after it began */
	if (!o->timeout_ms || o->timeout_ms > o->interval_ms) {
		dur_str(o->timeout_ms, d1, sizeof(d1));
		dur_str(o->interval_ms, d2, sizeof(d2));
		if (given & GR_OPT_TIMEOUT || !(given & GR_OPT_INTERVAL))
			return errmsg(-EINVAL, err, errlen,
				      "invalid timeout '%s': must be at most interval %s", d1, d2);
		return errmsg(-EINVAL, err, errlen,
			      "invalid interval '%s': must be at least timeout %s", d2, d1);
	}
	if (uint_range("rise", o->rise, GR_RUN_MIN, GR_RUN_MAX, err, errlen) ||
	    uint_range("fall", o->fall, GR_RUN_MIN, GR_RUN_MAX, err, errlen))
		return -EINVAL;
	return 0;
}

/**
 * check_vip() - validate a VIP's effective options against its backends
 * @key:   the VIP
 * @o:     merged options (every field valid)
 * @given: keywords the command gave (GR_OPT_*), to name the offending one
 * @be:    the VIP's backends, @nbe of them
 *
 * Return: 0 or -EINVAL with a message naming the token.
 */
static int check_vip(const struct xlb_vip_key *key, const struct gr_opts *o, uint32_t given,
		     const struct cfg_backend *be, size_t nbe, char *err, size_t errlen)
{
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];
	size_t i;

	vip_str(key, vs, sizeof(vs));
	if (o->sched >= __GR_SCHED_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid sched '%u'", o->sched);
	/* the dataplane scans an lc VIP's backends per new flow: keep the scan short */
	if (o->sched == GR_SCHED_LC && nbe > XLB_LC_MAX)
		return errmsg(-EINVAL, err, errlen,
			      "sched 'lc': vip %s has %zu backends, lc allows at most %d", vs, nbe,
			      XLB_LC_MAX);
	if (o->encap != XLB_ENCAP_IPIP && o->encap != XLB_ENCAP_GUE && o->encap != XLB_ENCAP_L2)
		return errmsg(-EINVAL, err, errlen, "invalid encap '%u'", o->encap);
	if (o->hash >= __GR_HASH_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid hash '%u'", o->hash);
	if (o->check >= __GR_CHECK_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid check '%u'", o->check);
	if (!prime_test(o->ring_size))
		return errmsg(-EINVAL, err, errlen, "invalid ring-size '%u': must be prime",
			      o->ring_size);
	if (o->ring_size > GR_RING_SIZE_MAX)
		return errmsg(-EINVAL, err, errlen, "invalid ring-size '%u': must be at most %u",
			      o->ring_size, (unsigned int)GR_RING_SIZE_MAX);
	if (o->ring_size < nbe)
		return errmsg(-EINVAL, err, errlen,
			      "invalid ring-size '%u': below the %zu backends of vip %s",
			      o->ring_size, nbe, vs);
	if (dur_range("udp-idle", o->udp_idle_ms, GR_UDP_IDLE_MIN_MS, err, errlen))
		return -EINVAL;
	if (key->family == XLB_FAMILY_V6 && o->mtu < IPV6_MIN_MTU)
		return errmsg(-EINVAL, err, errlen,
			      "invalid mtu '%u': an IPv6 vip needs at least %d", o->mtu,
			      IPV6_MIN_MTU);
	if (o->mtu < GR_MTU_MIN || o->mtu > GR_MTU_MAX)
		return errmsg(-EINVAL, err, errlen,
			      "invalid mtu '%u': must be %d-%d (single-buffer XDP)", o->mtu,
			      GR_MTU_MIN, GR_MTU_MAX);
	if (check_vip_health(key, o, given, be, nbe, vs, err, errlen))
		return -EINVAL;
	if (o->encap == XLB_ENCAP_L2) {
		/* DSR rewrites MACs only: the packet keeps the VIP's IP header */
		for (i = 0; i < nbe; i++)
			if (be[i].addr.family != key->family)
				return errmsg(-EINVAL, err, errlen,
					      "invalid encap 'l2' for vip %s: backend %s is of "
					      "another address family",
					      vs, addr_str(&be[i].addr, as, sizeof(as)));
	}
	return 0;
}

/* Backends the dataplane has slots for (lbd --max-backends): one limit for
 * the process, set once at start-up before any config is loaded */
static uint32_t be_max = XLB_MAX_BACKENDS;

void config_set_max_backends(uint32_t n)
{
	be_max = n ? n : XLB_MAX_BACKENDS;
}

uint32_t config_max_backends(void)
{
	return be_max;
}

static size_t total_backends(const struct config *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nvip; i++)
		n += c->vip[i].nbe;
	return n;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	policy_init(&c->pol);
}

static void vip_free(struct cfg_vip *v)
{
	free(v->be);
	v->be = NULL;
	v->nbe = v->cap = 0;
}

void config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nvip; i++)
		vip_free(&c->vip[i]);
	free(c->vip);
	policy_free(&c->pol);
	config_init(c);
}

int config_copy(struct config *dst, const struct config *src)
{
	size_t i;

	config_init(dst);
	policy_free(&dst->pol);
	if (policy_copy(&dst->pol, &src->pol)) {
		policy_init(&dst->pol);
		return -ENOMEM;
	}
	if (!src->nvip)
		return 0;
	dst->vip = calloc(src->nvip, sizeof(*dst->vip));
	if (!dst->vip)
		return -ENOMEM;
	dst->cap = src->nvip;
	for (i = 0; i < src->nvip; i++) {
		const struct cfg_vip *s = &src->vip[i];
		struct cfg_vip *d = &dst->vip[dst->nvip];

		*d = *s;
		d->be = NULL;
		d->nbe = d->cap = 0;
		if (s->nbe) {
			d->be = malloc(s->nbe * sizeof(*d->be));
			if (!d->be)
				goto out_free;
			memcpy(d->be, s->be, s->nbe * sizeof(*d->be));
			d->nbe = d->cap = s->nbe;
		}
		dst->nvip++;
	}
	return 0;

out_free:
	config_free(dst);
	return -ENOMEM;
}

struct cfg_vip *config_vip(const struct config *c, const struct xlb_vip_key *key)
{
	size_t i;

	for (i = 0; i < c->nvip; i++)
		if (vip_key_eq(&c->vip[i].key, key))
			return &c->vip[i];
	return NULL;
}

struct cfg_backend *config_backend(const struct cfg_vip *v, const struct xlb_addr *addr)
{
	size_t i;

	for (i = 0; i < v->nbe; i++)
		if (addr_eq(&v->be[i].addr, addr))
			return &v->be[i];
	return NULL;
}

/* Make room for one more element; the array is unchanged on failure. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int vip_add(struct config *c, const struct gr_cmd *cmd, const char *vs, char *err,
		   size_t errlen)
{
	struct cfg_vip v = { .key = cmd->vip, .vip_id = UINT32_MAX, .dirty = true };
	int ret;

	if (config_vip(c, &cmd->vip))
		return errmsg(-EEXIST, err, errlen, "vip %s already exists", vs);
	default_opts(&v.opt);
	merge_opts(&v.opt, &cmd->opt);
	ret = check_vip(&v.key, &v.opt, cmd->opt.set, NULL, 0, err, errlen);
	if (ret)
		return ret;
	if (c->nvip >= XLB_MAX_VIPS)
		return errmsg(-ENOSPC, err, errlen, "vip %s: too many vips (at most %d)", vs,
			      XLB_MAX_VIPS);
	if (grow((void **)&c->vip, &c->cap, c->nvip, sizeof(*c->vip)))
		return errmsg(-ENOMEM, err, errlen, "vip %s: out of memory", vs);
	c->vip[c->nvip++] = v;
	return 0;
}

static int vip_set(struct cfg_vip *v, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct gr_opts o = v->opt;
	int ret;

	merge_opts(&o, &cmd->opt);
	ret = check_vip(&v->key, &o, cmd->opt.set, v->be, v->nbe, err, errlen);
	if (ret)
		return ret;
	/* a new table size or scheduler means a new ring */
	if (o.ring_size != v->opt.ring_size || o.sched != v->opt.sched)
		v->dirty = true;
	v->opt = o;
	return 0;
}

static void vip_del(struct config *c, struct cfg_vip *v)
{
	size_t i = (size_t)(v - c->vip);

	vip_free(v);
	memmove(&c->vip[i], &c->vip[i + 1], (c->nvip - i - 1) * sizeof(*c->vip));
	c->nvip--;
}

/* check / check-port of `backend add|set`: overrides of the VIP's check */
static int backend_check_opts(struct cfg_backend *b, const struct gr_opts *o, const char *as,
			      char *err, size_t errlen)
{
	if ((o->set & GR_OPT_CHECK) && o->check >= __GR_CHECK_MAX)
		return errmsg(-EINVAL, err, errlen, "backend %s: invalid check '%u'", as, o->check);
	if ((o->set & GR_OPT_CHECK_PORT) && !o->check_port)
		return errmsg(-EINVAL, err, errlen, "invalid check-port '0': must be %u-%u",
			      GR_PORT_MIN, GR_PORT_MAX);
	if (o->set & GR_OPT_CHECK) {
		b->has_check = true;
		b->check = o->check;
	}
	if (o->set & GR_OPT_CHECK_PORT)
		b->check_port = o->check_port;
	return 0;
}

static int backend_add(const struct config *c, struct cfg_vip *v, const struct gr_cmd *cmd,
		       const char *vs, const char *as, char *err, size_t errlen)
{
	struct cfg_backend b = { .addr = cmd->addr, .weight = CFG_DEF_WEIGHT };
	int ret;

	if (config_backend(v, &cmd->addr))
		return errmsg(-EEXIST, err, errlen, "backend %s already exists in vip %s", as, vs);
	if (v->opt.encap == XLB_ENCAP_L2 && cmd->addr.family != v->key.family)
		return errmsg(-EINVAL, err, errlen,
			      "backend %s: vip %s uses encap l2, which needs the vip's address "
			      "family",
			      as, vs);
	if (cmd->opt.set & GR_OPT_WEIGHT) {
		if (!cmd->opt.weight)
			return errmsg(-EINVAL, err, errlen, "invalid weight '0': must be %u-%u",
				      GR_WEIGHT_MIN, GR_WEIGHT_MAX);
		b.weight = cmd->opt.weight;
	}
	if (cmd->opt.set & GR_OPT_PORT)
		b.port = cmd->opt.port;
	if (cmd->opt.set & GR_OPT_MAC) {
		memcpy(b.mac, cmd->opt.mac, sizeof(b.mac));
		b.has_mac = true;
	}
	ret = backend_check_opts(&b, &cmd->opt, as, err, errlen);
	if (ret)
		return ret;
	if (check_via_backend(&v->key, &v->opt, &b, err, errlen))
		return -EINVAL;
	if (v->opt.sched == GR_SCHED_LC && v->nbe >= XLB_LC_MAX)
		return errmsg(-ENOSPC, err, errlen,
			      "backend %s: vip %s uses sched lc, which allows at most %d backends",
			      as, vs, XLB_LC_MAX);
	if (v->nbe >= v->opt.ring_size)
		return errmsg(-ENOSPC, err, errlen,
			      "backend %s: vip %s has %zu backends, as many as its ring-size %u",
			      as, vs, v->nbe, v->opt.ring_size);
	if (total_backends(c) >= be_max)
		return errmsg(
			-ENOSPC, err, errlen,
			"backend %s: too many backends (at most %u in all: lbd --max-backends)", as,
			be_max);
	if (grow((void **)&v->be, &v->cap, v->nbe, sizeof(*v->be)))
		return errmsg(-ENOMEM, err, errlen, "backend %s: out of memory", as);
	v->be[v->nbe++] = b;
	v->dirty = true;
	return 0;
}

static int backend_set(struct cfg_vip *v, struct cfg_backend *b, const struct gr_cmd *cmd,
		       const char *as, char *err, size_t errlen)
{
	struct cfg_backend nb = *b;

	if ((cmd->opt.set & GR_OPT_WEIGHT) && !cmd->opt.weight)
		return errmsg(-EINVAL, err, errlen, "invalid weight '0': must be %u-%u",
			      GR_WEIGHT_MIN, GR_WEIGHT_MAX);
	if (!(cmd->opt.set & BE_OPTS))
		return errmsg(-EINVAL, err, errlen, "nothing to set for 'backend set'");
	if (backend_check_opts(&nb, &cmd->opt, as, err, errlen) ||
	    check_via_backend(&v->key, &v->opt, &nb, err, errlen))
		return -EINVAL;
	b->has_check = nb.has_check;
	b->check = nb.check;
	b->check_port = nb.check_port;
	if ((cmd->opt.set & GR_OPT_WEIGHT) && cmd->opt.weight != b->weight) {
		b->weight = cmd->opt.weight;
		v->dirty = true;
	}
	if (cmd->opt.set & GR_OPT_PORT)
		b->port = cmd->opt.port;
	if (cmd->opt.set & GR_OPT_MAC) {
		memcpy(b->mac, cmd->opt.mac, sizeof(b->mac));
		b->has_mac = true;
	}
	return 0;
}

static void backend_del(struct cfg_vip *v, struct cfg_backend *b)
{
	size_t i = (size_t)(b - v->be);

	memmove(&v->be[i], &v->be[i + 1], (v->nbe - i - 1) * sizeof(*v->be));
	v->nbe--;
	v->dirty = true;
}

static bool vip_set_has(const void *arg, const struct xlb_vip_key *key)
{
	return config_vip(arg, key) != NULL;
}

const struct pol_vip_set *config_vip_set(const struct config *c, struct pol_vip_set *set)
{
	*set = (struct pol_vip_set){ .has = vip_set_has, .arg = c };
	return set;
}

int config_apply(struct config *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];
	const char *obj = gr_object_name(cmd->obj);
	const char *verb = gr_verb_name(cmd->verb);
	struct pol_vip_set vips;
	struct cfg_backend *b;
	struct cfg_vip *v;
	int ret;

	if (!obj)
		obj = "?";
	if (!verb)
		verb = "?";
	if (cmd->obj == GR_OBJ_POLICY || cmd->obj == GR_OBJ_RATELIMIT)
		return policy_apply(&c->pol, config_vip_set(c, &vips), cmd, err, errlen);
	if ((cmd->obj != GR_OBJ_VIP && cmd->obj != GR_OBJ_BACKEND) || cmd->verb == GR_VERB_SHOW ||
	    cmd->verb == GR_VERB_HELP || cmd->verb == GR_VERB_LOOKUP)
		return errmsg(-EOPNOTSUPP, err, errlen, "'%s %s' does not change the config", obj,
			      verb);
	if (!(cmd->args & GR_ARG_VIP))
		return errmsg(-EINVAL, err, errlen, "missing VIP for '%s %s'", obj, verb);
	ret = check_key(&cmd->vip, err, errlen);
	if (ret)
		return ret;
	vip_str(&cmd->vip, vs, sizeof(vs));

	if (cmd->obj == GR_OBJ_VIP) {
		if (cmd->opt.set & ~VIP_OPTS)
			return errmsg(-EINVAL, err, errlen, "backend keyword given to 'vip %s'",
				      verb);
		if ((cmd->opt.set & GR_OPT_PATH) &&
		    !memchr(cmd->opt.path, '\0', sizeof(cmd->opt.path)))
			return errmsg(-EINVAL, err, errlen, "invalid path: longer than %d bytes",
				      GR_PATH_MAX);
		if (((cmd->opt.set & GR_OPT_SEND) &&
		     !memchr(cmd->opt.send, '\0', sizeof(cmd->opt.send))) ||
		    ((cmd->opt.set & GR_OPT_RECEIVE) &&
		     !memchr(cmd->opt.receive, '\0', sizeof(cmd->opt.receive))))
			return errmsg(-EINVAL, err, errlen,
				      "invalid send or receive: longer than %d bytes",
				      GR_PAYLOAD_MAX);
		if ((cmd->opt.set & GR_OPT_HOST) &&
		    !memchr(cmd->opt.host, '\0', sizeof(cmd->opt.host)))
			return errmsg(-EINVAL, err, errlen, "invalid host: longer than %d bytes",
				      GR_HOST_MAX);
		if (cmd->verb == GR_VERB_ADD)
			return vip_add(c, cmd, vs, err, errlen);
		if (cmd->verb != GR_VERB_SET && cmd->verb != GR_VERB_DEL)
			return errmsg(-EOPNOTSUPP, err, errlen, "unknown command 'vip %s'", verb);
		v = config_vip(c, &cmd->vip);
		if (!v)
			return errmsg(-ENOENT, err, errlen, "vip %s not found", vs);
		if (cmd->verb == GR_VERB_SET)
			return vip_set(v, cmd, err, errlen);
		policy_drop_vip(&c->pol, &v->key); /* its rules and limits go with it */
		vip_del(c, v);
		return 0;
	}

	if (!(cmd->args & GR_ARG_ADDR))
		return errmsg(-EINVAL, err, errlen, "missing ADDR for 'backend %s'", verb);
	if (cmd->addr.family != XLB_FAMILY_V4 && cmd->addr.family != XLB_FAMILY_V6)
		return errmsg(-EINVAL, err, errlen, "invalid backend address: bad family");
	if (cmd->opt.set & ~BE_OPTS)
		return errmsg(-EINVAL, err, errlen, "vip keyword given to 'backend %s'", verb);
	addr_str(&cmd->addr, as, sizeof(as));
	v = config_vip(c, &cmd->vip);
	if (!v)
		return errmsg(-ENOENT, err, errlen, "vip %s not found", vs);
	if (cmd->verb == GR_VERB_ADD)
		return backend_add(c, v, cmd, vs, as, err, errlen);
	b = config_backend(v, &cmd->addr);
	if (!b)
		return errmsg(-ENOENT, err, errlen, "backend %s not found in vip %s", as, vs);
	switch (cmd->verb) {
	case GR_VERB_SET:
		return backend_set(v, b, cmd, as, err, errlen);
	case GR_VERB_DRAIN:
	case GR_VERB_ENABLE:
		if (b->draining != (cmd->verb == GR_VERB_DRAIN)) {
			b->draining = cmd->verb == GR_VERB_DRAIN;
			v->dirty = true;
		}
		return 0;
	case GR_VERB_DEL:
		backend_del(v, b);
		return 0;
	default:
		return errmsg(-EOPNOTSUPP, err, errlen, "unknown command 'backend %s'", verb);
	}
}

/* Set the bit of every option that differs from its default. */
static uint32_t non_default(const struct gr_opts *o)
{
	struct gr_opts d;
	uint32_t s = 0;

	default_opts(&d);
	if (o->sched != d.sched)
		s |= GR_OPT_SCHED;
	if (o->encap != d.encap)
		s |= GR_OPT_ENCAP;
	if (o->hash != d.hash)
		s |= GR_OPT_HASH;
	if (o->ring_size != d.ring_size)
		s |= GR_OPT_RING_SIZE;
	if (o->udp_idle_ms != d.udp_idle_ms)
		s |= GR_OPT_UDP_IDLE;
	if (o->mtu != d.mtu)
		s |= GR_OPT_MTU;
	if (o->check != d.check)
		s |= GR_OPT_CHECK;
	if (strcmp(o->path, d.path) != 0)
		s |= GR_OPT_PATH;
	if (o->interval_ms != d.interval_ms)
		s |= GR_OPT_INTERVAL;
	if (o->timeout_ms != d.timeout_ms)
		s |= GR_OPT_TIMEOUT;
	if (o->rise != d.rise)
		s |= GR_OPT_RISE;
	if (o->fall != d.fall)
		s |= GR_OPT_FALL;
	if (o->eject_ms != d.eject_ms)
		s |= GR_OPT_EJECT_TIME;
	if (o->max_eject_ms != d.max_eject_ms)
		s |= GR_OPT_MAX_EJECT_TIME;
	if (o->half_open_flows != d.half_open_flows)
		s |= GR_OPT_HALF_OPEN_FLOWS;
	if (o->panic_pct != d.panic_pct)
		s |= GR_OPT_PANIC;
	if (o->max_eject_pct != d.max_eject_pct)
		s |= GR_OPT_MAX_EJECT;
	if (o->check_via != d.check_via)
		s |= GR_OPT_CHECK_VIA;
	if (!expect_is_default(o))
		s |= GR_OPT_EXPECT;
	if (strcmp(o->send, d.send) != 0)
		s |= GR_OPT_SEND;
	if (strcmp(o->receive, d.receive) != 0)
		s |= GR_OPT_RECEIVE;
	if (strcmp(o->host, d.host) != 0)
		s |= GR_OPT_HOST;
	if (o->check_port != d.check_port)
		s |= GR_OPT_CHECK_PORT;
	if (o->open_flows != d.open_flows)
		s |= GR_OPT_OPEN_FLOWS;
	if (o->init_state != d.init_state)
		s |= GR_OPT_INIT_STATE;
	if (o->fail_ratio != d.fail_ratio)
		s |= GR_OPT_FAIL_RATIO;
	if (o->fail_window != d.fail_window)
		s |= GR_OPT_FAIL_WINDOW;
	if (o->fail_min != d.fail_min)
		s |= GR_OPT_FAIL_MIN;
	if (o->syn_burst != d.syn_burst)
		s |= GR_OPT_SYN_BURST;
	return s;
}

int config_print_vip(const struct config *c, size_t i, int (*emit)(void *arg, const char *line),
		     void *arg)
{
	const struct cfg_vip *v = &c->vip[i];
	struct gr_cmd cmd;
	size_t j;
	int ret;

	memset(&cmd, 0, sizeof(cmd));
	cmd.obj = GR_OBJ_VIP;
	cmd.verb = GR_VERB_ADD;
	cmd.args = GR_ARG_VIP;
	cmd.vip = v->key;
	cmd.opt = v->opt;
	cmd.opt.set = non_default(&v->opt);
	ret = grammar_emit(&cmd, emit, arg);
	if (ret)
		return ret;
	for (j = 0; j < v->nbe; j++) {
		const struct cfg_backend *b = &v->be[j];

		memset(&cmd, 0, sizeof(cmd));
		cmd.obj = GR_OBJ_BACKEND;
		cmd.verb = GR_VERB_ADD;
		cmd.args = GR_ARG_VIP | GR_ARG_ADDR;
		cmd.vip = v->key;
		cmd.addr = b->addr;
		cmd.opt.weight = b->weight;
		cmd.opt.port = b->port;
		memcpy(cmd.opt.mac, b->mac, sizeof(cmd.opt.mac));
		if (b->weight != CFG_DEF_WEIGHT)
			cmd.opt.set |= GR_OPT_WEIGHT;
		if (b->port)
			cmd.opt.set |= GR_OPT_PORT;
		if (b->has_mac)
			cmd.opt.set |= GR_OPT_MAC;
		cmd.opt.check = b->check;
		cmd.opt.check_port = b->check_port;
		if (b->has_check)
			cmd.opt.set |= GR_OPT_CHECK;
		if (b->check_port)
			cmd.opt.set |= GR_OPT_CHECK_PORT;
		ret = grammar_emit(&cmd, emit, arg);
		if (ret)
			return ret;
	}
	for (j = 0; j < v->nbe; j++) {
		if (!v->be[j].draining)
			continue;
		memset(&cmd, 0, sizeof(cmd));
		cmd.obj = GR_OBJ_BACKEND;
		cmd.verb = GR_VERB_DRAIN;
		cmd.args = GR_ARG_VIP | GR_ARG_ADDR;
		cmd.vip = v->key;
		cmd.addr = v->be[j].addr;
		ret = grammar_emit(&cmd, emit, arg);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t config_vip_digest(const struct config *c, size_t i)
{
	const struct cfg_vip *v = &c->vip[i];
	uint64_t h = DIGEST_INIT ^ v->nbe;
	struct cfg_backend b;
	size_t j;

	/* whole structs: a field added later is in the digest without a word
	 * here (a padding byte that differs costs a reprint, nothing else) */
	h = digest_mix(h, &v->key, sizeof(v->key));
	h = digest_mix(h, &v->opt, sizeof(v->opt));
	for (j = 0; j < v->nbe; j++) {
		memcpy(&b, &v->be[j], sizeof(b));
		b.slot = 0; /* runtime, never printed */
		h = digest_mix(h, &b, sizeof(b));
	}
	return h;
}

int config_print(const struct config *c, int (*emit)(void *arg, const char *line), void *arg)
{
	size_t i;
	int ret;

	for (i = 0; i < c->nvip; i++) {
		ret = config_print_vip(c, i, emit, arg);
		if (ret)
			return ret;
	}
	return policy_print(&c->pol, emit, arg);
}

/* Parse and apply one line; argc 0 (blank, comment) is a no-op. */
static int load_line(struct config *c, char *line, char *err, size_t errlen)
{
	char *argv[GR_MAX_WORDS];
	struct gr_cmd cmd;
	int argc, ret;

	ret = grammar_split(line, argv, GR_MAX_WORDS, &argc, err, errlen);
	if (ret || !argc)
		return ret;
	ret = grammar_parse(argc, argv, &cmd, err, errlen);
	if (ret)
		return ret;
	return config_apply(c, &cmd, err, errlen);
}

/* Builds into a scratch config and replaces @c only when every line applied,
 * so on error @c is left as it was (a stronger form of "reset first").
 */
int config_load_text(struct config *c, const char *text, char *err, size_t errlen)
{
	char msg[ERRTMP] = "";
	struct config tmp;
	char *buf, *line, *next;
	unsigned int n = 0;
	int ret = 0;

	buf = strdup(text);
	if (!buf)
		return errmsg(-ENOMEM, err, errlen, "out of memory");
	config_init(&tmp);
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		ret = load_line(&tmp, line, msg, sizeof(msg));
		if (ret) {
			errmsg(ret, err, errlen, "line %u: %s", n, msg);
			goto out_free;
		}
	}
	config_free(c);
	*c = tmp;
	free(buf);
	return 0;

out_free:
	config_free(&tmp);
	free(buf);
	return ret;
}
