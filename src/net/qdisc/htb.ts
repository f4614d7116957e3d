/**
 * Hierarchical token bucket: models net/sched/sch_htb.c — htb_classify(), htb_enqueue(),
 * htb_dequeue(), htb_dequeue_tree(), htb_lookup_leaf(), htb_charge_class(), htb_accnt_tokens(),
 * htb_class_mode(), htb_change_class_mode(), htb_activate_prios(), htb_do_events() — with the
 * class parameters iproute2's tc/q_htb.c computes (burst = rate/HZ + mtu, buffer in 64-ns ticks,
 * quantum = rate / r2q clamped to 1000..200000).
 *
 * Each class has two token buckets (rate and ceil, in ns like tbf). A class is CAN_SEND while it
 * has rate tokens, MAY_BORROW while it has ceil tokens but no rate tokens (it then hangs in its
 * parent's "feed" and sends when an ancestor at some level can send), CANT_SEND otherwise. Ready
 * classes sit in per-(level, prio) rows; leaves of equal priority share by deficit round robin of
 * `quantum` bytes. Classes waiting for tokens sit in a per-level event queue (wait_pq). The
 * kernel's red-black trees become sorted arrays here (a class set is small); order and the
 * round-robin pointers with their last_ptr_id recovery are the kernel's.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { Qdisc, type QdiscStats } from './base.ts';
import { DEFAULT_TXQUEUELEN, Pfifo } from './fifo.ts';
import { formatHandle, tcHMaj, tcHMake, tcHMin, type QdiscPacket } from './packet.ts';
import { PacketQueue } from './queue.ts';
import { RateCfg, xmittimeNs } from './ratecfg.ts';
import { rateBytesPerSec } from './units.ts';

export const TC_HTB_MAXDEPTH = 8;
export const TC_HTB_NUMPRIO = 8;
const NSEC_PER_SEC = 1_000_000_000;
/** get_hz() where the kernel has high-resolution timers: /proc/net/psched says 10^9. */
const TC_HZ = 1_000_000_000;

/** enum htb_cmode */
export const HtbMode = { CANT_SEND: 0, MAY_BORROW: 1, CAN_SEND: 2 } as const;
export type HtbMode = (typeof HtbMode)[keyof typeof HtbMode];

export class HtbConfigError extends Error {
  constructor(detail: string) {
    super(`htb: ${detail}`);
    this.name = 'HtbConfigError';
  }
}

/** A set of classes ordered by classid: stands in for the rb-trees of htb_add_to_id_tree(). */
class IdTree {
  readonly items: HtbClass[] = [];
  get empty(): boolean {
    return this.items.length === 0;
  }
  insert(cl: HtbClass): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cl.classid > this.items[mid].classid) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, cl);
  }
  erase(cl: HtbClass): void {
    const i = this.items.indexOf(cl);
    if (i >= 0) this.items.splice(i, 1);
  }
  first(): HtbClass | null {
    return this.items.length > 0 ? this.items[0] : null;
  }
  next(cl: HtbClass | null): HtbClass | null {
    if (cl === null) return null;
    const i = this.items.indexOf(cl);
    return i >= 0 && i + 1 < this.items.length ? this.items[i + 1] : null;
  }
  /** htb_id_find_next_upper(): the first class with classid >= id. */
  findNextUpper(id: number): HtbClass | null {
    for (const c of this.items) if (c.classid >= id) return c;
    return null;
  }
}

/** struct htb_prio: a row (per level) or a feed (per inner class), with its DRR pointer. */
class HtbPrio {
  readonly tree = new IdTree();
  ptr: HtbClass | null = null;
  lastPtrId = 0;
  advance(): void {
    this.ptr = this.tree.next(this.ptr);
  }
}

export interface HtbClassOptions {
  classid: number;
  /** Parent class id; undefined (or the qdisc handle) for a root class. */
  parent?: number;
  /** bits/s */
  rate: number;
  /** bits/s (default: rate) */
  ceil?: number;
  /** bytes (default rate/HZ + mtu, as tc computes) */
  burst?: number;
  cburst?: number;
  prio?: number;
  quantum?: number;
  /** Used for the default burst (tc's default 1600). */
  mtu?: number;
  mpu?: number;
  overhead?: number;
  /** Leaf qdisc (default pfifo with limit txqueuelen). */
  leaf?: Qdisc;
}

export class HtbClass {
  readonly classid: number;
  parent: HtbClass | null;
  level = 0;
  children = 0;
  readonly rate: RateCfg;
  readonly ceil: RateCfg;
  readonly buffer: number;
  readonly cbuffer: number;
  readonly mbuffer = 60 * NSEC_PER_SEC;
  readonly prio: number;
  readonly quantum: number;
  tokens: number;
  ctokens: number;
  tC: number;
  readonly deficit: number[] = new Array<number>(TC_HTB_MAXDEPTH).fill(0);
  leaf: Qdisc | null;
  readonly clprio: HtbPrio[] = [];
  pqKey = 0;
  prioActivity = 0;
  cmode: HtbMode = HtbMode.CAN_SEND;
  // statistics (tc -s class show)
  bytes = 0;
  packets = 0;
  drops = 0;
  overlimits = 0;
  lends = 0;
  borrows = 0;
  giants = 0;

  constructor(o: HtbClassOptions, parent: HtbClass | null, leaf: Qdisc, now: number, r2q: number) {
    this.classid = o.classid;
    this.parent = parent;
    const rate64 = rateBytesPerSec(o.rate);
    const ceil64 = rateBytesPerSec(o.ceil ?? o.rate);
    if (rate64 <= 0 || ceil64 <= 0) throw new HtbConfigError(`class ${formatHandle(o.classid)}: rate and ceil must be at least 8 bit/s`);
    const mtu = o.mtu ?? 1600;
    // q_htb.c: "compute minimal allowed burst from rate; mtu is added ... to have some safeguard space".
    const burst = o.burst ?? Math.floor(rate64 / TC_HZ) + mtu;
    const cburst = o.cburst ?? Math.floor(ceil64 / TC_HZ) + mtu;
    this.rate = new RateCfg(rate64, o.overhead ?? 0, o.mpu ?? 0);
    this.ceil = new RateCfg(ceil64, o.overhead ?? 0, o.mpu ?? 0);
    this.buffer = xmittimeNs(rate64, burst);
    this.cbuffer = xmittimeNs(ceil64, cburst);
    this.tokens = this.buffer;
    this.ctokens = this.cbuffer;
    this.tC = now;
    let quantum = Math.min(Math.floor(rate64 / r2q), 0x7fffffff);
    if (o.quantum === undefined) quantum = Math.min(Math.max(quantum, 1000), 200000);
    else quantum = o.quantum;
    this.quantum = quantum;
    this.prio = Math.min(o.prio ?? 0, TC_HTB_NUMPRIO - 1);
    this.leaf = leaf;
    for (let p = 0; p < TC_HTB_NUMPRIO; p++) this.clprio.push(new HtbPrio());
  }
}

export interface HtbOptions {
  /** Qdisc handle (default 1:). */
  handle?: number;
  /** Minor id of the class for unclassified packets (tc's "default", hex); 0: direct queue. */
  defaultClass?: number;
  /** rate-to-quantum divisor (default 10). */
  r2q?: number;
  /** Length of the direct queue (default txqueuelen). */
  directQlen?: number;
  classes?: HtbClassOptions[];
}

const ffs = (m: number): number => 31 - Math.clz32(m & -m);

export class Htb extends Qdisc {
  readonly kind = 'htb';
  readonly defcls: number;
  readonly r2q: number;
  readonly directQlen: number;
  private readonly classes = new Map<number, HtbClass>();
  private readonly direct = new PacketQueue();
  private directPkts = 0;
  private readonly rowMask = new Array<number>(TC_HTB_MAXDEPTH).fill(0);
  private readonly rows: HtbPrio[][] = [];
  private readonly waitPq: HtbClass[][] = [];
  private readonly nearEvCache = new Array<number>(TC_HTB_MAXDEPTH).fill(0);
  private now = 0;
  private diff = 0;
  /** Watchdog time from the last dequeue that found nothing to send. */
  private nextEvent: number | undefined = undefined;

  constructor(sched: Scheduler, o: HtbOptions = {}) {
    super(sched, o.handle ?? 0x10000);
    if (tcHMin(this.handle) !== 0 || this.handle === 0) throw new HtbConfigError(`qdisc handle must be MAJOR: (got ${formatHandle(this.handle)})`);
    this.defcls = o.defaultClass ?? 0;
    this.r2q = Math.max(1, o.r2q ?? 10);
    this.directQlen = o.directQlen ?? DEFAULT_TXQUEUELEN;
    for (let l = 0; l < TC_HTB_MAXDEPTH; l++) {
      const r: HtbPrio[] = [];
      for (let p = 0; p < TC_HTB_NUMPRIO; p++) r.push(new HtbPrio());
      this.rows.push(r);
      this.waitPq.push([]);
    }
    this.peekDequeues = true;
    for (const c of o.classes ?? []) this.addClass(c);
  }

  /** tc class add ... htb: add a class (a parent must exist; a leaf parent becomes inner). */
  addClass(o: HtbClassOptions): HtbClass {
    const classid = o.classid >>> 0;
    if (classid === 0 || tcHMaj(classid ^ this.handle) !== 0 || tcHMin(classid) === 0) throw new HtbConfigError(`invalid classid ${formatHandle(classid)} for qdisc ${formatHandle(this.handle)}`);
    if (this.classes.has(classid)) throw new HtbConfigError(`class ${formatHandle(classid)} exists`);
    const parentId = o.parent === undefined || o.parent === this.handle ? undefined : o.parent >>> 0;
    let parent: HtbClass | null = null;
    if (parentId !== undefined) {
      parent = this.classes.get(parentId) ?? null;
      if (parent === null) throw new HtbConfigError(`parent class ${formatHandle(parentId)} of ${formatHandle(classid)} does not exist`);
      if (parent.parent !== null && parent.parent.level < 2) throw new HtbConfigError('tree is too deep');
    }
    const leaf = o.leaf ?? new Pfifo(this.sched, { limit: DEFAULT_TXQUEUELEN });
    const cl = new HtbClass({ ...o, classid }, parent, this.adopt(leaf), this.sched.now, this.r2q);
    if (parent !== null && parent.level === 0) {
      // Turn the parent into an inner node (its queue is purged, as qdisc_purge_queue() does).
      if ((parent.leaf as Qdisc).qlen > 0) throw new HtbConfigError(`cannot add a child to non-empty leaf ${formatHandle(parent.classid)}`);
      this.deactivate(parent);
      if (parent.cmode !== HtbMode.CAN_SEND) {
        this.removeFromWait(parent);
        parent.cmode = HtbMode.CAN_SEND;
      }
      parent.level = (parent.parent !== null ? parent.parent.level : TC_HTB_MAXDEPTH) - 1;
      parent.leaf = null;
    }
    if (parent !== null) parent.children++;
    this.classes.set(classid, cl);
    return cl;
  }

  getClass(classid: number): HtbClass | undefined {
    return this.classes.get(classid >>> 0);
  }

  // ---- classification -------------------------------------------------------------------

  /**
   * htb_classify(): skb->priority naming a leaf of this qdisc wins; then the class a tc filter
   * chose (tcClassid; a bare minor is combined with our major, as cls_bpf does with the filter's
   * "classid MAJOR:"); then the default class; else the direct queue. Returns null for direct.
   */
  classify(pkt: QdiscPacket): HtbClass | null {
    const prio = pkt.priority >>> 0;
    if (prio === this.handle) return null; // X:0 (direct flow) selected
    let cl = this.classes.get(prio);
    if (cl !== undefined && cl.level === 0) return cl;
    const tcid = pkt.tcClassid;
    if (tcid !== undefined && tcid !== 0) {
      const id = tcHMaj(tcid) === 0 ? tcHMake(this.handle, tcid) : tcid >>> 0;
      if (id === this.handle) return null;
      cl = this.classes.get(id);
      if (cl !== undefined && cl.level === 0) return cl;
    }
    cl = this.classes.get(tcHMake(this.handle, this.defcls));
    if (cl === undefined || cl.level !== 0) return null; // bad default: direct is the safe bet
    return cl;
  }

  // ---- enqueue ----------------------------------------------------------------------------

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    const cl = this.classify(pkt);
    this.nextEvent = undefined;
    if (cl === null) {
      if (this.direct.length >= this.directQlen) return 'QDISC_DROP';
      this.direct.push(pkt, this.sched.now);
      this.directPkts++;
      return undefined;
    }
    if ((cl.leaf as Qdisc).enqueue(pkt) !== 'ok') {
      cl.drops++;
      return 'QDISC_OVERLIMIT';
    }
    this.activate(cl);
    return undefined;
  }

  protected override childQueueDropped(child: Qdisc): void {
    // htb_qlen_notify(): a leaf that drops itself empty leaves the active feeds.
    if (child.qlen > 0) return;
    for (const cl of this.classes.values()) if (cl.leaf === child) this.deactivate(cl);
  }

  // ---- activation (feeds and rows) -------------------------------------------------------

  private activate(cl: HtbClass): void {
    if (cl.prioActivity === 0) {
      cl.prioActivity = 1 << cl.prio;
      this.activatePrios(cl);
    }
  }

  private deactivate(cl: HtbClass): void {
    if (cl.prioActivity === 0) return;
    this.deactivatePrios(cl);
    cl.prioActivity = 0;
  }

  private activatePrios(cl: HtbClass): void {
    let p = cl.parent;
    let mask = cl.prioActivity;
    while (cl.cmode === HtbMode.MAY_BORROW && p !== null && mask !== 0) {
      let m = mask;
      while (m !== 0) {
        const prio = ffs(m);
        m &= ~(1 << prio);
        // parent already has its feed in use: it is already active for prio
        if (!p.clprio[prio].tree.empty) mask &= ~(1 << prio);
        p.clprio[prio].tree.insert(cl);
      }
      p.prioActivity |= mask;
      cl = p;
      p = cl.parent;
    }
    if (cl.cmode === HtbMode.CAN_SEND && mask !== 0) this.addClassToRow(cl, mask);
  }

  private deactivatePrios(cl: HtbClass): void {
    let p = cl.parent;
    let mask = cl.prioActivity;
    while (cl.cmode === HtbMode.MAY_BORROW && p !== null && mask !== 0) {
      let m = mask;
      mask = 0;
      while (m !== 0) {
        const prio = ffs(m);
        m &= ~(1 << prio);
        const hp = p.clprio[prio];
        if (hp.ptr === cl) {
          // removing the child the parent's feed points at: forget the pointer, keep its classid
          hp.lastPtrId = cl.classid;
          hp.ptr = null;
        }
        hp.tree.erase(cl);
        if (hp.tree.empty) mask |= 1 << prio;
      }
      p.prioActivity &= ~mask;
      cl = p;
      p = cl.parent;
    }
    if (cl.cmode === HtbMode.CAN_SEND && mask !== 0) this.removeClassFromRow(cl, mask);
  }

  private addClassToRow(cl: HtbClass, mask: number): void {
    this.rowMask[cl.level] |= mask;
    while (mask !== 0) {
      const prio = ffs(mask);
      mask &= ~(1 << prio);
      this.rows[cl.level][prio].tree.insert(cl);
    }
  }

  private removeClassFromRow(cl: HtbClass, mask: number): void {
    let m = 0;
    while (mask !== 0) {
      const prio = ffs(mask);
      mask &= ~(1 << prio);
      const hp = this.rows[cl.level][prio];
      if (hp.ptr === cl) hp.advance();
      hp.tree.erase(cl);
      if (hp.tree.empty) m |= 1 << prio;
    }
    this.rowMask[cl.level] &= ~m;
  }

  // ---- modes and tokens -------------------------------------------------------------------

  /** htb_class_mode() without hysteresis (htb_hysteresis=0, the default); leaves the wait in this.diff. */
  private classMode(cl: HtbClass, diff: number): HtbMode {
    let toks = cl.ctokens + diff;
    if (toks < 0) {
      this.diff = -toks;
      return HtbMode.CANT_SEND;
    }
    toks = cl.tokens + diff;
    if (toks >= 0) {
      this.diff = diff;
      return HtbMode.CAN_SEND;
    }
    this.diff = -toks;
    return HtbMode.MAY_BORROW;
  }

  private changeClassMode(cl: HtbClass, diff: number): void {
    const newMode = this.classMode(cl, diff);
    if (newMode === cl.cmode) return;
    if (newMode === HtbMode.CANT_SEND) {
      cl.overlimits++;
      this.overlimitCount++;
    }
    if (cl.prioActivity !== 0) {
      if (cl.cmode !== HtbMode.CANT_SEND) this.deactivatePrios(cl);
      cl.cmode = newMode;
      if (newMode !== HtbMode.CANT_SEND) this.activatePrios(cl);
    } else {
      cl.cmode = newMode;
    }
  }

  private addToWait(cl: HtbClass, delay: number): void {
    cl.pqKey = this.now + delay;
    if (cl.pqKey === this.now) cl.pqKey++;
    if (this.nearEvCache[cl.level] > cl.pqKey) this.nearEvCache[cl.level] = cl.pqKey;
    const pq = this.waitPq[cl.level];
    // equal keys go after the ones already waiting (rb insert goes right on >=)
    let lo = 0;
    let hi = pq.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cl.pqKey >= pq[mid].pqKey) lo = mid + 1;
      else hi = mid;
    }
    pq.splice(lo, 0, cl);
  }

  private removeFromWait(cl: HtbClass): void {
    const pq = this.waitPq[cl.level];
    const i = pq.indexOf(cl);
    if (i >= 0) pq.splice(i, 1);
  }

  private accntTokens(cl: HtbClass, bytes: number, diff: number): void {
    let toks = diff + cl.tokens;
    if (toks > cl.buffer) toks = cl.buffer;
    toks -= cl.rate.l2t(bytes);
    if (toks <= -cl.mbuffer) toks = 1 - cl.mbuffer;
    cl.tokens = toks;
  }

  private accntCtokens(cl: HtbClass, bytes: number, diff: number): void {
    let toks = diff + cl.ctokens;
    if (toks > cl.cbuffer) toks = cl.cbuffer;
    toks -= cl.ceil.l2t(bytes);
    if (toks <= -cl.mbuffer) toks = 1 - cl.mbuffer;
    cl.ctokens = toks;
  }

  /** htb_charge_class(): charge `bytes` to the leaf and its ancestors, borrowing from `level`. */
  private chargeClass(leaf: HtbClass, level: number, bytes: number): void {
    let cl: HtbClass | null = leaf;
    while (cl !== null) {
      let diff = Math.min(this.now - cl.tC, cl.mbuffer);
      if (cl.level >= level) {
        if (cl.level === level) cl.lends++;
        this.accntTokens(cl, bytes, diff);
      } else {
        cl.borrows++;
        cl.tokens += diff; // we moved t_c; update tokens
      }
      this.accntCtokens(cl, bytes, diff);
      cl.tC = this.now;
      const oldMode = cl.cmode;
      diff = 0;
      this.changeClassMode(cl, diff);
      if (oldMode !== cl.cmode) {
        if (oldMode !== HtbMode.CAN_SEND) this.removeFromWait(cl);
        if (cl.cmode !== HtbMode.CAN_SEND) this.addToWait(cl, this.diff);
      }
      if (cl.level !== 0) {
        cl.bytes += bytes;
        cl.packets++;
      }
      cl = cl.parent;
    }
  }

  /** htb_do_events(): apply due mode changes at `level`; the time of the next one, or 0. */
  private doEvents(level: number): number {
    const pq = this.waitPq[level];
    for (;;) {
      if (pq.length === 0) return 0;
      const cl = pq[0];
      if (cl.pqKey > this.now) return cl.pqKey;
      pq.shift();
      const diff = Math.min(this.now - cl.tC, cl.mbuffer);
      this.changeClassMode(cl, diff);
      if (cl.cmode !== HtbMode.CAN_SEND) this.addToWait(cl, this.diff);
    }
  }

  // ---- dequeue ----------------------------------------------------------------------------

  /** htb_lookup_leaf(): the leaf the DRR pointers of row `hprio` lead to. */
  private lookupLeaf(hprio: HtbPrio, prio: number): HtbClass | null {
    if (hprio.tree.empty) return null;
    const stk: HtbPrio[] = [hprio];
    for (let i = 0; i < 65535; i++) {
      const sp = stk[stk.length - 1];
      if (sp.ptr === null && sp.lastPtrId !== 0) {
        // ptr was invalidated but id is valid - recover the original or next ptr
        sp.ptr = sp.tree.findNextUpper(sp.lastPtrId);
      }
      sp.lastPtrId = 0;
      if (sp.ptr === null) {
        // at the right end: rewind and go up
        sp.ptr = sp.tree.first();
        if (sp.ptr === null) return null;
        if (stk.length > 1) {
          stk.pop();
          const up = stk[stk.length - 1];
          if (up.ptr === null) return null;
          up.advance();
        }
      } else {
        const cl = sp.ptr;
        if (cl.level === 0) return cl;
        stk.push(cl.clprio[prio]);
      }
    }
    return null;
  }

  /** htb_dequeue_tree(): a packet from the active leaves at (prio, level), DRR among them. */
  private dequeueTree(prio: number, level: number): QdiscPacket | undefined {
    const hprio = this.rows[level][prio];
    let start = this.lookupLeaf(hprio, prio);
    let cl = start;
    let pkt: QdiscPacket | undefined;
    for (;;) {
      if (cl === null) return undefined;
      const q = cl.leaf as Qdisc;
      if (q.qlen === 0) {
        // an empty leaf (its qdisc dropped on its own): deactivate and skip it
        this.deactivate(cl);
        if ((this.rowMask[level] & (1 << prio)) === 0) return undefined;
        const next = this.lookupLeaf(hprio, prio);
        if (cl === start) start = next; // fix start if we just deleted it
        cl = next;
        continue;
      }
      pkt = q.dequeue();
      if (pkt !== undefined) break;
      // non-work-conserving leaf: try the next class
      (level !== 0 ? (cl.parent as HtbClass).clprio[prio] : this.rows[0][prio]).advance();
      cl = this.lookupLeaf(hprio, prio);
      if (cl === start) break;
    }
    if (pkt === undefined || cl === null) return undefined;
    cl.bytes += pkt.len;
    cl.packets++;
    cl.deficit[level] -= pkt.len;
    if (cl.deficit[level] < 0) {
      cl.deficit[level] += cl.quantum;
      (level !== 0 ? (cl.parent as HtbClass).clprio[prio] : this.rows[0][prio]).advance();
    }
    if ((cl.leaf as Qdisc).qlen === 0) this.deactivate(cl);
    this.chargeClass(cl, level, pkt.len);
    return pkt;
  }

  protected doDequeue(): QdiscPacket | undefined {
    // direct packets first (as high prio) to minimize cpu work
    if (this.direct.length > 0) {
      this.lastSojourn = this.sched.now - this.direct.headTime();
      return this.direct.shift();
    }
    this.now = this.sched.now;
    let nextEvent = this.now + 5 * NSEC_PER_SEC;
    for (let level = 0; level < TC_HTB_MAXDEPTH; level++) {
      let event = this.nearEvCache[level];
      if (this.now >= event) {
        event = this.doEvents(level);
        if (event === 0) event = this.now + NSEC_PER_SEC;
        this.nearEvCache[level] = event;
      }
      if (nextEvent > event) nextEvent = event;
      let m = ~this.rowMask[level];
      while (m !== -1) {
        const prio = ffs(~m);
        m |= 1 << prio;
        const pkt = this.dequeueTree(prio, level);
        if (pkt !== undefined) {
          this.nextEvent = undefined;
          return pkt;
        }
      }
    }
    this.nextEvent = nextEvent;
    this.watchdog(nextEvent);
    return undefined;
  }

  protected override doNextReadyTime(now: number): number | undefined {
    if (this.direct.length > 0 || this.nextEvent === undefined || this.nextEvent <= now) return now;
    return this.nextEvent;
  }

  protected override xstats(): Record<string, number> {
    return { direct_packets_stat: this.directPkts, direct_qlen: this.directQlen };
  }

  /** `tc -s class show` for every class, in classid order. */
  classStats(): (QdiscStats & { classid: string; parent: string; level: number; rate: number; ceil: number; lended: number; borrowed: number; giants: number; tokens: number; ctokens: number; mode: string })[] {
    const modes = ['CANT_SEND', 'MAY_BORROW', 'CAN_SEND'];
    return [...this.classes.values()]
      .sort((a, b) => a.classid - b.classid)
      .map((cl) => ({
        kind: 'htb',
        handle: formatHandle(cl.classid),
        classid: formatHandle(cl.classid),
        parent: cl.parent !== null ? formatHandle(cl.parent.classid) : 'root',
        level: cl.level,
        rate: cl.rate.rateBytesPs * 8,
        ceil: cl.ceil.rateBytesPs * 8,
        bytes: cl.bytes,
        packets: cl.packets,
        drops: cl.drops,
        overlimits: cl.overlimits,
        requeues: 0,
        backlog: cl.leaf !== null ? cl.leaf.backlog : 0,
        qlen: cl.leaf !== null ? cl.leaf.qlen : 0,
        lended: cl.lends,
        borrowed: cl.borrows,
        giants: cl.giants,
        // PSCHED_NS2TICKS, as tc prints them
        tokens: Math.trunc(cl.tokens / 64),
        ctokens: Math.trunc(cl.ctokens / 64),
        mode: modes[cl.cmode],
      }));
  }
}
