/**
 * The programs of a session's objects: where each is attached, and its instructions as
 * `chainlab disasm` (llvm-objdump -d -S) prints them, each line tagged with the C line it
 * belongs to, so the trace panel can show the instructions around a verdict.
 */
import { formatObjdump } from '../ebpf/isa/disasm.ts';
import { lineAt, type ProgramSpec } from '../ebpf/elf/spec.ts';
import type { Network } from '../net/network.ts';
import type { ProgramInfo, ProgramListing } from '../../web/protocol.ts';
import { ApiError } from './errors.ts';
import type { MapCatalog } from './maps.ts';

/** "host/dev hook" for every attachment of each program, by program name. */
function attachments(net: Network): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (prog: string, where: string): void => {
    out.set(prog, [...(out.get(prog) ?? []), where]);
  };
  for (const h of net.hosts.values()) {
    for (const d of h.devices.values()) {
      if (d.xdp) add(d.xdp.prog.name, `${d.id} xdp${d.xdp.mode === 'generic' ? ' (generic)' : ''}`);
      for (const f of d.tcIngress) add(f.prog.name, `${d.id} tc-ingress`);
      for (const f of d.tcEgress) add(f.prog.name, `${d.id} tc-egress`);
    }
  }
  return out;
}

export function listPrograms(catalog: MapCatalog, net: Network): ProgramInfo[] {
  const at = attachments(net);
  return [...catalog.objects].flatMap(([object, obj]) =>
    obj.spec.programs.map((p) => ({ object, name: p.name, section: p.section, type: p.progType, insns: p.insns.length, attached: at.get(p.name) ?? [] })),
  );
}

/** Lines of `llvm-objdump -d -S` for one program; `line` is "file.c:N" of the C line above each instruction. */
export function programListing(p: ProgramSpec): { text: string; line?: string }[] {
  const names = new Map(p.funcs.map((f) => [f.pc, f.name]));
  const relocs = new Map<number, string>();
  for (const r of p.mapRefs) relocs.set(r.pc, `R_BPF_64_64\t${r.map}`);
  for (const r of p.funcRefs) relocs.set(r.pc, `${r.kind === 'call' ? 'R_BPF_64_32' : 'R_BPF_64_64'}\t${r.func}`);
  const lineKey = (pc: number): string | undefined => {
    const li = lineAt(p, pc);
    return li && li.line ? `${li.file.replace(/^\.\//, '')}:${li.line}` : undefined;
  };
  let last: string | undefined;
  const text = formatObjdump(p.insns, {
    names: (pc) => names.get(pc),
    relocs: (pc) => relocs.get(pc),
    rawInsn: false,
    lines: (pc) => {
      const li = lineAt(p, pc);
      const t = li && li.line ? `${li.text.trim()}  [${lineKey(pc)}]` : undefined;
      if (t === last) return undefined;
      last = t;
      return t;
    },
  });
  // Tag each printed line with the C line in force (from the last "; … [file:line]" seen).
  let current: string | undefined;
  return text.map((t) => {
    const m = /^; .*\[([^\]]+)\]$/.exec(t);
    if (m) current = m[1];
    return current ? { text: t, line: current } : { text: t };
  });
}

export function findProgram(catalog: MapCatalog, name: string, object?: string): ProgramListing {
  const found = [...catalog.objects].flatMap(([o, obj]) => obj.spec.programs.filter((p) => p.name === name && (object === undefined || o === object)).map((p) => ({ object: o, p })));
  if (found.length === 0) throw new ApiError(404, `no program '${name}'${object ? ` in ${object}` : ''}`);
  if (found.length > 1) throw new ApiError(409, `several objects have a program '${name}' (${found.map((f) => f.object).join(', ')}): add ?object=NAME`);
  const { object: o, p } = found[0];
  return { object: o, name: p.name, section: p.section, lines: programListing(p) };
}
