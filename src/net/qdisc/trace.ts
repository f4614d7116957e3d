/**
 * Qdisc events as trace records: one HopRecord with hook 'qdisc' per event (src/trace/records.ts),
 * verdict enqueue/dequeue/drop/mark/requeue, the drop reason, and the queue depth after the event.
 * Built only by whoever set Qdisc.onEvent, so an unobserved qdisc pays nothing.
 */
import type { HopRecord } from '../../trace/records.ts';
import type { QdiscEvent } from './base.ts';

export interface QdiscHopContext {
  host: string;
  dev?: string;
  cpu?: number;
  /** Packet id (and parent id) of the event's packet, from the datapath's packet. */
  pktId: (ev: QdiscEvent) => { id: number; parent?: number };
}

export function qdiscEventToHop(ev: QdiscEvent, ctx: QdiscHopContext): HopRecord {
  const ids = ctx.pktId(ev);
  const r: HopRecord = { type: 'hop', t: ev.t, pkt: ids.id, host: ctx.host, hook: 'qdisc', verdict: ev.kind, qlen: ev.qlen, len: ev.pkt.len };
  if (ids.parent !== undefined) r.parent = ids.parent;
  if (ctx.dev !== undefined) r.dev = ctx.dev;
  if (ctx.cpu !== undefined) r.cpu = ctx.cpu;
  if (ev.reason !== undefined) r.reason = ev.reason;
  return r;
}
