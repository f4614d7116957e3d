/**
 * The verifier corpus: small programs of both verdicts for every rule, in three kinds —
 * assembly written with the DSL (cases/*.ts), C compiled by clang (c/*.c → c/*.o, one case
 * per program), and PREVAIL's YAML cases turned into bytecode (prevail.ts). The kernel is the
 * judge of every case; `expect` only records what the author meant.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, type Insn } from '../../src/ebpf/isa/insn.ts';
import type { Program } from '../../src/ebpf/isa/dsl.ts';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import { MAP_TYPES } from '../../src/ebpf/elf/kernel-names.ts';
import { progTypeName, programFromObject, type VerifierMapDef, type VerifierProgram } from '../../src/ebpf/verifier/index.ts';
import { PROG_TYPES } from '../../src/ebpf/elf/kernel-names.ts';

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));

export type Verdict = 'accept' | 'reject';

/** A case written in assembly. */
export interface AsmCase {
  readonly name: string;
  /** The rule the case exercises (see src/ebpf/verifier/env.ts Rule), or 'ok' for plain valid programs. */
  readonly rule: string;
  readonly progType: string;
  readonly attachType?: number;
  readonly maps?: readonly VerifierMapDef[];
  readonly prog: Program | Insn[];
  readonly expect?: Verdict;
}

/** A case as both verifiers receive it. */
export interface CorpusCase {
  readonly id: string;
  readonly kind: 'asm' | 'c' | 'prevail';
  readonly rule: string;
  readonly expect?: Verdict;
  /** What chainlab's verify() takes. */
  readonly program: VerifierProgram;
  /** What the kernel loader (kload.c) takes. */
  readonly kernelInput: string;
}

const mapTypeNum = (t: string | number): number => (typeof t === 'number' ? t : MAP_TYPES.indexOf(t.startsWith('BPF_MAP_TYPE_') ? t : `BPF_MAP_TYPE_${t.toUpperCase()}`));

/** kload directives for a raw program with its maps. */
export function kernelInputFor(insns: readonly Insn[], progType: string, attachType: number, maps: readonly VerifierMapDef[], refs: ReadonlyMap<number, string | number>): string {
  const lines: string[] = [`prog_type ${PROG_TYPES.indexOf(progTypeName(progType))}`];
  if (attachType) lines.push(`attach_type ${attachType}`);
  // Inner map templates are created first; kload refers to maps by creation index.
  const index = new Map<string, number>();
  let n = 0;
  for (const m of maps) {
    let inner = '';
    if (m.innerMap) {
      const im = m.innerMap;
      lines.push(`map ${mapTypeNum(im.type)} ${im.keySize} ${im.valueSize} ${im.maxEntries} ${im.flags ?? 0}`);
      inner = ` ${n++}`;
    }
    lines.push(`map ${mapTypeNum(m.type)} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags ?? 0}${inner}`);
    index.set(m.name, n++);
  }
  lines.push(`insns ${Buffer.from(encode(insns)).toString('hex')}`);
  for (const [pc, ref] of refs) {
    const name = typeof ref === 'number' ? maps[ref].name : ref;
    lines.push(`reloc ${pc} ${index.get(name) ?? -1}`);
  }
  lines.push('load');
  return lines.join('\n') + '\n';
}

export function asmCase(file: string, c: AsmCase): CorpusCase {
  const refs: ReadonlyMap<number, string> = 'references' in c.prog ? (c.prog as Program).references : new Map();
  const insns = c.prog as Insn[];
  return {
    id: `asm/${file}/${c.name}`,
    kind: 'asm',
    rule: c.rule,
    expect: c.expect,
    program: { insns, progType: c.progType, attachType: c.attachType, maps: c.maps ?? [], mapRefs: refs, name: c.name },
    kernelInput: kernelInputFor(insns, c.progType, c.attachType ?? 0, c.maps ?? [], refs),
  };
}

/** Fixture objects that libbpf or chainlab's loader cannot open (legacy maps section, unsupported CO-RE). */
const FIXTURES_SKIPPED = new Set(['legacy_maps.o', 'core_unsupported.o']);

/** Every program of every committed object under c/ is a case; its name says its rule: `rule__what`. */
export function cCases(): CorpusCase[] {
  return [...objectCases(join(CORPUS_DIR, 'c'), 'c', () => true), ...objectCases(join(CORPUS_DIR, '..', 'fixtures'), 'fixture', (f) => !FIXTURES_SKIPPED.has(f))];
}

function objectCases(dir: string, prefix: string, keep: (file: string) => boolean): CorpusCase[] {
  const out: CorpusCase[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.o') && keep(f)).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const path = join(dir, f);
    const spec = loadObjectFile(path);
    for (const p of spec.programs) {
      const rule = prefix === 'fixture' ? 'fixture' : p.name.includes('__') ? p.name.split('__')[0] : 'ok';
      const expect: Verdict | undefined = /(^|_)bad(_|$)/.test(p.name) ? 'reject' : /(^|_)good(_|$)/.test(p.name) ? 'accept' : undefined;
      out.push({
        id: `${prefix}/${f.replace(/\.o$/, '')}/${p.name}`,
        kind: 'c',
        rule,
        expect,
        program: programFromObject(spec, p),
        kernelInput: `obj ${path} ${p.name}\n`,
      });
    }
  }
  return out;
}

/** All assembly cases, from every module under cases/. */
export async function asmCases(): Promise<CorpusCase[]> {
  const dir = join(CORPUS_DIR, 'cases');
  const out: CorpusCase[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) {
    const mod = (await import(join(dir, f))) as { cases: AsmCase[] };
    const stem = f.replace(/\.ts$/, '');
    for (const c of mod.cases) out.push(asmCase(stem, c));
  }
  return out;
}

export async function allCases(): Promise<CorpusCase[]> {
  const { prevailCases } = await import('./prevail.ts');
  const cases = [...(await asmCases()), ...cCases(), ...prevailCases()];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`duplicate corpus case id ${c.id}`);
    seen.add(c.id);
  }
  return cases;
}
