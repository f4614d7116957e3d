/**
 * Event output helpers. bpf_perf_event_output is a different function per program type:
 * bpf_xdp_event_output and bpf_skb_event_output (net/core/filter.c: the packet may follow the
 * data, BPF_F_CTXLEN_MASK bytes of it), bpf_event_output_data (kernel/bpf/helpers.c: sk_msg,
 * sock_ops, cgroup sock programs) and bpf_perf_event_output (kernel/trace/bpf_trace.c: tracing);
 * all end in __bpf_perf_event_output(), which PerfEventArrayMap.output models. The ring buffer
 * helpers are kernel/bpf/ringbuf.c: bpf_ringbuf_output, bpf_ringbuf_reserve, bpf_ringbuf_submit,
 * bpf_ringbuf_discard, bpf_ringbuf_query.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { PerfEventArrayMap, RingBufMap } from '../maps/index.ts';
import { envOf, HelperError, isXdp, mapArgOf, readBytes } from './context.ts';
import { EINVAL } from './errno.ts';
import { xdpBuffLen, xdpCopy } from '../ctx/xdp-frags.ts';

/** Program types whose perf_event_output is bpf_skb_event_output. */
const SKB_EVENT_TYPES = new Set([
  'BPF_PROG_TYPE_SOCKET_FILTER',
  'BPF_PROG_TYPE_SCHED_CLS',
  'BPF_PROG_TYPE_SCHED_ACT',
  'BPF_PROG_TYPE_CGROUP_SKB',
  'BPF_PROG_TYPE_SK_SKB',
  'BPF_PROG_TYPE_LWT_IN',
  'BPF_PROG_TYPE_LWT_OUT',
  'BPF_PROG_TYPE_LWT_XMIT',
  'BPF_PROG_TYPE_LWT_SEG6LOCAL',
]);

/** bpf_perf_event_output(ctx, map, flags, data, size) */
function perfEventOutput(c: HelperContext): number {
  const env = envOf(c);
  const map = mapArgOf(c, 2, 'bpf_perf_event_output', PerfEventArrayMap, 'a perf event array');
  const flags = c.arg(3);
  const size = Number(c.arg(5) & 0xffff_ffffn);
  let ctx: Uint8Array | undefined;
  if (isXdp(env)) {
    const pkt = env.xdp?.pkt ?? env.pkt;
    // bpf_xdp_event_output: the sample may take the whole frame, fragments included (bpf_xdp_copy).
    if (pkt?.frags !== undefined) {
      ctx = new Uint8Array(xdpBuffLen(pkt));
      xdpCopy(pkt, 0, ctx, ctx.length, false);
    } else ctx = pkt?.bytes();
  } else if (SKB_EVENT_TYPES.has(env.progType) && env.skb !== undefined) {
    ctx = env.skb.pkt.bytes();
  }
  // The data is read before the flags are checked: an out-of-bounds pointer is the verifier's business.
  const data = readBytes(c, c.arg(4), size);
  return map.output(env.cpu, flags, data, ctx);
}

function ringbufOf(c: HelperContext, helper: string): RingBufMap {
  return mapArgOf(c, 1, helper, RingBufMap, 'a ring buffer');
}

/** The ring buffer a reserved sample belongs to (the sample's region is owned by its map). */
function sampleRing(c: HelperContext, helper: string): RingBufMap {
  const owner = c.mem.regionOf(c.arg(1))?.owner;
  if (!(owner instanceof RingBufMap)) throw new HelperError(`${helper}: argument 1 is not a ring buffer sample`);
  return owner;
}

export const EVENT_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [25, perfEventOutput],
  // bpf_ringbuf_output(ringbuf, data, size, flags)
  [130, (c) => {
    const map = ringbufOf(c, 'bpf_ringbuf_output');
    if (c.arg(4) & ~3n) return EINVAL;
    return map.output(readBytes(c, c.arg(2), Number(c.arg(3) & 0xffff_ffffn)), c.arg(4));
  }],
  // bpf_ringbuf_reserve(ringbuf, size, flags): a sample pointer or NULL
  [131, (c) => ringbufOf(c, 'bpf_ringbuf_reserve').reserve(c.arg(2), c.arg(3))],
  // bpf_ringbuf_submit(data, flags) and bpf_ringbuf_discard(data, flags) return void (0 here).
  [132, (c) => {
    sampleRing(c, 'bpf_ringbuf_submit').submit(c.arg(1), c.arg(2));
    return 0;
  }],
  [133, (c) => {
    sampleRing(c, 'bpf_ringbuf_discard').discard(c.arg(1), c.arg(2));
    return 0;
  }],
  [134, (c) => ringbufOf(c, 'bpf_ringbuf_query').query(c.arg(2))],
]);
