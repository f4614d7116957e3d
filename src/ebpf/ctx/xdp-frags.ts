/**
 * Multi-buffer XDP (include/net/xdp.h, net/core/filter.c): an xdp_buff whose packet continues past
 * data_end in page fragments (skb_shared_info.frags, each a page at offset 0 holding up to
 * PAGE_SIZE bytes, at most MAX_SKB_FRAGS of them). Only BPF_PROG_TEST_RUN builds such frames: its
 * data_in beyond the linear area goes to fragments, for programs with and without
 * BPF_F_XDP_HAS_FRAGS alike (measured on Linux 6.18). Programs reach fragment bytes only through
 * helpers (data/data_end cover the linear part), so fragments are plain arrays outside the
 * program's memory. The single-buffer path never comes here: PacketBuf.frags stays undefined.
 */
import { ETH_HLEN, EINVAL, type PacketBuf, PAGE_SIZE } from './packet.ts';

/** CONFIG_MAX_SKB_FRAGS (17 by default, as on this kernel). */
export const MAX_SKB_FRAGS = 17;

/** skb_frag_t as test_run fills it: a page, offset 0, `size` bytes used. */
export interface XdpFrag {
  page: Uint8Array;
  size: number;
}

/** xdp_get_buff_len(): the linear part plus every fragment. */
export function xdpBuffLen(pkt: PacketBuf): number {
  return pkt.frags === undefined ? pkt.len : pkt.len + pkt.fragsSize;
}

/**
 * Copy `len` bytes at packet offset `off` (from data) between the frame and `ext`, across the
 * linear part and the fragments (bpf_xdp_copy_buf). The caller has checked the range.
 */
export function xdpCopy(pkt: PacketBuf, off: number, ext: Uint8Array, len: number, toFrame: boolean): void {
  let done = 0;
  const copy = (area: Uint8Array, start: number, size: number): void => {
    if (done >= len) return;
    if (off >= size) {
      off -= size;
      return;
    }
    const n = Math.min(size - off, len - done);
    if (toFrame) area.set(ext.subarray(done, done + n), start + off);
    else ext.set(area.subarray(start + off, start + off + n), done);
    done += n;
    off = 0;
  };
  copy(pkt.buf, pkt.data, pkt.len);
  for (const f of pkt.frags ?? []) copy(f.page, 0, f.size);
}

/**
 * bpf_xdp_adjust_tail on a frame with fragments: growing extends the last fragment into its page
 * (zeroed; -EINVAL past the page), shrinking trims fragments from the end, releasing emptied ones
 * and, once none is left, the linear part (-EINVAL below ETH_HLEN in all).
 */
export function xdpFragsAdjustTail(pkt: PacketBuf, delta: number): number {
  const frags = pkt.frags as XdpFrag[];
  if (delta >= 0) {
    const last = frags[frags.length - 1];
    if (delta > PAGE_SIZE - last.size) return EINVAL;
    last.page.fill(0, last.size, last.size + delta);
    last.size += delta;
    pkt.fragsSize += delta;
    return 0;
  }
  let offset = -delta;
  if (offset > xdpBuffLen(pkt) - ETH_HLEN) return EINVAL;
  while (frags.length > 0 && offset > 0) {
    const last = frags[frags.length - 1];
    const shrink = Math.min(offset, last.size);
    offset -= shrink;
    pkt.fragsSize -= shrink;
    if (shrink < last.size) {
      last.size -= shrink;
      break;
    }
    frags.pop();
  }
  if (frags.length === 0) {
    pkt.frags = undefined;
    pkt.fragsSize = 0;
    pkt.dataEnd -= offset;
    pkt.sync();
  }
  return 0;
}

/** The whole packet from data_meta, linear part then fragments, as bpf_test_finish copies it out. */
export function xdpFrameBytes(pkt: PacketBuf): Uint8Array {
  const linear = pkt.buf.subarray(pkt.dataMeta, pkt.dataEnd);
  if (pkt.frags === undefined) return linear.slice();
  const out = new Uint8Array(linear.length + pkt.fragsSize);
  out.set(linear);
  let at = linear.length;
  for (const f of pkt.frags) {
    out.set(f.page.subarray(0, f.size), at);
    at += f.size;
  }
  return out;
}
