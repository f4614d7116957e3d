/**
 * The scenario's generated traffic sources (constant, Poisson, on/off), run by the server so the
 * viewer can change a source's rate. The scenario builder owns its generators and does not hand
 * them out, so the session builds the scenario without these sources and starts them here the
 * way src/scenario/build.ts does — same random stream per source (`traffic/<name>`), same flows,
 * sizes and frames — so an unchanged run is the run `chainlab run` makes. A rate change stops
 * the generator and starts one with the new rate at the next event, continuing the same flows,
 * sizes and random stream. Capture replays stay with the builder (their timing is the file's).
 */
import type { Network } from '../net/network.ts';
import { Veth } from '../net/veth.ts';
import { constantRate, FlowSet, fixedSize, imix, onOff, poisson, TrafficGenerator, weightedSizes, type ArrivalProcess, type SizeDistribution } from '../net/traffic/index.ts';
import type { Rate } from '../net/traffic/arrivals.ts';
import { frameFlow } from '../scenario/build.ts';
import type { GeneratedTraffic, OnOffTraffic, Scenario, TrafficSource } from '../scenario/model.ts';
import type { Simulator } from '../sim/index.ts';
import type { TrafficInfo } from '../../web/protocol.ts';
import { ApiError } from './errors.ts';

type Generated = GeneratedTraffic | OnOffTraffic;

export const isGenerated = (t: TrafficSource): t is Generated => t.kind !== 'pcap';

const rateText = (r: Rate): string => ('pps' in r ? `${r.pps} pps` : `${r.bps} b/s`);

function sizesOf(s: Generated['size']): SizeDistribution {
  if (s.kind === 'fixed') return fixedSize(s.bytes);
  if (s.kind === 'imix') return imix();
  return weightedSizes(s.table);
}

function arrivalsOf(src: Generated, rate: Rate): ArrivalProcess {
  if (src.kind === 'onoff') return onOff({ rate, on: src.onNs, off: src.offNs });
  return src.kind === 'poisson' ? poisson(rate) : constantRate(rate);
}

/** Mean gap of a rate for frames of `len` bytes (to place the first packet after a change). */
function meanGapNs(rate: Rate, len: number): number {
  return Math.max(1, Math.round('pps' in rate ? 1e9 / rate.pps : ((len + 24) * 8 * 1e9) / rate.bps));
}

class Source {
  private gen: TrafficGenerator;
  private sentBefore = 0;
  private readonly flows: FlowSet;
  private readonly sizes: SizeDistribution;

  constructor(
    private readonly sim: Simulator,
    private readonly net: Network,
    readonly def: Generated,
    readonly stopNs: number,
    public rate: Rate,
  ) {
    const f = def.flows;
    this.flows = new FlowSet({ count: f.count, pick: f.pick, protocol: f.protocol, src: f.src, dst: f.dst, sport: f.sport, dport: f.dport });
    this.sizes = sizesOf(def.size);
    this.gen = this.make(rate, def.startNs);
  }

  get sent(): number {
    return this.sentBefore + this.gen.sent;
  }

  get running(): boolean {
    return this.gen.running;
  }

  start(): void {
    this.gen.start();
  }

  /** Stop now and go on at `rate` (call from inside an event). */
  restart(rate: Rate): void {
    const wasRunning = this.gen.running || this.sim.now < this.def.startNs;
    this.gen.stop();
    this.sentBefore += this.gen.sent;
    this.rate = rate;
    const first = Math.max(this.def.startNs, this.sim.now + meanGapNs(rate, 60));
    this.gen = this.make(rate, first);
    if (wasRunning) this.gen.start();
  }

  private make(rate: Rate, startNs: number): TrafficGenerator {
    const def = this.def;
    const rx = this.net.host(def.from.host).devices.get(def.from.dev);
    if (!rx) throw new Error(`traffic ${def.name}: no device ${def.from.host}/${def.from.dev}`);
    // Frames arrive on the receive side of `from`: from the wire for a NIC; for a veth, sent by its peer.
    const dev = rx instanceof Veth ? rx.peer : rx;
    const dstMac = def.l2.dstMac ?? [...rx.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const left = def.count === undefined ? undefined : Math.max(0, def.count - this.sentBefore);
    return new TrafficGenerator(
      this.sim,
      {
        arrivals: arrivalsOf(def, rate),
        flows: this.flows,
        sizes: this.sizes,
        rng: this.sim.rng(`traffic/${def.name}`),
        link: { srcMac: def.l2.srcMac ?? '02:00:00:00:ff:01', dstMac, vlan: def.l2.vlan },
        startNs,
        stopNs: this.stopNs,
        count: left,
      },
      (_t, frame) => {
        this.net.inject(dev, frame, { traffic: def.name, flow: frameFlow(frame) });
      },
    );
  }
}

export class TrafficControl {
  private readonly sources = new Map<string, Source>();

  constructor(
    private readonly sim: Simulator,
    net: Network,
    private readonly scenario: Scenario,
  ) {
    for (const t of scenario.traffic) {
      if (isGenerated(t)) this.sources.set(t.name, new Source(sim, net, t, t.stopNs ?? scenario.durationNs, t.rate));
    }
  }

  /** Start every source (in declaration order, as the builder does). */
  start(): void {
    for (const s of this.sources.values()) s.start();
  }

  list(sentByBuilder: Record<string, number>): TrafficInfo[] {
    return this.scenario.traffic.map((t) => {
      const s = this.sources.get(t.name);
      const from = `${t.from.host}/${t.from.dev}`;
      if (!s) return { name: t.name, kind: t.kind, from, rate: 'capture timing', sent: sentByBuilder[t.name] ?? 0, running: true, adjustable: false };
      return { name: t.name, kind: t.kind, from, rate: rateText(s.rate), sent: s.sent, running: s.running, adjustable: true };
    });
  }

  /** Check a rate change now; the returned function applies it (inside an event). */
  prepare(name: string, rate: Rate): () => void {
    const s = this.sources.get(name);
    if (!s) {
      const known = this.scenario.traffic.find((t) => t.name === name);
      throw new ApiError(known ? 409 : 404, known ? `traffic ${name} replays a capture: its timing is the file's` : `no traffic source '${name}' (sources: ${[...this.scenario.traffic.map((t) => t.name)].join(', ') || 'none'})`);
    }
    const v = 'pps' in rate ? rate.pps : rate.bps;
    if (!(v > 0 && Number.isFinite(v))) throw new ApiError(400, `rate must be > 0, got ${rateText(rate)}`);
    return () => s.restart(rate);
  }
}
