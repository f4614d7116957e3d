/**
 * Memory accesses, as kernel/bpf/verifier.c's check_mem_access() checks them per pointer
 * type: check_stack_read/write_{fixed,var}_off() with spill/fill tracking,
 * check_map_access(), check_mem_region_access(), check_packet_access(),
 * check_ctx_access(), check_sock_access(), check_flow_keys_access(), and the helper
 * argument paths check_helper_mem_access() / check_stack_range_initialized().
 * chainlab verifies as the kernel does for a privileged loader (CAP_BPF + CAP_PERFMON):
 * uninitialised stack may be read, pointers may be stored anywhere.
 */
import { assignScalarIdBeforeMov, clearScalarId, coerceToSize, coerceToSizeSx, isConst, markKnown, markUnknown, type RegState, regWidth, S64_MIN, s32, scalarUnknown, cloneReg, copyInto } from './reg.ts';
import { type Env } from './env.ts';
import { ctxAccess, pktAccessOf, sockCommonValid, sockValid, tcpSockValid, xdpSockValid } from './ctx-access.ts';
import { regStr, regTypeStr } from './print.ts';
import { type FuncState, growStack, MAX_BPF_STACK, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO } from './state.ts';
import { tnumAdd, tnumConst, tnumIsAligned, tnumStr } from './tnum.ts';

export const BPF_MAX_VAR_OFF = 1 << 29;
export const BPF_MAX_VAR_SIZ = 1 << 29;
/** sizeof(struct bpf_flow_keys). */
const FLOW_KEYS_SIZE = 56;
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

export function checkRegInit(env: Env, regno: number): RegState {
  const r = env.regs[regno];
  env.scratchRegs |= 1 << regno;
  if (r.type === 'not_init') env.fail('uninit_reg', `R${regno} !read_ok`);
  return r;
}

export function checkRegWrite(env: Env, regno: number): void {
  env.scratchRegs |= 1 << regno;
  if (regno === 10) env.fail('invalid_insn', 'frame pointer is read only');
}

/** The frame a stack pointer points into. */
function stackFrame(env: Env, reg: RegState): FuncState {
  return env.st.frames[reg.frameno] ?? env.frame;
}


/** check_generic_ptr_alignment() for stack accesses, the only ones strict on x86. */
function checkStackAlign(env: Env, reg: RegState, off: number, size: number): void {
  checkPtrAlignment(env, reg, off, size, true);
}

const ALIGN_DESC: Partial<Record<string, string>> = { flow_keys: 'flow keys ', map_key: 'key ', map_value: 'value ', ctx: 'context ', fp: 'stack ', sock: 'sock ', sock_common: 'sock_common ', tcp_sock: 'tcp_sock ', xdp_sock: 'xdp_sock ' };

/**
 * check_ptr_alignment(): x86 has efficient unaligned access, so only the stack is strict unless
 * the caller asks (`strict`, e.g. MEM_ALIGNED helper arguments). Packets are checked as if
 * NET_IP_ALIGN were 2, as the kernel does.
 */
export function checkPtrAlignment(env: Env, reg: RegState, off: number, size: number, strict: boolean): void {
  if (size === 1 || !(strict || reg.type === 'fp')) return;
  const varOff = isConst(reg) ? String(BigInt.asIntN(64, reg.var.value)) : tnumStr(reg.var);
  if (reg.type === 'pkt' || reg.type === 'pkt_meta') {
    if (!tnumIsAligned(tnumAdd(reg.var, tnumConst(BigInt(2 + reg.off + off))), size)) env.fail('pkt_bounds', `misaligned packet access off 2+${varOff}+${reg.off}+${off} size ${size}`);
    return;
  }
  const t = tnumAdd(reg.var, tnumConst(BigInt(reg.off + off)));
  if (!tnumIsAligned(t, size)) env.fail(reg.type === 'fp' ? 'stack_bounds' : 'invalid_mem', `misaligned ${ALIGN_DESC[reg.type] ?? ''}access off ${varOff}+${reg.off}+${off} size ${size}`);
}

/** check_stack_access_within_bounds(). */
function stackBounds(env: Env, regno: number, reg: RegState, off: number, size: number, kind: 'read' | 'write'): { min: number; max: number } {
  const extra = kind === 'read' ? ' read from' : ' write to';
  let min: number;
  let max: number;
  if (isConst(reg)) {
    min = Number(BigInt.asIntN(64, reg.var.value)) + off;
    max = min + size;
  } else {
    if (reg.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.smin <= -BigInt(BPF_MAX_VAR_OFF)) env.fail('stack_bounds', `invalid unbounded variable-offset${extra} stack R${regno}`);
    min = Number(reg.smin) + off;
    max = Number(reg.smax) + off + size;
  }
  if (min < -MAX_BPF_STACK || min > -1 || max > 0 || size < 0) {
    if (isConst(reg)) env.fail('stack_bounds', `invalid${extra} stack R${regno} off=${off} size=${size}`);
    env.fail('stack_bounds', `invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.var)} off=${off} size=${size}`);
  }
  return { min, max };
}

function markSlotsScratched(env: Env, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) env.scratchSlots.add(i >> 3);
}

/** Writing ordinary data into a slot destroys a spilled register there. */
function scrubSpill(f: FuncState, spi: number): void {
  if (f.spills[spi] === undefined && f.stype[spi * 8 + 7] !== STACK_SPILL) return;
  f.spills[spi] = undefined;
  for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] === STACK_SPILL) f.stype[spi * 8 + j] = STACK_MISC;
}

/** check_stack_write_fixed_off(). `value` is the stored register, or undefined for BPF_ST / unknown data. */
function stackWriteFixed(env: Env, f: FuncState, off: number, size: number, value: RegState | undefined, imm: number | undefined): void {
  const slot = -off - 1;
  const spi = slot >> 3;
  growStack(f, -off);
  markSlotsScratched(env, slot - size + 1, slot + 1);
  const aligned = off % 8 === 0;
  if (value && aligned && value.type === 'scalar') {
    // Scalar spill of any size: keeps bounds, linked to the register through an id if it fits.
    const fits = regWidth(value) <= size * 8;
    if (fits) assignScalarIdBeforeMov(() => env.newId(), value);
    const spilled = cloneReg(value);
    if (!fits) {
      clearScalarId(spilled);
      coerceToSize(spilled, size);
    }
    saveSpill(f, spi, spilled, size);
    return;
  }
  if (!value && imm !== undefined && aligned) {
    const r = scalarUnknown();
    markKnown(r, BigInt(imm));
    if (size < 8) coerceToSize(r, size);
    saveSpill(f, spi, r, size);
    return;
  }
  if (value && value.type !== 'scalar' && value.type !== 'not_init') {
    if (size !== 8) env.fail('invalid_mem', 'invalid size of register spill');
    if (f !== env.frame && value.type === 'fp') env.fail('invalid_mem', 'cannot spill pointers to stack into stack frame of the caller');
    saveSpill(f, spi, cloneReg(value), 8);
    return;
  }
  // Plain data: MISC, or ZERO when storing a known zero.
  const zero = (value !== undefined && value.type === 'scalar' && isConst(value) && value.var.value === 0n) || (!value && imm === 0);
  const hadSpill = f.stype[spi * 8 + 7] === STACK_SPILL;
  f.spills[spi] = undefined;
  if (hadSpill) for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] === STACK_SPILL) f.stype[spi * 8 + j] = STACK_MISC;
  for (let i = 0; i < size; i++) f.stype[slot - i] = zero ? STACK_ZERO : STACK_MISC;
}

/** save_register_state(): a spill of `size` bytes at the bottom of slot `spi`. */
function saveSpill(f: FuncState, spi: number, r: RegState, size: number): void {
  f.spills[spi] = r;
  for (let j = 7; j > 7 - size; j--) f.stype[spi * 8 + j] = STACK_SPILL;
  for (let j = 7 - size; j >= 0; j--) {
    const t = f.stype[spi * 8 + j];
    if (t !== STACK_ZERO && t !== STACK_INVALID) f.stype[spi * 8 + j] = STACK_MISC;
  }
}

/** check_stack_read_fixed_off(): the register a load of `size` bytes at `off` gives. */
function stackReadFixed(env: Env, f: FuncState, off: number, size: number, dst: RegState | undefined): void {
  growStack(f, -off);
  const slot = -off - 1;
  const spi = slot >> 3;
  markSlotsScratched(env, slot - size + 1, slot + 1);
  const spilled = f.stype[spi * 8 + 7] === STACK_SPILL ? f.spills[spi] : undefined;
  if (spilled) {
    let spillSize = 1;
    for (let j = 7; j > 0 && f.stype[spi * 8 + j - 1] === STACK_SPILL; j--) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (spilled.type !== 'scalar') {
        const line = env.sourceLine(env.pc);
        if (line) env.log.push(line);
        env.fail('invalid_mem', 'invalid size of register fill');
      }
      if (!dst) return;
      // A narrow fill of the low bytes keeps the spilled scalar.
      if (size <= spillSize && (-off) % 8 === 0) {
        copyInto(dst, spilled);
        if (regWidth(spilled) > size * 8) clearScalarId(dst);
        return;
      }
      let spillCnt = 0;
      let zeroCnt = 0;
      for (let i = 0; i < size; i++) {
        const t = f.stype[slot - i];
        if (t === STACK_SPILL) spillCnt++;
        else if (t === STACK_ZERO) zeroCnt++;
      }
      if ((spillCnt === size && isConst(spilled) && spilled.var.value === 0n) || zeroCnt === size) {
        markUnknown(dst);
        markKnown(dst, 0n);
      } else {
        markUnknown(dst);
      }
      return;
    }
    if (dst) copyInto(dst, spilled);
    return;
  }
  if (!dst) return;
  let zero = true;
  for (let i = 0; i < size; i++) if (f.stype[slot - i] !== STACK_ZERO) zero = false;
  markUnknown(dst);
  if (zero) markKnown(dst, 0n);
}

/** check_stack_write_var_off(): every byte the access may touch becomes data. */
function stackWriteVar(env: Env, f: FuncState, min: number, max: number, value: RegState | undefined, imm: number | undefined): void {
  const zero = (value !== undefined && value.type === 'scalar' && isConst(value) && value.var.value === 0n) || (!value && imm === 0);
  growStack(f, -min);
  for (let i = min; i < max; i++) {
    const slot = -i - 1;
    const spi = slot >> 3;
    env.scratchSlots.add(spi);
    scrubSpill(f, spi);
    const t = f.stype[slot];
    // A write of zero keeps zeroed bytes zero; anything else may land here.
    if (!(zero && t === STACK_ZERO)) f.stype[slot] = STACK_MISC;
  }
}

function stackReadVar(env: Env, f: FuncState, min: number, max: number, dst: RegState | undefined): void {
  let zero = true;
  for (let i = min; i < max; i++) {
    const slot = -i - 1;
    env.scratchSlots.add(slot >> 3);
    if (f.stype[slot] !== STACK_ZERO) zero = false;
  }
  if (!dst) return;
  markUnknown(dst);
  if (zero) markKnown(dst, 0n);
}

/** __check_mem_access(): the message for an access outside [0, memSize). */
function memAccessError(env: Env, regno: number, reg: RegState, off: number, size: number, memSize: number): string {
  switch (reg.type) {
    case 'map_key':
      return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case 'map_value':
      return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'pkt':
    case 'pkt_meta':
    case 'pkt_end':
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default:
      return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

const accessOk = (off: number, size: number, memSize: number, zeroOk: boolean): boolean => off >= 0 && (size > 0 || (size === 0 && zeroOk)) && off + size <= memSize;

/** check_mem_region_access(): the variable part's whole range must fit. */
export function checkMemRegion(env: Env, regno: number, reg: RegState, off: number, size: number, memSize: number, zeroOk: boolean, rule: 'map_bounds' | 'mem_bounds'): void {
  if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt(off) + reg.smin !== s32(BigInt(off) + reg.smin) || reg.smin + BigInt(off) < 0n)) {
    env.fail(rule, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const lo = Number(reg.smin) + off;
  if (!accessOk(lo, size, memSize, zeroOk)) env.fail(rule, memAccessError(env, regno, reg, lo, size, memSize), `R${regno} min value is outside of the allowed memory range`);
  if (reg.umax >= BigInt(BPF_MAX_VAR_OFF)) env.fail(rule, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  const hi = Number(reg.umax) + off;
  if (!accessOk(hi, size, memSize, zeroOk)) env.fail(rule, memAccessError(env, regno, reg, hi, size, memSize), `R${regno} max value is outside of the allowed memory range`);
}

/** check_packet_access(): the fixed offset must fall inside the proven range. */
export function checkPacket(env: Env, regno: number, reg: RegState, off: number, size: number, zeroOk: boolean): void {
  if (reg.smin < 0n) env.fail('pkt_bounds', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0 || !accessOk(off, size, reg.range, zeroOk)) {
    const first = reg.range < 0 ? [] : [memAccessError(env, regno, reg, off, size, reg.range)];
    env.fail('pkt_bounds', ...first, `R${regno} offset is outside of the packet`);
  }
}

/** check_map_access(): a value's bpf_spin_lock is not for loads and stores. */
function checkLockField(env: Env, reg: RegState, off: number, size: number): void {
  const p = reg.map?.spinLockOff;
  if (p === undefined) return;
  if (reg.smin + BigInt(off) < BigInt(p + 4) && BigInt(p) < reg.umax + BigInt(off + size)) env.fail('spin_lock', 'bpf_spin_lock cannot be accessed directly by load/store');
}

/** check_map_access_type(): BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG maps. */
function checkMapAccessType(env: Env, reg: RegState, off: number, size: number, write: boolean): void {
  const map = reg.map;
  if (!map) return;
  const vs = map.valueSize;
  if (write && map.flags & BPF_F_RDONLY_PROG) env.fail('readonly', `write into map forbidden, value_size=${vs} off=${off} size=${size}`);
  if (!write && map.flags & BPF_F_WRONLY_PROG) env.fail('readonly', `read from map forbidden, value_size=${vs} off=${off} size=${size}`);
}

/** __check_ptr_off_reg(): pointers that must be used unmodified. */
export function checkPtrOffReg(env: Env, regno: number, reg: RegState, fixedOk: boolean, rule: 'ctx_access' | 'helper_arg' | 'sock_access' = 'ctx_access'): void {
  const t = regTypeStr(reg);
  if (reg.off < 0) env.fail(rule, `negative offset ${t} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOk && reg.off) env.fail(rule, `dereference of modified ${t} ptr R${regno} off=${reg.off} disallowed`);
  if (!isConst(reg) || reg.var.value !== 0n) env.fail(rule, `variable ${t} access var_off=${tnumStr(reg.var)} disallowed`);
}

export interface MemAccessOpts {
  /** Sign-extending load (LDX_MEMSX). */
  sx?: boolean;
  /** BPF_ST immediate stored (no value register). */
  imm?: number;
  /** The access is part of an atomic operation. */
  atomic?: boolean;
}

/**
 * check_mem_access(): an access of `size` bytes at `regs[regno] + off`. A read fills
 * `regs[valueRegno]` (when >= 0); a write stores `regs[valueRegno]` or `opts.imm`.
 */
export function checkMemAccess(env: Env, regno: number, off: number, size: number, write: boolean, valueRegno: number, opts: MemAccessOpts = {}): void {
  const regs = env.regs;
  const reg = regs[regno];
  const dst = !write && valueRegno >= 0 ? regs[valueRegno] : undefined;
  const value = write && valueRegno >= 0 ? regs[valueRegno] : undefined;
  if (reg.type === 'fp') checkStackAlign(env, reg, off, size);
  off += reg.off;
  if (reg.maybeNull) env.fail('map_value_null', `R${regno} invalid mem access '${regTypeStr(reg)}'`);
  switch (reg.type) {
    case 'map_value': {
      checkMapAccessType(env, reg, off, size, write);
      checkMemRegion(env, regno, reg, off, size, reg.map?.valueSize ?? 0, false, 'map_bounds');
      checkLockField(env, reg, off, size);
      if (dst) {
        const frozen = reg.map?.frozen;
        if (frozen && isConst(reg)) {
          // bpf_map_direct_read(): a frozen read-only map's bytes are known.
          const at = off + Number(reg.var.value);
          let v = 0n;
          for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(frozen[at + i] ?? 0);
          if (opts.sx) v = BigInt.asIntN(size * 8, v);
          markUnknown(dst);
          markKnown(dst, v);
        } else {
          markUnknown(dst);
        }
      }
      break;
    }
    case 'map_key': {
      if (write) env.fail('readonly', `write to change key R${regno} not allowed`);
      checkMemRegion(env, regno, reg, off, size, reg.map?.keySize ?? 0, false, 'map_bounds');
      if (dst) markUnknown(dst);
      break;
    }
    case 'mem': {
      if (write && reg.rdonly) env.fail('readonly', `R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, regno, reg, off, size, reg.memSize, false, 'mem_bounds');
      if (dst) markUnknown(dst);
      break;
    }
    case 'ctx': {
      checkPtrOffReg(env, regno, reg, false);
      const acc0 = ctxAccess(env.progType, env.attachType, off, size, write);
      // A sign-extending load of a field the kernel rewrites into a pointer is refused.
      const acc = acc0 && opts.sx && acc0.type !== 'scalar' ? undefined : acc0;
      if (!acc) env.fail('ctx_access', `invalid bpf_context access off=${off} size=${size}`);
      if (dst) {
        markUnknown(dst);
        if (acc.type !== 'scalar') {
          markKnown(dst, 0n);
          dst.type = acc.type;
          dst.maybeNull = acc.maybeNull ?? false;
          if (acc.maybeNull) dst.id = env.newId();
        }
      }
      break;
    }
    case 'fp': {
      const f = stackFrame(env, reg);
      const { min, max } = stackBounds(env, regno, reg, off, size, write ? 'write' : 'read');
      if (isConst(reg)) {
        if (write) stackWriteFixed(env, f, min, size, value, opts.imm);
        else stackReadFixed(env, f, min, size, dst);
      } else {
        growStack(f, -min);
        if (write) stackWriteVar(env, f, min, max, value, opts.imm);
        else stackReadVar(env, f, min, max, dst);
      }
      break;
    }
    case 'pkt':
    case 'pkt_meta': {
      if (write && pktAccessOf(env.progType) !== 'rw') env.fail('pkt_bounds', 'cannot write into packet');
      checkPacket(env, regno, reg, off, size, false);
      if (dst) markUnknown(dst);
      break;
    }
    case 'flow_keys': {
      if (off < 0 || size < 0 || off + size > FLOW_KEYS_SIZE) env.fail('ctx_access', `invalid access to flow keys off=${off} size=${size}`);
      if (dst) markUnknown(dst);
      break;
    }
    case 'sock':
    case 'sock_common':
    case 'tcp_sock':
    case 'xdp_sock': {
      if (write) env.fail('sock_access', `R${regno} cannot write into ${regTypeStr(reg)}`);
      if (reg.smin < 0n) env.fail('sock_access', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      checkPtrOffReg(env, regno, reg, false, 'sock_access');
      const ok =
        reg.type === 'sock' ? sockValid(off, size) : reg.type === 'sock_common' ? sockCommonValid(off, size) : reg.type === 'tcp_sock' ? tcpSockValid(off, size) : xdpSockValid(off, size);
      if (!ok) env.fail('sock_access', `R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
      if (dst) markUnknown(dst);
      break;
    }
    case 'map_ptr': {
      // struct bpf_map fields, read through BTF (check_ptr_to_map_access).
      if (write) env.fail('invalid_mem', 'only read from bpf_map is supported');
      if (off < 0 || off + size > 256) env.fail('invalid_mem', `access beyond struct bpf_map at off ${off} size ${size}`);
      if (dst) markUnknown(dst);
      break;
    }
    case 'ptr_': {
      // Kernel objects reached through BTF: reads go through fault-tolerant probes.
      if (write) env.fail('invalid_mem', `only read is supported`);
      if (off < 0) env.fail('invalid_mem', `R${regno} is ptr_${reg.btf ?? ''} invalid negative access: off=${off}`);
      if (dst) markUnknown(dst);
      break;
    }
    case 'not_init':
      env.fail('uninit_reg', `R${regno} !read_ok`);
      break;
    default:
      env.fail('invalid_mem', `R${regno} invalid mem access '${regTypeStr(reg)}'`);
  }
  if (dst && dst.type === 'scalar' && size < 8) {
    if (opts.sx) coerceToSizeSx(dst, size);
    else coerceToSize(dst, size);
  }
}

/** What check_helper_call() remembers about memory arguments (struct bpf_call_arg_meta). */
export interface RawMode {
  regno: number;
  size: number;
}

/**
 * check_helper_mem_access(): `size` bytes at the pointer in `regno` for a helper that reads
 * (or, `write`, fills) them. Returns a raw-mode write to apply after all arguments are checked.
 */
export function checkHelperMem(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, raw: boolean): RawMode | undefined {
  const reg = env.regs[regno];
  switch (reg.type) {
    case 'pkt':
    case 'pkt_meta':
      checkPacket(env, regno, reg, reg.off, size, zeroOk);
      return undefined;
    case 'map_key':
      if (write) env.fail('helper_arg', `R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, regno, reg, reg.off, size, reg.map?.keySize ?? 0, false, 'map_bounds');
      return undefined;
    case 'map_value':
      checkMapAccessType(env, reg, reg.off, size, write);
      checkMemRegion(env, regno, reg, reg.off, size, reg.map?.valueSize ?? 0, zeroOk, 'map_bounds');
      checkLockField(env, reg, reg.off, size);
      return undefined;
    case 'mem':
      if (reg.rdonly && write) env.fail('helper_arg', `R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, regno, reg, reg.off, size, reg.memSize, zeroOk, 'mem_bounds');
      return undefined;
    case 'fp':
      return checkStackRange(env, regno, reg, reg.off, size, zeroOk, write, raw);
    case 'ptr_':
      return undefined;
    default:
      if (zeroOk && size === 0 && reg.type === 'scalar' && isConst(reg) && reg.var.value === 0n) return undefined;
      env.fail('helper_arg', `R${regno} type=${regTypeStr(reg)} expected=fp`);
  }
}

/** check_stack_range_initialized() for a privileged loader: any byte may be read. */
function checkStackRange(env: Env, regno: number, reg: RegState, off: number, size: number, zeroOk: boolean, write: boolean, raw: boolean): RawMode | undefined {
  if (size === 0 && !zeroOk) env.fail('helper_arg', 'invalid zero-sized read');
  const f = stackFrame(env, reg);
  // Since 6.13 helper accesses are BPF_READ or BPF_WRITE (MEM_WRITE, uninit memory), no longer "indirect access".
  const { min } = stackBounds(env, regno, reg, off, size, write || raw ? 'write' : 'read');
  let lo: number;
  let hi: number;
  if (isConst(reg)) {
    lo = hi = min;
  } else {
    raw = false;
    lo = Number(reg.smin) + off;
    hi = Number(reg.smax) + off;
  }
  growStack(f, -lo);
  if (raw) return { regno, size };
  for (let i = lo; i < hi + size; i++) {
    const slot = -i - 1;
    const spi = slot >> 3;
    // Reads leave the slot unscratched: the kernel's log shows no stack after a lookup.
    if (!write) continue;
    env.scratchSlots.add(spi);
    // A helper that writes may leave anything behind.
    if (f.stype[slot] === STACK_SPILL) {
      const sp = f.spills[spi];
      if (sp) markUnknown(sp);
      for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] === STACK_SPILL) f.stype[spi * 8 + j] = STACK_MISC;
      f.spills[spi] = undefined;
    } else if (f.stype[slot] === STACK_ZERO || f.stype[slot] === STACK_INVALID) {
      f.stype[slot] = STACK_MISC;
    }
  }
  return undefined;
}

/** The helper's raw-mode write: every byte becomes data (check_helper_call's byte loop). */
export function applyRawWrite(env: Env, raw: RawMode): void {
  const reg = env.regs[raw.regno];
  const f = stackFrame(env, reg);
  const start = Number(BigInt.asIntN(64, reg.var.value)) + reg.off;
  growStack(f, -start);
  for (let i = 0; i < raw.size; i++) {
    const slot = -(start + i) - 1;
    const spi = slot >> 3;
    env.scratchSlots.add(spi);
    scrubSpill(f, spi);
    f.stype[slot] = STACK_MISC;
  }
}

export { regStr };
export const STACK_TYPES = { STACK_INVALID, STACK_SPILL, STACK_MISC, STACK_ZERO };
