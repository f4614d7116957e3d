/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY and the per-CPU perf buffers behind it; models
 * kernel/trace/bpf_trace.c: __bpf_perf_event_output() (with bpf_skb/xdp_event_output()'s
 * BPF_F_CTXLEN_MASK), kernel/events/ring_buffer.c: __perf_output_begin() (space check, lost
 * counting, PERF_RECORD_LOST), and libbpf's perf_buffer (one buffer per CPU, read per CPU).
 *
 * A buffer is `pages` pages of perf ring. A sample takes a PERF_RECORD_SAMPLE with a raw part
 * padded to 8 bytes (8 + round_up(size + 4, 8) bytes), and the consumer sees the padded raw
 * data, as libbpf's sample callback does. When a sample does not fit, it is lost and counted;
 * the next sample that fits is preceded by a PERF_RECORD_LOST record carrying the count.
 */
import type { Memory } from '../vm/memory.ts';
import { BaseMap, roundUp8, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { BPF_ANY, BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, PAGE_SIZE } from './constants.ts';
import { E2BIG, EBADF, EFAULT, EINVAL, ENOENT, ENOSPC, ENOTSUPP, EOPNOTSUPP } from './errno.ts';
import { MapError, type CreateOptions, type MapDef, type MapEntry, type MapResult, type MapValue } from './types.ts';

/** What a perf buffer reader gets, in order. */
export type PerfRecord = { readonly type: 'sample'; readonly data: Uint8Array } | { readonly type: 'lost'; readonly lost: number };

/** sizeof(struct perf_event_header) + u64 id + u64 lost. */
const LOST_RECORD_SIZE = 24;

/** One CPU's perf ring (a perf event opened with PERF_COUNT_SW_BPF_OUTPUT on `cpu`). */
export class PerfBuffer {
  /** Data area in bytes. */
  readonly size: number;
  private used = 0;
  private pendingLost = 0;
  private lostTotal = 0;
  private readonly queue: PerfRecord[] = [];

  constructor(
    readonly cpu: number,
    readonly pages: number,
  ) {
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0) {
      throw new MapError(-EINVAL, `perf buffer: page count ${pages} must be a power of 2`);
    }
    this.size = pages * PAGE_SIZE;
  }

  /** Samples lost on this buffer since it was opened (event->lost_samples). */
  get lost(): number {
    return this.lostTotal;
  }

  /** Bytes written and not yet read. */
  get pending(): number {
    return this.used;
  }

  /** perf_event_output(): 0, or -ENOSPC when the record does not fit (and is counted lost). */
  write(raw: Uint8Array): number {
    const rawSize = roundUp8(raw.length + 4);
    const need = 8 + rawSize + (this.pendingLost > 0 ? LOST_RECORD_SIZE : 0);
    // CIRC_SPACE(): the ring never fills its last byte.
    if (this.size - 1 - this.used < need) {
      this.pendingLost++;
      this.lostTotal++;
      return -ENOSPC;
    }
    if (this.pendingLost > 0) {
      this.queue.push({ type: 'lost', lost: this.pendingLost });
      this.pendingLost = 0;
    }
    const data = new Uint8Array(rawSize - 4);
    data.set(raw);
    this.queue.push({ type: 'sample', data });
    this.used += need;
    return 0;
  }

  /** Read everything (perf_buffer__consume_buffer), freeing the space. */
  read(): PerfRecord[] {
    const out = this.queue.slice();
    this.queue.length = 0;
    this.used = 0;
    return out;
  }
}

export class PerfEventArrayMap extends BaseMap {
  private readonly slots: (PerfBuffer | undefined)[];

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.slots = new Array<PerfBuffer | undefined>(def.maxEntries).fill(undefined);
  }

  /** Store a perf event in slot `index` (an update with a perf event fd); undefined clears it. */
  setEvent(index: number, buf: PerfBuffer | undefined): number {
    const i = index >>> 0;
    if (i >= this.def.maxEntries) return -E2BIG;
    if (buf === undefined) return this.sysDelete(u32Bytes(i));
    this.slots[i] = buf;
    return 0;
  }

  /** libbpf's perf_buffer__new(): a buffer of `pages` pages for each CPU, in the slot of that CPU. */
  openBuffers(pages: number): PerfBuffer[] {
    const n = Math.min(this.nCpus, this.def.maxEntries);
    return Array.from({ length: n }, (_, cpu) => {
      const buf = new PerfBuffer(cpu, pages);
      this.slots[cpu] = buf;
      return buf;
    });
  }

  buffer(index: number): PerfBuffer | undefined {
    return this.slots[index >>> 0];
  }

  /**
   * bpf_perf_event_output() from a program on `cpu`. The low 32 bits of `flags` pick the slot
   * (BPF_F_CURRENT_CPU: the running CPU's); for skb/XDP programs the high bits ask for that
   * many bytes of the packet (`ctx`) to follow the data.
   */
  output(cpu: number, flags: bigint, data: Uint8Array, ctx?: Uint8Array): number {
    const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
    if (flags & ~(BPF_F_INDEX_MASK | (ctx === undefined ? 0n : BPF_F_CTXLEN_MASK))) return -EINVAL;
    if (ctx !== undefined && ctxLen > ctx.length) return -EFAULT;
    let index = flags & BPF_F_INDEX_MASK;
    if (index === BPF_F_CURRENT_CPU) index = BigInt(cpu);
    if (index >= BigInt(this.def.maxEntries)) return -E2BIG;
    const buf = this.slots[Number(index)];
    if (buf === undefined) return -ENOENT;
    // The event must be the one opened on the running CPU.
    if (buf.cpu !== cpu) return -EOPNOTSUPP;
    if (ctx === undefined || ctxLen === 0) return buf.write(data);
    const raw = new Uint8Array(data.length + ctxLen);
    raw.set(data);
    raw.set(ctx.subarray(0, ctxLen), data.length);
    return buf.write(raw);
  }

  /** Read and free everything in the buffer of `cpu` (its own slot, else the first slot opened on it). */
  readCpu(cpu: number): PerfRecord[] {
    return this.bufferOf(cpu)?.read() ?? [];
  }

  /** Samples lost on `cpu`'s buffer so far. */
  lost(cpu: number): number {
    return this.bufferOf(cpu)?.lost ?? 0;
  }

  // ---- user side ----

  /** No map_fd_sys_lookup_elem for perf events: user space cannot read the slots. */
  protected sysLookup(): MapResult<MapValue> {
    return { err: -ENOTSUPP };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    if (flags !== BPF_ANY) return -EINVAL;
    if (u32Key(key) >= this.def.maxEntries) return -E2BIG;
    const entry = this.host.fd?.(u32Key(v));
    if (entry === undefined || entry.kind !== 'perf_event' || !(entry.obj instanceof PerfBuffer)) return -EBADF;
    return this.setEvent(u32Key(key), entry.obj);
  }

  protected override sysDelete(key: Uint8Array): number {
    const i = u32Key(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if (this.slots[i] === undefined) return -ENOENT;
    this.slots[i] = undefined;
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    return arrayNextKey(key, this.def.maxEntries);
  }

  /** Occupied slots (their values are not readable from user space). */
  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    this.slots.forEach((b, i) => {
      if (b !== undefined) out.push({ key: u32Bytes(i) });
    });
    return out;
  }

  protected releaseValues(): void {
    this.slots.fill(undefined);
  }

  private bufferOf(cpu: number): PerfBuffer | undefined {
    const own = this.slots[cpu];
    return own?.cpu === cpu ? own : this.slots.find((b) => b?.cpu === cpu);
  }
}
