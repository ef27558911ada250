// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The primality test of the model (ring sizes must be prime), also used by
 * the Maglev builder: it lives here so the model calls nothing above it.
 */
#include "agent/model/prime.h"

bool prime_test(uint32_t m)
{
	uint32_t i;

	if (m < 2)
		return false;
	if (m < 4)
		return true;
	if (m % 2 == 0 || m % 3 == 0)
		return false;
	/* 64-bit square: i * i would wrap for m close to UINT32_MAX */
	for (i = 5; (uint64_t)i * i <= m; i += 6)
		if (m % i == 0 || m % (i + 2) == 0)
			return false;
	return true;
}
