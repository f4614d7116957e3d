/** build → decode round trips (property tests) and checksum verification. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Layer,
  type LayerSpec,
  type TcpOption,
  buildPacket,
  decode,
  foldComplement,
  formatIp4,
  formatIp6,
  formatMac,
  onesSum,
} from '../../../src/net/packet/index.ts';

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const mac = bytes(6);
const ip4 = bytes(4);
const ip6 = bytes(16);
const port = fc.integer({ min: 0, max: 65535 });
const u32 = fc.nat({ max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 300 });

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.record({ kind: fc.constant('mss' as const), mss: port }),
  fc.record({ kind: fc.constant('wscale' as const), shift: fc.integer({ min: 0, max: 14 }) }),
  fc.constant<TcpOption>({ kind: 'sackOk' }),
  fc.record({ kind: fc.constant('timestamp' as const), tsval: u32, tsecr: u32 }),
  fc.record({ kind: fc.constant('sack' as const), blocks: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 2 }) }),
);
// Options must fit 40 bytes: at most 3 of the above (≤ 10 bytes... sack ≤ 18).
const tcpOptions = fc.array(tcpOption, { maxLength: 2 });

const l4 = fc.oneof(
  fc.record({
    kind: fc.constant('tcp' as const),
    sport: port,
    dport: port,
    seq: u32,
    ack: u32,
    flags: fc.integer({ min: 0, max: 0x1ff }),
    window: port,
    urgent: port,
    options: tcpOptions,
  }),
  fc.record({ kind: fc.constant('udp' as const), sport: port, dport: port }),
);

const v4 = fc.record({
  kind: fc.constant('ipv4' as const),
  src: ip4,
  dst: ip4,
  tos: fc.integer({ min: 0, max: 255 }),
  id: port,
  df: fc.boolean(),
  ttl: fc.integer({ min: 0, max: 255 }),
  options: fc.array(fc.constantFrom({ type: 1, data: new Uint8Array(0) }, { type: 148, data: new Uint8Array(2) }), { maxLength: 3 }),
});
const v6 = fc.record({
  kind: fc.constant('ipv6' as const),
  src: ip6,
  dst: ip6,
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  hopLimit: fc.integer({ min: 0, max: 255 }),
  extensions: fc.array(
    fc.oneof(
      fc.record({ type: fc.constantFrom(0 as const, 60 as const, 43 as const), data: fc.uint8Array({ maxLength: 20 }) }),
      fc.record({ type: fc.constant(44 as const), fragOffset: fc.constant(0), more: fc.constant(false), id: u32 }),
    ),
    { maxLength: 3 },
  ),
});
const vlans = fc.array(fc.record({ kind: fc.constant('vlan' as const), vid: fc.integer({ min: 0, max: 4095 }), pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean() }), { maxLength: 2 });

const frame = fc.record({ src: mac, dst: mac, vlans, ip: fc.oneof(v4, v6), l4, payload });

function find<K extends Layer['kind']>(layers: Layer[], kind: K): Extract<Layer, { kind: K }> {
  const l = layers.find((x) => x.kind === kind);
  if (!l) throw new Error(`no ${kind} layer in ${JSON.stringify(layers.map((x) => x.kind))}`);
  return l as Extract<Layer, { kind: K }>;
}

describe('build → decode', () => {
  it('recovers every field and verifies every checksum (property)', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const specs: LayerSpec[] = [{ kind: 'eth', src: f.src, dst: f.dst }, ...f.vlans, f.ip, f.l4, { kind: 'raw', bytes: f.payload }];
        const pkt = buildPacket(specs);
        const layers = decode(pkt);
        expect(layers.every((l) => l.kind !== 'truncated' && l.kind !== 'malformed')).toBe(true);
        const eth = find(layers, 'eth');
        expect(eth.src).toBe(formatMac(f.src));
        expect(eth.dst).toBe(formatMac(f.dst));
        const tags = layers.filter((l) => l.kind === 'vlan');
        expect(tags.map((t) => [t.vid, t.pcp, t.dei])).toEqual(f.vlans.map((v) => [v.vid, v.pcp, v.dei]));
        if (f.ip.kind === 'ipv4') {
          const ip = find(layers, 'ipv4');
          expect([ip.src, ip.dst, ip.tos, ip.id, ip.df, ip.ttl, ip.checksumOk]).toEqual([formatIp4(f.ip.src), formatIp4(f.ip.dst), f.ip.tos, f.ip.id, f.ip.df, f.ip.ttl, true]);
          expect(ip.totalLength).toBe(pkt.length - ip.offset);
        } else {
          const ip = find(layers, 'ipv6');
          expect([ip.src, ip.dst, ip.trafficClass, ip.flowLabel, ip.hopLimit]).toEqual([formatIp6(f.ip.src), formatIp6(f.ip.dst), f.ip.trafficClass, f.ip.flowLabel, f.ip.hopLimit]);
          expect(ip.extensions.map((e) => e.type)).toEqual(f.ip.extensions.map((e) => e.type));
          expect(ip.protocol).toBe(f.l4.kind === 'tcp' ? 6 : 17);
        }
        if (f.l4.kind === 'tcp') {
          const t = find(layers, 'tcp');
          expect([t.sport, t.dport, t.seq, t.ack, t.flags, t.window, t.urgent, t.checksumOk]).toEqual([f.l4.sport, f.l4.dport, f.l4.seq, f.l4.ack, f.l4.flags, f.l4.window, f.l4.urgent, true]);
          // Options come back as written, plus EOL padding.
          expect(t.options.filter((o) => o.kind !== 'eol')).toEqual(f.l4.options);
          expect(t.payloadLength).toBe(f.payload.length);
        } else {
          const u = find(layers, 'udp');
          expect([u.sport, u.dport, u.checksumOk, u.payloadLength]).toEqual([f.l4.sport, f.l4.dport, true, f.payload.length]);
          expect(u.checksum).not.toBe(0); // a computed 0 goes out as 0xffff
        }
        if (f.payload.length > 0) {
          const p = find(layers, 'payload');
          expect(pkt.subarray(p.offset, p.offset + p.length)).toEqual(f.payload);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('flipping any byte covered by a checksum is detected (property)', () => {
    fc.assert(
      fc.property(frame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, where, delta) => {
        const pkt = buildPacket([{ kind: 'eth', src: f.src, dst: f.dst }, f.ip, f.l4, { kind: 'raw', bytes: f.payload }]);
        const layers = decode(pkt);
        const l4 = layers.find((l) => l.kind === 'tcp' || l.kind === 'udp') as Extract<Layer, { kind: 'tcp' | 'udp' }>;
        // Corrupt one byte of the transport segment, then re-decode: its checksum must fail
        // (a single-byte change always changes the ones'-complement sum).
        const at = l4.offset + (where % (pkt.length - l4.offset));
        const bad = pkt.slice();
        bad[at] = (bad[at] + delta) & 0xff;
        const again = decode(bad).find((l) => l.kind === f.l4.kind) as Extract<Layer, { kind: 'tcp' | 'udp' }> | undefined;
        if (again && 'checksumOk' in again && !(again.kind === 'udp' && again.noChecksum)) {
          // A corrupted UDP length may make the datagram malformed instead; that is detection too.
          expect(again.checksumOk).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ICMP and ICMPv6 echo round-trip with valid checksums', () => {
    const p4 = buildPacket([{ kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'icmp', type: 8, id: 0x1234, seq: 7 }, { kind: 'raw', bytes: new Uint8Array(56).fill(0xab) }]);
    const i4 = find(decode(p4), 'icmp');
    expect([i4.type, i4.id, i4.seq, i4.checksumOk, i4.payloadLength]).toEqual([8, 0x1234, 7, true, 56]);
    const p6 = buildPacket([{ kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, { kind: 'ipv6', src: 'fe80::1', dst: 'ff02::1' }, { kind: 'icmpv6', type: 128, id: 1, seq: 2 }, { kind: 'raw', bytes: new Uint8Array(8) }]);
    const i6 = find(decode(p6), 'icmpv6');
    expect([i6.type, i6.id, i6.seq, i6.checksumOk]).toEqual([128, 1, 2, true]);
    p6[p6.length - 1] ^= 1;
    expect(find(decode(p6), 'icmpv6').checksumOk).toBe(false);
  });

  it('ARP request and reply round-trip', () => {
    const p = buildPacket([{ kind: 'eth', src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }, { kind: 'arp', op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }], { padToMinimum: true });
    expect(p.length).toBe(60);
    const layers = decode(p);
    expect(layers.map((l) => l.kind)).toEqual(['eth', 'arp', 'payload']);
    expect(find(layers, 'arp')).toMatchObject({ op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' });
    expect(find(layers, 'payload')).toMatchObject({ what: 'padding', length: 18 });
  });
});

describe('checksum rules', () => {
  it('RFC 1071 §3 worked example', () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(foldComplement(onesSum(b, 0, 8))).toBe(~0xddf2 & 0xffff);
  });

  it('decodes the committed fixture packet with correct checksums', async () => {
    const { readFileSync } = await import('node:fs');
    const pkt = new Uint8Array(readFileSync('test/fixtures/packets/udp.bin'));
    const layers = decode(pkt);
    expect(find(layers, 'ipv4')).toMatchObject({ src: '192.168.1.10', dst: '10.0.0.80', checksumOk: true });
    expect(find(layers, 'udp')).toMatchObject({ sport: 40000, dport: 53, checksumOk: true, payloadLength: 16 });
  });

  it('UDP zero checksum: "none" over IPv4, invalid over IPv6', () => {
    const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
    const p4 = buildPacket([eth, { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'udp', sport: 1, dport: 2, checksum: 'none' }]);
    expect(find(decode(p4), 'udp')).toMatchObject({ checksum: 0, noChecksum: true, checksumOk: true });
    const p6 = buildPacket([eth, { kind: 'ipv6', src: '::1', dst: '::2' }, { kind: 'udp', sport: 1, dport: 2, checksum: 0 }]);
    expect(find(decode(p6), 'udp')).toMatchObject({ checksum: 0, noChecksum: false, checksumOk: false });
    expect(() => buildPacket([eth, { kind: 'ipv6', src: '::1', dst: '::2' }, { kind: 'udp', sport: 1, dport: 2, checksum: 'none' }])).toThrow(/RFC 8200/);
  });

  it('a computed UDP checksum of 0 is sent as 0xffff', () => {
    // Search a payload word that makes the sum come out 0, then check the encoding.
    const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
    const ip = { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' } as const;
    const base = buildPacket([eth, ip, { kind: 'udp', sport: 1, dport: 2 }, { kind: 'raw', bytes: new Uint8Array(2) }]);
    const c = (base[40] << 8) | base[41]; // checksum with payload word 0
    // Adding word w to the sum subtracts it from the checksum; choose w = c so the result is 0 (−0).
    const w = c;
    const p = buildPacket([eth, ip, { kind: 'udp', sport: 1, dport: 2 }, { kind: 'raw', bytes: Uint8Array.of(w >> 8, w & 0xff) }]);
    expect((p[40] << 8) | p[41]).toBe(0xffff);
    expect(find(decode(p), 'udp').checksumOk).toBe(true);
  });

  it('IPv4 header checksum and options', () => {
    const p = buildPacket([
      { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', options: [{ type: 148, data: Uint8Array.of(0, 0) }, { type: 1, data: new Uint8Array(0) }] },
      { kind: 'udp', sport: 1, dport: 2 },
    ]);
    const ip = find(decode(p), 'ipv4');
    expect(ip.headerLength).toBe(28);
    expect(ip.options.map((o) => o.type)).toEqual([148, 1, 0]);
    expect(ip.checksumOk).toBe(true);
    p[14 + 8] -= 1; // TTL decrement without checksum update
    expect(find(decode(p), 'ipv4').checksumOk).toBe(false);
  });
});
