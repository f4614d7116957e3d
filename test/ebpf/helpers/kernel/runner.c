// Runs one BPF program (BPF_PROG_TEST_RUN) over packets read as hex lines from stdin and prints
// "retval hex_data_out" per line. Build: gcc -O2 -o runner runner.c -lbpf -lelf -lz
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int hexval(char c){ if(c>='0'&&c<='9')return c-'0'; if(c>='a'&&c<='f')return c-'a'+10; if(c>='A'&&c<='F')return c-'A'+10; return -1; }
int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: runner obj prog\n"); return 2; }
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) { perror("open"); return 1; }
  if (bpf_object__load(obj)) { fprintf(stderr, "load failed\n"); return 1; }
  struct bpf_program *p = bpf_object__find_program_by_name(obj, argv[2]);
  if (!p) { fprintf(stderr, "no prog\n"); return 1; }
  int fd = bpf_program__fd(p);
  static char line[1 << 20]; static unsigned char in[1 << 19], out[1 << 19];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = 0; for (char *c = line; c[0] && c[1] && hexval(c[0]) >= 0; c += 2) in[n++] = hexval(c[0]) * 16 + hexval(c[1]);
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = n, .data_out = out, .data_size_out = sizeof out, .repeat = 1);
    int err = bpf_prog_test_run_opts(fd, &o);
    if (err) { printf("ERR %d\n", err); continue; }
    printf("%u ", o.retval);
    for (unsigned i = 0; i < o.data_size_out; i++) printf("%02x", out[i]);
    printf("\n");
  }
  return 0;
}
