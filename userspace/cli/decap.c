// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl decap: xlb_decap on a backend, without lbd. The one lbctl object that
 * talks to the kernel directly: a backend runs no agent (decap_loader.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xlb/abi.h>
#include <xlb/consts.h>
#include "cli/lbctl.h"
#include "common/ctl_proto.h"
#include "cli/decap_loader.h"
#include "common/names.h"
#include "common/parse.h"

#define HINT "; try 'lbctl decap help'"
#define LOAD_HINT "; run it again with 'lbctl -d' for libbpf's log"

struct decap_args {
	const char *dev;
	struct xlb_addr addrs[XLB_DCAP_ADDRS_MAX];
	int n_addrs;
	uint16_t gue_port;
	bool generic, have_port, have_mode;
};

static void print_null(void)
{
	if (g_opts.json)
		printf("null\n");
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	if (g_opts.json || g_opts.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int err_dev(const char *verb, const char *dev, int err, const struct decap_info *di)
{
	switch (err) {
	case -ENODEV:
		return p_err(CTL_E_USAGE, "ENODEV",
			     "decap: dev '%s': no such interface; see 'ip link'", dev);
	case -EBUSY:
		return p_err(CTL_E_FAILED, "EBUSY",
			     "decap: dev '%s': another XDP program is attached: '%s' (id %u, %s); "
			     "detach it first",
			     dev, di->prog_name, di->prog_id, di->mode);
	case -ENOENT:
		return p_err(CTL_E_NOTFOUND, "ENOENT", "decap: dev '%s': xlb_decap is not attached",
			     dev);
	default:
		return p_err(CTL_E_FAILED, "EIO", "decap %s: dev '%s': %s", verb, dev,
			     strerror(-err));
	}
}

/* Keyword-value pairs of attach (@full) or detach/show; 0 or the usage exit code */
static int parse_args(const char *verb, int argc, char **argv, bool full, struct decap_args *a)
{
	char err[256];
	uint64_t v;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool known = !strcmp(k, "dev") ||
			     (full &&
			      (!strcmp(k, "addr") || !strcmp(k, "gue-port") || !strcmp(k, "mode")));

		if (!known)
			return p_err(CTL_E_USAGE, "EINVAL",
				     "unknown keyword '%s' for 'decap %s'" HINT, k, verb);
		if (!val)
			return p_err(CTL_E_USAGE, "EINVAL", "missing value after '%s'" HINT, k);
		if (!strcmp(k, "dev")) {
			if (a->dev)
				return p_err(CTL_E_USAGE, "EINVAL",
					     "keyword 'dev' given twice for 'decap %s'" HINT, verb);
			a->dev = val;
		} else if (!strcmp(k, "addr")) {
			if (a->n_addrs == XLB_DCAP_ADDRS_MAX)
				return p_err(CTL_E_USAGE, "E2BIG", "too many addresses: at most %d",
					     XLB_DCAP_ADDRS_MAX);
			if (parse_addr(val, &a->addrs[a->n_addrs], err, sizeof(err)))
				return p_err(CTL_E_USAGE, "EINVAL", "%s", err);
			a->n_addrs++;
		} else if (!strcmp(k, "gue-port")) {
			if (a->have_port)
				return p_err(CTL_E_USAGE, "EINVAL",
					     "keyword 'gue-port' given twice" HINT);
			if (parse_uint(val, "gue-port", 1, 65535, &v, err, sizeof(err)))
				return p_err(CTL_E_USAGE, "EINVAL", "%s", err);
			a->gue_port = (uint16_t)v;
			a->have_port = true;
		} else {
			if (a->have_mode)
				return p_err(CTL_E_USAGE, "EINVAL",
					     "keyword 'mode' given twice" HINT);
			if (strcmp(val, "native") && strcmp(val, "generic"))
				return p_err(CTL_E_USAGE, "EINVAL",
					     "invalid mode '%s': must be native or generic", val);
			a->generic = !strcmp(val, "generic");
			a->have_mode = true;
		}
	}
	return 0;
}

static int do_attach(int argc, char **argv)
{
	struct decap_attach_opts o = {};
	struct decap_info old;
	struct decap_args a;
	int err;

	err = parse_args("attach", argc, argv, true, &a);
	if (err)
		return err;
	if (!a.dev)
		return p_err(CTL_E_USAGE, "EINVAL", "decap attach: missing 'dev IFACE'" HINT);
	o.addrs = a.n_addrs ? a.addrs : NULL;
	o.n_addrs = a.n_addrs;
	o.gue_port = a.gue_port;
	o.generic = a.generic;
	err = decap_attach(a.dev, &o, &old);
	switch (err) {
	case 0:
		break;
	case -ENODEV:
	case -EBUSY:
		return err_dev("attach", a.dev, err, &old);
	case -E2BIG:
		return p_err(CTL_E_FAILED, "E2BIG",
			     "decap attach: dev '%s': this namespace has more than %d addresses; "
			     "name the tunnel endpoints with 'addr ADDR'",
			     a.dev, XLB_DCAP_ADDRS_MAX);
	case -ENOENT:
		return p_err(CTL_E_FAILED, "ENOENT",
			     "decap attach: dev '%s': no address to decapsulate for; "
			     "add one to an interface or name it with 'addr ADDR'",
			     a.dev);
	default:
		return p_err(CTL_E_FAILED, "EIO",
			     "decap attach: dev '%s': cannot load or attach " XLB_PROG_DECAP
			     " (%s mode): %s" LOAD_HINT,
			     a.dev, a.generic ? "generic" : "native", strerror(-err));
	}
	info("decap: dev '%s': %s " XLB_PROG_DECAP " (%s)", a.dev,
	     old.prog_id ? "replaced" : "attached", a.generic ? "generic" : "native");
	print_null();
	return 0;
}

static int do_detach(int argc, char **argv)
{
	struct decap_info di;
	struct decap_args a;
	int err;

	err = parse_args("detach", argc, argv, false, &a);
	if (err)
		return err;
	if (!a.dev)
		return p_err(CTL_E_USAGE, "EINVAL", "decap detach: missing 'dev IFACE'" HINT);
	err = decap_detach(a.dev, &di);
	if (err)
		return err_dev("detach", a.dev, err, &di);
	print_null();
	return 0;
}

/* One JSON object for the xlb_decap on @di, or NULL with *err set */
static json_object *view_one(const struct decap_info *di, int *err)
{
	struct xlb_addr addrs[XLB_DCAP_ADDRS_MAX];
	uint64_t cnt[__XLB_DCAP_MAX];
	char buf[PARSE_ADDR_STRLEN];
	json_object *o, *ja, *jc;
	int n, i;

	*err = decap_read(di, addrs, XLB_DCAP_ADDRS_MAX, &n, cnt);
	if (*err)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "dev", json_object_new_string(di->ifname));
	json_object_object_add(o, "prog_id", json_object_new_int64(di->prog_id));
	json_object_object_add(o, "mode", json_object_new_string(di->mode));
	ja = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (format_addr(&addrs[i], buf, sizeof(buf)))
			continue;
		json_object_array_add(ja, json_object_new_string(buf));
	}
	json_object_object_add(o, "addrs", ja);
	jc = json_object_new_object();
	for (i = 0; i < __XLB_DCAP_MAX; i++)
		json_object_object_add(jc, names_decap_counter((unsigned int)i),
				       json_object_new_int64((int64_t)cnt[i]));
	json_object_object_add(o, "counters", jc);
	return o;
}

/* Text view of the JSON array: a row per device, its counters on the next line */
static void render(json_object *arr)
{
	size_t i, j, n = json_object_array_length(arr);

	if (!n)
		return;
	printf("%-16s %-8s %-8s %s\n", "DEV", "PROG_ID", "MODE", "ADDRS");
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v, *ja, *jc;

		json_object_object_get_ex(o, "addrs", &ja);
		json_object_object_get_ex(o, "counters", &jc);
		json_object_object_get_ex(o, "dev", &v);
		printf("%-16s ", json_object_get_string(v));
		json_object_object_get_ex(o, "prog_id", &v);
		printf("%-8s ", json_object_get_string(v));
		json_object_object_get_ex(o, "mode", &v);
		printf("%-8s ", json_object_get_string(v));
		for (j = 0; j < json_object_array_length(ja); j++)
			printf("%s%s", j ? "," : "",
			       json_object_get_string(json_object_array_get_idx(ja, j)));
		printf("\n ");
		json_object_object_foreach(jc, k, c) {
			printf(" %s %s", k, json_object_get_string(c));
		}
		printf("\n");
	}
}

static int do_show(int argc, char **argv)
{
	struct if_nameindex *ifs = NULL, one[2] = {};
	struct decap_info di;
	struct decap_args a;
	json_object *arr, *o;
	int err, code = 0;
	size_t i;

	err = parse_args("show", argc, argv, false, &a);
	if (err)
		return err;
	if (a.dev) {
		err = decap_query(a.dev, &di);
		if (!err && !decap_is_ours(&di))
			err = -ENOENT; /* another program: no xlb_decap to show */
		if (err)
			return err_dev("show", a.dev, err, &di);
		one[0].if_index = di.ifindex;
		one[0].if_name = (char *)a.dev;
	} else {
		ifs = if_nameindex();
		if (!ifs)
			return p_err(CTL_E_FAILED, "EIO", "decap show: cannot list interfaces: %s",
				     strerror(errno));
	}
	arr = json_object_new_array();
	for (i = 0; (ifs ? ifs : one)[i].if_index; i++) {
		const char *name = (ifs ? ifs : one)[i].if_name;

		err = decap_query(name, &di);
		if (err == -ENOENT || err == -ENODEV || (!err && !decap_is_ours(&di)))
			continue; /* nothing of ours there, or gone meanwhile */
		if (!err)
			o = view_one(&di, &err);
		if (err) {
			code = p_err(CTL_E_FAILED, "EIO", "decap show: dev '%s': %s", name,
				     strerror(-err));
			goto out;
		}
		json_object_array_add(arr, o);
	}
	if (g_opts.json)
		printf("%s\n", json_object_to_json_string_ext(arr, json_flags()));
	else
		render(arr);
out:
	json_object_put(arr);
	if (ifs)
		if_freenameindex(ifs);
	return code;
}

int do_decap(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = { { "show", do_show },
		     { "list", do_show },
		     { "attach", do_attach },
		     { "detach", do_detach },
		     { NULL, NULL } };
	int i;

	/* libbpf's own messages only with -d (STYLE 46) */
	if (!g_opts.details)
		libbpf_set_print(NULL);
	if (!argc)
		return do_show(0, argv);
	for (i = 0; cmds[i].name; i++)
		if (!strcmp(argv[0], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return p_err(CTL_E_USAGE, "EINVAL", "unknown command '%s' for 'decap'" HINT, argv[0]);
}
