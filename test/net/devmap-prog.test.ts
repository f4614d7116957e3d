/**
 * Programs in devmap and cpumap entries (struct bpf_devmap_val / struct bpf_cpumap_val carry a
 * program fd): the devmap entry's program runs on each frame when the bulk is flushed
 * (kernel/bpf/devmap.c: dev_map_bpf_prog_run, dev_map_bpf_prog_run_skb for generic XDP, and on
 * each copy of a BPF_F_BROADCAST redirect), the cpumap entry's program on the remote CPU before
 * the skbs are built (kernel/bpf/cpumap.c: cpu_map_bpf_prog_run_xdp).
 *
 * The fixture's entry programs (xdp_redirect.c: devmap_mark, cpumap_mark) decide by a rule on the
 * frame (ICMP → XDP_TX, UDP 5001 → DROP, TCP 80 → ABORTED, TCP 8080 → REDIRECT, else PASS), count
 * their verdicts in `entry_seen`, and stamp what their context says into the source MAC of the
 * frames they pass. First through the Network API, then against the kernel (netns, veth, native
 * XDP): the same topology, programs, maps and frames on both sides, compared frame by frame.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import type { CpuMap, DevMap } from '../../src/ebpf/maps/index.ts';
import { buildPacket, type LayerSpec } from '../../src/net/packet/build.ts';
import { summary } from '../../src/net/packet/index.ts';
import { Network } from '../../src/net/network.ts';
import { parseIp } from '../../src/net/route.ts';
import { Simulator } from '../../src/sim/index.ts';
import type { HopRecord } from '../../src/trace/records.ts';
import { verdictClass } from '../../web/verdict.ts';
import { hex, kernelSkipReason, Lab } from './kernel/lab.ts';

const REDIRECT_O = join(import.meta.dirname, '..', 'fixtures', 'xdp_redirect.o');
const spec = loadObjectFile(REDIRECT_O);

const MAC_A = '02:6b:74:00:00:0a';
const MAC_B1 = '02:6b:74:00:00:b1';
const MAC_B2 = '02:6b:74:00:00:b2';
const MAC_B4 = '02:6b:74:00:00:b4';
const MAC_C = '02:6b:74:00:00:0c';
const MAC_D = '02:6b:74:00:00:0d';
const B_ADDR = '10.204.1.2';
const C_ADDR = '10.204.2.3';
/** Not routable from anywhere: no stack answers what it receives. */
const SRC = '192.0.2.1';

const mac = (s: string): Uint8Array => Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
const u32le = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
/** A bpf_devmap_val / bpf_cpumap_val without a program: ifindex or qsize, then fd 0. */
const val8 = (n: number): Uint8Array => Uint8Array.from([...u32le(n), 0, 0, 0, 0]);
/** The last three bytes of the source MAC: what an entry program stamped. */
const stamp = (f: Uint8Array): number[] => [f[9], f[10], f[11]];

/** One frame for each case of the entry programs' rule, to `dstMac`/`dstIp`, in this order. */
function ruleFrames(dstMac: string, dstIp: string): Uint8Array[] {
  const eth: LayerSpec = { kind: 'eth', dst: dstMac, src: MAC_A };
  const ip = (id: number): LayerSpec => ({ kind: 'ipv4', src: SRC, dst: dstIp, id });
  const pay = (n: number): LayerSpec => ({ kind: 'raw', bytes: Uint8Array.from({ length: n }, (_, i) => (i * 11 + n) & 0xff) });
  return [
    buildPacket([eth, ip(1), { kind: 'udp', sport: 5000, dport: 5002 }, pay(40)]), // PASS
    buildPacket([eth, ip(2), { kind: 'udp', sport: 5000, dport: 5001 }, pay(8)]), // DROP
    buildPacket([eth, ip(3), { kind: 'tcp', sport: 5000, dport: 80, flags: 0x02, seq: 1 }]), // ABORTED
    buildPacket([eth, ip(4), { kind: 'icmp', type: 8, id: 1, seq: 1 }, pay(16)]), // XDP_TX
    buildPacket([eth, ip(5), { kind: 'tcp', sport: 5000, dport: 8080, flags: 0x02, seq: 2 }]), // REDIRECT
    buildPacket([eth, ip(6), { kind: 'tcp', sport: 5000, dport: 22, flags: 0x02, seq: 3 }, pay(100)]), // PASS
  ];
}
/** Verdict order of ruleFrames, and what entry_seen holds after one of each. */
const PASSED = [0, 5];

/**
 * a:veth0 ── b:veth1 (B_ADDR) ; b:veth2 ── c:veth3 (C_ADDR, xdp_pass) ; b:veth4 ── d:veth5 (xdp_pass).
 * veth3 and veth5 run XDP so that veth2 and veth4 take redirected frames (their NAPI is on).
 */
function world(cpus = 2) {
  const sim = new Simulator({ seed: 5 });
  const net = new Network(sim, { cpus });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => net.addHost(n));
  const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1', { a: mac(MAC_A), b: mac(MAC_B1) });
  const [veth2, veth3] = net.addVethPair(b, 'veth2', c, 'veth3', { a: mac(MAC_B2), b: mac(MAC_C) });
  const [veth4, veth5] = net.addVethPair(b, 'veth4', d, 'veth5', { a: mac(MAC_B4), b: mac(MAC_D) });
  b.addAddress(veth1, parseIp(B_ADDR), 24);
  c.addAddress(veth3, parseIp(C_ADDR), 24);
  const obj = net.runtime.load(spec);
  net.attachXdp(veth3, obj.program('xdp_pass'));
  net.attachXdp(veth5, obj.program('xdp_pass'));
  const txProg = obj.map('tx_prog_port') as unknown as DevMap;
  const bcast = obj.map('bcast_ports') as unknown as DevMap;
  const cpuMap = obj.map('cpus') as unknown as CpuMap;
  const hops: HopRecord[] = [];
  net.trace.subscribe((r) => r.type === 'hop' && hops.push(r));
  /** Frames a sends out of veth0, 1 ms apart; what arrives at each device ('rx' tap) is kept. */
  const run = (frames: readonly Uint8Array[]): Record<string, Uint8Array[]> => {
    const got: Record<string, Uint8Array[]> = {};
    for (const id of ['b/veth1', 'c/veth3', 'd/veth5']) {
      const l: Uint8Array[] = (got[id] = []);
      net.addTap(id, (_t, f) => l.push(f.slice()), ['rx']);
    }
    frames.forEach((f, i) => sim.scheduleAt(i * 1_000_000, () => net.inject(veth0, f.slice())));
    sim.run();
    return got;
  };
  const seen = (): number[] => obj.map('entry_seen').entries().map((e) => Number(new DataView((e.value as Uint8Array).buffer).getBigUint64(0, true)));
  return { sim, net, a, b, c, d, veth0, veth1, veth2, veth3, veth4, veth5, obj, txProg, bcast, cpuMap, hops, run, seen };
}

/** entry_seen as [index, count] for the non-zero slots. */
const nonZero = (l: number[]): [number, number][] => l.flatMap((v, i) => (v ? [[i, v] as [number, number]] : []));

describe('devmap entry programs', () => {
  it('run on every frame when the bulk is flushed: ingress, egress and rx queue in the context, the verdict decides', () => {
    const w = world();
    expect(w.txProg.setTarget(0, w.veth2.ifindex, w.obj.program('devmap_mark'))).toBe(0);
    w.net.attachXdp(w.veth1, w.obj.program('xdp_devmap_prog'));
    const frames = ruleFrames(MAC_C, C_ADDR);
    const got = w.run(frames);

    // The frames the program passed arrive at c, stamped rx_queue_index 0 (the flush's xdp_rxq_info
    // carries only the device), ingress_ifindex of veth1 and egress_ifindex of veth2.
    expect(got['c/veth3'].map((f) => summary(f))).toEqual(PASSED.map((i) => summary(frames[i])));
    for (const f of got['c/veth3']) expect(stamp(f)).toEqual([0, w.veth1.ifindex, w.veth2.ifindex]);
    expect(got['c/veth3'][0].subarray(12)).toEqual(frames[0].subarray(12));
    expect(nonZero(w.seen())).toEqual([[0, 1], [1, 1], [2, 2], [3, 1], [4, 1]]);
    expect(w.net.counters.get('c/delivered')).toBe(2);

    // Counted on the target device, by verdict; all redirects succeeded at veth1.
    const c = w.net.counters.snapshot();
    expect(c['b/veth1/xdp/XDP_REDIRECT']).toBe(6);
    expect(Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('b/veth2/xdp-devmap/')))).toEqual({
      'b/veth2/xdp-devmap/XDP_ABORTED': 1,
      'b/veth2/xdp-devmap/XDP_DROP': 1,
      'b/veth2/xdp-devmap/XDP_PASS': 2,
      'b/veth2/xdp-devmap/XDP_TX': 1,
      'b/veth2/xdp-devmap/XDP_REDIRECT': 1,
    });
    // XDP_DROP is the program's choice (ledger only); the others are exceptions, traced.
    expect(c['b/veth2/drop/XDP_ABORTED']).toBe(3);
    const dropped: Record<string, number> = {};
    for (const e of w.net.ledger) if (e.outcome === 'dropped') dropped[`${e.host}/${e.dev} ${e.reason}`] = (dropped[`${e.host}/${e.dev} ${e.reason}`] ?? 0) + e.count;
    expect(dropped).toEqual({ 'b/veth2 XDP_ABORTED': 3, 'b/veth2 XDP_DROP': 1 });
    const reasons = w.hops.filter((h) => h.hook === 'drop').map((h) => h.reason);
    expect(reasons).toEqual([
      'xdp-devmap: XDP_ABORTED',
      'xdp-devmap: XDP_ABORTED (XDP_TX is not a valid verdict in a devmap program)',
      'xdp-devmap: XDP_ABORTED (XDP_REDIRECT is not a valid verdict in a devmap program)',
    ]);

    // One 'xdp-devmap' hop per frame on veth2, after the XDP hop on veth1 and before the transmit.
    const dm = w.hops.filter((h) => h.hook === 'xdp-devmap');
    expect(dm.map((h) => [`${h.host}/${h.dev}`, h.verdict, h.progs?.[0].prog])).toEqual(
      ['XDP_PASS', 'XDP_DROP', 'XDP_ABORTED', 'XDP_TX', 'XDP_REDIRECT', 'XDP_PASS'].map((v) => ['b/veth2', v, 'devmap_mark']),
    );
    expect(dm.map((h) => verdictClass(h))).toEqual(['pass', 'drop', 'drop', 'tx', 'redirect', 'pass']);
    const first = w.hops.filter((h) => h.pkt === dm[0].pkt).map((h) => `${h.dev}:${h.hook}`);
    expect(first.indexOf('veth1:xdp')).toBeLessThan(first.indexOf('veth2:xdp-devmap'));
    expect(first.indexOf('veth2:xdp-devmap')).toBeLessThan(first.indexOf('veth1:xdp-redirect'));
  });

  it('a bulk keeps the program of its first frame through a mid-poll flush; nothing passed, no ndo_xdp_xmit call', () => {
    for (const dport of [5002, 5001]) {
      const sim = new Simulator({ seed: 1 });
      const net = new Network(sim);
      const a = net.addHost('a');
      const b = net.addHost('b');
      const eth0 = net.addNic(a, 'eth0');
      const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
      b.addAddress(veth1, parseIp('10.0.0.2'), 24);
      const obj = net.runtime.load(spec);
      (obj.map('tx_prog_port') as unknown as DevMap).setTarget(0, veth0.ifindex, obj.program('devmap_mark'));
      net.attachXdp(eth0, obj.program('xdp_devmap_prog'));
      net.attachXdp(veth1, obj.program('xdp_pass'));
      const got: Uint8Array[] = [];
      net.addTap('b/veth1', (_t, f) => got.push(f), ['rx']);
      const f = buildPacket([{ kind: 'eth', dst: [...veth1.mac].map((x) => x.toString(16).padStart(2, '0')).join(':'), src: MAC_A }, { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'udp', sport: 1, dport }]);
      // 20 frames in one NAPI poll: a bulk of 16 flushed when full, the last 4 at the end.
      sim.schedule(0, () => {
        for (let i = 0; i < 20; i++) net.inject(eth0, f.slice());
      });
      sim.run();
      if (dport === 5002) {
        expect(net.counters.get('a/veth0/xdp-devmap/XDP_PASS')).toBe(20);
        expect(net.counters.get('a/veth0/xdp_xmit_calls')).toBe(2);
        expect(got.map(stamp)).toEqual(Array(20).fill([0, eth0.ifindex, veth0.ifindex]));
        expect(net.counters.get('b/delivered')).toBe(20);
      } else {
        expect(net.counters.get('a/veth0/xdp-devmap/XDP_DROP')).toBe(20);
        expect(net.counters.get('a/veth0/xdp_xmit_calls')).toBe(0);
        expect(got).toHaveLength(0);
      }
    }
  });

  it('a bulk runs the program of the first frame queued since the last flush (bq_enqueue sets bq->xdp_prog once)', () => {
    // tx_prog_port[0] = veth2 without a program, [1] = veth2 with devmap_mark; xdp_devmap_by_src
    // picks the key from the source MAC. Frames for both keys in one NAPI poll share one bulk.
    const w = world();
    w.txProg.setTarget(0, w.veth2.ifindex);
    w.txProg.setTarget(1, w.veth2.ifindex, w.obj.program('devmap_mark'));
    w.net.attachXdp(w.veth1, w.obj.program('xdp_devmap_by_src'));
    const f = (src: number): Uint8Array => buildPacket([{ kind: 'eth', dst: MAC_C, src: `02:00:00:00:00:0${src}` }, { kind: 'ipv4', src: SRC, dst: C_ADDR }, { kind: 'udp', sport: 1, dport: 5002 }]);
    const got: Uint8Array[] = [];
    w.net.addTap('c/veth3', (_t, fr) => got.push(fr.slice()), ['rx']);
    // Two polls of 6 frames (veth0 → veth1's ring, one NAPI run each): the first starts with key 0,
    // the second with key 1.
    w.sim.scheduleAt(0, () => [0, 1, 0, 1, 1, 0].forEach((s) => w.net.inject(w.veth0, f(s))));
    w.sim.scheduleAt(1_000_000, () => [1, 0, 1, 0, 0, 1].forEach((s) => w.net.inject(w.veth0, f(s))));
    w.sim.run();
    expect(got.map((fr) => fr[11])).toEqual([0, 1, 0, 1, 1, 0, ...Array(6).fill(w.veth2.ifindex)]);
    expect(w.net.counters.get('b/veth2/xdp-devmap/XDP_PASS')).toBe(6);
  });

  it('are charged to the CPU that flushes: each run costs entry + instructions + helper calls', () => {
    const busy = (withProg: boolean): { busy: number; progCost: number } => {
      const w = world(1);
      if (withProg) w.txProg.setTarget(0, w.veth2.ifindex, w.obj.program('devmap_mark'));
      else w.txProg.setTarget(0, w.veth2.ifindex);
      w.net.attachXdp(w.veth1, w.obj.program('xdp_devmap_prog'));
      const frames = ruleFrames(MAC_C, C_ADDR);
      w.run([frames[0], frames[5]]);
      const progCost = w.hops.filter((h) => h.hook === 'xdp-devmap').reduce((s, h) => s + (h.cost ?? 0), 0);
      return { busy: w.net.cpus[0].busyNs, progCost };
    };
    const without = busy(false);
    const withProg = busy(true);
    expect(without.progCost).toBe(0);
    expect(withProg.progCost).toBeGreaterThan(2 * 4.4);
    // Busy time is kept in whole nanoseconds per run of work.
    expect(Math.abs(withProg.busy - without.busy - withProg.progCost)).toBeLessThanOrEqual(2);
  });

  it('generic XDP: the program runs on the skb before it is transmitted (dev_map_bpf_prog_run_skb)', () => {
    const w = world();
    w.txProg.setTarget(0, w.veth2.ifindex, w.obj.program('devmap_mark'));
    w.net.attachXdp(w.veth1, w.obj.program('xdp_devmap_prog'), 'generic');
    const frames = ruleFrames(MAC_C, C_ADDR);
    const got = w.run(frames);
    expect(got['c/veth3'].map((f) => summary(f))).toEqual(PASSED.map((i) => summary(frames[i])));
    for (const f of got['c/veth3']) expect(stamp(f)).toEqual([0, w.veth1.ifindex, w.veth2.ifindex]);
    expect(nonZero(w.seen())).toEqual([[0, 1], [1, 1], [2, 2], [3, 1], [4, 1]]);
    expect(w.net.counters.get('b/veth2/drop/XDP_ABORTED')).toBe(3);
  });

  it('generic XDP on a NIC: rx_queue_index is the queue the skb was received on', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim, { cpus: 4 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    const eth0 = net.addNic(a, 'eth0', { rxQueues: 4 });
    const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
    const obj = net.runtime.load(spec);
    (obj.map('tx_prog_port') as unknown as DevMap).setTarget(0, veth0.ifindex, obj.program('devmap_mark'));
    net.attachXdp(eth0, obj.program('xdp_devmap_prog'), 'generic');
    net.attachXdp(veth1, obj.program('xdp_pass'));
    const queues: number[] = [];
    net.trace.subscribe((r) => r.type === 'hop' && r.hook === 'nic-rx' && queues.push(Number(r.verdict?.split(' ')[1])));
    const got: Uint8Array[] = [];
    net.addTap('b/veth1', (_t, f) => got.push(f), ['rx']);
    for (let i = 0; i < 16; i++) {
      const f = buildPacket([{ kind: 'eth', dst: MAC_B1, src: MAC_A }, { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'udp', sport: 1000 + i, dport: 5002 }]);
      sim.scheduleAt(i * 1_000_000, () => net.inject(eth0, f));
    }
    sim.run();
    expect(new Set(queues).size).toBeGreaterThan(1);
    expect(got.map((f) => f[9])).toEqual(queues);
  });
});

describe('BPF_F_BROADCAST through a devmap', () => {
  it('each device gets its own copy, run through its own entry program; the ingress device is left out', () => {
    const w = world();
    w.bcast.setTarget(1, w.veth1.ifindex);
    w.bcast.setTarget(2, w.veth2.ifindex, w.obj.program('devmap_mark'));
    w.bcast.setTarget(3, w.veth4.ifindex);
    w.net.attachXdp(w.veth1, w.obj.program('xdp_broadcast'));
    const frames = ruleFrames(MAC_B1, B_ADDR);
    const got = w.run(frames);
    expect(got['b/veth1']).toEqual([]);
    expect(got['c/veth3'].map((f) => summary(f))).toEqual(PASSED.map((i) => summary(frames[i])));
    for (const f of got['c/veth3']) expect(stamp(f)).toEqual([0, w.veth1.ifindex, w.veth2.ifindex]);
    // veth4's entry has no program: every copy, untouched by what veth2's program wrote.
    expect(got['d/veth5']).toEqual(frames);
    expect(nonZero(w.seen())).toEqual([[0, 1], [1, 1], [2, 2], [3, 1], [4, 1]]);
    // The copies are new packets whose parent is the frame that came in.
    const toC = w.hops.filter((h) => h.hook === 'xdp-devmap');
    const inB = new Set(w.hops.filter((h) => h.hook === 'xdp' && h.dev === 'veth1').map((h) => h.pkt));
    for (const h of toC) expect(inB.has(h.parent ?? -1)).toBe(true);
  });

  it('frees the frame when no device of the map takes it', () => {
    const w = world();
    w.bcast.setTarget(1, w.veth1.ifindex);
    w.net.attachXdp(w.veth1, w.obj.program('xdp_broadcast'));
    w.run(ruleFrames(MAC_B1, B_ADDR).slice(0, 2));
    expect(w.net.counters.get('b/veth1/xdp/XDP_REDIRECT')).toBe(2);
    expect(w.net.counters.get('b/veth1/drop/XDP_BROADCAST_EMPTY')).toBe(2);
  });
});

describe('cpumap entry programs', () => {
  it('run on the remote CPU before the skb is built: PASS goes to the stack there, REDIRECT on through a devmap', () => {
    for (const devmapProg of [false, true]) {
      const w = world(2);
      expect(w.cpuMap.setTarget(1, 192, w.obj.program('cpumap_mark'))).toBe(0);
      w.txProg.setTarget(1, w.veth2.ifindex, devmapProg ? w.obj.program('devmap_mark') : undefined);
      w.net.attachXdp(w.veth1, w.obj.program('xdp_cpumap'));
      const frames = ruleFrames(MAC_B1, B_ADDR);
      const got = w.run(frames);
      // Passed frames reach b's stack on CPU 1, stamped rx_queue_index 0 and ingress veth1.
      expect(got['b/veth1'].map((f) => summary(f))).toEqual(PASSED.map((i) => summary(frames[i])));
      for (const f of got['b/veth1']) expect(stamp(f)).toEqual([0, w.veth1.ifindex, 0xc0]);
      expect(w.net.counters.get('b/delivered')).toBe(2);
      expect(new Set(w.hops.filter((h) => h.hook === 'xdp-cpumap' || h.hook === 'local').map((h) => h.cpu))).toEqual(new Set([1]));
      const c = w.net.counters.snapshot();
      expect(Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('b/veth1/xdp-cpumap/')))).toEqual({
        'b/veth1/xdp-cpumap/XDP_ABORTED': 1,
        'b/veth1/xdp-cpumap/XDP_DROP': 1,
        'b/veth1/xdp-cpumap/XDP_PASS': 2,
        'b/veth1/xdp-cpumap/XDP_TX': 1,
        'b/veth1/xdp-cpumap/XDP_REDIRECT': 1,
      });
      expect(w.hops.filter((h) => h.hook === 'drop' && h.reason?.startsWith('xdp-cpumap')).map((h) => h.reason)).toEqual([
        'xdp-cpumap: XDP_ABORTED',
        'xdp-cpumap: XDP_ABORTED (XDP_TX is not a valid verdict in a cpumap program)',
      ]);
      // TCP 8080: redirected by the cpumap program through tx_prog_port[1] to veth2, from CPU 1.
      if (devmapProg) {
        // devmap_mark takes TCP 8080 for a redirect, which is no verdict there: dropped.
        expect(got['c/veth3']).toEqual([]);
        expect(nonZero(w.seen())).toEqual([[4, 1], [8, 1], [9, 1], [10, 2], [11, 1], [12, 1]]);
      } else {
        expect(got['c/veth3'].map((f) => summary(f))).toEqual([summary(frames[4])]);
        expect(stamp(got['c/veth3'][0])).toEqual([0, w.veth1.ifindex, 0xc4]);
        expect(nonZero(w.seen())).toEqual([[8, 1], [9, 1], [10, 2], [11, 1], [12, 1]]);
      }
      expect(w.hops.filter((h) => h.hook === 'xdp-redirect' && h.dev === 'veth1' && h.verdict === 'to b/veth2').map((h) => h.cpu)).toEqual(devmapProg ? [] : [1]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Against the kernel.
// ---------------------------------------------------------------------------------------------

const skipReason = kernelSkipReason();
if (skipReason !== undefined) console.warn(`[devmap/cpumap entry programs vs kernel] SKIPPED: ${skipReason}`);

let lab: Lab | undefined;
beforeAll(() => {
  if (skipReason === undefined) lab = new Lab();
});
afterAll(() => lab?.destroy());
process.once('exit', () => lab?.destroy());

/** Sum of veth `ethtool -S` counters over queues: "xdp_xmit" ← tx_queue_*_xdp_xmit. */
function ethtoolSum(stats: Record<string, number>, suffix: string): number {
  return Object.entries(stats)
    .filter(([k]) => new RegExp(`^(rx|tx)_queue_\\d+_${suffix}$`).test(k))
    .reduce((s, [, v]) => s + v, 0);
}

function expectSameFrames(label: string, kernel: readonly Uint8Array[], sim: readonly Uint8Array[]): void {
  const show = (l: readonly Uint8Array[]): string[] => l.map((f) => `${summary(f)} | ${hex(f)}`);
  expect(show(sim), `${label}: chainlab vs kernel`).toEqual(show(kernel));
}

type Mode = 'devmap' | 'cpumap' | 'broadcast';
const DEVS = ['b/veth1', 'b/veth2', 'b/veth4', 'c/veth3', 'd/veth5'];

interface Side {
  captures: Record<string, Uint8Array[]>;
  entrySeen: string[];
  counters: Record<string, number>;
}

/** The same world in namespaces: programs from the same object, entries with program fds. */
function kernelSide(l: Lab, mode: Mode, frames: readonly Uint8Array[]): Side {
  const tag = { devmap: 'e1', cpumap: 'e2', broadcast: 'e3' }[mode];
  const ns: Record<string, string> = Object.fromEntries(['a', 'b', 'c', 'd'].map((h) => [h, l.addNs(`${tag}${h}`)]));
  l.addVeth(ns.a, 'veth0', MAC_A, ns.b, 'veth1', MAC_B1);
  l.addVeth(ns.b, 'veth2', MAC_B2, ns.c, 'veth3', MAC_C);
  l.addVeth(ns.b, 'veth4', MAC_B4, ns.d, 'veth5', MAC_D);
  l.ip(ns.b, 'addr', 'add', `${B_ADDR}/24`, 'dev', 'veth1');
  l.ip(ns.c, 'addr', 'add', `${C_ADDR}/24`, 'dev', 'veth3');
  const k = l.loadAll(REDIRECT_O, tag);
  const ifindex = (d: string): number => l.link(ns.b, d).ifindex;
  const fd = 4; // bpf_prog.fd in bpf_devmap_val and bpf_cpumap_val
  if (mode === 'devmap') {
    l.mapUpdateWithProg(k.map('tx_prog_port'), u32le(0), val8(ifindex('veth2')), k.prog('devmap_mark'), fd, ns.b);
    l.attachXdp(ns.b, 'veth1', k.prog('xdp_devmap_prog'));
  } else if (mode === 'cpumap') {
    l.mapUpdateWithProg(k.map('cpus'), u32le(1), val8(192), k.prog('cpumap_mark'), fd, ns.b);
    l.mapUpdate(k.map('tx_prog_port'), u32le(1), val8(ifindex('veth2')), ns.b);
    l.attachXdp(ns.b, 'veth1', k.prog('xdp_cpumap'));
  } else {
    l.mapUpdate(k.map('bcast_ports'), u32le(1), val8(ifindex('veth1')), ns.b);
    l.mapUpdateWithProg(k.map('bcast_ports'), u32le(2), val8(ifindex('veth2')), k.prog('devmap_mark'), fd, ns.b);
    l.mapUpdate(k.map('bcast_ports'), u32le(3), val8(ifindex('veth4')), ns.b);
    l.attachXdp(ns.b, 'veth1', k.prog('xdp_broadcast'));
  }
  l.attachXdp(ns.c, 'veth3', k.prog('xdp_pass'));
  l.attachXdp(ns.d, 'veth5', k.prog('xdp_pass'));
  const snmp0 = { b: l.snmp(ns.b), c: l.snmp(ns.c) };
  const at = (id: string): { ns: string; dev: string } => ({ ns: ns[id.split('/')[0]], dev: id.split('/')[1] });
  const kr = l.frames({
    captures: ['b/veth1', 'c/veth3', 'd/veth5'].map(at),
    sends: frames.map((f) => ({ ns: ns.a, dev: 'veth0', frame: f })),
    ethtool: ['b/veth1', 'b/veth2', 'b/veth4'].map(at),
  });
  const snmp1 = { b: l.snmp(ns.b), c: l.snmp(ns.c) };
  const [et1, et2, et4] = kr.ethtool;
  const counters: Record<string, number> = {
    'b/veth1 xdp_redirect': ethtoolSum(et1, 'xdp_redirect'),
    'b/veth2 xdp_xmit': ethtoolSum(et2, 'xdp_xmit'),
    'b/veth4 xdp_xmit': ethtoolSum(et4, 'xdp_xmit'),
    'b ip delivered': snmp1.b['Ip.InDelivers'] - snmp0.b['Ip.InDelivers'],
    'c ip delivered': snmp1.c['Ip.InDelivers'] - snmp0.c['Ip.InDelivers'],
  };
  for (const id of DEVS) {
    const st = l.link(at(id).ns, at(id).dev).stats;
    Object.assign(counters, { [`${id} rx`]: st.rx.packets, [`${id} tx`]: st.tx.packets, [`${id} rx bytes`]: st.rx.bytes, [`${id} tx bytes`]: st.tx.bytes });
  }
  return {
    captures: Object.fromEntries(['b/veth1', 'c/veth3', 'd/veth5'].map((id, i) => [id, kr.captures[i].map((f) => f.bytes)])),
    entrySeen: l.mapDump(k.map('entry_seen')).map((e) => hex(e.value as Uint8Array)),
    counters,
  };
}

function simSide(mode: Mode, frames: readonly Uint8Array[]): Side {
  const w = world(2);
  if (mode === 'devmap') {
    w.txProg.setTarget(0, w.veth2.ifindex, w.obj.program('devmap_mark'));
    w.net.attachXdp(w.veth1, w.obj.program('xdp_devmap_prog'));
  } else if (mode === 'cpumap') {
    w.cpuMap.setTarget(1, 192, w.obj.program('cpumap_mark'));
    w.txProg.setTarget(1, w.veth2.ifindex);
    w.net.attachXdp(w.veth1, w.obj.program('xdp_cpumap'));
  } else {
    w.bcast.setTarget(1, w.veth1.ifindex);
    w.bcast.setTarget(2, w.veth2.ifindex, w.obj.program('devmap_mark'));
    w.bcast.setTarget(3, w.veth4.ifindex);
    w.net.attachXdp(w.veth1, w.obj.program('xdp_broadcast'));
  }
  const captures = w.run(frames);
  const c = w.net.counters.snapshot();
  const counters: Record<string, number> = {
    'b/veth1 xdp_redirect': c['b/veth1/xdp/XDP_REDIRECT'] ?? 0,
    // veth reports what its peer's NAPI took from the ring as its xdp_xmit (here: only XDP frames).
    'b/veth2 xdp_xmit': c['c/veth3/rx_packets'] ?? 0,
    'b/veth4 xdp_xmit': c['d/veth5/rx_packets'] ?? 0,
    'b ip delivered': c['b/delivered/ipv4'] ?? 0,
    'c ip delivered': c['c/delivered/ipv4'] ?? 0,
  };
  for (const id of DEVS) Object.assign(counters, { [`${id} rx`]: c[`${id}/rx_packets`] ?? 0, [`${id} tx`]: c[`${id}/tx_packets`] ?? 0, [`${id} rx bytes`]: c[`${id}/rx_bytes`] ?? 0, [`${id} tx bytes`]: c[`${id}/tx_bytes`] ?? 0 });
  return { captures, entrySeen: w.obj.map('entry_seen').entries().map((e) => hex(e.value as Uint8Array)), counters };
}

describe.skipIf(skipReason !== undefined)('entry programs against the kernel (netns, veth, native XDP)', () => {
  const cases: Record<Mode, { what: string; frames: () => Uint8Array[]; check: (k: Side) => void }> = {
    devmap: {
      what: 'devmap redirect with an entry program: veth1 → tx_prog_port[0] = veth2 + devmap_mark',
      frames: () => ruleFrames(MAC_C, C_ADDR),
      check: (k) => {
        expect(k.captures['c/veth3']).toHaveLength(2);
        expect(k.counters['b/veth2 xdp_xmit']).toBe(2);
      },
    },
    cpumap: {
      what: 'cpumap entry program: veth1 → cpus[1] + cpumap_mark, PASS to b\'s stack, TCP 8080 on to veth2',
      frames: () => ruleFrames(MAC_B1, B_ADDR),
      check: (k) => {
        expect(k.captures['b/veth1']).toHaveLength(2);
        expect(k.captures['c/veth3']).toHaveLength(1);
      },
    },
    broadcast: {
      what: 'BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS through a DEVMAP_HASH: veth2 + devmap_mark, veth4 without',
      frames: () => ruleFrames(MAC_B1, B_ADDR),
      check: (k) => {
        expect(k.captures['c/veth3']).toHaveLength(2);
        expect(k.captures['d/veth5']).toHaveLength(6);
      },
    },
  };
  for (const mode of ['devmap', 'cpumap', 'broadcast'] as const) {
    it(cases[mode].what, () => {
      const frames = cases[mode].frames();
      const k = kernelSide(lab as Lab, mode, frames);
      const s = simSide(mode, frames);
      console.log(`[kernel vs chainlab] ${mode}: ${JSON.stringify({ kernel: k.counters, sim: s.counters })}`);
      for (const id of ['b/veth1', 'c/veth3', 'd/veth5']) expectSameFrames(`arrivals at ${id}`, k.captures[id], s.captures[id]);
      expect(s.entrySeen, 'entry_seen').toEqual(k.entrySeen);
      expect(s.counters).toEqual(k.counters);
      cases[mode].check(k);
    });
  }
});
