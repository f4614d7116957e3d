import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import type { ServerMessage } from '../../web/protocol.ts';
import { until, viewerSession } from './helpers.ts';

const HOP_CAPACITY = 500;
const MAX_BUFFERED = 64 * 1024;

let srv: RunningServer | undefined;
afterAll(async () => {
  await srv?.close();
});

describe('a slow WebSocket consumer', () => {
  it('does not grow the server without bound: its buffer drops, counts, and tells the page', async () => {
    // Every packet shown, 100 ms of simulated time per second: tens of thousands of hop records per second.
    const s = viewerSession({ speed: 100_000_000, sampleBudget: 1e9, play: true, hub: { hopCapacity: HOP_CAPACITY, statsCapacity: 200, maxBufferedBytes: MAX_BUFFERED }, wallMs: () => performance.now() }, { durationNs: 60_000_000_000 });
    srv = await startServer(s, { port: 0 });
    const ws = `ws://127.0.0.1:${srv.port}/ws`;

    const fast = new WebSocket(ws);
    let fastHops = 0;
    fast.on('message', (d) => {
      const m = JSON.parse(String(d)) as ServerMessage;
      if (m.type === 'batch') fastHops += m.hops.length;
    });
    const slow = new WebSocket(ws);
    const slowMessages: ServerMessage[] = [];
    slow.on('message', (d) => slowMessages.push(JSON.parse(String(d)) as ServerMessage));
    await until(() => s.hub.size === 2 && slowMessages.length > 0, 'both pages to connect');
    // The slow page stops reading: its TCP window closes and the server's send buffer grows.
    slow.pause();

    const heapBefore = process.memoryUsage().heapUsed;
    const stalled = await until(() => s.hub.all().find((c) => c.stalled > 20 && c.droppedTotal > 10 * HOP_CAPACITY), 'the slow page to stall and drop', 40_000);
    for (let i = 0; i < 10; i++) {
      const info = s.hub.all().find((c) => c.stalled > 0);
      expect(info?.queuedHops).toBeLessThanOrEqual(HOP_CAPACITY);
      // What ws holds for the page: under the threshold plus at most one batch of HOP_CAPACITY records.
      expect(info?.bufferedAmount).toBeLessThan(MAX_BUFFERED + HOP_CAPACITY * 1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stalled.droppedTotal).toBeGreaterThan(0);
    expect(fastHops).toBeGreaterThan(10 * HOP_CAPACITY);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);

    // Reading again, the page learns how much it missed.
    slow.resume();
    const told = await until(() => slowMessages.find((m) => m.type === 'batch' && m.sampling.droppedTotal >= stalled.droppedTotal), 'a batch that reports the drops', 20_000);
    expect(told.type === 'batch' && told.sampling.dropped).toBeGreaterThan(0);
    fast.close();
    slow.close();
  }, 120_000);
});
