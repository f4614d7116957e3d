/**
 * Reads `llvm-objdump -dr` text (the committed golden dumps) into instruction bytes,
 * labels and relocations per section, so the loader's output can be held against it.
 */
export interface DumpSection {
  /** Instruction bytes (hex, 8 or 16 bytes) by slot. */
  slots: Map<number, string>;
  /** Symbol labels (functions and LBB labels) → slot. */
  labels: Map<string, number>;
  /** Relocations by slot. */
  relocs: Map<number, { type: string; symbol: string }>;
}

export function parseObjdump(text: string): Map<string, DumpSection> {
  const out = new Map<string, DumpSection>();
  let cur: DumpSection | undefined;
  for (const line of text.split('\n')) {
    let m = /^Disassembly of section (.+):$/.exec(line);
    if (m) {
      cur = { slots: new Map(), labels: new Map(), relocs: new Map() };
      out.set(m[1], cur);
      continue;
    }
    if (!cur) continue;
    m = /^([0-9a-f]{16}) <(.+)>:$/.exec(line);
    if (m) {
      cur.labels.set(m[2], parseInt(m[1], 16) / 8);
      continue;
    }
    m = /^\s+(\d+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)/.exec(line);
    if (m) {
      cur.slots.set(Number(m[1]), m[2].replace(/ /g, ''));
      continue;
    }
    m = /^\t\t([0-9a-f]+):\s+(R_BPF_\w+)\t(.+)$/.exec(line);
    if (m) cur.relocs.set(parseInt(m[1], 16) / 8, { type: m[2], symbol: m[3] });
  }
  return out;
}
