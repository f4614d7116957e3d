/**
 * Scenario commands: `run` (simulate, summarise, write traces and pcaps), `test` (check
 * expectations, JUnit XML for CI), `trace` (one packet's way through a JSONL trace) and
 * `export --shell` (the same topology on a real Linux box).
 */
import { createReadStream, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { identity, ignoreElements, lastValueFrom, merge, Observable, share, tap, type OperatorFunction } from 'rxjs';
import { BuildError, buildScenarioAsync, type Built } from '../../scenario/build.ts';
import { ScenarioError } from '../../scenario/errors.ts';
import { exportShell } from '../../scenario/export-shell.ts';
import { watchExpectations, type ExpectResult } from '../../scenario/expect.ts';
import type { Scenario } from '../../scenario/model.ts';
import { loadScenarioFile } from '../../scenario/parse.ts';
import { formatSummary, summarize } from '../../scenario/summary.ts';
import type { TapPoint } from '../../net/network.ts';
import { CaptureFile, formatOf } from '../../trace/capture-file.ts';
import { JsonlSink } from '../../trace/sinks.ts';
import { HOOKS, type Hook, type HopRecord, type TraceRecord } from '../../trace/records.ts';
import { byFlow, byHook, byNode, byPacket, hopsOnly } from '../../trace/stream.ts';
import { formatNs, parseDuration } from '../duration.ts';
import { CliError } from '../errors.ts';

function load(path: string): Scenario {
  try {
    return loadScenarioFile(path);
  } catch (e) {
    if (e instanceof ScenarioError) throw new CliError(e.message);
    throw e;
  }
}

async function build(sc: Scenario, seed?: number): Promise<Built> {
  try {
    return await buildScenarioAsync(sc, { seed });
  } catch (e) {
    if (e instanceof BuildError) throw new CliError(e.message);
    throw e;
  }
}

/** Run to `until` in slices so a progress bar can follow simulated time (slicing does not change the run). */
function simulate(b: Built, untilNs: number, progress: boolean): void {
  const bar = progress ? new SingleBar({ format: 'simulating [{bar}] {percentage}% | {sim} of {total_sim} | {packets} packets', hideCursor: true, clearOnComplete: true }) : undefined;
  bar?.start(untilNs, 0, { sim: '0ns', total_sim: formatNs(untilNs), packets: 0 });
  const slice = Math.max(1, Math.ceil(untilNs / 100));
  for (let t = slice; ; t += slice) {
    const end = Math.min(t, untilNs);
    b.sim.run({ until: end });
    bar?.update(end, { sim: formatNs(end), packets: b.net.counters.get('injected') });
    if (end >= untilNs) break;
  }
  bar?.stop();
}

interface RunOpts {
  seed?: string;
  until?: string;
  trace?: string;
  pcap: string[];
  json?: boolean;
  hist?: boolean;
  progress: boolean;
}

const TAP_POINTS: readonly string[] = ['rx', 'tx', ...HOOKS];

/**
 * `--pcap HOST/DEV[@POINT]=FILE`: tcpdump's points (rx before tc ingress, tx at the driver) by
 * default, or one hook (the frame as it leaves the hook). A FILE named .pcapng may take several
 * captures, one named interface each; a classic pcap takes one.
 */
function attachPcaps(b: Built, specs: string[]): (() => void)[] {
  const parsed = specs.map((spec) => {
    const m = /^([^=@]+)(?:@([a-z-]+))?=(.+)$/.exec(spec);
    if (!m) throw new CliError(`--pcap ${spec}: expected HOST/DEV=FILE or HOST/DEV@HOOK=FILE (e.g. lb/eth0=lb.pcap)`);
    const [, dev, point, file] = m;
    const [host, name] = dev.split('/');
    if (!b.net.hosts.get(host)?.devices.has(name ?? '')) throw new CliError(`--pcap ${spec}: no device ${dev} in the scenario`);
    if (point !== undefined && !TAP_POINTS.includes(point)) throw new CliError(`--pcap ${spec}: no capture point '${point}' (points: ${TAP_POINTS.join(', ')})`);
    return { spec, dev, point, file };
  });
  for (const p of parsed) {
    const same = parsed.filter((q) => q.file === p.file);
    if (formatOf(p.file) === 'pcap' && same.length > 1) throw new CliError(`--pcap ${same.map((q) => q.spec).join(' and ')}: a pcap file holds one capture; name the file .pcapng to put several in it`);
  }
  const files = new Map<string, CaptureFile>();
  for (const { dev, point, file } of parsed) {
    let f = files.get(file);
    if (!f) {
      try {
        f = new CaptureFile(file);
      } catch (e) {
        throw new CliError(`--pcap ${dev}=${file}: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      files.set(file, f);
    }
    const cf = f;
    const id = cf.addInterface(point ? `${dev}@${point}` : dev, point ? `chainlab ${dev}, as frames leave the ${point} hook` : `chainlab ${dev}, where tcpdump sees it`);
    b.net.addTap(dev, (t, frame, at) => cf.write(id, t, frame, at === 'rx' ? 'in' : at === 'tx' ? 'out' : undefined), point ? [point as TapPoint] : undefined);
  }
  return [...files.values()].map((f) => () => f.close());
}

async function runOne(path: string, o: { seed?: number; untilNs?: number; traceFile?: string; pcaps?: string[]; progress?: boolean; check?: boolean }) {
  const sc = load(path);
  const b = await build(sc, o.seed);
  const watch = o.check ? watchExpectations(b) : undefined;
  const sink = o.traceFile ? openSink(o.traceFile) : undefined;
  if (sink) {
    sink.write({ type: 'topology', t: 0, hosts: topologyHosts(b), links: topologyLinks(b), sources: sourceLines(b) });
    b.net.trace.subscribe((r) => sink.write(r));
  }
  const closers = attachPcaps(b, o.pcaps ?? []);
  const until = o.untilNs ?? sc.durationNs;
  simulate(b, until, o.progress ?? false);
  sink?.close();
  for (const c of closers) c();
  return { b, summary: summarize(b, until), results: watch?.check() };
}

function topologyHosts(b: Built): Extract<TraceRecord, { type: 'topology' }>['hosts'] {
  return [...b.net.hosts.values()].map((h) => ({
    name: h.name,
    devices: [...h.devices.values()].map((d) => ({
      ...d.describe(),
      hooks: [
        ...(d.xdp ? [{ hook: 'xdp' as const, progs: [d.xdp.prog.name] }] : []),
        ...(d.tcIngress.length ? [{ hook: 'tc-ingress' as const, progs: d.tcIngress.map((f) => f.prog.name) }] : []),
        ...(d.tcEgress.length ? [{ hook: 'tc-egress' as const, progs: d.tcEgress.map((f) => f.prog.name) }] : []),
      ],
    })),
  }));
}

function topologyLinks(b: Built): Extract<TraceRecord, { type: 'topology' }>['links'] {
  return b.net.topology().links.map((l) => {
    const [ah, ad] = l.a.split('/');
    const [bh, bd] = l.b.split('/');
    return { a: { host: ah, dev: ad }, b: { host: bh, dev: bd }, kind: l.kind };
  });
}

/** The C text behind every "file.c:42" the loaded programs' line info names, so `chainlab trace` can print it. */
function sourceLines(b: Built): Record<string, string> {
  const out = new Map<string, string>();
  for (const o of b.objects.values()) {
    for (const p of o.spec.programs) {
      for (const li of p.lineInfo) {
        const k = `${li.file.replace(/^\.\//, '')}:${li.line}`;
        if (li.line && li.text.trim() && !out.has(k)) out.set(k, li.text.trim());
      }
    }
  }
  return Object.fromEntries([...out.entries()].sort(([a], [x]) => (a < x ? -1 : 1)));
}

/** Scenario files named directly or found (*.yaml, *.yml) in folders. */
function scenarioFiles(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (!existsSync(a)) throw new CliError(`${a}: no such file or folder`);
    if (statSync(a).isDirectory()) {
      for (const f of readdirSync(a).sort()) if (/\.ya?ml$/.test(f)) out.push(join(a, f));
    } else out.push(a);
  }
  if (out.length === 0) throw new CliError(`no scenario files (*.yaml) in ${args.join(', ')}`);
  return out;
}

function openSink(file: string): JsonlSink {
  try {
    return new JsonlSink(file);
  } catch (e) {
    throw new CliError(`--trace ${file}: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed)) throw new CliError(`--seed must be a non-negative integer, got '${text}'`);
  return seed;
}

/**
 * The records of a JSON Lines trace, streamed line by line (a trace can be larger than memory);
 * a line that is not a record names the file and line.
 */
function readTrace(file: string): Observable<TraceRecord> {
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  return new Observable<TraceRecord>((sub) => {
    const input = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    const fail = (msg: string): void => {
      sub.error(new CliError(`${file}:${n}: ${msg}`));
      lines.close();
    };
    lines.on('line', (line) => {
      n++;
      if (sub.closed || !line.trim()) return;
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch {
        return fail('not a JSON trace record');
      }
      const type = (r as { type?: unknown } | null)?.type;
      if (type !== 'hop' && type !== 'stats' && type !== 'topology') return fail('not a trace record (expected "type": "hop", "stats" or "topology")');
      if (type === 'hop' && (typeof (r as HopRecord).pkt !== 'number' || typeof (r as HopRecord).hook !== 'string')) return fail('a hop record needs "pkt" (a number) and "hook"');
      sub.next(r as TraceRecord);
    });
    lines.on('close', () => sub.complete());
    // readline passes the stream's errors on (a folder, a file that vanished).
    lines.on('error', (e: NodeJS.ErrnoException) => sub.error(new CliError(`${file}: cannot read (${e.code ?? e.message})`)));
    return () => lines.close();
  });
}

const xml = (s: string): string =>
  s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[<>&"'\n\r\t]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[c] as string);

export function register(program: Command): void {
  program
    .command('run')
    .description('simulate a scenario and print what happened')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--seed <n>', 'seed of every random stream (default: the scenario\'s)')
    .option('--until <time>', 'simulated time to run (e.g. 10ms; default: the scenario\'s duration)')
    .option('--trace <file>', 'write every hop as JSON Lines')
    .option('--pcap <dev=file>', 'capture at a device like tcpdump (HOST/DEV=FILE), or as frames leave a hook (HOST/DEV@HOOK=FILE); FILE.pcapng may hold several; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the summary as JSON')
    .option('--hist', 'add a histogram of latencies to the summary')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nExamples:\n  $ chainlab run scenarios/xdp-proto-counter.yaml\n  $ chainlab run scenarios/tc-nat.yaml --until 2ms --trace out.jsonl --pcap lb/eth0=lb.pcap\n  $ chainlab run scenarios/tc-nat.yaml --pcap lb/eth0=nat.pcapng --pcap lb/eth1=nat.pcapng --pcap lb/eth0@tc-ingress=nat.pcapng\n  $ chainlab trace out.jsonl --packet 7')
    .action(async (path: string, o: RunOpts) => {
      const seed = parseSeed(o.seed);
      const untilNs = o.until !== undefined ? parseDuration(o.until, '--until') : undefined;
      const { summary } = await runOne(path, { seed, untilNs, traceFile: o.trace, pcaps: o.pcap, progress: o.progress && process.stderr.isTTY && !o.json });
      if (o.json) console.log(JSON.stringify(summary, null, 2));
      else for (const l of formatSummary(summary, { histogram: o.hist })) console.log(l);
    });

  program
    .command('test')
    .description('run scenarios and check their expectations (exit 1 when one fails)')
    .argument('<paths...>', 'scenario files or folders of them')
    .option('--junit <file>', 'write JUnit XML for CI systems')
    .option('--seed <n>', 'override every scenario\'s seed')
    .addHelpText('after', '\nExamples:\n  $ chainlab test scenarios/\n  $ chainlab test scenarios/tc-nat.yaml --junit results.xml')
    .action(async (paths: string[], o: { junit?: string; seed?: string }) => {
      const seed = parseSeed(o.seed);
      const files = scenarioFiles(paths);
      const suites: { file: string; results: ExpectResult[]; error?: string; timeMs: number }[] = [];
      let failed = 0;
      let passed = 0;
      let errors = 0;
      for (const f of files) {
        const t0 = performance.now();
        try {
          const { results } = await runOne(f, { seed, check: true });
          const rs = results ?? [];
          suites.push({ file: f, results: rs, timeMs: performance.now() - t0 });
          const ok = rs.filter((r) => r.passed).length;
          console.log(`${ok === rs.length ? 'PASS' : 'FAIL'} ${f}  (${ok} of ${rs.length} expectations)`);
          if (rs.length === 0) console.log('  (no expectations)');
          for (const r of rs) {
            console.log(`  ${r.passed ? 'ok  ' : 'FAIL'} ${r.title}${r.passed ? '' : `\n         got ${r.actual}  (${r.where})`}`);
            if (r.passed) passed++;
            else failed++;
          }
        } catch (e) {
          if (!(e instanceof CliError)) throw e;
          failed++;
          errors++;
          suites.push({ file: f, results: [], error: e.message, timeMs: performance.now() - t0 });
          console.log(`ERROR ${f}\n  ERROR ${e.message.replace(/\n/g, '\n        ')}`);
        }
      }
      if (o.junit) {
        const body = suites
          .map((s) => {
            const cases = s.error
              ? `    <testcase name="load" classname="${xml(s.file)}"><error message="${xml(s.error)}"/></testcase>`
              : s.results.map((r) => `    <testcase name="${xml(r.title)}" classname="${xml(s.file)}">${r.passed ? '' : `<failure message="${xml(`got ${r.actual}`)}">${xml(r.where)}</failure>`}</testcase>`).join('\n');
            const fails = s.error ? 0 : s.results.filter((r) => !r.passed).length;
            return `  <testsuite name="${xml(s.file)}" tests="${s.error ? 1 : s.results.length}" failures="${fails}" errors="${s.error ? 1 : 0}" time="${(s.timeMs / 1000).toFixed(3)}">\n${cases}\n  </testsuite>`;
          })
          .join('\n');
        writeFileSync(o.junit, `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${passed + failed}" failures="${failed - errors}" errors="${errors}">\n${body}\n</testsuites>\n`);
      }
      console.log(`${passed} passed, ${failed} failed`);
      if (failed > 0) process.exitCode = 1;
    });

  program
    .command('trace')
    .description('follow packets hop by hop through a JSON Lines trace from `run --trace`')
    .argument('<trace>', 'trace file (JSON Lines)')
    .option('--packet <id>', 'one packet (and the clones and encapsulations made from it)')
    .option('--flow <tuple>', 'packets sent in a flow whose text contains this, e.g. "udp 10.0.0.1:1234 > 10.0.0.2:53" or "10.0.0.1:1234"')
    .option('--node <node>', 'only hops at this host or host/dev')
    .option('--hook <hooks>', 'only hops at these hooks, comma-separated (e.g. xdp,tc-ingress)')
    .option('--limit <n>', 'packets to show at most', '20')
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainlab run scenarios/tc-nat.yaml --trace out.jsonl && chainlab trace out.jsonl --packet 3\n  $ chainlab trace out.jsonl --flow "udp 10.0.0.1:40000 > 10.0.0.100:80" --limit 2\n  $ chainlab trace out.jsonl --node lb/eth0 --hook tc-ingress --limit 5',
    )
    .action(async (file: string, o: { packet?: string; flow?: string; node?: string; hook?: string; limit: string }) => {
      if (o.packet !== undefined && o.flow !== undefined) throw new CliError('--packet and --flow: give one of them');
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, got '${o.limit}'`);
      let select: OperatorFunction<TraceRecord, HopRecord> = hopsOnly();
      if (o.packet !== undefined) {
        const id = Number(o.packet);
        if (!Number.isInteger(id)) throw new CliError(`--packet must be a packet id (a number), got '${o.packet}'`);
        select = byPacket(id);
      } else if (o.flow !== undefined) select = byFlow(o.flow);
      const hooks = o.hook?.split(',').map((h) => h.trim()) ?? [];
      const unknown = hooks.filter((h) => !HOOKS.includes(h as Hook));
      if (unknown.length) throw new CliError(`--hook ${unknown.join(',')}: not a hook (hooks: ${HOOKS.join(', ')})`);
      // Only the hops of the first `limit` packets are kept; the others are counted.
      const byPkt = new Map<number, HopRecord[]>();
      const more = new Set<number>();
      const sources: Record<string, string> = {};
      const records = readTrace(file).pipe(share());
      await lastValueFrom(
        merge(
          records.pipe(
            tap((r) => {
              if (r.type === 'topology') Object.assign(sources, r.sources);
            }),
            ignoreElements(),
          ),
          records.pipe(
            select,
            o.node !== undefined ? byNode(o.node) : identity,
            hooks.length ? byHook(...(hooks as Hook[])) : identity,
            tap((h) => {
              const list = byPkt.get(h.pkt);
              if (list) list.push(h);
              else if (byPkt.size < limit) byPkt.set(h.pkt, [h]);
              else more.add(h.pkt);
            }),
            ignoreElements(),
          ),
        ),
        { defaultValue: undefined },
      );
      const what = [o.packet !== undefined ? `packet ${o.packet}` : o.flow !== undefined ? `flow "${o.flow}"` : 'any packet', o.node && `at ${o.node}`, o.hook && `at hook ${o.hook}`].filter(Boolean).join(' ');
      if (byPkt.size === 0) throw new CliError(`${file}: no hops for ${what}`);
      for (const [id, hs] of byPkt) {
        console.log(`packet ${id}${hs[0].parent !== undefined ? ` (from packet ${hs[0].parent})` : ''}${hs[0].flow ? `  ${hs[0].flow}` : ''}`);
        for (const h of hs) {
          const progs = h.progs?.map((p) => `${p.prog} (${p.insns} insns${p.line ? `, ${p.line}` : ''})`).join(' → ');
          console.log(`  ${formatNs(h.t).padStart(10)}  ${`${h.host}/${h.dev ?? '-'}`.padEnd(16)} ${h.hook.padEnd(13)} ${(h.verdict ?? '').padEnd(16)}${progs ? ` ${progs}` : ''}${h.reason ? `  [${h.reason}]` : ''}${h.cpu !== undefined ? `  cpu${h.cpu}` : ''}`);
          for (const p of h.progs ?? []) if (p.line && sources[p.line]) console.log(`${' '.repeat(14)}${p.line}: ${sources[p.line]}`);
          for (const p of h.printk ?? []) console.log(`${' '.repeat(14)}printk: ${p}`);
        }
      }
      if (more.size > 0) console.log(`… ${more.size} more packets (use --packet ID or --limit N)`);
    });

  program
    .command('export')
    .description('print the shell script that builds the scenario on a real Linux box (ip netns, ip link, tc, bpftool)')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--shell', 'a bash script (the only format so far)', true)
    .addHelpText('after', '\nExamples:\n  $ chainlab export scenarios/tc-nat.yaml --shell > build.sh && sudo bash build.sh')
    .action((path: string) => {
      process.stdout.write(exportShell(load(path)));
    });
}
