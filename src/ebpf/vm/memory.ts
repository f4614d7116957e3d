/**
 * The engines' memory model: a program sees 64-bit addresses; the high 32 bits name a region
 * (context, packet, stack, a map value, read-only data…), the low 32 bits are a byte offset into
 * that region's buffer. Every access is checked against the region's valid window [start, end)
 * and its permissions, so a program can never reach host memory, whatever it computes.
 *
 * Regions are cheap to add and remove, so a map can give each value its own region and a
 * lookup can hand the program a real pointer that it writes through.
 */

export type RegionKind = 'ctx' | 'packet' | 'stack' | 'map_value' | 'rodata' | 'mem' | 'map' | 'ringbuf' | 'sock' | 'func';

/** Loads/stores of a region that need more than bytes (the kernel's ctx access rewrites). */
export interface SpecialAccess {
  /** Return the loaded value as [lo, hi] int32 halves, or undefined to fall back to the bytes. */
  load?(off: number, size: number): readonly [number, number] | undefined;
  /** Return true when the store was handled; throw a MemoryFault-message string to refuse it. */
  store?(off: number, size: number, lo: number, hi: number): boolean;
}

export interface Region {
  /** High 32 bits of every address in this region. */
  readonly tag: number;
  readonly kind: RegionKind;
  /** Human name for messages: "stack", "packet", "map 'counters' value"… */
  name: string;
  bytes: Uint8Array;
  view: DataView;
  /** Valid window, in offsets of `bytes`. Packets move it on adjust_head/tail; the stack on calls. */
  start: number;
  end: number;
  readable: boolean;
  writable: boolean;
  special?: SpecialAccess;
  /** The object behind the region (a map, a packet, a socket) for helpers that receive a pointer. */
  owner?: unknown;
  /** Cached address of offset 0 (see Memory.addr). */
  addr0?: bigint;
  /**
   * Set by every write into the region (engine stores and atomics, Memory.writable); cleared by
   * its owner. Lets the datapath skip copying a packet back when the program did not write it.
   */
  dirty: boolean;
}

/** First region tag. Chosen so that no region address is 0 (NULL) or a small integer. */
export const TAG_BASE = 0x0000_1000;

export class MemoryFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryFault';
  }
}

export const fmtAddr = (hi: number, lo: number): string =>
  '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');

export class Memory {
  /** Indexed by tag - TAG_BASE. Holes (undefined) are freed tags. */
  readonly regions: (Region | undefined)[] = [];
  private readonly free: number[] = [];

  add(
    kind: RegionKind,
    name: string,
    bytes: Uint8Array,
    opts: { start?: number; end?: number; writable?: boolean; readable?: boolean; special?: SpecialAccess; owner?: unknown } = {},
  ): Region {
    const idx = this.free.length > 0 ? (this.free.pop() as number) : this.regions.length;
    const r: Region = {
      tag: TAG_BASE + idx,
      kind,
      name,
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      start: opts.start ?? 0,
      end: opts.end ?? bytes.length,
      readable: opts.readable ?? true,
      writable: opts.writable ?? true,
      special: opts.special,
      owner: opts.owner,
      // Every field present from the start: one hidden class for all regions keeps the engines'
      // memory accesses monomorphic.
      addr0: undefined,
      dirty: false,
    };
    this.regions[idx] = r;
    return r;
  }

  remove(r: Region): void {
    const idx = r.tag - TAG_BASE;
    if (this.regions[idx] === r) {
      this.regions[idx] = undefined;
      this.free.push(idx);
    }
  }

  /** Replace a region's buffer (a packet grown by adjust_head/tail keeps its tag). */
  rebind(r: Region, bytes: Uint8Array, start: number, end: number): void {
    r.bytes = bytes;
    r.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    r.start = start;
    r.end = end;
  }

  region(hi: number): Region | undefined {
    return this.regions[hi - TAG_BASE];
  }

  /** Address of `off` within region r, as a BigInt (for helpers and tests). */
  static addr(r: Region, off: number): bigint {
    // Map lookups return a value region's base on every call: keep it instead of rebuilding the BigInt.
    if (off === 0) return (r.addr0 ??= BigInt(r.tag) << 32n);
    return (BigInt(r.tag) << 32n) | BigInt(off >>> 0);
  }

  /** Resolve [addr, addr+len) to a region and offset, checking bounds and permission. */
  resolve(hi: number, lo: number, len: number, write: boolean): { region: Region; off: number } {
    const r = this.regions[hi - TAG_BASE];
    const off = lo >>> 0;
    if (r === undefined) throw new MemoryFault(`invalid ${write ? 'write' : 'read'} of ${len} bytes at ${fmtAddr(hi, lo)}: not a mapped region`);
    if (off < r.start || off + len > r.end || len < 0) {
      throw new MemoryFault(
        `invalid ${write ? 'write' : 'read'} of ${len} bytes at ${fmtAddr(hi, lo)}: out of bounds of ${r.name} ` +
          `(offset ${off - r.start}, size ${r.end - r.start})`,
      );
    }
    if (write ? !r.writable : !r.readable) throw new MemoryFault(`invalid ${write ? 'write' : 'read'} of ${len} bytes at ${fmtAddr(hi, lo)}: ${r.name} is ${write ? 'read-only' : 'not readable'}`);
    return { region: r, off };
  }

  /** A checked view of [hi:lo, +len), without building a BigInt address (helpers' hot path). */
  readHiLo(hi: number, lo: number, len: number): Uint8Array {
    const r = this.regions[hi - TAG_BASE];
    const off = lo >>> 0;
    // The checks of resolve(), without its result object (map keys are read on every lookup).
    if (r !== undefined && off >= r.start && off + len <= r.end && len >= 0 && r.readable) return r.bytes.subarray(off, off + len);
    const { region, off: o } = this.resolve(hi, lo, len, false);
    return region.bytes.subarray(o, o + len);
  }

  /** A checked view of program memory, for helpers: `bytes(addr, len)`. */
  read(addr: bigint, len: number): Uint8Array {
    const { region, off } = this.resolve(Number(addr >> 32n) | 0, Number(addr & 0xffff_ffffn) | 0, len, false);
    return region.bytes.subarray(off, off + len);
  }

  /** A checked writable view of program memory. */
  writable(addr: bigint, len: number): Uint8Array {
    const { region, off } = this.resolve(Number(addr >> 32n) | 0, Number(addr & 0xffff_ffffn) | 0, len, true);
    region.dirty = true;
    return region.bytes.subarray(off, off + len);
  }

  regionOf(addr: bigint): Region | undefined {
    return this.regions[Number(addr >> 32n) - TAG_BASE];
  }
}
