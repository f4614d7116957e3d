/**
 * bpf_fib_lookup(ctx, params, plen, flags): net/core/filter.c bpf_xdp_fib_lookup /
 * bpf_skb_fib_lookup with bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup. The routing and neighbour
 * decision is the host's (Host.fibLookup); this helper does the argument checks, the parts the
 * kernel does before and after the table lookup (device check, IPv6 link-local refusal, MTU
 * check) and writes the results back into struct bpf_fib_lookup:
 *
 *   0 family  1 l4_protocol  2 sport  4 dport  6 tot_len|mtu_result  8 ifindex
 *   12 tos|flowinfo|rt_metric  16 ipv4_src|ipv6_src[4]  32 ipv4_dst|ipv6_dst[4]
 *   48 h_vlan_proto  50 h_vlan_TCI|tbid  52 mark|smac[6]  58 dmac[6]   (64 bytes)
 *
 * Flag and error behaviour checked against Linux 6.18 (BPF_FIB_LOOKUP_MARK is accepted).
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { envOf, isXdp, u32 } from './context.ts';
import { EAFNOSUPPORT, EINVAL, ENODEV } from './errno.ts';

export const BPF_FIB_LOOKUP_SIZE = 64;
export const BPF_FIB_LOOKUP_DIRECT = 1 << 0;
export const BPF_FIB_LOOKUP_OUTPUT = 1 << 1;
export const BPF_FIB_LOOKUP_SKIP_NEIGH = 1 << 2;
export const BPF_FIB_LOOKUP_TBID = 1 << 3;
export const BPF_FIB_LOOKUP_SRC = 1 << 4;
export const BPF_FIB_LOOKUP_MARK = 1 << 5;
const FLAG_MASK = 0x3f;
export const BPF_FIB_LKUP_RET_SUCCESS = 0;
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
export const BPF_FIB_LKUP_RET_FRAG_NEEDED = 8;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** rt6_need_strict(): multicast, link-local or loopback addresses are never forwarded. */
function ipv6NeedStrict(a: Uint8Array): boolean {
  if (a[0] === 0xff) return true;
  if (a[0] === 0xfe && (a[1] & 0xc0) === 0x80) return true;
  return a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
}

function fibLookup(c: HelperContext): number {
  const env = envOf(c);
  const plen = c.argLo(3) | 0;
  const flags = u32(c, 4);
  if (plen < BPF_FIB_LOOKUP_SIZE) return EINVAL;
  if (flags & ~FLAG_MASK) return EINVAL;
  const p = c.mem.writable(c.arg(2), BPF_FIB_LOOKUP_SIZE);
  const v = new DataView(p.buffer, p.byteOffset, BPF_FIB_LOOKUP_SIZE);
  const family = p[0];
  if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
  const v6 = family === AF_INET6;
  const src = p.slice(16, v6 ? 32 : 20);
  const dst = p.slice(32, v6 ? 48 : 36);
  if (v6 && (ipv6NeedStrict(dst) || ipv6NeedStrict(src))) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const ifindex = v.getUint32(8, true);
  if (!env.host.hasDevice(ifindex)) return ENODEV;
  const totLen = v.getUint16(6, true);
  const r = env.host.fibLookup({ family, dst, src, ifindex, tos: v6 ? v.getUint32(12, true) : p[12], flags });
  if (r.ret !== BPF_FIB_LKUP_RET_SUCCESS) {
    if (r.ret === BPF_FIB_LKUP_RET_FRAG_NEEDED) v.setUint16(6, r.mtu, true);
    return r.ret;
  }
  // XDP always checks tot_len against the route MTU; tc only when tot_len is given, and otherwise
  // checks the skb itself against the egress device (is_skb_forwardable) and reports its MTU.
  const checkMtu = isXdp(env) || totLen !== 0;
  if (checkMtu && r.mtu > 0 && totLen > r.mtu) {
    v.setUint16(6, r.mtu, true);
    return BPF_FIB_LKUP_RET_FRAG_NEEDED;
  }
  v.setUint32(8, r.ifindex, true);
  v.setUint16(48, 0, true); // h_vlan_proto
  v.setUint16(50, 0, true); // h_vlan_TCI
  p.set(r.smac.subarray(0, 6), 52);
  p.set(r.dmac.subarray(0, 6), 58);
  if (!checkMtu) {
    v.setUint16(6, r.mtu, true);
    const len = env.skb?.pkt.len ?? 0;
    // is_skb_forwardable(): the device MTU plus its Ethernet header and one VLAN tag.
    if (r.mtu > 0 && len > r.mtu + 14 + 4) return BPF_FIB_LKUP_RET_FRAG_NEEDED;
  } else if (r.mtu) {
    v.setUint16(6, r.mtu, true);
  }
  return BPF_FIB_LKUP_RET_SUCCESS;
}

export const FIB_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([[69, fibLookup]]);
