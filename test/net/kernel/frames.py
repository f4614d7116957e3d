#!/usr/bin/env python3
"""Send raw Ethernet frames and capture what arrives, across network namespaces, in one process.

Used by test/net/kernel-topology.test.ts. Reads a JSON job on stdin:

  {"captures": [{"ns": NS, "dev": DEV}, ...],          AF_PACKET receivers, opened first
   "sends":    [{"ns": NS, "dev": DEV, "frame": HEX}, ...],  sent in this order, one at a time
   "ethtool":  [{"ns": NS, "dev": DEV}, ...],           ETHTOOL_GSTATS read after the capture
   "gap_ms": 2, "quiet_ms": 300}

and prints {"captures": [[{"hex": HEX, "pkttype": N}, ...], ...], "ethtool": [{name: value}, ...]}.
Each socket lives in the namespace it was opened in (setns(2) before socket(2)), so one
single-threaded process can send in one namespace and listen in others. Frames a capture
socket sees leaving its device (PACKET_OUTGOING) are skipped: only arrivals are reported,
which is where tcpdump's "in" direction and chainlab's 'rx' tap sit (after XDP, before tc ingress).
A VLAN tag the stack took off the frame is put back from PACKET_AUXDATA, as libpcap does.
"""
import array
import ctypes
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO = 0x03
ETHTOOL_GSTRINGS = 0x1B
ETHTOOL_GSTATS = 0x1D
ETH_SS_STATS = 1
ETH_GSTRING_LEN = 32

libc = ctypes.CDLL(None, use_errno=True)
home = os.open('/proc/self/ns/net', os.O_RDONLY)


def enter(ns):
    fd = os.open(f'/var/run/netns/{ns}', os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f'setns {ns}: {os.strerror(err)}')
    finally:
        os.close(fd)


def leave():
    if libc.setns(home, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns back')


def packet_socket(ns, dev):
    enter(ns)
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((dev, ETH_P_ALL))
    finally:
        leave()
    return s


def with_vlan_tag(data, anc):
    """Put back the VLAN tag the stack moved into the skb (skb_vlan_untag), as libpcap does."""
    for level, kind, raw in anc:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(raw) < 20:
            continue
        status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', raw[:20])
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return data[:12] + struct.pack('!HH', tpid, tci) + data[12:]
    return data


def ethtool(sock, dev, cmd_buf):
    addr, _ = cmd_buf.buffer_info()
    ifr = struct.pack('16sP', dev.encode(), addr)
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)


def ethtool_stats(ns, dev):
    """What `ethtool -S dev` prints, through the SIOCETHTOOL ioctl (no ethtool binary needed)."""
    enter(ns)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    finally:
        leave()
    try:
        # struct ethtool_drvinfo: cmd, driver[32], version[32], fw_version[32], bus_info[32],
        # erom_version[32], reserved2[12], n_priv_flags, n_stats, testinfo_len, eedump_len, regdump_len
        info = array.array('B', struct.pack('I', ETHTOOL_GDRVINFO) + bytes(196))
        ethtool(s, dev, info)
        n_stats = struct.unpack_from('I', info.tobytes(), 4 + 32 * 5 + 12 + 4)[0]
        strings = array.array('B', struct.pack('III', ETHTOOL_GSTRINGS, ETH_SS_STATS, n_stats) + bytes(n_stats * ETH_GSTRING_LEN))
        ethtool(s, dev, strings)
        stats = array.array('B', struct.pack('II', ETHTOOL_GSTATS, n_stats) + bytes(n_stats * 8))
        ethtool(s, dev, stats)
        names = strings.tobytes()[12:]
        values = stats.tobytes()[8:]
        out = {}
        for i in range(n_stats):
            name = names[i * ETH_GSTRING_LEN:(i + 1) * ETH_GSTRING_LEN].split(b'\0', 1)[0].decode()
            out[name] = struct.unpack_from('Q', values, i * 8)[0]
        return out
    finally:
        s.close()


def main():
    job = json.load(sys.stdin)
    gap = job.get('gap_ms', 2) / 1000
    quiet = job.get('quiet_ms', 300) / 1000
    caps = [packet_socket(c['ns'], c['dev']) for c in job.get('captures', [])]
    senders = {}
    for snd in job.get('sends', []):
        key = (snd['ns'], snd['dev'])
        if key not in senders:
            senders[key] = packet_socket(*key)
    got = [[] for _ in caps]

    def drain(timeout):
        while True:
            ready, _, _ = select.select(caps, [], [], timeout)
            if not ready:
                return
            for s in ready:
                data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
                data = with_vlan_tag(data, anc)
                if addr[2] != PACKET_OUTGOING:
                    got[caps.index(s)].append({'hex': data.hex(), 'pkttype': addr[2]})

    for snd in job.get('sends', []):
        senders[(snd['ns'], snd['dev'])].send(bytes.fromhex(snd['frame']))
        drain(0)
        time.sleep(gap)
    if caps:
        drain(quiet)
    stats = [ethtool_stats(e['ns'], e['dev']) for e in job.get('ethtool', [])]
    json.dump({'captures': got, 'ethtool': stats}, sys.stdout)


main()
