/**
 * `chainlab serve <scenario>`: the live viewer — runs the scenario in virtual time behind an
 * express server (loopback by default) with the page, the REST API, /metrics and the WebSocket
 * stream. See docs/viewer.md.
 */
import type { Command } from 'commander';
import { BuildError } from '../../scenario/build.ts';
import { ScenarioError } from '../../scenario/errors.ts';
import { loadScenarioFile } from '../../scenario/parse.ts';
import { ExporterConfigError, loadExporterConfig } from '../../server/exporter.ts';
import { startServer } from '../../server/server.ts';
import { Session } from '../../server/session.ts';
import { parseDuration } from '../duration.ts';
import { CliError } from '../errors.ts';

interface ServeOpts {
  port: string;
  host: string;
  seed?: string;
  speed: string;
  statsInterval?: string;
  metricsConfig?: string;
  paused?: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function intOption(v: string, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

async function session(path: string, o: ServeOpts): Promise<Session> {
  try {
    const scenario = loadScenarioFile(path);
    const metrics = o.metricsConfig ? loadExporterConfig(o.metricsConfig) : undefined;
    return await Session.create(scenario, {
      seed: o.seed !== undefined ? intOption(o.seed, '--seed', 0, 0xffffffff) : undefined,
      speed: parseDuration(o.speed, '--speed'),
      statsIntervalNs: o.statsInterval ? parseDuration(o.statsInterval, '--stats-interval') : undefined,
      play: !o.paused,
      metrics,
      wallMs: () => performance.now(),
    });
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof BuildError) throw new CliError(e.message);
    // A config that names a map the scenario lacks fails when the session checks it against the objects.
    if (e instanceof ExporterConfigError) throw new CliError(o.metricsConfig && !e.message.startsWith(o.metricsConfig) ? `${o.metricsConfig}: ${e.message}` : e.message);
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run a scenario live in the browser: topology, packets hop by hop, controls, maps, charts, REST API and /metrics')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--port <n>', 'TCP port (0: any free port)', '7070')
    .option('--host <addr>', 'address to listen on (loopback unless you mean to share it)', '127.0.0.1')
    .option('--seed <n>', "seed of every random stream (default: the scenario's)")
    .option('--speed <time>', 'simulated time per wall-clock second at start', '1ms')
    .option('--stats-interval <time>', 'simulated time between chart samples (default: a fifth of the speed, rounded up to 1, 2 or 5 × 10^k)')
    .option('--metrics-config <file>', 'map metrics for /metrics, in ebpf_exporter style (YAML or JSON; see docs/viewer.md)')
    .option('--paused', 'start with the clock paused')
    .addHelpText('after', '\nExamples:\n  $ chainlab serve scenarios/xdp-proto-counter.yaml\n  $ chainlab serve scenarios/xdp-proto-counter.yaml --port 8080 --speed 100us --paused\n  $ curl -s localhost:7070/api/topology')
    .action(async (path: string, o: ServeOpts) => {
      const port = intOption(o.port, '--port', 0, 65535);
      const s = await session(path, o);
      let running;
      try {
        running = await startServer(s, { host: o.host, port });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${o.host} is in use: pick another with --port (0 for any free one)`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`--host ${o.host}: not an address of this machine`);
        throw e;
      }
      if (!LOOPBACK.test(o.host)) console.error(`chainlab: warning: listening on ${o.host}: anyone who reaches it can edit maps and inject packets`);
      console.log(`chainlab: serving ${s.info.name} at ${running.url} (Ctrl-C to stop)`);
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
