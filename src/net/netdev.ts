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
import type { DevMap } from '../ebpf/maps/index.ts';

export type XdpMode = 'native' | 'generic';

export interface TcFilter {
  prog: LiveProgram;
  prio: number;
}

/** bpf_redirect into a device from XDP: frames waiting for the flush at the end of the NAPI poll. */
export interface XdpBulk {
  dev: Netdev;
  frames: Skb[];
  /**
   * The devmap entry program every frame of the bulk runs before ndo_xdp_xmit: the one of the
   * first frame queued since the end-of-poll flush (bq_enqueue sets bq->xdp_prog with bq->dev_rx).
   */
  prog: LiveProgram | undefined;
  /** A frame was queued since the end-of-poll flush (bq->dev_rx is set). */
  open: boolean;
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
/** The same for the programs of devmap and cpumap entries. */
const ENTRY_COUNTER = {
  'xdp-devmap': ['xdp-devmap/XDP_ABORTED', 'xdp-devmap/XDP_DROP', 'xdp-devmap/XDP_PASS', 'xdp-devmap/XDP_TX', 'xdp-devmap/XDP_REDIRECT'],
  'xdp-cpumap': ['xdp-cpumap/XDP_ABORTED', 'xdp-cpumap/XDP_DROP', 'xdp-cpumap/XDP_PASS', 'xdp-cpumap/XDP_TX', 'xdp-cpumap/XDP_REDIRECT'],
};
/** BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS (bpf_redirect_map flags, kept in the redirect state). */
const F_BROADCAST = 1 << 3;
const F_EXCLUDE_INGRESS = 1 << 4;

/** The program a devmap or cpumap entry carries, when the datapath can run it. */
function entryProg(t: unknown): LiveProgram | undefined {
  const p = (t as { prog?: unknown } | undefined)?.prog;
  return p !== undefined && typeof (p as LiveProgram).run === 'function' ? (p as LiveProgram) : undefined;
}

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
        this.xdpRedirect(x, skb, out, bulks, rxQueue);
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

  private xdpRedirect(x: Exec, skb: Skb, out: ProgOutcome, bulks: Map<Netdev, XdpBulk> | undefined, rxQueue: number): void {
    const r = out.redirect;
    const c = this.net.costs;
    let target: Netdev | undefined;
    let prog: LiveProgram | undefined;
    if (r?.kind === 'ifindex') target = this.host.byIfindex(r.ifindex);
    else if (r?.kind === 'map') {
      const t = r.target as { dev?: unknown; ifindex?: number; cpu?: number; prog?: unknown } | undefined;
      if (r.map.def.type === 'BPF_MAP_TYPE_CPUMAP') {
        const cpu = typeof t === 'object' && t && 'cpu' in t ? Number(t.cpu) : r.key;
        x.t += c.xdpRedirectNs;
        this.net.cpumapEnqueue(x, this, skb, cpu, r.map, r.key, entryProg(t));
        return;
      }
      if (r.map.def.type === 'BPF_MAP_TYPE_XSKMAP') {
        this.count('xsk_rx');
        if (this.net.observed) this.hop(x, skb, 'xdp-redirect', { verdict: `xsk queue ${r.key}` });
        return;
      }
      if (r.flags & F_BROADCAST) {
        x.t += c.xdpRedirectNs;
        this.xdpBroadcast(x, skb, r.map as unknown as DevMap, (r.flags & F_EXCLUDE_INGRESS) !== 0, bulks, rxQueue);
        return;
      }
      const ifindex = typeof t === 'object' && t && 'ifindex' in t ? Number(t.ifindex) : r.key;
      target = this.host.byIfindex(ifindex);
      prog = entryProg(t);
    }
    if (!target) {
      this.drop(x, skb, 'xdp', 'XDP_REDIRECT_ERR', 'no target device');
      return;
    }
    if (!bulks) {
      // Generic XDP (xdp_do_generic_redirect, dev_map_generic_redirect): the target must be up and
      // the frame fit (xdp_ok_fwd_dev), then the entry's program runs (dev_map_bpf_prog_run_skb)
      // and the skb goes straight to the driver (generic_xdp_tx): no ndo_xdp_xmit, so a veth
      // whose peer runs no XDP takes it too, through the peer's backlog.
      const refusal = target.xdpFwdRefusal(skb.len);
      if (refusal !== undefined) {
        this.drop(x, skb, 'xdp', 'XDP_REDIRECT_ERR', `redirect to ${target.id}: ${refusal}`);
        return;
      }
      x.t += c.xdpRedirectNs;
      if (prog !== undefined && target.runEntryProg(x, skb, prog, 'xdp-devmap', this.ifindex, rxQueue, target.ifindex) === undefined) return;
      target.genericXdpXmit(x, skb);
      return;
    }
    // __xdp_enqueue() checks NETDEV_XDP_ACT_NDO_XMIT first: a device that does not take XDP
    // frames now (a veth whose peer runs no XDP) refuses at once with -EOPNOTSUPP (Linux ≥ 6.3).
    if (!target.acceptsXdpFrames()) {
      this.drop(x, skb, 'xdp', 'XDP_REDIRECT_ERR', `redirect to ${target.id}: ${target.xmitRefusal()} (-EOPNOTSUPP)`);
      return;
    }
    x.t += c.xdpRedirectNs;
    this.bulkEnqueue(x, skb, target, prog, bulks);
  }

  /** bq_enqueue(): the first frame queued for a device since the end-of-poll flush names the bulk's program. */
  private bulkEnqueue(x: Exec, skb: Skb, target: Netdev, prog: LiveProgram | undefined, bulks: Map<Netdev, XdpBulk>): void {
    let b = bulks.get(target);
    if (!b) bulks.set(target, (b = { dev: target, frames: [], prog: undefined, open: false }));
    if (!b.open) {
      b.open = true;
      b.prog = prog;
    }
    b.frames.push(skb);
    if (b.frames.length >= DEV_MAP_BULK_SIZE) flushBulk(x, b, this, false);
  }

  /**
   * bpf_redirect_map() with BPF_F_BROADCAST (dev_map_enqueue_multi; dev_map_redirect_multi for
   * generic XDP): a copy of the frame to every device of the map, in the map's order, each queued
   * with its own entry's program; the original goes to the last. BPF_F_EXCLUDE_INGRESS leaves out
   * the receiving device and its bridge (by ifindex, as the kernel compares). The native path skips
   * devices that take no XDP frames now (is_valid_dst); a map with nothing to send to frees the frame.
   */
  private xdpBroadcast(x: Exec, skb: Skb, map: DevMap, excludeIngress: boolean, bulks: Map<Netdev, XdpBulk> | undefined, rxQueue: number): void {
    const dsts: { dev: Netdev; prog: LiveProgram | undefined }[] = [];
    for (const t of map.targets()) {
      if (excludeIngress && (t.ifindex === this.ifindex || t.ifindex === this.master?.ifindex)) continue;
      const dev = this.host.byIfindex(t.ifindex);
      if (!dev || (bulks ? !dev.acceptsXdpFrames() : dev.xdpFwdRefusal(skb.len) !== undefined)) continue;
      dsts.push({ dev, prog: entryProg(t) });
    }
    if (dsts.length === 0) {
      this.drop(x, skb, 'xdp-redirect', 'XDP_BROADCAST_EMPTY', `no device of ${map.def.name} takes the frame`);
      return;
    }
    for (let i = 0; i < dsts.length; i++) {
      const { dev, prog } = dsts[i];
      const f = i === dsts.length - 1 ? skb : skb.clone(x.t);
      if (bulks) this.bulkEnqueue(x, f, dev, prog, bulks);
      else if (prog === undefined || dev.runEntryProg(x, f, prog, 'xdp-devmap', this.ifindex, rxQueue, dev.ifindex) !== undefined) dev.genericXdpXmit(x, f);
    }
  }

  /**
   * The program of a devmap entry on a frame sent to this device (dev_map_bpf_prog_run), or of a
   * cpumap entry on a frame this device received (cpu_map_bpf_prog_run_xdp, on the entry's CPU).
   * Returns the run when the frame goes on: XDP_PASS, and XDP_REDIRECT from a cpumap program.
   * Every other verdict drops it here: XDP_DROP as asked; XDP_ABORTED, a program fault, and
   * verdicts that are no verdict there (XDP_TX, XDP_REDIRECT from a devmap program, unknown
   * values: bpf_warn_invalid_xdp_action) as XDP_ABORTED with the reason in the trace.
   */
  runEntryProg(x: Exec, skb: Skb, prog: LiveProgram, hook: 'xdp-devmap' | 'xdp-cpumap', rxIfindex: number, rxQueue: number, egressIfindex: number): ProgOutcome | undefined {
    const out = runXdp(this.net.scratch, this.net.runtime, this.host.port, this.net.costs, prog, skb, { ifindex: rxIfindex, rxQueue, egressIfindex, cpu: x.cpu.id });
    x.t += out.cost;
    const v = out.error ? XDP_ABORTED : out.verdict;
    const name = xdpVerdictName(v);
    this.count(ENTRY_COUNTER[hook][v] ?? `${hook}/${name}`);
    if (this.net.observed) this.hop(x, skb, hook, { verdict: name, progs: out, cost: out.cost });
    if (v === XDP_PASS || (v === XDP_REDIRECT && hook === 'xdp-cpumap')) return out;
    if (v === XDP_DROP) this.net.record('dropped', this, skb, 'XDP_DROP');
    else {
      const where = hook === 'xdp-devmap' ? 'a devmap' : 'a cpumap';
      this.drop(x, skb, hook, 'XDP_ABORTED', out.error ? `program fault: ${out.error.detail}` : v === XDP_ABORTED ? undefined : `${name} is not a valid verdict in ${where} program`);
    }
    return undefined;
  }

  /**
   * A cpumap entry's program over a batch of frames this device received, on the entry's CPU
   * (cpu_map_bpf_prog_run): returns the frames it passed, which become skbs. Redirects it asks for
   * go through xdp_do_redirect from this device and leave when the batch is done (xdp_do_flush).
   */
  cpumapProg(x: Exec, frames: Skb[], prog: LiveProgram, bulks: Map<Netdev, XdpBulk>): Skb[] {
    let n = 0;
    let redirected = false;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const out = this.runEntryProg(x, f, prog, 'xdp-cpumap', this.ifindex, 0, 0);
      if (out === undefined) continue;
      if (out.verdict === XDP_REDIRECT) {
        redirected = true;
        this.xdpRedirect(x, f, out, bulks, 0);
      } else frames[n++] = f;
    }
    frames.length = n;
    if (redirected) {
      for (const b of bulks.values()) flushBulk(x, b, this);
      this.net.flushCpumaps(x);
    }
    return frames;
  }

  /** xdp_ok_fwd_dev(): why a generic redirect may not go out of this device (down, or too long for its MTU). */
  xdpFwdRefusal(len: number): string | undefined {
    if (!this.up) return `${this.id} is down (-ENETDOWN)`;
    // mtu + hard_header_len (14) + VLAN_HLEN (4)
    if (len > this.mtu + 18) return `${len} bytes do not fit ${this.id}'s MTU ${this.mtu} (-EMSGSIZE)`;
    return undefined;
  }

  /** generic_xdp_tx(): a generically redirected skb straight to the driver, past the qdisc. */
  genericXdpXmit(x: Exec, skb: Skb): void {
    this.driverXmit(x, skb);
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

/**
 * Send a bulk of redirected frames through the target's ndo_xdp_xmit (bq_xmit_all), after the
 * devmap entry's program when the bulk has one (dev_map_bpf_prog_run: ingress_ifindex of the
 * receiving device, rx_queue_index 0, egress_ifindex of the target; no ndo_xdp_xmit call when
 * it passes nothing). `end`: the flush at the end of the poll (__dev_flush), after which the next
 * frame queued names the program again; a full bulk flushed mid-poll keeps it.
 */
export function flushBulk(x: Exec, b: XdpBulk, from: Netdev, end = true): void {
  const prog = b.prog;
  if (end) {
    b.open = false;
    b.prog = undefined;
  }
  if (b.frames.length === 0) return;
  const frames = b.frames;
  b.frames = [];
  if (prog !== undefined) {
    let n = 0;
    for (let i = 0; i < frames.length; i++) if (b.dev.runEntryProg(x, frames[i], prog, 'xdp-devmap', from.ifindex, 0, b.dev.ifindex) !== undefined) frames[n++] = frames[i];
    frames.length = n;
    if (n === 0) return;
  }
  b.dev.count('xdp_xmit_calls');
  const sent = b.dev.xdpXmit(x, frames);
  for (let i = sent; i < frames.length; i++) from.drop(x, frames[i], 'xdp-redirect', 'XDP_XMIT_ERR', `redirect to ${b.dev.id}: ${b.dev.xmitRefusal()}`);
  if (from.net.observed) for (let i = 0; i < sent; i++) from.hop(x, frames[i], 'xdp-redirect', { verdict: `to ${b.dev.id}` });
}

export { PACKET_HOST, PACKET_OTHERHOST, PACKET_BROADCAST, PACKET_MULTICAST };
