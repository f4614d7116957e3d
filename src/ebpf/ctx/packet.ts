/**
 * A packet buffer as XDP and the skb see it: [hard_start … data_meta … data … data_end … hard_end]
 * with headroom before data and tailroom after data_end. Models include/net/xdp.h (xdp_buff)
 * and the data/head/tail pointers of struct sk_buff that BPF programs reach.
 *
 * The buffer is one Memory region whose valid window is [data_meta, data_end): a program can
 * read and write the packet (and its metadata) but never the headroom or the tailroom.
 */
import { Memory, type Region } from '../vm/memory.ts';
import type { XdpFrag } from './xdp-frags.ts';

/** XDP_PACKET_HEADROOM (include/uapi/linux/bpf.h). */
export const XDP_PACKET_HEADROOM = 256;
/** A page: the frame size of XDP buffers in BPF_PROG_TEST_RUN and most drivers. */
export const PAGE_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86_64: tailroom an XDP frame keeps. */
export const SKB_SHARED_INFO_SIZE = 320;
/** sizeof(struct xdp_frame): adjust_head/meta may not move data into it. */
export const XDP_FRAME_SIZE = 40;
export const ETH_HLEN = 14;

export const EINVAL = -22;
export const EACCES = -13;
export const ENOMEM = -12;
export const EFAULT = -14;

export class PacketBuf {
  buf: Uint8Array;
  /** Offsets into buf. */
  dataMeta: number;
  data: number;
  dataEnd: number;
  /** Frame end: data_end may not pass it (tailroom keeps skb_shared_info). */
  hardEnd: number;
  readonly region: Region;
  /**
   * Page fragments after data_end (multi-buffer XDP, test runs only; see xdp-frags.ts): undefined
   * for a linear frame, which is every frame of the datapath.
   */
  frags?: XdpFrag[];
  /** skb_shared_info.xdp_frags_size: bytes in frags. */
  fragsSize = 0;
  /**
   * A helper reached the packet (see helpers/context.ts): it may have written bytes without the
   * memory model seeing it, so the packet counts as changed.
   */
  touched = false;
  /** Buffer and offsets as reset() laid them, to tell whether a run changed the packet. */
  private resetBuf?: Uint8Array;
  private resetMeta = 0;
  private resetData = 0;
  private resetEnd = 0;

  constructor(
    readonly mem: Memory,
    payload: Uint8Array,
    opts: { headroom?: number; tailroom?: number; frameSize?: number; name?: string; metaLen?: number } = {},
  ) {
    const headroom = opts.headroom ?? XDP_PACKET_HEADROOM;
    const tailroom = opts.tailroom ?? SKB_SHARED_INFO_SIZE;
    const size = Math.max(opts.frameSize ?? 0, headroom + payload.length + tailroom);
    this.buf = new Uint8Array(size);
    const metaLen = opts.metaLen ?? 0;
    this.buf.set(payload, headroom - metaLen);
    this.dataMeta = headroom - metaLen;
    this.data = headroom;
    this.dataEnd = headroom - metaLen + payload.length;
    this.hardEnd = size - tailroom;
    this.region = mem.add('packet', opts.name ?? 'packet', this.buf, { start: this.dataMeta, end: this.dataEnd, owner: this });
  }

  /**
   * Reuse this buffer for another packet (the datapath runs one program at a time, so one
   * buffer per hook kind serves every packet): headroom, meta and payload as the constructor lays them.
   */
  reset(payload: Uint8Array, headroom: number, meta?: Uint8Array): void {
    const metaLen = meta?.length ?? 0;
    const need = headroom + payload.length + (this.buf.length - this.hardEnd);
    if (need > this.buf.length) {
      const tail = this.buf.length - this.hardEnd;
      this.buf = new Uint8Array(need);
      this.hardEnd = need - tail;
    }
    this.buf.set(payload, headroom);
    if (meta && metaLen) this.buf.set(meta, headroom - metaLen);
    this.dataMeta = headroom - metaLen;
    this.data = headroom;
    this.dataEnd = headroom + payload.length;
    this.sync();
    this.region.dirty = false;
    this.touched = false;
    this.resetBuf = this.buf;
    this.resetMeta = this.dataMeta;
    this.resetData = this.data;
    this.resetEnd = this.dataEnd;
  }

  /**
   * Whether anything may have changed the packet or its metadata since reset(): a store into the
   * region, a helper that reached the packet, or moved pointers. Conservative: a helper that
   * only read the packet counts as a change (the caller then copies, which is always correct).
   */
  changedSinceReset(): boolean {
    return (
      this.region.dirty ||
      this.touched ||
      this.buf !== this.resetBuf ||
      this.dataMeta !== this.resetMeta ||
      this.data !== this.resetData ||
      this.dataEnd !== this.resetEnd
    );
  }

  /** XDP frames have room for an xdp_frame in the headroom; skbs start at 0. */
  get minData(): number {
    return XDP_FRAME_SIZE;
  }

  get len(): number {
    return this.dataEnd - this.data;
  }

  get metaLen(): number {
    return this.data - this.dataMeta;
  }

  /** Address of an offset in the buffer, as the program sees it. */
  addr(off: number): bigint {
    return Memory.addr(this.region, off);
  }

  /** Packet bytes [data, data_end). A view: writes go to the packet. */
  bytes(): Uint8Array {
    return this.buf.subarray(this.data, this.dataEnd);
  }

  meta(): Uint8Array {
    return this.buf.subarray(this.dataMeta, this.data);
  }

  /** Keep the program-visible window in step with the pointers. */
  sync(): void {
    if (this.region.bytes !== this.buf) this.mem.rebind(this.region, this.buf, this.dataMeta, this.dataEnd);
    this.region.start = this.dataMeta;
    this.region.end = this.dataEnd;
  }

  /** bpf_xdp_adjust_head (net/core/filter.c): move data by delta; the metadata moves with it. */
  xdpAdjustHead(delta: number): number {
    const metaLen = this.metaLen;
    const data = this.data + delta;
    if (data < this.minData + metaLen || data > this.dataEnd - ETH_HLEN) return EINVAL;
    if (metaLen > 0) this.buf.copyWithin(this.dataMeta + delta, this.dataMeta, this.data);
    this.dataMeta += delta;
    this.data = data;
    this.sync();
    return 0;
  }

  /** bpf_xdp_adjust_tail: move data_end by delta; grown bytes are zeroed as the kernel does. */
  xdpAdjustTail(delta: number): number {
    const end = this.dataEnd + delta;
    if (end > this.hardEnd || end - this.data < ETH_HLEN) return EINVAL;
    if (delta > 0) this.buf.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    this.sync();
    return 0;
  }

  /**
   * bpf_xdp_adjust_meta: metadata may not reach into the xdp_frame (-EINVAL), and its length
   * must be a multiple of 4 and at most 255 bytes (-EACCES) — measured on Linux 6.18.
   */
  xdpAdjustMeta(delta: number): number {
    const meta = this.dataMeta + delta;
    const metaLen = this.data - meta;
    if (meta < this.minData) return EINVAL;
    if (meta > this.data) return EINVAL;
    if (metaLen > 255 || (metaLen & 3) !== 0) return EACCES;
    this.dataMeta = meta;
    this.sync();
    return 0;
  }

  /** Make room: ensure `head` bytes of headroom before data and `tail` bytes after data_end (skb paths reallocate). */
  ensureRoom(head: number, tail: number): void {
    const needHead = Math.max(0, head - this.dataMeta);
    const needTail = Math.max(0, this.dataEnd + tail - this.hardEnd);
    if (needHead === 0 && needTail === 0) return;
    const tailroom = this.buf.length - this.hardEnd;
    const nb = new Uint8Array(this.buf.length + needHead + needTail);
    nb.set(this.buf, needHead);
    this.buf = nb;
    this.dataMeta += needHead;
    this.data += needHead;
    this.dataEnd += needHead;
    this.hardEnd = nb.length - tailroom;
    this.sync();
  }

  /** skb push/pull: move data by delta (negative grows the packet at the front). */
  skbMoveHead(delta: number): void {
    if (delta < 0) this.ensureRoom(-delta, 0);
    this.data += delta;
    this.dataMeta = this.data;
    this.sync();
  }

  /** skb trim/put: set the packet length, zero-filling growth. */
  skbSetLen(len: number): void {
    if (len > this.len) {
      this.ensureRoom(0, len - this.len);
      this.buf.fill(0, this.dataEnd, this.data + len);
    }
    this.dataEnd = this.data + len;
    this.sync();
  }

  release(): void {
    this.mem.remove(this.region);
  }
}
