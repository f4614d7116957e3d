import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ControlState } from '../../web/protocol.ts';
import { until, VIEWER_METRICS, VIEWER_SCENARIO } from './helpers.ts';

const MAIN = fileURLToPath(new URL('./serve-main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function serve(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (err += String(d)));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('chainlab serve', () => {
  it('serves on loopback, prints the URL, and stops on SIGTERM', async () => {
    const s = serve([VIEWER_SCENARIO, '--port', '0', '--paused', '--speed', '100us', '--metrics-config', VIEWER_METRICS]);
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${s.out()} ${s.err()}`)), 30_000);
      s.child.stdout?.on('data', () => {
        const m = /serving viewer-chain at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(s.out());
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    const state = (await (await fetch(new URL('/api/state', url))).json()) as ControlState;
    expect(state).toMatchObject({ playing: false, speed: 100_000, now: 0 });
    expect(await (await fetch(new URL('/metrics', url))).text()).toContain('chainlab_xdp_proto_packets_total');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('npm start serves the flagship scenario on loopback and prints its URL', async () => {
    // Its own process group, so the test can stop npm and the server it started together.
    const child = spawn('npm', ['start', '--', '--port', '0', '--paused'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    child.stderr?.on('data', (d) => (out += String(d)));
    const exit = new Promise((resolve) => child.on('exit', resolve));
    try {
      const url = await until(() => /serving xdp-proto-counter at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], `npm start to print its URL (got: ${out})`, 30_000);
      expect(await (await fetch(new URL('/api/scenario', url))).json()).toMatchObject({ name: 'xdp-proto-counter', file: 'scenarios/xdp-proto-counter.yaml' });
      expect(await (await fetch(new URL('/api/state', url))).json()).toMatchObject({ playing: false, speed: 200_000 });
      expect(await (await fetch(url)).text()).toContain('<svg id="topology"');
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exit;
    }
  });

  it('--host ::1 serves on IPv6 loopback, without the warning for other addresses', async () => {
    const s = serve([VIEWER_SCENARIO, '--port', '0', '--paused', '--host', '::1']);
    const url = await until(() => /serving viewer-chain at (http:\/\/\[::1\]:\d+\/)/.exec(s.out())?.[1], `the URL (got: ${s.out()} ${s.err()})`, 30_000);
    expect(await (await fetch(new URL('/api/scenario', url))).json()).toMatchObject({ name: 'viewer-chain' });
    expect(s.err()).toBe('');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it.each([
    [['no-such.yaml'], /no-such\.yaml.*cannot read the scenario: no such file/],
    [[VIEWER_SCENARIO, '--host', '192.0.2.1'], /--host 192\.0\.2\.1: not an address of this machine/],
    [[VIEWER_SCENARIO, '--port', '99999'], /--port must be an integer from 0 to 65535/],
    [[VIEWER_SCENARIO, '--speed', 'fast'], /--speed: expected a duration/],
  ])('refuses %j with one message (exit 2)', async (args, msg) => {
    const s = serve(args);
    expect(await s.exit).toBe(2);
    expect(s.err()).toMatch(msg);
    expect(s.err()).not.toMatch(/\n\s+at /);
  });

  it('a port in use is one message (exit 2), not a stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const s = serve([VIEWER_SCENARIO, '--port', String(port)]);
      expect(await s.exit).toBe(2);
      expect(s.err()).toBe(`chainlab: port ${port} on 127.0.0.1 is in use: pick another with --port (0 for any free one)\n`);
    } finally {
      busy.close();
    }
  });

  it('names the metrics config when it asks for a map the scenario lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainlab-metrics-'));
    const cfg = join(dir, 'm.yaml');
    writeFileSync(cfg, 'metrics:\n  gauges:\n    - name: nope\n');
    const s = serve([VIEWER_SCENARIO, '--port', '0', '--metrics-config', cfg]);
    expect(await s.exit).toBe(2);
    expect(s.err()).toContain(`chainlab: ${cfg}: nope: no loaded object has a map 'nope'`);
  });
});
