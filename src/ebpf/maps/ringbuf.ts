/**
 * BPF_MAP_TYPE_RINGBUF; models kernel/bpf/ringbuf.c (ringbuf_map_alloc(), __bpf_ringbuf_reserve(),
 * bpf_ringbuf_commit(), bpf_ringbuf_output(), bpf_ringbuf_query()) and, for the consumer side,
 * libbpf's ring_buffer__consume() (ringbuf_process_ring()).
 *
 * The data area is a real byte ring holding 8-byte record headers (length with the BUSY and
 * DISCARD bits, page offset) and samples, so positions, space accounting and wrap-around are
 * the kernel's: a reservation fails once the producer would get max_entries bytes ahead of the
 * consumer or of the oldest uncommitted record. A reserved sample is its own region (kind
 * 'ringbuf') that the program writes into; the kernel maps the data pages twice so that a
 * sample crossing the end is contiguous — here such a sample is written to a bounce buffer and
 * copied into the ring when it is submitted or discarded.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, roundUp8 } from './base.ts';
import { extraFlags, fail } from './check.ts';
import {
  BPF_F_NUMA_NODE, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, PAGE_SIZE,
} from './constants.ts';
import { E2BIG, EAGAIN, EINVAL, ENOMEM, ENOTSUPP } from './errno.ts';
import { MAX_MAP_BYTES } from './array.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffff_ffff / 4);
/** Pages before the data: the non-mmap'able part, then the consumer and producer pages. */
const RINGBUF_DATA_PGOFF = 3;
const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 2 - 1) * PAGE_SIZE;
const BUSY = BPF_RINGBUF_BUSY_BIT >>> 0;
const DISCARD = BPF_RINGBUF_DISCARD_BIT >>> 0;

export function checkRingbuf(def: MapDef): void {
  if (def.flags & ~BPF_F_NUMA_NODE) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, BPF_F_NUMA_NODE)}`);
  const n = def.maxEntries;
  if (def.keySize !== 0 || def.valueSize !== 0 || n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0) {
    fail(-EINVAL, def, 'key_size and value_size must be 0, max_entries a power of 2 and a multiple of the page size (4096)');
  }
  if (n > RINGBUF_MAX_DATA_SZ) fail(-E2BIG, def, 'max_entries too large');
  if (n > MAX_MAP_BYTES) fail(-ENOMEM, def, 'ring does not fit chainlab\'s 1 GiB limit');
}

interface Reservation {
  /** Producer position of the record header. */
  readonly pos: number;
  readonly size: number;
  readonly region: Region;
  /** Set when the sample wraps around the end of the ring. */
  readonly bounce?: Uint8Array;
}

export class RingBufMap extends BaseMap {
  /** Data area size in bytes (max_entries). */
  readonly size: number;
  private readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly mask: number;
  private consumerPos = 0;
  private producerPos = 0;
  private pendingPos = 0;
  private readonly reserved = new Map<number, Reservation>();
  /** Notifications sent to the consumer (epoll wake-ups). */
  wakeups = 0;
  /** Called on each wake-up; a simulator schedules its consumer here. */
  onWakeup?: () => void;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.size = def.maxEntries;
    this.mask = this.size - 1;
    this.data = new Uint8Array(this.size);
    this.view = new DataView(this.data.buffer);
  }

  /** bpf_ringbuf_reserve(): the sample's address, or 0n (NULL) when flags are set or there is no room. */
  reserve(size: number | bigint, flags = 0n): bigint {
    if (flags !== 0n) return 0n;
    if (BigInt(size) > BigInt(RINGBUF_MAX_RECORD_SZ)) return 0n;
    const n = Number(size);
    const len = roundUp8(n + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return 0n;
    // Skip committed records at the front of the in-flight window.
    while (this.pendingPos < this.producerPos) {
      const hdr = this.view.getUint32(this.pendingPos & this.mask, true);
      if (hdr & BUSY) break;
      this.pendingPos += roundUp8((hdr & ~DISCARD) + BPF_RINGBUF_HDR_SZ);
    }
    const newProd = this.producerPos + len;
    if (newProd - this.consumerPos > this.mask || newProd - this.pendingPos > this.mask) return 0n;

    const pos = this.producerPos;
    const off = pos & this.mask;
    this.view.setUint32(off, (n | BUSY) >>> 0, true);
    this.view.setUint32(off + 4, RINGBUF_DATA_PGOFF + Math.floor(off / PAGE_SIZE), true);
    this.producerPos = newProd;

    const start = (off + BPF_RINGBUF_HDR_SZ) & this.mask;
    const wraps = start + n > this.size;
    const bounce = wraps ? new Uint8Array(n) : undefined;
    const bytes = bounce ?? this.data.subarray(start, start + n);
    const region = this.mem.add('ringbuf', `ringbuf '${this.def.name}' record`, bytes, { owner: this });
    this.reserved.set(region.tag, { pos, size: n, region, bounce });
    return Memory.addr(region, 0);
  }

  /** bpf_ringbuf_submit(). Returns -EINVAL for an address that is not a reserved sample of this ring. */
  submit(addr: bigint, flags = 0n): number {
    return this.commit(addr, flags, false);
  }

  /** bpf_ringbuf_discard(): the consumer skips the record. */
  discard(addr: bigint, flags = 0n): number {
    return this.commit(addr, flags, true);
  }

  /** bpf_ringbuf_output(): reserve, copy, submit; -EAGAIN when there is no room. */
  output(data: Uint8Array, flags = 0n): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -EINVAL;
    const addr = this.reserve(data.length, 0n);
    if (addr === 0n) return -EAGAIN;
    (this.mem.regionOf(addr) as Region).bytes.set(data);
    return this.commit(addr, flags, false);
  }

  /** bpf_ringbuf_query(). */
  query(flags: bigint): bigint {
    switch (flags) {
      case BPF_RB_AVAIL_DATA:
        return BigInt(this.producerPos - this.consumerPos);
      case BPF_RB_RING_SIZE:
        return BigInt(this.size);
      case BPF_RB_CONS_POS:
        return BigInt(this.consumerPos);
      case BPF_RB_PROD_POS:
        return BigInt(this.producerPos);
      default:
        return 0n;
    }
  }

  /**
   * ring_buffer__consume(): hand committed samples to `cb` in order, skipping discarded ones and
   * stopping at the first record still being written. A negative return from `cb` stops the
   * walk (the record counts as consumed) and is returned; otherwise the number of samples.
   */
  consume(cb: (sample: Uint8Array) => number | void, max = Infinity): number {
    let cnt = 0;
    while (this.consumerPos < this.producerPos) {
      const off = this.consumerPos & this.mask;
      const hdr = this.view.getUint32(off, true);
      if (hdr & BUSY) break;
      const len = hdr & ~DISCARD;
      this.consumerPos += roundUp8(len + BPF_RINGBUF_HDR_SZ);
      if (!(hdr & DISCARD)) {
        const err = cb(this.readRing((off + BPF_RINGBUF_HDR_SZ) & this.mask, len));
        if (typeof err === 'number' && err < 0) return err;
        cnt++;
        if (cnt >= max) break;
      }
    }
    return cnt;
  }

  /** The raw 8-byte header at a producer position: length (with BUSY/DISCARD bits) and page offset. */
  header(pos: number): { len: number; pgOff: number } {
    const off = pos & this.mask;
    return { len: this.view.getUint32(off, true), pgOff: this.view.getUint32(off + 4, true) };
  }

  // ---- user side: the bpf() element operations do not apply to a ring ----

  protected sysLookup(): MapResult<MapValue> {
    return { err: -ENOTSUPP };
  }

  protected sysUpdate(): number {
    return -ENOTSUPP;
  }

  protected override sysDelete(): number {
    return -ENOTSUPP;
  }

  protected sysNextKey(): MapResult<Uint8Array> {
    return { err: -ENOTSUPP };
  }

  entries(): MapEntry[] {
    return [];
  }

  protected releaseValues(): void {
    for (const r of this.reserved.values()) this.mem.remove(r.region);
    this.reserved.clear();
  }

  private commit(addr: bigint, flags: bigint, discard: boolean): number {
    const tag = Number(addr >> 32n);
    const rec = this.reserved.get(tag);
    if (rec === undefined || (addr & 0xffff_ffffn) !== 0n) return -EINVAL;
    this.reserved.delete(tag);
    this.mem.remove(rec.region);
    const off = rec.pos & this.mask;
    if (rec.bounce !== undefined) this.writeRing((off + BPF_RINGBUF_HDR_SZ) & this.mask, rec.bounce);
    let hdr = (this.view.getUint32(off, true) ^ BUSY) >>> 0;
    if (discard) hdr = (hdr | DISCARD) >>> 0;
    this.view.setUint32(off, hdr, true);
    // Wake the consumer when it waits for exactly this record, or when forced.
    if (flags & BPF_RB_FORCE_WAKEUP || ((this.consumerPos & this.mask) === off && !(flags & BPF_RB_NO_WAKEUP))) {
      this.wakeups++;
      this.onWakeup?.();
    }
    return 0;
  }

  private readRing(start: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const first = Math.min(len, this.size - start);
    out.set(this.data.subarray(start, start + first));
    out.set(this.data.subarray(0, len - first), first);
    return out;
  }

  private writeRing(start: number, bytes: Uint8Array): void {
    const first = Math.min(bytes.length, this.size - start);
    this.data.set(bytes.subarray(0, first), start);
    this.data.set(bytes.subarray(first), 0);
  }
}
