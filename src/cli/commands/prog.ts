/**
 * `chainlab prog run|show|dump`: bpftool's prog commands over an object file. `prog run` is
 * BPF_PROG_TEST_RUN (see src/ebpf/runtime/test-run.ts) and the contract the kernel comparison uses.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { lineAt, progTag, type ObjectSpec, type ProgramSpec } from '../../ebpf/elf/index.ts';
import { programFromObject, verify, type VerifyResult } from '../../ebpf/verifier/index.ts';
import { disasmInsn } from '../../ebpf/isa/disasm.ts';
import { bytesToHex, encode } from '../../ebpf/isa/insn.ts';
import { StandaloneHost } from '../../ebpf/runtime/host.ts';
import { testRun, TestRunError } from '../../ebpf/runtime/test-run.ts';
import { CliError } from '../errors.ts';
import { applyMapInit, dumpMaps, readMapInit } from '../map-json.ts';
import { readInput } from '../io.ts';
import { openObject, pickProgram } from '../object.ts';
import { loadIntoRuntime } from '../runtime.ts';

interface RunOpts {
  prog?: string;
  dataIn?: string;
  dataOut?: string;
  ctxIn?: string;
  ctxOut?: string;
  repeat: string;
  mapInit?: string;
  json?: boolean;
  cpus: string;
  seed: string;
}

const positiveInt = (v: string, what: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${what} must be an integer ≥ ${min}, got '${v}'`);
  return n;
};

export function register(program: Command): void {
  const prog = program.command('prog').description('load and run programs of a BPF object, like bpftool prog');

  prog
    .command('run')
    .description('run a program once on a packet, like `bpftool prog run` (BPF_PROG_TEST_RUN)')
    .argument('<obj>', 'BPF object (.o) built by clang')
    .option('--prog <name>', 'program (function or section name) when the object has several')
    .option('--data-in <file>', 'packet bytes to run on (XDP and skb types need at least 14)')
    .option('--data-out <file>', 'write the packet after the run')
    .option('--ctx-in <file>', 'context bytes (struct xdp_md or struct __sk_buff)')
    .option('--ctx-out <file>', 'write the context after the run')
    .option('--repeat <n>', 'run n times on the same buffer and maps', '1')
    .option('--map-init <file>', 'fill maps first: {"<map>": [{"key": "<hex>", "value": "<hex>"}]}')
    .option('--cpus <n>', 'simulated CPUs (per-CPU maps hold one value each)', '1')
    .option('--seed <n>', 'seed of bpf_get_prandom_u32', '1')
    .option('--json', 'print {"retval", "data_out", "ctx_out", "insns", "maps"}')
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainlab prog run test/fixtures/xdp_proto_count.o --data-in test/fixtures/packets/udp.bin\n' +
        '  $ chainlab prog run tc_nat.o --prog nat_ingress --data-in pkt.bin --data-out out.bin --json\n\n' +
        'Exit status: 0 when the program ran, 1 when loading or verification refused it (or it faulted), 2 for bad usage or input.',
    )
    .action((obj: string, opts: RunOpts) => {
      const repeat = positiveInt(opts.repeat, '--repeat');
      const nCpus = positiveInt(opts.cpus, '--cpus');
      const seed = positiveInt(opts.seed, '--seed', 0);
      const spec = openObject(obj);
      const p = pickProgram(spec, opts.prog);
      const dataIn = opts.dataIn ? readInput(opts.dataIn, 'packet (--data-in)') : undefined;
      const ctxIn = opts.ctxIn ? readInput(opts.ctxIn, 'context (--ctx-in)') : undefined;
      const init = opts.mapInit ? readMapInit(opts.mapInit) : undefined;
      const { rt, obj: loaded } = loadIntoRuntime(spec, { nCpus, host: new StandaloneHost(seed) });
      if (init && opts.mapInit) applyMapInit(loaded, init, opts.mapInit);
      const live = loaded.program(p.name);
      let out;
      const t0 = performance.now();
      try {
        out = testRun(rt, live, { dataIn, ctxIn, repeat });
      } catch (e) {
        if (e instanceof TestRunError) throw new CliError(`${obj}: run '${p.name}': ${e.message}`);
        throw e;
      }
      const avgNs = Math.round(((performance.now() - t0) * 1e6) / repeat);
      if (out.error) {
        const li = lineAt(p, out.error.pc);
        const insn = p.insns.find((i) => i.pc === out.error?.pc);
        throw new CliError(
          `${obj}: program '${p.name}' stopped: ${out.error.detail}\n  at insn ${out.error.pc}: ${insn ? disasmInsn(insn) : '?'}` +
            (li && li.line ? `\n  at ${li.file}:${li.line}: ${li.text.trim()}` : ''),
          1,
        );
      }
      if (opts.dataOut) writeFileSync(opts.dataOut, out.dataOut);
      if (opts.ctxOut && out.ctxOut) writeFileSync(opts.ctxOut, out.ctxOut);
      if (opts.json) {
        const j: Record<string, unknown> = { retval: out.retval, data_out: bytesToHex(out.dataOut) };
        if (out.ctxOut) j.ctx_out = bytesToHex(out.ctxOut);
        j.insns = out.insns;
        j.maps = dumpMaps(loaded);
        if (out.printk.length) j.printk = out.printk;
        console.log(JSON.stringify(j));
        return;
      }
      for (const l of out.printk) console.log(`bpf_trace_printk: ${l}`);
      // bpftool's line exactly (its do_run()); the instruction count is in --json.
      console.log(`Return value: ${out.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${avgNs}ns`);
    });

  prog
    .command('load')
    .description('verify a program as the kernel would (BPF_PROG_LOAD), printing the verifier log on refusal')
    .argument('[obj]', 'BPF object (.o) built by clang')
    .option('--prog <name>', 'program (function or section name); default: every program of the object')
    .option('--type <type>', 'program type to verify as (xdp, tc, socket, cgroup_skb, BPF_PROG_TYPE_…), overriding the section')
    .option('--log', 'print the whole log (every processed instruction, as log_level 2) even when accepted')
    .option('--batch <file>', 'one case a line: obj<TAB>prog<TAB>type; prints obj<TAB>prog<TAB>accept|reject|unsupported<TAB>reason')
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainlab prog load test/fixtures/xdp_proto_count.o\n  $ chainlab prog load bad.o --prog xdp_main\n  $ chainlab prog load --batch cases.tsv\n\n' +
        'Exit status: 0 when accepted, 1 when the verifier refused it, 2 for malformed input or a feature chainlab does not\n' +
        'support (named; no verdict). With several programs, 2 wins over 1.',
    )
    .action((obj: string | undefined, o: { prog?: string; type?: string; log?: boolean; batch?: string }) => {
      if (o.batch) {
        loadBatch(o.batch);
        return;
      }
      if (!obj) throw new CliError('give an object file, or --batch FILE');
      const spec = openObject(obj);
      const progs = o.prog ? [pickProgram(spec, o.prog)] : spec.programs;
      let refused = false;
      let unsupported = false;
      for (const p of progs) {
        const r = verifyAs(spec, p, o.type, o.log);
        if (r.accepted) {
          if (o.log) process.stdout.write(r.log);
          console.log(`${p.name}: accepted, processed ${r.processed} insns`);
        } else if (r.error?.rule === 'unsupported') {
          // No verdict: chainlab cannot tell what the kernel would say (exit 2, the feature named).
          unsupported = true;
          console.log(`${p.name}: not supported by chainlab: ${r.error.message} (at insn ${r.error.pc})`);
        } else {
          refused = true;
          console.log(`${p.name}: refused by the verifier\n${r.log.trimEnd()}`);
        }
      }
      if (unsupported) process.exitCode = 2;
      else if (refused) process.exitCode = 1;
    });

  prog
    .command('show')
    .description('list the programs of an object, like `bpftool prog show`')
    .addHelpText('after', '\nExamples:\n  $ chainlab prog show test/fixtures/tc_nat.o\n  $ chainlab prog show test/fixtures/xdp_redirect.o --json\n')
    .argument('<obj>', 'BPF object (.o)')
    .option('--json', 'JSON output')
    .action((obj: string, opts: { json?: boolean }) => {
      const spec = openObject(obj);
      const { obj: loaded } = loadIntoRuntime(spec);
      const rows = [...loaded.programs.values()].map((lp) => {
        const bytes = encode(lp.insns);
        const mapIds = [...new Set(lp.spec.mapRefs.map((r) => loaded.map(r.map).id))];
        return {
          id: lp.id,
          type: lp.progType.replace('BPF_PROG_TYPE_', '').toLowerCase(),
          name: lp.name,
          tag: progTag(lp.spec.insns),
          gpl_compatible: /GPL|Dual/.test(spec.license),
          bytes_xlated: bytes.length,
          insns: lp.insns.length,
          map_ids: mapIds,
          section: lp.spec.section,
        };
      });
      if (opts.json) {
        console.log(JSON.stringify(rows));
        return;
      }
      for (const r of rows) {
        console.log(`${r.id}: ${r.type}  name ${r.name}  tag ${r.tag}${r.gpl_compatible ? '  gpl' : ''}`);
        console.log(`\txlated ${r.bytes_xlated}B  ${r.insns} insns${r.map_ids.length ? `  map_ids ${r.map_ids.join(',')}` : ''}  section ${r.section}`);
      }
    });

  prog
    .command('dump')
    .description('dump a program\'s relocated instructions, like `bpftool prog dump xlated`')
    .addHelpText('after', '\nExamples:\n  $ chainlab prog dump test/fixtures/tc_nat.o --prog tc_dnat\n  $ chainlab prog dump test/fixtures/xdp_proto_count.o --json\n')
    .argument('<obj>', 'BPF object (.o)')
    .option('--prog <name>', 'program when the object has several')
    .option('--json', 'JSON output')
    .action((obj: string, opts: { prog?: string; json?: boolean }) => {
      const spec = openObject(obj);
      const p = pickProgram(spec, opts.prog);
      const { obj: loaded } = loadIntoRuntime(spec);
      const lp = loaded.program(p.name);
      const mapAt = new Map(p.mapRefs.map((r) => [r.pc, r]));
      const rows = lp.insns.map((i) => {
        const ref = mapAt.get(i.pc);
        const text = ref ? `r${i.dst} = map[id:${loaded.map(ref.map).id}]${ref.kind === 'value' ? `[0]+${ref.offset}` : ''}` : disasmInsn(i);
        const li = lineAt(p, i.pc);
        const opcode = i.op.code.toString(16).padStart(2, '0');
        // `disasm` and `src` are bpftool's keys (prog dump xlated -j); the rest are chainlab's.
        return { pc: i.pc, opcode, text, disasm: `(${opcode}) ${text}`, line: li && li.line ? `${li.file}:${li.line}` : undefined, src: li?.text.trim() };
      });
      if (opts.json) {
        console.log(JSON.stringify(rows));
        return;
      }
      let last: string | undefined;
      for (const r of rows) {
        if (r.src && r.src !== last) console.log(`; ${r.src} @ ${r.line}`);
        last = r.src;
        console.log(`${String(r.pc).padStart(4)}: (${r.opcode}) ${r.text}`);
      }
    });
}

/** Program types by the short names users type (bpftool's prog type names). */
const TYPE_ALIASES: Record<string, string> = {
  xdp: 'BPF_PROG_TYPE_XDP',
  tc: 'BPF_PROG_TYPE_SCHED_CLS',
  classifier: 'BPF_PROG_TYPE_SCHED_CLS',
  sched_cls: 'BPF_PROG_TYPE_SCHED_CLS',
  action: 'BPF_PROG_TYPE_SCHED_ACT',
  sched_act: 'BPF_PROG_TYPE_SCHED_ACT',
  socket: 'BPF_PROG_TYPE_SOCKET_FILTER',
  socket_filter: 'BPF_PROG_TYPE_SOCKET_FILTER',
  cgroup_skb: 'BPF_PROG_TYPE_CGROUP_SKB',
  sk_skb: 'BPF_PROG_TYPE_SK_SKB',
  sk_msg: 'BPF_PROG_TYPE_SK_MSG',
};

function progType(t: string): string {
  const v = TYPE_ALIASES[t.toLowerCase()] ?? (t.toUpperCase().startsWith('BPF_PROG_TYPE_') ? t.toUpperCase() : undefined);
  if (!v) throw new CliError(`--type ${t}: unknown program type; use one of ${Object.keys(TYPE_ALIASES).join(', ')} or a BPF_PROG_TYPE_* name`);
  return v;
}

/** The verifier on one program as libbpf would load it (see programFromObject), optionally as another type. */
function verifyAs(spec: ObjectSpec, p: ProgramSpec, type: string | undefined, logAll?: boolean): VerifyResult {
  const prog = type ? { ...p, progType: progType(type), attachType: undefined } : p;
  return verify(programFromObject(spec, prog), { logAll });
}

/** --batch: one verdict line per case, for fast bulk checks; a bad case is reported, not fatal. */
function loadBatch(file: string): void {
  const text = new TextDecoder().decode(readInput(file, 'batch file'));
  const cache = new Map<string, ObjectSpec | Error>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const [obj, name, type] = line.split('\t');
    const out = (verdict: string, reason: string): void => console.log([obj, name ?? '', verdict, reason.replace(/\s+/g, ' ')].join('\t'));
    if (!obj || !name) {
      out('unsupported', `${file}:${i + 1}: expected obj<TAB>prog<TAB>type`);
      return;
    }
    let spec = cache.get(obj);
    if (!spec) {
      try {
        spec = openObject(obj);
      } catch (e) {
        spec = e as Error;
      }
      cache.set(obj, spec);
    }
    if (spec instanceof Error) {
      out('unsupported', spec.message);
      return;
    }
    const p = spec.programs.find((x) => x.name === name || x.section === name);
    if (!p) {
      out('unsupported', `no program named '${name}'`);
      return;
    }
    try {
      const r = verifyAs(spec, p, type?.trim() || undefined);
      if (r.accepted) out('accept', `processed ${r.processed} insns`);
      else out(r.error?.rule === 'unsupported' ? 'unsupported' : 'reject', `${r.error?.message ?? 'refused'} (insn ${r.error?.pc})`);
    } catch (e) {
      out('unsupported', (e as Error).message);
    }
  });
}
