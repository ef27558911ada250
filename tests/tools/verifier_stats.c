// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* verifier_stats: load every program of BPF objects into the running kernel (maps
 * unpinned, nothing attached, all released on exit) and print, per program, whether
 * the verifier accepted it and how many instructions it processed. Used by the VM
 * tier and by hand to report the verifier's work on each kernel we claim to support.
 *
 * Usage: verifier_stats [-v] OBJ...     (-v: log the walk, print the log on failure)
 * Output, one line per program:
 *   xlb_xdp.bpf.o xlb_xdp: ok, processed 123456 insns, kernel 6.1.0-57-amd64
 *   xlb_xdp.bpf.o xlb_xdp: FAILED (Argument list too long), processed 1000001 insns, ...
 * Exit status: 0 when every program loaded, 1 when one failed, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (64u << 20) /* a failing 1M-insn walk logs a lot at level 1 */

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* "processed N insns" from the verifier's statistics line, or -1 */
static long processed_insns(const char *log)
{
	const char *p = NULL, *q = log;
	long n = -1;

	while ((q = strstr(q, "processed ")) != NULL)
		p = q++; /* the summary is the last occurrence */
	if (p && sscanf(p, "processed %ld insns", &n) != 1)
		n = -1;
	return n;
}

/* The last @lines lines of @log */
static const char *log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && lines >= 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	return p == log ? p : p + 1;
}

static int check_object(const char *path, const char *kernel, int verbose, char *log)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int err, failed = 0;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "verifier_stats: %s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL); /* never touch the host's pins */
	bpf_object__for_each_program(prog, obj) {
		/* 4: the statistics line only. 1 adds the instruction walk and
		 * the error text; on a 1M-insn failure that overflows any buffer,
		 * which 6.1 reports as ENOSPC instead of the real error: -v only */
		bpf_program__set_log_level(prog, verbose ? 1 | 4 : 4);
		bpf_program__set_log_buf(prog, log, LOG_SIZE);
	}
	log[0] = '\0';
	err = bpf_object__load(obj);
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		long n = processed_insns(log);

		if (!err) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) &&
			    info.verified_insns)
				n = info.verified_insns;
			printf("%s %s: ok, processed %ld insns, kernel %s\n", base, name, n,
			       kernel);
			continue;
		}
		failed = 1;
		printf("%s %s: FAILED (%s), processed %ld insns, kernel %s\n", base, name,
		       strerror(-err), n, kernel);
		fputs(verbose ? log : log_tail(log, 12), stdout);
		break; /* libbpf stops at the first program that fails */
	}
	bpf_object__close(obj);
	return failed;
}

int main(int argc, char **argv)
{
	struct utsname u;
	int verbose = 0, failed = 0, i = 1;
	char *log;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: verifier_stats [-v] OBJ...\n");
		return 2;
	}
	if (uname(&u))
		strcpy(u.release, "unknown");
	log = malloc(LOG_SIZE);
	if (!log) {
		fprintf(stderr, "verifier_stats: out of memory\n");
		return 1;
	}
	libbpf_set_print(verbose ? NULL : quiet_print);
	for (; i < argc; i++)
		failed |= check_object(argv[i], u.release, verbose, log);
	free(log);
	return failed;
}
