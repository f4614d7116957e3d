/**
 * The REST API (docs/viewer.md): the same data the page gets — scenario, clock, topology,
 * counters, stats, maps, packet traces, traffic sources — and the same controls, as JSON.
 * Errors are `{"error": "..."}` with a 4xx status that says what to send instead.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseRate } from '../scenario/units.ts';
import { latencySummary } from '../trace/histogram.ts';
import type { ControlRequest, CountersResponse, ScheduledResult, TrafficRateRequest } from '../../web/protocol.ts';
import { ApiError } from './errors.ts';
import type { Session } from './session.ts';
import { findProgram, listPrograms } from './programs.ts';
import { ledgerTotals } from './stats.ts';
import { topologyRecord } from './topology.ts';

type Handler = (req: Request, res: Response) => unknown;

/** Wrap a handler: its value (or promise) is sent as JSON, ApiErrors as their status. */
const json = (h: Handler) => async (req: Request, res: Response, next: NextFunction): Promise<void> => {
  try {
    const v = await h(req, res);
    if (!res.headersSent) res.json(v);
  } catch (e) {
    next(e);
  }
};

/** 202 while the change waits for the next event (paused clock), 200 once it ran. */
function scheduled(res: Response, r: ScheduledResult): ScheduledResult {
  res.status(r.applied ? 200 : 202);
  return r;
}

const param = (req: Request, name: string): string => String(req.params[name]);

/** A numeric query parameter (`?since=123`), its default when absent; anything else is a 400. */
function numberParam(req: Request, name: string, dflt: number): number {
  const raw = req.query[name];
  if (raw === undefined) return dflt;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new ApiError(400, `?${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

export function apiRouter(s: Session): Router {
  const r = express.Router();
  r.use(express.json({ limit: '64kb' }));
  const { net } = s.built;

  r.get('/scenario', json(() => s.info));
  r.get('/state', json(() => s.state));
  r.post('/control', json((req) => s.control((req.body ?? {}) as ControlRequest)));
  r.get('/topology', json(() => topologyRecord(net, s.built.objects.values())));

  r.get('/counters', json((): CountersResponse => {
    const totals = ledgerTotals(net);
    const now = net.sim.now;
    const drops = [...net.ledger.values()]
      .filter((e) => e.outcome === 'dropped')
      .reduce((acc, e) => {
        const k = `${e.host}/${e.dev}/${e.reason ?? 'unknown'}`;
        const d = acc.get(k);
        if (d) d.count += e.count;
        else acc.set(k, { host: e.host, dev: e.dev, reason: e.reason ?? 'unknown', count: e.count });
        return acc;
      }, new Map<string, CountersResponse['drops'][number]>());
    const lat = latencySummary(net.recent.last(10_000));
    return {
      t: now,
      counters: net.counters.snapshot(),
      cpus: net.cpus.map((c) => ({ id: c.id, busyNs: c.busyNs, utilisation: now > 0 ? Math.min(1, c.busyNs / now) : 0 })),
      packets: { injected: net.counters.get('injected'), delivered: totals.get('pkts/delivered') ?? 0, dropped: totals.get('pkts/dropped') ?? 0, left: totals.get('pkts/left') ?? 0 },
      drops: [...drops.values()],
      latency: { count: lat.count, p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
    };
  }));

  r.get('/stats', json((req) => {
    const since = numberParam(req, 'since', -1);
    return s.statsHistory.filter((x) => x.t > since);
  }));

  r.get('/maps', json(() => s.catalog.list()));
  r.get('/maps/:object/:map', json((req) => s.catalog.dump(s.catalog.find(param(req, 'object'), param(req, 'map')), net.sim.now)));
  r.put('/maps/:object/:map/:key', json(async (req, res) => scheduled(res, await s.editMap(param(req, 'object'), param(req, 'map'), param(req, 'key'), req.body))));
  r.delete('/maps/:object/:map/:key', json(async (req, res) => scheduled(res, await s.deleteMapEntry(param(req, 'object'), param(req, 'map'), param(req, 'key')))));

  r.get('/programs', json(() => listPrograms(s.catalog, net)));
  r.get('/programs/:name', json((req) => findProgram(s.catalog, param(req, 'name'), typeof req.query.object === 'string' ? req.query.object : undefined)));

  r.get('/packets', json((req) => s.store.list(Math.min(1000, Math.max(1, Math.floor(numberParam(req, 'limit', 100)))))));
  r.get('/packets/:id', json((req) => {
    const id = Number(param(req, 'id'));
    if (!Number.isInteger(id) || id < 1) throw new ApiError(400, `packet id must be a positive integer, got '${param(req, 'id')}'`);
    const t = s.store.trace(id, (line) => s.sources.text(line));
    if (!t) throw new ApiError(404, `packet ${id} is not kept: the server keeps the last ${s.store.capacity} packets it showed (whole paths of 1 in ${s.sampler.every} now)`);
    return t;
  }));
  r.post('/inject', json(async (req, res) => scheduled(res, await s.inject(req.body))));

  r.get('/traffic', json(() => s.traffic.list(s.built.sent())));
  r.put('/traffic/:name', json(async (req, res) => {
    const body = (req.body ?? {}) as TrafficRateRequest;
    const raw = typeof body.rate === 'number' ? `${body.rate}pps` : body.rate;
    const p = parseRate(raw);
    if (!p.ok) throw new ApiError(400, `rate: ${p.error}`);
    return scheduled(res, await s.setTrafficRate(param(req, 'name'), p.value));
  }));

  r.use((req: Request) => {
    throw new ApiError(404, `no API route ${req.method} ${req.originalUrl} (see docs/viewer.md)`);
  });
  r.use((e: unknown, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (e instanceof ApiError) res.status(e.status).json({ error: e.message });
    else if ((e as { type?: string }).type === 'entity.parse.failed') res.status(400).json({ error: `the body is not JSON: ${(e as Error).message}` });
    else res.status(500).json({ error: `internal error: ${(e as Error).message}` });
  });
  return r;
}
