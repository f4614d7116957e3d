#!/usr/bin/env python3
"""Update a pinned map entry whose value carries a program fd: struct bpf_devmap_val and
struct bpf_cpumap_val put `bpf_prog.fd` at byte 4, and bpftool can only pass an fd as the
whole value (prog arrays). Opens the pinned map and program (BPF_OBJ_GET), writes the program's
fd into the value at the given offset and calls BPF_MAP_UPDATE_ELEM.

    prog_value.py MAP_PIN KEY_HEX VALUE_HEX PROG_PIN FD_OFFSET

A DEVMAP resolves the ifindex in the namespace of the updating process: run it there
(ip netns exec NS python3 prog_value.py ...).
"""
import ctypes
import os
import platform
import struct
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
BPF_MAP_UPDATE_ELEM = 2
BPF_OBJ_GET = 7
ATTR_SIZE = 128

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd: int, attr: bytes) -> int:
    buf = ctypes.create_string_buffer(attr.ljust(ATTR_SIZE, b"\0"), ATTR_SIZE)
    r = libc.syscall(SYS_BPF, cmd, buf, ATTR_SIZE)
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf({cmd}): {os.strerror(err)}")
    return r


def obj_get(path: str) -> int:
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("<QII", ctypes.addressof(p), 0, 0))


def main() -> None:
    map_pin, key_hex, value_hex, prog_pin, off = sys.argv[1:6]
    key = ctypes.create_string_buffer(bytes.fromhex(key_hex), len(key_hex) // 2)
    value = bytearray.fromhex(value_hex)
    prog_fd = obj_get(prog_pin)
    struct.pack_into("<i", value, int(off), prog_fd)
    val = ctypes.create_string_buffer(bytes(value), len(value))
    map_fd = obj_get(map_pin)
    bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<I4xQQQ", map_fd, ctypes.addressof(key), ctypes.addressof(val), 0))


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
