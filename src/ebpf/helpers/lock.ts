/**
 * bpf_spin_lock / bpf_spin_unlock, kernel/bpf/helpers.c. One simulated CPU runs one program at
 * a time, so a lock is never contended: locking writes the lock word as an uncontended qspinlock
 * does (1), unlocking clears it. What is checked is what the verifier guarantees in the kernel:
 * the lock is a 4-byte word inside a map value (struct bpf_spin_lock), and not locked twice.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { HelperError } from './context.ts';

function lockWord(c: HelperContext, helper: string): Uint8Array {
  const addr = c.arg(1);
  const r = c.mem.regionOf(addr);
  if (r === undefined || r.kind !== 'map_value') throw new HelperError(`${helper}: the lock is not in a map value`);
  if ((addr & 3n) !== 0n) throw new HelperError(`${helper}: the lock is not 4-byte aligned`);
  return c.mem.writable(addr, 4);
}

function spinLock(c: HelperContext): number {
  const w = lockWord(c, 'bpf_spin_lock');
  if (w[0] !== 0) throw new HelperError('bpf_spin_lock: the lock is already held (deadlock)');
  w[0] = 1;
  return 0;
}

function spinUnlock(c: HelperContext): number {
  const w = lockWord(c, 'bpf_spin_unlock');
  if (w[0] === 0) throw new HelperError('bpf_spin_unlock: the lock is not held');
  w.fill(0);
  return 0;
}

export const LOCK_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [93, spinLock],
  [94, spinUnlock],
]);
