/**
 * A network device and the paths every device shares: the XDP hook and its verdicts
 * (net/core/filter.c: xdp_do_redirect, and the drivers' XDP_TX/XDP_REDIRECT handling), the
 * clsact hooks with direct-action bpf filters in priority order (net/core/dev.c:
 * sch_handle_ingress/sch_handle_egress, net/sched/cls_bpf.c), and the egress path through the
 * root qdisc (__dev_queue_xmit). Subclasses (NIC, veth) supply the driver: how frames arrive,
 * how they leave, and what ndo_xdp_xmit does.
 */
import type { LiveProgram } from '../ebpf/runtime/runtime.ts';
import { BPF_F_INGRESS, TC_ACT_OK, TC_ACT_PIPE, TC_ACT_RECLASSIFY, TC_ACT_REDIRECT, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_UNSPEC, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX, TC_ACT_QUEUED } from '../ebpf/runtime/env.ts';
import type { Qdisc } from './qdisc/base.ts';
import { type Exec } from './cpu.ts';
import { runTc, runXdp, tcVerdictName, xdpVerdictName, type ProgOutcome } from './hooks.ts';
import type { Host } from './host.ts';
import type { Cell, Network } from './network.ts';
import type { Skb } from './skb.ts';
import type { Hook } from '../trace/records.ts';

export type XdpMode = 'native' | 'generic';

export interface TcFilter {
  prog: LiveProgram;
  prio: number;
}

/** bpf_redirect into a device from XDP: frames waiting for the flush at the end of the NAPI poll. */
export interface XdpBulk {
  dev: Netdev;
  frames: Skb[];
}

/** DEV_MAP_BULK_SIZE (kernel/bpf/devmap.c): frames per ndo_xdp_xmit call. */
export const DEV_MAP_BULK_SIZE = 16;
/** Reclassify loops before tc gives up (net/sched/cls_api.c: max_reclassify_loop). */
const MAX_RECLASSIFY = 4;

const tcNames = [new Map<number, string>(), new Map<number, string>()];
/** "tc-ingress/TC_ACT_OK"…, built once per verdict. */
function tcCounterName(ingress: boolean, v: number, name: string): string {
  const m = tcNames[ingress ? 0 : 1];
  let s = m.get(v);
  if (s === undefined) m.set(v, (s = `${ingress ? 'tc-ingress' : 'tc-egress'}/${name}`));
  return s;
}

/** Counter names per XDP verdict, so the hot path builds no strings. */
const XDP_COUNTER = ['xdp/XDP_ABORTED', 'xdp/XDP_DROP', 'xdp/XDP_PASS', 'xdp/XDP_TX', 'xdp/XDP_REDIRECT'];

const PACKET_HOST = 0;
const PACKET_BROADCAST = 1;
const PACKET_MULTICAST = 2;
const PACKET_OTHERHOST = 3;

export abstract class Netdev {
  abstract readonly kind: 'nic' | 'veth' | 'lo' | 'bridge';
  xdp?: { prog: LiveProgram; mode: XdpMode };
  readonly tcIngress: TcFilter[] = [];
  readonly tcEgress: TcFilter[] = [];
  qdisc?: Qdisc;
  up = true;
  mtu = 1500;
  /** Bridge this device is a port of. */
  master?: Netdev;
  readonly addrs: { family: 4 | 6; addr: Uint8Array; prefixLen: number }[] = [];

  constructor(
    readonly net: Network,
    public host: Host,
    readonly name: string,
    readonly ifindex: number,
    readonly mac: Uint8Array,
  ) {}

  get id(): string {
    return `${this.host.name}/${this.name}`;
  }

  /** Frame the driver transmits (after the qdisc); the device decides where it goes. */
  protected abstract driverXmit(x: Exec, skb: Skb): void;

  /** ndo_xdp_xmit: frames redirected into this device; returns how many it took. */
  abstract xdpXmit(x: Exec, frames: Skb[]): number;

  /** Does the device advertise NETDEV_XDP_ACT_NDO_XMIT now (can frames be redirected into it)? */
  acceptsXdpFrames(): boolean {
    return true;
  }

  /** Why ndo_xdp_xmit refused frames, for the trace. */
  xmitRefusal(): string {
    return 'ndo_xdp_xmit failed';
  }

  /** XDP_TX: the frame leaves through the device it came from. */
  protected abstract xdpTx(x: Exec, skb: Skb): void;

  private readonly cells = new Map<string, Cell>();

  /** Add to this device's counter `name` ("host/dev/name"); the cell is looked up once per name. */
  count(name: string, n = 1): void {
    this.cell(name).v += n;
  }

  /** A counter's cell, created on first use (counters still at zero are not reported). */
  cell(name: string): Cell {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = this.net.counters.cell(`${this.id}/${name}`)));
    return c;
  }

  // The counters every packet touches, their cells resolved once: no lookup per packet.
  private rxPacketsCell?: Cell;
  private rxBytesCell?: Cell;
  private txPacketsCell?: Cell;
  private txBytesCell?: Cell;
  private readonly xdpCells: Cell[] = [];
  private readonly tcCells: Cell[] = [];

  /** rx_packets and rx_bytes. */
  countRx(bytes: number): void {
    (this.rxPacketsCell ??= this.cell('rx_packets')).v++;
    (this.rxBytesCell ??= this.cell('rx_bytes')).v += bytes;
  }

  /** tx_packets and tx_bytes. */
  countTx(bytes: number): void {
    (this.txPacketsCell ??= this.cell('tx_packets')).v++;
    (this.txBytesCell ??= this.cell('tx_bytes')).v += bytes;
  }

  hop(x: Exec, skb: Skb, hook: Hook, extra: { verdict?: string; progs?: ProgOutcome; reason?: string; cost?: number; qlen?: number } = {}): void {
    if (this.net.taps.size > 0) this.net.tap(this, hook, skb, x.t);
    if (!this.net.trace.on) return;
    this.net.trace.emit({
      type: 'hop',
      t: Math.round(x.t),
      pkt: skb.id,
      parent: skb.parent,
      host: this.host.name,
      dev: this.name,
      hook,
      verdict: extra.verdict,
      progs: extra.progs?.steps,
      reason: extra.reason ?? extra.progs?.error?.message,
      cpu: x.cpu.id,
      cost: extra.cost !== undefined ? Math.round(extra.cost * 10) / 10 : undefined,
      qlen: extra.qlen,
      len: skb.len,
      printk: extra.progs?.printk.length ? [...extra.progs.printk] : undefined,
    });
  }

  /**
   * Drop a packet: counted under a bounded reason name (the kernel's SKB_DROP_REASON_* where it
   * has one), recorded in the ledger, and traced with the detail that explains this packet.
   */
  drop(x: Exec, skb: Skb, hook: Hook, reason: string, detail?: string): void {
    this.net.record('dropped', this, skb, reason);
    this.count(`drop/${reason}`);
    this.host.count(`drops/${reason}`);
    if (this.net.trace.on) this.hop(x, skb, 'drop', { reason: `${hook}: ${reason}${detail ? ` (${detail})` : ''}` });
  }

  /**
   * The native XDP hook, run by the driver per frame inside its NAPI poll. Returns true when the
   * frame continues as an skb (XDP_PASS or no program).
   */
  protected nativeXdp(x: Exec, skb: Skb, rxQueue: number, bulks: Map<Netdev, XdpBulk>): boolean {
    const att = this.xdp;
    if (!att || att.mode !== 'native') return true;
    return this.xdpVerdict(x, skb, rxQueue, att.prog, bulks, false);
  }

  /** Run the XDP program and act on its verdict. Generic XDP acts on an skb and transmits at once. */
  private xdpVerdict(x: Exec, skb: Skb, rxQueue: number, prog: LiveProgram, bulks: Map<Netdev, XdpBulk> | undefined, generic: boolean): boolean {
    const c = this.net.costs;
    const out = runXdp(this.net.scratch, this.net.runtime, this.host.port, c, prog, skb, { ifindex: this.ifindex, rxQueue, cpu: x.cpu.id });
    x.t += out.cost + (generic ? c.genericXdpNs : 0);
    // An engine error is what the kernel's verifier would have prevented; treat as XDP_ABORTED and say why.
    const v = out.error ? XDP_ABORTED : out.verdict;
    const name = xdpVerdictName(v);
    if (v >= 0 && v < XDP_COUNTER.length) (this.xdpCells[v] ??= this.cell(XDP_COUNTER[v])).v++;
    else this.count(`xdp/${name}`);
    if (this.net.trace.on || this.net.taps.size > 0) this.hop(x, skb, 'xdp', { verdict: name, progs: out, cost: out.cost });
    switch (v) {
      case XDP_PASS:
        return true;
      case XDP_TX:
        x.t += c.xdpTxNs;
        this.xdpTx(x, skb);
        return false;
      case XDP_REDIRECT:
        this.xdpRedirect(x, skb, out, bulks);
        return false;
      case XDP_DROP:
        this.net.record('dropped', this, skb, 'XDP_DROP');
        return false;
      default:
        // XDP_ABORTED and unknown verdicts: dropped and traced (trace_xdp_exception).
        this.drop(x, skb, 'xdp', 'XDP_ABORTED', out.error ? `program fault: ${out.error.detail}` : `verdict ${name}`);
        return false;
    }
  }

  private xdpRedirect(x: Exec, skb: Skb, out: ProgOutcome, bulks: Map<Netdev, XdpBulk> | undefined): void {
    const r = out.redirect;
    const c = this.net.costs;
    let target: Netdev | undefined;
    if (r?.kind === 'ifindex') target = this.host.byIfindex(r.ifindex);
    else if (r?.kind === 'map') {
      const t = r.target as { dev?: unknown; ifindex?: number; cpu?: number } | undefined;
      if (r.map.def.type === 'BPF_MAP_TYPE_CPUMAP') {
        const cpu = typeof t === 'object' && t && 'cpu' in t ? Number(t.cpu) : r.key;
        x.t += c.xdpRedirectNs;
        this.net.cpumapEnqueue(x, this, skb, cpu, r.map, r.key);
        return;
      }
      if (r.map.def.type === 'BPF_MAP_TYPE_XSKMAP') {
        this.count('xsk_rx');
        if (this.net.observed) this.hop(x, skb, 'xdp-redirect', { verdict: `xsk queue ${r.key}` });
        return;
      }
      const ifindex = typeof t === 'object' && t && 'ifindex' in t ? Number(t.ifindex) : r.key;
      target = this.host.byIfindex(ifindex);
    }
    if (!target) {
      this.drop(x, skb, 'xdp', 'XDP_REDIRECT_ERR', 'no target device');
      return;
    }
    // __xdp_enqueue() checks NETDEV_XDP_ACT_NDO_XMIT first: a device that does not take XDP
    // frames now (a veth whose peer runs no XDP) refuses at once with -EOPNOTSUPP (Linux ≥ 6.3).
    if (!target.acceptsXdpFrames()) {
      this.drop(x, skb, 'xdp', 'XDP_REDIRECT_ERR', `redirect to ${target.id}: ${target.xmitRefusal()} (-EOPNOTSUPP)`);
      return;
    }
    x.t += c.xdpRedirectNs;
    if (!bulks) {
      // Generic XDP redirects transmit the skb at once (xdp_do_generic_redirect).
      target.xdpXmitOne(x, skb, this);
      return;
    }
    let b = bulks.get(target);
    if (!b) bulks.set(target, (b = { dev: target, frames: [] }));
    b.frames.push(skb);
    if (b.frames.length >= DEV_MAP_BULK_SIZE) flushBulk(x, b, this);
  }

  /** One frame through ndo_xdp_xmit, tracing a drop when the device refuses it. */
  xdpXmitOne(x: Exec, skb: Skb, from: Netdev): void {
    const sent = this.xdpXmit(x, [skb]);
    if (sent === 0) from.drop(x, skb, 'xdp-redirect', 'XDP_XMIT_ERR', `redirect to ${this.id}: ${this.xmitRefusal()}`);
  }

  /**
   * The skb path of a received frame (after XDP_PASS or without XDP): generic XDP, tc ingress,
   * then the host's stack (bridge, IP). Models __netif_receive_skb_core.
   */
  receiveSkb(x: Exec, skb: Skb, rxQueue = 0): void {
    skb.ingressIfindex = this.ifindex;
    const c = this.net.costs;
    if (this.xdp?.mode === 'generic') {
      if (!this.xdpVerdict(x, skb, rxQueue, this.xdp.prog, undefined, true)) return;
    }
    // The outer VLAN tag moves into skb metadata before the taps and tc (skb_vlan_untag).
    skb.untagVlan();
    if (this.net.taps.size > 0) this.net.tap(this, 'rx', skb, x.t);
    if (this.tcIngress.length > 0) {
      const v = this.runTcChain(x, skb, this.tcIngress, true);
      if (v === 'consumed') return;
    }
    void c;
    this.host.stackReceive(x, this, skb, this.pktType(skb));
  }

  pktType(skb: Skb): number {
    const d = skb.data;
    if (d.length < 6) return PACKET_OTHERHOST;
    if (d[0] === 0xff && d[1] === 0xff && d[2] === 0xff && d[3] === 0xff && d[4] === 0xff && d[5] === 0xff) return PACKET_BROADCAST;
    if (d[0] & 1) return PACKET_MULTICAST;
    for (let i = 0; i < 6; i++) if (d[i] !== this.mac[i]) return PACKET_OTHERHOST;
    return PACKET_HOST;
  }

  /**
   * Run a clsact filter chain (direct-action): OK/UNSPEC-at-end continue, SHOT drops,
   * REDIRECT hands the skb to another device, PIPE/UNSPEC go to the next filter.
   */
  private runTcChain(x: Exec, skb: Skb, chain: TcFilter[], ingress: boolean): 'continue' | 'consumed' {
    const hook: Hook = ingress ? 'tc-ingress' : 'tc-egress';
    const c = this.net.costs;
    x.t += c.tcHookNs;
    let loops = 0;
    for (let i = 0; i < chain.length; i++) {
      const f = chain[i];
      const out = runTc(this.net.scratch, this.net.runtime, this.host.port, c, f.prog, skb, { ifindex: this.ifindex, ingress, cpu: x.cpu.id, pktType: ingress ? this.pktType(skb) : 4 /* PACKET_OUTGOING */ });
      x.t += out.cost;
      const v = out.error ? TC_ACT_SHOT : out.verdict;
      const name = tcVerdictName(v);
      // TC_ACT_UNSPEC (-1) … TC_ACT_TRAP (8) by direction; other values by name.
      if (v >= -1 && v <= 8) (this.tcCells[(ingress ? 0 : 10) + v + 1] ??= this.cell(tcCounterName(ingress, v, name))).v++;
      else this.count(tcCounterName(ingress, v, name));
      if (this.net.trace.on || this.net.taps.size > 0) this.hop(x, skb, hook, { verdict: name, progs: out, cost: out.cost });
      for (const cl of out.clones) this.cloneRedirect(x, skb, cl.ifindex, cl.ingress, cl.bytes);
      switch (v) {
        case TC_ACT_OK:
          return 'continue';
        case TC_ACT_SHOT:
          if (out.error) this.drop(x, skb, hook, ingress ? 'TC_INGRESS' : 'TC_EGRESS', `program fault: ${out.error.detail}`);
          else this.net.record('dropped', this, skb, 'TC_ACT_SHOT');
          x.t += c.skbFreeNs;
          return 'consumed';
        case TC_ACT_STOLEN:
        case TC_ACT_QUEUED:
          this.count(`${hook}/stolen`);
          return 'consumed';
        case TC_ACT_REDIRECT:
          this.tcRedirect(x, skb, out, ingress);
          return 'consumed';
        case TC_ACT_RECLASSIFY:
          if (++loops >= MAX_RECLASSIFY) {
            this.drop(x, skb, hook, 'TC_RECLASSIFY_LOOP');
            return 'consumed';
          }
          i = -1;
          continue;
        case TC_ACT_PIPE:
        case TC_ACT_UNSPEC:
        default:
          continue;
      }
    }
    // The chain ran out (every filter said PIPE/UNSPEC): the packet goes on.
    return 'continue';
  }

  private tcRedirect(x: Exec, skb: Skb, out: ProgOutcome, ingress: boolean): void {
    const r = out.redirect;
    if (!r || (r.kind !== 'ifindex' && r.kind !== 'peer')) {
      this.drop(x, skb, ingress ? 'tc-ingress' : 'tc-egress', 'TC_REDIRECT_ERR', 'TC_ACT_REDIRECT without a redirect target');
      return;
    }
    const target = this.host.byIfindex(r.ifindex);
    if (!target) {
      this.drop(x, skb, ingress ? 'tc-ingress' : 'tc-egress', 'TC_REDIRECT_ERR', `redirect to unknown ifindex ${r.ifindex}`);
      return;
    }
    if (r.kind === 'peer') {
      // bpf_redirect_peer: straight into the veth peer's ingress, in the peer's namespace, no backlog.
      const peer = target.peerDev();
      if (!ingress || !peer) {
        this.drop(x, skb, 'tc-ingress', 'TC_REDIRECT_ERR', 'bpf_redirect_peer needs tc ingress and a veth target');
        return;
      }
      peer.receiveSkb(x, skb);
      return;
    }
    if (r.flags & BPF_F_INGRESS) target.receiveSkb(x, skb);
    else target.xmit(x, skb);
  }

  private cloneRedirect(x: Exec, orig: Skb, ifindex: number, ingress: boolean, bytes: Uint8Array): void {
    const target = this.host.byIfindex(ifindex);
    const copy = orig.clone(x.t);
    copy.data = bytes;
    if (!target) return;
    if (ingress) target.receiveSkb(x, copy);
    else target.xmit(x, copy);
  }

  /** The veth peer, for veth devices. */
  peerDev(): Netdev | undefined {
    return undefined;
  }

  /** dev_queue_xmit: tc egress, the root qdisc, then the driver. */
  xmit(x: Exec, skb: Skb): void {
    if (!this.up) {
      this.drop(x, skb, 'tc-egress', 'DEV_READY', 'device down');
      return;
    }
    if (this.tcEgress.length > 0 && this.runTcChain(x, skb, this.tcEgress, false) === 'consumed') return;
    const q = this.qdisc;
    if (!q || q.bypass) {
      this.driverXmit(x, skb);
      return;
    }
    x.t += this.net.costs.qdiscNs;
    const r = q.enqueue(skb as never);
    if (this.net.observed) this.hop(x, skb, 'qdisc', { verdict: r === 'ok' ? 'enqueue' : 'drop', qlen: q.stats().qlen });
    if (r !== 'ok') return; // counted by the qdisc's drop event (setQdisc)
    this.kickQdisc(x.t);
  }

  /** Install the root qdisc; shapers wake the device when they may send again (qdisc_watchdog). */
  setQdisc(q: Qdisc | undefined): void {
    this.qdisc = q;
    if (!q) return;
    q.onWatchdog = (t) => this.net.wakeAt(this, t);
    // Drops (on enqueue, or by AQM at dequeue) and ECN marks are counted where they happen.
    q.onEvent = (ev) => {
      if (ev.kind === 'drop') {
        const skb = ev.pkt as unknown as Skb;
        this.net.record('dropped', this, skb, ev.reason ?? 'QDISC_DROP');
        this.count(`qdisc/drop/${ev.reason ?? 'drop'}`);
        this.host.count('drops/qdisc');
        if (this.net.trace.on) this.hop({ cpu: this.net.txCpu, t: this.net.sim.now }, skb, 'drop', { reason: `qdisc ${q.kind}: ${ev.reason ?? 'drop'}` });
      } else if (ev.kind === 'mark') this.count('qdisc/ecn_mark');
    };
  }

  /** Pull from the qdisc while the driver has room (qdisc_run); devices without flow control send at once. */
  kickQdisc(at: number): void {
    const q = this.qdisc;
    if (!q) return;
    for (;;) {
      if (!this.txReady()) return;
      const pkt = q.dequeue() as unknown as Skb | undefined;
      if (!pkt) {
        const next = q.nextReadyTime?.(this.net.sim.now);
        if (next !== undefined && next > this.net.sim.now) this.net.wakeAt(this, next);
        return;
      }
      this.driverXmit({ cpu: this.net.txCpu, t: Math.max(at, this.net.sim.now) }, pkt);
    }
  }

  /** Can the driver take another frame now? (TX ring not full.) */
  protected txReady(): boolean {
    return true;
  }

  /** Frames the device received that nothing took (no route, no listener). */
  describe(): { name: string; ifindex: number; kind: string; mac: string; addrs: string[] } {
    return {
      name: this.name,
      ifindex: this.ifindex,
      kind: this.kind,
      mac: [...this.mac].map((b) => b.toString(16).padStart(2, '0')).join(':'),
      addrs: this.addrs.map((a) => `${a.addr.length === 4 ? [...a.addr].join('.') : 'v6'}/${a.prefixLen}`),
    };
  }
}

/** Send a bulk of redirected frames through the target's ndo_xdp_xmit (bq_xmit_all). */
export function flushBulk(x: Exec, b: XdpBulk, from: Netdev): void {
  if (b.frames.length === 0) return;
  const frames = b.frames;
  b.frames = [];
  b.dev.count('xdp_xmit_calls');
  const sent = b.dev.xdpXmit(x, frames);
  for (let i = sent; i < frames.length; i++) from.drop(x, frames[i], 'xdp-redirect', 'XDP_XMIT_ERR', `redirect to ${b.dev.id}: ${b.dev.xmitRefusal()}`);
  if (from.net.observed) for (let i = 0; i < sent; i++) from.hop(x, frames[i], 'xdp-redirect', { verdict: `to ${b.dev.id}` });
}

export { PACKET_HOST, PACKET_OTHERHOST, PACKET_BROADCAST, PACKET_MULTICAST };
