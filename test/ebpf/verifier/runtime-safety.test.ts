/**
 * Defence in depth: a program chainlab's verifier accepts never makes the interpreter fault
 * on memory, whatever the packet and the map contents. Runs the accepted corpus programs that
 * BPF_PROG_TEST_RUN supports on random packets with randomly filled maps.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../../../src/ebpf/elf/spec.ts';
import { type LoadedObject, Runtime } from '../../../src/ebpf/runtime/runtime.ts';
import { testRun, TestRunError } from '../../../src/ebpf/runtime/test-run.ts';
import { verify, progTypeName, type VerifierMapDef } from '../../../src/ebpf/verifier/index.ts';
import { allCases, type CorpusCase } from '../../verifier-corpus/corpus.ts';

const RUNNABLE = new Set(['BPF_PROG_TYPE_XDP', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_PROG_TYPE_SCHED_ACT', 'BPF_PROG_TYPE_SOCKET_FILTER', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_PROG_TYPE_LWT_IN', 'BPF_PROG_TYPE_LWT_XMIT']);

function mapSpec(m: VerifierMapDef): MapSpec {
  const type = typeof m.type === 'number' ? String(m.type) : m.type;
  return {
    name: m.name,
    kernelName: m.name.slice(0, 15),
    type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags ?? 0,
    pinning: 'none',
    source: 'btf',
    innerMap: m.innerMap ? mapSpec(m.innerMap) : undefined,
  };
}

/** An object holding just this case's program (C cases: their object, other programs left out). */
function objectOf(c: CorpusCase): ObjectSpec {
  const m = /^obj (\S+) (\S+)/.exec(c.kernelInput);
  if (m) {
    const spec = loadObjectFile(m[1]);
    return { ...spec, programs: spec.programs.filter((p) => p.name === m[2]) };
  }
  const p = c.program;
  const at = new Map(p.insns.map((i) => [i.pc, i]));
  // An LD_IMM64 with BPF_PSEUDO_MAP_VALUE (src 2) loads the address of the value plus imm2.
  const ref = (pc: number, map: string | number): ProgramSpec['mapRefs'][number] => {
    const i = at.get(pc);
    const value = i?.src === 2;
    return { pc, map: String(map), kind: value ? 'value' : 'fd', offset: value ? (i?.imm2 ?? 0) : 0 };
  };
  const refs = p.mapRefs instanceof Map ? [...p.mapRefs].map(([pc, map]) => ref(pc, map)) : ((p.mapRefs ?? []) as ProgramSpec['mapRefs']);
  const maps = (p.maps ?? []).map((m) => ('kernelName' in m ? (m as unknown as MapSpec) : mapSpec(m)));
  const prog: ProgramSpec = {
    name: p.name ?? 'case',
    section: 'corpus',
    progType: progTypeName(p.progType),
    flags: 0,
    insns: p.insns.map((i) => ({ ...i })),
    mapRefs: refs,
    funcRefs: [],
    lineInfo: [],
    funcs: [{ pc: 0, name: p.name ?? 'case' }],
    coreRelos: [],
  };
  return { path: c.id, license: 'GPL', programs: [prog], maps };
}

interface Runnable {
  c: CorpusCase;
  rt: Runtime;
  obj: LoadedObject;
}

const RUNTIME_FAULTS = new Set(['memory', 'call_depth', 'bad_jump']);

describe('programs the verifier accepts run without memory faults', () => {
  const runnable: Runnable[] = [];

  beforeAll(async () => {
    for (const c of await allCases()) {
      if (c.kind === 'c' && c.id.startsWith('fixture/')) continue;
      if (!RUNNABLE.has(progTypeName(c.program.progType))) continue;
      // A lower instruction limit skips the corpus's deliberately huge programs.
      if (!verify(c.program, { nrCpus: 1, insnLimit: 20_000 }).accepted) continue;
      const rt = new Runtime({ verify: false, nCpus: 1 });
      try {
        runnable.push({ c, rt, obj: rt.load(objectOf(c)) });
      } catch {
        // Programs the runtime cannot load (unsupported helper or map) are not run.
      }
    }
  }, 120_000);

  it('has accepted programs to run', () => {
    console.log(`runtime safety: ${runnable.length} accepted corpus programs`);
    expect(runnable.length).toBeGreaterThan(200);
  });

  it('survives random packets and map contents', () => {
    let ran = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: 1 << 20 }),
        fc.uint8Array({ minLength: 14, maxLength: 160 }),
        fc.array(fc.tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 256, maxLength: 256 })), { maxLength: 4 }),
        (pick, data, fills) => {
          const { c, rt, obj } = runnable[pick % runnable.length];
          for (const map of obj.maps.values()) {
            const d = map.def;
            if (d.keySize === 0 || d.valueSize === 0 || d.valueSize > 256 || d.keySize > 64) continue;
            for (const [k, v] of fills) map.update(k.slice(0, d.keySize), v.slice(0, d.valueSize));
          }
          const prog = [...obj.programs.values()][0];
          let out;
          try {
            out = testRun(rt, prog, { dataIn: data, budget: 2_000_000 });
          } catch (e) {
            if (e instanceof TestRunError) return;
            throw e;
          }
          ran++;
          // The runtime does not model the fields of sockets it hands out, nor struct bpf_map
          // behind a map pointer (gaps of the runtime, not of the verifier): such reads are not counted.
          const unmodelled = out.error && /socket is not readable|of map '[^']*' \(offset \d+, valid size 0\)/.test(out.error.message);
          if (out.error && RUNTIME_FAULTS.has(out.error.kind) && !unmodelled) {
            throw new Error(`${c.id}: accepted by the verifier, faulted at run time: ${out.error.message}`);
          }
        },
      ),
      { numRuns: 1500, seed: 4711 },
    );
    // Most runs must reach the program (test_run refuses e.g. XDP packets under 14 bytes).
    expect(ran).toBeGreaterThan(1000);
  });
});
