/**
 * struct __sk_buff as tc, socket filter, cgroup_skb and sk_skb programs see it. Plain fields
 * (mark, priority, cb…) live in the context region's bytes; len and the data pointers are
 * answered live from the packet, as the kernel's ctx rewrites read them from the sk_buff
 * (net/core/filter.c: bpf_convert_ctx_access). Writes are allowed only to the fields the
 * program type may write; the others stop the program with a memory fault.
 */
import { Memory, MemoryFault, type Region } from '../vm/memory.ts';
import { fieldAt, fieldByName, pair, SK_BUFF, SK_BUFF_SIZE, SKB_WRITABLE } from './layout.ts';
import type { PacketBuf } from './packet.ts';

/** include/linux/skbuff.h: skb->queue_mapping when no queue is recorded. */
const NO_QUEUE_MAPPING = 0xffff;

export class SkbCtx {
  readonly region: Region;
  readonly view: DataView;
  /** The same bytes as 32-bit words (every __sk_buff field is 4-aligned): the datapath fills them per packet. */
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
  /** Address of the socket (struct bpf_sock region) when the skb has one; 0n otherwise. */
  sk = 0n;

  constructor(
    readonly mem: Memory,
    public pkt: PacketBuf,
    readonly progType: string,
  ) {
    this.bytes = new Uint8Array(SK_BUFF_SIZE);
    this.view = new DataView(this.bytes.buffer);
    this.words = new Uint32Array(this.bytes.buffer);
    const writable = new Set(SKB_WRITABLE[progType] ?? []);
    this.region = mem.add('ctx', '__sk_buff', this.bytes, {
      owner: this,
      special: {
        load: (off, size) => this.load(off, size),
        store: (off, size, lo) => {
          const f = fieldAt(SK_BUFF, off);
          if (!f || !writable.has(f.name)) {
            throw new MemoryFault(`write to __sk_buff.${f?.name ?? `+${off}`} is not allowed for ${progType}`);
          }
          return this.storeU16(f.name, off, size, lo);
        },
      },
    });
  }

  /** Reuse for another packet: every field back to zero (see PacketBuf.reset). */
  reset(pkt: PacketBuf): void {
    this.pkt = pkt;
    this.bytes.fill(0);
    this.sk = 0n;
  }

  /** The context pointer programs get in r1 (constant: the region never moves). */
  get addr(): bigint {
    return (this.addrCache ??= Memory.addr(this.region, 0));
  }
  private addrCache?: bigint;

  get(name: string): number {
    const f = fieldByName(SK_BUFF, name);
    return f.size === 1 ? this.view.getUint8(f.off) : this.view.getUint32(f.off, true);
  }

  set(name: string, v: number): void {
    const f = fieldByName(SK_BUFF, name);
    if (f.size === 1) this.view.setUint8(f.off, v & 0xff);
    else this.view.setUint32(f.off, v >>> 0, true);
  }

  getU64(name: string): bigint {
    return this.view.getBigUint64(fieldByName(SK_BUFF, name).off, true);
  }

  setU64(name: string, v: bigint): void {
    this.view.setBigUint64(fieldByName(SK_BUFF, name).off, BigInt.asUintN(64, v), true);
  }

  /** skb->protocol in host order (the field holds the big-endian value). */
  get protocol(): number {
    const p = this.get('protocol');
    return ((p & 0xff) << 8) | ((p >> 8) & 0xff);
  }

  set protocol(hostOrder: number) {
    this.set('protocol', ((hostOrder & 0xff) << 8) | ((hostOrder >> 8) & 0xff));
  }

  /**
   * Fields the sk_buff keeps in 16 bits (bpf_convert_ctx_access stores a half word): tc_index and
   * tc_classid keep the low 16 bits; queue_mapping too, but a value ≥ NO_QUEUE_MAPPING (0xffff)
   * is not stored at all. Found with the kernel oracle; other fields store their bytes.
   */
  private storeU16(name: string, off: number, size: number, lo: number): boolean {
    if (name !== 'tc_index' && name !== 'tc_classid' && name !== 'queue_mapping') return false;
    const f = fieldByName(SK_BUFF, name);
    if (off !== f.off || size !== 4) throw new MemoryFault(`__sk_buff.${name} must be written whole (4 bytes)`);
    if (name === 'queue_mapping' && lo >>> 0 >= NO_QUEUE_MAPPING) return true;
    this.view.setUint32(off, lo & 0xffff, true);
    return true;
  }

  private load(off: number, size: number): readonly [number, number] | undefined {
    const f = fieldAt(SK_BUFF, off);
    if (!f) return undefined;
    const p = this.pkt;
    if (f.name === 'len') return off === f.off && size === 4 ? pair(this.out, p.len, 0) : undefined;
    if (!f.ptr) return undefined;
    if (off !== f.off || size !== (f.size === 8 ? 8 : 4)) throw new MemoryFault(`__sk_buff.${f.name} must be read whole`);
    switch (f.name) {
      case 'data':
        return pair(this.out, p.data, p.region.tag);
      case 'data_end':
        return pair(this.out, p.dataEnd, p.region.tag);
      case 'data_meta':
        return pair(this.out, p.dataMeta, p.region.tag);
      case 'sk':
        return pair(this.out, Number(this.sk & 0xffff_ffffn) | 0, Number(this.sk >> 32n) | 0);
      default:
        return pair(this.out, 0, 0);
    }
  }
  /** The engine copies a special load's halves into a register at once: one pair serves every load. */
  private readonly out: [number, number] = [0, 0];

  release(): void {
    this.mem.remove(this.region);
  }
}
