/**
 * Runs the bpf_conformance suite (`*.data` files: `-- asm`, `-- raw`, `-- mem`, `-- result`,
 * `-- error`) on the reference interpreter. A case is assembled by chainlab's own assembler,
 * cross-checked against the suite's ASSEMBLED.jsonl, decoded (reserved fields refused),
 * checked structurally and run with r1 = memory, r2 = its length, as uBPF's harness does.
 *
 * In `negative/` every case must be refused somewhere (assembler, decoder, structure check,
 * run-time error) or give a result other than the one the file claims.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AsmError, assemble } from '../isa/asm.ts';
import { bytesToHex, decode, encode, hexToBytes, IsaError } from '../isa/insn.ts';
import { checkStructure, StructureError } from '../verifier/structure.ts';
import { Interpreter, type InterpreterOptions } from '../vm/interpreter.ts';
import { Memory } from '../vm/memory.ts';
import { CONFORMANCE_HELPERS } from './helpers.ts';

export interface ConformanceCase {
  file: string;
  asm?: string;
  raw?: string;
  mem: Uint8Array;
  result?: bigint;
  error?: string;
  negative: boolean;
}

export interface CaseResult {
  file: string;
  passed: boolean;
  /** What happened: "r0 = 0x3", "refused by the decoder: …", "expected 0x3, got 0x4". */
  detail: string;
}

export function parseDataFile(text: string, file: string, negative = false): ConformanceCase {
  const sections = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^--\s*(.*?)\s*$/.exec(line);
    if (m) {
      cur = [];
      sections.set(m[1], cur);
      continue;
    }
    cur?.push(line);
  }
  const body = (k: string): string | undefined => sections.get(k)?.join('\n');
  const memHex = (body('mem') ?? '').replace(/#.*$/gm, '');
  const res = body('result')?.trim();
  const err = body('error')?.trim();
  return {
    file,
    asm: body('asm'),
    raw: body('raw'),
    mem: hexToBytes(memHex),
    result: res ? BigInt.asUintN(64, BigInt(res)) : undefined,
    error: err,
    negative,
  };
}

const fmt = (v: bigint): string => '0x' + v.toString(16);

/**
 * A `-- raw` section: each line is either one 64-bit instruction as a hex number (stored little
 * endian, uBPF's form) or the instruction's bytes in order ("07 00 01 00 01 00 00 00").
 */
export function parseRaw(raw: string): Uint8Array {
  const lines = raw.split(/\r?\n/).map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '');
  const chunks = lines.map((l) => {
    if (/^0x[0-9a-f]+$/i.test(l)) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(l)), true);
      return b;
    }
    return hexToBytes(l);
  });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export interface RunOutcome {
  r0?: bigint;
  /** The stage that refused the program and its message. */
  refused?: { stage: 'assembler' | 'decoder' | 'structure' | 'runtime'; message: string };
  code?: Uint8Array;
}

/** Assemble (or take raw bytes), decode, check and run one program on the interpreter. */
export function runProgram(source: { asm?: string; code?: Uint8Array }, mem: Uint8Array, engine: InterpreterOptions = {}): RunOutcome {
  let code = source.code;
  if (!code) {
    try {
      code = encode(assemble(source.asm ?? ''));
    } catch (e) {
      if (e instanceof AsmError) return { refused: { stage: 'assembler', message: e.message } };
      throw e;
    }
  }
  let insns;
  try {
    insns = decode(code);
  } catch (e) {
    if (e instanceof IsaError) return { code, refused: { stage: 'decoder', message: e.message } };
    throw e;
  }
  try {
    checkStructure(insns, { entryRegs: [1, 2, 10] });
  } catch (e) {
    if (e instanceof StructureError) return { code, refused: { stage: 'structure', message: e.message } };
    throw e;
  }
  const memory = new Memory();
  const region = memory.add('mem', 'memory', mem);
  const prog = new Interpreter(engine).load({ name: 'conformance', insns }, memory, CONFORMANCE_HELPERS);
  const r = prog.run({ args: [Memory.addr(region, 0), BigInt(mem.length)] });
  if (r.error) return { code, refused: { stage: 'runtime', message: r.error.message } };
  return { code, r0: r.r0 };
}

interface Assembled {
  code?: string;
  skipped?: boolean;
}

function loadAssembled(dir: string): Map<string, Assembled> {
  const m = new Map<string, Assembled>();
  const p = join(dir, 'ASSEMBLED.jsonl');
  if (!existsSync(p)) return m;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { file: string } & Assembled;
    m.set(j.file, j);
  }
  return m;
}

export function runCase(c: ConformanceCase, assembled?: Assembled, engine: InterpreterOptions = {}): CaseResult {
  const hasProgram = c.asm !== undefined || c.raw !== undefined;
  const out: RunOutcome = hasProgram
    ? runProgram(c.raw !== undefined ? { code: parseRaw(c.raw) } : { asm: c.asm }, c.mem, engine)
    : { refused: { stage: 'assembler', message: 'no -- asm or -- raw section: empty program' } };
  if (out.code && assembled?.code && bytesToHex(out.code) !== assembled.code.toLowerCase()) {
    return { file: c.file, passed: false, detail: `assembled bytes ${bytesToHex(out.code)} differ from ASSEMBLED.jsonl ${assembled.code}` };
  }
  const what = out.refused ? `refused by the ${out.refused.stage}: ${out.refused.message}` : `r0 = ${fmt(out.r0 as bigint)}`;
  if (c.negative) {
    const ok = out.refused !== undefined || c.result === undefined || out.r0 !== c.result;
    return { file: c.file, passed: ok, detail: ok ? what : `negative case accepted: ${what} equals the claimed result` };
  }
  if (c.error !== undefined) {
    return { file: c.file, passed: out.refused !== undefined, detail: out.refused ? what : `expected an error (${c.error}), got ${what}` };
  }
  if (out.refused) return { file: c.file, passed: false, detail: what };
  const ok = out.r0 === c.result;
  return { file: c.file, passed: ok, detail: ok ? what : `expected ${fmt(c.result ?? 0n)}, got ${fmt(out.r0 as bigint)}` };
}

/** Every `.data` case in dir (and dir/negative), plus negative/UNUSED_FIELDS.jsonl. */
/** Every case of the suite; `engine` picks the tier (e.g. `{ tierUpAfter: 0 }`: compiled). */
export function runSuite(dir: string, engine: InterpreterOptions = {}): CaseResult[] {
  const results: CaseResult[] = [];
  const runDir = (d: string, negative: boolean): void => {
    const assembled = loadAssembled(d);
    for (const f of readdirSync(d).filter((x) => x.endsWith('.data')).sort()) {
      const name = negative ? `negative/${f}` : f;
      let c: ConformanceCase;
      try {
        c = parseDataFile(readFileSync(join(d, f), 'utf8'), name, negative);
      } catch (e) {
        results.push({ file: name, passed: false, detail: `cannot parse: ${(e as Error).message}` });
        continue;
      }
      try {
        results.push(runCase(c, assembled.get(f), engine));
      } catch (e) {
        results.push({ file: name, passed: false, detail: `harness error: ${(e as Error).message}` });
      }
    }
  };
  runDir(dir, basename(dir) === 'negative');
  const neg = join(dir, 'negative');
  if (existsSync(neg)) {
    runDir(neg, true);
    const unused = join(neg, 'UNUSED_FIELDS.jsonl');
    if (existsSync(unused)) {
      for (const line of readFileSync(unused, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const j = JSON.parse(line) as { file: string; code: string };
        const out = runProgram({ code: hexToBytes(j.code) }, new Uint8Array());
        const ok = out.refused?.stage === 'decoder';
        results.push({
          file: `negative/UNUSED_FIELDS/${j.file}`,
          passed: ok,
          detail: ok ? `refused by the decoder: ${out.refused?.message}` : `accepted a non-zero unused field (${out.refused ? out.refused.message : 'ran'})`,
        });
      }
    }
  }
  return results;
}
