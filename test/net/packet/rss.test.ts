import { describe, expect, it } from 'vitest';
import { MICROSOFT_RSS_KEY, ToeplitzHasher, buildPacket, flowKey, parseIp4, parseIp6, rssQueue } from '../../../src/net/packet/index.ts';

/**
 * Microsoft's "Verifying the RSS Hash Calculation" suite (same table in the Intel 82599
 * datasheet §7.1.2.8.3): destination, source, then the IPv4/IPv6-only and with-TCP hashes.
 */
const V4: [string, number, string, number, number, number][] = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];
const V6: [string, number, string, number, number, number][] = [
  ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
  ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
  ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
];

const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
const h = new ToeplitzHasher(MICROSOFT_RSS_KEY);

describe('Toeplitz RSS hash: verification suite', () => {
  it.each(V4)('IPv4 %s:%d ← %s:%d', (dst, dport, src, sport, two, four) => {
    const tcp = buildPacket([eth, { kind: 'ipv4', src, dst }, { kind: 'tcp', sport, dport }]);
    const k = flowKey(tcp);
    expect(k).not.toBeNull();
    expect(h.hashFlow(k!, 'l3')).toBe(two);
    expect(h.hashFlow(k!, 'l4')).toBe(four);
    // The raw input layout: src, dst, sport, dport.
    const input = new Uint8Array(12);
    input.set(parseIp4(src), 0);
    input.set(parseIp4(dst), 4);
    new DataView(input.buffer).setUint16(8, sport);
    new DataView(input.buffer).setUint16(10, dport);
    expect(h.hash(input, 0, 8)).toBe(two);
    expect(h.hash(input)).toBe(four);
  });

  it.each(V6)('IPv6 %s:%d ← %s:%d', (dst, dport, src, sport, two, four) => {
    const tcp = buildPacket([eth, { kind: 'ipv6', src, dst }, { kind: 'tcp', sport, dport }]);
    const k = flowKey(tcp)!;
    expect(h.hashFlow(k, 'l3')).toBe(two);
    expect(h.hashFlow(k, 'l4')).toBe(four);
    const input = new Uint8Array(36);
    input.set(parseIp6(src), 0);
    input.set(parseIp6(dst), 16);
    new DataView(input.buffer).setUint16(32, sport);
    new DataView(input.buffer).setUint16(34, dport);
    expect(h.hash(input)).toBe(four);
  });

  it('UDP hashes as 4-tuple; fragments and port-less protocols fall back to 2-tuple', () => {
    const [dst, dport, src, sport, two, four] = V4[0];
    const ip = { kind: 'ipv4', src, dst } as const;
    expect(h.hashFlow(flowKey(buildPacket([eth, ip, { kind: 'udp', sport, dport }]))!)).toBe(four);
    const frag = buildPacket([eth, { ...ip, mf: true }, { kind: 'udp', sport, dport }]);
    expect(flowKey(frag)!.fragment).toBe(true);
    expect(h.hashFlow(flowKey(frag)!)).toBe(two);
    expect(h.hashFlow(flowKey(buildPacket([eth, ip, { kind: 'icmp', type: 8 }]))!)).toBe(two);
  });

  it('looks through VLAN tags and IPv6 extension headers', () => {
    const [dst, dport, src, sport, , four] = V6[0];
    const p = buildPacket([
      eth,
      { kind: 'vlan', vid: 100, tpid: 0x88a8 },
      { kind: 'vlan', vid: 5 },
      { kind: 'ipv6', src, dst, extensions: [{ type: 0 }, { type: 60, data: new Uint8Array(10) }] },
      { kind: 'tcp', sport, dport },
    ]);
    expect(h.hashFlow(flowKey(p)!)).toBe(four);
  });

  it('maps hashes onto queues through the default indirection table', () => {
    expect(rssQueue(0x51ccc178, 4)).toBe((0x78 & 127) % 4);
    expect(() => rssQueue(1, 4, 100)).toThrow(/power of two/);
    expect(() => h.hash(new Uint8Array(37))).toThrow(/exceeds/);
  });
});
