/// <reference lib="dom" />
/** The REST API as typed calls; an error answer becomes an Error with the server's message. */
import type { ControlRequest, ControlState, MapDump, MapInfo, PacketSummary, PacketTrace, ProgramListing, ScheduledResult, InjectRequest, TrafficInfo, MapEditRequest } from './protocol.ts';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(data.error ?? `${method} ${path}: HTTP ${res.status}`);
  return data;
}

const seg = encodeURIComponent;

export const api = {
  control: (req: ControlRequest) => call<ControlState>('POST', '/control', req),
  maps: () => call<MapInfo[]>('GET', '/maps'),
  map: (object: string, name: string) => call<MapDump>('GET', `/maps/${seg(object)}/${seg(name)}`),
  putEntry: (object: string, name: string, key: string, body: MapEditRequest) => call<ScheduledResult>('PUT', `/maps/${seg(object)}/${seg(name)}/${seg(key)}`, body),
  deleteEntry: (object: string, name: string, key: string) => call<ScheduledResult>('DELETE', `/maps/${seg(object)}/${seg(name)}/${seg(key)}`),
  packets: () => call<PacketSummary[]>('GET', '/packets'),
  program: (name: string) => call<ProgramListing>('GET', `/programs/${seg(name)}`),
  packet: (id: number) => call<PacketTrace>('GET', `/packets/${id}`),
  inject: (req: InjectRequest) => call<ScheduledResult>('POST', '/inject', req),
  traffic: () => call<TrafficInfo[]>('GET', '/traffic'),
  setRate: (name: string, rate: string) => call<ScheduledResult>('PUT', `/traffic/${seg(name)}`, { rate }),
};
