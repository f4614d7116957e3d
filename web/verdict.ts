/**
 * A hop's verdict in one of the viewer's colours: pass, drop, redirect, tx (XDP_TX), deliver
 * (to the local stack), or transit (a hop without a program: queues, forwarding, wires).
 */
import type { HopRecord } from '../src/trace/records.ts';

export type VerdictClass = 'pass' | 'drop' | 'redirect' | 'tx' | 'deliver' | 'transit';

export const VERDICT_CLASSES: readonly VerdictClass[] = ['pass', 'drop', 'redirect', 'tx', 'deliver', 'transit'];

export function verdictClass(h: Pick<HopRecord, 'hook' | 'verdict'>): VerdictClass {
  const v = h.verdict ?? '';
  if (h.hook === 'drop' || /DROP|ABORTED|SHOT/.test(v) || (h.hook === 'qdisc' && v === 'drop')) return 'drop';
  if (h.hook === 'xdp-redirect' || /REDIRECT/.test(v)) return 'redirect';
  if (h.hook === 'xdp-tx' || v === 'XDP_TX') return 'tx';
  if (h.hook === 'local') return 'deliver';
  if (/PASS|TC_ACT_OK|TC_ACT_UNSPEC|TC_ACT_PIPE/.test(v)) return 'pass';
  return 'transit';
}

/** How a packet looks after this hop, given how it looked before (packets start as 'pass'): a hop without a program keeps the colour. */
export function foldClass(prev: VerdictClass, h: Pick<HopRecord, 'hook' | 'verdict'>): VerdictClass {
  const c = verdictClass(h);
  return c === 'transit' ? prev : c;
}
