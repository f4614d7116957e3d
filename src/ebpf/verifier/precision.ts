/**
 * Which scalars must be compared exactly when states are pruned — a static stand-in for the
 * kernel's precision tracking (kernel/bpf/verifier.c: mark_chain_precision(),
 * backtrack_insn(), and regsafe()'s "!rold->precise" shortcut).
 *
 * The kernel marks a scalar precise, back along the path, when its value decided something:
 * a predicted branch, pointer arithmetic, a helper's size or key, a checked return value.
 * States may then be pruned on imprecise scalars whatever their values. Here the same set is
 * over-approximated before exploring: a register or stack slot needs precision at an
 * instruction when its value may flow, on some path, into a conditional jump, into arithmetic
 * with a possible pointer, into a helper or function argument, or into a return value whose
 * range is checked. Everything else may differ between states without stopping pruning.
 */
import { type Insn, slots } from '../isa/insn.ts';
import type { Cfg } from './cfg.ts';

const UNKNOWN = 0x7fffffff;
const NOT_STACK = 0x7ffffffe;
const ALL = 0xffffffff;

export interface Precision {
  /** Registers (bit mask) whose values matter, per slot. */
  readonly regs: Uint16Array;
  /** Stack slots fp-8*(i+1) whose values matter, per slot: bits 0-31 and 32-63. */
  readonly slotsLo: Uint32Array;
  readonly slotsHi: Uint32Array;
}

function successorsOf(i: Insn, nslots: number): number[] {
  const next = i.pc + slots(i);
  switch (i.op.kind) {
    case 'exit':
      return [];
    case 'ja':
      return [i.pc + 1 + (i.op.is32 ? i.imm : i.off)];
    case 'jcond':
      return [next, i.pc + 1 + i.off];
    default:
      return next < nslots ? [next] : [];
  }
}

/**
 * Forward: what each register may point to on the stack, per slot — fp plus a known
 * constant, NOT_STACK (surely not a stack pointer: it never came from r10, a stack fill or an
 * argument), or UNKNOWN (maybe a stack pointer, offset unknown).
 */
function fpOffsets(cfg: Cfg): Int32Array[] {
  const n = cfg.nslots;
  const state: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(n).fill(undefined);
  const work: number[] = [];
  cfg.subprogs.forEach((sp, k) => {
    const s = new Int32Array(11).fill(NOT_STACK);
    // A function's arguments may point into its caller's stack; the main program's r1 is ctx.
    if (k > 0) for (let r = 1; r <= 5; r++) s[r] = UNKNOWN;
    s[10] = 0;
    state[sp.start] = s;
    work.push(sp.start);
  });
  while (work.length) {
    const pc = work.pop() as number;
    const i = cfg.at[pc] as Insn;
    const s = (state[pc] as Int32Array).slice();
    const o = i.op;
    switch (o.kind) {
      case 'mov':
        s[i.dst] = !o.is32 && o.srcKind ? s[i.src] : NOT_STACK;
        break;
      case 'alu': {
        const d = s[i.dst];
        if (o.is32 || (o.op !== 0x00 && o.op !== 0x10)) s[i.dst] = NOT_STACK;
        else if (!o.srcKind) s[i.dst] = d === UNKNOWN || d === NOT_STACK ? d : d + (o.op === 0x00 ? i.imm : -i.imm);
        else if (d === NOT_STACK && s[i.src] === NOT_STACK) s[i.dst] = NOT_STACK;
        else s[i.dst] = UNKNOWN;
        break;
      }
      case 'neg':
      case 'end':
      case 'movsx':
      case 'lddw':
        s[i.dst] = NOT_STACK;
        break;
      case 'ldx':
      case 'ldxsx':
        // Only a fill from the stack can bring a stack pointer back.
        s[i.dst] = s[i.src] === NOT_STACK ? NOT_STACK : UNKNOWN;
        break;
      case 'atomic':
        if (o.op & 1) s[o.name.includes('CMPXCHG') ? 0 : i.src] = s[i.dst] === NOT_STACK ? NOT_STACK : UNKNOWN;
        break;
      case 'call':
      case 'call_local':
      case 'call_kfunc':
      case 'callx':
      case 'ldabs':
      case 'ldind':
        for (let r = 0; r <= 5; r++) s[r] = NOT_STACK;
        break;
    }
    for (const t of successorsOf(i, cfg.nslots)) {
      if (cfg.subprogOf[t] !== cfg.subprogOf[pc]) continue;
      const old = state[t];
      if (!old) {
        state[t] = s.slice();
        work.push(t);
        continue;
      }
      let changed = false;
      for (let r = 0; r < 11; r++) {
        if (old[r] !== s[r] && old[r] !== UNKNOWN) {
          old[r] = UNKNOWN;
          changed = true;
        }
      }
      if (changed) work.push(t);
    }
  }
  return state.map((s) => s ?? new Int32Array(11).fill(UNKNOWN));
}

/** Stack slot index of fp+off, or -1. */
const slotOf = (off: number): number => (off < 0 && off >= -512 ? (-off - 1) >> 3 : -1);

export function computePrecision(cfg: Cfg, helperArity: (id: number) => number, returnChecked: boolean): Precision {
  const n = cfg.nslots;
  const fp = fpOffsets(cfg);
  const regs = new Uint16Array(n);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  // A store to an unknown address or an argument that may point to the stack: every slot.
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const i = cfg.at[pc];
      if (!i) continue;
      let r = 0;
      let sl = 0;
      let sh = 0;
      for (const t of successorsOf(i, n)) {
        if (cfg.subprogOf[t] !== cfg.subprogOf[pc]) continue;
        r |= regs[t];
        sl |= lo[t];
        sh |= hi[t];
      }
      const o = i.op;
      const f = fp[pc];
      const bit = (x: number): number => 1 << x;
      const has = (x: number): boolean => (r & bit(x)) !== 0;
      const slotNeeded = (k: number): boolean => (k < 32 ? (sl >>> k) & 1 : (sh >>> (k - 32)) & 1) === 1;
      const setSlot = (k: number): void => {
        if (k < 32) sl |= 1 << k;
        else sh |= 1 << (k - 32);
      };
      const clearSlot = (k: number): void => {
        if (k < 32) sl &= ~(1 << k);
        else sh &= ~(1 << (k - 32));
      };
      const anySlot = sl !== 0 || sh !== 0;
      switch (o.kind) {
        case 'mov':
        case 'movsx': {
          const need = has(i.dst);
          r &= ~bit(i.dst);
          if (need && o.srcKind) r |= bit(i.src);
          break;
        }
        case 'alu': {
          const need = has(i.dst);
          // dst op= src: both matter when the result does; a register source always may
          // move a pointer, so its value matters too.
          if (o.srcKind) r |= bit(i.src);
          if (need) r |= bit(i.dst);
          break;
        }
        case 'neg':
        case 'end':
          break;
        case 'jcond':
          r |= bit(i.dst);
          if (o.srcKind) r |= bit(i.src);
          break;
        case 'ldx':
        case 'ldxsx': {
          const need = has(i.dst);
          r &= ~bit(i.dst);
          if (need) {
            const off = f[i.src];
            if (off === NOT_STACK) {
              // Not a stack read.
            } else if (off !== UNKNOWN) {
              const a = slotOf(off + i.off);
              const b = slotOf(off + i.off + o.width - 1);
              if (a >= 0) setSlot(a);
              if (b >= 0) setSlot(b);
            } else {
              sl = ALL;
              sh = ALL;
            }
          }
          break;
        }
        case 'stx':
        case 'atomic': {
          const off = f[i.dst];
          if (off === NOT_STACK) {
            // Not a stack write.
          } else if (off !== UNKNOWN) {
            const a = slotOf(off + i.off);
            if (a >= 0 && slotNeeded(a)) {
              r |= bit(i.src);
              // A whole-slot store replaces what the slot held before: that no longer matters.
              if (o.kind === 'stx' && o.width === 8 && (off + i.off) % 8 === 0) clearSlot(a);
            }
          } else if (anySlot) {
            r |= bit(i.src);
          }
          if (o.kind === 'atomic') {
            r |= bit(i.src);
            if (o.name.includes('CMPXCHG')) r |= bit(0);
          }
          break;
        }
        case 'st': {
          const off = f[i.dst];
          if (off !== NOT_STACK && off !== UNKNOWN && o.width === 8 && (off + i.off) % 8 === 0) {
            const a = slotOf(off + i.off);
            if (a >= 0) clearSlot(a);
          }
          break;
        }
        case 'lddw':
          r &= ~bit(i.dst);
          break;
        case 'ldabs':
        case 'ldind':
          r &= ~0b111111;
          if (o.kind === 'ldind') r |= bit(i.src);
          break;
        case 'call':
        case 'call_local':
        case 'call_kfunc':
        case 'callx': {
          r &= ~0b111111;
          const nargs = o.kind === 'call' ? helperArity(i.imm) : 5;
          for (let a = 1; a <= nargs; a++) r |= bit(a);
          // An argument may point into this stack: the callee may read any slot.
          if (nargs > 0) {
            sl = ALL;
            sh = ALL;
          }
          break;
        }
        case 'exit': {
          const sub = cfg.subprogOf[pc];
          if (sub !== 0 || returnChecked) r |= bit(0);
          break;
        }
      }
      const nr = (r | regs[pc]) & 0x7ff;
      const nl = (sl | lo[pc]) >>> 0;
      const nh = (sh | hi[pc]) >>> 0;
      if (nr !== regs[pc] || nl !== lo[pc] || nh !== hi[pc]) {
        regs[pc] = nr;
        lo[pc] = nl;
        hi[pc] = nh;
        changed = true;
      }
    }
  }
  return { regs, slotsLo: lo, slotsHi: hi };
}
