/**
 * chainlab's library API: build a topology, attach real BPF objects, add traffic, run in virtual
 * time and read counters, maps and traces — from a vitest test, for regression tests of your own
 * eBPF code. See README "Library API" for an example.
 */
import { loadObjectFile } from './ebpf/elf/index.ts';
import type { LoadedObject } from './ebpf/runtime/runtime.ts';
import type { Host } from './net/host.ts';
import type { Netdev, XdpMode } from './net/netdev.ts';
import { Network, type NetworkOptions } from './net/network.ts';
import type { Nic, NicOptions } from './net/nic.ts';
import { buildPacket, type LayerSpec } from './net/packet/build.ts';
import { parseCidr } from './net/route.ts';
import { constantRate, FlowSet, type FlowSetOptions, poisson, TrafficGenerator, type Rate, fixedSize, imix } from './net/traffic/index.ts';
import type { Veth } from './net/veth.ts';
import { Simulator } from './sim/index.ts';
import { traceStream } from './trace/stream.ts';
import type { TraceRecord } from './trace/records.ts';
import type { Observable } from 'rxjs';
import { frameFlow } from './scenario/build.ts';

export interface SimulationOptions extends Omit<NetworkOptions, 'runtime'> {
  seed?: number;
}

export class Simulation {
  readonly sim: Simulator;
  readonly net: Network;

  constructor(opts: SimulationOptions = {}) {
    this.sim = new Simulator({ seed: opts.seed ?? 1 });
    this.net = new Network(this.sim, opts);
  }

  /** The host (network namespace) named `name`, created on first use. */
  host(name: string): Host {
    return this.net.hosts.get(name) ?? this.net.addHost(name);
  }

  nic(host: string, name: string, opts: NicOptions & { addr?: string } = {}): Nic {
    const h = this.host(host);
    const n = this.net.addNic(h, name, opts);
    if (opts.addr) this.addr(n, opts.addr);
    return n;
  }

  veth(a: string, aName: string, b: string, bName: string): [Veth, Veth] {
    return this.net.addVethPair(this.host(a), aName, this.host(b), bName);
  }

  /** `ip addr add CIDR dev DEV`. */
  addr(dev: Netdev, cidr: string): void {
    const c = parseCidr(cidr);
    dev.host.addAddress(dev, c.addr, c.prefixLen);
  }

  /** A cable between two NICs; `rateBps` and `loss` (0..1, seeded) are the wire's own, like netem on both ends. */
  wire(a: Nic, b: Nic, delayNs = 0, opts: { rateBps?: number; loss?: number } = {}): void {
    this.net.connect(a, b, delayNs, opts);
  }

  /** Load a clang-built object into the shared runtime. */
  load(path: string): LoadedObject {
    return this.net.runtime.load(loadObjectFile(path));
  }

  xdp(dev: Netdev, obj: LoadedObject, prog: string, mode: XdpMode = 'native'): void {
    this.net.attachXdp(dev, obj.program(prog), mode);
  }

  tc(dev: Netdev, dir: 'ingress' | 'egress', obj: LoadedObject, prog: string, prio = 1): void {
    this.net.attachTc(dev, dir, obj.program(prog), prio);
  }

  /** One frame, at `atNs` (default now): bytes, or layers for buildPacket. */
  send(dev: Netdev, frame: Uint8Array | LayerSpec[], atNs = this.sim.now): void {
    const bytes = frame instanceof Uint8Array ? frame : buildPacket(frame);
    // The packet owns its bytes (forwarding rewrites them in place): the caller's array stays as it was.
    this.sim.scheduleAt(atNs, () => this.net.inject(dev, bytes.slice(), { flow: frameFlow(bytes) }));
  }

  /** A traffic source into `dev`: constant or Poisson arrivals over a set of flows. */
  traffic(name: string, dev: Netdev, opts: { rate: Rate; flows: FlowSetOptions; poisson?: boolean; size?: number | 'imix'; count?: number; startNs?: number; stopNs?: number }): TrafficGenerator {
    const dstMac = [...dev.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const gen = new TrafficGenerator(
      this.sim,
      {
        arrivals: opts.poisson ? poisson(opts.rate) : constantRate(opts.rate),
        flows: new FlowSet(opts.flows),
        sizes: opts.size === 'imix' ? imix() : opts.size !== undefined ? fixedSize(opts.size) : undefined,
        rng: this.sim.rng(`traffic/${name}`),
        link: { dstMac },
        count: opts.count,
        startNs: opts.startNs,
        stopNs: opts.stopNs,
      },
      (_t, bytes) => this.net.inject(dev, bytes, { traffic: name, flow: frameFlow(bytes) }),
    );
    gen.start();
    return gen;
  }

  run(opts: { until?: number } = {}): void {
    this.sim.run(opts);
  }

  counter(name: string): number {
    return this.net.counters.get(name);
  }

  counters(): Record<string, number> {
    return this.net.counters.snapshot();
  }

  /** Every hop as an RxJS stream (subscribe before `run`). */
  trace(): Observable<TraceRecord> {
    return traceStream(this.net.trace);
  }
}

export { Network } from './net/network.ts';
export { Simulator } from './sim/index.ts';
export { Runtime } from './ebpf/runtime/runtime.ts';
export { testRun } from './ebpf/runtime/test-run.ts';
export { loadObjectFile } from './ebpf/elf/index.ts';
export { buildPacket } from './net/packet/build.ts';
export type { TraceRecord, HopRecord } from './trace/records.ts';
// The trace pipeline's RxJS operators, for `s.trace().pipe(byFlow(…), windowStats(…))`.
export { hopsOnly, byPacket, byFlow, byNode, byHook, samplePackets, windowStats, boundedBatches, BoundedBuffer, type Batch } from './trace/stream.ts';
export type { StatsRecord } from './trace/records.ts';
