/**
 * Packets for differential runs: well-formed frames of every protocol the fixtures parse, the
 * same frames truncated at every header boundary and in between, deliberately broken headers,
 * and seeded random bytes. Deterministic: the same list every time.
 */
import { buildPacket, type LayerSpec } from '../../../src/net/packet/build.ts';

const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';
const payload = (n: number, seed = 1): { kind: 'raw'; bytes: Uint8Array } => ({
  kind: 'raw',
  bytes: Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff),
});
const eth = (dst = MAC_B): LayerSpec => ({ kind: 'eth', dst, src: MAC_A });

export interface CorpusPacket {
  name: string;
  bytes: Uint8Array;
}

/** xorshift32: test data only. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function packetCorpus(opts: { truncations?: boolean; random?: number } = {}): CorpusPacket[] {
  const base: [string, LayerSpec[]][] = [
    ['udp4-dns', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80' }, { kind: 'udp', sport: 40000, dport: 53 }, payload(20)]],
    ['udp4-ntp', [eth(), { kind: 'ipv4', src: '192.168.2.7', dst: '10.0.0.81' }, { kind: 'udp', sport: 123, dport: 123 }, payload(48, 2)]],
    ['udp4-nocsum', [eth(), { kind: 'ipv4', src: '192.168.1.11', dst: '10.0.0.80' }, { kind: 'udp', sport: 5000, dport: 53, checksum: 'none' }, payload(9)]],
    ['tcp4-syn', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80', df: true }, { kind: 'tcp', sport: 33000, dport: 80, flags: 0x02, seq: 1000 }]],
    ['tcp4-data', [eth(), { kind: 'ipv4', src: '172.16.0.5', dst: '10.0.0.80' }, { kind: 'tcp', sport: 443, dport: 51000, flags: 0x18, seq: 77, ack: 99 }, payload(100, 3)]],
    ['icmp4-echo', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.1' }, { kind: 'icmp', type: 8, id: 7, seq: 1 }, payload(32, 4)]],
    ['ipv4-opts-udp', [eth(), { kind: 'ipv4', src: '192.168.1.12', dst: '10.0.0.80', options: [{ type: 1, data: new Uint8Array() }, { type: 1, data: new Uint8Array() }, { type: 1, data: new Uint8Array() }, { type: 0, data: new Uint8Array() }] }, { kind: 'udp', sport: 1, dport: 53 }, payload(4)]],
    ['ipv4-frag', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80', mf: true, fragOffset: 0 }, { kind: 'udp', sport: 7, dport: 53 }, payload(16, 5)]],
    ['ipv4-later-frag', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80', fragOffset: 8, protocol: 17 }, payload(24, 6)]],
    ['udp6', [eth(), { kind: 'ipv6', src: '2001:db8::1', dst: '2001:db8::80' }, { kind: 'udp', sport: 4000, dport: 53 }, payload(12, 7)]],
    ['tcp6', [eth(), { kind: 'ipv6', src: '2001:db8::2', dst: '2001:db8::80' }, { kind: 'tcp', sport: 4001, dport: 443, flags: 0x10 }, payload(10, 8)]],
    ['icmp6-echo', [eth(), { kind: 'ipv6', src: 'fe80::1', dst: 'fe80::2' }, { kind: 'icmpv6', type: 128, id: 1, seq: 2 }, payload(8, 9)]],
    ['vlan-udp4', [eth(), { kind: 'vlan', vid: 100 }, { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80' }, { kind: 'udp', sport: 1234, dport: 53 }, payload(8, 10)]],
    ['qinq-tcp4', [eth(), { kind: 'vlan', vid: 10, tpid: 0x88a8 }, { kind: 'vlan', vid: 20 }, { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80' }, { kind: 'tcp', sport: 1, dport: 2 }]],
    ['vlan-udp6', [eth(), { kind: 'vlan', vid: 7 }, { kind: 'ipv6', src: '2001:db8::3', dst: '2001:db8::4' }, { kind: 'udp', sport: 9, dport: 10 }, payload(3)]],
    ['arp', [eth('ff:ff:ff:ff:ff:ff'), { kind: 'arp', op: 1, sha: MAC_A, spa: '192.168.1.10', tpa: '192.168.1.1' }]],
    ['ipip', [eth(), { kind: 'ipv4', src: '10.1.0.1', dst: '10.1.0.2' }, { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80' }, { kind: 'udp', sport: 5, dport: 53 }, payload(6)]],
    ['to-host-mac', [eth('00:00:00:00:00:00'), { kind: 'ipv4', src: '192.168.1.10', dst: '127.0.0.1' }, { kind: 'udp', sport: 5, dport: 6 }]],
    ['multicast-mac', [eth('01:00:5e:00:00:01'), { kind: 'ipv4', src: '192.168.1.10', dst: '224.0.0.1' }, { kind: 'udp', sport: 5, dport: 6 }]],
    ['big-udp4', [eth(), { kind: 'ipv4', src: '192.168.1.10', dst: '10.0.0.80' }, { kind: 'udp', sport: 40000, dport: 53 }, payload(1400, 11)]],
  ];
  const out: CorpusPacket[] = base.map(([name, layers]) => ({ name, bytes: buildPacket(layers) }));
  // Broken headers: a bad IHL, an IPv4 total length beyond the frame, a TCP data offset below 5.
  const bad = (name: string, from: string, off: number, v: number): void => {
    const p = out.find((x) => x.name === from);
    if (!p) return;
    const b = p.bytes.slice();
    b[off] = v;
    out.push({ name, bytes: b });
  };
  bad('ipv4-ihl-3', 'udp4-dns', 14, 0x43);
  bad('ipv4-ihl-15', 'udp4-dns', 14, 0x4f);
  bad('ipv4-totlen-huge', 'udp4-dns', 16, 0xff);
  bad('tcp-doff-2', 'tcp4-syn', 14 + 20 + 12, 0x20);
  bad('not-ipv4-version', 'udp4-dns', 14, 0x65);
  if (opts.truncations ?? true) {
    for (const name of ['udp4-dns', 'tcp4-syn', 'udp6', 'vlan-udp4', 'qinq-tcp4', 'icmp4-echo', 'ipip']) {
      const p = out.find((x) => x.name === name);
      if (!p) continue;
      for (const len of [14, 15, 17, 18, 22, 33, 34, 35, 38, 41, 42, 46, 53, 54, 57, 58, 62]) {
        if (len < p.bytes.length) out.push({ name: `${name}-cut${len}`, bytes: p.bytes.slice(0, len) });
      }
    }
  }
  const r = rng(0xc0ffee);
  for (let i = 0; i < (opts.random ?? 12); i++) {
    const len = 14 + (r() % 120);
    const b = Uint8Array.from({ length: len }, () => r() & 0xff);
    // Half of them look like IPv4/IPv6 to reach deeper parsing.
    if (i % 2 === 0) {
      b[12] = i % 4 === 0 ? 0x08 : 0x86;
      b[13] = i % 4 === 0 ? 0x00 : 0xdd;
      if (i % 4 === 0 && len > 14) b[14] = 0x45;
    }
    out.push({ name: `random-${i}`, bytes: b });
  }
  return out;
}
