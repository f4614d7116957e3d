/**
 * A program's tag, as `bpftool prog show` prints it: models kernel/bpf/core.c bpf_prog_calc_tag(),
 * which hashes the instructions as user space submitted them (subprograms appended, before the
 * verifier rewrites anything) with the map fds and map-value offsets of ld_imm64 zeroed, so the
 * same object loaded twice has the same tag. Linux 6.18 hashes with SHA-256 (the tag is the
 * digest's first 8 bytes); kernels before it used SHA-1, so their tags differ.
 */
import { createHash } from 'node:crypto';
import { encode, type Insn } from '../isa/insn.ts';
import { BPF_DW, BPF_IMM, BPF_LD, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, INSN_SIZE } from '../isa/opcodes.ts';

const BPF_LD_IMM_DW = BPF_LD | BPF_IMM | BPF_DW;

/** The kernel's tag of a linked program, 16 hex digits; `sha1` gives a pre-6.18 kernel's. */
export function progTag(insns: readonly Insn[], hash: 'sha256' | 'sha1' = 'sha256'): string {
  const raw = encode(insns);
  const dv = new DataView(raw.buffer);
  let wasLdMap = false;
  for (let o = 0; o < raw.length; o += INSN_SIZE) {
    const code = raw[o];
    const dst = raw[o + 1] & 0x0f;
    const src = raw[o + 1] >> 4;
    if (!wasLdMap && code === BPF_LD_IMM_DW && (src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE)) {
      wasLdMap = true;
      dv.setInt32(o + 4, 0, true);
    } else if (wasLdMap && code === 0 && dst === 0 && src === 0 && dv.getInt16(o + 2, true) === 0) {
      wasLdMap = false;
      dv.setInt32(o + 4, 0, true);
    } else {
      wasLdMap = false;
    }
  }
  return createHash(hash).update(raw).digest('hex').slice(0, 16);
}
