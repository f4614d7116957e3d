import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExporterConfig } from '../../src/server/exporter.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import type { Session } from '../../src/server/session.ts';
import type { ControlState, CountersResponse, MapDump, MapInfo, PacketSummary, PacketTrace, ProgramInfo, ProgramListing, ScheduledResult, TrafficInfo } from '../../web/protocol.ts';
import type { StatsRecord, TopologyRecord } from '../../src/trace/records.ts';
import { until, VIEWER_METRICS, viewerSession } from './helpers.ts';

let s: Session;
let srv: RunningServer;

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(new URL(path, srv.url), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, data: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
}
const get = <T>(path: string) => call<T>('GET', path);

const PROTO = '/api/maps/xdp_proto_count.o/proto_count';
const udpSlot = async (): Promise<bigint> => {
  const d = (await get<MapDump>(PROTO)).data;
  return BigInt(d.entries.find((e) => e.key === '05000000')?.valueNum ?? '-1');
};

beforeAll(async () => {
  s = viewerSession({ metrics: loadExporterConfig(VIEWER_METRICS), wallMs: () => performance.now() });
  srv = await startServer(s, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await srv?.close();
});

describe('REST API', () => {
  it('listens on loopback only', () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(srv.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('GET /api/scenario and /api/state', async () => {
    expect((await get('/api/scenario')).data).toMatchObject({ name: 'viewer-chain', seed: 7, durationNs: 20_000_000 });
    expect((await get<ControlState>('/api/state')).data).toMatchObject({ playing: false, now: 0, speed: 1_000_000 });
  });

  it('GET /api/topology: hosts, devices with their programs, wire and veth links', async () => {
    const t = (await get<TopologyRecord>('/api/topology')).data;
    expect(t.hosts.map((h) => h.name)).toEqual(['gen', 'router', 'app']);
    const eth0 = t.hosts[1].devices.find((d) => d.name === 'eth0');
    expect(eth0).toMatchObject({ kind: 'nic', addrs: ['10.0.0.2/24'], hooks: [{ hook: 'xdp', progs: ['xdp_proto_count'] }] });
    expect(t.links).toEqual([
      { a: { host: 'gen', dev: 'eth0' }, b: { host: 'router', dev: 'eth0' }, kind: 'wire' },
      { a: { host: 'router', dev: 'veth0' }, b: { host: 'app', dev: 'veth0' }, kind: 'veth' },
    ]);
  });

  it('POST /api/control steps, and refuses what it does not know', async () => {
    const r = await call<ControlState>('POST', '/api/control', { action: 'step', step: 'hop' });
    expect(r.status).toBe(200);
    expect(r.data.events).toBeGreaterThan(0);
    expect((await call('POST', '/api/control', { action: 'rewind' })).status).toBe(400);
    const bad = await call<{ error: string }>('POST', '/api/control', { action: 'speed', speed: -5 });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toMatch(/speed must be/);
    expect((await call('POST', '/api/control', '{not json')).status).toBe(400);
  });

  it('GET /api/maps lists the maps; a dump is like bpftool map dump', async () => {
    const maps = (await get<MapInfo[]>('/api/maps')).data;
    expect(maps).toEqual([expect.objectContaining({ object: 'xdp_proto_count.o', name: 'proto_count', type: 'BPF_MAP_TYPE_PERCPU_ARRAY', keySize: 4, valueSize: 8, maxEntries: 11, perCpu: true, programs: ['xdp_proto_count'] })]);
    const d = (await get<MapDump>(PROTO)).data;
    expect(d.entries).toHaveLength(11);
    expect(d.entries[5]).toMatchObject({ key: '05000000', keyNum: '5', values: expect.any(Array) });
    expect(d.entries[5].values).toHaveLength(2);
  });

  it('PUT an entry while paused: scheduled (202), applied at the next event', async () => {
    const before = await udpSlot();
    const r = await call<ScheduledResult>('PUT', `${PROTO}/05000000`, { value: 'e803000000000000' });
    expect(r.status).toBe(202);
    expect(r.data).toEqual({ applied: false });
    expect(await udpSlot()).toBe(before);
    await until(async () => {
      await call('POST', '/api/control', { action: 'step' });
      return (await udpSlot()) >= 2000n;
    }, 'the edit to apply', 5000);
  });

  it('POST /api/inject while paused: 202 with a ticket; the packet enters at the next event and its notice names both', async () => {
    const r = await call<ScheduledResult>('POST', '/api/inject', { dev: 'gen/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'icmp' });
    expect(r.status).toBe(202);
    expect(r.data).toEqual({ applied: false, ticket: expect.any(Number) });
    const before = (await get<PacketSummary[]>('/api/packets')).data.filter((p) => p.traffic === 'manual').length;
    await until(async () => {
      await call('POST', '/api/control', { action: 'step' });
      return (await get<PacketSummary[]>('/api/packets')).data.filter((p) => p.traffic === 'manual').length > before;
    }, 'the injected packet', 5000);
  });

  it('PUT and DELETE refuse bad keys, values and names', async () => {
    const short = await call<{ error: string }>('PUT', `${PROTO}/0500`, { value: '00' });
    expect(short.status).toBe(400);
    expect(short.data.error).toMatch(/key: 2 bytes, the map's key_size is 4/);
    expect((await call<{ error: string }>('PUT', `${PROTO}/05000000`, { value: 'zz' })).data.error).toMatch(/value: expected hex/);
    expect((await call<{ error: string }>('PUT', `${PROTO}/05000000`, {})).data.error).toMatch(/send \{"value"/);
    expect((await call<{ error: string }>('PUT', `${PROTO}/05000000`, { values: ['00'] })).data.error).toMatch(/one value per CPU \(2\)/);
    const nomap = await call<{ error: string }>('DELETE', '/api/maps/xdp_proto_count.o/nope/00000000');
    expect(nomap.status).toBe(404);
    expect(nomap.data.error).toMatch(/no map 'nope' \(maps: proto_count\)/);
    expect((await get('/api/maps/nope.o/proto_count')).status).toBe(404);
  });

  it('while playing, edits answer with their result (an array entry cannot be deleted: EINVAL)', async () => {
    await call('POST', '/api/control', { action: 'play' });
    const r = await call<ScheduledResult>('DELETE', `${PROTO}/05000000`);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ applied: true, err: -22 });
    const put = await call<ScheduledResult>('PUT', `${PROTO}/00000000`, { values: ['0100000000000000', '0200000000000000'] });
    expect(put.data).toEqual({ applied: true, err: 0 });
  });

  it('POST /api/inject: a TCP packet passes the XDP program and is delivered; its trace has programs, C lines and decoded frames', async () => {
    const r = await call<ScheduledResult>('POST', '/api/inject', { dev: 'gen/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'tcp', sport: 4242, dport: 80 });
    expect(r.status).toBe(200);
    const pkt = r.data.pkt as number;
    const t = await until(async () => {
      const x = await get<PacketTrace>(`/api/packets/${pkt}`);
      return x.status === 200 && x.data.outcome === 'delivered' ? x.data : undefined;
    }, 'the packet to be delivered');
    expect(t.traffic).toBe('manual');
    expect(t.flow).toBe('tcp 10.0.0.1:4242 > 10.0.1.2:80');
    expect(t.hops.map((h) => `${h.hop.host}/${h.hop.dev}/${h.hop.hook}`)).toEqual([
      'gen/eth0/wire', 'gen/eth0/nic-rx', 'gen/eth0/forward', 'gen/eth0/qdisc', 'gen/eth0/nic-tx',
      'router/eth0/nic-rx', 'router/eth0/xdp', 'router/eth0/forward', 'router/veth0/veth-xmit', 'app/veth0/local',
    ]);
    const xdp = t.hops[6];
    expect(xdp.hop.verdict).toBe('XDP_PASS');
    expect(xdp.steps).toEqual([{ prog: 'xdp_proto_count', insns: expect.any(Number), line: expect.stringMatching(/^xdp_proto_count\.c:\d+$/), source: expect.any(String) }]);
    expect(xdp.before?.summary).toMatch(/^IP 10\.0\.0\.1\.4242 > 10\.0\.1\.2\.80: Flags \[S\]/);
    expect(xdp.after?.layers.map((l) => l.kind)).toEqual(['eth', 'ipv4', 'tcp', 'payload']);
    expect(xdp.changed).toBe(false);
    expect(t.hops[0].steps).toEqual([]);
  });

  it('POST /api/inject: a UDP packet is dropped by XDP', async () => {
    const r = await call<ScheduledResult>('POST', '/api/inject', { dev: 'gen/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' });
    const t = await until(async () => {
      const x = await get<PacketTrace>(`/api/packets/${r.data.pkt}`);
      return x.data.outcome === 'dropped' ? x.data : undefined;
    }, 'the packet to be dropped');
    expect(t.hops.at(-1)?.hop).toMatchObject({ host: 'router', dev: 'eth0', hook: 'xdp', verdict: 'XDP_DROP' });
    const bad = await call<{ error: string }>('POST', '/api/inject', { dev: 'gen/eth9', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toMatch(/no device gen\/eth9/);
  });

  it('GET /api/programs: where each program runs; one program as chainlab disasm prints it, lines tagged with their C line', async () => {
    expect((await get<ProgramInfo[]>('/api/programs')).data).toEqual([
      { object: 'xdp_proto_count.o', name: 'xdp_proto_count', section: 'xdp', type: 'BPF_PROG_TYPE_XDP', insns: expect.any(Number), attached: ['router/eth0 xdp'] },
    ]);
    const l = (await get<ProgramListing>('/api/programs/xdp_proto_count')).data;
    expect(l.lines[0].text).toBe('0000000000000000 <xdp_proto_count>:');
    const exit = l.lines.filter((x) => /\texit$/.test(x.text));
    expect(exit.length).toBeGreaterThan(0);
    expect(exit.every((x) => /^xdp_proto_count\.c:\d+$/.test(x.line ?? ''))).toBe(true);
    expect(l.lines.some((x) => x.text.includes('R_BPF_64_64\tproto_count'))).toBe(true);
    expect((await get('/api/programs/nope')).status).toBe(404);
  });

  it('GET /api/packets lists the kept packets; an unknown one is a 404 that says why', async () => {
    const list = (await get<PacketSummary[]>('/api/packets')).data;
    expect(list.length).toBeGreaterThan(2);
    expect(list[0].pkt).toBeGreaterThan(list[1].pkt);
    const miss = await get<{ error: string }>('/api/packets/999999');
    expect(miss.status).toBe(404);
    expect(miss.data.error).toMatch(/not kept/);
    expect((await get('/api/packets/abc')).status).toBe(400);
    expect((await get<PacketSummary[]>('/api/packets?limit=2')).data).toHaveLength(2);
    expect((await get<{ error: string }>('/api/packets?limit=many')).data.error).toMatch(/\?limit must be a number/);
    // A generated packet's first hop, as it entered, is decoded too.
    const gen = list.find((p) => p.traffic !== 'manual');
    const trace = (await get<PacketTrace>(`/api/packets/${gen?.pkt}`)).data;
    expect(trace.hops[0].hop.hook).toBe('wire');
    expect(trace.hops[0].after?.summary).toMatch(/^IP 10\.0\.0\.\d+\.\d+ > /);
  });

  it('traffic sources: list and change a rate', async () => {
    const list = (await get<TrafficInfo[]>('/api/traffic')).data;
    expect(list.map((t) => [t.name, t.kind, t.rate, t.adjustable])).toEqual([
      ['tcp', 'constant', '20000 pps', true],
      ['udp', 'poisson', '10000 pps', true],
    ]);
    const r = await call<ScheduledResult>('PUT', '/api/traffic/udp', { rate: '40kpps' });
    expect(r.data).toEqual({ applied: true });
    expect((await get<TrafficInfo[]>('/api/traffic')).data[1].rate).toBe('40000 pps');
    expect((await call('PUT', '/api/traffic/udp', { rate: 'fast' })).status).toBe(400);
    expect((await call('PUT', '/api/traffic/nope', { rate: 5 })).status).toBe(404);
  });

  it('GET /api/counters and /api/stats', async () => {
    await until(async () => (await get<StatsRecord[]>('/api/stats')).data.length > 2, 'stats');
    const c = (await get<CountersResponse>('/api/counters')).data;
    expect(c.packets.injected).toBeGreaterThan(0);
    expect(c.packets.injected).toBe(c.counters.injected);
    expect(c.drops[0]).toMatchObject({ host: 'router', dev: 'eth0', reason: 'XDP_DROP' });
    expect(c.cpus).toHaveLength(2);
    const stats = (await get<StatsRecord[]>('/api/stats')).data;
    expect(stats[0].counters.interval_ns).toBe(200_000);
    const last = stats.at(-1)?.t ?? 0;
    expect((await get<StatsRecord[]>(`/api/stats?since=${last}`)).data).toEqual([]);
    const bad = await get<{ error: string }>('/api/stats?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.data.error).toBe('?since must be a number, got "yesterday"');
  });

  it('GET /metrics: counters and the configured map metric, labels decoded', async () => {
    const text = (await get<string>('/metrics')).data;
    expect(text).toMatch(/^chainlab_packets_total\{outcome="injected"\} \d+$/m);
    expect(text).toMatch(/^chainlab_hook_verdicts_total\{host="router",dev="eth0",hook="xdp",verdict="XDP_DROP"\} \d+$/m);
    expect(text).toMatch(/^chainlab_xdp_proto_packets_total\{proto="udp"\} \d+$/m);
    expect(text).toMatch(/^chainlab_xdp_proto_packets_total\{proto="non_ip"\} 3$/m);
    expect(text).toContain('# TYPE chainlab_xdp_proto_packets_total counter');
  });

  it('unknown API routes are JSON 404s', async () => {
    const r = await get<{ error: string }>('/api/nope');
    expect(r.status).toBe(404);
    expect(r.data.error).toMatch(/no API route GET \/api\/nope/);
  });

  it('serves the page', async () => {
    const html = (await get<string>('/')).data;
    expect(html).toContain('<svg id="topology"');
    const js = await fetch(new URL('/app.js', srv.url));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });
});
