/**
 * A simulated network: the event core, one eBPF runtime shared by every namespace (as on one
 * Linux machine: maps and bpffs are global, CPUs are shared), hosts with their devices, links,
 * the cost profile, counters and the trace source. Also the pieces that span devices: cpumap
 * queues (kernel/bpf/cpumap.c: bulks of 8 to a remote CPU's kthread that builds skbs there) and
 * qdisc watchdog wake-ups.
 */
import { costProfile, type CostProfile } from '../cost/profile.ts';
import type { BpfMap } from '../ebpf/maps/index.ts';
import type { LiveProgram } from '../ebpf/runtime/runtime.ts';
import { Runtime } from '../ebpf/runtime/runtime.ts';
import type { Simulator } from '../sim/index.ts';
import { TraceBus } from '../trace/bus.ts';
import { LatencyRecorder, RecentWindow } from '../trace/latency.ts';
import type { Hook } from '../trace/records.ts';
import { Bridge } from './bridge.ts';
import { begin, Cpu, end, type Exec } from './cpu.ts';
import { HookScratch } from './hooks.ts';
import { Host } from './host.ts';
import type { Netdev, XdpBulk, XdpMode } from './netdev.ts';
import { type Link, Nic, type NicOptions } from './nic.ts';
import { resetPacketIds, Skb } from './skb.ts';
import { Veth } from './veth.ts';

/**
 * Where a capture can sit: any hop's hook (the frame as it leaves that hop), or tcpdump's two
 * points — 'rx' in __netif_receive_skb_core (after XDP and generic XDP, before tc ingress) and
 * 'tx' in dev_hard_start_xmit (after tc egress and the qdisc).
 */
export type TapPoint = Hook | 'rx' | 'tx';
export const TCPDUMP_POINTS: readonly TapPoint[] = ['rx', 'tx'];

/** CPU_MAP_BULK_SIZE. */
export const CPU_MAP_BULK_SIZE = 8;

/** Where packets ended, aggregated: delivered or dropped, where, which traffic and flow, why. */
export interface LedgerEntry {
  outcome: 'delivered' | 'dropped' | 'left';
  host: string;
  dev: string;
  traffic?: string;
  flow?: string;
  reason?: string;
  count: number;
}

/** A counter a hot path keeps a reference to, so counting is one addition. */
export interface Cell {
  v: number;
}

export class Counters {
  private readonly m = new Map<string, Cell>();
  add(name: string, n = 1): void {
    this.cell(name).v += n;
  }
  cell(name: string): Cell {
    let c = this.m.get(name);
    if (!c) this.m.set(name, (c = { v: 0 }));
    return c;
  }
  get(name: string): number {
    return this.m.get(name)?.v ?? 0;
  }
  /** Every counter, sorted by name (deterministic output). */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.m.entries()].filter(([, c]) => c.v !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, c]) => [k, c.v]));
  }
}

export interface NetworkOptions {
  cpus?: number;
  costs?: Partial<CostProfile>;
  runtime?: Runtime;
}

interface CpumapQueue {
  dev: Netdev;
  cpu: number;
  frames: Skb[];
  /** The entry's program (bpf_cpumap_val.bpf_prog), as of the last frame queued. */
  prog: LiveProgram | undefined;
}

let macCounter = 0;

export class Network {
  readonly runtime: Runtime;
  readonly costs: CostProfile;
  /** Contexts and buffers the hooks reuse from run to run. */
  readonly scratch: HookScratch;
  readonly trace = new TraceBus();
  readonly counters = new Counters();
  readonly cpus: Cpu[];
  readonly hosts = new Map<string, Host>();
  readonly links: Link[] = [];
  /** CPU that TX completions are charged to (not modelled: drivers clean TX rings in NAPI too). */
  readonly txCpu = new Cpu(-1);
  /** Latencies (ns) of packets that finished (delivered or left the network), in bounded memory. */
  readonly latency = new LatencyRecorder();
  /** The same latencies, the most recent ones in finishing order (for the viewer's live figures). */
  readonly recent = new RecentWindow();
  /** Latencies of delivered packets by "host/dev|traffic|flow". */
  readonly latencyBy = new Map<string, LatencyRecorder>();
  /** Called for every injected packet (expectations that follow a packet's path use it). */
  onInject: ((skb: Skb) => void) | undefined = undefined;
  /** Packet outcomes by (outcome, host, dev, traffic, flow, reason): device+outcome+reason, then traffic+flow. */
  private readonly outcomes = new Map<Netdev, Map<string, Map<string, LedgerEntry>>>();
  /** The same entries by dev → outcome → reason → traffic → flow, for the per-packet lookup. */
  private readonly ledgerIndex = new Map<Netdev, Map<string, Map<string | undefined, Map<string | undefined, Map<string | undefined, LedgerEntry>>>>>();
  /** latencyBy's recorders by dev → traffic → flow, for the per-packet lookup. */
  private readonly latencyIndex = new Map<Netdev, Map<string | undefined, Map<string | undefined, LatencyRecorder>>>();
  /** Packet captures by device id ("host/dev"): called at the hooks they asked for, with the frame. */
  readonly taps = new Map<string, { points: ReadonlySet<TapPoint>; fn: (t: number, frame: Uint8Array, point: TapPoint) => void }[]>();
  private readonly cpumapQueues = new Map<string, CpumapQueue>();
  /** Devmap bulk queues of redirects from cpumap programs, flushed after each batch. */
  private readonly cpumapBulks = new Map<Netdev, XdpBulk>();
  private readonly wakeups = new Map<Netdev, number>();

  constructor(
    readonly sim: Simulator,
    opts: NetworkOptions = {},
  ) {
    resetPacketIds();
    macCounter = 0;
    const n = opts.cpus ?? 1;
    this.cpus = Array.from({ length: n }, (_, i) => new Cpu(i));
    this.costs = costProfile(opts.costs);
    this.runtime = opts.runtime ?? new Runtime({ nCpus: n });
    this.scratch = new HookScratch(this.runtime, () => this.observed);
  }

  cpu(id: number): Cpu {
    const c = this.cpus[id];
    if (!c) throw new Error(`no CPU ${id}: the network has ${this.cpus.length}`);
    return c;
  }

  addHost(name: string): Host {
    if (this.hosts.has(name)) throw new Error(`host ${name} exists`);
    const h = new Host(this, name);
    this.hosts.set(name, h);
    return h;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Locally administered MACs, deterministic per network: 02:00:00:00:00:01, … */
  nextMac(): Uint8Array {
    macCounter++;
    return Uint8Array.from([0x02, 0, 0, (macCounter >> 16) & 0xff, (macCounter >> 8) & 0xff, macCounter & 0xff]);
  }

  addNic(host: Host, name: string, opts: NicOptions & { mac?: Uint8Array } = {}): Nic {
    const nic = new Nic(this, host, name, host.allocIfindex(), opts.mac ?? this.nextMac(), opts);
    host.addDevice(nic);
    return nic;
  }

  addVethPair(a: Host, aName: string, b: Host, bName: string, macs: { a?: Uint8Array; b?: Uint8Array } = {}): [Veth, Veth] {
    const va = new Veth(this, a, aName, a.allocIfindex(), macs.a ?? this.nextMac());
    const vb = new Veth(this, b, bName, b.allocIfindex(), macs.b ?? this.nextMac());
    va.peer = vb;
    vb.peer = va;
    a.addDevice(va);
    b.addDevice(vb);
    return [va, vb];
  }

  addBridge(host: Host, name: string, mac?: Uint8Array): Bridge {
    const br = new Bridge(this, host, name, host.allocIfindex(), mac ?? this.nextMac());
    host.addDevice(br);
    return br;
  }

  /** A cable between two NICs: a one-way delay, and optionally its own rate and a loss probability. */
  connect(a: Nic, b: Nic, delayNs = 0, opts: { rateBps?: number; loss?: number } = {}): Link {
    if (a.link || b.link) throw new Error(`${a.link ? a.id : b.id} is already connected`);
    const loss = opts.loss ?? 0;
    if (!(loss >= 0 && loss <= 1)) throw new RangeError(`link ${a.id} — ${b.id}: loss must be in [0, 1], got ${loss}`);
    if (opts.rateBps !== undefined && !(opts.rateBps > 0)) throw new RangeError(`link ${a.id} — ${b.id}: rate must be positive, got ${opts.rateBps}`);
    const l: Link = { a, b, delayNs, loss };
    if (opts.rateBps !== undefined) l.rateBps = opts.rateBps;
    if (loss > 0) l.lossRng = this.sim.rng(`link:${a.id}-${b.id}`);
    a.link = l;
    b.link = l;
    this.links.push(l);
    return l;
  }

  attachXdp(dev: Netdev, prog: LiveProgram, mode: XdpMode = 'native'): void {
    if (prog.progType !== 'BPF_PROG_TYPE_XDP') throw new Error(`${prog.name} is ${prog.progType}, not an XDP program`);
    if (dev.xdp) throw new Error(`${dev.id} already has an XDP program (${dev.xdp.prog.name}); detach it first, or chain with tail calls or a dispatcher`);
    if (mode === 'native' && dev.kind === 'bridge') throw new Error(`${dev.id}: a bridge has no native XDP; use xdpgeneric`);
    dev.xdp = { prog, mode };
  }

  attachTc(dev: Netdev, dir: 'ingress' | 'egress', prog: LiveProgram, prio = 1): void {
    if (prog.progType !== 'BPF_PROG_TYPE_SCHED_CLS' && prog.progType !== 'BPF_PROG_TYPE_SCHED_ACT') throw new Error(`${prog.name} is ${prog.progType}, not a tc (SCHED_CLS) program`);
    const chain = dir === 'ingress' ? dev.tcIngress : dev.tcEgress;
    chain.push({ prog, prio });
    // Filters run in priority order; equal priorities in insertion order.
    chain.sort((x, y) => x.prio - y.prio);
  }

  /**
   * A frame enters from the wire at `dev` (a NIC) or is sent by its host out of `dev` (other
   * devices). The packet takes `bytes` as its own (forwarding rewrites them in place): pass a
   * fresh array.
   */
  inject(dev: Netdev, bytes: Uint8Array, meta: { traffic?: string; flow?: string } = {}): Skb {
    const skb = new Skb(bytes, this.sim.now);
    skb.flow = meta.flow;
    skb.traffic = meta.traffic;
    this.counters.add('injected', 1);
    this.onInject?.(skb);
    // Taps see the frame as it enters, just before its first hop record (the viewer decodes it).
    if (this.taps.size > 0) this.tap(dev, 'wire', skb, this.sim.now);
    if (this.trace.on) this.trace.emit({ type: 'hop', t: this.sim.now, pkt: skb.id, host: dev.host.name, dev: dev.name, hook: 'wire', verdict: dev instanceof Nic ? 'arrive' : 'send', len: skb.len, flow: meta.flow, traffic: meta.traffic });
    if (dev instanceof Nic) dev.receiveFromWire(skb);
    else {
      const x = begin(this.cpus[0], this.sim.now);
      const s = x.t;
      dev.xmit(x, skb);
      end(x, s);
    }
    return skb;
  }

  /** A frame left a NIC with no link: it left the simulated network. */
  exitNetwork(dev: Netdev, skb: Skb, at: number): void {
    this.counters.add(`${dev.id}/egress_out`, 1);
    const lat = at - skb.born;
    this.latency.record(lat);
    this.recent.push(lat);
    this.record('left', dev, skb);
  }

  recordDelivery(dev: Netdev, skb: Skb, at: number): void {
    const lat = Math.round(at) - skb.born;
    this.latency.record(lat);
    this.recent.push(lat);
    const flow = skb.flowNow();
    const byTraffic = child(this.latencyIndex, dev);
    const byFlow = child(byTraffic, skb.traffic);
    let l = byFlow.get(flow);
    if (l === undefined) {
      const k = `${dev.id}|${skb.traffic ?? ''}|${flow ?? ''}`;
      l = this.latencyBy.get(k);
      if (l === undefined) this.latencyBy.set(k, (l = new LatencyRecorder()));
      byFlow.set(flow, l);
    }
    l.record(lat);
    this.record('delivered', dev, skb);
  }

  /** Count where a packet ended (aggregated: memory grows with distinct flows, not packets). */
  record(outcome: LedgerEntry['outcome'], dev: Netdev, skb: Skb, reason?: string): void {
    // The flow as the packet is where it ends (after any NAT or encapsulation on the way).
    const flow = skb.flowNow();
    // Per-packet path: nested lookups on shared strings (hashed once), no key built per packet.
    const byFlow = child(child(child(child(this.ledgerIndex, dev), outcome), reason), skb.traffic);
    const e = byFlow.get(flow);
    if (e !== undefined) {
      e.count++;
      return;
    }
    let byDev = this.outcomes.get(dev);
    if (!byDev) this.outcomes.set(dev, (byDev = new Map()));
    const ok = reason === undefined ? outcome : outcome + '|' + reason;
    let byKey = byDev.get(ok);
    if (!byKey) byDev.set(ok, (byKey = new Map()));
    const fk = skb.traffic === undefined ? (flow ?? '') : `${skb.traffic}|${flow ?? ''}`;
    let entry = byKey.get(fk);
    if (entry === undefined) byKey.set(fk, (entry = { outcome, host: dev.host.name, dev: dev.name, traffic: skb.traffic, flow, reason, count: 0 }));
    entry.count++;
    byFlow.set(flow, entry);
  }

  /** Every outcome entry (deterministic order: devices, then outcomes and flows as first seen). */
  /** Whether anyone watches hops (a trace listener or a capture): hop records are built only then. */
  get observed(): boolean {
    return this.trace.on || this.taps.size > 0;
  }

  get ledger(): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (const byDev of this.outcomes.values()) for (const byFlow of byDev.values()) for (const e of byFlow.values()) out.push(e);
    return out;
  }

  /** XDP_REDIRECT into a cpumap: bulk per entry; flushed at the end of the NAPI poll. */
  cpumapEnqueue(x: Exec, dev: Netdev, skb: Skb, cpu: number, map: BpfMap, key: number, prog?: LiveProgram): void {
    if (cpu < 0 || cpu >= this.cpus.length) {
      dev.drop(x, skb, 'xdp-redirect', 'XDP_REDIRECT_ERR', `cpumap entry ${key} names CPU ${cpu}, the network has ${this.cpus.length}`);
      return;
    }
    const k = `${map.id}/${key}/${dev.id}`;
    let q = this.cpumapQueues.get(k);
    if (!q) this.cpumapQueues.set(k, (q = { dev, cpu, frames: [], prog: undefined }));
    q.prog = prog;
    q.frames.push(skb);
    if (q.frames.length >= CPU_MAP_BULK_SIZE) this.flushCpumap(x, q);
  }

  flushCpumaps(x: Exec): void {
    for (const q of this.cpumapQueues.values()) if (q.frames.length) this.flushCpumap(x, q);
  }

  /**
   * The remote CPU's kthread builds skbs and runs the stack (cpu_map_kthread_run); an entry with a
   * program runs it over the batch first (cpu_map_bpf_prog_run), and only what it passes becomes skbs.
   */
  private flushCpumap(x: Exec, q: CpumapQueue): void {
    const frames = q.frames;
    q.frames = [];
    const prog = q.prog;
    const cpu = this.cpus[q.cpu];
    const at = Math.max(this.sim.now, Math.ceil(x.t));
    if (this.observed) for (const f of frames) q.dev.hop(x, f, 'xdp-redirect', { verdict: `cpumap to cpu ${q.cpu}` });
    this.sim.scheduleAt(at, () => {
      const y = begin(cpu, this.sim.now);
      const s = y.t;
      const pass = prog === undefined ? frames : q.dev.cpumapProg(y, frames, prog, this.cpumapBulks);
      for (const f of pass) {
        y.t += this.costs.skbBuildNs;
        q.dev.receiveSkb(y, f, 0);
      }
      end(y, s);
    });
  }

  /**
   * Capture frames at a device, like tcpdump -i: by default where the kernel's taps sit — frames
   * arriving (after XDP, before tc ingress: the skb path's first hop) and leaving (at the driver).
   */
  addTap(devId: string, fn: (t: number, frame: Uint8Array, point: TapPoint) => void, points: readonly TapPoint[] = TCPDUMP_POINTS): void {
    const l = this.taps.get(devId) ?? [];
    l.push({ points: new Set(points), fn });
    this.taps.set(devId, l);
  }

  tap(dev: Netdev, point: TapPoint, skb: Skb, t: number): void {
    const l = this.taps.get(dev.id);
    if (!l) return;
    // libpcap shows an offloaded VLAN tag back in the frame.
    for (const tp of l) if (tp.points.has(point)) tp.fn(Math.round(t), skb.vlan ? skb.withVlanTag() : skb.data, point);
  }

  /** Qdisc watchdog: kick the device's qdisc at time t (once per device and time). */
  wakeAt(dev: Netdev, t: number): void {
    const at = Math.ceil(t);
    const pending = this.wakeups.get(dev);
    if (pending !== undefined && pending <= at && pending >= this.sim.now) return;
    this.wakeups.set(dev, at);
    this.sim.scheduleAt(at, () => {
      if (this.wakeups.get(dev) === at) this.wakeups.delete(dev);
      dev.kickQdisc(this.sim.now);
    });
  }

  /** Every host, device and link, for the viewer and `--json` summaries. */
  topology(): { hosts: { name: string; devices: ReturnType<Netdev['describe']>[] }[]; links: { a: string; b: string; kind: 'wire' | 'veth' }[] } {
    const hosts = [...this.hosts.values()].map((h) => ({ name: h.name, devices: [...h.devices.values()].map((d) => d.describe()) }));
    const links: { a: string; b: string; kind: 'wire' | 'veth' }[] = this.links.map((l) => ({ a: l.a.id, b: l.b.id, kind: 'wire' }));
    const seen = new Set<Netdev>();
    for (const h of this.hosts.values()) {
      for (const d of h.devices.values()) {
        if (d instanceof Veth && !seen.has(d.peer)) {
          seen.add(d);
          links.push({ a: d.id, b: d.peer.id, kind: 'veth' });
        }
      }
    }
    return { hosts, links };
  }
}

/** The map under key k of a map of maps, created empty on first use. */
function child<K, C extends Map<unknown, unknown>>(m: Map<K, C>, k: K): C {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = new Map() as C));
  return v;
}
