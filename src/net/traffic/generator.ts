/**
 * A traffic source driven by the scheduler: at each arrival it picks a flow and a frame size,
 * has the flow build its next packet and hands (time, bytes) to the sink. Exactly one event is
 * pending per source at any time, so memory does not grow with the number of packets.
 */
import type { EventHandle, Random, Scheduler } from '../../sim/index.ts';
import type { ArrivalProcess } from './arrivals.ts';
import { TcpPackets, UdpPackets, type FlowPacketSource, type LinkOptions, type TcpShape } from './flow-packets.ts';
import type { FlowSet, FlowTuple } from './flows.ts';
import { fixedSize, type SizeDistribution } from './sizes.ts';

export interface PacketInfo {
  /** Flow index within the generator's FlowSet. */
  flow: number;
  /** Packet number within this generator (0, 1, 2, …). */
  seq: number;
}

export type PacketSink = (timeNs: number, frame: Uint8Array, info: PacketInfo) => void;

export interface TrafficOptions {
  arrivals: ArrivalProcess;
  flows: FlowSet;
  /** Frame sizes (default 60 B for UDP, 1514 B — full MSS — for TCP). */
  sizes?: SizeDistribution;
  /** The stream all draws come from, e.g. sim.rng('traffic/client1'). */
  rng: Random;
  link?: LinkOptions;
  tcp?: TcpShape;
  /** Absolute time of the first packet (default: now when start() is called). */
  startNs?: number;
  /** No packet at or after this absolute time. */
  stopNs?: number;
  /** Stop after this many packets. */
  count?: number;
}

export class TrafficGenerator {
  private sentCount = 0;
  private sentBytes = 0;
  private pending: EventHandle | null = null;
  private readonly sizes: SizeDistribution;
  private readonly udp: FlowPacketSource;
  private readonly tcp: FlowPacketSource;

  constructor(
    private readonly sched: Scheduler,
    private readonly opts: TrafficOptions,
    private readonly sink: PacketSink,
  ) {
    const tcpOnly = opts.flows.flows.every((f) => f.protocol === 'tcp');
    this.sizes = opts.sizes ?? fixedSize(tcpOnly ? 1514 : 60);
    this.udp = new UdpPackets(opts.link);
    this.tcp = new TcpPackets(opts.link, opts.tcp);
  }

  get sent(): number {
    return this.sentCount;
  }

  get bytes(): number {
    return this.sentBytes;
  }

  get running(): boolean {
    return this.pending !== null;
  }

  start(): void {
    if (this.pending !== null) return;
    const at = this.opts.startNs ?? this.sched.now;
    this.pending = this.sched.scheduleAt(Math.max(at, this.sched.now), this.emit);
  }

  stop(): void {
    this.pending?.cancel();
    this.pending = null;
  }

  private readonly emit = (): void => {
    this.pending = null;
    const now = this.sched.now;
    const { opts } = this;
    if ((opts.stopNs !== undefined && now >= opts.stopNs) || (opts.count !== undefined && this.sentCount >= opts.count)) return;
    const flow: FlowTuple = opts.flows.next(opts.rng);
    const size = this.sizes.next(opts.rng);
    const frame = (flow.protocol === 'tcp' ? this.tcp : this.udp).next(flow, now, size, opts.rng);
    const seq = this.sentCount++;
    this.sentBytes += frame.length;
    this.sink(now, frame, { flow: flow.index, seq });
    if (opts.count !== undefined && this.sentCount >= opts.count) return;
    const next = now + opts.arrivals.nextGap(opts.rng, frame.length);
    if (opts.stopNs !== undefined && next >= opts.stopNs) return;
    this.pending = this.sched.scheduleAt(next, this.emit);
  };
}
