// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libFuzzer target for the control-socket request parser (ctl_parse_request in
 * agent/control/ctl.c) and the audit-log join of its result. Seeds: tests/fuzz/corpus/ctl/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control/ctl.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *argv = NULL;
	char msg[512], joined[900];
	size_t len = size, i, n;
	int code;

	/* the server hands over one line without its '\n' */
	if (len && data[len - 1] == '\n')
		len--;
	code = ctl_parse_request((const char *)data, len, &argv, msg, sizeof(msg));
	if (code != CTL_OK) {
		if (argv || (code != CTL_E_USAGE && code != CTL_E_CONNECT) ||
		    !memchr(msg, 0, sizeof(msg)) || !msg[0])
			abort();
		return 0;
	}
	/* the contract the handlers rely on */
	n = json_object_array_length(argv);
	if (!json_object_is_type(argv, json_type_array) || n == 0 || n > CTL_ARGV_MAX)
		abort();
	for (i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(argv, i);

		if (!json_object_is_type(w, json_type_string) ||
		    strlen(json_object_get_string(w)) != (size_t)json_object_get_string_len(w))
			abort();
	}
	ctl_argv_join(argv, joined, sizeof(joined));
	if (strlen(joined) >= sizeof(joined))
		abort();
	for (i = 0; joined[i]; i++)
		if ((unsigned char)joined[i] < 0x20)
			abort();
	json_object_put(argv);
	return 0;
}
