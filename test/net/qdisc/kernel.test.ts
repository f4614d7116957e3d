/**
 * The real kernel as the oracle (DESIGN.md "Truth"): configure the same qdisc on a veth in
 * network namespaces this test creates, send the same UDP packets with the same spacing from a
 * small Node sender inside the namespace, and compare `tc -s qdisc show` counters with the
 * model fed the sender's recorded send times. Timing on a real machine jitters by microseconds,
 * so counts are compared within a small tolerance. Skips, loudly, without root or netns.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import { createQdisc, type Htb, type Qdisc, type QdiscSpec } from '../../../src/net/qdisc/index.ts';
import { P, Wire } from './helpers.ts';

const NS_A = `clq${process.pid}a`;
const NS_B = `clq${process.pid}b`;
const SRC = '10.213.0.1';
const DST = '10.213.0.2';
const HDR = 14 + 20 + 8; // Ethernet + IPv4 + UDP: the length the qdisc sees

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function canUseNetns(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = `clqprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns refused: ${(r.stderr || r.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  const tc = spawnSync('tc', ['-V'], { encoding: 'utf8' });
  if (tc.status !== 0) return 'tc (iproute2) not found';
  return undefined;
}

const skipReason = canUseNetns();
if (skipReason !== undefined) console.warn(`[qdisc kernel comparison] SKIPPED: ${skipReason}`);

// A paced UDP sender: busy-waits to each send time, records when send() was called (ns from the first).
const SENDER = `
import dgram from 'node:dgram';
const cfg = JSON.parse(process.argv[2]);
const socks = await Promise.all(cfg.ports.map((port) => new Promise((res) => {
  const s = dgram.createSocket('udp4');
  s.on('error', (e) => { console.error('sender: ' + e.message); process.exit(1); });
  s.bind(0, cfg.src, () => s.connect(port, cfg.dst, () => res(s)));
})));
const payload = Buffer.alloc(cfg.payload, 0x5a);
const t = [];
const t0 = process.hrtime.bigint();
for (let i = 0; i < cfg.n; i++) {
  const due = t0 + BigInt(Math.round(i * cfg.gapNs));
  let now = process.hrtime.bigint();
  while (now < due) now = process.hrtime.bigint();
  t.push(Number(now - t0));
  socks[i % socks.length].send(payload);
}
setTimeout(() => { process.stdout.write(JSON.stringify(t)); process.exit(0); }, 300);
`;

let dir = '';

function ipA(...args: string[]): void {
  sh('ip', ['-n', NS_A, ...args]);
}

beforeAll(() => {
  if (skipReason !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'chainlab-qdisc-'));
  writeFileSync(join(dir, 'sender.mjs'), SENDER);
  for (const ns of [NS_A, NS_B]) {
    sh('ip', ['netns', 'add', ns]);
    // no IPv6 (router solicitations, MLD) and no ARP: only our packets pass the qdisc
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  ipA('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', NS_B);
  ipA('addr', 'add', `${SRC}/24`, 'dev', 'va');
  // vb gets no address: B has no route for DST and does not forward, so it drops silently
  // (ip_error() sends no ICMP when forwarding is off) and nothing comes back to the sender.
  ipA('link', 'set', 'lo', 'up');
  ipA('link', 'set', 'va', 'up');
  sh('ip', ['-n', NS_B, 'link', 'set', 'vb', 'up']);
  const mac = JSON.parse(sh('ip', ['-j', '-n', NS_B, 'link', 'show', 'vb']))[0].address as string;
  ipA('neigh', 'replace', DST, 'lladdr', mac, 'dev', 'va', 'nud', 'permanent');
}, 30_000);

afterAll(() => {
  for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface KStats {
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
  backlog: number;
  qlen: number;
}

/** Replace the root qdisc (fresh counters), run the sender, wait for the queue to drain, read counters. */
function kernelRun(tcArgs: string[][], sender: { n: number; gapNs: number; payload: number; ports: number[] }, withClasses = false): { times: number[]; qdisc: KStats; classes: (KStats & { handle: string })[] } {
  spawnSync('tc', ['-n', NS_A, 'qdisc', 'del', 'dev', 'va', 'root']);
  for (const a of tcArgs) sh('tc', ['-n', NS_A, ...a]);
  const out = sh('ip', ['netns', 'exec', NS_A, process.execPath, join(dir, 'sender.mjs'), JSON.stringify({ ...sender, src: SRC, dst: DST })]);
  const times = JSON.parse(out) as number[];
  const rootStats = (): KStats => (JSON.parse(sh('tc', ['-s', '-j', '-n', NS_A, 'qdisc', 'show', 'dev', 'va'])) as (KStats & { root?: boolean })[]).find((x) => x.root === true) as KStats;
  let q = rootStats();
  // wait for the shaper to drain what is still queued
  for (let i = 0; i < 100 && (q.qlen > 0 || q.backlog > 0); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    q = rootStats();
  }
  // (tc 6.1 prints classes as text even with -j, so read the text)
  const classes: (KStats & { handle: string })[] = [];
  if (withClasses) {
    const text = sh('tc', ['-s', '-n', NS_A, 'class', 'show', 'dev', 'va']);
    for (const m of text.matchAll(/class \S+ (\S+) [^]*?Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/g)) {
      classes.push({ handle: m[1], bytes: +m[2], packets: +m[3], drops: +m[4], overlimits: +m[5], backlog: 0, qlen: 0 });
    }
  }
  return { times, qdisc: q, classes };
}

/** The model, fed the same send times; packets leave as soon as the qdisc allows (veth is fast). */
function modelRun(spec: QdiscSpec | string, times: number[], payload: number, classOf: (i: number) => number = () => 0): { q: Qdisc; wire: Wire } {
  const sim = new Simulator();
  const q = createQdisc(spec, sim);
  const wire = new Wire(sim, q, 100e9);
  times.forEach((t, i) => sim.scheduleAt(t, () => wire.send(new P(payload + HDR, 0, 0, classOf(i)))));
  sim.run();
  return { q, wire };
}

/** Whether this kernel can instantiate a qdisc kind (a module may be missing). */
function kernelHasQdisc(kind: string): boolean {
  spawnSync('tc', ['-n', NS_A, 'qdisc', 'del', 'dev', 'va', 'root']);
  const r = spawnSync('tc', ['-n', NS_A, 'qdisc', 'add', 'dev', 'va', 'root', kind], { encoding: 'utf8' });
  spawnSync('tc', ['-n', NS_A, 'qdisc', 'del', 'dev', 'va', 'root']);
  return r.status === 0;
}

const near = (a: number, b: number, abs: number, rel: number): boolean => Math.abs(a - b) <= Math.max(abs, rel * Math.max(a, b));

describe.skipIf(skipReason !== undefined)('qdiscs against the kernel (veth in netns)', () => {
  // The model wakes a throttled qdisc at the exact ns; the kernel's watchdog hrtimer and the
  // net_tx softirq add microseconds per wake-up, which only a one-packet bucket (peakrate mtu,
  // htb's default 1600-byte burst) turns into lost credit: those cases get a looser tolerance.
  it.each([
    // name, tc arguments (also the model spec), sender, relative tolerance
    ['burst of 120 into tbf 10mbit/10k/limit 30000', 'tbf rate 10mbit burst 10k limit 30000', { n: 120, gapNs: 0, payload: 1000 }, 0.02],
    ['tbf 10mbit/10k/latency 20ms at 2× rate for 0.5 s', 'tbf rate 10mbit burst 10k latency 20ms', { n: 1200, gapNs: 416_800, payload: 1000 }, 0.02],
    ['tbf 5mbit/4k/limit 20k at 3× rate, small packets', 'tbf rate 5mbit burst 4k limit 20k', { n: 1500, gapNs: 100_000, payload: 150 }, 0.02],
    ['tbf with peakrate 20mbit, mtu 1514, at 4× rate', 'tbf rate 10mbit burst 20k limit 15k peakrate 20mbit mtu 1514', { n: 400, gapNs: 208_400, payload: 1000 }, 0.08],
  ])('%s', (_name, args, s, tol) => {
    const k = kernelRun([['qdisc', 'add', 'dev', 'va', 'root', ...args.split(' ')]], { ...s, ports: [9] });
    const { q } = modelRun(args, k.times, s.payload);
    const m = q.stats();
    console.log(`[kernel vs model] ${args}: sent ${k.qdisc.packets}/${m.packets} dropped ${k.qdisc.drops}/${m.drops} overlimits ${k.qdisc.overlimits}/${m.overlimits}`);
    expect(k.qdisc.packets + k.qdisc.drops).toBe(s.n);
    expect(m.packets + m.drops).toBe(s.n);
    expect(near(m.packets, k.qdisc.packets, 2, tol)).toBe(true);
    expect(near(m.drops, k.qdisc.drops, 2, tol)).toBe(true);
    expect(k.qdisc.bytes).toBe(k.qdisc.packets * (s.payload + HDR));
  });

  it('fq_codel behind tbf: CoDel drops an unresponsive flow at 2× the rate', (ctx) => {
    if (!kernelHasQdisc('fq_codel')) {
      console.warn('[qdisc kernel comparison] SKIPPED fq_codel: this kernel has no sch_fq_codel');
      ctx.skip();
    }
    const tc = [
      ['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'tbf', 'rate', '10mbit', 'burst', '10k', 'limit', '1000000'],
      ['qdisc', 'add', 'dev', 'va', 'parent', '1:1', 'handle', '10:', 'fq_codel'],
    ];
    const s = { n: 2400, gapNs: 416_800, payload: 1000, ports: [9] };
    const k = kernelRun(tc, s);
    const { q } = modelRun({ kind: 'tbf', rate: '10mbit', burst: '10k', limit: 1_000_000, qdisc: { kind: 'fq_codel' } }, k.times, s.payload);
    const m = q.stats();
    console.log(`[kernel vs model] tbf+fq_codel: sent ${k.qdisc.packets}/${m.packets} dropped ${k.qdisc.drops}/${m.drops}`);
    expect(k.qdisc.packets + k.qdisc.drops).toBe(s.n);
    expect(m.drops).toBeGreaterThan(0);
    expect(near(m.drops, k.qdisc.drops, 3, 0.1)).toBe(true);
    expect(near(m.packets, k.qdisc.packets, 3, 0.03)).toBe(true);
  });

  it('htb 30/70 of 10mbit with u32 classification and pfifo leaves', () => {
    const tc = [
      ['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'htb', 'default', '20'],
      ['class', 'add', 'dev', 'va', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10mbit'],
      ['class', 'add', 'dev', 'va', 'parent', '1:1', 'classid', '1:10', 'htb', 'rate', '3mbit', 'ceil', '10mbit'],
      ['class', 'add', 'dev', 'va', 'parent', '1:1', 'classid', '1:20', 'htb', 'rate', '7mbit', 'ceil', '10mbit'],
      ['qdisc', 'add', 'dev', 'va', 'parent', '1:10', 'pfifo', 'limit', '20'],
      ['qdisc', 'add', 'dev', 'va', 'parent', '1:20', 'pfifo', 'limit', '20'],
      ['filter', 'add', 'dev', 'va', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dport', '5001', '0xffff', 'flowid', '1:10'],
    ];
    // two flows alternating, 20 Mbit/s offered in total, for 0.6 s
    const s = { n: 1500, gapNs: 400_000, payload: 958, ports: [5001, 5002] };
    const k = kernelRun(tc, s, true);
    const spec: QdiscSpec = {
      kind: 'htb', default: '20', classes: [
        { classid: '1:1', rate: '10mbit' },
        { classid: '1:10', parent: '1:1', rate: '3mbit', ceil: '10mbit', qdisc: { kind: 'pfifo', limit: 20 } },
        { classid: '1:20', parent: '1:1', rate: '7mbit', ceil: '10mbit', qdisc: { kind: 'pfifo', limit: 20 } },
      ],
    };
    const { q } = modelRun(spec, k.times, s.payload, (i) => (i % 2 === 0 ? 0x10 : 0));
    const kc = (h: string) => k.classes.find((c) => c.handle === h) as KStats;
    const mc = (h: string) => (q as Htb).classStats().find((c) => c.classid === h) as { packets: number; drops: number };
    console.log(`[kernel vs model] htb: 1:10 sent ${kc('1:10').packets}/${mc('1:10').packets} dropped ${kc('1:10').drops}/${mc('1:10').drops}, 1:20 sent ${kc('1:20').packets}/${mc('1:20').packets} dropped ${kc('1:20').drops}/${mc('1:20').drops}`);
    expect(k.qdisc.packets + k.qdisc.drops).toBe(s.n);
    for (const h of ['1:10', '1:20']) {
      expect(near(mc(h).packets, kc(h).packets, 3, 0.08)).toBe(true);
      expect(near(mc(h).drops, kc(h).drops, 3, 0.08)).toBe(true);
    }
    expect(near(q.stats().packets, k.qdisc.packets, 3, 0.06)).toBe(true);
    expect(kc('1:10').packets / (kc('1:10').packets + kc('1:20').packets)).toBeGreaterThan(0.25);
  });
});
