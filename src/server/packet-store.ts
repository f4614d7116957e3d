/**
 * The recent packets the viewer was shown, hop by hop with the frame after each hop, for
 * `GET /api/packets/:id` and the trace panel. Bounded: the oldest packet goes when `capacity`
 * is reached, and a packet keeps at most `maxHops` hops (a redirect loop cannot grow it).
 */
import type { HopRecord } from '../trace/records.ts';
import type { PacketSummary, PacketTrace, ProgStepInfo, TraceHop } from '../../web/protocol.ts';
import { decodeFrame, sameBytes } from './frames.ts';

interface StoredHop {
  rec: HopRecord;
  frame?: Uint8Array;
}

interface StoredPacket {
  pkt: number;
  hops: StoredHop[];
  /** Bytes the packet was injected with (hand-made packets), the "before" of its first hop. */
  injected?: Uint8Array;
  lastFrame?: Uint8Array;
}

export class PacketStore {
  private readonly packets = new Map<number, StoredPacket>();

  constructor(
    readonly capacity = 1000,
    readonly maxHops = 256,
  ) {}

  get size(): number {
    return this.packets.size;
  }

  add(rec: HopRecord, frame?: Uint8Array): void {
    let p = this.packets.get(rec.pkt);
    if (!p) {
      p = { pkt: rec.pkt, hops: [] };
      this.packets.set(rec.pkt, p);
      if (this.packets.size > this.capacity) this.packets.delete(this.packets.keys().next().value as number);
    }
    if (p.hops.length >= this.maxHops) return;
    // Most hops leave the bytes alone: share the previous copy instead of keeping another.
    const prev = p.lastFrame;
    if (!frame) {
      p.hops.push({ rec });
      return;
    }
    p.lastFrame = prev && sameBytes(prev, frame) ? prev : frame;
    p.hops.push({ rec, frame: p.lastFrame });
  }

  /** Remember the bytes a hand-injected packet started as. */
  setInjected(pkt: number, frame: Uint8Array): void {
    const p = this.packets.get(pkt);
    if (p) p.injected = frame.slice();
  }

  has(pkt: number): boolean {
    return this.packets.has(pkt);
  }

  /** The newest packets first. */
  list(limit = 100): PacketSummary[] {
    const out: PacketSummary[] = [];
    for (const p of [...this.packets.values()].reverse()) {
      if (out.length >= limit) break;
      const first = p.hops[0]?.rec;
      const last = p.hops[p.hops.length - 1]?.rec;
      if (!first || !last) continue;
      out.push({ pkt: p.pkt, t: first.t, flow: first.flow, traffic: first.traffic, hops: p.hops.length, last: describeHop(last) });
    }
    return out;
  }

  /** The packet's whole trace, decoded; `source` gives the C text of a step's line. */
  trace(pkt: number, source: (line: string | undefined) => string | undefined): PacketTrace | undefined {
    const p = this.packets.get(pkt);
    if (!p) return undefined;
    let prev: Uint8Array | undefined = p.injected;
    const hops: TraceHop[] = p.hops.map(({ rec, frame }) => {
      const steps: ProgStepInfo[] = (rec.progs ?? []).map((s) => ({ ...s, source: source(s.line) }));
      const h: TraceHop = { hop: rec, steps };
      if (frame) h.after = decodeFrame(frame);
      if (prev && frame) h.changed = !sameBytes(prev, frame);
      if (prev && steps.length > 0) h.before = decodeFrame(prev);
      if (frame) prev = frame;
      return h;
    });
    const first = p.hops[0]?.rec;
    return { pkt, flow: first?.flow, traffic: first?.traffic, hops, outcome: outcomeOf(p.hops.map((h) => h.rec)) };
  }
}

export function describeHop(r: HopRecord): string {
  return `${r.host}/${r.dev ?? '-'} ${r.hook} ${r.verdict ?? r.reason ?? ''}`.trim();
}

/** Where the packet's path ended, in a word. */
export function outcomeOf(hops: readonly HopRecord[]): string {
  const last = hops[hops.length - 1];
  if (!last) return 'unknown';
  if (last.hook === 'drop' || /DROP|ABORTED|SHOT/.test(last.verdict ?? '') || last.verdict === 'drop') return 'dropped';
  if (last.hook === 'local') return 'delivered';
  if (last.hook === 'nic-tx' && last.verdict === 'sent') return 'sent';
  return 'in flight';
}
