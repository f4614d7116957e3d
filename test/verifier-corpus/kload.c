/* kload: load one raw eBPF program into the running kernel through bpf(BPF_PROG_LOAD) and
 * print the verifier's verdict and log. The kernel-agreement test compiles it with gcc
 * against libbpf and feeds it one case per run on stdin, one directive a line:
 *
 *   prog_type N            numeric enum bpf_prog_type
 *   attach_type N          expected_attach_type (optional)
 *   license S              default GPL
 *   log_level N            default 5 (BPF_LOG_LEVEL1 | BPF_LOG_STATS)
 *   map TYPE KEY VALUE MAX FLAGS [INNER]   create a map; INNER is the index of an earlier
 *                          map used as inner_map_fd (map-in-map)
 *   insns HEX              the bytecode
 *   reloc SLOT MAPIDX      LD_IMM64 at SLOT refers to map MAPIDX (imm := its fd)
 *
 *   load                   load the case described so far, print its result, start afresh
 *   obj PATH PROG          load program PROG of the ELF object PATH through libbpf (maps,
 *                          BTF and line info as bpftool would), print its result
 *
 * Output per case: "verdict accept" or "verdict reject ERRNO" (or "error MSG"), then "log",
 * the verifier log, and a line "@@end".
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MAPS 64
#define MAX_INSNS (1 << 20)
#define LOG_SIZE (64u << 20)

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Print the log, or its last LOG_TAIL bytes from a line start: the verdict's reason and the
 * statistics are at the end, and whole logs of long explorations overwhelm the reader.
 * KLOAD_LOG_TAIL=BYTES changes the limit (debugging). */
#define LOG_TAIL (1u << 20)
static void print_log(const char *log)
{
	size_t n = strlen(log);
	const char *env = getenv("KLOAD_LOG_TAIL");
	size_t tail = env ? strtoul(env, NULL, 0) : LOG_TAIL;
	if (n > tail) {
		const char *p = strchr(log + n - tail, '\n');
		log = p ? p + 1 : log + n - tail;
	}
	printf("log\n%s\n", log);
}

static int load(int prog_type, int attach_type, const char *license, int log_level,
		unsigned char *code, size_t nbytes, char *log)
{
	LIBBPF_OPTS(bpf_prog_load_opts, po);
	po.expected_attach_type = attach_type;
	po.log_buf = log;
	po.log_size = LOG_SIZE;
	/* By default ask for statistics only, and for the instruction log only when the
	 * program is refused: the log of a long accepted exploration costs more than the
	 * verification itself. */
	po.log_level = log_level == 5 ? 4 : log_level;
	log[0] = 0;
	int fd = bpf_prog_load(prog_type, "kcase", license, (struct bpf_insn *)code, nbytes / 8, &po);
	int err = fd < 0 ? errno : 0;
	if (fd < 0 && po.log_level != (__u32)log_level) {
		po.log_level = log_level;
		log[0] = 0;
		fd = bpf_prog_load(prog_type, "kcase", license, (struct bpf_insn *)code, nbytes / 8, &po);
		err = fd < 0 ? errno : 0;
	}
	if (fd < 0 && err == ENOSPC) {
		/* The log did not fit: ask again without a log for the verdict alone. */
		LIBBPF_OPTS(bpf_prog_load_opts, p0);
		p0.expected_attach_type = attach_type;
		fd = bpf_prog_load(prog_type, "kcase", license, (struct bpf_insn *)code, nbytes / 8, &p0);
		err = fd < 0 ? errno : 0;
	}
	if (fd >= 0) {
		printf("verdict accept\n");
		close(fd);
	} else {
		printf("verdict reject %d\n", err);
	}
	print_log(log);
	return 0;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Whether a verifier log holds nothing but the statistics of a successful run. */
static int only_stats(const char *log)
{
	const char *l = log;
	int seen = 0;

	while (*l) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (n && strncmp(l, "verification time", 17) && strncmp(l, "stack depth", 11) &&
		    strncmp(l, "processed ", 10) && strncmp(l, "Func#", 5))
			return 0;
		if (!strncmp(l, "processed ", 10))
			seen = 1;
		l += n + (e ? 1 : 0);
	}
	return seen;
}

/* Load one program of an object: every other program is left out, as `bpftool prog load`
 * would load them all and fail on the first refusal. */
static void load_obj(const char *path, const char *prog_name, char *log)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog, *want = NULL;

	if (!obj) {
		printf("error open %s: %s\n", path, strerror(errno));
		return;
	}
	/* No pinning: a corpus run must not leave maps in bpffs. */
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
	bpf_object__for_each_program(prog, obj) {
		if (!strcmp(bpf_program__name(prog), prog_name)) {
			want = prog;
			bpf_program__set_autoload(prog, true);
		} else {
			bpf_program__set_autoload(prog, false);
		}
	}
	if (!want) {
		printf("error no program %s in %s\n", prog_name, path);
		bpf_object__close(obj);
		return;
	}
	log[0] = 0;
	bpf_program__set_log_buf(want, log, LOG_SIZE);
	bpf_program__set_log_level(want, 5);
	int err = bpf_object__load(obj);
	if (!err || only_stats(log))
		/* The verifier accepted the program even if libbpf failed after it
		 * (e.g. filling a PROG_ARRAY slot with a program left out here). */
		printf("verdict accept\n");
	else if (!log[0])
		/* Not the verifier: libbpf failed before or after the load (e.g. a PROG_ARRAY
		 * initialised with programs left out here). */
		printf("error libbpf: %s\n", strerror(-err));
	else
		printf("verdict reject %d\n", -err);
	print_log(log);
	bpf_object__close(obj);
}

int main(void)
{
	static char line[1 << 24];
	static unsigned char code[MAX_INSNS * 8];
	char *log = calloc(1, LOG_SIZE);
	libbpf_set_print(silent);
	int prog_type = 0, attach_type = 0, log_level = 5;
	char license[64] = "GPL";
	int fds[MAX_MAPS], nmaps = 0;
	size_t nbytes = 0;
	const char *error = NULL;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "prog_type ", 10)) {
			prog_type = atoi(line + 10);
		} else if (!strncmp(line, "attach_type ", 12)) {
			attach_type = atoi(line + 12);
		} else if (!strncmp(line, "log_level ", 10)) {
			log_level = atoi(line + 10);
		} else if (!strncmp(line, "license ", 8)) {
			snprintf(license, sizeof(license), "%.63s", line + 8);
		} else if (!strncmp(line, "map ", 4)) {
			int type, key, value, max, flags, inner = -1;
			LIBBPF_OPTS(bpf_map_create_opts, mo);

			if (sscanf(line + 4, "%d %d %d %d %d %d", &type, &key, &value, &max, &flags, &inner) < 5 ||
			    nmaps >= MAX_MAPS) {
				error = "bad map line";
				continue;
			}
			mo.map_flags = flags;
			if (inner >= 0 && inner < nmaps)
				mo.inner_map_fd = fds[inner];
			fds[nmaps] = bpf_map_create(type, NULL, key, value, max, &mo);
			if (fds[nmaps] < 0) {
				static char msg[128];
				snprintf(msg, sizeof(msg), "map %d create: %s", nmaps, strerror(errno));
				error = msg;
				continue;
			}
			nmaps++;
		} else if (!strncmp(line, "insns ", 6)) {
			const char *h = line + 6;
			for (nbytes = 0; h[0] && h[1] && nbytes < sizeof(code); h += 2)
				code[nbytes++] = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
		} else if (!strncmp(line, "reloc ", 6)) {
			int slot, idx;

			if (sscanf(line + 6, "%d %d", &slot, &idx) != 2 || idx < -1 || idx >= nmaps ||
			    (size_t)slot * 8 + 8 > nbytes) {
				error = "bad reloc line";
				continue;
			}
			/* -1: a map the case does not define, i.e. an invalid fd */
			memcpy(&code[slot * 8 + 4], idx < 0 ? &idx : &fds[idx], 4);
		} else if (!strncmp(line, "obj ", 4)) {
			char *path = line + 4, *name = strchr(path, ' ');

			if (!name) {
				printf("error bad obj line\n");
			} else {
				*name++ = 0;
				load_obj(path, name, log);
			}
			printf("@@end\n");
			fflush(stdout);
		} else if (!strcmp(line, "load")) {
			if (error)
				printf("error %s\n", error);
			else
				load(prog_type, attach_type, license, log_level, code, nbytes, log);
			printf("@@end\n");
			fflush(stdout);
			for (int i = 0; i < nmaps; i++)
				close(fds[i]);
			nmaps = 0;
			nbytes = 0;
			prog_type = attach_type = 0;
			log_level = 5;
			snprintf(license, sizeof(license), "GPL");
			error = NULL;
		}
	}
	free(log);
	return 0;
}
