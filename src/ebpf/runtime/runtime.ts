/**
 * The live side of an object: what libbpf's bpf_object__load() does after the object has been
 * parsed — create (or reuse pinned) maps, fill global data, relocate LD_IMM64 map and function
 * references with live addresses, refuse unsupported helpers, verify, hand the program to an
 * engine, then fill PROG_ARRAY and map-in-map slots. Each step wraps its errors with its name.
 */
import type { MapSpec, ObjectSpec, ProgramSpec } from '../elf/spec.ts';
import { lineAt } from '../elf/spec.ts';
import { checkHelpersSupported, kernelHelpers } from '../helpers/index.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_PSEUDO_FUNC } from '../isa/opcodes.ts';
import { type BpfMap, createMap, type MapDef, mapFromHandle } from '../maps/index.ts';
import { checkStructure, StructureError } from '../verifier/structure.ts';
import { programFromObject, verify, type VerifyResult } from '../verifier/index.ts';
import type { Engine, HelperFn, LoadedProgram, RunResult } from '../vm/engine.ts';
import { fromBig } from '../vm/int64.ts';
import { Interpreter, type LegacyPacket } from '../vm/interpreter.ts';
import { Memory, type Region } from '../vm/memory.ts';
import { Bpffs } from './bpffs.ts';
import type { ProgEnv } from './env.ts';
import { type Host, StandaloneHost } from './host.ts';

export class RuntimeError extends Error {
  constructor(
    readonly file: string,
    readonly step: string,
    readonly detail: string,
    /** 1: the program was refused (verifier, unsupported helper); 2: bad input. */
    readonly exitCode: 1 | 2 = 2,
    readonly log?: string,
  ) {
    super(`${file}: ${step}: ${detail}`);
    this.name = 'RuntimeError';
  }
}

export interface RuntimeOptions {
  nCpus?: number;
  host?: Host;
  engine?: Engine;
  bpffs?: Bpffs;
  /** Extra or replacement helpers by id (tests, the conformance harness). */
  helpers?: ReadonlyMap<number, HelperFn>;
  /** Run the verifier on every program loaded (default true), as the kernel does. */
  verify?: boolean;
  /** Runs after which the default engine compiles a program (InterpreterOptions.tierUpAfter). */
  tierUpAfter?: number;
}

/**
 * The verifier on a program of an object as libbpf hands it to the kernel: maps (with their
 * spin locks), line info and the BTF of its global functions.
 */
export function verifyProgram(spec: ObjectSpec, p: ProgramSpec, nCpus = 64): VerifyResult {
  return verify(programFromObject(spec, p), { nrCpus: nCpus });
}

/**
 * What LD_ABS/LD_IND read: the skb's buffer. tc programs see skb->data at the MAC header; socket
 * filters and cgroup programs at the network header, with the MAC header the ETH_HLEN bytes before.
 */
const legacyPacket = (env: unknown): LegacyPacket | undefined => {
  const e = env as ProgEnv | undefined;
  const pkt = e?.skb?.pkt;
  if (!pkt) return undefined;
  const l2 = e.progType === 'BPF_PROG_TYPE_SCHED_CLS' || e.progType === 'BPF_PROG_TYPE_SCHED_ACT';
  const mac = l2 ? pkt.data : pkt.data >= ETH_HLEN ? pkt.data - ETH_HLEN : -1;
  return { buf: pkt.buf, data: pkt.data, end: pkt.dataEnd, mac, net: l2 ? pkt.data + ETH_HLEN : pkt.data };
};
const ETH_HLEN = 14;

let nextProgId = 1;

/** A loaded program: its spec, the relocated image and the engine's prepared code. */
export class LiveProgram {
  readonly id = nextProgId++;
  readonly code: LoadedProgram;
  constructor(
    readonly spec: ProgramSpec,
    readonly object: LoadedObject,
    readonly insns: Insn[],
    engine: Engine,
    runtime: Runtime,
  ) {
    this.code = engine.load(
      { name: spec.name, insns, lineOf: (pc) => { const l = lineAt(spec, pc); return l && l.line ? `${l.file}:${l.line}: ${l.text.trim()}` : undefined; } },
      runtime.mem,
      runtime.helpers,
    );
  }

  get name(): string {
    return this.spec.name;
  }

  /** What PROG_ARRAY compatibility checks read. */
  get progType(): string {
    return this.spec.progType;
  }

  get expectedAttachType(): string | undefined {
    return this.spec.attachType;
  }

  run(env: ProgEnv, args: readonly bigint[], budget?: number, traceVerdict?: boolean): RunResult {
    return this.code.run({ args, env, budget, traceVerdict });
  }
}

export class LoadedObject {
  readonly maps = new Map<string, BpfMap>();
  readonly programs = new Map<string, LiveProgram>();
  constructor(readonly spec: ObjectSpec) {}

  map(name: string): BpfMap {
    const m = this.maps.get(name);
    if (!m) throw new Error(`${this.spec.path}: no map named '${name}'`);
    return m;
  }

  program(name: string): LiveProgram {
    const p = this.programs.get(name);
    if (!p) throw new Error(`${this.spec.path}: no program named '${name}'`);
    return p;
  }
}

export class Runtime {
  readonly mem = new Memory();
  readonly nCpus: number;
  readonly host: Host;
  readonly engine: Engine;
  readonly bpffs: Bpffs;
  readonly helpers: ReadonlyMap<number, HelperFn>;
  /** Addresses of bpf-to-bpf callbacks carry this region's tag in their high half. */
  readonly funcRegion: Region;
  private readonly progsByCode = new Map<LoadedProgram, LiveProgram>();
  readonly verifyPrograms: boolean;

  constructor(opts: RuntimeOptions = {}) {
    this.nCpus = opts.nCpus ?? 1;
    this.host = opts.host ?? new StandaloneHost();
    this.engine = opts.engine ?? new Interpreter({ legacyPacket, tierUpAfter: opts.tierUpAfter });
    this.bpffs = opts.bpffs ?? new Bpffs();
    this.verifyPrograms = opts.verify ?? true;
    const helpers = new Map(kernelHelpers());
    for (const [id, fn] of opts.helpers ?? []) helpers.set(id, fn);
    this.helpers = helpers;
    this.funcRegion = this.mem.add('func', 'bpf-to-bpf callbacks', new Uint8Array(0), { readable: false, writable: false });
  }

  mapOf(handle: bigint): BpfMap | undefined {
    return mapFromHandle(this.mem, handle);
  }

  /** The program behind a PROG_ARRAY slot (a LiveProgram) as the engine loaded it. */
  progOf(ref: unknown): LoadedProgram | undefined {
    return ref instanceof LiveProgram ? ref.code : undefined;
  }

  liveOf(code: LoadedProgram): LiveProgram | undefined {
    return this.progsByCode.get(code);
  }

  createMap(def: MapDef): BpfMap {
    return createMap(def, this.mem, { nCpus: this.nCpus });
  }

  /** bpf_object__load(): maps, relocations, helper check, verification, engine load, static slots. */
  load(spec: ObjectSpec): LoadedObject {
    const obj = new LoadedObject(spec);
    for (const m of spec.maps) obj.maps.set(m.name, this.step(spec.path, `create map '${m.name}'`, () => this.instantiateMap(m)));
    for (const p of spec.programs) {
      const insns = this.step(spec.path, `relocate program '${p.name}'`, () => this.relocate(p, obj));
      const bad = checkHelpersSupported(insns, p.progType);
      if (bad.length > 0) {
        const b = bad[0];
        throw new RuntimeError(spec.path, `load program '${p.name}'`, `helper ${b.name} (id ${b.id}) is not supported for ${p.progType}${b.reason ? ` (${b.reason})` : ''}`, 1);
      }
      try {
        // On the linked, not yet relocated instructions: callback LD_IMM64s still hold relative offsets.
        checkStructure(p.insns);
      } catch (e) {
        if (e instanceof StructureError) {
          const line = lineAt(p, e.pc);
          throw new RuntimeError(spec.path, `verify program '${p.name}'`, `${e.message}${line && line.line ? ` at ${line.file}:${line.line}` : ''}`, 1);
        }
        throw e;
      }
      if (this.verifyPrograms) {
        // The kernel's verdict: a program the kernel would refuse is refused here, with its log.
        const v = verifyProgram(spec, p, this.nCpus);
        if (!v.accepted) throw new RuntimeError(spec.path, `verify program '${p.name}'`, v.error?.message ?? 'refused by the verifier', 1, v.log);
      }
      const live = new LiveProgram(p, obj, insns, this.engine, this);
      this.progsByCode.set(live.code, live);
      obj.programs.set(p.name, live);
    }
    for (const m of spec.maps) {
      if (!m.initialSlots?.length) continue;
      this.step(spec.path, `initialise map '${m.name}'`, () => {
        const map = obj.map(m.name);
        for (const s of m.initialSlots ?? []) {
          const target = 'progName' in s ? obj.programs.get(s.progName) : obj.maps.get(s.mapName);
          if (!target) throw new Error(`slot ${s.index}: ${'progName' in s ? `program '${s.progName}'` : `map '${s.mapName}'`} not found`);
          const err = setSlot(map, s.index, target);
          if (err !== 0) throw new Error(`slot ${s.index}: update failed with errno ${-err}`);
        }
      });
    }
    return obj;
  }

  private step<T>(file: string, step: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RuntimeError) throw e;
      throw new RuntimeError(file, step, (e as Error).message ?? String(e));
    }
  }

  private instantiateMap(m: MapSpec): BpfMap {
    const pinPath = m.pinning === 'by_name' ? `/sys/fs/bpf/${m.name}` : undefined;
    if (pinPath) {
      const pinned = this.bpffs.get(pinPath);
      if (pinned?.kind === 'map') {
        const pm = pinned.obj as BpfMap;
        const d = pm.def;
        if (d.type !== m.type || d.keySize !== m.keySize || d.valueSize !== m.valueSize || d.maxEntries !== m.maxEntries || d.flags !== m.flags) {
          throw new Error(`pinned map at ${pinPath} does not match the definition (libbpf: "couldn't reuse pinned map")`);
        }
        return pm;
      }
    }
    const def = toMapDef(m);
    // libbpf sizes a PERF_EVENT_ARRAY without max_entries to the number of possible CPUs.
    const sized = def.type === 'BPF_MAP_TYPE_PERF_EVENT_ARRAY' && def.maxEntries === 0 ? { ...def, maxEntries: this.nCpus } : def;
    const map = this.createMap(sized);
    if (m.initial) {
      const err = map.update(new Uint8Array(4), m.initial);
      if (err !== 0) throw new Error(`initial value: update failed with errno ${-err}`);
    }
    for (const e of m.contents ?? []) {
      const err = map.update(e.key, e.value);
      if (err !== 0) throw new Error(`initial contents: update failed with errno ${-err}`);
    }
    if (m.frozen) map.freeze();
    if (pinPath) this.bpffs.pin(pinPath, { kind: 'map', obj: map });
    return map;
  }

  /** Copy the program's instructions with live map and callback addresses in their LD_IMM64s. */
  private relocate(p: ProgramSpec, obj: LoadedObject): Insn[] {
    const insns = p.insns.map((i) => ({ ...i }));
    const byPc = new Map(insns.map((i) => [i.pc, i]));
    const put = (pc: number, v: bigint): void => {
      const i = byPc.get(pc);
      if (!i || i.op.kind !== 'lddw') throw new Error(`insn ${pc} is not an LD_IMM64`);
      const [lo, hi] = fromBig(v);
      i.imm = lo;
      i.imm2 = hi;
    };
    for (const r of p.mapRefs) {
      const map = obj.maps.get(r.map);
      if (!map) throw new Error(`insn ${r.pc}: map '${r.map}' not found`);
      if (r.kind === 'fd') put(r.pc, map.handle);
      else {
        const base = map.lookupElemAddr(new Uint8Array(4), 0);
        if (base === 0n) throw new Error(`insn ${r.pc}: map '${r.map}' has no value to point into`);
        put(r.pc, base + BigInt(r.offset));
      }
    }
    for (const f of p.funcRefs) {
      if (f.kind !== 'callback') continue;
      const i = byPc.get(f.pc);
      if (!i || i.src !== BPF_PSEUDO_FUNC) throw new Error(`insn ${f.pc}: callback reference is not an LD_IMM64 of a function`);
      put(f.pc, Memory.addr(this.funcRegion, f.target));
    }
    return insns;
  }
}

function toMapDef(m: MapSpec): MapDef {
  return {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    innerMap: m.innerMap ? toMapDef(m.innerMap) : undefined,
  };
}

/** Store a program or inner map in a PROG_ARRAY / map-in-map slot. */
function setSlot(map: BpfMap, index: number, target: unknown): number {
  const m = map as unknown as { setSlot?: (i: number, t: unknown) => number; setInner?: (k: Uint8Array, t: unknown) => number };
  if (typeof m.setSlot === 'function') return m.setSlot(index, target);
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, index, true);
  if (typeof m.setInner === 'function') return m.setInner(key, target);
  throw new Error(`map type ${map.def.type} cannot be initialised with .values`);
}
