/**
 * CoDel (Nichols & Jacobson), as Linux implements it: models include/net/codel.h and
 * include/net/codel_impl.h: codel_should_drop(), codel_dequeue(), codel_Newton_step(),
 * codel_control_law(). Time is the kernel's codel_time_t: ns >> 10 in a u32, compared with serial
 * arithmetic; 1/sqrt(count) is kept as a Q0.16 reciprocal refined by one Newton step per drop, so
 * the drop schedule t + interval/sqrt(count) matches the kernel's integer results exactly.
 */
import type { QdiscPacket } from './packet.ts';

export const CODEL_SHIFT = 10;
const TWO32 = 4294967296;
/** REC_INV_SQRT_SHIFT = 32 - 16. */
const REC_INV_SQRT_SHIFT = 16;
export const CODEL_DISABLED_THRESHOLD = 0x7fffffff;

/** codel_get_time(): ns → codel time units (1024 ns), wrapped to u32. */
export function codelTime(ns: number): number {
  return Math.floor(ns / 1024) % TWO32;
}
/** (MS2TIME etc.) a duration in ns → codel units. */
export const codelDuration = (ns: number): number => Math.floor(ns / 1024) >>> 0;
export const codelTimeAfter = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const codelTimeAfterEq = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
export const codelTimeBefore = (a: number, b: number): boolean => ((b - a) | 0) > 0;

export interface CodelParams {
  target: number; // codel units
  interval: number; // codel units
  ceThreshold: number; // codel units, CODEL_DISABLED_THRESHOLD when off
  /** Minimum backlog (bytes) below which CoDel never drops: psched_mtu(). */
  mtu: number;
  ecn: boolean;
}

export interface CodelStats {
  maxpacket: number;
  ecnMark: number;
  ceMark: number;
}

export class CodelVars {
  count = 0;
  lastcount = 0;
  dropping = false;
  recInvSqrt = 0; // u16
  firstAboveTime = 0;
  dropNext = 0;
  ldelay = 0;
}

const U64 = (1n << 64n) - 1n;

/** codel_Newton_step(): rec_inv_sqrt ← rec_inv_sqrt/2 × (3 − count × rec_inv_sqrt²), in fixed point. */
export function newtonStep(v: CodelVars): void {
  const invsqrt = BigInt((v.recInvSqrt << REC_INV_SQRT_SHIFT) >>> 0);
  const invsqrt2 = (invsqrt * invsqrt) >> 32n;
  let val = ((3n << 32n) - ((BigInt(v.count >>> 0) * invsqrt2) & U64)) & U64;
  val >>= 2n; // avoid overflow in the following multiply
  val = ((val * invsqrt) & U64) >> BigInt(32 - 2 + 1);
  v.recInvSqrt = Number((val >> BigInt(REC_INV_SQRT_SHIFT)) & 0xffffn);
}

/** codel_control_law(): t + interval/sqrt(count) via reciprocal_scale(). */
export function controlLaw(t: number, interval: number, recInvSqrt: number): number {
  const scale = (recInvSqrt << REC_INV_SQRT_SHIFT) >>> 0;
  return (t + Math.floor((interval * scale) / TWO32)) % TWO32;
}

/**
 * The queue CoDel pulls from: pop() removes the head (updating the owner's counters, as the
 * kernel's dequeue_func does) and leaves its enqueue time (ns) in `poppedAt`; drop() discards a
 * popped packet (drop_func); codelBacklog() is the qdisc's byte backlog after the pops so far.
 */
export interface CodelSource {
  pop(): QdiscPacket | undefined;
  poppedAt: number;
  drop(pkt: QdiscPacket, sojournNs: number): void;
  mark(pkt: QdiscPacket, kind: 'ecn' | 'ce', sojournNs: number): void;
  codelBacklog(): number;
}

function shouldDrop(pkt: QdiscPacket | undefined, src: CodelSource, v: CodelVars, p: CodelParams, st: CodelStats, now: number): boolean {
  if (pkt === undefined) {
    v.firstAboveTime = 0;
    return false;
  }
  v.ldelay = (now - codelTime(src.poppedAt)) >>> 0;
  if (pkt.len > st.maxpacket) st.maxpacket = pkt.len;
  if (codelTimeBefore(v.ldelay, p.target) || src.codelBacklog() <= p.mtu) {
    // went below - stay below for at least interval
    v.firstAboveTime = 0;
    return false;
  }
  let okToDrop = false;
  if (v.firstAboveTime === 0) {
    // just went above from below: if we stay above for interval, it's OK to drop
    v.firstAboveTime = (now + p.interval) % TWO32;
  } else if (codelTimeAfter(now, v.firstAboveTime)) {
    okToDrop = true;
  }
  return okToDrop;
}

/** codel_dequeue(): the next packet to send from `src`, after the drops or marks CoDel decides. */
export function codelDequeue(src: CodelSource, v: CodelVars, p: CodelParams, st: CodelStats, nowNs: number): QdiscPacket | undefined {
  let pkt = src.pop();
  if (pkt === undefined) {
    v.dropping = false;
    return undefined;
  }
  const now = codelTime(nowNs);
  let popped = src.poppedAt;
  const drop = shouldDrop(pkt, src, v, p, st, now);
  endOfState: if (v.dropping) {
    if (!drop) {
      // sojourn time below target - leave dropping state
      v.dropping = false;
    } else if (codelTimeAfterEq(now, v.dropNext)) {
      // Time for the next drop; a large backlog may make several drops due now.
      while (v.dropping && codelTimeAfterEq(now, v.dropNext)) {
        v.count = (v.count + 1) >>> 0;
        newtonStep(v);
        if (p.ecn && (pkt as QdiscPacket).markCe()) {
          st.ecnMark++;
          src.mark(pkt as QdiscPacket, 'ecn', nowNs - popped);
          v.dropNext = controlLaw(v.dropNext, p.interval, v.recInvSqrt);
          break endOfState;
        }
        src.drop(pkt as QdiscPacket, nowNs - popped);
        pkt = src.pop();
        popped = src.poppedAt;
        if (!shouldDrop(pkt, src, v, p, st, now)) {
          v.dropping = false; // leave dropping state
        } else {
          v.dropNext = controlLaw(v.dropNext, p.interval, v.recInvSqrt); // schedule the next drop
        }
      }
    }
  } else if (drop) {
    if (p.ecn && pkt.markCe()) {
      st.ecnMark++;
      src.mark(pkt, 'ecn', nowNs - popped);
    } else {
      src.drop(pkt, nowNs - popped);
      pkt = src.pop();
      popped = src.poppedAt;
      shouldDrop(pkt, src, v, p, st, now); // for its effect on firstAboveTime and ldelay
    }
    v.dropping = true;
    // If min went above target close to when it last went below, reuse the drop rate that
    // controlled the queue on the last cycle.
    const delta = (v.count - v.lastcount) >>> 0;
    if (delta > 1 && codelTimeBefore((now - v.dropNext) >>> 0, 16 * p.interval)) {
      v.count = delta;
      newtonStep(v);
    } else {
      v.count = 1;
      v.recInvSqrt = 0xffffffff >>> REC_INV_SQRT_SHIFT;
    }
    v.lastcount = v.count;
    v.dropNext = controlLaw(now, p.interval, v.recInvSqrt);
  }
  if (pkt !== undefined && p.ceThreshold !== CODEL_DISABLED_THRESHOLD && codelTimeAfter(v.ldelay, p.ceThreshold) && pkt.markCe()) {
    st.ceMark++;
    src.mark(pkt, 'ce', nowNs - popped);
  }
  src.poppedAt = popped;
  return pkt;
}
