/**
 * Writes the captures the bundled scenarios replay (scenarios/pcaps/). Deterministic: running
 * it again gives the same bytes, so the committed files can be checked against a fresh run.
 *
 *   npx tsx scripts/make-pcaps.ts          write scenarios/pcaps/*.pcap
 *   npx tsx scripts/make-pcaps.ts --check  exit 1 if a committed file differs
 *
 * mixed.pcap — 43 frames, 10 µs apart, in a fixed interleaving:
 *   22 IPv4 UDP (2 of them VLAN-tagged), 10 IPv4 TCP, 5 ICMP echo requests, 1 IPv4 non-first
 *   fragment, 3 IPv6 ICMPv6 echo requests, 2 ARP requests.
 * Through test/fixtures/xdp_proto_count.o that is proto_count: non-IP 2, VLAN 2, IPv4 38,
 * IPv6 3, TCP 10, UDP 22, ICMP 5, ICMPv6 3, fragment 1; XDP_DROP 22 (the UDP), XDP_PASS 21.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPacket, type LayerSpec } from '../src/net/packet/build.ts';
import { PcapWriter } from '../src/net/traffic/pcap-writer.ts';

const CLIENT_MAC = '02:00:00:00:00:01';
const DUT_MAC = '02:00:00:00:00:02';
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const payload = (n: number, seed: number): LayerSpec => ({ kind: 'raw', bytes: Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff) });
const eth = (vlan?: number): LayerSpec[] => [{ kind: 'eth', src: CLIENT_MAC, dst: DUT_MAC }, ...(vlan !== undefined ? [{ kind: 'vlan', vid: vlan } as LayerSpec] : [])];

function udp(i: number, vlan?: number): Uint8Array {
  return buildPacket([...eth(vlan), { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: 100 + i }, { kind: 'udp', sport: 4000 + i, dport: 5001 }, payload(18, i)], { padToMinimum: true });
}

function tcp(i: number): Uint8Array {
  return buildPacket(
    [...eth(), { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: 200 + i, df: true }, { kind: 'tcp', sport: 40000, dport: 80, seq: 1000 + i * 100, ack: 1, flags: TCP_ACK | TCP_PSH, window: 502 }, payload(100, i)],
    { padToMinimum: true },
  );
}

function icmp(i: number): Uint8Array {
  return buildPacket([...eth(), { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: 300 + i }, { kind: 'icmp', type: 8, id: 7, seq: i }, payload(56, i)], { padToMinimum: true });
}

function fragment(): Uint8Array {
  // A non-first fragment: its payload is not an L4 header, and a parser must not read it as one.
  return buildPacket([...eth(), { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: 400, fragOffset: 1480, protocol: 17 }, payload(64, 9)], { padToMinimum: true });
}

function icmp6(i: number): Uint8Array {
  return buildPacket([...eth(), { kind: 'ipv6', src: 'fd00::1', dst: 'fd00::2' }, { kind: 'icmpv6', type: 128, id: 9, seq: i }, payload(32, i)], { padToMinimum: true });
}

function arp(i: number): Uint8Array {
  return buildPacket([{ kind: 'eth', src: CLIENT_MAC, dst: 'ff:ff:ff:ff:ff:ff' }, { kind: 'arp', op: 1, sha: CLIENT_MAC, spa: '10.0.0.1', tpa: `10.0.0.${10 + i}` }], { padToMinimum: true });
}

export function mixedCapture(): Uint8Array {
  const frames: Uint8Array[] = [];
  let u = 0;
  let t = 0;
  let c = 0;
  // A fixed interleaving, so the replay mixes protocols the way real traffic would.
  for (let round = 0; round < 10; round++) {
    frames.push(udp(u++), tcp(t++));
    if (round % 2 === 0) frames.push(icmp(c++));
    frames.push(udp(u++));
  }
  frames.push(udp(u, 100), udp(u + 1, 100), fragment(), arp(0), icmp6(0), icmp6(1), arp(1), icmp6(2));
  const w = new PcapWriter({ precision: 'us', epochNs: 1_700_000_000n * 1_000_000_000n });
  frames.forEach((f, i) => w.add(i * 10_000, f));
  return w.toBytes();
}

const OUT = [{ file: new URL('../scenarios/pcaps/mixed.pcap', import.meta.url), bytes: mixedCapture }];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let bad = 0;
  for (const o of OUT) {
    const bytes = o.bytes();
    const path = fileURLToPath(o.file);
    if (check) {
      let old: Uint8Array | undefined;
      try {
        old = readFileSync(path);
      } catch {
        old = undefined;
      }
      if (!old || Buffer.compare(Buffer.from(old), Buffer.from(bytes)) !== 0) {
        console.error(`${path} differs from a fresh run of scripts/make-pcaps.ts`);
        bad++;
      }
    } else {
      writeFileSync(path, bytes);
      console.log(`wrote ${path} (${bytes.length} bytes)`);
    }
  }
  process.exit(bad ? 1 : 0);
}
