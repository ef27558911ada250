// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Prometheus exposition over a minimal HTTP/1.0 server: the writer and request
 * parser are pure; the renderer reads the counters through maps.h (the same
 * reads as `lbctl stats show`); the server mirrors ctl.c (one internal epoll,
 * bounded buffers, a client cap).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4; the Makefile sets it already */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "agent/control/agent.h"
#include <xlb/abi.h>
#include "agent/dataplane/ifstats.h"
#include "agent/control/metrics.h"
#include "agent/control/notify.h"
#include "common/sockio.h"
#include "agent/health/supervise.h"
#include "common/log.h"
#include "common/names.h"
#include "common/parse.h"

#define METRICS_EVENTS 32
/* A scrape within this long of the last render gets the same text: a tight
 * scrape loop then costs lbd a render every METRICS_CACHE_MS, not one a
 * scrape (Prometheus scrapes every few seconds; counters stay as fresh).
 * Longer when rendering is slow: at least METRICS_CACHE_COST times the last
 * render's time, so renders take at most 1/METRICS_CACHE_COST of a core
 * however often scrapes come (1,000 VIPs x 10 backends: 11 MB, ~0.1 s). */
#define METRICS_CACHE_MS 200
#define METRICS_CACHE_COST 20
#define METRICS_ACCEPT_BATCH 16
#define METRICS_BACKLOG 64
#define METRICS_TAG_LISTEN ((void *)&metrics_tag)

static const char metrics_tag;

/* A rendered body, shared by the cache and by every client still sending it
 * (an 11 MB body copied for each of 50 scrapes a second cost a tenth of a core) */
struct metrics_body {
	unsigned int refs;
	struct metrics_buf buf;
};

static void body_put(struct metrics_body *b)
{
	if (b && !--b->refs) {
		metrics_buf_free(&b->buf);
		free(b);
	}
}

struct metrics_client {
	int fd;
	uint64_t last_ms; /* accept or last progress */
	char in[METRICS_REQ_MAX];
	size_t in_len;
	char *out; /* the response's head (and an error's text) once the request is read */
	size_t out_len;
	struct metrics_body *body; /* then this, if any (a reference) */
	size_t out_off;		   /* sent of out, then of body */
};

struct metrics {
	int lfd;
	int epfd;
	uint64_t build_ns;
	bool have_build;
	unsigned int nr_clients;
	struct metrics_client *clients[METRICS_CLIENTS_MAX];
	char addr[PARSE_VIP_STRLEN]; /* as given, for messages */
	struct metrics_body *cache;  /* the last rendered body (a reference), or NULL */
	uint64_t cache_ms;	     /* when it was rendered */
	uint64_t cache_gen;	     /* agent.gen then: a change renders anew */
	uint64_t cache_ttl_ms;	     /* how long it serves (METRICS_CACHE_*) */
};

/* ---- text writer (pure) ---- */

static bool buf_reserve(struct metrics_buf *b, size_t extra)
{
	size_t cap;
	char *tmp;

	if (b->err)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	tmp = realloc(b->data, cap);
	if (!tmp) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = tmp;
	b->cap = cap;
	return true;
}

void metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void metrics_buf_free(struct metrics_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void buf_putc(struct metrics_buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* Escapes backslash and newline, and the double quote when @quote */
static void buf_escaped(struct metrics_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, '\\');
		} else if (*s == '\n') {
			buf_putc(b, '\\');
			buf_putc(b, 'n');
		} else if (*s == '"' && quote) {
			buf_putc(b, '\\');
			buf_putc(b, '"');
		} else {
			buf_putc(b, *s);
		}
	}
}

void metrics_buf_label_value(struct metrics_buf *b, const char *s)
{
	buf_escaped(b, s, true);
}

static bool name_ok(const char *s, bool label)
{
	const char *p;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	if (label && s[0] == '_' && s[1] == '_')
		return false; /* reserved for Prometheus itself */
	for (p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (c == ':' && !label)))
			return false;
	}
	return true;
}

void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help)
{
	if (!name_ok(name, false)) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	metrics_buf_printf(b, "# HELP %s ", name);
	buf_escaped(b, help, false);
	metrics_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

static void sample_head(struct metrics_buf *b, const char *name, const char *const *labels)
{
	size_t i;

	if (!name_ok(name, false)) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	metrics_buf_printf(b, "%s", name);
	if (!labels || !labels[0])
		return;
	buf_putc(b, '{');
	for (i = 0; labels[i]; i += 2) {
		if (!name_ok(labels[i], true) || !labels[i + 1]) {
			if (!b->err)
				b->err = -EINVAL;
			return;
		}
		metrics_buf_printf(b, "%s%s=\"", i ? "," : "", labels[i]);
		metrics_buf_label_value(b, labels[i + 1]);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

void metrics_sample(struct metrics_buf *b, const char *name, const char *const *labels,
		    uint64_t value)
{
	sample_head(b, name, labels);
	metrics_buf_printf(b, " %" PRIu64 "\n", value);
}

void metrics_sample_fixed(struct metrics_buf *b, const char *name, const char *const *labels,
			  uint64_t num, unsigned int decimals)
{
	uint64_t div = 1;
	unsigned int i;

	if (decimals > 19) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	for (i = 0; i < decimals; i++)
		div *= 10;
	sample_head(b, name, labels);
	if (decimals)
		metrics_buf_printf(b, " %" PRIu64 ".%0*" PRIu64 "\n", num / div, (int)decimals,
				   num % div);
	else
		metrics_buf_printf(b, " %" PRIu64 "\n", num);
}

/* ---- request parsing (pure) ---- */

int metrics_parse_request(const char *buf, size_t len)
{
	const char *eol, *sp1, *sp2, *end, *q;
	size_t i, mlen, plen;
	bool head_done = false;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
				       (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n'))) {
			head_done = true;
			break;
		}
	}
	if (!head_done)
		return 0;
	if (memchr(buf, '\0', len))
		return 400;
	eol = memchr(buf, '\n', len);
	end = eol > buf && eol[-1] == '\r' ? eol - 1 : eol;
	sp1 = memchr(buf, ' ', (size_t)(end - buf));
	if (!sp1 || sp1 == buf)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return 400;
	/* version: exactly HTTP/1.<digit> */
	if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) || sp2[8] < '0' || sp2[8] > '9')
		return 400;
	mlen = (size_t)(sp1 - buf);
	for (i = 0; i < mlen; i++)
		if (buf[i] < 'A' || buf[i] > 'Z')
			return 400;
	if (sp1[1] != '/')
		return 400;
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return 400;
	if (mlen != 3 || memcmp(buf, "GET", 3))
		return 405;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	plen = (size_t)((q ? q : sp2) - (sp1 + 1));
	if (plen != strlen("/metrics") || memcmp(sp1 + 1, "/metrics", plen))
		return 404;
	return 200;
}

/* ---- rendering ---- */

enum vip_metric {
	VM_PACKETS,
	VM_BYTES,
	VM_NEW_FLOWS,
	VM_DROPS,
	__VM_MAX
};
enum be_metric {
	BM_PACKETS,
	BM_BYTES,
	BM_NEW_FLOWS,
	BM_UP,
	BM_ACTIVE,
	BM_BREAKER,
	BM_EJECTIONS,
	BM_SYN_RETX,
	BM_BRK_REFUSED,
	BM_WEIGHT,
	BM_DRAINING,
	BM_LATENCY,
	BM_LATENCY_AVG,
	__BM_MAX
};

static const struct {
	const char *name, *type, *help;
	unsigned int decimals; /* value / 10^decimals (µs as seconds: 6) */
} vip_fam[__VM_MAX] = {
	[VM_PACKETS] = { "xlb_packets_total", "counter", "Packets received for the VIP." },
	[VM_BYTES] = { "xlb_bytes_total", "counter", "Bytes received for the VIP." },
	[VM_NEW_FLOWS] = { "xlb_new_flows_total", "counter",
			   "New flows to the VIP (backend selections)." },
	[VM_DROPS] = { "xlb_drops_total", "counter", "Packets to the VIP that were dropped." },
},
  be_fam[__BM_MAX] = {
	  [BM_PACKETS] = { "xlb_backend_packets_total", "counter",
			   "Packets forwarded to the backend." },
	  [BM_BYTES] = { "xlb_backend_bytes_total", "counter", "Bytes forwarded to the backend." },
	  [BM_NEW_FLOWS] = { "xlb_backend_new_flows_total", "counter",
			     "New flows assigned to the backend." },
	  [BM_UP] = { "xlb_backend_up", "gauge",
		      "1 if the backend is healthy (check none counts as healthy), else 0." },
	  [BM_ACTIVE] = { "xlb_backend_active_flows", "gauge",
			  "Flows started minus flows seen ending (LRU evictions not subtracted)." },
	  [BM_BREAKER] = { "xlb_backend_breaker_state", "gauge",
			   "Circuit breaker the dataplane enforces: 0 closed, 1 open, 2 half-open." },
	  [BM_EJECTIONS] = { "xlb_backend_ejections", "gauge",
			     "Consecutive ejections (the open time multiplier)." },
	  [BM_SYN_RETX] = { "xlb_backend_syn_retransmits_total", "counter",
			    "Client SYNs sent again for flows that never got past the SYN." },
	  [BM_BRK_REFUSED] = { "xlb_backend_breaker_refused_total", "counter",
			       "New flows the breaker sent to another backend." },
	  [BM_WEIGHT] = { "xlb_backend_weight", "gauge",
			  "Configured weight (share of new flows among the VIP's backends)." },
	  [BM_DRAINING] = { "xlb_backend_draining", "gauge",
			    "1 while `backend drain` is in effect (no new flows), else 0." },
	  /* no per-result hook in supervise.h yet, so no histogram: the last
	   * successful check and the moving average lbctl shows */
	  [BM_LATENCY] = { "xlb_backend_check_latency_seconds", "gauge",
			   "Latency of the last successful health check; 0 without checks.", 6 },
	  [BM_LATENCY_AVG] = { "xlb_backend_check_latency_avg_seconds", "gauge",
			       "Moving average of successful health-check latencies; 0 without "
			       "checks.",
			       6 },
  };

/* The global dataplane counters, each in exactly one family. A family's label
 * values are disjoint outcomes of one thing, so summing a family over its label
 * means something (the verdicts add up to the packets seen); counters that are
 * not outcomes of one thing get a family of their own. */
enum global_family {
	GF_PACKETS,
	GF_VERDICTS,
	GF_FORWARDED,
	GF_FLOW_LOOKUPS,
	GF_NOT_INSERTED,
	GF_FRAGMENTS,
	GF_ICMP_FWD,
	GF_TOO_BIG,
	GF_BRK_REROUTE,
	GF_BRK_HALF_OPEN,
	GF_BRK_EXHAUSTED,
	GF_SYN_RETX,
	GF_POL_ALLOW,
	GF_RL_NEW_SOURCE,
	GF_RL_NO_BUCKET,
	__GF_MAX
};

static const struct {
	const char *name, *label, *help;
} global_fam[__GF_MAX] = {
	[GF_PACKETS] = { "xlb_dataplane_packets_total", NULL,
			 "Packets xlb_xdp saw, all attached interfaces." },
	[GF_VERDICTS] = { "xlb_dataplane_verdicts_total", "verdict",
			  "Packets by XDP verdict: pass (not VIP traffic), tx, redirect, drop "
			  "(reasons in xlb_drops_by_reason_total)." },
	[GF_FORWARDED] = { "xlb_dataplane_forwarded_total", "method",
			   "Packets forwarded to backends, by delivery (ipip, gue, l2)." },
	[GF_FLOW_LOOKUPS] = { "xlb_flow_lookups_total", "result",
			      "VIP packets at the flow stage, by outcome: syn (re-selected "
			      "unread), hit, miss, reselect (backend gone), breaker_moved, "
			      "udp_expired." },
	[GF_NOT_INSERTED] = { "xlb_flows_not_inserted_total", "reason",
			      "Packets forwarded without writing the flow table: rst_fin (never "
			      "starts a flow), flood_guard, insert_failed." },
	[GF_FRAGMENTS] = { "xlb_fragments_total", "kind",
			   "IP fragments to VIPs: first (tracked), followed (sent where their "
			   "first went)." },
	[GF_ICMP_FWD] = { "xlb_icmp_errors_forwarded_total", NULL,
			  "ICMP errors quoting a VIP flow, sent to the flow's backend." },
	[GF_TOO_BIG] = { "xlb_too_big_sent_total", NULL,
			 "ICMP frag-needed / packet-too-big answers sent by xlb_xdp." },
	[GF_BRK_REROUTE] = { "xlb_breaker_reroutes_total", NULL,
			     "New flows whose choice was open or out of budget: next choice." },
	[GF_BRK_HALF_OPEN] = { "xlb_breaker_half_open_admits_total", NULL,
			       "New flows admitted to a half-open backend." },
	[GF_BRK_EXHAUSTED] = { "xlb_breaker_exhausted_total", NULL,
			       "New flows that found no admitted choice: the first was kept." },
	[GF_SYN_RETX] = { "xlb_syn_retransmits_total", NULL,
			  "SYNs sent again for flows that never got past their SYN." },
	[GF_POL_ALLOW] = { "xlb_policy_allowed_total", NULL,
			   "Packets an allow rule matched (either scope)." },
	[GF_RL_NEW_SOURCE] = { "xlb_ratelimit_buckets_created_total", NULL,
			       "Rate-limit buckets created (recycled ones included)." },
	[GF_RL_NO_BUCKET] = { "xlb_ratelimit_no_bucket_total", NULL,
			      "Packets let through because no rate-limit bucket could be made." },
};

static const struct {
	enum global_family fam;
	const char *value; /* of the family's label; NULL without one */
} global_cnt[] = {
	[XLB_CNT_RX] = { GF_PACKETS, NULL },
	[XLB_CNT_PASS] = { GF_VERDICTS, "pass" },
	[XLB_CNT_TX] = { GF_VERDICTS, "tx" },
	[XLB_CNT_REDIRECT] = { GF_VERDICTS, "redirect" },
	[XLB_CNT_DROP] = { GF_VERDICTS, "drop" },
	[XLB_CNT_FLOW_HIT] = { GF_FLOW_LOOKUPS, "hit" },
	[XLB_CNT_FLOW_MISS] = { GF_FLOW_LOOKUPS, "miss" },
	[XLB_CNT_FLOW_RESELECT] = { GF_FLOW_LOOKUPS, "reselect" },
	[XLB_CNT_UDP_EXPIRED] = { GF_FLOW_LOOKUPS, "udp_expired" },
	[XLB_CNT_SYN] = { GF_FLOW_LOOKUPS, "syn" },
	[XLB_CNT_RST_NO_FLOW] = { GF_NOT_INSERTED, "rst_fin" },
	[XLB_CNT_FLOOD_GUARD] = { GF_NOT_INSERTED, "flood_guard" },
	[XLB_CNT_FRAG_FIRST] = { GF_FRAGMENTS, "first" },
	[XLB_CNT_FRAG_HIT] = { GF_FRAGMENTS, "followed" },
	[XLB_CNT_ICMP_FWD] = { GF_ICMP_FWD, NULL },
	[XLB_CNT_TOO_BIG_SENT] = { GF_TOO_BIG, NULL },
	[XLB_CNT_ENCAP_IPIP] = { GF_FORWARDED, "ipip" },
	[XLB_CNT_ENCAP_GUE] = { GF_FORWARDED, "gue" },
	[XLB_CNT_L2_DSR] = { GF_FORWARDED, "l2" },
	[XLB_CNT_FLOW_INSERT_FAIL] = { GF_NOT_INSERTED, "insert_failed" },
	[XLB_CNT_BRK_REROUTE] = { GF_BRK_REROUTE, NULL },
	[XLB_CNT_BRK_HALF_ADMIT] = { GF_BRK_HALF_OPEN, NULL },
	[XLB_CNT_BRK_EXHAUSTED] = { GF_BRK_EXHAUSTED, NULL },
	[XLB_CNT_BRK_FLOW_MOVED] = { GF_FLOW_LOOKUPS, "breaker_moved" },
	[XLB_CNT_SYN_RETX] = { GF_SYN_RETX, NULL },
	[XLB_CNT_POL_ALLOW] = { GF_POL_ALLOW, NULL },
	[XLB_CNT_RL_NEW_SOURCE] = { GF_RL_NEW_SOURCE, NULL },
	[XLB_CNT_RL_NO_BUCKET] = { GF_RL_NO_BUCKET, NULL },
};
/* a new counter must be given a family here */
_Static_assert(sizeof(global_cnt) / sizeof(global_cnt[0]) == __XLB_CNT_MAX,
	       "metrics: a global counter has no family");

static void render_global(struct metrics_buf *b, const __u64 cnt[__XLB_CNT_MAX])
{
	unsigned int f, i;

	for (f = 0; f < __GF_MAX; f++) {
		metrics_family(b, global_fam[f].name, "counter", global_fam[f].help);
		for (i = 0; i < __XLB_CNT_MAX; i++) {
			const char *lab[] = { global_fam[f].label, global_cnt[i].value, NULL };

			if (global_cnt[i].fam != f)
				continue;
			metrics_sample(b, global_fam[f].name, global_cnt[i].value ? lab : NULL,
				       cnt[i]);
		}
	}
}

static void vip_values(struct agent *a, const struct cfg_vip *v, uint64_t x[__VM_MAX])
{
	struct xlb_vip_stats vs = {};

	if (v->vip_id < XLB_MAX_VIPS)
		maps_vip_stats_read(a->maps, v->vip_id, &vs);
	x[VM_PACKETS] = vs.packets;
	x[VM_BYTES] = vs.bytes;
	x[VM_NEW_FLOWS] = vs.new_flows;
	x[VM_DROPS] = vs.drops;
}

static void be_values(struct agent *a, const struct cfg_vip *v, const struct cfg_backend *be,
		      uint64_t x[__BM_MAX])
{
	struct xlb_be_stats bs = {};

	if (be->slot)
		maps_be_stats_read(a->maps, be->slot, &bs);
	x[BM_PACKETS] = bs.packets;
	x[BM_BYTES] = bs.bytes;
	x[BM_NEW_FLOWS] = bs.new_flows;
	x[BM_UP] = !strcmp(supervise_health(a->sv, v, be), "up");
	x[BM_ACTIVE] = 0;
	if (be->slot) {
		__u64 active = 0;
		struct xlb_be_brk dp = {};
		struct xlb_be_pasv pv = {};

		maps_be_active_get(a->maps, be->slot, &active);
		x[BM_ACTIVE] = active;
		maps_be_brk_get(a->maps, be->slot, &dp);
		x[BM_BREAKER] = dp.state;
		maps_be_pasv_read(a->maps, be->slot, &pv);
		x[BM_SYN_RETX] = pv.syn_retx;
		x[BM_BRK_REFUSED] = pv.brk_refused;
	}
	{
		uint32_t ej, last_us, avg_us;
		uint64_t left;

		supervise_breaker_info(a->sv, v, be, &ej, &left);
		x[BM_EJECTIONS] = ej;
		supervise_latency(a->sv, v, be, &last_us, &avg_us);
		x[BM_LATENCY] = last_us;
		x[BM_LATENCY_AVG] = avg_us;
	}
	x[BM_WEIGHT] = be->weight;
	x[BM_DRAINING] = be->draining;
}

/* State changes counted by supervise.c since lbd started */
static void render_changes(struct agent *a, struct metrics_buf *b)
{
	const struct supervise_counts *c = a->sv ? supervise_counts(a->sv) : NULL;
	static const char *const bname[] = { "closed", "open", "half-open" };
	static const char *const hname[] = { "unknown", "up", "down" };
	int i;

	if (!c)
		return;
	metrics_family(b, "xlb_breaker_transitions_total", "counter",
		       "Circuit breaker state changes, by the state entered.");
	for (i = 0; i < 3; i++) {
		const char *lab[] = { "to", bname[i], NULL };

		metrics_sample(b, "xlb_breaker_transitions_total", lab, c->breaker[i]);
	}
	metrics_family(b, "xlb_health_transitions_total", "counter",
		       "Health changes from active checks, by the state entered.");
	for (i = 1; i < 3; i++) {
		const char *lab[] = { "to", hname[i], NULL };

		metrics_sample(b, "xlb_health_transitions_total", lab, c->health[i]);
	}
	metrics_family(b, "xlb_breaker_ejections_refused_total", "counter",
		       "Trips refused because max-eject backends were already out.");
	metrics_sample(b, "xlb_breaker_ejections_refused_total", NULL, c->refused);
	metrics_family(b, "xlb_panic_total", "counter",
		       "Times a VIP entered panic (too few usable backends: all used).");
	metrics_sample(b, "xlb_panic_total", NULL, c->panic);
	metrics_family(b, "xlb_syn_bursts_total", "counter",
		       "Passive signal: SYN-retransmission bursts that counted as failures.");
	metrics_sample(b, "xlb_syn_bursts_total", NULL, c->syn_bursts);
}

/* One family at a time (a family's samples must be contiguous), so the maps are
 * read once per VIP and backend into @vx / @bx first. */
/* xlb_backend_check_duration_seconds: a histogram of each checked backend's check
 * durations, any result (cumulative buckets, _sum, _count) */
static void render_check_hist(struct agent *a, struct metrics_buf *b)
{
	static const char *const fam = "xlb_backend_check_duration_seconds";
	char vip[PARSE_VIP_STRLEN], addr[PARSE_ADDR_STRLEN], le[24], name[64];
	struct health_hist hh;
	bool first = true;
	size_t i, j;

	for (i = 0; a->sv && i < a->cfg.nvip; i++) {
		const struct cfg_vip *v = &a->cfg.vip[i];

		format_vip(&v->key, vip, sizeof(vip));
		for (j = 0; j < v->nbe; j++) {
			const char *lab[] = { "vip", vip, "backend", addr, "le", le, NULL };
			const char *lab2[] = { "vip", vip, "backend", addr, NULL };
			uint64_t cum = 0;
			unsigned int k;

			if (supervise_check_hist(a->sv, v, &v->be[j], &hh))
				continue; /* not checked */
			if (first) {
				metrics_family(
					b, fam, "histogram",
					"Durations of the health checks of a backend, whatever their result.");
				first = false;
			}
			format_addr(&v->be[j].addr, addr, sizeof(addr));
			snprintf(name, sizeof(name), "%s_bucket", fam);
			for (k = 0; k <= HEALTH_HIST_BUCKETS; k++) {
				cum += hh.bucket[k];
				if (k < HEALTH_HIST_BUCKETS)
					snprintf(le, sizeof(le), "%g", health_hist_le_us[k] / 1e6);
				else
					snprintf(le, sizeof(le), "+Inf");
				metrics_sample(b, name, lab, cum);
			}
			snprintf(name, sizeof(name), "%s_sum", fam);
			metrics_sample_fixed(b, name, lab2, hh.sum_us, 6);
			snprintf(name, sizeof(name), "%s_count", fam);
			metrics_sample(b, name, lab2, hh.count);
		}
	}
}

static void render_vips(struct agent *a, struct metrics_buf *b)
{
	char vip[PARSE_VIP_STRLEN], addr[PARSE_ADDR_STRLEN];
	size_t i, j, nbe = 0, n;
	uint64_t(*vx)[__VM_MAX], (*bx)[__BM_MAX];
	int k;

	for (i = 0; i < a->cfg.nvip; i++)
		nbe += a->cfg.vip[i].nbe;
	vx = calloc(a->cfg.nvip + 1, sizeof(*vx));
	bx = calloc(nbe + 1, sizeof(*bx));
	if (!vx || !bx) {
		b->err = b->err ? b->err : -ENOMEM;
		goto out_free;
	}
	for (i = 0, n = 0; i < a->cfg.nvip; i++) {
		vip_values(a, &a->cfg.vip[i], vx[i]);
		for (j = 0; j < a->cfg.vip[i].nbe; j++)
			be_values(a, &a->cfg.vip[i], &a->cfg.vip[i].be[j], bx[n++]);
	}
	for (k = 0; k < __VM_MAX; k++) {
		metrics_family(b, vip_fam[k].name, vip_fam[k].type, vip_fam[k].help);
		for (i = 0; i < a->cfg.nvip; i++) {
			const char *lab[] = { "vip", vip, NULL };

			format_vip(&a->cfg.vip[i].key, vip, sizeof(vip));
			metrics_sample(b, vip_fam[k].name, lab, vx[i][k]);
		}
	}
	for (k = 0; k < __BM_MAX; k++) {
		metrics_family(b, be_fam[k].name, be_fam[k].type, be_fam[k].help);
		for (i = 0, n = 0; i < a->cfg.nvip; i++) {
			const struct cfg_vip *v = &a->cfg.vip[i];

			format_vip(&v->key, vip, sizeof(vip));
			for (j = 0; j < v->nbe; j++) {
				const char *lab[] = { "vip", vip, "backend", addr, NULL };

				format_addr(&v->be[j].addr, addr, sizeof(addr));
				metrics_sample_fixed(b, be_fam[k].name, lab, bx[n++][k],
						     be_fam[k].decimals);
			}
		}
	}
	render_check_hist(a, b);
out_free:
	free(bx);
	free(vx);
}

static int render(struct agent *a, const struct metrics *m, struct metrics_buf *b)
{
	__u64 cnt[__XLB_CNT_MAX], drops[__XLB_DROP_MAX];
	size_t i, nbe = 0;
	int err, ifs_family = 0;
	uint64_t cap;

	err = maps_counters_read(a->maps, cnt, drops);
	if (err)
		return err;
	for (i = 0; i < a->cfg.nvip; i++)
		nbe += a->cfg.vip[i].nbe;
	metrics_family(b, "xlb_vips", "gauge", "Configured VIPs.");
	metrics_sample(b, "xlb_vips", NULL, a->cfg.nvip);
	metrics_family(b, "xlb_backends", "gauge", "Configured backends, summed over VIPs.");
	metrics_sample(b, "xlb_backends", NULL, nbe);
	render_vips(a, b);
	render_changes(a, b);

	render_global(b, cnt);
	metrics_family(b, "xlb_drops_by_reason_total", "counter", "Dropped packets by reason.");
	for (i = 1; i < __XLB_DROP_MAX; i++) { /* 0 is never a reason */
		const char *lab[] = { "reason", names_drop(i), NULL };

		metrics_sample(b, "xlb_drops_by_reason_total", lab, drops[i]);
	}
	cap = maps_flow_max(a->maps);
	if (cap) {
		metrics_family(b, "xlb_flow_table_capacity", "gauge",
			       "Maximum entries of the flow table (LRU: full is normal).");
		metrics_sample(b, "xlb_flow_table_capacity", NULL, cap);
	}
	for (int k = 0; k < a->nifaces; k++) {
		const char *lab[] = { "interface", a->ifaces[k], NULL };
		unsigned int found;
		uint64_t sum;

		if (ifstats_xdp_tx_errors(a->ifaces[k], &sum, &found) || !found)
			continue; /* a driver without such counters: no sample */
		if (!ifs_family) {
			metrics_family(b, "xlb_interface_xdp_tx_errors_total", "counter",
				       "Frames XDP sent on an attached interface that its driver "
				       "failed to transmit (ethtool statistics).");
			ifs_family = 1;
		}
		metrics_sample(b, "xlb_interface_xdp_tx_errors_total", lab, sum);
	}
	if (a->flows.passes) { /* counted in the background: absent until the first pass */
		metrics_family(b, "xlb_flow_table_entries", "gauge",
			       "Flow-table entries at the last background count.");
		metrics_sample(b, "xlb_flow_table_entries", NULL, a->flows.last);
	}
	{
		char abi[16], js[16];
		const char *lab[] = { "version",     XLB_VERSION,
				      "bpf_abi",     abi,
				      "json_schema", js,
				      "systemd",     notify_supported() ? "yes" : "no",
				      NULL };

		snprintf(abi, sizeof(abi), "%d", XLB_ABI_VERSION);
		snprintf(js, sizeof(js), "%d", XLB_JSON_SCHEMA);
		metrics_family(b, "xlb_build_info", "gauge",
			       "Always 1; the labels say which lbd this is.");
		metrics_sample(b, "xlb_build_info", lab, 1);
	}
	metrics_family(b, "xlb_log_lines_dropped_total", "counter",
		       "Log lines dropped because stderr was not read fast enough.");
	metrics_sample(b, "xlb_log_lines_dropped_total", NULL, log_dropped());
	if (m->have_build) {
		metrics_family(b, "xlb_maglev_build_seconds", "gauge",
			       "Duration of the last Maglev table build.");
		metrics_sample_fixed(b, "xlb_maglev_build_seconds", NULL, m->build_ns, 9);
	}
	return b->err;
}

void metrics_note_build(struct metrics *m, uint64_t ns)
{
	if (!m)
		return;
	m->build_ns = ns;
	m->have_build = true;
}

/* ---- server ---- */

static void client_free(struct metrics *m, struct metrics_client *c)
{
	int i;

	for (i = 0; i < METRICS_CLIENTS_MAX; i++) {
		if (m->clients[i] == c) {
			m->clients[i] = NULL;
			m->nr_clients--;
			break;
		}
	}
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	body_put(c->body);
	free(c);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Internal Server Error";
	}
}

/* Builds the whole response into c->out and switches the client to writing.
 * Returns -1 if the client was freed. */
static int client_respond(struct metrics *m, struct agent *a, struct metrics_client *c, int status)
{
	struct metrics_buf err_body = {}, r = {};
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	const struct metrics_buf *body = &err_body;
	uint64_t now = mono_ms();
	struct metrics_body *nb;
	int err;

	if (status == 200 &&
	    (!m->cache || now >= m->cache_ms + m->cache_ttl_ms || m->cache_gen != a->gen)) {
		body_put(m->cache);
		m->cache = NULL;
		nb = calloc(1, sizeof(*nb));
		err = nb ? render(a, m, &nb->buf) : -ENOMEM;
		m->cache_ttl_ms = (mono_ms() - now) * METRICS_CACHE_COST;
		if (m->cache_ttl_ms < METRICS_CACHE_MS)
			m->cache_ttl_ms = METRICS_CACHE_MS;
		if (err) {
			pr_warn("metrics: %s: cannot read the counters: %s", m->addr,
				strerror(-err));
			if (nb)
				metrics_buf_free(&nb->buf);
			free(nb);
			status = 500;
		} else {
			nb->refs = 1; /* the cache's; freed with m or the next rendering */
			m->cache = nb;
			m->cache_ms = now;
			m->cache_gen = a->gen;
		}
	}
	if (status == 200)
		body = &m->cache->buf;
	else
		metrics_buf_printf(&err_body, "%d %s\n", status, status_text(status));
	metrics_buf_printf(&r,
			   "HTTP/1.0 %d %s\r\n"
			   "Content-Type: %s\r\n"
			   "Content-Length: %zu\r\n"
			   "%s"
			   "Connection: close\r\n\r\n",
			   status, status_text(status),
			   status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
					   "text/plain; charset=utf-8",
			   body->len, status == 405 ? "Allow: GET\r\n" : "");
	if (status != 200 && err_body.len && buf_reserve(&r, err_body.len)) {
		memcpy(r.data + r.len, err_body.data, err_body.len);
		r.len += err_body.len;
		r.data[r.len] = '\0';
	}
	metrics_buf_free(&err_body);
	if (r.err) {
		pr_warn("metrics: %s: cannot build a response: %s", m->addr, strerror(-r.err));
		metrics_buf_free(&r);
		client_free(m, c);
		return -1;
	}
	c->out = r.data;
	c->out_len = r.len;
	c->out_off = 0;
	if (status == 200) { /* sent after the head, shared with the cache */
		c->body = m->cache;
		c->body->refs++;
	}
	epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	return 0;
}

/* Writes what it can; frees the client when done or gone */
static void client_flush(struct metrics *m, struct metrics_client *c)
{
	size_t before = c->out_off, off;
	int err = 0;

	if (c->out_off < c->out_len)
		err = sock_send_some(c->fd, c->out, c->out_len, &c->out_off);
	if (!err && c->body) {
		off = c->out_off - c->out_len;
		err = sock_send_some(c->fd, c->body->buf.data, c->body->buf.len, &off);
		c->out_off = c->out_len + off;
	}

	if (c->out_off != before)
		c->last_ms = mono_ms();
	if (err == -EAGAIN)
		return;
	if (err) {
		pr_debug("metrics: %s: write failed: %s", m->addr, strerror(-err));
		client_free(m, c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	client_free(m, c);
}

static void client_read(struct metrics *m, struct agent *a, struct metrics_client *c)
{
	int status;
	ssize_t n;

	if (c->out)
		return;
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		client_free(m, c);
		return;
	}
	if (n == 0) { /* closed before a complete request */
		client_free(m, c);
		return;
	}
	c->in_len += (size_t)n;
	c->last_ms = mono_ms();
	status = metrics_parse_request(c->in, c->in_len);
	if (!status && c->in_len == sizeof(c->in))
		status = 431;
	if (!status)
		return;
	if (status != 200)
		pr_debug("metrics: %s: answered %d", m->addr, status);
	if (client_respond(m, a, c, status) == 0)
		client_flush(m, c); /* usually all of it fits in the socket buffer */
}

static struct metrics_client *oldest(struct metrics *m)
{
	struct metrics_client *o = NULL;
	int i;

	for (i = 0; i < METRICS_CLIENTS_MAX; i++)
		if (m->clients[i] && (!o || m->clients[i]->last_ms < o->last_ms))
			o = m->clients[i];
	return o;
}

static void accept_clients(struct metrics *m)
{
	int k;

	for (k = 0; k < METRICS_ACCEPT_BATCH; k++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct metrics_client *c;
		int fd, i;

		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				pr_warn("metrics: %s: accept failed: %s", m->addr, strerror(errno));
			return;
		}
		if (m->nr_clients >= METRICS_CLIENTS_MAX) {
			/* a scraper must not be locked out by idle connections */
			pr_debug("metrics: %s: %d clients: closing the oldest", m->addr,
				 METRICS_CLIENTS_MAX);
			client_free(m, oldest(m));
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			pr_err("metrics: %s: cannot accept: out of memory", m->addr);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last_ms = mono_ms();
		ev.data.ptr = c;
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			pr_err("metrics: %s: epoll add failed: %s", m->addr, strerror(errno));
			free(c);
			close(fd);
			continue;
		}
		for (i = 0; m->clients[i]; i++)
			;
		m->clients[i] = c;
		m->nr_clients++;
	}
}

void metrics_tick(struct metrics *m, uint64_t now)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < METRICS_CLIENTS_MAX; i++) {
		struct metrics_client *c = m->clients[i];

		if (c && now >= c->last_ms + METRICS_IDLE_MS) {
			pr_debug("metrics: %s: client idle for %d ms, closing", m->addr,
				 METRICS_IDLE_MS);
			client_free(m, c);
		}
	}
}

static bool client_live(const struct metrics *m, const struct metrics_client *c)
{
	int i;

	for (i = 0; i < METRICS_CLIENTS_MAX; i++)
		if (m->clients[i] == c)
			return true;
	return false;
}

void metrics_dispatch(struct metrics *m, struct agent *a)
{
	struct epoll_event evs[METRICS_EVENTS];
	int i, n;

	n = epoll_wait(m->epfd, evs, METRICS_EVENTS, 0);
	if (n < 0) {
		if (errno != EINTR)
			pr_warn("metrics: %s: epoll_wait failed: %s", m->addr, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		struct metrics_client *c = evs[i].data.ptr;

		if (c == METRICS_TAG_LISTEN) {
			accept_clients(m);
			continue;
		}
		if (!client_live(m, c)) /* freed earlier in this batch */
			continue;
		if (c->out)
			client_flush(m, c);
		else
			client_read(m, a, c);
	}
	metrics_tick(m, mono_ms());
}

int metrics_fd(const struct metrics *m)
{
	return m->epfd;
}

struct metrics *metrics_open(const char *addr_port)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = METRICS_TAG_LISTEN };
	struct sockaddr_storage ss = {};
	struct xlb_addr xa;
	struct metrics *m;
	socklen_t slen;
	uint16_t port;
	char err[128];
	int one = 1, ret;

	if (parse_addr_port(addr_port, &xa, &port, err, sizeof(err))) {
		pr_err("metrics: %s", err);
		errno = EINVAL;
		return NULL;
	}
	if (!port) {
		pr_err("metrics: '%s': missing port: expected ADDR:PORT or [ADDR6]:PORT",
		       addr_port);
		errno = EINVAL;
		return NULL;
	}
	if (xa.family == XLB_FAMILY_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = xa.addr[0];
		slen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, xa.addr, sizeof(sin6->sin6_addr));
		slen = sizeof(*sin6);
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->addr, sizeof(m->addr), "%s", addr_port);
	m->epfd = -1;
	m->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0)
		goto out_err;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(m->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto out_err;
	if (setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->lfd, (struct sockaddr *)&ss, slen) || listen(m->lfd, METRICS_BACKLOG))
		goto out_err;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->lfd, &ev))
		goto out_err;
	pr_info("metrics: serving http://%s/metrics", addr_port);
	return m;

out_err:
	ret = errno;
	pr_err("metrics: %s: cannot listen: %s", addr_port, strerror(ret));
	if (m->epfd >= 0)
		close(m->epfd);
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
	errno = ret;
	return NULL;
}

void metrics_close(struct metrics *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < METRICS_CLIENTS_MAX; i++)
		if (m->clients[i])
			client_free(m, m->clients[i]);
	close(m->epfd);
	close(m->lfd);
	body_put(m->cache);
	free(m);
}
