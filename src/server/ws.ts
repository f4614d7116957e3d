/**
 * The live stream: a page connects to /ws, gets a `hello` (scenario, topology, clock, recent
 * stats, traffic sources) and then one `batch` per pump period from the hub. Pages only listen;
 * controls go through the REST API.
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../web/protocol.ts';
import type { Session } from './session.ts';
import { topologyRecord } from './topology.ts';

export function attachWebSocket(server: Server, s: Session): WebSocketServer {
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 });
  // ws re-emits the HTTP server's errors (a failed listen: EADDRINUSE, EADDRNOTAVAIL); startServer
  // reports those itself, and an unheard 'error' event would end the process with a stack trace.
  wss.on('error', () => undefined);
  wss.on('connection', (ws: WebSocket) => {
    const hello: ServerMessage = {
      type: 'hello',
      scenario: s.info,
      topology: topologyRecord(s.built.net, s.built.objects.values()),
      state: s.state,
      stats: s.statsHistory,
      traffic: s.traffic.list(s.built.sent()),
    };
    ws.send(JSON.stringify(hello));
    s.hub.add(ws);
    ws.on('close', () => s.hub.remove(ws));
    ws.on('error', () => s.hub.remove(ws));
  });
  return wss;
}
