/**
 * ObjectSpec: what a BPF object file declares, as plain data (cilium/ebpf's CollectionSpec,
 * libbpf's bpf_object after bpf_object__open() and relocation, before any load). Nothing
 * here is live: making maps and programs is the runtime's job.
 *
 * Everything is JSON-serialisable except the Uint8Array fields, and loading the same bytes
 * twice gives deep-equal specs (programs by section then offset; maps as libbpf orders them).
 */
import type { Insn } from '../isa/insn.ts';
import type { Btf } from '../btf/types.ts';

export interface ObjectSpec {
  /** The path (or name) the object was loaded from; used in messages. */
  path: string;
  /** Contents of the `license` section ('' when there is none). */
  license: string;
  /** Contents of the legacy `version` section (LINUX_VERSION_CODE), when present. */
  version?: number;
  programs: ProgramSpec[];
  maps: MapSpec[];
  /** The object's BTF, when it has a `.BTF` section. */
  btf?: Btf;
}

/** A reference from an LD_IMM64 to a map: the runtime puts the map's handle in `imm`. */
export interface MapRef {
  /** Slot of the LD_IMM64 in the linked program. */
  pc: number;
  /** MapSpec name. */
  map: string;
  /** 'fd': BPF_PSEUDO_MAP_FD (imm = map). 'value': BPF_PSEUDO_MAP_VALUE (imm = map, imm2 = offset). */
  kind: 'fd' | 'value';
  /** Byte offset into the value, for 'value' (global data); 0 for 'fd'. */
  offset: number;
}

/** A bpf-to-bpf call or a callback address (BPF_PSEUDO_FUNC, e.g. for bpf_loop). */
export interface FuncRef {
  pc: number;
  /** Called or referenced function. */
  func: string;
  kind: 'call' | 'callback';
  /** Slot where the function starts in the linked program (insn.imm already points there). */
  target: number;
}

/** Source position of an instruction, from `.BTF.ext` line_info. */
export interface LineInfoEntry {
  pc: number;
  file: string;
  line: number;
  col: number;
  /** The source line text. */
  text: string;
}

/** A CO-RE relocation applied to the program (resolved against the object's own BTF). */
export interface CoreReloEntry {
  pc: number;
  /** Kernel name of the kind, e.g. 'FIELD_BYTE_OFFSET'. */
  kind: string;
  /** Accessed field, e.g. 'struct iphdr___core::daddr'. */
  field: string;
  access: string;
  value: number;
}

export interface ProgramSpec {
  /** Function symbol name. */
  name: string;
  /** ELF section, the SEC() name. */
  section: string;
  /** Kernel program type name, e.g. 'BPF_PROG_TYPE_XDP' (BPF_PROG_TYPE_UNSPEC for unknown sections). */
  progType: string;
  /** Kernel expected attach type name, e.g. 'BPF_XDP', when the section implies one. */
  attachType?: string;
  /** Section name suffix naming the attach point, e.g. 'net/netif_receive_skb'. */
  attachTarget?: string;
  /** BPF_PROG_LOAD prog_flags implied by the section (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
  flags: number;
  /**
   * Linked instructions: the program, then each subprogram it uses (transitively), once,
   * in first-use order — as libbpf's bpf_object__reloc_code() appends them. `pc` is the
   * slot index in this array's encoding. Map loads carry src BPF_PSEUDO_MAP_FD/VALUE with
   * imm 0 (see `mapRefs`); calls and callbacks have imm relative to the linked layout.
   */
  insns: Insn[];
  mapRefs: MapRef[];
  funcRefs: FuncRef[];
  /** Line info by pc, sorted (sparse: an entry holds until the next one). */
  lineInfo: LineInfoEntry[];
  /** Where each function (the program itself first, then subprograms) starts. */
  funcs: { pc: number; name: string }[];
  coreRelos: CoreReloEntry[];
}

/** A slot of a PROG_ARRAY or map-in-map filled at load time (`.values = { ... }`). */
export type InitialSlot = { index: number; progName: string } | { index: number; mapName: string };

export interface MapSpec {
  /** Symbol name; for global data the section name ('.data', '.bss', '.rodata', '.rodata.str1.1'...). */
  name: string;
  /**
   * The name libbpf gives the kernel map (16 bytes max): same as `name` except for
   * global data, e.g. 'xdp_prot.rodata' (first 8 characters of the object name + section).
   */
  kernelName: string;
  /** Kernel map type name, e.g. 'BPF_MAP_TYPE_HASH'. */
  type: string;
  keySize: number;
  valueSize: number;
  /** 0 for PERF_EVENT_ARRAY means "one per CPU", filled in when the map is created. */
  maxEntries: number;
  flags: number;
  pinning: 'none' | 'by_name';
  numaNode?: number;
  mapExtra?: number;
  /** Where the definition came from. */
  source: 'btf' | 'legacy' | 'data';
  /** Inner map template of ARRAY_OF_MAPS / HASH_OF_MAPS. */
  innerMap?: MapSpec;
  /** Initial value bytes of a global-data map (the single entry, key 0). */
  initial?: Uint8Array;
  /** Global data that the program may not write (.rodata*): frozen after initialisation. */
  frozen?: boolean;
  /** Static PROG_ARRAY / map-in-map initialisation, by index. */
  initialSlots?: InitialSlot[];
  /** Entries to insert at creation; the ELF reader never sets it (e.g. `--map-init` does). */
  contents?: { key: Uint8Array; value: Uint8Array }[];
  /** BTF type ids of key and value (value: the DATASEC for global data). */
  btfKeyType?: number;
  btfValueType?: number;
}

/** The line-info entry that covers `pc` (the last one at or before it). */
export function lineAt(prog: Pick<ProgramSpec, 'lineInfo'>, pc: number): LineInfoEntry | undefined {
  const li = prog.lineInfo;
  let lo = 0;
  let hi = li.length - 1;
  let best: LineInfoEntry | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (li[mid].pc <= pc) {
      best = li[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/** The function (program or subprogram) that `pc` belongs to. */
export function funcAt(prog: Pick<ProgramSpec, 'funcs'>, pc: number): string | undefined {
  let name: string | undefined;
  for (const f of prog.funcs) if (f.pc <= pc) name = f.name;
  return name;
}
