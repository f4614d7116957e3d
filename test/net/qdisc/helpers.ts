/** Test packets and a transmit loop that drains a qdisc at line rate, as a NIC's TX path does. */
import type { Simulator } from '../../../src/sim/simulator.ts';
import type { Qdisc, QdiscPacket } from '../../../src/net/qdisc/index.ts';

let nextId = 1;

export class P implements QdiscPacket {
  readonly id = nextId++;
  ce = false;
  constructor(
    readonly len: number,
    readonly flowHash = 0,
    public priority = 0,
    public tcClassid = 0,
    readonly ect = false,
    readonly tag = '',
  ) {}
  ecnCapable(): boolean {
    return this.ect;
  }
  markCe(): boolean {
    if (!this.ect) return false;
    this.ce = true;
    return true;
  }
}

export interface TxRecord {
  t: number;
  pkt: P;
}

/**
 * Dequeues whenever the wire is free; a packet occupies the wire len×8/rate ns. When the qdisc
 * is throttled it sleeps until nextReadyTime() (the qdisc watchdog's job in the kernel).
 */
export class Wire {
  readonly sent: TxRecord[] = [];
  private busy = false;
  private wakeAt = -1;

  constructor(readonly sim: Simulator, readonly q: Qdisc, readonly bitsPerSec: number) {}

  send(pkt: P): 'ok' | 'drop' {
    const v = this.q.enqueue(pkt);
    this.kick();
    return v;
  }

  kick(): void {
    if (this.busy) return;
    const pkt = this.q.dequeue() as P | undefined;
    if (pkt !== undefined) {
      this.busy = true;
      this.sent.push({ t: this.sim.now, pkt });
      this.sim.schedule(Math.ceil((pkt.len * 8 * 1e9) / this.bitsPerSec), () => {
        this.busy = false;
        this.kick();
      });
      return;
    }
    const t = this.q.nextReadyTime(this.sim.now);
    if (t !== undefined && t > this.sim.now && t !== this.wakeAt) {
      this.wakeAt = t;
      this.sim.scheduleAt(t, () => {
        if (this.wakeAt === t) this.wakeAt = -1;
        this.kick();
      });
    }
  }

  bytesBy(t: number, filter: (p: P) => boolean = () => true): number {
    let b = 0;
    for (const r of this.sent) if (r.t <= t && filter(r.pkt)) b += r.pkt.len;
    return b;
  }
}

/** Schedule `count` packets from make(i) every `gapNs` starting at `start`. */
export function paced(sim: Simulator, wire: Wire, start: number, gapNs: number, count: number, make: (i: number) => P): void {
  for (let i = 0; i < count; i++) sim.scheduleAt(start + Math.round(i * gapNs), () => wire.send(make(i)));
}
