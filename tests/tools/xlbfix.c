// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlbfix: a test fixture that drives the dataplane through the agent's own map
 * code (maps.c, maglev.c) until lbd/lbctl exist. Not a product tool: no
 * config, no persistence, minimal validation (backends get xlb_decap from
 * `lbctl decap attach`, the product path). Each command reopens the
 * object with the maps pinned under PIN (a bpffs directory).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/in.h>
#include "agent/dataplane/maglev.h"
#include "agent/dataplane/maps.h"
#include "common/names.h"

static void usage(void)
{
	fprintf(stderr, "Usage: xlbfix attach PIN IFACE\n"
			"       xlbfix config PIN SRC4 SRC6 [SRC_BITS]\n"
			"       xlbfix vip PIN VIP_ID ADDR PORT {tcp|udp} {ipip|gue|l2} [MTU]\n"
			"       xlbfix backend PIN ID ADDR IFACE DMAC\n"
			"       xlbfix ring PIN VIP_ID M ID:WEIGHT...\n"
			"       xlbfix counters PIN\n"
			"       xlbfix unlink PIN IFACE (xlb_xdp)\n");
	exit(2);
}

static int parse_addr(const char *s, __be32 *addr, __u8 *family)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = XLB_FAMILY_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = XLB_FAMILY_V6;
		return 0;
	}
	fprintf(stderr, "xlbfix: invalid address '%s'\n", s);
	exit(2);
}

static int parse_mac(const char *s, __u8 *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		   &mac[5]) != 6) {
		fprintf(stderr, "xlbfix: invalid MAC '%s'\n", s);
		exit(2);
	}
	return 0;
}

static unsigned int ifindex_of(const char *ifname)
{
	unsigned int i = if_nametoindex(ifname);

	if (!i) {
		fprintf(stderr, "xlbfix: interface '%s': %s\n", ifname, strerror(errno));
		exit(1);
	}
	return i;
}

static void mac_of(const char *ifname, __u8 *mac)
{
	char path[128], buf[32];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		fprintf(stderr, "xlbfix: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fclose(f);
	parse_mac(buf, mac);
}

static struct xlb_maps *open_maps(const char *pin)
{
	struct xlb_maps_opts o = { .pin_root = pin };
	struct xlb_maps *m = maps_open(&o);

	if (!m) {
		fprintf(stderr, "xlbfix: cannot load xlb_xdp: %s\n", strerror(errno));
		exit(1);
	}
	return m;
}

static int check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "xlbfix: %s: %s\n", what, strerror(-err));
		exit(1);
	}
	return 0;
}

static int cmd_attach(int argc, char **argv)
{
	struct xlb_maps *m;

	if (argc != 2)
		usage();
	m = open_maps(argv[0]);
	/* a pinned bpf_link: a second attach swaps the program in place */
	check(maps_attach(m, argv[1], false), "attach");
	maps_close(m);
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	struct xlb_config cfg = {};
	struct xlb_maps *m;
	__be32 a[4];
	__u8 fam;

	if (argc < 3)
		usage();
	parse_addr(argv[1], a, &fam);
	cfg.src4 = a[0];
	parse_addr(argv[2], cfg.src6, &fam);
	cfg.src_bits = argc > 3 ? atoi(argv[3]) : 8;
	cfg.flood_rate = XLB_FLOOD_RATE_DEFAULT;
	m = open_maps(argv[0]);
	check(maps_config_set(m, &cfg), "config");
	maps_close(m);
	return 0;
}

static int cmd_vip(int argc, char **argv)
{
	struct xlb_vip_key k = {};
	struct xlb_vip_val v = {};
	struct xlb_addr a = {};
	struct xlb_maps *m;
	int mode;

	if (argc < 6)
		usage();
	v.vip_id = atoi(argv[1]);
	parse_addr(argv[2], k.addr, &k.family);
	k.port = htons(atoi(argv[3]));
	k.proto = !strcmp(argv[4], "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	mode = names_encap_parse(argv[5]);
	if (mode < 0)
		usage();
	v.encap = mode;
	v.ring_size = 0; /* set by `ring` */
	v.mtu = argc > 6 ? atoi(argv[6]) : 0;
	memcpy(a.addr, k.addr, 16);
	a.family = k.family;
	m = open_maps(argv[0]);
	if (!k.port) { /* the dataplane tries the wildcard only while this flag is set */
		struct xlb_config cfg;

		check(maps_config_get(m, &cfg), "config");
		cfg.flags |= XLB_CFG_F_PORT0;
		check(maps_config_set(m, &cfg), "config");
	}
	check(maps_vip_update(m, &k, &v), "vip");
	check(maps_vip_addr_set(m, &a, 1), "vip address");
	maps_close(m);
	return 0;
}

static int cmd_backend(int argc, char **argv)
{
	struct xlb_backend be = {};
	struct xlb_maps *m;

	if (argc != 5)
		usage();
	parse_addr(argv[2], be.addr, &be.family);
	be.ifindex = ifindex_of(argv[3]);
	mac_of(argv[3], be.smac);
	parse_mac(argv[4], be.dmac);
	be.flags = XLB_BE_F_ACTIVE;
	be.gen = 1;
	m = open_maps(argv[0]);
	check(maps_backend_set(m, atoi(argv[1]), &be), "backend");
	check(maps_tx_port_add(m, be.ifindex), "tx port");
	maps_close(m);
	return 0;
}

/* ring PIN VIP_ID M ID:WEIGHT...: builds with maglev_build and sets vip ring_size */
static int cmd_ring(int argc, char **argv)
{
	struct maglev_backend mb[64] = {};
	__u32 vip_id, size, *table;
	struct xlb_maps *m;
	int i, n = argc - 3;

	if (argc < 4 || n > 64)
		usage();
	vip_id = atoi(argv[1]);
	size = atoi(argv[2]);
	m = open_maps(argv[0]);
	for (i = 0; i < n; i++) {
		struct xlb_backend be;

		if (sscanf(argv[3 + i], "%u:%u", &mb[i].id, &mb[i].weight) != 2)
			usage();
		check(maps_backend_get(m, mb[i].id, &be), "backend");
		memcpy(mb[i].key, be.addr, 16);
		mb[i].key[16] = be.family;
	}
	table = calloc(size, sizeof(*table));
	if (!table)
		return 1;
	check(maglev_build(mb, n, size, 0, table), "maglev");
	check(maps_ring_set(m, vip_id, 0, table, size), "ring");
	free(table);
	/* point every VIP with this id at the new table size */
	{
		int fd = maps_map_fd(m, XLB_MAP_VIPS);
		struct xlb_vip_key k, *prev = NULL;
		struct xlb_vip_val v;

		while (!bpf_map_get_next_key(fd, prev, &k)) {
			if (!bpf_map_lookup_elem(fd, &k, &v) && v.vip_id == vip_id) {
				v.ring_size = size;
				check(maps_vip_update(m, &k, &v), "vip");
			}
			prev = &k;
		}
	}
	maps_close(m);
	return 0;
}

static int cmd_counters(int argc, char **argv)
{
	__u64 cnt[__XLB_CNT_MAX], drops[__XLB_DROP_MAX];
	struct xlb_maps *m;
	int i;

	if (argc != 1)
		usage();
	m = open_maps(argv[0]);
	check(maps_counters_read(m, cnt, drops), "counters");
	for (i = 0; i < __XLB_CNT_MAX; i++)
		printf("%s %llu\n", names_counter(i), (unsigned long long)cnt[i]);
	for (i = 1; i < __XLB_DROP_MAX; i++)
		printf("drop_%s %llu\n", names_drop(i), (unsigned long long)drops[i]);
	maps_close(m);
	return 0;
}

static int cmd_unlink(int argc, char **argv)
{
	struct xlb_maps *m;

	if (argc != 2)
		usage();
	m = open_maps(argv[0]);
	check(maps_detach(m, argv[1]), "detach");
	maps_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "attach", cmd_attach },   { "config", cmd_config }, { "vip", cmd_vip },
		{ "backend", cmd_backend }, { "ring", cmd_ring },     { "counters", cmd_counters },
		{ "unlink", cmd_unlink },
	};
	unsigned int i;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	usage();
	return 2;
}
