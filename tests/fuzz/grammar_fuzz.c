// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libFuzzer target for the command grammar (common/grammar.c): grammar_split and
 * grammar_parse of one line, and the round trip the config and state files rely
 * on: whatever parses prints (grammar_print), and split + parse of the printed
 * line gives a memcmp-equal struct gr_cmd, which prints as the same line.
 * Seeds: tests/fuzz/corpus/grammar/ (one command line per file).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/grammar.h"

#define LINE_BUF 4096 /* longer inputs are cut: the config reader's lines are shorter */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* err must be a NUL-terminated, non-empty message after a failure */
static void check_err(int ret, const char *err, size_t len)
{
	if (ret != -EINVAL || !memchr(err, 0, len) || !err[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[LINE_BUF], printed[GR_LINE_MAX], reprinted[GR_LINE_MAX];
	static char copy[GR_LINE_MAX];
	char *argv[GR_MAX_WORDS], *argv2[GR_MAX_WORDS];
	struct gr_cmd c, c2;
	char err[256];
	int argc, argc2, ret, i;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';

	memset(err, 0xff, sizeof(err));
	ret = grammar_split(line, argv, GR_MAX_WORDS, &argc, err, sizeof(err));
	if (ret) {
		check_err(ret, err, sizeof(err));
		return 0;
	}
	if (argc < 0 || argc > GR_MAX_WORDS)
		abort();
	for (i = 0; i < argc; i++)
		if (!argv[i] || argv[i] < line || argv[i] >= line + sizeof(line))
			abort();
	if (argc == 0)
		return 0;

	memset(err, 0xff, sizeof(err));
	ret = grammar_parse(argc, argv, &c, err, sizeof(err));
	if (ret) {
		check_err(ret, err, sizeof(err));
		return 0;
	}

	/* the round trip: print, split + parse the printed line, compare */
	if (grammar_print(&c, printed, sizeof(printed)))
		abort();
	if (!memchr(printed, 0, sizeof(printed)) || !printed[0])
		abort();
	memcpy(copy, printed, sizeof(copy));
	if (grammar_split(copy, argv2, GR_MAX_WORDS, &argc2, err, sizeof(err)) || argc2 == 0)
		abort();
	if (grammar_parse(argc2, argv2, &c2, err, sizeof(err)))
		abort();
	if (memcmp(&c, &c2, sizeof(c)))
		abort();
	/* and the canonical line is a fixed point */
	if (grammar_print(&c2, reprinted, sizeof(reprinted)) || strcmp(printed, reprinted))
		abort();
	return 0;
}
