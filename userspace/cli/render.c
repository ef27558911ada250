// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl text views. Every view renders the same JSON the -j output prints, so
 * a field cannot exist in one form and not the other (STYLE, part c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli/lbctl.h"

static double d_(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_double(v) : 0;
}

static const char *s_(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

static void render_vips(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	printf("%-28s %-7s %-5s %-7s %-8s %-9s %-6s%s\n", "VIP", "SCHED", "ENCAP", "HASH", "RING",
	       "BACKENDS", "CHECK", g_opts.details ? " ID" : "");
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		printf("%-28s %-7s %-5s %-7s %-8s %-9s %-6s", s_(v, "vip"), s_(v, "sched"),
		       s_(v, "encap"), s_(v, "hash"), s_(v, "ring_size"), s_(v, "backends"),
		       s_(v, "check"));
		if (g_opts.details)
			printf(" %s", s_(v, "vip_id"));
		printf("\n");
	}
}

static void render_backends(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	printf("%-28s %-26s %-5s %-6s %-7s %-9s %-8s %-8s", "VIP", "ADDR", "PORT", "WEIGHT",
	       "HEALTH", "BREAKER", "STATE", "NEXTHOP");
	if (g_opts.stats)
		printf(" %12s %14s", "PACKETS", "BYTES");
	if (g_opts.stats >= 2) /* rates over one second (ipvsadm --rate) */
		printf(" %8s %10s %10s %12s", "ACTIVE", "NEWFLOW/S", "PKTS/S", "BYTES/S");
	if (g_opts.details)
		printf(" SLOT");
	printf("\n");
	for (i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(arr, i), *d;
		bool draining = json_object_object_get_ex(b, "draining", &d) &&
				json_object_get_boolean(d);

		printf("%-28s %-26s %-5s %-6s %-7s %-9s %-8s %-8s", s_(b, "vip"), s_(b, "addr"),
		       s_(b, "port"), s_(b, "weight"), s_(b, "health"), s_(b, "breaker"),
		       draining ? "draining" : "active", s_(b, "next_hop"));
		if (g_opts.stats)
			printf(" %12s %14s", s_(b, "packets"), s_(b, "bytes"));
		if (g_opts.stats >= 2)
			printf(" %8s %10.1f %10.1f %12.1f", s_(b, "active_flows"),
			       d_(b, "new_flows_per_s"), d_(b, "packets_per_s"),
			       d_(b, "bytes_per_s"));
		if (g_opts.details)
			printf(" %s", s_(b, "slot"));
		printf("\n");
	}
}

static void render_stats(json_object *o)
{
	json_object *g, *drops, *vips, *ifs;
	size_t i, j;

	if (json_object_object_get_ex(o, "global", &g)) {
		printf("global:\n");
		json_object_object_foreach(g, k, v) {
			if (strcmp(k, "drops") && (g_opts.details || json_object_get_int64(v)))
				printf("  %-20s %s\n", k, json_object_get_string(v));
		}
		if (json_object_object_get_ex(g, "drops", &drops)) {
			printf("drops:\n");
			json_object_object_foreach(drops, dk, dv) {
				if (g_opts.details || json_object_get_int64(dv))
					printf("  %-20s %s\n", dk, json_object_get_string(dv));
			}
		}
	}
	if (json_object_object_get_ex(o, "interfaces", &ifs) && json_object_array_length(ifs)) {
		/* what the drivers dropped of what XDP sent: never hidden */
		printf("interfaces:\n");
		for (i = 0; i < json_object_array_length(ifs); i++) {
			json_object *io = json_object_array_get_idx(ifs, i);

			printf("  %-20s xdp_tx_errors %s\n", s_(io, "interface"),
			       s_(io, "xdp_tx_errors"));
		}
	}
	if (!json_object_object_get_ex(o, "vips", &vips))
		return;
	printf("%-28s %12s %14s %10s %8s\n", "VIP / BACKEND", "PACKETS", "BYTES", "NEW_FLOWS",
	       "DROPS");
	for (i = 0; i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i), *bes;

		printf("%-28s %12s %14s %10s %8s\n", s_(v, "vip"), s_(v, "packets"), s_(v, "bytes"),
		       s_(v, "new_flows"), s_(v, "drops"));
		if (!json_object_object_get_ex(v, "backends", &bes))
			continue;
		for (j = 0; j < json_object_array_length(bes); j++) {
			json_object *b = json_object_array_get_idx(bes, j);

			printf("  %-26s %12s %14s %10s\n", s_(b, "addr"), s_(b, "packets"),
			       s_(b, "bytes"), s_(b, "new_flows"));
		}
	}
}

static void render_object(json_object *o)
{
	size_t i;

	json_object_object_foreach(o, k, v) {
		printf("%-18s ", k);
		if (!v) {
			printf("-\n");
		} else if (json_object_is_type(v, json_type_array)) {
			for (i = 0; i < json_object_array_length(v); i++)
				printf("%s%s", i ? " " : "",
				       json_object_get_string(json_object_array_get_idx(v, i)));
			printf("\n");
		} else {
			printf("%s\n", json_object_get_string(v));
		}
	}
}

static void render_policy(json_object *arr)
{
	size_t i, j, n = json_object_array_length(arr);
	json_object *ex;
	char buf[1024];

	printf("%-5s %-28s %-6s %-43s %-5s %-12s %12s  %s\n", "ID", "SCOPE", "ACTION", "CIDR",
	       "PROTO", "PORTS", "HITS", "EXCEPT");
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		size_t used = 0;

		buf[0] = '\0';
		if (json_object_object_get_ex(r, "except", &ex))
			for (j = 0; j < json_object_array_length(ex) && used < sizeof(buf); j++)
				used += (size_t)snprintf(
					buf + used, sizeof(buf) - used, "%s%s", j ? "," : "",
					json_object_get_string(json_object_array_get_idx(ex, j)));
		printf("%-5s %-28s %-6s %-43s %-5s %-12s %12s  %s\n", s_(r, "id"),
		       strcmp(s_(r, "vip"), "-") ? s_(r, "vip") : "global", s_(r, "action"),
		       s_(r, "cidr"), s_(r, "proto"), s_(r, "ports"), s_(r, "hits"),
		       buf[0] ? buf : "-");
	}
}

static void render_ratelimit(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	printf("%-28s %10s %10s %10s %10s %10s %10s %6s %6s\n", "SCOPE", "PPS", "BURST", "NEWFLOWS",
	       "NF-BURST", "CEILING", "C-BURST", "PLEN", "PLEN6");
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i);

		printf("%-28s %10s %10s %10s %10s %10s %10s %6s %6s\n",
		       strcmp(s_(r, "vip"), "-") ? s_(r, "vip") : "global", s_(r, "pps"),
		       s_(r, "burst"), s_(r, "new_flows"), s_(r, "new_flows_burst"),
		       s_(r, "ceiling"), s_(r, "ceiling_burst"), s_(r, "prefix_len"),
		       s_(r, "prefix_len6"));
	}
}

void render_apply_diff(json_object *data)
{
	json_object *arr;
	size_t i;

	if (!json_object_object_get_ex(data, "changes", &arr))
		return;
	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *c = json_object_array_get_idx(arr, i);
		const char *op = s_(c, "op");

		if (!strcmp(op, "change"))
			printf("~ %s\n    (was: %s)\n", s_(c, "line"), s_(c, "old"));
		else
			printf("%s %s\n", strcmp(op, "add") ? "-" : "+", s_(c, "line"));
	}
}

/* agent reload: what changed, line by line, then the runtime drains kept; a
 * summary on stderr */
static void render_reload(json_object *data)
{
	json_object *kept;
	size_t i, n = 0;

	render_apply_diff(data);
	if (json_object_object_get_ex(data, "kept", &kept)) {
		n = json_object_array_length(kept);
		for (i = 0; i < n; i++)
			printf("= %s (runtime drain kept)\n",
			       json_object_get_string(json_object_array_get_idx(kept, i)));
	}
	fprintf(stderr, "agent reload: %d added, %d removed, %d changed, %zu runtime drains kept\n",
		json_object_get_int(json_object_object_get(data, "added")),
		json_object_get_int(json_object_object_get(data, "removed")),
		json_object_get_int(json_object_object_get(data, "changed")), n);
}

void render_event(json_object *ev)
{
	json_object *t, *o;
	char ts[32] = "?", extra[64] = "";
	time_t sec;
	struct tm tm;
	int64_t ms;

	if (json_object_object_get_ex(ev, "time_ms", &t)) {
		ms = json_object_get_int64(t);
		sec = (time_t)(ms / 1000);
		if (gmtime_r(&sec, &tm))
			snprintf(ts + strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm),
				 sizeof(ts) - 19, ".%03dZ", (int)(ms % 1000));
	}
	if (json_object_object_get_ex(ev, "open_ms", &o) && json_object_get_int64(o) > 0)
		snprintf(extra, sizeof(extra), ", open %.1fs",
			 (double)json_object_get_int64(o) / 1000.0);
	printf("%s %s %s %s: %s -> %s (%s%s)\n", ts, s_(ev, "vip"), s_(ev, "backend"),
	       s_(ev, "kind"), s_(ev, "from"), s_(ev, "to"), s_(ev, "reason"), extra);
}

void render_text(int argc, char **argv, json_object *data)
{
	size_t i;

	if (!data)
		return;
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")) {
		for (i = 0; i < json_object_array_length(data); i++)
			printf("%s\n", json_object_get_string(json_object_array_get_idx(data, i)));
	} else if (!strcmp(argv[0], "vip") && json_object_is_type(data, json_type_array)) {
		render_vips(data);
	} else if (!strcmp(argv[0], "backend") && json_object_is_type(data, json_type_array)) {
		render_backends(data);
	} else if (!strcmp(argv[0], "stats")) {
		render_stats(data);
	} else if (!strcmp(argv[0], "policy") && json_object_is_type(data, json_type_array)) {
		render_policy(data);
	} else if (!strcmp(argv[0], "ratelimit") && json_object_is_type(data, json_type_array)) {
		render_ratelimit(data);
	} else if (!strcmp(argv[0], "events")) {
		for (i = 0; i < json_object_array_length(data); i++)
			render_event(json_object_array_get_idx(data, i));
	} else if (!strcmp(argv[0], "agent") && argc > 1 && !strcmp(argv[1], "reload")) {
		render_reload(data);
	} else if (!strcmp(argv[0], "flow")) {
		printf("%s from %s port %s -> %s (%s)\n", s_(data, "vip"), s_(data, "src"),
		       s_(data, "src_port"), s_(data, "backend"), s_(data, "reason"));
	} else if (json_object_is_type(data, json_type_object)) {
		render_object(data);
	}
}
