/// <reference lib="dom" />
/**
 * The live viewer page: connects to the stream, draws the topology once per hello, moves the
 * shown packets along it, folds stats into the charts and the rates on the picture, and wires
 * the controls, the packet trace, the map editor and the traffic table.
 */
import { select } from 'd3';
import { api } from './api.ts';
import { drawChart } from './charts.ts';
import { bindClock, prepareInject, showSampling, showState, showTraffic } from './controls.ts';
import { fmtNs, fmtPps } from './format.ts';
import { MapsPanel } from './maps-panel.ts';
import { PacketTracks } from './packets.ts';
import type { ControlState, Notice, ServerMessage } from './protocol.ts';
import type { TopologyRecord } from '../src/trace/records.ts';
import { Series } from './series.ts';
import { connect } from './socket.ts';
import { TopologyView } from './topology-view.ts';
import { showTrace, showTraceError, tracePanel } from './trace-panel.ts';

const RECENT = 12;
/** The selected packet's trace is fetched again while it is still on its way. */
const TRACE_REFRESH_MS = 1000;

const tracks = new PacketTracks();
let series = new Series();
let state: ControlState | undefined;
let anim = 0;
/** Animation ms still allowed while paused (a step moves the packets one hop). */
let stepBudget = 0;
let selected: number | undefined;
let recent: number[] = [];
/** Packets this page injected while paused: their trace opens when they enter. */
const awaitedInjects = new Set<number>();

const trace = tracePanel(select<HTMLDivElement, unknown>('#trace').node() as HTMLDivElement);
const maps = new MapsPanel(select<HTMLDivElement, unknown>('#maps').node() as HTMLDivElement);
const view = new TopologyView(select<SVGSVGElement, unknown>('#topology').node() as SVGSVGElement, (pkt) => openPacket(pkt), (id) => openDevice(id));
let topology: TopologyRecord | undefined;

function log(n: Notice): void {
  const li = select('#log').insert('li', ':first-child').attr('class', `notice notice-${n.kind}`).text(n.text);
  if (n.pkt !== undefined) li.append('button').text('trace').on('click', () => openPacket(n.pkt as number));
  select('#log').selectAll('li').filter((_d, i) => i >= 50).remove();
}

function showTab(name: string): void {
  select('#side').selectAll<HTMLElement, unknown>('.tab').classed('hidden', function () {
    return this.id !== `tab-${name}`;
  });
  select('#tabs').selectAll<HTMLButtonElement, unknown>('button').classed('active', function () {
    return this.dataset.tab === name;
  });
}

/** A device's programs' maps, or what the device is when it runs none. */
function openDevice(id: string): void {
  const [host, name] = id.split('/');
  const d = topology?.hosts.find((h) => h.name === host)?.devices.find((x) => x.name === name);
  if (!d) return;
  const progs = d.hooks.flatMap((h) => h.progs);
  if (progs.length > 0 && maps.chooseForPrograms(progs)) showTab('maps');
  else log({ kind: 'control', text: `${id}: ${d.kind}, ifindex ${d.ifindex}, ${d.mac}${d.addrs.length ? `, ${d.addrs.join(' ')}` : ''}${progs.length ? `, runs ${progs.join(', ')}` : ', no programs'}` });
}

/** The packet named in the address (#packet=N), if any. */
const packetInHash = (): number | undefined => {
  const m = /packet=(\d+)/.exec(location.hash);
  return m ? Number(m[1]) : undefined;
};

async function openPacket(pkt: number): Promise<void> {
  selected = pkt;
  if (packetInHash() !== pkt) history.replaceState(null, '', `#packet=${pkt}`);
  view.select(pkt);
  showTab('packet');
  try {
    const t = await api.packet(pkt);
    if (selected !== pkt) return;
    showTrace(trace, t);
    if (t.outcome === 'in flight') setTimeout(() => void (selected === pkt && openPacket(pkt)), TRACE_REFRESH_MS);
  } catch (e) {
    showTraceError(trace, pkt, (e as Error).message);
  }
}

function showRecent(): void {
  select('#recent')
    .selectAll<HTMLLIElement, number>('li')
    .data(recent, (p) => p)
    .join('li')
    .attr('data-pkt', (p) => p)
    .text((p) => `packet ${p}`)
    .on('click', (_ev, p) => void openPacket(p));
}

function drawCharts(): void {
  const chart = (id: string): SVGSVGElement => select<SVGSVGElement, unknown>(`#${id}`).node() as SVGSVGElement;
  const span = series.span();
  drawChart(chart('chart-throughput'), { title: 'throughput (packets/s)', y: fmtPps }, series.lines('throughput'), span);
  drawChart(chart('chart-drops'), { title: 'drops by reason (packets/s)', y: fmtPps }, series.lines('drops'), span);
  drawChart(chart('chart-latency'), { title: 'latency percentiles', y: fmtNs }, series.lines('latency'), span);
  drawChart(chart('chart-cpu'), { title: 'CPU use per core (%)', y: (v) => `${v}%`, yMax: 100 }, series.lines('cpu'), span);
}

function onMessage(m: ServerMessage): void {
  if (m.type === 'hello') {
    select('#scenario-name').text(m.scenario.name);
    select('#scenario-desc').text(m.scenario.description);
    topology = m.topology;
    view.setTopology(m.topology);
    tracks.clear();
    series = new Series();
    for (const s of m.stats) series.add(s);
    prepareInject(m.topology, (pkt, text, ticket) => {
      log({ kind: pkt === undefined && ticket === undefined ? 'error' : 'inject', text, pkt });
      if (pkt !== undefined) void openPacket(pkt);
      else if (ticket !== undefined) awaitedInjects.add(ticket);
    });
    showTraffic(m.traffic, (e) => log({ kind: 'error', text: e }));
    state = m.state;
    showState(m.state);
    drawCharts();
    view.showRates(series);
    void maps.load();
    const linked = packetInHash();
    if (linked !== undefined && selected === undefined) void openPacket(linked);
    return;
  }
  for (const h of m.hops) {
    tracks.add(h, anim);
    if (h.hook === 'wire' && !recent.includes(h.pkt)) recent = [h.pkt, ...recent].slice(0, RECENT);
  }
  if (m.hops.length > 0) showRecent();
  if (!m.state.playing && m.hops.length > 0) stepBudget = tracks.hopMs;
  if (m.stats.length > 0) {
    for (const s of m.stats) series.add(s);
    drawCharts();
    view.showRates(series);
  }
  for (const n of m.notices) {
    log(n);
    if (n.ticket !== undefined && n.pkt !== undefined && awaitedInjects.delete(n.ticket)) void openPacket(n.pkt);
  }
  state = m.state;
  showState(m.state);
  showSampling(m.sampling);
}

function frame(last: number): (now: number) => void {
  return (now: number) => {
    const dt = Math.min(100, now - last);
    if (state?.playing) anim += dt;
    else if (stepBudget > 0) {
      const d = Math.min(dt, stepBudget);
      anim += d;
      stepBudget -= d;
    }
    view.showPackets(tracks.dots(anim, (id) => view.position(id)));
    requestAnimationFrame(frame(now));
  };
}

select('#tabs').selectAll<HTMLButtonElement, unknown>('button').on('click', function () {
  showTab(this.dataset.tab ?? 'packet');
});
bindClock(() => state, (text) => log({ kind: 'error', text }));
window.addEventListener('hashchange', () => {
  const p = packetInHash();
  if (p !== undefined && p !== selected) void openPacket(p);
});
setInterval(() => {
  api.traffic().then((t) => showTraffic(t, (e) => log({ kind: 'error', text: e }))).catch(() => undefined);
}, 2000);
connect(onMessage, (ok) => select('#conn').text(ok ? 'live' : 'reconnecting…').classed('down', !ok));
requestAnimationFrame(frame(performance.now()));
