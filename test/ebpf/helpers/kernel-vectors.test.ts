/**
 * Replays what the kernel answered (test/ebpf/helpers/kernel/*.json, recorded with
 * BPF_PROG_TEST_RUN by kernel/generate.ts) through the helpers: each probe program is mirrored
 * here step by step, on the same input packet, and its return value and output packet must be
 * the kernel's, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';
import { csumCases, REQ_OFF, SCRATCH, skbCases } from './kernel/cases.ts';
import type { SkbCtx } from '../../../src/ebpf/ctx/skb.ts';

interface Vectors {
  kernel: string;
  outFrom: number;
  results: [number, string][];
}

const load = (name: string): Vectors => JSON.parse(readFileSync(new URL(`./kernel/${name}`, import.meta.url), 'utf8')) as Vectors;
const unsqueeze = (hex: string): string => hex.replace(/~(\d+)~/g, (_, n: string) => '00'.repeat(Number(n)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What bpf_prog_test_run_skb() sets up for a tc program: eth_type_trans() on the loopback device. */
function tcRun(packet: Uint8Array): TestRun {
  const t = new TestRun({ progType: 'BPF_PROG_TYPE_SCHED_CLS', packet });
  const skb = t.skb!;
  const proto = (packet[12] << 8) | packet[13];
  const sap = (packet[14] << 8) | packet[15];
  skb.protocol = proto >= 0x600 ? proto : sap === 0xffff ? 0x0001 : 0x0004;
  const dst = packet.subarray(0, 6);
  skb.set('pkt_type', dst[0] & 1 ? (dst.every((b) => b === 0xff) ? 1 : 2) : dst.every((b) => b === 0) ? 0 : 3);
  return t;
}

/** skb_probe.c, step by step. */
function skbProbe(packet: Uint8Array): { ret: number; out: string } {
  const t = tcRun(packet);
  const skb: SkbCtx = t.skb!;
  const v = new DataView(packet.buffer, packet.byteOffset);
  const op = v.getUint32(REQ_OFF, true);
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => v.getBigUint64(REQ_OFF + 4 + 8 * i, true));
  const buf = t.put(0, packet.subarray(REQ_OFF + 36, REQ_OFF + 52));
  const ctx = skb.addr;
  const len = 1n + (b & 15n);
  const n = (id: number, ...args: (bigint | number)[]) => t.num(id, ...args);
  const f = (name: string) => skb.get(name);
  let ret: number;
  switch (op) {
    case 0: ret = n(9, ctx, a, buf, len, c); break;
    case 1: ret = n(26, ctx, a, buf, len); n(9, ctx, 48, buf, 16, 0); break;
    case 2: ret = n(68, ctx, a, buf, len, c); n(9, ctx, 48, buf, 16, 0); break;
    case 3: ret = n(39, ctx, a); break;
    case 4: ret = n(43, ctx, a, c); break;
    case 5: ret = n(38, ctx, a, c); break;
    case 6: ret = n(50, ctx, BigInt.asIntN(32, a), b, c); ret = (ret & 0xffff) | ((f('protocol') & 0xffff) << 16); break;
    case 7: ret = n(31, ctx, a, c); ret = (ret & 0xffff) | ((f('protocol') & 0xffff) << 16); break;
    case 8: ret = n(32, ctx, a); ret = (ret & 0xff) | (f('pkt_type') << 8); break;
    case 9: ret = n(18, ctx, a, b); ret = (ret & 0xff) | (f('vlan_present') << 8) | ((f('vlan_tci') & 0xffff) << 16); break;
    case 10: ret = n(18, ctx, a, b); ret = (ret & 0xff) | ((f('vlan_proto') & 0xffff) << 8) | ((f('protocol') & 0xff) << 24); break;
    case 11:
      ret = n(18, ctx, a, b);
      if (ret) break;
      ret = n(18, ctx, c, d);
      ret = (ret & 0xff) | (f('vlan_present') << 8) | ((f('vlan_tci') & 0xffff) << 16);
      break;
    case 12: ret = n(19, ctx); ret = (ret & 0xff) | (f('vlan_present') << 8) | ((f('protocol') & 0xffff) << 16); break;
    case 13: ret = n(19, ctx); ret = (ret & 0xff) | ((f('vlan_tci') & 0xffff) << 16) | ((f('vlan_proto') & 0xff) << 8); break;
    case 14:
      ret = n(18, ctx, a, b);
      if (ret) break;
      ret = n(18, ctx, c, d);
      if (ret) break;
      ret = n(19, ctx);
      ret = (ret & 0xff) | (f('vlan_present') << 8) | ((f('vlan_tci') & 0xffff) << 16);
      break;
    case 15:
      ret = n(50, ctx, BigInt.asIntN(32, a), b, c);
      if (ret) break;
      ret = n(50, ctx, -Number(BigInt.asIntN(32, a)), b, d);
      break;
    case 16: ret = n(43, ctx, a, 0); if (ret) break; ret = n(38, ctx, b, 0); break;
    case 17: ret = n(50, ctx, BigInt.asIntN(32, a), b, c); if (ret) break; ret = n(38, ctx, d, 0); break;
    default: ret = -2000;
  }
  return { ret: ret >>> 0, out: toHex(t.packetBytes()) };
}

/** csum_probe.c, step by step: returns the helper result and the scratch area. */
function csumProbe(packet: Uint8Array): { ret: number; out: string } {
  const t = tcRun(packet);
  const ctx = t.skb!.addr;
  const v = new DataView(packet.buffer, packet.byteOffset);
  const op = v.getUint32(14, true), x = v.getUint32(18, true), y = v.getUint32(22, true);
  const from = v.getBigUint64(26, true), to = v.getBigUint64(34, true), flags = v.getBigUint64(42, true);
  const seed = v.getUint32(50, true);
  const A = t.put(0, packet.subarray(54, 118));
  const B = t.put(64, packet.subarray(118, 182));
  const diff = (fromSize: number, toSize: number) => t.num(28, A, fromSize, B, toSize, seed);
  let ret: number;
  switch (op) {
    case 0: ret = diff(x & 63, y & 63); break;
    case 1: ret = t.num(10, ctx, SCRATCH + x, from, to, flags); break;
    case 2: ret = t.num(11, ctx, SCRATCH + x, from, to, flags); break;
    case 3:
    case 4: {
      const d = diff(y & 63, (y >> 8) & 63);
      ret = d < 0 ? d : t.num(op === 3 ? 11 : 10, ctx, SCRATCH + x, 0, d, flags);
      break;
    }
    default: ret = -2;
  }
  return { ret: ret >>> 0, out: toHex(t.packetBytes().subarray(SCRATCH)) };
}

describe('skb helpers against the kernel (BPF_PROG_TEST_RUN vectors)', () => {
  const vec = load('skb-vectors.json');
  const cases = skbCases();
  it(`has one recorded answer per case (Linux ${vec.kernel})`, () => expect(vec.results).toHaveLength(cases.length));
  it.each(cases.map((p, i) => [i, new DataView(p.buffer).getUint32(REQ_OFF, true), p] as const))('case %i (op %i)', (i, _op, p) => {
    const got = skbProbe(p.slice());
    const [ret, out] = vec.results[i];
    expect({ ret: got.ret, out: got.out }).toEqual({ ret, out: unsqueeze(out) });
  });
});

describe('checksum helpers against the kernel (BPF_PROG_TEST_RUN vectors)', () => {
  const vec = load('csum-vectors.json');
  const cases = csumCases();
  it(`has one recorded answer per case (Linux ${vec.kernel})`, () => expect(vec.results).toHaveLength(cases.length));
  it.each(cases.map((p, i) => [i, new DataView(p.buffer).getUint32(14, true), p] as const))('case %i (op %i)', (i, _op, p) => {
    const got = csumProbe(p.slice());
    const [ret, out] = vec.results[i];
    expect({ ret: got.ret, out: got.out }).toEqual({ ret, out: unsqueeze(out) });
  });
});
