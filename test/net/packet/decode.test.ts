import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Layer, type LayerSpec, buildPacket, decode, flowKey, flowKeyString, formatIp6, parseIp6, parseIp4, parseMac, summary } from '../../../src/net/packet/index.ts';

const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
const v4 = { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' } as const;
const v6 = { kind: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' } as const;
const kinds = (ls: Layer[]): string[] => ls.map((l) => (l.kind === 'truncated' || l.kind === 'malformed' ? `${l.kind}:${l.proto}` : l.kind));

const samples: LayerSpec[][] = [
  [eth, v4, { kind: 'tcp', sport: 1, dport: 2, flags: 2, options: [{ kind: 'mss', mss: 1460 }] }, { kind: 'raw', bytes: new Uint8Array(10) }],
  [eth, { kind: 'vlan', vid: 3 }, v6, { kind: 'udp', sport: 1, dport: 2 }, { kind: 'raw', bytes: new Uint8Array(10) }],
  [eth, { ...v6, extensions: [{ type: 0 }, { type: 44, more: true }] }, { kind: 'icmpv6', type: 128 }],
  [eth, { kind: 'arp', op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }],
  [eth, { ...v4, options: [{ type: 7, data: new Uint8Array(5) }] }, { kind: 'icmp', type: 8 }],
];

describe('decode never throws', () => {
  it('on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('ethernet' as const, 'ip' as const), (b, link) => {
        const layers = decode(b, { link });
        summary(b, { link });
        flowKey(b, link);
        // Whatever was found lies inside the buffer.
        for (const l of layers) expect(l.offset).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('on every truncation of valid packets, ending in a truncated layer or clean data', () => {
    for (const spec of samples) {
      const full = buildPacket(spec);
      for (let n = 0; n < full.length; n++) {
        const layers = decode(full.subarray(0, n));
        const last = layers[layers.length - 1];
        expect(last).toBeDefined();
        expect(typeof summary(full.subarray(0, n))).toBe('string');
        // A cut inside a header yields `truncated`; a cut in the payload shows as an IP layer marked truncated.
        const ip = layers.find((l) => l.kind === 'ipv4' || l.kind === 'ipv6');
        if (ip && 'truncated' in ip) expect(ip.truncated).toBe(true);
      }
    }
  });

  it('on random corruption of valid packets (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }), (spec, edits) => {
        const b = buildPacket(spec);
        for (const [at, v] of edits) b[at % b.length] = v;
        decode(b);
        summary(b);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decode: what it reports', () => {
  it('marks short headers truncated with offset and reason', () => {
    const full = buildPacket(samples[0]);
    expect(decode(full.subarray(0, 10))).toEqual([{ kind: 'truncated', proto: 'eth', offset: 0, reason: 'need 14 bytes, have 10' }]);
    expect(kinds(decode(full.subarray(0, 40)))).toEqual(['eth', 'ipv4', 'truncated:tcp']);
    const cut = decode(full.subarray(0, 60));
    expect(kinds(cut)).toEqual(['eth', 'ipv4', 'tcp', 'payload']);
    expect(cut[2]).toMatchObject({ checksumOk: null, payloadLength: 10 });
    expect(cut[3]).toMatchObject({ length: 2 });
  });

  it('marks inconsistent headers malformed', () => {
    const b = buildPacket(samples[0]);
    b[14] = 0x44; // ihl 4
    expect(kinds(decode(b))).toEqual(['eth', 'malformed:ipv4']);
    const c = buildPacket(samples[0]);
    c[14 + 20 + 12] = 0x10; // TCP doff 4
    expect(decode(c)[2]).toMatchObject({ kind: 'malformed', proto: 'tcp', offset: 34, reason: 'data offset 4 < 20' });
    const d = buildPacket([eth, v4, { kind: 'udp', sport: 1, dport: 2 }]);
    d[14 + 20 + 5] = 200; // UDP length beyond IP payload
    expect(decode(d)[2]).toMatchObject({ kind: 'malformed', proto: 'udp' });
  });

  it('stops option parsing at a bad TCP option length, as tcp_parse_options does', () => {
    const b = buildPacket([eth, v4, { kind: 'tcp', sport: 1, dport: 2, options: [{ kind: 'nop' }, { kind: 'unknown', type: 30, data: new Uint8Array(2) }] }]);
    b[14 + 20 + 20 + 2] = 40; // option 30's length overruns the header
    const t = decode(b)[2];
    expect(t).toMatchObject({ kind: 'tcp', options: [{ kind: 'nop' }], optionsError: 'option 30 has bad length 40' });
  });

  it('IPv4 fragments: the first carries the transport header, later ones only data', () => {
    const first = decode(buildPacket([eth, { ...v4, mf: true, id: 9 }, { kind: 'udp', sport: 1, dport: 2 }, { kind: 'raw', bytes: new Uint8Array(8) }]));
    expect(kinds(first)).toEqual(['eth', 'ipv4', 'udp', 'payload']);
    expect(first[2]).toMatchObject({ checksumOk: null });
    const later = decode(buildPacket([eth, { ...v4, fragOffset: 16, protocol: 17 }, { kind: 'raw', bytes: new Uint8Array(8) }]));
    expect(later[1]).toMatchObject({ fragOffset: 16, mf: false });
    expect(later[2]).toMatchObject({ kind: 'payload', what: 'fragment', protocol: 17, length: 8 });
  });

  it('IPv6 extension headers are skipped; a later fragment stops at the fragment header', () => {
    const p = decode(buildPacket([eth, { ...v6, extensions: [{ type: 0 }, { type: 43, data: new Uint8Array(14) }, { type: 60 }] }, { kind: 'tcp', sport: 5, dport: 6 }]));
    expect(p[1]).toMatchObject({ kind: 'ipv6', nextHeader: 0, protocol: 6, headerLength: 40 + 8 + 16 + 8 });
    expect((p[1] as Extract<Layer, { kind: 'ipv6' }>).extensions.map((e) => [e.type, e.length])).toEqual([[0, 8], [43, 16], [60, 8]]);
    expect(p[2]).toMatchObject({ kind: 'tcp', sport: 5, checksumOk: true });
    const f = decode(buildPacket([eth, { ...v6, extensions: [{ type: 44, fragOffset: 1280, id: 3 }], protocol: 6 }, { kind: 'raw', bytes: new Uint8Array(4) }]));
    expect(f[1]).toMatchObject({ fragment: { offset: 1280, more: false, id: 3 }, protocol: 6 });
    expect(f[2]).toMatchObject({ kind: 'payload', what: 'fragment' });
    // AH is 4-byte units (RFC 4302), unlike the 8-byte units of the others.
    const ah = buildPacket([eth, { ...v6, protocol: 51 }, { kind: 'raw', bytes: Uint8Array.of(17, 4, 0, 0, ...new Uint8Array(20)) }, { kind: 'udp', sport: 7, dport: 8 }]);
    expect(decode(ah)[2]).toMatchObject({ kind: 'udp', sport: 7, dport: 8 });
  });

  it('IP-in-IP and raw-IP link types', () => {
    const ipip = buildPacket([eth, v4, { kind: 'ipv4', src: '192.168.0.1', dst: '192.168.0.2' }, { kind: 'udp', sport: 1, dport: 2 }]);
    expect(kinds(decode(ipip))).toEqual(['eth', 'ipv4', 'ipv4', 'udp']);
    expect(summary(ipip)).toBe('IP 10.0.0.1 > 10.0.0.2: IP 192.168.0.1.1 > 192.168.0.2.2: UDP, length 0');
    const raw = buildPacket([v6, { kind: 'udp', sport: 1, dport: 2 }]);
    expect(kinds(decode(raw, { link: 'ip' }))).toEqual(['ipv6', 'udp']);
  });

  it('QinQ stacks, padding and unknown EtherTypes', () => {
    const q = decode(buildPacket([eth, { kind: 'vlan', vid: 100, tpid: 0x88a8 }, { kind: 'vlan', vid: 200, pcp: 5 }, v4, { kind: 'udp', sport: 1, dport: 2 }], { padToMinimum: true }));
    expect(q.slice(1, 3)).toMatchObject([{ kind: 'vlan', tpid: 0x88a8, vid: 100 }, { kind: 'vlan', tpid: 0x8100, vid: 200, pcp: 5 }]);
    expect(q[q.length - 1]).toMatchObject({ kind: 'payload', what: 'padding', length: 60 - 14 - 8 - 28 });
    const lldp = decode(buildPacket([{ ...eth, etherType: 0x88cc }, { kind: 'raw', bytes: new Uint8Array(4) }]));
    expect(lldp[1]).toMatchObject({ kind: 'payload', what: 'unparsed', protocol: 0x88cc });
  });
});

describe('flowKey', () => {
  it('extracts the 5-tuple', () => {
    const k = flowKey(buildPacket([eth, { kind: 'vlan', vid: 1 }, v6, { kind: 'tcp', sport: 443, dport: 50000 }]))!;
    expect(flowKeyString(k)).toBe('tcp [2001:db8::1]:443 > [2001:db8::2]:50000');
    const u = flowKey(buildPacket([eth, v4, { kind: 'udp', sport: 1234, dport: 53 }]))!;
    expect(flowKeyString(u)).toBe('udp 10.0.0.1:1234 > 10.0.0.2:53');
    expect(flowKeyString(flowKey(buildPacket([eth, v4, { kind: 'icmp', type: 8 }]))!)).toBe('icmp 10.0.0.1 > 10.0.0.2');
    expect(flowKey(buildPacket([eth, { kind: 'arp', op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }]))).toBeNull();
  });
});

describe('addresses', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero word is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs wins
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['FE80::ABCD', 'fe80::abcd'],
  ])('RFC 5952: %s → %s', (input, out) => {
    expect(formatIp6(parseIp6(input))).toBe(out);
  });

  it('rejects bad text', () => {
    for (const bad of ['1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:8:9']) expect(() => parseIp6(bad)).toThrow(RangeError);
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d']) expect(() => parseIp4(bad)).toThrow(RangeError);
    expect(() => parseMac('02:00:00:00:00')).toThrow(RangeError);
  });
});
