/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* String tables for the stable enums in <xlb/stats.h> and <xlb/consts.h>:
 * the names lbctl, metrics and tests print. Stable, snake_case.
 */
#ifndef XLB_COMMON_NAMES_H
#define XLB_COMMON_NAMES_H

/* Name of a counter / drop reason / decap counter; "unknown" if out of range */
const char *names_counter(unsigned int idx);
const char *names_drop(unsigned int idx);
const char *names_decap_counter(unsigned int idx);
/* "ipip", "gue", "l2", or NULL; and back (-1 if unknown) */
const char *names_encap(unsigned int mode);
int names_encap_parse(const char *s);

#endif /* XLB_COMMON_NAMES_H */
