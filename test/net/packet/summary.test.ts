/** summary() against tcpdump itself: the same frames, the same one-liners. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LayerSpec, buildPacket, summary } from '../../../src/net/packet/index.ts';
import { PcapWriter } from '../../../src/net/traffic/pcap-writer.ts';
import { hasTcpdump, tcpdump } from '../tcpdump.ts';

const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
const v4 = { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' } as const;
const v6 = { kind: 'ipv6', src: 'fe80::1', dst: '2001:db8::2' } as const;
const pl = (n: number): LayerSpec => ({ kind: 'raw', bytes: new Uint8Array(n) });
// High ports, so tcpdump does not switch to an application dissector.
const udp = { kind: 'udp', sport: 41234, dport: 45678 } as const;
const tcp = { kind: 'tcp', sport: 45000, dport: 46000 } as const;

/** Each case: the frame and what tcpdump -n -S -t prints for it. */
const CASES: [string, LayerSpec[], string][] = [
  ['udp', [eth, v4, udp, pl(12)], 'IP 10.0.0.1.41234 > 10.0.0.2.45678: UDP, length 12'],
  ['syn with Linux options', [eth, v4, { ...tcp, seq: 1000, flags: 0x02, window: 64240, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOk' }, { kind: 'timestamp', tsval: 1, tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }] }],
    'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0'],
  ['psh data', [eth, v4, { ...tcp, seq: 1001, ack: 2001, flags: 0x18, window: 502 }, pl(100)], 'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [P.], seq 1001:1101, ack 2001, win 502, length 100'],
  ['seq wraps', [eth, v4, { ...tcp, seq: 0xfffffff0, ack: 1, flags: 0x10 }, pl(32)], 'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [.], seq 4294967280:16, ack 1, win 65535, length 32'],
  ['fin', [eth, v4, { ...tcp, seq: 1001, ack: 2001, flags: 0x11, window: 502 }], 'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [F.], seq 1001, ack 2001, win 502, length 0'],
  ['rst', [eth, v4, { ...tcp, seq: 1001, flags: 0x04, window: 0 }], 'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [R], seq 1001, win 0, length 0'],
  ['urg/ece/cwr with sack', [eth, v4, { ...tcp, seq: 1001, ack: 5, flags: 0xf0, urgent: 3, window: 10, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[10, 20], [30, 40]] }] }, pl(5)],
    'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [.UEW], seq 1001:1006, ack 5, win 10, urg 3, options [nop,nop,sack 2 {10:20}{30:40}], length 5'],
  ['no flags', [eth, v4, { ...tcp, seq: 7 }], 'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [none], win 65535, length 0'],
  ['ack with TS and eol', [eth, v4, { ...tcp, seq: 1, ack: 1, flags: 0x10, options: [{ kind: 'timestamp', tsval: 5, tsecr: 6 }, { kind: 'eol' }] }],
    'IP 10.0.0.1.45000 > 10.0.0.2.46000: Flags [.], ack 1, win 65535, options [TS val 5 ecr 6,eol], length 0'],
  ['icmp echo', [eth, v4, { kind: 'icmp', type: 8, id: 1, seq: 1 }, pl(56)], 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64'],
  ['icmp reply', [eth, v4, { kind: 'icmp', type: 0, id: 1, seq: 1 }, pl(56)], 'IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 1, length 64'],
  ['icmp ttl exceeded', [eth, v4, { kind: 'icmp', type: 11 }, pl(28)], 'IP 10.0.0.1 > 10.0.0.2: ICMP time exceeded in-transit, length 36'],
  ['arp request', [eth, { kind: 'arp', op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }], 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28'],
  ['arp reply', [eth, { kind: 'arp', op: 2, sha: '02:00:00:00:00:02', spa: '10.0.0.2', tha: '02:00:00:00:00:01', tpa: '10.0.0.1' }], 'ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28'],
  ['udp6', [eth, v6, udp, pl(12)], 'IP6 fe80::1.41234 > 2001:db8::2.45678: UDP, length 12'],
  ['tcp6 syn', [eth, v6, { ...tcp, seq: 1000, flags: 0x02, options: [{ kind: 'mss', mss: 1440 }] }], 'IP6 fe80::1.45000 > 2001:db8::2.46000: Flags [S], seq 1000, win 65535, options [mss 1440], length 0'],
  ['icmp6 echo', [eth, v6, { kind: 'icmpv6', type: 128, id: 7, seq: 9 }, pl(56)], 'IP6 fe80::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 9, length 64'],
  ['icmp6 reply', [eth, v6, { kind: 'icmpv6', type: 129, id: 7, seq: 9 }, pl(56)], 'IP6 fe80::1 > 2001:db8::2: ICMP6, echo reply, id 7, seq 9, length 64'],
  ['vlan', [eth, { kind: 'vlan', vid: 10 }, v4, udp, pl(12)], 'IP 10.0.0.1.41234 > 10.0.0.2.45678: UDP, length 12'],
  ['qinq', [eth, { kind: 'vlan', vid: 100, tpid: 0x88a8 }, { kind: 'vlan', vid: 10, pcp: 3 }, v4, udp, pl(12)], 'IP 10.0.0.1.41234 > 10.0.0.2.45678: UDP, length 12'],
  ['vlan arp', [eth, { kind: 'vlan', vid: 10 }, { kind: 'arp', op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }], 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28'],
  ['first fragment', [eth, { ...v4, mf: true, id: 77 }, udp, pl(12)], 'IP 10.0.0.1.41234 > 10.0.0.2.45678: UDP, length 12'],
  ['later fragment', [eth, { ...v4, fragOffset: 16, id: 77, protocol: 17 }, pl(12)], 'IP 10.0.0.1 > 10.0.0.2: ip-proto-17'],
  ['ipv6 hbh+dstopt', [eth, { ...v6, extensions: [{ type: 0 }, { type: 60 }] }, udp, pl(12)], 'IP6 fe80::1 > 2001:db8::2: HBH DSTOPT 41234 > 45678: UDP, length 12'],
  ['ipv6 first fragment', [eth, { ...v6, extensions: [{ type: 44, more: true, id: 5 }] }, udp, pl(12)], 'IP6 fe80::1 > 2001:db8::2: frag (0|20) 41234 > 45678: UDP, length 12'],
  ['ipv6 later fragment', [eth, { ...v6, extensions: [{ type: 44, fragOffset: 64, id: 5 }], protocol: 17 }, pl(12)], 'IP6 fe80::1 > 2001:db8::2: frag (64|12)'],
  ['unknown ip proto', [eth, { ...v4, protocol: 253 }, pl(12)], 'IP 10.0.0.1 > 10.0.0.2:  ip-proto-253 12'],
  ['unknown ip6 proto', [eth, { ...v6, protocol: 253 }, pl(12)], 'IP6 fe80::1 > 2001:db8::2:  ip-proto-253 12'],
  ['ip in ip', [eth, v4, { kind: 'ipv4', src: '192.168.0.1', dst: '192.168.0.2' }, { kind: 'udp', sport: 41000, dport: 42000 }, pl(4)],
    'IP 10.0.0.1 > 10.0.0.2: IP 192.168.0.1.41000 > 192.168.0.2.42000: UDP, length 4'],
  ['ip options', [eth, { ...v4, options: [{ type: 148, data: new Uint8Array(2) }] }, udp, pl(12)], 'IP 10.0.0.1.41234 > 10.0.0.2.45678: UDP, length 12'],
];

describe('summary()', () => {
  it.each(CASES)('%s', (_name, spec, expected) => {
    expect(summary(buildPacket(spec))).toBe(expected);
  });

  describe.skipIf(!hasTcpdump)('agrees with tcpdump -n -S -t', () => {
    it('on every case', () => {
      const w = new PcapWriter();
      CASES.forEach(([, spec], i) => w.add(i * 1000, buildPacket(spec)));
      const file = join(mkdtempSync(join(tmpdir(), 'chainlab-')), 'summary.pcap');
      w.writeFile(file);
      expect(tcpdump(file, ['-n', '-S', '-t'])).toEqual(CASES.map(([, , line]) => line));
    });
  });
});
