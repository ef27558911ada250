/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* prime: the primality test of Maglev ring sizes (config checks, builder) */
#ifndef XLB_AGENT_MODEL_PRIME_H
#define XLB_AGENT_MODEL_PRIME_H

#include <stdbool.h>
#include <stdint.h>

/* True if @m is prime (deterministic, any 32-bit value). */
bool prime_test(uint32_t m);

#endif /* XLB_AGENT_MODEL_PRIME_H */
