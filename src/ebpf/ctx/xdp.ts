/**
 * struct xdp_md as an XDP program sees it. The kernel rewrites loads of data, data_end and
 * data_meta into loads of the xdp_buff's pointers (net/core/filter.c: xdp_convert_ctx_access);
 * here the context region answers those loads with real packet pointers. Every field is
 * read-only for the program.
 */
import { Memory, MemoryFault, type Region } from '../vm/memory.ts';
import { fieldAt, fieldByName, pair, XDP_MD, XDP_MD_SIZE } from './layout.ts';
import type { PacketBuf } from './packet.ts';

export class XdpCtx {
  readonly region: Region;
  readonly view: DataView;

  constructor(
    readonly mem: Memory,
    public pkt: PacketBuf,
    init: { ingress_ifindex?: number; rx_queue_index?: number; egress_ifindex?: number } = {},
  ) {
    const bytes = new Uint8Array(XDP_MD_SIZE);
    this.view = new DataView(bytes.buffer);
    this.region = mem.add('ctx', 'xdp_md', bytes, {
      owner: this,
      special: {
        load: (off, size) => this.load(off, size),
        store: (off) => {
          throw new MemoryFault(`write to xdp_md.${fieldAt(XDP_MD, off)?.name ?? `+${off}`}: xdp_md is read-only`);
        },
      },
    });
    this.set('ingress_ifindex', init.ingress_ifindex ?? 0);
    this.set('rx_queue_index', init.rx_queue_index ?? 0);
    this.set('egress_ifindex', init.egress_ifindex ?? 0);
  }

  /** Reuse for another packet (see PacketBuf.reset). */
  reset(pkt: PacketBuf, ingress_ifindex: number, rx_queue_index: number, egress_ifindex = 0): void {
    this.pkt = pkt;
    this.view.setUint32(12, ingress_ifindex >>> 0, true);
    this.view.setUint32(16, rx_queue_index >>> 0, true);
    this.view.setUint32(20, egress_ifindex >>> 0, true);
  }

  /** The context pointer programs get in r1 (constant: the region never moves). */
  get addr(): bigint {
    return (this.addrCache ??= Memory.addr(this.region, 0));
  }
  private addrCache?: bigint;

  get(name: string): number {
    return this.view.getUint32(fieldByName(XDP_MD, name).off, true);
  }

  set(name: string, v: number): void {
    this.view.setUint32(fieldByName(XDP_MD, name).off, v >>> 0, true);
  }

  private load(off: number, size: number): readonly [number, number] | undefined {
    const f = fieldAt(XDP_MD, off);
    if (!f?.ptr) return undefined;
    if (off !== f.off || size !== 4) throw new MemoryFault(`xdp_md.${f.name} must be read as a whole u32`);
    const p = this.pkt;
    const at = f.name === 'data' ? p.data : f.name === 'data_end' ? p.dataEnd : p.dataMeta;
    return pair(this.out, at, p.region.tag);
  }
  /** The engine copies a special load's halves into a register at once: one pair serves every load. */
  private readonly out: [number, number] = [0, 0];

  /** The context as the kernel's ctx_out presents it: offsets relative to data_meta. */
  toCtxOut(): Uint8Array {
    const out = new Uint8Array(XDP_MD_SIZE);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.pkt.data - this.pkt.dataMeta, true);
    v.setUint32(4, this.pkt.dataEnd - this.pkt.dataMeta, true);
    v.setUint32(8, 0, true);
    for (const n of ['ingress_ifindex', 'rx_queue_index', 'egress_ifindex']) v.setUint32(fieldByName(XDP_MD, n).off, this.get(n), true);
    return out;
  }

  release(): void {
    this.mem.remove(this.region);
  }
}
