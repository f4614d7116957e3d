#!/usr/bin/env python3
"""Run raw eBPF programs in the running kernel: each stdin line is bytecode in hex; each program is
loaded as BPF_PROG_TYPE_SOCKET_FILTER and run once by BPF_PROG_TEST_RUN on the packet given as
argv[1] (hex). Prints the u32 retval per line, or "load-error ERRNO: last verifier line" /
"run-error ERRNO". Needs root. Used by record.ts; the tests need neither root nor this script."""
import ctypes, os, struct, sys

BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_PROG_TYPE_SOCKET_FILTER, SYS_bpf = 5, 10, 1, 321  # x86-64
libc = ctypes.CDLL(None, use_errno=True)
license_ = ctypes.create_string_buffer(b'GPL')
log = ctypes.create_string_buffer(1 << 16)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 256)
    r = libc.syscall(SYS_bpf, cmd, buf, len(buf))
    return r, ctypes.get_errno(), buf


def run(code, data):
    insns = ctypes.create_string_buffer(code, len(code))
    # union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log_level, log_size, log_buf, kern_version
    fd, err, _ = bpf(BPF_PROG_LOAD, struct.pack('<IIQQIIQI', BPF_PROG_TYPE_SOCKET_FILTER, len(code) // 8, ctypes.addressof(insns),
                                               ctypes.addressof(license_), 1, len(log), ctypes.addressof(log), 0))
    if fd < 0:
        lines = log.value.decode(errors='replace').strip().splitlines()
        return 'load-error %d: %s' % (err, lines[-1] if lines else '')
    d = ctypes.create_string_buffer(data, len(data))
    out = ctypes.create_string_buffer(4096)
    # BPF_PROG_TEST_RUN: prog_fd, retval, data_size_in, data_size_out, data_in, data_out, repeat, duration, ctx sizes
    r, err, buf = bpf(BPF_PROG_TEST_RUN, struct.pack('<IIIIQQIIII', fd, 0, len(data), len(out), ctypes.addressof(d),
                                                     ctypes.addressof(out), 1, 0, 0, 0))
    os.close(fd)
    return 'run-error %d' % err if r < 0 else str(struct.unpack_from('<I', buf.raw, 4)[0])


packet = bytes.fromhex(sys.argv[1])
for line in sys.stdin:
    if line.strip():
        print(run(bytes.fromhex(line.strip()), packet), flush=True)
