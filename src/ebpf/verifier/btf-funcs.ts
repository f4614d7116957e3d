/**
 * What BTF says about a program's functions, as the verifier needs it: which subprograms are
 * global (verified once, for any arguments matching their prototype) and how each argument is
 * typed — kernel/bpf/btf.c's btf_prepare_func_args(): integers and enums are scalars, a
 * pointer to the program type's context struct is the context, a pointer to a sized type is
 * memory of that size that may be NULL. Anything else cannot be passed.
 */
import { type Btf, type BtfType, resolveType, sizeOf } from '../btf/index.ts';

/** How a global function's argument is typed. */
export type FuncArg = { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number } | { kind: 'invalid'; why: string };

export interface FuncDesc {
  /** First slot of the function. */
  readonly pc: number;
  readonly name: string;
  /** Global linkage: verified on its own. */
  readonly global: boolean;
  readonly args?: readonly FuncArg[];
}

/** The context struct each program type's functions receive (btf_is_prog_ctx_type). */
const CTX_STRUCT: Readonly<Record<string, string>> = {
  BPF_PROG_TYPE_XDP: 'xdp_md',
  BPF_PROG_TYPE_SCHED_CLS: '__sk_buff',
  BPF_PROG_TYPE_SCHED_ACT: '__sk_buff',
  BPF_PROG_TYPE_SOCKET_FILTER: '__sk_buff',
  BPF_PROG_TYPE_CGROUP_SKB: '__sk_buff',
  BPF_PROG_TYPE_LWT_IN: '__sk_buff',
  BPF_PROG_TYPE_LWT_OUT: '__sk_buff',
  BPF_PROG_TYPE_LWT_XMIT: '__sk_buff',
  BPF_PROG_TYPE_SK_SKB: '__sk_buff',
  BPF_PROG_TYPE_SK_MSG: 'sk_msg_md',
  BPF_PROG_TYPE_FLOW_DISSECTOR: '__sk_buff',
  BPF_PROG_TYPE_CGROUP_SOCK: 'bpf_sock',
};

function argOf(btf: Btf, typeId: number, progType: string): FuncArg {
  const t: BtfType = resolveType(btf, typeId);
  if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64') return { kind: 'scalar' };
  if (t.kind !== 'PTR') return { kind: 'invalid', why: `${t.kind.toLowerCase()} argument` };
  const to = resolveType(btf, t.type);
  if ((to.kind === 'STRUCT' || to.kind === 'UNION') && to.name === CTX_STRUCT[progType]) return { kind: 'ctx' };
  if (to.kind === 'VOID' || to.kind === 'FWD' || to.kind === 'FUNC_PROTO') return { kind: 'invalid', why: `pointer to ${to.kind.toLowerCase()} has no size` };
  try {
    return { kind: 'mem', size: sizeOf(btf, t.type) };
  } catch {
    return { kind: 'invalid', why: 'pointee size cannot be determined' };
  }
}

/** The functions of a program (from ProgramSpec.funcs) described through the object's BTF. */
export function describeFuncs(btf: Btf | undefined, funcs: readonly { pc: number; name: string }[], progType: string): FuncDesc[] {
  return funcs.map((f, i) => {
    if (!btf || i === 0) return { pc: f.pc, name: f.name, global: false };
    const fn = btf.types.find((t) => t.kind === 'FUNC' && t.name === f.name);
    if (!fn || fn.kind !== 'FUNC' || fn.linkage !== 'global') return { pc: f.pc, name: f.name, global: false };
    const proto = btf.types[fn.type];
    const params = proto && proto.kind === 'FUNC_PROTO' ? proto.params : [];
    return { pc: f.pc, name: f.name, global: true, args: params.map((p) => argOf(btf, p.type, progType)) };
  });
}
