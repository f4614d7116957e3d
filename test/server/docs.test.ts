/**
 * The REST API as the README and docs/viewer.md document it: every route the server has is in
 * docs/viewer.md's table, every endpoint the README names is one of them, and each answers a
 * live server (a GET with 200 and JSON, a change with 200 or 202).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import type { PacketSummary } from '../../web/protocol.ts';
import { until, viewerSession } from './helpers.ts';

/** "GET /api/maps/:object/:map" from every `METHOD /path` in a markdown table row. */
function documented(file: string): Set<string> {
  const out = new Set<string>();
  for (const row of readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('| `'))) {
    for (const m of row.matchAll(/`(GET|POST|PUT|DELETE) (\/[^\s`?[]*)/g)) out.add(`${m[1]} ${m[2]}`);
  }
  return out;
}

/** The routes src/server registers. */
function routes(): Set<string> {
  const out = new Set<string>();
  for (const m of readFileSync('src/server/routes.ts', 'utf8').matchAll(/\br\.(get|post|put|delete)\('([^']+)'/g)) out.add(`${m[1].toUpperCase()} /api${m[2]}`);
  for (const m of readFileSync('src/server/server.ts', 'utf8').matchAll(/\bapp\.get\('(\/metrics)'/g)) out.add(`GET ${m[1]}`);
  return out;
}

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer(viewerSession({ play: true, speed: 1_000_000, wallMs: () => performance.now() }), { port: 0 });
});
afterAll(async () => {
  await srv?.close();
});

describe('the REST API as documented', () => {
  const docs = documented('docs/viewer.md');

  it('docs/viewer.md lists every route, and the README names only routes that exist', () => {
    expect([...docs].sort()).toEqual([...routes()].sort());
    const readme = [...documented('README.md')];
    expect(readme.filter((r) => !docs.has(r))).toEqual([]);
    expect(readme.length).toBe(docs.size);
  });

  it('/metrics exports every metric the docs list, and only those (besides the configured map metrics)', async () => {
    const text = readFileSync('docs/viewer.md', 'utf8');
    const table = text.slice(text.indexOf('## Prometheus `/metrics`'), text.indexOf('### Map metrics'));
    const listed = new Set([...table.matchAll(/`(chainlab_\w+)`/g)].map((m) => m[1]));
    const metrics = await (await fetch(new URL('/metrics', srv.url))).text();
    const exported = new Set([...metrics.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => m[1]));
    expect([...exported].sort()).toEqual([...listed].sort());
  });

  it('each documented endpoint answers', async () => {
    const pkt = await until(async () => (await (await fetch(new URL('/api/packets', srv.url))).json() as PacketSummary[])[0]?.pkt, 'a packet');
    const params: Record<string, string> = { ':object': 'xdp_proto_count.o', ':map': 'proto_count', ':key': '05000000', ':id': String(pkt), ':name': '' };
    const bodies: Record<string, unknown> = {
      'POST /api/control': { action: 'play' },
      'PUT /api/maps/:object/:map/:key': { value: 'e803000000000000' },
      'POST /api/inject': { dev: 'gen/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' },
      'PUT /api/traffic/:name': { rate: '10kpps' },
    };
    for (const route of docs) {
      const [method, path] = route.split(' ');
      const name = path.startsWith('/api/traffic') ? 'udp' : 'xdp_proto_count';
      const url = path.replace(/:\w+/g, (p) => (p === ':name' ? name : params[p]));
      const body = bodies[route];
      const res = await fetch(new URL(url, srv.url), { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      // DELETE of an array entry is refused by the map (err -22) but the call itself succeeds.
      expect([200, 202], `${route} → ${res.status} ${text}`).toContain(res.status);
      if (path !== '/metrics') expect(() => JSON.parse(text), `${route} answers JSON`).not.toThrow();
      else expect(text).toMatch(/^# HELP chainlab_/);
    }
  });
});
