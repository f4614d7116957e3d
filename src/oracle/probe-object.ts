/**
 * A minimal BPF object, built byte by byte, so the oracle can check that the kernel loads and runs
 * programs without needing clang: one XDP program `chainlab_probe` (`r0 = XDP_PASS; exit`), a GPL
 * license, a symbol table and no BTF (libbpf accepts objects without it).
 */

export const PROBE_PROG = 'chainlab_probe';
export const PROBE_RETVAL = 2; // XDP_PASS

const EM_BPF = 247;

function strtab(names: string[]): { bytes: Uint8Array; offsets: number[] } {
  const offsets: number[] = [];
  let text = '\0';
  for (const n of names) {
    offsets.push(text.length);
    text += n + '\0';
  }
  return { bytes: new TextEncoder().encode(text), offsets };
}

export function buildProbeObject(): Uint8Array {
  const insns = new Uint8Array([0xb7, 0x00, 0, 0, PROBE_RETVAL, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const license = new TextEncoder().encode('GPL\0');
  const sym = strtab([PROBE_PROG]);
  const symtab = new Uint8Array(48); // null symbol + one global function
  const sv = new DataView(symtab.buffer);
  sv.setUint32(24, sym.offsets[0], true);
  sv.setUint8(28, 0x12); // STB_GLOBAL << 4 | STT_FUNC
  sv.setUint16(30, 1, true); // section 1: "xdp"
  sv.setBigUint64(40, BigInt(insns.length), true);
  const shstr = strtab(['xdp', 'license', '.symtab', '.strtab', '.shstrtab']);

  // [type, flags, data, link, info, align, entsize] for sections 1..5
  const sections: [number, number, Uint8Array, number, number, number, number][] = [
    [1, 0x6, insns, 0, 0, 8, 0], // PROGBITS, ALLOC|EXECINSTR
    [1, 0x3, license, 0, 0, 1, 0], // PROGBITS, ALLOC|WRITE
    [2, 0, symtab, 4, 1, 8, 24], // SYMTAB, strings in section 4, first global is symbol 1
    [3, 0, sym.bytes, 0, 0, 1, 0],
    [3, 0, shstr.bytes, 0, 0, 1, 0],
  ];
  const offsets: number[] = [];
  let off = 64;
  for (const [, , data, , , align] of sections) {
    off = Math.ceil(off / align) * align;
    offsets.push(off);
    off += data.length;
  }
  const shoff = Math.ceil(off / 8) * 8;
  const out = new Uint8Array(shoff + 64 * (sections.length + 1));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF64, little endian, version 1
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, sections.length + 1, true);
  v.setUint16(62, 5, true); // e_shstrndx
  sections.forEach(([type, flags, data, link, info, align, entsize], i) => {
    out.set(data, offsets[i]);
    const h = shoff + 64 * (i + 1);
    v.setUint32(h, shstr.offsets[i], true);
    v.setUint32(h + 4, type, true);
    v.setBigUint64(h + 8, BigInt(flags), true);
    v.setBigUint64(h + 24, BigInt(offsets[i]), true);
    v.setBigUint64(h + 32, BigInt(data.length), true);
    v.setUint32(h + 40, link, true);
    v.setUint32(h + 44, info, true);
    v.setBigUint64(h + 48, BigInt(align), true);
    v.setBigUint64(h + 56, BigInt(entsize), true);
  });
  return out;
}
