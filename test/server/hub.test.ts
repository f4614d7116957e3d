import { describe, expect, it } from 'vitest';
import { ClientHub } from '../../src/server/hub.ts';
import type { HopRecord } from '../../src/trace/records.ts';
import type { ControlState, ServerMessage } from '../../web/protocol.ts';

const state: ControlState = { playing: true, speed: 1e6, now: 0, durationNs: 1e6, events: 0, pending: 0, behind: false, statsIntervalNs: 1e5 };
const hop = (pkt: number): HopRecord => ({ type: 'hop', t: pkt, pkt, host: 'h', dev: 'eth0', hook: 'wire', len: 60 });

/** A socket whose send buffer is as full as the test says. */
class FakeSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: ServerMessage[] = [];
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ServerMessage);
  }
}

const batches = (s: FakeSocket) => s.sent.filter((m): m is Extract<ServerMessage, { type: 'batch' }> => m.type === 'batch');

describe('ClientHub', () => {
  it('sends each client everything queued since the last flush, once', () => {
    const hub = new ClientHub();
    const a = new FakeSocket();
    hub.add(a);
    for (let p = 1; p <= 3; p++) hub.pushHop(hop(p));
    hub.flush(state, 1);
    hub.flush(state, 1);
    expect(batches(a).map((b) => b.hops.map((h) => h.pkt))).toEqual([[1, 2, 3], []]);
    expect(batches(a)[0].sampling).toEqual({ every: 1, dropped: 0, droppedTotal: 0 });
  });

  it('a slow client gets nothing while its socket is full, drops beyond its buffer and is told how many', () => {
    const hub = new ClientHub({ hopCapacity: 100, maxBufferedBytes: 1000 });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.add(slow);
    hub.add(fast);
    slow.bufferedAmount = 1 << 20;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) hub.pushHop(hop(round * 100 + i + 1));
      hub.flush(state, 1);
      const info = hub.info(slow);
      expect(info?.queuedHops).toBeLessThanOrEqual(100);
    }
    expect(batches(slow)).toHaveLength(0);
    expect(hub.info(slow)?.stalled).toBe(50);
    expect(batches(fast).reduce((n, b) => n + b.hops.length, 0)).toBe(5000);
    expect(hub.info(slow)?.droppedTotal).toBe(4900);

    slow.bufferedAmount = 0;
    hub.flush(state, 1);
    const [b] = batches(slow);
    expect(b.hops.map((h) => h.pkt)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(b.sampling.dropped).toBe(4900);
    expect(b.sampling.droppedTotal).toBe(4900);
  });

  it('skips sockets that are not open and forgets removed ones', () => {
    const hub = new ClientHub();
    const a = new FakeSocket();
    hub.add(a);
    a.readyState = 3;
    hub.pushHop(hop(1));
    hub.flush(state, 1);
    expect(a.sent).toHaveLength(0);
    hub.remove(a);
    expect(hub.size).toBe(0);
  });
});
