// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: active checks (health.c) feeding each checked VIP's breaker
 * policy (breaker.c). Health target ids index s->t, which maps them back to a
 * VIP and a backend; VIPs are allocated one by one so breaker callbacks can
 * keep a pointer to theirs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent/health/breaker.h"
#include "agent/health/health.h"
#include "agent/health/supervise.h"
#include <netinet/in.h>
#include <time.h>
#include "common/fsutil.h"
#include "common/log.h"
#include "common/parse.h"

struct sv_vip {
	struct supervise *s;
	struct xlb_vip_key key;
	struct gr_opts opt; /* the check options this was built from */
	uint32_t n;
	struct xlb_addr *addr;
	uint16_t *port; /* checked port, host order */
	uint64_t *tid;	/* health target ids (UINT64_MAX: none) */
	uint8_t *kind;	/* enum gr_check of each backend (override or the VIP's) */
	uint64_t *syn;	/* SYN retransmissions seen at the last tick (passive signal) */
	bool *syn_primed;
	struct breaker *be;
	struct breaker_vip bv;
};

struct sv_target {
	struct sv_vip *vip; /* NULL: free */
	uint32_t be;
};

struct sv_saved {
	struct xlb_vip_key key;
	struct xlb_addr addr;
	int state; /* enum breaker_health_state */
};

struct supervise {
	struct health *h;
	struct supervise_event ev[SUPERVISE_EVENTS];
	uint64_t ev_seq; /* events ever recorded; ev[(seq - 1) % N] is the last */
	struct supervise_counts counts;
	supervise_pasv_fn pasv;
	void *pasv_arg;
	char note[64];		/* appended to the reason of events recorded meanwhile */
	char *persist;		/* health state file, or NULL */
	struct sv_saved *saved; /* what it held at start */
	size_t nsaved;
	bool save_needed;
	struct sv_vip **vip;
	size_t nvip;
	struct sv_target *t;
	size_t nt;
	uint64_t now_ms;
	bool dirty;
	bool recalc;	      /* breaker deadlines may have moved */
	uint64_t deadline_ms; /* earliest breaker deadline, UINT64_MAX for none */
	void (*changed)(void *arg);
	void *arg;
	uint16_t gue_port; /* lbd --gue-port, for check-via vip; 0 = XLB_GUE_PORT_DEFAULT */
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Keep the event for `lbctl events` and count it for the metrics */
static void record(struct sv_vip *v, const struct breaker_event *ev, const char *vs, const char *as)
{
	struct supervise *s = v->s;
	struct supervise_event *e = &s->ev[s->ev_seq % SUPERVISE_EVENTS];

	memset(e, 0, sizeof(*e));
	e->seq = ++s->ev_seq;
	e->time_ms = wall_ms();
	e->kind = ev->kind;
	e->old_state = ev->old_state;
	e->new_state = ev->new_state;
	e->ejections = ev->ejections;
	e->open_ms = ev->kind == BREAKER_EV_STATE && ev->new_state == BREAKER_OPEN ?
			     ev->open_until_ms - ev->time_ms :
			     0;
	snprintf(e->vip, sizeof(e->vip), "%s", vs);
	snprintf(e->backend, sizeof(e->backend), "%s", ev->kind == BREAKER_EV_PANIC ? "-" : as);
	snprintf(e->reason, sizeof(e->reason), "%s%s%s", ev->reason, s->note[0] ? "; " : "",
		 s->note);
	switch (ev->kind) {
	case BREAKER_EV_STATE:
		if (ev->new_state >= 0 && ev->new_state < __BREAKER_STATE_MAX)
			s->counts.breaker[ev->new_state]++;
		break;
	case BREAKER_EV_HEALTH:
		if (ev->new_state >= 0 && ev->new_state < __BREAKER_HEALTH_MAX)
			s->counts.health[ev->new_state]++;
		break;
	case BREAKER_EV_REFUSED:
		s->counts.refused++;
		break;
	default:
		s->counts.panic += ev->new_state ? 1 : 0;
		break;
	}
}

static void on_event(void *arg, const struct breaker_event *ev)
{
	struct sv_vip *v = arg;
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN] = "-";
	const char *why;

	format_vip(&v->key, vs, sizeof(vs));
	if (ev->backend < v->n)
		format_addr(&v->addr[ev->backend], as, sizeof(as));
	record(v, ev, vs, as);
	v->s->recalc = true;
	why = v->s->ev[(v->s->ev_seq - 1) % SUPERVISE_EVENTS].reason; /* with any note */
	switch (ev->kind) {
	case BREAKER_EV_HEALTH:
		pr_info("health: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_health_name(ev->old_state), breaker_health_name(ev->new_state),
			why);
		break;
	case BREAKER_EV_STATE:
		pr_info("breaker: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_state_name(ev->old_state), breaker_state_name(ev->new_state), why);
		break;
	case BREAKER_EV_REFUSED:
		pr_warn("breaker: vip %s backend %s: ejection refused (%s)", vs, as, why);
		break;
	default:
		if (ev->new_state)
			pr_warn("breaker: vip %s: panic, using every backend (%s)", vs, why);
		else
			pr_info("breaker: vip %s: panic over", vs);
		break;
	}
	v->s->dirty = true;
	if (ev->kind == BREAKER_EV_HEALTH)
		v->s->save_needed = true;
}

/* Health states of every checked backend, through the durable writer (0600) */
static void save_health(struct supervise *s)
{
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];
	char *buf = NULL;
	size_t i, len = 0;
	uint32_t j;
	FILE *f;
	int err;

	s->save_needed = false;
	if (!s->persist)
		return;
	f = open_memstream(&buf, &len);
	if (!f) {
		pr_warn("health: %s: cannot save: %s", s->persist, strerror(errno));
		return;
	}
	fprintf(f, "# xlb health states, written by lbd on every change\n");
	for (i = 0; i < s->nvip; i++) {
		const struct sv_vip *v = s->vip[i];

		format_vip(&v->key, vs, sizeof(vs));
		for (j = 0; j < v->n; j++) {
			if (v->be[j].health.state == BREAKER_HEALTH_UNKNOWN)
				continue;
			format_addr(&v->addr[j], as, sizeof(as));
			fprintf(f, "%s %s %s\n", vs, as,
				breaker_health_name(v->be[j].health.state));
		}
	}
	err = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err)
		err = write_durable(s->persist, buf, len, 0600);
	if (err)
		pr_warn("health: %s: cannot save: %s", s->persist, strerror(-err));
	free(buf);
}

int supervise_persist(struct supervise *s, const char *path)
{
	char line[512], *vs, *as, *st, err[128];
	struct sv_saved r, *grown;
	struct stat sb;
	FILE *f;
	int fd;

	free(s->persist);
	s->persist = strdup(path);
	if (!s->persist)
		return -ENOMEM;
	/* never wait on a FIFO; only a regular file holds saved states */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL;

		vs = strtok_r(line, " \t\n", &save);
		as = strtok_r(NULL, " \t\n", &save);
		st = strtok_r(NULL, " \t\n", &save);
		if (!vs || *vs == '#' || !as || !st)
			continue;
		memset(&r, 0, sizeof(r));
		if (parse_vip(vs, &r.key, err, sizeof(err)) ||
		    parse_addr(as, &r.addr, err, sizeof(err)))
			continue; /* a stale or foreign line: the checks will tell */
		r.state = !strcmp(st, "up")   ? BREAKER_HEALTH_UP :
			  !strcmp(st, "down") ? BREAKER_HEALTH_DOWN :
						BREAKER_HEALTH_UNKNOWN;
		grown = realloc(s->saved, (s->nsaved + 1) * sizeof(*grown));
		if (!grown)
			break;
		s->saved = grown;
		s->saved[s->nsaved++] = r;
	}
	fclose(f);
	return 0;
}

static int saved_state(const struct supervise *s, const struct xlb_vip_key *k,
		       const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; i < s->nsaved; i++)
		if (!memcmp(&s->saved[i].key, k, sizeof(*k)) &&
		    !memcmp(&s->saved[i].addr, a, sizeof(*a)))
			return s->saved[i].state;
	return BREAKER_HEALTH_UNKNOWN;
}

/* A probe starts: it carries its backend's circuit generation (as of now) */
static uint64_t on_start(void *arg, uint64_t id)
{
	const struct supervise *s = arg;
	const struct sv_target *t;

	if (id >= s->nt || !s->t[id].vip)
		return 0;
	t = &s->t[id];
	return t->vip->be[t->be].gen;
}

static void on_result(void *arg, uint64_t id, uint64_t tag, bool ok, uint32_t latency_us,
		      const char *reason)
{
	struct supervise *s = arg;
	const struct breaker *b;
	struct sv_target *t;

	(void)latency_us;
	(void)reason;
	if (id >= s->nt || !s->t[id].vip)
		return;
	t = &s->t[id];
	b = &t->vip->be[t->be];
	if (tag != b->gen) {
		char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];

		format_vip(&t->vip->key, vs, sizeof(vs));
		format_addr(&t->vip->addr[t->be], as, sizeof(as));
		pr_debug("breaker: vip %s backend %s: check sent in generation %llu, now %u: "
			 "for the health only",
			 vs, as, (unsigned long long)tag, b->gen);
	}
	/* health takes every result; the circuit only one sent in its current
	 * generation (a probe sent while open that ends after half-open began
	 * says nothing of the trial) */
	breaker_vip_probe(&t->vip->bv, t->be, (uint32_t)tag, ok, s->now_ms);
	/* changing state (a run toward up or down under way, or on trial in
	 * half-open): probe at the fast interval until it settles */
	health_set_fast(s->h, id,
			b->state == BREAKER_HALF_OPEN ||
				(b->health.ok_run && b->health.state != BREAKER_HEALTH_UP) ||
				(b->health.bad_run && b->health.state != BREAKER_HEALTH_DOWN));
}

struct supervise *supervise_new(void (*changed)(void *arg), void *arg)
{
	struct supervise *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->h = health_new(on_result, s);
	if (!s->h) {
		free(s);
		return NULL;
	}
	health_set_start_fn(s->h, on_start);
	/* nodes must not probe in lockstep */
	health_set_seed(s->h, ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s);
	s->changed = changed;
	s->arg = arg;
	return s;
}

static void vip_free(struct supervise *s, struct sv_vip *v)
{
	uint32_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->tid[i] == UINT64_MAX)
			continue;
		health_del(s->h, v->tid[i]);
		s->t[v->tid[i]].vip = NULL;
	}
	free(v->addr);
	free(v->port);
	free(v->tid);
	free(v->kind);
	free(v->syn);
	free(v->syn_primed);
	free(v->be);
	free(v);
}

void supervise_free(struct supervise *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nvip; i++)
		vip_free(s, s->vip[i]);
	free(s->vip);
	free(s->t);
	free(s->saved);
	free(s->persist);
	health_free(s->h);
	free(s);
}

/* The UDP port GUE goes to (lbd --gue-port, which xlb_config.gue_port
 * carries to the dataplane), so `check-via vip` with encap gue reaches the
 * backends' decap as traffic does. Applies to checks started from now on.
 */
void supervise_set_gue_port(struct supervise *s, uint16_t port)
{
	s->gue_port = port;
}

int supervise_fd(const struct supervise *s)
{
	return health_fd(s->h);
}

static void notify(struct supervise *s)
{
	if (s->save_needed)
		save_health(s);
	if (s->dirty && s->changed) {
		s->dirty = false;
		s->changed(s->arg);
	}
}

void supervise_dispatch(struct supervise *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	health_dispatch(s->h, now_ms);
	notify(s);
}

void supervise_tick(struct supervise *s, uint64_t now_ms)
{
	size_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nvip; i++)
		breaker_vip_tick(&s->vip[i]->bv, now_ms);
	s->recalc = true;
	notify(s);
}

uint64_t supervise_next_ms(struct supervise *s)
{
	uint64_t d;
	size_t i;

	if (s->recalc) {
		s->deadline_ms = UINT64_MAX;
		for (i = 0; i < s->nvip; i++) {
			d = breaker_vip_deadline(&s->vip[i]->bv);
			if (d < s->deadline_ms)
				s->deadline_ms = d;
		}
		s->recalc = false;
	}
	return s->deadline_ms;
}

static struct sv_vip *find_vip(const struct supervise *s, const struct xlb_vip_key *k)
{
	size_t i;

	for (i = 0; i < s->nvip; i++)
		if (!memcmp(&s->vip[i]->key, k, sizeof(*k)))
			return s->vip[i];
	return NULL;
}

static int find_be(const struct sv_vip *v, const struct xlb_addr *a)
{
	uint32_t i;

	for (i = 0; v && i < v->n; i++)
		if (!memcmp(&v->addr[i], a, sizeof(*a)))
			return (int)i;
	return -1;
}

/* The defaults of record (config.h) are the breaker's own */
_Static_assert(CFG_DEF_EJECT_MS == BREAKER_DEF_EJECT_BASE_MS, "eject-time default");
_Static_assert(GR_FAIL_WINDOW_MAX == BREAKER_WINDOW_MAX, "fail-window bound");
_Static_assert(CFG_DEF_MAX_EJECT_MS == BREAKER_DEF_EJECT_MAX_MS, "max-eject-time default");
_Static_assert(CFG_DEF_HALF_OPEN_FLOWS == BREAKER_DEF_HALF_OPEN_FLOWS, "half-open-flows default");
_Static_assert(CFG_DEF_PANIC_PCT == BREAKER_DEF_PANIC_PCT, "panic default");
_Static_assert(CFG_DEF_MAX_EJECT_PCT == BREAKER_DEF_MAX_EJECT_PCT, "max-eject default");
_Static_assert(GR_EXPECT_MAX <= HEALTH_EXPECT_MAX, "expect ranges");
_Static_assert(GR_PAYLOAD_MAX <= HEALTH_PAYLOAD_MAX, "udp payload");

/* Anything that changes a probe or a breaker: a difference rebuilds the VIP */
static bool same_check(const struct gr_opts *a, const struct gr_opts *b)
{
	return a->check == b->check && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise && a->fall == b->fall &&
	       !strcmp(a->path, b->path) && a->eject_ms == b->eject_ms &&
	       a->max_eject_ms == b->max_eject_ms && a->half_open_flows == b->half_open_flows &&
	       a->panic_pct == b->panic_pct && a->max_eject_pct == b->max_eject_pct &&
	       a->check_via == b->check_via && a->nexpect == b->nexpect &&
	       !memcmp(a->expect, b->expect, sizeof(a->expect)) && !strcmp(a->send, b->send) &&
	       !strcmp(a->receive, b->receive) && !strcmp(a->host, b->host) &&
	       a->check_port == b->check_port && a->init_state == b->init_state &&
	       a->fail_ratio == b->fail_ratio && a->fail_window == b->fail_window &&
	       a->fail_min == b->fail_min && (a->check_via != GR_VIA_VIP || a->encap == b->encap);
}

/* The check a backend gets: its own override, else the VIP's */
static uint8_t be_check(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	return cb->has_check ? cb->check : cv->opt.check;
}

/* Whether the VIP has anything to check (its own check or a backend's) */
static bool vip_checked(const struct cfg_vip *cv)
{
	size_t i;

	if (cv->opt.check != GR_CHECK_NONE)
		return true;
	for (i = 0; i < cv->nbe; i++)
		if (be_check(cv, &cv->be[i]) != GR_CHECK_NONE)
			return true;
	return false;
}

static uint64_t target_alloc(struct supervise *s, struct sv_vip *v, uint32_t be)
{
	struct sv_target *nt;
	size_t i;

	for (i = 0; i < s->nt; i++)
		if (!s->t[i].vip)
			goto found;
	nt = realloc(s->t, (s->nt + 16) * sizeof(*nt));
	if (!nt)
		return UINT64_MAX;
	memset(nt + s->nt, 0, 16 * sizeof(*nt));
	s->t = nt;
	i = s->nt;
	s->nt += 16;
found:
	s->t[i].vip = v;
	s->t[i].be = be;
	return i;
}

/* Whether @cb's check goes through the VIP (`check tcp check-via vip`; config.c
 * allows check-via vip only with tcp checks, encap ipip/gue and one family)
 */
static bool via_vip(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	return cv->opt.check_via == GR_VIA_VIP && be_check(cv, cb) == GR_CHECK_TCP;
}

/* The port a backend's check goes to: its check-port, the VIP's, else the
 * traffic port. Through the VIP that is the VIP's port (the dataplane keeps
 * ports), the backend's only for a port-0 VIP. 0: nothing to check.
 */
static uint16_t check_port(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	uint16_t vport = ntohs(cv->key.port);

	if (cb->check_port || cv->opt.check_port)
		return cb->check_port ? cb->check_port : cv->opt.check_port;
	if (via_vip(cv, cb))
		return vport ? vport : cb->port;
	return cb->port ? cb->port : vport;
}

static void target_of(const struct supervise *s, const struct cfg_vip *cv,
		      const struct cfg_backend *cb, uint16_t port, struct health_target *t)
{
	uint8_t kind = be_check(cv, cb);

	memset(t, 0, sizeof(*t));
	t->kind = kind == GR_CHECK_TCP	? HEALTH_TCP :
		  kind == GR_CHECK_HTTP ? HEALTH_HTTP :
					  HEALTH_UDP;
	if (via_vip(cv, cb)) {
		/* a SYN to VIP:port, encapsulated to the backend as traffic is */
		t->kind = HEALTH_TCP_VIP;
		t->vip.family = cv->key.family;
		memcpy(t->vip.addr, cv->key.addr, sizeof(t->vip.addr));
		t->encap = cv->opt.encap;
		t->gue_port = s->gue_port;
	}
	t->addr = cb->addr;
	t->port = port;
	t->interval_ms = cv->opt.interval_ms;
	t->timeout_ms = cv->opt.timeout_ms;
	/* while a backend is changing state, check it four times as often */
	t->fast_interval_ms = cv->opt.interval_ms / 4 ?: 1;
	if (t->kind == HEALTH_HTTP) {
		unsigned int i;

		snprintf(t->path, sizeof(t->path), "%s", cv->opt.path);
		snprintf(t->host, sizeof(t->host), "%s", cv->opt.host);
		for (i = 0; i < cv->opt.nexpect && i < HEALTH_EXPECT_MAX; i++) {
			t->expect[i].lo = cv->opt.expect[i].lo;
			t->expect[i].hi = cv->opt.expect[i].hi;
		}
		t->nr_expect = i;
	}
	if (t->kind == HEALTH_UDP) {
		const char *send = cv->opt.send[0] ? cv->opt.send : CFG_DEF_UDP_PAYLOAD;
		size_t n = strnlen(send, GR_PAYLOAD_MAX);

		memcpy(t->send, send, n);
		t->send_len = (uint16_t)n;
		n = strnlen(cv->opt.receive, GR_PAYLOAD_MAX);
		memcpy(t->recv, cv->opt.receive, n); /* n 0: any reply */
		t->recv_len = (uint16_t)n;
		t->recv_prefix = true;
	}
}

/* Build the supervision of one checked VIP, carrying over what @old knew */
static struct sv_vip *vip_build(struct supervise *s, const struct cfg_vip *cv, struct sv_vip *old,
				uint64_t now_ms)
{
	struct sv_vip *v = calloc(1, sizeof(*v));
	struct breaker_vip_cfg vcfg;
	struct breaker_cfg bcfg;
	struct health_target t;
	bool keep = old && same_check(&old->opt, &cv->opt);
	uint32_t i, n = cv->nbe;
	int j;

	if (!v)
		return NULL;
	v->s = s;
	v->key = cv->key;
	v->opt = cv->opt;
	v->n = n;
	v->addr = calloc(n + 1, sizeof(*v->addr));
	v->port = calloc(n + 1, sizeof(*v->port));
	v->tid = calloc(n + 1, sizeof(*v->tid));
	v->kind = calloc(n + 1, sizeof(*v->kind));
	v->syn = calloc(n + 1, sizeof(*v->syn));
	v->syn_primed = calloc(n + 1, sizeof(*v->syn_primed));
	v->be = calloc(n + 1, sizeof(*v->be));
	if (!v->addr || !v->port || !v->tid || !v->kind || !v->syn || !v->syn_primed || !v->be)
		goto err;
	breaker_cfg_default(&bcfg);
	bcfg.rise = cv->opt.rise;
	bcfg.fall = cv->opt.fall;
	bcfg.ratio_pct = cv->opt.fail_ratio;
	bcfg.window = cv->opt.fail_window;
	bcfg.min_count = cv->opt.fail_min;
	/* init-state down (default): no traffic before a first success */
	bcfg.usable_before_first_check = cv->opt.init_state == GR_INIT_UP;
	bcfg.eject_base_ms = cv->opt.eject_ms;
	bcfg.eject_max_ms = cv->opt.max_eject_ms;
	bcfg.half_open_flows = cv->opt.half_open_flows;
	breaker_vip_cfg_default(&vcfg);
	vcfg.panic_pct = cv->opt.panic_pct;
	vcfg.max_eject_pct = cv->opt.max_eject_pct;
	if (breaker_cfg_check(&bcfg) || breaker_vip_cfg_check(&vcfg))
		goto err; /* config.c checked them: cannot happen */

	for (i = 0; i < n; i++) {
		const struct cfg_backend *cb = &cv->be[i];

		v->addr[i] = cb->addr;
		v->port[i] = check_port(cv, cb);
		v->tid[i] = UINT64_MAX;
		j = old ? find_be(old, &cb->addr) : -1;
		if (j >= 0) { /* the passive signal's baseline carries over */
			v->syn[i] = old->syn[j];
			v->syn_primed[i] = old->syn_primed[j];
		}
		j = keep ? find_be(old, &cb->addr) : -1;
		if (j >= 0 && old->port[j] == v->port[i] && old->kind[j] == be_check(cv, cb)) {
			v->be[i] = old->be[j]; /* keep what the checks learnt */
			v->be[i].id = i;
			v->kind[i] = old->kind[j];
			v->tid[i] = old->tid[j]; /* and the running check */
			old->tid[j] = UINT64_MAX;
			if (v->tid[i] != UINT64_MAX) {
				s->t[v->tid[i]].vip = v;
				s->t[v->tid[i]].be = i;
			}
			continue;
		}
		breaker_init(&v->be[i], &bcfg, i, now_ms);
		/* what is known already, until the new checks say otherwise: the same
		 * backend under changed check settings, or what a previous lbd saved.
		 * Never unknown again, which would take it out of the tables. */
		j = old ? find_be(old, &cb->addr) : -1;
		v->be[i].health.state = j >= 0 ? (int)old->be[j].health.state :
						 saved_state(s, &cv->key, &cb->addr);
		v->kind[i] = be_check(cv, cb);
		if (v->kind[i] == GR_CHECK_NONE) {
			/* exempt from checks (`backend ... check none`): always up */
			v->be[i].health.state = BREAKER_HEALTH_UP;
			continue;
		}
		if (!v->port[i])
			continue; /* port-0 VIP without a backend port: nothing to check */
		target_of(s, cv, cb, v->port[i], &t);
		v->tid[i] = target_alloc(s, v, i);
		if (v->tid[i] == UINT64_MAX || health_add(s->h, v->tid[i], &t)) {
			if (v->tid[i] != UINT64_MAX)
				s->t[v->tid[i]].vip = NULL;
			v->tid[i] = UINT64_MAX;
			goto err;
		}
	}
	if (breaker_vip_init(&v->bv, &vcfg, v->be, n, on_event, v))
		goto err;
	return v;
err:
	vip_free(s, v);
	return NULL;
}

int supervise_sync(struct supervise *s, const struct config *cfg, uint64_t now_ms)
{
	struct sv_vip **nv, *old;
	size_t i, n = 0;

	nv = calloc(cfg->nvip + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < cfg->nvip; i++) {
		const struct cfg_vip *cv = &cfg->vip[i];

		if (!vip_checked(cv))
			continue;
		old = find_vip(s, &cv->key);
		nv[n] = vip_build(s, cv, old, now_ms);
		if (!nv[n]) {
			while (n)
				vip_free(s, nv[--n]);
			free(nv);
			return -ENOMEM;
		}
		n++;
	}
	for (i = 0; i < s->nvip; i++)
		vip_free(s, s->vip[i]); /* checks not carried over stop here */
	free(s->vip);
	s->vip = nv;
	s->nvip = n;
	s->now_ms = now_ms;
	s->recalc = true;
	return 0;
}

static const struct sv_vip *lookup(const struct supervise *s, const struct cfg_vip *cv,
				   const struct cfg_backend *cb, int *idx)
{
	const struct sv_vip *v = s ? find_vip(s, &cv->key) : NULL;

	*idx = find_be(v, &cb->addr);
	return *idx >= 0 ? v : NULL;
}

/* A backend open for the second time in a row has been out for at least
 * eject-time x 2: long enough to rebuild the table without it. A first
 * ejection is the dataplane map's alone, so a flap does not move the table. */
#define SV_TABLE_EJECTIONS 2

bool supervise_usable(const struct supervise *s, const struct cfg_vip *v,
		      const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	const struct breaker *be;

	if (!sv)
		return true;
	be = &sv->be[i];
	if (breaker_vip_panic(&sv->bv))
		return breaker_vip_usable(&sv->bv, i);
	if (!breaker_health_usable(&be->health))
		return false; /* the checks say down (or never said up) */
	return !(be->state == BREAKER_OPEN && be->ejections >= SV_TABLE_EJECTIONS);
}

int supervise_dp_state(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, struct xlb_be_brk *out, uint32_t *gen)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	enum breaker_state st;

	memset(out, 0, sizeof(*out));
	*gen = 0;
	if (!sv)
		return XLB_BRK_CLOSED;
	st = breaker_vip_dp_state(&sv->bv, (uint32_t)i);
	out->state = st == BREAKER_OPEN	     ? XLB_BRK_OPEN :
		     st == BREAKER_HALF_OPEN ? XLB_BRK_HALF_OPEN :
					       XLB_BRK_CLOSED;
	if (out->state == XLB_BRK_HALF_OPEN)
		out->budget = (int32_t)sv->be[i].budget;
	/* a new generation is a new half-open period: a fresh budget */
	*gen = sv->be[i].gen;
	return (int)out->state;
}

void supervise_set_pasv(struct supervise *s, supervise_pasv_fn fn, void *arg)
{
	s->pasv = fn;
	s->pasv_arg = arg;
}

/* The passive signal: a burst of SYN retransmissions (clients whose SYN got
 * no answer) in one tick counts as `fall` failures of the circuit, so it
 * trips even while active checks (which may take another path) succeed. */
static void passive_tick(struct supervise *s, struct sv_vip *v, const struct config *cfg,
			 uint64_t now_ms)
{
	const struct cfg_vip *cv = cfg ? config_vip(cfg, &v->key) : NULL;
	struct xlb_be_pasv pv;
	uint32_t i, k, burst;
	uint64_t delta;

	if (!cv || !s->pasv || !cv->opt.syn_burst || cv->key.proto != IPPROTO_TCP)
		return;
	burst = cv->opt.syn_burst;
	for (i = 0; i < v->n; i++) {
		const struct cfg_backend *cb = config_backend(cv, &v->addr[i]);

		if (!cb || s->pasv(s->pasv_arg, cv, cb, &pv))
			continue;
		delta = v->syn_primed[i] && pv.syn_retx >= v->syn[i] ? pv.syn_retx - v->syn[i] : 0;
		v->syn[i] = pv.syn_retx;
		v->syn_primed[i] = true;
		if (delta < burst)
			continue;
		s->counts.syn_bursts++;
		snprintf(s->note, sizeof(s->note), "passive: %llu SYN retransmissions in 1s",
			 (unsigned long long)delta);
		for (k = 0; k < v->be[i].cfg.fall; k++) {
			uint32_t gen = v->be[i].gen;

			if (breaker_vip_result(&v->bv, i, gen, false, now_ms) > 0 ||
			    v->be[i].state == BREAKER_OPEN)
				break;
		}
		s->note[0] = '\0';
	}
}

void supervise_passive(struct supervise *s, const struct config *cfg, uint64_t now_ms)
{
	size_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nvip; i++)
		passive_tick(s, s->vip[i], cfg, now_ms);
	notify(s);
}

int supervise_events(const struct supervise *s, uint64_t since,
		     int (*cb)(void *arg, const struct supervise_event *e), void *arg)
{
	uint64_t first = s->ev_seq > SUPERVISE_EVENTS ? s->ev_seq - SUPERVISE_EVENTS + 1 : 1;
	uint64_t q;
	int ret;

	if (since + 1 > first)
		first = since + 1;
	for (q = first; q <= s->ev_seq; q++) {
		ret = cb(arg, &s->ev[(q - 1) % SUPERVISE_EVENTS]);
		if (ret)
			return ret;
	}
	return 0;
}

const struct supervise_counts *supervise_counts(const struct supervise *s)
{
	return &s->counts;
}

bool supervise_breaker_info(const struct supervise *s, const struct cfg_vip *v,
			    const struct cfg_backend *b, uint32_t *ejections,
			    uint64_t *open_left_ms)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	bool open = sv && sv->be[i].state == BREAKER_OPEN;

	*ejections = sv ? sv->be[i].ejections : 0;
	*open_left_ms = open && sv->be[i].open_until_ms > s->now_ms ?
				sv->be[i].open_until_ms - s->now_ms :
				0;
	return open;
}

const char *supervise_health(const struct supervise *s, const struct cfg_vip *v,
			     const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	return sv ? breaker_health_name(sv->be[i].health.state) : "up";
}

const char *supervise_breaker(const struct supervise *s, const struct cfg_vip *v,
			      const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	return sv ? breaker_state_name(sv->be[i].state) : "closed";
}

bool supervise_panic(const struct supervise *s, const struct cfg_vip *v)
{
	const struct sv_vip *sv = s ? find_vip(s, &v->key) : NULL;

	return sv && breaker_vip_panic(&sv->bv);
}

int supervise_check_hist(const struct supervise *s, const struct cfg_vip *v,
			 const struct cfg_backend *b, struct health_hist *out)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	if (!sv || sv->tid[i] == UINT64_MAX)
		return -ENOENT;
	return health_hist(s->h, sv->tid[i], out);
}

void supervise_latency(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, uint32_t *last_us, uint32_t *avg_us)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	*last_us = *avg_us = 0;
	if (sv && sv->tid[i] != UINT64_MAX)
		health_stats(s->h, sv->tid[i], last_us, avg_us);
}
