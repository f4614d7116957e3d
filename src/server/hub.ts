/**
 * Fan-out of trace records to the connected pages. The simulation never waits for a page: each
 * client has bounded buffers (src/trace/stream.ts BoundedBuffer) that drop and count when full,
 * and the server sends one batch per flush period only to clients whose socket has drained below
 * `maxBufferedBytes` — a slow page makes its own buffer drop, never the server's memory grow.
 */
import { BoundedBuffer } from '../trace/stream.ts';
import type { HopRecord, StatsRecord } from '../trace/records.ts';
import type { ControlState, Notice, ServerMessage } from '../../web/protocol.ts';

/** The part of a WebSocket the hub uses (ws.WebSocket fits; tests pass fakes). */
export interface ClientSocket {
  readonly bufferedAmount: number;
  /** WebSocket readyState: batches go only to open sockets (1). */
  readonly readyState?: number;
  send(data: string): void;
}

export interface HubOptions {
  /** Hop records buffered per client. */
  hopCapacity?: number;
  /** Stats records buffered per client. */
  statsCapacity?: number;
  /** A client whose socket holds more than this many unsent bytes gets no batch this time. */
  maxBufferedBytes?: number;
}

export interface ClientInfo {
  queuedHops: number;
  queuedStats: number;
  droppedTotal: number;
  bufferedAmount: number;
  batchesSent: number;
  stalled: number;
}

class Client {
  readonly hops: BoundedBuffer<HopRecord>;
  readonly stats: BoundedBuffer<StatsRecord>;
  readonly notices = new BoundedBuffer<Notice>(100);
  droppedTotal = 0;
  batchesSent = 0;
  stalled = 0;

  constructor(
    readonly socket: ClientSocket,
    o: Required<HubOptions>,
  ) {
    this.hops = new BoundedBuffer(o.hopCapacity);
    this.stats = new BoundedBuffer(o.statsCapacity);
  }
}

export class ClientHub {
  private readonly clients = new Map<ClientSocket, Client>();
  private readonly opts: Required<HubOptions>;

  constructor(opts: HubOptions = {}) {
    this.opts = { hopCapacity: 5000, statsCapacity: 2000, maxBufferedBytes: 1 << 20, ...opts };
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: ClientSocket): void {
    this.clients.set(socket, new Client(socket, this.opts));
  }

  remove(socket: ClientSocket): void {
    this.clients.delete(socket);
  }

  pushHop(r: HopRecord): void {
    for (const c of this.clients.values()) c.hops.push(r);
  }

  pushStats(s: StatsRecord): void {
    for (const c of this.clients.values()) c.stats.push(s);
  }

  notice(n: Notice): void {
    for (const c of this.clients.values()) c.notices.push(n);
  }

  /** Send each ready client what it has queued (one message), with the clock and sampling state. */
  flush(state: ControlState, every: number): void {
    for (const c of this.clients.values()) {
      if (c.socket.readyState !== undefined && c.socket.readyState !== 1) continue;
      if (c.socket.bufferedAmount > this.opts.maxBufferedBytes) {
        c.stalled++;
        continue;
      }
      const hops = c.hops.drain();
      const stats = c.stats.drain();
      const notices = c.notices.drain();
      const dropped = hops.dropped + stats.dropped + notices.dropped;
      c.droppedTotal += dropped;
      const msg: ServerMessage = {
        type: 'batch',
        hops: hops.items,
        stats: stats.items,
        notices: notices.items,
        state,
        sampling: { every, dropped, droppedTotal: c.droppedTotal },
      };
      c.socket.send(JSON.stringify(msg));
      c.batchesSent++;
    }
  }

  info(socket: ClientSocket): ClientInfo | undefined {
    const c = this.clients.get(socket);
    if (!c) return undefined;
    // Records dropped since the last batch are counted in the buffers until then.
    const pending = c.hops.dropped + c.stats.dropped + c.notices.dropped;
    return { queuedHops: c.hops.length, queuedStats: c.stats.length, droppedTotal: c.droppedTotal + pending, bufferedAmount: c.socket.bufferedAmount, batchesSent: c.batchesSent, stalled: c.stalled };
  }

  all(): ClientInfo[] {
    return [...this.clients.keys()].map((s) => this.info(s) as ClientInfo);
  }
}
