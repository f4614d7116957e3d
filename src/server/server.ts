/**
 * `chainlab serve`: an express server for one live session — the page (built from web/), the
 * REST API under /api, Prometheus /metrics, the WebSocket stream at /ws — and the pump that
 * drives the clock and sends the batches. It listens on loopback unless told otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildWeb, type WebAssets } from './bundle.ts';
import { apiRouter } from './routes.ts';
import type { Session } from './session.ts';
import { attachWebSocket } from './ws.ts';

/** Wall ms between two pumps (clock advance + one batch per page). */
export const PUMP_MS = 50;
/** Share of a pump period the simulation may use. */
const BUDGET_MS = 30;

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Pre-built page (tests build it once). */
  web?: WebAssets;
  /** Drive the pump with a timer (default true; tests may pump by hand). */
  pump?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(session: Session, opts: ServeOptions = {}): Promise<RunningServer> {
  const web = opts.web ?? (await buildWeb());
  const app = express();
  app.disable('x-powered-by');
  app.get('/', (_req, res) => void res.type('html').send(web['index.html']));
  app.get('/app.js', (_req, res) => void res.type('js').send(web['app.js']));
  app.get('/style.css', (_req, res) => void res.type('css').send(web['style.css']));
  app.get('/metrics', async (_req, res) => {
    try {
      const text = await session.registry.metrics();
      res.type(session.registry.contentType).send(text);
    } catch (e) {
      res.status(500).type('text').send(`# metrics failed: ${(e as Error).message}\n`);
    }
  });
  app.use('/api', apiRouter(session));

  const server = createServer(app);
  const wss = attachWebSocket(server, session);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 7070, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  let timer: ReturnType<typeof setInterval> | undefined;
  if (opts.pump !== false) {
    let last = performance.now();
    timer = setInterval(() => {
      const now = performance.now();
      // A long pause (a stalled process) is not made up for: at most a few periods at once.
      session.pump(Math.min(now - last, 4 * PUMP_MS) / 1000, BUDGET_MS);
      last = now;
    }, PUMP_MS);
  }

  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    server,
    close: async () => {
      if (timer) clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // server.close() alone waits for every connection a browser still holds (a keep-alive
      // socket with a request in flight can linger ~100 s): closing means closing them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
