/**
 * The kernel helper table: every helper chainlab implements, by its kernel id
 * (include/uapi/linux/bpf.h), with the kernel's semantics and return codes; which helpers each
 * program type may call; and the load-time check that refuses a program calling a helper that
 * chainlab lacks or that its type may not call, naming the helper and its id.
 *
 * One file per family; each file's header names the kernel functions it models. Helpers reach
 * the run through HelperContext.env (a ProgEnv), program memory only through the checked memory
 * model, time and randomness only through the Host.
 *
 * Deliberately absent (a program calling them is refused at load): the skc_to_* casts, the
 * syncookie helpers, local/sk/task storage, timers, dynptrs, kptrs, stack traces,
 * bpf_skb_under_cgroup (no CGROUP_ARRAY map), user-memory probes, msg_push/pop_data, and every
 * helper of program types chainlab does not run.
 */
import type { Insn } from '../isa/insn.ts';
import type { HelperFn, HelperTable } from '../vm/engine.ts';
import { CHECKSUM_HELPERS } from './checksum.ts';
import { ECN_HELPERS } from './ecn.ts';
import { EVENT_HELPERS } from './events.ts';
import { FIB_HELPERS } from './fib.ts';
import { HASH_HELPERS } from './hash.ts';
import { helperName } from './ids.ts';
import { LOCK_HELPERS } from './lock.ts';
import { LOOP_HELPERS } from './loop.ts';
import { MAP_HELPERS } from './map.ts';
import { MTU_HELPERS } from './mtu.ts';
import { PRINTK_HELPERS } from './printk.ts';
import { PROBE_HELPERS } from './probe.ts';
import { GPL_ONLY_HELPERS, HELPERS_BY_PROG_TYPE } from './prog-types.ts';
import { REDIRECT_HELPERS } from './redirect.ts';
import { SKB_HELPERS } from './skb.ts';
import { SKB_META_HELPERS } from './skb-meta.ts';
import { SK_LOOKUP_HELPERS } from './sk-lookup.ts';
import { SOCK_HELPERS } from './sock.ts';
import { STRING_HELPERS } from './strings.ts';
import { TAIL_CALL_HELPERS } from './tail-call.ts';
import { TIME_HELPERS } from './time.ts';
import { TUNNEL_HELPERS } from './tunnel.ts';
import { XDP_HELPERS } from './xdp.ts';

export { HELPER_NAMES, helperId, helperName } from './ids.ts';
export { GPL_ONLY_HELPERS, HELPERS_BY_PROG_TYPE } from './prog-types.ts';
export { HelperError } from './context.ts';
export { MAX_TAIL_CALL_CNT, resetTailCallCount, tailCallCount } from './tail-call.ts';
export { BPF_MAX_LOOPS } from './loop.ts';
export { bprintf, MAX_BPRINTF_BUF } from './printk.ts';
export { resetSkbState, skbState, setSkbState, type SkbState } from './skb-state.ts';
export { flowHash, jhash2 } from './hash.ts';
export { DEFAULT_TASK, type SimTask } from './time.ts';
export type { SkMsg } from './sock.ts';
export * as csum from './csum.ts';

const FAMILIES: readonly ReadonlyMap<number, HelperFn>[] = [
  MAP_HELPERS,
  TAIL_CALL_HELPERS,
  TIME_HELPERS,
  PRINTK_HELPERS,
  REDIRECT_HELPERS,
  XDP_HELPERS,
  SKB_HELPERS,
  CHECKSUM_HELPERS,
  HASH_HELPERS,
  FIB_HELPERS,
  EVENT_HELPERS,
  SOCK_HELPERS,
  LOOP_HELPERS,
  LOCK_HELPERS,
  PROBE_HELPERS,
  STRING_HELPERS,
  ECN_HELPERS,
  MTU_HELPERS,
  SKB_META_HELPERS,
  TUNNEL_HELPERS,
  SK_LOOKUP_HELPERS,
];

/** Every kernel helper chainlab implements, by id. A fresh map each call: callers may add their own. */
export function kernelHelpers(): Map<number, HelperFn> {
  const table = new Map<number, HelperFn>();
  for (const family of FAMILIES) {
    for (const [id, fn] of family) {
      if (table.has(id)) throw new Error(`helper ${id} (${helperName(id)}) is defined twice`);
      table.set(id, fn);
    }
  }
  return table;
}

/** Ids of the helpers chainlab implements. */
export const IMPLEMENTED_HELPERS: ReadonlySet<number> = new Set(kernelHelpers().keys());

/** A helper call a program may not make here. */
export interface UnsupportedHelper {
  readonly id: number;
  readonly name: string;
  /** Slot pc of the first call. */
  readonly pc: number;
  /**
   * 'not-allowed': the kernel refuses it for this program type; 'gpl-only': the program's license
   * is not GPL-compatible; 'not-implemented': chainlab lacks it.
   */
  readonly reason: 'not-allowed' | 'gpl-only' | 'not-implemented';
  /** One line for a load error: "program type BPF_PROG_TYPE_XDP may not call bpf_skb_store_bytes (helper 9)". */
  readonly message: string;
}

export interface CheckOptions {
  /** The table to check against (default: kernelHelpers()). */
  readonly helpers?: HelperTable;
  /** Whether the program's license is GPL-compatible; unset skips the gpl_only check. */
  readonly gplCompatible?: boolean;
}

/**
 * The helper calls of a program that chainlab must refuse at load: helpers the program type may
 * not call (the verifier's "unknown func bpf_x#N"), GPL-only helpers called from a program whose
 * license is not GPL-compatible, then helpers chainlab does not implement. One entry per helper
 * id, in the order of first call. A program type without a list (an unknown type) is checked
 * only against the implemented helpers.
 */
export function checkHelpersSupported(insns: readonly Insn[], progType: string, opts: CheckOptions = {}): UnsupportedHelper[] {
  const helpers = opts.helpers ?? kernelTable();
  const allowed = HELPERS_BY_PROG_TYPE[progType] as ReadonlySet<number> | undefined;
  const seen = new Set<number>();
  const out: UnsupportedHelper[] = [];
  for (const insn of insns) {
    if (insn.op.kind !== 'call') continue;
    const id = insn.imm;
    if (seen.has(id)) continue;
    seen.add(id);
    const name = helperName(id);
    if (allowed !== undefined && !allowed.has(id)) {
      out.push({ id, name, pc: insn.pc, reason: 'not-allowed', message: `program type ${progType} may not call ${name} (helper ${id})` });
    } else if (opts.gplCompatible === false && GPL_ONLY_HELPERS.has(id)) {
      out.push({ id, name, pc: insn.pc, reason: 'gpl-only', message: `cannot call GPL-restricted function ${name} (helper ${id}) from a program whose license is not GPL-compatible` });
    } else if (!helpers.has(id)) {
      out.push({ id, name, pc: insn.pc, reason: 'not-implemented', message: `chainlab does not implement ${name} (helper ${id})` });
    }
  }
  return out;
}

let shared: HelperTable | undefined;
/** One shared, read-only table for checks. */
function kernelTable(): HelperTable {
  return (shared ??= kernelHelpers());
}
