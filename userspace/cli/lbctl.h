/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lbctl internals: global options, error helpers, help strings, renderers. */
#ifndef XLB_CLI_LBCTL_H
#define XLB_CLI_LBCTL_H

#include <stdbool.h>
#include <json-c/json.h>

#define LBCTL_VERSION "0.1.0"

struct lbctl_opts {
	bool json, pretty, details, quiet, force;
	int stats; /* -s count */
	const char *socket;
};
extern struct lbctl_opts g_opts;

/* json-c flags for everything lbctl prints: compact or -p pretty, and never
 * "\/" for "/" (VIPs are ADDR:PORT/PROTO), so every command prints JSON alike */
int json_flags(void);

/* "Error: ..." to stderr (text) or {"error": ...} to stdout (JSON); returns code */
int p_err(int code, const char *errno_name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Help text for "lbctl help" / "lbctl OBJECT help": 0 if @object is known */
int print_help(const char *object);

/* Text rendering of a successful response to argv (JSON mode prints data) */
void render_text(int argc, char **argv, struct json_object *data);

/* `lbctl apply --dry-run`: the changes, one line each ("+", "-", "~") */
void render_apply_diff(struct json_object *data);

/* One event of `lbctl events` as a text line */
void render_event(struct json_object *ev);

/* lbctl decap VERB...: xlb_decap on a backend, without lbd (cli/decap.c) */
int do_decap(int argc, char **argv);

#endif /* XLB_CLI_LBCTL_H */
