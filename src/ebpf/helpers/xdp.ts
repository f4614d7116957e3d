/**
 * XDP frame helpers, net/core/filter.c: bpf_xdp_adjust_head, bpf_xdp_adjust_tail,
 * bpf_xdp_adjust_meta, bpf_xdp_get_buff_len, bpf_xdp_load_bytes, bpf_xdp_store_bytes. A test run's
 * frame may carry page fragments (multi-buffer, ../ctx/xdp-frags.ts): get_buff_len, load/store
 * and adjust_tail see them; the linear case keeps its direct path. Checked against Linux 6.18's BPF_PROG_TEST_RUN: metadata may grow to 255
 * bytes (type_max of skb_shared_info.meta_len), in steps of 4, down to the end of the xdp_frame.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { XDP_FRAME_SIZE } from '../ctx/packet.ts';
import { xdpBuffLen, xdpCopy, xdpFragsAdjustTail } from '../ctx/xdp-frags.ts';
import { s32, u32, xdpPkt } from './context.ts';
import { EACCES, EFAULT, EINVAL } from './errno.ts';

/** xdp_metalen_invalid(): a multiple of 4, at most 255 bytes. */
export const XDP_META_MAX = 255;

function adjustHead(c: HelperContext): number {
  return xdpPkt(c, 'bpf_xdp_adjust_head').xdpAdjustHead(s32(c, 2));
}

function adjustTail(c: HelperContext): number {
  const pkt = xdpPkt(c, 'bpf_xdp_adjust_tail');
  return pkt.frags === undefined ? pkt.xdpAdjustTail(s32(c, 2)) : xdpFragsAdjustTail(pkt, s32(c, 2));
}

/** bpf_xdp_adjust_meta: -EINVAL outside [end of xdp_frame, data], -EACCES for a bad length. */
function adjustMeta(c: HelperContext): number {
  const pkt = xdpPkt(c, 'bpf_xdp_adjust_meta');
  const meta = pkt.dataMeta + s32(c, 2);
  if (meta < XDP_FRAME_SIZE || meta > pkt.data) return EINVAL;
  const metalen = pkt.data - meta;
  if ((metalen & 3) !== 0 || metalen > XDP_META_MAX) return EACCES;
  pkt.dataMeta = meta;
  pkt.sync();
  return 0;
}

/** bpf_xdp_pointer()'s checks, shared by load and store: offset and len in u16, the range in the whole packet. */
function xdpRange(c: HelperContext, helper: string): { at: number; len: number; err: number } {
  const pkt = xdpPkt(c, helper);
  const offset = u32(c, 2);
  const len = u32(c, 4);
  if (offset > 0xffff || len > 0xffff) return { at: 0, len, err: EFAULT };
  if (offset + len > xdpBuffLen(pkt)) return { at: 0, len, err: EINVAL };
  return { at: offset, len, err: 0 };
}

function loadBytes(c: HelperContext): number {
  const r = xdpRange(c, 'bpf_xdp_load_bytes');
  if (r.err) return r.err;
  const pkt = xdpPkt(c, 'bpf_xdp_load_bytes');
  const dst = c.mem.writable(c.arg(3), r.len);
  if (pkt.frags === undefined) dst.set(pkt.buf.subarray(pkt.data + r.at, pkt.data + r.at + r.len));
  else xdpCopy(pkt, r.at, dst, r.len, false);
  return 0;
}

function storeBytes(c: HelperContext): number {
  const r = xdpRange(c, 'bpf_xdp_store_bytes');
  if (r.err) return r.err;
  const pkt = xdpPkt(c, 'bpf_xdp_store_bytes');
  const src = c.mem.read(c.arg(3), r.len);
  if (pkt.frags === undefined) pkt.buf.set(src, pkt.data + r.at);
  else xdpCopy(pkt, r.at, src, r.len, true);
  return 0;
}

export const XDP_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [44, adjustHead],
  [65, adjustTail],
  [54, adjustMeta],
  [188, (c) => xdpBuffLen(xdpPkt(c, 'bpf_xdp_get_buff_len'))],
  [189, loadBytes],
  [190, storeBytes],
]);
