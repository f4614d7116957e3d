/**
 * The kernel oracle against the real kernel. Needs root, bpftool and clang; otherwise the whole
 * file is skipped with a message saying why.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isKernelRunFailure,
  kernelAvailable,
  KernelOracleError,
  kernelProgRun,
  kernelProgRunBatch,
  type KernelRunOutput,
  type MapEntry,
} from '../../src/oracle/kernel.ts';
import { buildPrograms, findClang, hex, ipv4Packet, TCP, u32, u64, UDP } from './programs.ts';

const avail = await kernelAvailable();
const clang = findClang();
const skipWhy = !avail.ok ? avail.why : !clang ? 'clang not found' : undefined;
if (skipWhy) console.warn(`[test/oracle] SKIPPING the kernel oracle tests: ${skipWhy}`);

const XDP_DROP = 1;
const XDP_PASS = 2;
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;

/** Value of one entry of a non-per-CPU map. */
function value(out: KernelRunOutput, map: string, key: string): string | undefined {
  const e = out.maps[map]?.find((x) => x.key === key);
  return e && 'value' in e ? e.value : undefined;
}

async function refusal(p: Promise<unknown>): Promise<KernelOracleError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KernelOracleError);
    return e as KernelOracleError;
  }
  throw new Error('expected the oracle to refuse');
}

describe.skipIf(skipWhy !== undefined)('kernel oracle (BPF_PROG_TEST_RUN through bpftool)', () => {
  let dir = '';
  let obj: Record<string, string> = {};
  const cpus = avail.possibleCpus ?? 1;

  beforeAll(async () => {
    ({ dir, objects: obj } = await buildPrograms(clang as string));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('XDP', () => {
    it('returns the verdict, the rewritten packet and every map, sorted by key', async () => {
      const pkt = ipv4Packet(UDP);
      const out = await kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: pkt });
      expect(out.retval).toBe(XDP_DROP);
      const want = pkt.slice();
      want[0] = 0xaa;
      expect(out.data_out).toBe(hex(want));
      expect(out.ctx_out).toBeUndefined();
      expect(Object.keys(out.maps)).toEqual(['counts', 'percpu', 'protos']);
      expect(out.maps.counts).toEqual([
        { key: u32(0), value: u64(1) },
        { key: u32(1), value: u64(0) },
      ]);
      expect(out.maps.protos).toEqual([{ key: u32(UDP), value: u64(1) }]);
      expect(typeof out.duration_ns).toBe('number');
    });

    it('passes TCP and non-IP frames', async () => {
      const tcp = await kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: ipv4Packet(TCP) });
      expect(tcp.retval).toBe(XDP_PASS);
      const arp = ipv4Packet(TCP);
      arp.set([0x08, 0x06], 12);
      expect((await kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: arp })).retval).toBe(XDP_PASS);
    });

    it('gives per-CPU maps one value per possible CPU, the program writing on the pinned CPU', async () => {
      const out = await kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: ipv4Packet(UDP) });
      const entry = out.maps.percpu.find((e) => e.key === u32(0)) as Extract<MapEntry, { values: string[] }>;
      expect(entry.values).toHaveLength(cpus);
      const want = Array<string>(cpus).fill(u64(0));
      want[avail.cpu ?? 0] = u64(1);
      if (avail.cpu !== undefined) expect(entry.values).toEqual(want);
      else expect(entry.values.filter((v) => v === u64(1))).toHaveLength(1);
    });

    it('runs `repeat` times on the same maps', async () => {
      const out = await kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: ipv4Packet(UDP), repeat: 5 });
      expect(value(out, 'counts', u32(0))).toBe(u64(5));
      expect(value(out, 'protos', u32(UDP))).toBe(u64(5));
    });

    it('picks the first program of the object by default, and names the choices when one is missing', async () => {
      const out = await kernelProgRun({ obj: obj.oracle_xdp, dataIn: ipv4Packet(UDP) });
      expect(out.retval).toBe(XDP_DROP);
      expect((await kernelProgRun({ obj: obj.oracle_xdp, prog: 'always_tx', dataIn: ipv4Packet(UDP) })).retval).toBe(3);
      const e = await refusal(kernelProgRun({ obj: obj.oracle_xdp, prog: 'nope', dataIn: ipv4Packet(UDP) }));
      expect(e.kind).toBe('input');
      expect(e.message).toMatch(/no program 'nope'.*always_tx.*count_drop_udp/);
    });

    it('fills a PROG_ARRAY from map-init by program name, leaving it out of the dumped maps', async () => {
      const pkt = ipv4Packet(UDP);
      expect((await kernelProgRun({ obj: obj.oracle_xdp, prog: 'tail_caller', dataIn: pkt })).retval).toBe(0); // failed tail call
      const out = await kernelProgRun({ obj: obj.oracle_xdp, prog: 'tail_caller', dataIn: pkt, mapInit: { jumps: [{ key: u32(0), value: 'always_tx' }] } });
      expect(out.retval).toBe(3);
      expect(Object.keys(out.maps)).not.toContain('jumps');
      const e = await refusal(kernelProgRun({ obj: obj.oracle_xdp, prog: 'tail_caller', dataIn: pkt, mapInit: { jumps: [{ key: u32(0), value: 'nope' }] } }));
      expect(e.kind).toBe('input');
    });
  });

  describe('map-init', () => {
    it('fills maps before the run; a per-CPU value goes to every CPU', async () => {
      const out = await kernelProgRun({
        obj: obj.oracle_xdp,
        prog: 'count_drop_udp',
        dataIn: ipv4Packet(UDP),
        mapInit: {
          counts: [{ key: u32(0), value: u64(41) }, { key: u32(1), value: u64(7) }],
          percpu: [{ key: u32(1), value: u64(5) }],
          protos: [{ key: u32(TCP), value: u64(9) }],
        },
      });
      expect(value(out, 'counts', u32(0))).toBe(u64(42));
      expect(value(out, 'counts', u32(1))).toBe(u64(7));
      expect(out.maps.percpu.find((e) => e.key === u32(1))).toEqual({ key: u32(1), values: Array(cpus).fill(u64(5)) });
      expect(out.maps.protos).toEqual([
        { key: u32(TCP), value: u64(9) },
        { key: u32(UDP), value: u64(1) },
      ]);
    });

    it('refuses unknown maps, wrong sizes and indexes past max_entries, naming what is wrong', async () => {
      const run = (mapInit: Record<string, { key: string; value: string }[]>) =>
        refusal(kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: ipv4Packet(UDP), mapInit }));
      expect((await run({ nope: [] })).message).toMatch(/no map 'nope' \(maps: counts, jumps, percpu, protos\)/);
      expect((await run({ counts: [{ key: '00', value: u64(1) }] })).message).toMatch(/key is 1 bytes, the map's key_size is 4/);
      expect((await run({ counts: [{ key: u32(0), value: '01' }] })).message).toMatch(/value is 1 bytes, the map's value_size is 8/);
      expect((await run({ counts: [{ key: u32(2), value: u64(1) }] })).message).toMatch(/index 2 is past max_entries 2/);
      expect((await run({ counts: [{ key: 'zz000000', value: u64(1) }] })).kind).toBe('input');
    });
  });

  describe('batch mode', () => {
    it('starts every run from the initial maps, so runs are independent', async () => {
      const protos = [UDP, TCP, UDP, TCP, TCP];
      const inputs = protos.map((p) => ({ dataIn: ipv4Packet(p) }));
      const outs = await kernelProgRunBatch(obj.oracle_xdp, 'count_drop_udp', inputs);
      expect(outs.map((o) => o.retval)).toEqual([XDP_DROP, XDP_PASS, XDP_DROP, XDP_PASS, XDP_PASS]);
      for (const [i, o] of outs.entries()) {
        expect(value(o, 'counts', u32(0))).toBe(u64(1));
        // The entry the program added in the previous run is gone again.
        expect(o.maps.protos).toEqual([{ key: u32(protos[i]), value: u64(1) }]);
        expect(o.maps.percpu[0].key).toBe(u32(0));
        expect((o.maps.percpu[0] as { values: string[] }).values.filter((v) => v === u64(1))).toHaveLength(1);
      }
    });

    it('applies each input its own map-init on top of the loaded state', async () => {
      const outs = await kernelProgRunBatch(obj.oracle_xdp, 'count_drop_udp', [
        { dataIn: ipv4Packet(UDP), mapInit: { counts: [{ key: u32(0), value: u64(10) }], protos: [{ key: u32(1), value: u64(3) }] } },
        { dataIn: ipv4Packet(UDP) },
        { dataIn: ipv4Packet(UDP), mapInit: { counts: [{ key: u32(1), value: u64(4) }] } },
      ]);
      expect(outs.map((o) => [value(o, 'counts', u32(0)), value(o, 'counts', u32(1))])).toEqual([
        [u64(11), u64(0)],
        [u64(1), u64(0)],
        [u64(1), u64(4)],
      ]);
      expect(outs[0].maps.protos.map((e) => e.key)).toEqual([u32(1), u32(UDP)]);
      expect(outs[1].maps.protos.map((e) => e.key)).toEqual([u32(UDP)]);
    });

    it('reports refused runs in place when settled, and keeps going', async () => {
      const res = await kernelProgRunBatch(
        obj.oracle_xdp,
        'count_drop_udp',
        [{ dataIn: ipv4Packet(UDP) }, { dataIn: new Uint8Array(13) }, { dataIn: ipv4Packet(TCP) }],
        { settle: true },
      );
      expect(res.map(isKernelRunFailure)).toEqual([false, true, false]);
      const failed = res[1];
      if (!isKernelRunFailure(failed)) throw new Error('unreachable');
      expect(failed.error).toMatchObject({ kind: 'run', errno: 'EINVAL' });
      expect(failed.error.rules.join()).toMatch(/at least 14 \(ETH_HLEN\)/);
      const last = res[2] as KernelRunOutput;
      expect(value(last, 'counts', u32(0))).toBe(u64(1));
    });

    it('reloads objects whose maps cannot be restored (ringbuf, queue), so runs stay independent', async () => {
      const mapInit = { pending: [{ key: '', value: u32(7) }] };
      const outs = await kernelProgRunBatch(obj.oracle_ringbuf, undefined, [1, 2, 3].map(() => ({ dataIn: ipv4Packet(UDP), mapInit })));
      expect(outs.map((o) => value(o, 'sent', u32(0)))).toEqual([u64(1), u64(1), u64(1)]);
      // Each run pops the value map-init pushed: the queue was refilled, not drained by the first run.
      expect(outs.map((o) => value(o, 'sent', u32(1)))).toEqual([u64(7), u64(7), u64(7)]);
      expect(Object.keys(outs[0].maps)).toEqual(['sent']); // bpftool cannot list a ringbuf or a queue
    });

    it('is fast enough for hundreds of packets', async () => {
      const t0 = performance.now();
      const outs = await kernelProgRunBatch(obj.oracle_xdp, 'count_drop_udp', Array.from({ length: 100 }, (_, i) => ({ dataIn: ipv4Packet(i % 2 ? TCP : UDP) })));
      expect(outs).toHaveLength(100);
      expect(outs.every((o) => value(o, 'counts', u32(0)) === u64(1))).toBe(true);
      expect(performance.now() - t0).toBeLessThan(20_000);
    });
  });

  describe('tc and socket filter (__sk_buff)', () => {
    it('takes ctx_in fields and reports them back in ctx_out', async () => {
      const ctx = Buffer.alloc(192);
      ctx.writeUInt32LE(41, 8); // mark
      ctx.writeUInt32LE(1, 32); // priority
      const out = await kernelProgRun({ obj: obj.oracle_skb, prog: 'tc_mark', dataIn: ipv4Packet(UDP), ctxIn: ctx });
      expect(out.retval).toBe(TC_ACT_SHOT);
      expect(out.data_out).toBe(hex(ipv4Packet(UDP)));
      const back = Buffer.from(out.ctx_out as string, 'hex');
      expect(back).toHaveLength(192);
      expect(back.readUInt32LE(8)).toBe(42); // mark + 1
      expect(back.readUInt32LE(32)).toBe(7); // priority
      expect(back.readUInt32LE(40)).toBe(1); // ifindex: the loopback device the runner uses
      expect(back.readUInt32LE(48)).toBe(42); // cb[0] = skb->len, the whole frame for tc
      expect(back.readUInt32LE(160)).toBe(42); // wire_len defaults to skb->len
    });

    it('returns TC_ACT_OK for non-IP and has no ctx_out without ctx_in', async () => {
      const arp = ipv4Packet(UDP);
      arp.set([0x08, 0x06], 12);
      const out = await kernelProgRun({ obj: obj.oracle_skb, prog: 'tc_mark', dataIn: arp });
      expect(out.retval).toBe(TC_ACT_OK);
      expect(out.ctx_out).toBeUndefined();
      expect(out.maps).toEqual({});
    });

    it('refuses __sk_buff fields ctx_in may not set, naming the allowed ones', async () => {
      const ctx = Buffer.alloc(192);
      ctx.writeUInt32LE(99, 0); // len
      const e = await refusal(kernelProgRun({ obj: obj.oracle_skb, prog: 'tc_mark', dataIn: ipv4Packet(UDP), ctxIn: ctx }));
      expect(e.errno).toBe('EINVAL');
      expect(e.message).toMatch(/offsets 0.*may only set mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp/);
    });

    it('gives a socket filter the packet from the network header and zeroes the Ethernet header on the way out', async () => {
      const out = await kernelProgRun({ obj: obj.oracle_skb, prog: 'sock_len', dataIn: ipv4Packet(UDP) });
      expect(out.retval).toBe(28);
      expect(out.data_out).toBe('00'.repeat(14) + hex(ipv4Packet(UDP).slice(14)));
    });
  });

  describe('global data', () => {
    it('names the maps .data, .bss and .rodata and takes map-init for writable ones', async () => {
      const pkt = ipv4Packet(UDP);
      const out = await kernelProgRun({ obj: obj.oracle_globals, dataIn: pkt, mapInit: { '.bss': [{ key: u32(0), value: u64(1000) }] } });
      expect(out.retval).toBe(XDP_PASS);
      expect(out.maps['.data']).toEqual([{ key: u32(0), value: u64(101) }]);
      expect(out.maps['.bss']).toEqual([{ key: u32(0), value: u64(1000 + 42 * 3) }]);
      expect(out.maps['.rodata']).toEqual([{ key: u32(0), value: u32(3) }]);
    });

    it('refuses map-init of the frozen .rodata', async () => {
      const e = await refusal(kernelProgRun({ obj: obj.oracle_globals, dataIn: ipv4Packet(UDP), mapInit: { '.rodata': [{ key: u32(0), value: u32(5) }] } }));
      expect(e.kind).toBe('input');
      expect(e.message).toMatch(/'\.rodata' is frozen/);
    });

    it('keeps LIBBPF_PIN_BY_NAME maps private to each load', async () => {
      for (let i = 0; i < 2; i++) {
        const out = await kernelProgRun({ obj: obj.oracle_globals, dataIn: ipv4Packet(UDP) });
        expect(out.maps.oracle_pinned_seen).toEqual([{ key: u32(1), value: u32(1) }]);
      }
      expect(existsSync('/sys/fs/bpf/oracle_pinned_seen')).toBe(false);
    });
  });

  describe('errors', () => {
    it('explains an XDP packet shorter than an Ethernet header', async () => {
      const e = await refusal(kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: new Uint8Array(10) }));
      expect(e.kind).toBe('run');
      expect(e.errno).toBe('EINVAL');
      expect(e.message).toMatch(/data_in is 10 bytes; the kernel needs at least 14 \(ETH_HLEN\)/);
      expect(e.message).toMatch(/prog run pinned .*count_drop_udp/);
    });

    it('explains XDP ctx_in rules', async () => {
      const ctx = Buffer.alloc(24);
      ctx.writeUInt32LE(42, 4); // data_end
      ctx.writeUInt32LE(8, 8); // data_meta: must be 0
      const e = await refusal(kernelProgRun({ obj: obj.oracle_xdp, prog: 'count_drop_udp', dataIn: ipv4Packet(UDP), ctxIn: ctx }));
      expect(e.message).toMatch(/xdp_md\.data_meta must be 0/);
    });

    it('reports a verifier refusal as a load error with the log', async () => {
      const e = await refusal(kernelProgRun({ obj: obj.oracle_bad, dataIn: ipv4Packet(UDP) }));
      expect(e.kind).toBe('load');
      expect(e.message).toMatch(/refused to load/);
      expect(e.details.log).toMatch(/invalid access to packet|R\d+ invalid mem access/);
    });

    it('says which program types have no test_run', async () => {
      const e = await refusal(kernelProgRun({ obj: obj.oracle_skskb, dataIn: ipv4Packet(UDP) }));
      expect(e.errno).toBe('ENOTSUPP');
      expect(e.message).toMatch(/sk_skb programs have no BPF_PROG_TEST_RUN support/);
    });

    it('reports a load failure for every input of a settled batch', async () => {
      const res = await kernelProgRunBatch(obj.oracle_bad, undefined, [{ dataIn: ipv4Packet(UDP) }, { dataIn: ipv4Packet(TCP) }], { settle: true });
      expect(res.map((r) => isKernelRunFailure(r) && r.error.kind)).toEqual(['load', 'load']);
    });

    it('refuses a missing object file as bad input', async () => {
      const e = await refusal(kernelProgRun({ obj: `${dir}/missing.o`, dataIn: ipv4Packet(UDP) }));
      expect(e.kind).toBe('input');
    });
  });

  it('leaves no mount or pin behind', () => {
    const mine = readdirSync('/sys/fs/bpf').filter((n) => n.startsWith(`chainlab-oracle-${process.pid}-`));
    expect(mine).toEqual([]);
  });
});
