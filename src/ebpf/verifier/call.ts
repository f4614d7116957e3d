/**
 * Calls and returns, as kernel/bpf/verifier.c handles them: check_helper_call() with
 * check_func_arg() / check_reg_type() / check_mem_size_reg() per argument, reference
 * acquisition and release (acquire_reference(), release_reference()), return value typing
 * and do_refine_retval_range(), clear_all_pkt_pointers() after helpers that move packet data;
 * check_func_call() / setup_func_entry() for bpf-to-bpf calls; push_callback_call() with
 * set_loop_callback_state() / set_map_elem_callback_state() for bpf_loop and
 * bpf_for_each_map_elem; prepare_func_exit(); and check_return_code() at program exit.
 */
import type { Insn } from '../isa/insn.ts';
import type { Env } from './env.ts';
import { type ArgType, helperName, helperProto, type HelperProto, isMapInMap, MAP, mapFuncCompat } from './helpers.ts';
import { applyRawWrite, BPF_MAX_VAR_SIZ, checkHelperMem, checkPtrAlignment, checkPtrOffReg, checkRegInit, type RawMode } from './mem.ts';
import { regTypeStr } from './print.ts';
import {
  boundsSync,
  isConst,
  markKnown,
  markNotInit,
  markUnknown,
  type MapInfo,
  type RegState,
  regIsNull,
  S64_MAX,
  S64_MIN,
  cloneReg,
  copyInto,
} from './reg.ts';
import { allRegs, cloneState, curFrame, type FuncState, MAX_CALL_FRAMES, newFrame, type VState } from './state.ts';
import { tnumIsConst } from './tnum.ts';

const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

const MEM_TYPES = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'];
const SOCK_TYPES = ['sock_common', 'sock', 'tcp_sock', 'xdp_sock'];
const BTF_SOCK_TYPES = ['sock_common', 'sock', 'tcp_sock', 'xdp_sock', 'ptr_', 'trusted_ptr_'];

/** compatible_reg_types for an argument type: the names of the register types it accepts. */
function compatible(a: ArgType): string[] {
  switch (a) {
    case 'map':
      return ['map_ptr'];
    // Map keys and values have taken any readable memory (mem_types) since 6.x.
    case 'key':
    case 'value':
    case 'uninit_value':
    case 'value_or_null':
    case 'long':
    case 'int':
    case 'mem':
    case 'mem_or_null':
    case 'wmem':
    case 'wmem_or_null':
    case 'uninit_mem':
    case 'fixed_mem20':
    case 'fixed_mem40':
      return MEM_TYPES;
    case 'size':
    case 'size_or_zero':
    case 'alloc_size_or_zero':
      return ['scalar'];
    case 'ctx':
    case 'ctx_or_null':
      return ['ctx'];
    case 'sock_common':
      return SOCK_TYPES;
    case 'btf_sock_common':
    case 'btf_sock_common_or_null':
    case 'sock_release':
      return BTF_SOCK_TYPES;
    case 'ringbuf_release':
      return ['ringbuf_mem'];
    case 'func':
      return ['func'];
    case 'stack_or_null':
      return ['fp'];
    case 'const_str':
      return ['map_value'];
    case 'spin_lock':
      return ['map_value', 'ptr_'];
    default:
      return [];
  }
}

const mayBeNull = (a: ArgType): boolean => a === 'mem_or_null' || a === 'wmem_or_null' || a === 'ctx_or_null' || a === 'stack_or_null' || a === 'value_or_null' || a === 'btf_sock_common_or_null';
const isRelease = (a: ArgType): boolean => a === 'sock_release' || a === 'ringbuf_release';

/** The name the kernel uses to match a register against an argument's compatible types. */
function matchName(r: RegState): string {
  if (r.type === 'mem' && r.alloc) return 'ringbuf_mem';
  return r.type;
}

interface CallMeta {
  map?: MapInfo;
  refObjId: number;
  releaseRegno: number;
  raw?: RawMode;
  /** Size of memory returned by ringbuf_reserve. */
  memSize: number;
  subprog: number;
  /** umax of the last size argument. */
  msizeMax: bigint;
  /** The key of an array lookup when it is a known constant (get_constant_map_key). */
  constKey?: bigint;
}

/** get_constant_map_key(): the key bytes on the stack, when they are a known constant. */
function constantMapKey(env: Env, key: RegState, keySize: number): bigint | undefined {
  if (key.type !== 'fp' || !tnumIsConst(key.var)) return undefined;
  const f = env.st.frames[key.frameno];
  const stackOff = key.off + Number(BigInt.asIntN(64, key.var.value));
  const slot = -stackOff - 1;
  const spi = slot >> 3;
  const off = slot & 7;
  let zero = 0;
  for (let i = off; i >= 0 && f.stype[spi * 8 + i] === 3; i--) zero++;
  if (zero >= keySize) return 0n;
  const sp = f.spills[spi];
  if (f.stype[spi * 8 + 7] !== 1 || !sp || sp.type !== 'scalar') return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && f.stype[spi * 8 + i] === 1; i--) spill++;
  if (spill !== keySize || !tnumIsConst(sp.var)) return undefined;
  return sp.var.value;
}

/** check_reg_type() + check_func_arg_reg_off(). */
function checkRegType(env: Env, regno: number, r: RegState, a: ArgType): void {
  const types = compatible(a);
  const name = matchName(r);
  const nullOk = mayBeNull(a) && !isRelease(a);
  const ok = types.includes(name) && (!r.maybeNull || nullOk) && !(r.rdonly && (a === 'wmem' || a === 'uninit_mem' || a === 'wmem_or_null'));
  if (!ok) env.fail('helper_arg', `R${regno} type=${regTypeStr(r)} expected=${types.join(', ')}`);
  if (isRelease(a)) {
    if (r.off) env.fail('release', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    checkPtrOffReg(env, regno, r, false, 'helper_arg');
    return;
  }
  switch (r.type) {
    case 'fp':
    case 'pkt':
    case 'pkt_meta':
    case 'map_key':
    case 'map_value':
    case 'mem':
    case 'scalar':
      return;
    case 'ptr_':
      checkPtrOffReg(env, regno, r, true, 'helper_arg');
      return;
    default:
      checkPtrOffReg(env, regno, r, false, 'helper_arg');
  }
}

/** check_mem_size_reg(). */
function checkSizeArg(env: Env, regno: number, r: RegState, memArg: ArgType, zeroOk: boolean, meta: CallMeta): void {
  meta.msizeMax = r.umax;
  const write = memArg === 'uninit_mem' || memArg === 'wmem' || memArg === 'wmem_or_null';
  let raw = memArg === 'uninit_mem';
  if (!tnumIsConst(r.var)) raw = false;
  if (r.smin < 0n) env.fail('helper_arg', `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (r.umin === 0n && !zeroOk) env.fail('helper_arg', `R${regno} invalid zero-sized read: u64=[${r.umin},${r.umax}]`);
  if (r.umax >= BigInt(BPF_MAX_VAR_SIZ)) env.fail('helper_arg', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  const rw = checkHelperMem(env, regno - 1, Number(r.umax), write, zeroOk, raw);
  if (rw) meta.raw = rw;
}

/** check_func_arg(). */
function checkFuncArg(env: Env, arg: number, proto: HelperProto, meta: CallMeta): void {
  let a = proto.args[arg];
  const regno = arg + 1;
  const r = checkRegInit(env, regno);
  if (a === 'anything') return;
  if (a === 'unsupported') env.fail('unsupported', `${proto.name}#${proto.id}: argument R${regno} needs BTF-described objects chainlab does not model`);
  if ((r.type === 'pkt' || r.type === 'pkt_meta') && !proto.pktAccess) env.fail('helper_arg', 'helper access to the packet is not allowed');
  // resolve_map_arg_type(): sockmap values are sockets.
  if ((a === 'value' || a === 'uninit_value' || a === 'value_or_null') && meta.map && (meta.map.type === MAP.SOCKMAP || meta.map.type === MAP.SOCKHASH)) {
    if (a !== 'value') env.fail('helper_arg', 'invalid arg_type for sockmap/sockhash');
    a = 'btf_sock_common';
  }
  const isNull = regIsNull(r);
  if (!(isNull && mayBeNull(a))) checkRegType(env, regno, r, a);
  if (isRelease(a)) {
    if (!r.refObjId && !isNull) env.fail('release', `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (r.refObjId) {
    if (meta.refObjId) env.fail('helper_arg', `more than one arg with ref_obj_id R${regno} ${r.refObjId} ${meta.refObjId}`);
    meta.refObjId = r.refObjId;
  }
  switch (a) {
    case 'map':
      meta.map = r.map;
      break;
    case 'key':
      if (!meta.map) env.fail('helper_arg', 'invalid map_ptr to access map->key');
      checkHelperMem(env, regno, meta.map.keySize, false, false, false);
      if (meta.map.type === MAP.ARRAY || meta.map.type === MAP.PERCPU_ARRAY) meta.constKey = constantMapKey(env, r, meta.map.keySize);
      break;
    case 'value':
    case 'uninit_value':
    case 'value_or_null': {
      if (a === 'value_or_null' && isNull) break;
      if (!meta.map) env.fail('helper_arg', 'invalid map_ptr to access map->value');
      const raw = checkHelperMem(env, regno, meta.map.valueSize, a === 'uninit_value', false, a === 'uninit_value');
      if (raw) meta.raw = raw;
      break;
    }
    case 'func':
      meta.subprog = r.subprog;
      break;
    case 'size':
    case 'size_or_zero':
      checkSizeArg(env, regno, r, proto.args[arg - 1], a === 'size_or_zero', meta);
      break;
    case 'alloc_size_or_zero':
      if (!tnumIsConst(r.var)) env.fail('helper_arg', `R${regno} is not a known constant'`);
      meta.memSize = Number(r.var.value);
      break;
    case 'int':
    case 'long': {
      // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED since 6.12: strictly aligned.
      const size = a === 'int' ? 4 : 8;
      checkHelperMem(env, regno, size, true, false, false);
      checkPtrAlignment(env, r, 0, size, true);
      break;
    }
    case 'fixed_mem20':
    case 'fixed_mem40':
      checkHelperMem(env, regno, a === 'fixed_mem20' ? 20 : 40, false, false, false);
      break;
    case 'const_str':
      checkConstStr(env, regno, r);
      break;
    case 'spin_lock':
      processSpinLock(env, regno, r, proto.id === 93);
      break;
    default:
      break;
  }
}

const BPF_F_RDONLY_PROG = 1 << 7;

/** process_spin_lock(): the lock field of a map value, one lock held at a time. */
function processSpinLock(env: Env, regno: number, r: RegState, lock: boolean): void {
  if (!isConst(r)) env.fail('spin_lock', `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const map = r.map as MapInfo;
  if (!map.btf) env.fail('spin_lock', `map '${map.name}' has to have BTF in order to use bpf_spin_lock`);
  if (map.spinLockOff === undefined) env.fail('spin_lock', `map '${map.name}' has no valid bpf_spin_lock`);
  const off = Number(BigInt.asIntN(64, r.var.value)) + r.off;
  if (off !== map.spinLockOff) env.fail('spin_lock', `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${map.spinLockOff}`);
  const st = env.st;
  if (lock) {
    if (st.lock) env.fail('spin_lock', 'Locking two bpf_spin_locks are not allowed');
    st.lock = { id: r.id, map };
    return;
  }
  if (!st.lock) env.fail('spin_lock', 'bpf_spin_unlock without taking a lock');
  if (st.lock.id !== r.id || st.lock.map !== map) env.fail('spin_lock', 'bpf_spin_unlock of different lock');
  st.lock = undefined;
}

/** check_reg_const_str(): a read-only map value at a constant offset. */
function checkConstStr(env: Env, regno: number, r: RegState): void {
  const map = r.map;
  if (!map || !(map.flags & BPF_F_RDONLY_PROG)) env.fail('helper_arg', `R${regno} does not point to a readonly map'`);
  if (!isConst(r)) env.fail('helper_arg', `R${regno} is not a constant address'`);
  // The map's frozen contents are not known here: a NUL inside the value is assumed.
}

/** release_reference(): the reference ends and every copy of the pointer becomes unusable. */
export function releaseReference(env: Env, st: VState, refId: number): boolean {
  const idx = st.refs.findIndex((r) => r.id === refId);
  if (idx < 0) return false;
  st.refs.splice(idx, 1);
  for (const r of allRegs(st)) {
    if (r.refObjId === refId) markUnknown(r);
  }
  return true;
}

/** clear_all_pkt_pointers(): packet pointers are stale after the packet may have moved. */
function clearPktPointers(st: VState): void {
  for (const r of allRegs(st)) {
    if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') markUnknown(r);
  }
}

const TAIL_CALL = 12;
const LOOP = 181;
const FOR_EACH_MAP_ELEM = 164;
const GET_LOCAL_STORAGE = 81;
const GET_SMP_PROCESSOR_ID = 8;

/** check_resource_leak(): no reference may be held across `what`. */
export function checkResourceLeak(env: Env, what: string): void {
  if (env.st.refs.length === 0) return;
  const lines = env.st.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
  env.fail('unreleased_ref', ...lines, `${what} would lead to reference leak`);
}

/** The callback frame a bpf_loop / bpf_for_each_map_elem call enters. */
function callbackEntry(env: Env, helper: number, meta: CallMeta, pc: number): VState {
  const st = cloneState(env.st);
  const caller = curFrame(st);
  const sp = env.cfg.subprogs[meta.subprog];
  const callee = newFrame(st.frames.length, pc, meta.subprog);
  callee.callback = { callsite: pc, retMin: 0n, retMax: 1n };
  const r = callee.regs;
  if (helper === LOOP) {
    markUnknown(r[1]);
    copyInto(r[2], caller.regs[3]);
  } else {
    const map = meta.map as MapInfo;
    markKnown(r[1], 0n);
    r[1].type = 'map_ptr';
    r[1].map = map;
    markKnown(r[2], 0n);
    r[2].type = 'map_key';
    r[2].map = map;
    markKnown(r[3], 0n);
    r[3].type = 'map_value';
    r[3].map = map;
    copyInto(r[4], caller.regs[3]);
  }
  caller.callbackDepth = (caller.callbackDepth ?? 0) + 1;
  st.frames.push(callee);
  void sp;
  return st;
}

/** check_helper_call(). Returns the callback entry state to explore later, if any. */
export function checkHelperCall(env: Env, insn: Insn): VState | undefined {
  const id = insn.imm;
  const avail = helperProto(env.progType, id);
  if (!avail.ok) {
    if (avail.reason === 'unknown') env.fail('helper_unavailable', `invalid func unknown#${id}`);
    if (avail.reason === 'unmodelled') env.fail('unsupported', `helper ${helperName(id)}#${id} is not modelled by chainlab`);
    env.fail('helper_unavailable', `program of this type cannot use helper ${helperName(id)}#${id}`);
  }
  const proto = avail.proto;
  if (env.st.lock && id !== 94) env.fail('spin_lock', 'function calls are not allowed while holding a lock');
  if (!env.gpl && proto.gplOnly) env.fail('helper_unavailable', 'cannot call GPL-restricted function from non-GPL compatible program');
  if (proto.sleepable) env.fail('helper_unavailable', 'helper call might sleep in a non-sleepable prog');
  const meta: CallMeta = { refObjId: 0, releaseRegno: 0, memSize: 0, subprog: 0, msizeMax: 0n };
  for (let i = 0; i < proto.args.length; i++) checkFuncArg(env, i, proto, meta);
  const map0 = meta.map;
  if (map0 && map0.flags & (1 << 7) && (id === 2 || id === 3 || id === 87 || id === 88)) env.fail('readonly', 'write into map forbidden');
  if (meta.raw) applyRawWrite(env, meta.raw);
  const st = env.st;
  if (meta.releaseRegno) {
    let ok = false;
    if (meta.refObjId) ok = releaseReference(env, st, meta.refObjId);
    else if (regIsNull(env.regs[meta.releaseRegno])) ok = true;
    if (!ok) env.fail('release', `func ${proto.name}#${id} reference has not been acquired before`);
  }
  let callback: VState | undefined;
  switch (id) {
    case TAIL_CALL:
      checkResourceLeak(env, 'tail_call');
      break;
    case GET_LOCAL_STORAGE:
      if (!regIsNull(env.regs[2])) env.fail('helper_arg', "get_local_storage() doesn't support non-zero flags");
      break;
    case LOOP:
    case FOR_EACH_MAP_ELEM: {
      const f = env.frame;
      const limit = id === LOOP ? env.regs[1].umax : BigInt(meta.map?.maxEntries ?? 0);
      if (BigInt(f.callbackDepth ?? 0) < limit) callback = callbackEntry(env, id, meta, insn.pc);
      f.callbackDepth = 0;
      break;
    }
  }
  const regs = env.regs;
  for (const r of CALLER_SAVED) {
    markNotInit(regs[r]);
    env.scratchRegs |= 1 << r;
  }
  const r0 = regs[0];
  switch (proto.ret) {
    case 'int':
      markUnknown(r0);
      break;
    case 'void':
      break;
    case 'map_value':
    case 'map_value_or_null': {
      const map = meta.map as MapInfo;
      markUnknown(r0);
      markKnown(r0, 0n);
      r0.type = 'map_value';
      r0.map = map;
      r0.maybeNull = proto.ret === 'map_value_or_null';
      // An array lookup with a constant key in range cannot fail (can_elide_value_nullness).
      if (id === 1 && (map.type === MAP.ARRAY || map.type === MAP.PERCPU_ARRAY) && meta.constKey !== undefined && meta.constKey < BigInt(map.maxEntries)) r0.maybeNull = false;
      break;
    }
    case 'sock_or_null':
    case 'sock_common_or_null':
    case 'tcp_sock_or_null':
      markUnknown(r0);
      markKnown(r0, 0n);
      r0.type = proto.ret === 'sock_or_null' ? 'sock' : proto.ret === 'tcp_sock_or_null' ? 'tcp_sock' : 'sock_common';
      r0.maybeNull = true;
      break;
    case 'ringbuf_mem_or_null':
      markUnknown(r0);
      markKnown(r0, 0n);
      r0.type = 'mem';
      r0.alloc = true;
      r0.maybeNull = true;
      r0.memSize = meta.memSize;
      break;
    case 'btf_or_null':
      markUnknown(r0);
      markKnown(r0, 0n);
      r0.type = 'ptr_';
      r0.btf = proto.name.replace('bpf_skc_to_', '');
      r0.maybeNull = true;
      break;
  }
  // A value holding a spin lock is told apart from other lookups by its id.
  if (r0.maybeNull || (r0.type === 'map_value' && r0.map?.spinLockOff !== undefined)) r0.id = env.newId();
  const map = meta.map;
  if (proto.cast) {
    r0.refObjId = meta.refObjId;
  } else if (proto.acquire || (id === 1 && map && (map.type === MAP.SOCKMAP || map.type === MAP.SOCKHASH))) {
    const ref = env.newId();
    st.refs.push({ id: ref, insn: insn.pc });
    r0.id = ref;
    r0.refObjId = ref;
  }
  if (id === GET_SMP_PROCESSOR_ID) {
    const n = BigInt(env.nrCpus - 1);
    r0.umin = 0n;
    r0.umax = n;
    r0.u32min = 0n;
    r0.u32max = n;
    r0.smin = 0n;
    r0.smax = n;
    r0.s32min = 0n;
    r0.s32max = n;
    boundsSync(r0);
  }
  if (map) {
    const msg = mapFuncCompat(env.progType, map.type, id);
    if (msg) env.fail('map_compat', msg);
  }
  if (proto.changesPkt) {
    env.changesPktData = true;
    clearPktPointers(st);
  }
  return callback;
}

/** The register a lookup in a map of maps gives once null-checked (mark_ptr_not_null_reg). */
export function markPtrNotNull(r: RegState): void {
  if (r.type === 'map_value' && r.map) {
    const map = r.map;
    if (isMapInMap(map.type) && map.inner) {
      r.type = 'map_ptr';
      r.map = map.inner;
    } else if (map.type === MAP.XSKMAP) {
      r.type = 'xdp_sock';
    } else if (map.type === MAP.SOCKMAP || map.type === MAP.SOCKHASH) {
      r.type = 'sock';
    }
  }
  r.maybeNull = false;
}

/** check_func_call() + setup_func_entry(): enter a bpf-to-bpf callee. */
export function enterSubprog(env: Env, insn: Insn): number {
  const target = insn.pc + 1 + insn.imm;
  const st = env.st;
  if (st.frames.length >= MAX_CALL_FRAMES) env.fail('call_depth', `the call stack of ${st.frames.length + 1} frames is too deep`);
  const caller = curFrame(st);
  const sub = env.cfg.subprogOf[target];
  const callee = newFrame(st.frames.length, insn.pc, sub);
  for (let i = 1; i <= 5; i++) copyInto(callee.regs[i], caller.regs[i]);
  for (const r of CALLER_SAVED) markNotInit(caller.regs[r]);
  st.frames.push(callee);
  return target;
}

/** prepare_func_exit(): back to the caller (or, for a callback, to its call site). */
export function exitSubprog(env: Env): number {
  const st = env.st;
  const callee = curFrame(st);
  const r0 = callee.regs[0];
  if (r0.type === 'fp') env.fail('ptr_leak', 'cannot return stack pointer to the caller');
  const caller = st.frames[st.frames.length - 2];
  if (callee.callback) {
    if (r0.type !== 'scalar') env.fail('callback', 'R0 not a scalar value');
    const cb = callee.callback;
    if (r0.smin < cb.retMin || r0.smax > cb.retMax) env.fail('callback', invalidScalar('At callback return', 'R0', r0, cb.retMin, cb.retMax));
    st.frames.pop();
    return cb.callsite;
  }
  copyInto(caller.regs[0], r0);
  st.frames.pop();
  return callee.callsite + 1;
}

/** verbose_invalid_scalar(). */
export function invalidScalar(ctx: string, name: string, r: RegState, lo: bigint, hi: bigint): string {
  let s = `${ctx} the register ${name} has`;
  let unknown = true;
  if (r.smin > S64_MIN) {
    s += ` smin=${r.smin}`;
    unknown = false;
  }
  if (r.smax < S64_MAX) {
    s += ` smax=${r.smax}`;
    unknown = false;
  }
  if (unknown) s += ' unknown scalar value';
  return `${s} should have been in [${lo}, ${hi}]`;
}

const BPF_CGROUP_INET_EGRESS = 1;

/** check_return_code() for the main program's exit. */
export function checkReturnCode(env: Env): void {
  const r0 = checkRegInit(env, 0);
  let range: [bigint, bigint] | undefined;
  switch (env.progType) {
    case 'BPF_PROG_TYPE_CGROUP_SKB':
      range = env.attachType === BPF_CGROUP_INET_EGRESS ? [0n, 3n] : [0n, 1n];
      break;
    case 'BPF_PROG_TYPE_CGROUP_SOCK':
    case 'BPF_PROG_TYPE_SOCK_OPS':
    case 'BPF_PROG_TYPE_CGROUP_DEVICE':
    case 'BPF_PROG_TYPE_CGROUP_SYSCTL':
    case 'BPF_PROG_TYPE_CGROUP_SOCKOPT':
    case 'BPF_PROG_TYPE_SK_LOOKUP':
      range = [0n, 1n];
      break;
    default:
      return;
  }
  if (r0.type !== 'scalar') env.fail('return_range', `At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
  if (r0.smin < range[0] || r0.smax > range[1]) env.fail('return_range', invalidScalar('At program exit', 'R0', r0, range[0], range[1]));
}

export function frameOfCallback(f: FuncState): boolean {
  return f.callback !== undefined;
}

export { cloneReg };
