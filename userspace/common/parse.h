/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Pure value parsers and formatters shared by lbctl, the lbd config and state
 * files and `lbctl show`: addresses, VIP tokens, ports, durations, numbers, MACs.
 * No I/O. Every parser returns 0, or -EINVAL with a lowercase message naming the
 * offending token in err (no "Error:" prefix, no final period).
 */
#ifndef XLB_COMMON_PARSE_H
#define XLB_COMMON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <xlb/types.h>

/* Buffer sizes large enough for every formatter's output (NUL included) */
#define PARSE_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define PARSE_VIP_STRLEN 64  /* [ADDR6]:65535/tcp */
#define PARSE_DUR_STRLEN 24
#define PARSE_MAC_STRLEN 18

/* Numbers everywhere are plain decimal: digits only, no sign, no blanks, no
 * "0x", and no leading zero (so "010" is never read as 8 or 10 by surprise).
 */

/* IPv4 dotted quad or IPv6 (inet_pton forms, no zone id) into out, network
 * order, addr[1..3] zero for IPv4. IPv4-mapped IPv6 (::ffff:a.b.c.d) is
 * rejected with a hint to write the IPv4 form, so one service has one key.
 */
int parse_addr(const char *s, struct xlb_addr *out, char *err, size_t errlen);

/* Same address / same VIP (the structs' padding is not compared) */
static inline bool addr_eq(const struct xlb_addr *a, const struct xlb_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static inline bool vip_key_eq(const struct xlb_vip_key *a, const struct xlb_vip_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* VIP token ADDR:PORT/PROTO or [ADDR6]:PORT/PROTO into a zeroed key. Port 0
 * means every port; PROTO is tcp or udp. IPv6 without brackets is rejected
 * with a hint.
 */
int parse_vip(const char *s, struct xlb_vip_key *out, char *err, size_t errlen);

/* "tcp" / "udp" into IPPROTO_TCP / IPPROTO_UDP */
int parse_proto(const char *s, uint8_t *proto, char *err, size_t errlen);

/* Port in host order: 1-65535, and a variant that also allows 0 */
int parse_port(const char *s, uint16_t *port, char *err, size_t errlen);
int parse_port0(const char *s, uint16_t *port, char *err, size_t errlen);

/* ADDR, ADDR4:PORT or [ADDR6][:PORT] (port 1-65535; *port = 0 when absent).
 * A bare IPv6 address is taken whole, so IPv6 with a port needs brackets.
 */
int parse_addr_port(const char *s, struct xlb_addr *addr, uint16_t *port, char *err, size_t errlen);

/* Decimal integer in [min, max]; name is the word used in the message:
 * "invalid weight '0': must be 1-65535".
 */
int parse_uint(const char *s, const char *name, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen);

/* DUR := N[ms|s|m], a bare number is milliseconds. Result in milliseconds.
 * parse_dur_range also bounds it and names the value in the message
 * ("invalid interval '0': must be 1ms-24h"); parse_dur accepts any value that
 * fits in 64 bits and calls it "duration".
 */
int parse_dur(const char *s, uint64_t *ms, char *err, size_t errlen);
int parse_dur_range(const char *s, const char *name, uint64_t min_ms, uint64_t max_ms, uint64_t *ms,
		    char *err, size_t errlen);

/* MAC aa:bb:cc:dd:ee:ff (hex digits of either case, exactly two per octet).
 * Only unicast, non-zero addresses are accepted: it names one backend's NIC.
 */
int parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen);

/* Formatters: return 0, -EINVAL on a bad family/protocol, -ENOSPC when buf is
 * too small (buf then holds a truncated, NUL-terminated string).
 */
/* 192.0.2.10:80/tcp, [2001:db8::10]:80/udp */
int format_vip(const struct xlb_vip_key *key, char *buf, size_t len);
/* 192.0.2.10, 2001:db8::10 (RFC 5952 form, never a dotted IPv4 tail) */
int format_addr(const struct xlb_addr *addr, char *buf, size_t len);
/* addr, or addr:port / [addr6]:port when port (host order) is not 0 */
int format_addr_port(const struct xlb_addr *addr, uint16_t port, char *buf, size_t len);
/* Shortest exact unit: 1500 -> 1500ms, 2000 -> 2s, 120000 -> 2m, 0 -> 0ms */
int format_dur(uint64_t ms, char *buf, size_t len);
/* A range bound as written by a human: 1ms-24h rather than 1-86400000 */
void format_dur_bound(uint64_t ms, char *buf, size_t len);
/* lowercase aa:bb:cc:dd:ee:ff */
int format_mac(const uint8_t mac[6], char *buf, size_t len);

#endif /* XLB_COMMON_PARSE_H */
