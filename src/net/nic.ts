/**
 * A physical NIC: RX queues with sized rings spread by RSS (Toeplitz over the 5-tuple), one NAPI
 * instance per queue bound to a CPU and polled with a budget of 64 (net/core/dev.c: napi_poll),
 * native XDP per frame with the devmap flush at the end of the poll (xdp_do_flush), XDP_TX onto
 * its own TX ring, and a TX ring drained at line rate onto the link. Models the shape of an mlx5/
 * i40e driver's RX/TX paths, not any one driver's quirks.
 */
import { flowKey } from './packet/flow.ts';
import { ToeplitzHasher } from './packet/rss.ts';
import { begin, type Cpu, end, type Exec } from './cpu.ts';
import type { Random } from '../sim/index.ts';
import { flushBulk, Netdev, type XdpBulk } from './netdev.ts';
import type { Host } from './host.ts';
import type { Network } from './network.ts';
import type { Skb } from './skb.ts';

/** NAPI_POLL_WEIGHT. */
export const NAPI_BUDGET = 64;
/** Preamble (8) + inter-frame gap (12) + FCS (4): bytes on the wire besides the frame. */
const WIRE_OVERHEAD = 24;
/** ETH_ZLEN: short frames are padded to 60 bytes (+ FCS). */
const MIN_FRAME = 60;

export interface NicOptions {
  /** Line rate in bits per second. */
  rate?: number;
  rxQueues?: number;
  rxRing?: number;
  txRing?: number;
  /** CPU of each RX queue's NAPI (default: queue i on CPU i mod nCpus). */
  queueCpus?: number[];
}

interface RxQueue {
  ring: Skb[];
  cpu: Cpu;
  scheduled: boolean;
  /** This queue's napi_poll as an event, made once (a poll is scheduled for nearly every burst). */
  poll: () => void;
}

export interface Link {
  a: Nic;
  b: Nic;
  delayNs: number;
  /** The wire's rate in bit/s when it is slower or faster than the NICs' (both ends serialise at it). */
  rateBps?: number;
  /** Probability in [0, 1] that a frame is lost on the wire (drawn from the link's own seeded stream). */
  loss: number;
  lossRng?: Random;
}

const rss = new ToeplitzHasher();

export class Nic extends Netdev {
  readonly kind = 'nic' as const;
  readonly rate: number;
  readonly rxRingSize: number;
  readonly txRingSize: number;
  readonly queues: RxQueue[];
  link?: Link;
  private txInFlight = 0;
  /** devmap bulk queues by target, kept across polls (flushed empty at the end of each). */
  private readonly bulks = new Map<Netdev, XdpBulk>();
  private wireFreeAt = 0;

  constructor(net: Network, host: Host, name: string, ifindex: number, mac: Uint8Array, opts: NicOptions = {}) {
    super(net, host, name, ifindex, mac);
    this.rate = opts.rate ?? 10e9;
    this.rxRingSize = opts.rxRing ?? 1024;
    this.txRingSize = opts.txRing ?? 1024;
    const n = opts.rxQueues ?? 1;
    this.queues = Array.from({ length: n }, (_, i) => ({ ring: [], cpu: net.cpu(opts.queueCpus?.[i] ?? i % net.cpus.length), scheduled: false, poll: () => this.poll(i) }));
  }

  /** Serialisation time of a frame at line rate. */
  wireTimeNs(len: number): number {
    return Math.ceil(((Math.max(len, MIN_FRAME) + WIRE_OVERHEAD) * 8 * 1e9) / (this.link?.rateBps ?? this.rate));
  }

  /** A frame arrives from the wire (or a traffic generator): RSS picks the RX queue. */
  receiveFromWire(skb: Skb): void {
    const now = this.net.sim.now;
    this.countRx(skb.len);
    if (!this.up) {
      this.drop({ cpu: this.queues[0].cpu, t: now }, skb, 'nic-rx', 'DEV_READY', 'device down');
      return;
    }
    // RSS: the Toeplitz hash picks the RX queue (and becomes skb->hash); one queue needs no hash.
    let qi = 0;
    if (this.queues.length > 1) {
      const fk = flowKey(skb.data);
      const h = fk ? rss.hashFlow(fk) : 0;
      if (skb.hash === 0) skb.hash = h;
      qi = h % this.queues.length;
    }
    const q = this.queues[qi];
    if (q.ring.length >= this.rxRingSize) {
      // The driver had no free RX descriptor: rx_missed_errors / rx_fifo_errors.
      this.count('rx_missed_errors');
      this.drop({ cpu: q.cpu, t: now }, skb, 'nic-rx', 'RX_RING_FULL', `rx queue ${qi} ring of ${this.rxRingSize} full (rx_missed_errors)`);
      return;
    }
    q.ring.push(skb);
    if (this.net.trace.on) this.hop({ cpu: q.cpu, t: now }, skb, 'nic-rx', { verdict: `rxq ${qi}`, qlen: q.ring.length });
    if (!q.scheduled) {
      q.scheduled = true;
      const at = Math.max(now + this.net.costs.napiScheduleNs, q.cpu.busyUntil);
      this.net.sim.scheduleAt(Math.ceil(at), q.poll);
    }
  }

  /** napi_poll(): up to NAPI_BUDGET frames, then flush redirects; reschedule while work remains. */
  private poll(qi: number): void {
    const q = this.queues[qi];
    const start = this.net.sim.now;
    const x = begin(q.cpu, start);
    const startT = x.t;
    const bulks = this.bulks;
    const c = this.net.costs;
    this.count('napi_polls');
    let done = 0;
    while (done < NAPI_BUDGET && q.ring.length > 0) {
      const skb = q.ring.shift() as Skb;
      done++;
      x.t += c.nicRxNs;
      if (!this.nativeXdp(x, skb, qi, bulks)) continue;
      x.t += c.skbBuildNs;
      this.receiveSkb(x, skb, qi);
    }
    // xdp_do_flush(): redirected frames leave in bulks at the end of the poll.
    for (const b of bulks.values()) flushBulk(x, b, this);
    this.net.flushCpumaps(x);
    end(x, startT);
    if (q.ring.length > 0) this.net.sim.scheduleAt(Math.max(this.net.sim.now, Math.ceil(x.t)), q.poll);
    else q.scheduled = false;
  }

  protected override txReady(): boolean {
    return this.txInFlight < this.txRingSize;
  }

  /** Put a frame on the TX ring; it leaves at line rate. False when the ring is full. */
  private txEnqueue(x: Exec, skb: Skb, hook: 'nic-tx'): boolean {
    if (this.txInFlight >= this.txRingSize) return false;
    this.txInFlight++;
    // The NIC inserts an offloaded VLAN tag on transmit (NETIF_F_HW_VLAN_CTAG_TX).
    if (skb.vlan) {
      skb.data = skb.withVlanTag();
      skb.vlan = undefined;
    }
    if (this.net.taps.size > 0) this.net.tap(this, 'tx', skb, x.t);
    const startAt = Math.max(Math.ceil(x.t), this.wireFreeAt, this.net.sim.now);
    const doneAt = startAt + this.wireTimeNs(skb.len);
    this.wireFreeAt = doneAt;
    this.net.sim.scheduleAt(doneAt, () => {
      this.txInFlight--;
      this.countTx(skb.len);
      if (this.net.observed) this.hop({ cpu: x.cpu, t: doneAt }, skb, hook, { verdict: 'sent', qlen: this.txInFlight });
      const l = this.link;
      if (l) {
        const peer = l.a === this ? l.b : l.a;
        // The frame left this NIC (counted as sent above) and the wire lost it: the peer never sees it.
        if (l.lossRng && l.lossRng.uniform() < l.loss) this.drop({ cpu: x.cpu, t: doneAt }, skb, 'nic-tx', 'LINK_LOSS', `lost on the wire to ${peer.id} (loss ${+(l.loss * 100).toFixed(6)}%)`);
        else this.net.sim.scheduleAt(doneAt + l.delayNs, () => peer.receiveFromWire(skb));
      } else {
        this.net.exitNetwork(this, skb, doneAt);
      }
      this.kickQdisc(doneAt);
    });
    return true;
  }

  protected driverXmit(x: Exec, skb: Skb): void {
    if (!this.txEnqueue(x, skb, 'nic-tx')) this.drop(x, skb, 'nic-tx', 'TX_RING_FULL');
  }

  xdpXmit(x: Exec, frames: Skb[]): number {
    let sent = 0;
    for (const f of frames) {
      if (!this.txEnqueue(x, f, 'nic-tx')) break;
      sent++;
    }
    return sent;
  }

  override xmitRefusal(): string {
    return 'tx ring full';
  }

  protected xdpTx(x: Exec, skb: Skb): void {
    if (!this.txEnqueue(x, skb, 'nic-tx')) this.drop(x, skb, 'xdp-tx', 'XDP_XMIT_ERR', 'TX ring full');
  }
}
