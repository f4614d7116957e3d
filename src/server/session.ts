/**
 * One live simulation behind the viewer: the built scenario, the clock controller, the trace
 * listener that feeds stats, sampling, frame capture, the packet store and the page fan-out,
 * and the operations the controls and the REST API perform. Anything that changes the model
 * (map edits, injected packets, traffic rates) runs as an event at the current time — "at the
 * next event" — so it happens between two events, in order, as a user-space write would.
 */
import { buildScenario, frameFlow, loadCaptures, type Built } from '../scenario/build.ts';
import type { Capture } from '../net/traffic/index.ts';
import type { Scenario } from '../scenario/model.ts';
import type { TraceRecord, StatsRecord } from '../trace/records.ts';
import type { ControlRequest, ControlState, Notice, ScenarioInfo, ScheduledResult } from '../../web/protocol.ts';
import type { Rate } from '../net/traffic/arrivals.ts';
import { FrameCapture } from './capture.ts';
import { Controller } from './controller.ts';
import { ApiError } from './errors.ts';
import type { ExporterConfig } from './exporter.ts';
import { ClientHub, type HubOptions } from './hub.ts';
import { buildInjectFrame, parseInject } from './inject.ts';
import { MapCatalog, parseKey, parseValue } from './maps.ts';
import { metricsRegistry } from './metrics.ts';
import { PacketStore } from './packet-store.ts';
import { PacketSampler } from './sampler.ts';
import { SourceLines } from './source-lines.ts';
import { StatsSampler } from './stats.ts';
import { isGenerated, TrafficControl } from './traffic.ts';
import type { Registry } from 'prom-client';

/** StatsRecords kept for pages that connect later and for GET /api/stats. */
const STATS_HISTORY = 600;
/** How long a REST call waits for its event while the clock plays. */
const APPLY_WAIT_MS = 2000;
/** Changes (map edits, injected packets, rates) waiting for the next event, at most: a paused clock queues nothing without bound. */
export const MAX_PENDING_CHANGES = 1000;

export interface SessionOptions {
  seed?: number;
  /** Simulated ns per wall second. */
  speed?: number;
  statsIntervalNs?: number;
  /** Start playing at once (default false: the page or API presses play). */
  play?: boolean;
  /** Keep frame bytes per hop of the packets shown (default true). */
  capture?: boolean;
  /** New packets per wall second shown before sampling starts. */
  sampleBudget?: number;
  /** Packets kept for GET /api/packets/:id. */
  storeCapacity?: number;
  hub?: HubOptions;
  metrics?: ExporterConfig;
  /** Wall clock in ms (the server passes performance.now). */
  wallMs?: () => number;
  /** Captures the scenario replays, by path (Session.create reads them). */
  captures?: ReadonlyMap<string, Capture>;
}

export class Session {
  readonly built: Built;
  readonly controller: Controller;
  readonly hub: ClientHub;
  readonly sampler: PacketSampler;
  readonly store: PacketStore;
  readonly catalog: MapCatalog;
  readonly sources: SourceLines;
  readonly traffic: TrafficControl;
  readonly registry: Registry;
  readonly statsHistory: StatsRecord[] = [];
  private readonly stats: StatsSampler;
  private readonly capture: FrameCapture | undefined;
  private hops = 0;
  private injectTickets = 0;
  private pendingChanges = 0;

  constructor(
    readonly scenario: Scenario,
    opts: SessionOptions = {},
  ) {
    // Generated traffic runs here (so its rate can change); capture replays stay with the builder.
    this.built = buildScenario({ ...scenario, traffic: scenario.traffic.filter((t) => !isGenerated(t)) }, { seed: opts.seed, captures: opts.captures });
    const { sim, net, objects } = this.built;
    this.traffic = new TrafficControl(sim, net, scenario);
    this.traffic.start();
    this.catalog = new MapCatalog(objects);
    this.sources = new SourceLines(objects.values());
    this.stats = new StatsSampler(net);
    this.sampler = new PacketSampler(opts.sampleBudget);
    this.store = new PacketStore(opts.storeCapacity);
    this.hub = new ClientHub(opts.hub);
    this.capture = opts.capture === false ? undefined : new FrameCapture(net);
    this.controller = new Controller(sim, {
      speed: opts.speed,
      statsIntervalNs: opts.statsIntervalNs,
      pauseAtNs: scenario.durationNs,
      wallMs: opts.wallMs,
      hops: () => this.hops,
      onStats: (t, interval) => this.onStats(t, interval),
    });
    this.registry = metricsRegistry(
      { net, catalog: this.catalog, events: () => sim.stats.processed, viewerDropped: () => this.hub.all().reduce((s, c) => s + c.droppedTotal, 0), viewerClients: () => this.hub.size },
      opts.metrics,
    );
    net.trace.subscribe((r) => this.onRecord(r));
    if (opts.play) this.controller.play();
  }

  /** A session for a scenario whose capture files (pcap traffic) are read first. */
  static async create(scenario: Scenario, opts: SessionOptions = {}): Promise<Session> {
    return new Session(scenario, { ...opts, captures: opts.captures ?? (await loadCaptures(scenario)) });
  }

  get info(): ScenarioInfo {
    const sc = this.scenario;
    return { name: sc.name, description: sc.description, file: sc.file, seed: this.built.sim.seed, durationNs: sc.durationNs };
  }

  get state(): ControlState {
    const c = this.controller;
    const s = this.built.sim.stats;
    return { playing: c.playing, speed: c.speed, now: this.built.sim.now, durationNs: this.scenario.durationNs, events: s.processed, pending: s.pending, behind: c.behind, statsIntervalNs: c.statsIntervalNs };
  }

  /** One period of the server's pump: advance the clock, then send every page its batch. */
  pump(dtSeconds: number, budgetMs?: number): void {
    this.controller.tick(dtSeconds, budgetMs);
    this.sampler.elapsed(dtSeconds * 1000);
    this.flush();
  }

  flush(): void {
    this.hub.flush(this.state, this.sampler.every);
  }

  notice(n: Notice): void {
    this.hub.notice(n);
  }

  control(req: ControlRequest): ControlState {
    const c = this.controller;
    if (req.speed !== undefined) {
      try {
        c.setSpeed(Number(req.speed));
      } catch (e) {
        throw new ApiError(400, (e as Error).message);
      }
    }
    switch (req.action) {
      case 'play':
        c.play();
        break;
      case 'pause':
        c.pause();
        break;
      case 'step':
        c.pause();
        if (req.step === 'hop') c.stepHop();
        else c.stepEvent();
        this.flush();
        break;
      case 'speed':
        if (req.speed === undefined) throw new ApiError(400, "action 'speed' needs 'speed' (simulated ns per wall second)");
        break;
      default:
        throw new ApiError(400, `action must be play, pause, step or speed, got ${JSON.stringify((req as { action?: unknown }).action)}`);
    }
    this.notice({ kind: 'control', text: req.action === 'step' ? `step (${req.step ?? 'event'}) to ${this.built.sim.now} ns` : `${req.action}${req.speed !== undefined ? ` at ${c.speed} ns/s` : ''}` });
    return this.state;
  }

  /**
   * Run `fn` as an event at the current simulated time. While the clock plays the promise gives
   * its result; while paused (or if it takes long) `applied: false` — it runs at the next step.
   */
  async atNextEvent<T>(fn: () => T): Promise<{ applied: true; value: T } | { applied: false }> {
    if (this.pendingChanges >= MAX_PENDING_CHANGES) throw new ApiError(429, `${this.pendingChanges} changes are waiting for the next event: step or play first`);
    this.pendingChanges++;
    const done = new Promise<T>((resolve, reject) => {
      this.built.sim.scheduleNow(() => {
        this.pendingChanges--;
        try {
          resolve(fn());
        } catch (e) {
          reject(e);
        }
      });
    });
    done.catch(() => undefined);
    if (!this.controller.playing) return { applied: false };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ applied: false }>((resolve) => {
      timer = setTimeout(() => resolve({ applied: false }), APPLY_WAIT_MS);
    });
    try {
      return await Promise.race([done.then((value) => ({ applied: true as const, value })), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async editMap(object: string, name: string, keyHex: string, body: unknown): Promise<ScheduledResult> {
    const ref = this.catalog.find(object, name);
    const key = parseKey(ref.map, keyHex);
    const value = parseValue(ref.map, (body ?? {}) as never);
    const r = await this.atNextEvent(() => {
      const err = ref.map.update(key, value);
      this.notice({ kind: 'map', text: err === 0 ? `${object} ${name}[${keyHex}] updated` : `${object} ${name}[${keyHex}]: update failed (errno ${-err})` });
      return err;
    });
    return r.applied ? { applied: true, err: r.value } : { applied: false };
  }

  async deleteMapEntry(object: string, name: string, keyHex: string): Promise<ScheduledResult> {
    const ref = this.catalog.find(object, name);
    const key = parseKey(ref.map, keyHex);
    const r = await this.atNextEvent(() => {
      const err = ref.map.delete(key);
      this.notice({ kind: 'map', text: err === 0 ? `${object} ${name}[${keyHex}] deleted` : `${object} ${name}[${keyHex}]: delete failed (errno ${-err})` });
      return err;
    });
    return r.applied ? { applied: true, err: r.value } : { applied: false };
  }

  async inject(body: unknown): Promise<ScheduledResult> {
    const req = parseInject(body);
    const [host, devName] = req.dev.split('/');
    const dev = this.built.net.hosts.get(host)?.devices.get(devName);
    if (!dev) throw new ApiError(400, `inject: no device ${req.dev}`);
    const mac = [...dev.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const frame = buildInjectFrame(req, mac);
    // The packet's id is known only when it enters; a paused caller gets a ticket its notice repeats.
    const ticket = ++this.injectTickets;
    const r = await this.atNextEvent(() => {
      this.sampler.force(1);
      const skb = this.built.net.inject(dev, frame.slice(), { traffic: 'manual', flow: frameFlow(frame) });
      this.store.setInjected(skb.id, frame);
      this.notice({ kind: 'inject', text: `packet ${skb.id} injected at ${req.dev}`, pkt: skb.id, ticket });
      return skb.id;
    });
    return r.applied ? { applied: true, pkt: r.value } : { applied: false, ticket };
  }

  async setTrafficRate(name: string, rate: Rate): Promise<ScheduledResult> {
    const apply = this.traffic.prepare(name, rate);
    const r = await this.atNextEvent(() => {
      apply();
      this.notice({ kind: 'traffic', text: `traffic ${name} now at ${'pps' in rate ? `${rate.pps} pps` : `${rate.bps} b/s`}` });
    });
    return { applied: r.applied };
  }

  private onRecord(r: TraceRecord): void {
    if (r.type !== 'hop') return;
    this.hops++;
    this.stats.onHop(r);
    if (this.sampler.admit(r)) {
      this.store.add(r, this.capture?.take(r));
      this.hub.pushHop(r);
    } else this.capture?.skip();
  }

  private onStats(t: number, intervalNs: number): void {
    const rec = this.stats.sample(t, intervalNs);
    this.statsHistory.push(rec);
    if (this.statsHistory.length > STATS_HISTORY) this.statsHistory.shift();
    this.hub.pushStats(rec);
  }
}
