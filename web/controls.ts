/// <reference lib="dom" />
/**
 * The controls: play/pause, single-step (an event or a packet hop), the speed of simulated time,
 * the clock and sampling read-outs, the hand-made packet form and the traffic sources' rates.
 * Every action is a REST call; what changed comes back on the stream.
 */
import { select } from 'd3';
import { api } from './api.ts';
import { fmtCount, fmtNs } from './format.ts';
import type { ControlState, InjectRequest, SamplingState, TrafficInfo } from './protocol.ts';
import type { TopologyRecord } from '../src/trace/records.ts';

const $ = (id: string) => select<HTMLElement, unknown>(`#${id}`);

/** Speed slider: log10 of simulated ns per wall second. */
const speedFromSlider = (v: number): number => Math.round(10 ** v);

export function bindClock(getState: () => ControlState | undefined, onError: (m: string) => void): void {
  const act = (p: Promise<unknown>): void => void p.catch((e: Error) => onError(e.message));
  $('play').on('click', () => act(api.control({ action: getState()?.playing ? 'pause' : 'play' })));
  $('step').on('click', () => act(api.control({ action: 'step', step: 'event' })));
  $('step-hop').on('click', () => act(api.control({ action: 'step', step: 'hop' })));
  $('speed').on('input', (ev: Event) => {
    $('speed-label').text(`${fmtNs(speedFromSlider(Number((ev.target as HTMLInputElement).value)))}/s`);
  });
  $('speed').on('change', (ev: Event) => act(api.control({ action: 'speed', speed: speedFromSlider(Number((ev.target as HTMLInputElement).value)) })));
}

export function showState(s: ControlState): void {
  $('play').text(s.playing ? 'Pause' : 'Play').classed('playing', s.playing);
  $('clock').text(`t = ${fmtNs(s.now)} of ${fmtNs(s.durationNs)} · ${fmtCount(s.events)} events${s.behind ? ' · running behind' : ''}`);
  const slider = $('speed').node() as HTMLInputElement;
  if (document.activeElement !== slider) {
    slider.value = String(Math.log10(s.speed));
    $('speed-label').text(`${fmtNs(s.speed)}/s`);
  }
}

export function showSampling(s: SamplingState): void {
  const active = s.every > 1 || s.droppedTotal > 0;
  $('sampling')
    .classed('active', active)
    .text(active ? `sampling: 1 in ${s.every} packets shown${s.droppedTotal ? ` · ${fmtCount(s.droppedTotal)} records dropped (page too slow)` : ''}` : 'every packet shown');
}

/** Fill the inject form's device list and sensible addresses from the topology. */
export function prepareInject(topo: TopologyRecord, onInjected: (pkt: number | undefined, message: string, ticket?: number) => void): void {
  const devs = topo.hosts.flatMap((h) => h.devices.map((d) => ({ id: `${h.name}/${d.name}`, host: h.name, addrs: d.addrs })));
  select('#inject-form select[name="dev"]')
    .selectAll('option')
    .data(devs)
    .join('option')
    .attr('value', (d) => d.id)
    .text((d) => d.id);
  const first = devs[0];
  const other = devs.find((d) => d.host !== first?.host && d.addrs.length > 0);
  const field = (name: string): HTMLInputElement => select(`#inject-form [name="${name}"]`).node() as HTMLInputElement;
  if (first?.addrs[0]) field('src').value = first.addrs[0].split('/')[0];
  if (other?.addrs[0]) field('dst').value = other.addrs[0].split('/')[0];
  select('#inject-form').on('submit', (ev: Event) => {
    ev.preventDefault();
    const num = (name: string): number | undefined => (field(name).value.trim() === '' ? undefined : Number(field(name).value));
    const text = (name: string): string | undefined => field(name).value.trim() || undefined;
    const req: InjectRequest = {
      dev: field('dev').value,
      srcMac: text('srcMac'),
      dstMac: text('dstMac'),
      vlan: num('vlan'),
      src: field('src').value.trim(),
      dst: field('dst').value.trim(),
      protocol: field('protocol').value as InjectRequest['protocol'],
      sport: num('sport'),
      dport: num('dport'),
      flags: text('flags'),
      ttl: num('ttl'),
      size: num('size'),
    };
    api
      .inject(req)
      .then((r) => onInjected(r.pkt, r.applied ? `packet ${r.pkt} injected at ${req.dev}` : 'scheduled: it enters at the next event (play or step); its trace opens then', r.ticket))
      .catch((e: Error) => onInjected(undefined, e.message));
  });
}

export function showTraffic(list: TrafficInfo[], onError: (m: string) => void): void {
  const row = select('#traffic tbody')
    .selectAll<HTMLTableRowElement, TrafficInfo>('tr')
    .data(list, (t) => t.name)
    .join((enter) => {
      const tr = enter.append('tr');
      for (const c of ['name', 'kind', 'from', 'rate', 'sent']) tr.append('td').attr('class', c);
      const set = tr.append('td').attr('class', 'set');
      set.append('input').attr('size', 8).attr('placeholder', 'e.g. 50kpps');
      set.append('button').text('set rate');
      return tr;
    })
    .attr('data-traffic', (t) => t.name);
  for (const c of ['name', 'kind', 'from', 'rate'] as const) row.select(`td.${c}`).text((t) => t[c]);
  row.select('td.sent').text((t) => `${fmtCount(t.sent)}${t.running ? '' : ' (done)'}`);
  row.select('td.set').style('visibility', (t) => (t.adjustable ? 'visible' : 'hidden'));
  row.select('button').on('click', function (_ev, t) {
    const input = (this as HTMLButtonElement).previousElementSibling as HTMLInputElement;
    api.setRate(t.name, input.value.trim()).catch((e: Error) => onError(e.message));
  });
}
