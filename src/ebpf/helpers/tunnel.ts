/**
 * Tunnel metadata, net/core/filter.c: bpf_skb_get_tunnel_key, bpf_skb_set_tunnel_key,
 * bpf_skb_get_tunnel_opt, bpf_skb_set_tunnel_opt. set_tunnel_key attaches a metadata dst to the
 * skb (here: SkbState.tunnel) that a collect_md tunnel device would encapsulate with; get reads
 * it back as a received tunnel's info, so remote and local change places (set: dst = remote;
 * get: remote = src). Sizes: struct bpf_tunnel_key is 44 bytes; the older layouts that end
 * before tunnel_ext (22), tunnel_label (24) or local_ipv6 (28) are accepted, and the
 * IPv4-only one that ends after remote_ipv4 (8). Flags and errors as Linux 6.18 returns them
 * in a test run (test/fixtures/helpers_net.c, tc_tunnel and tc_tunnel6).
 *
 * What is modelled: no simulated device is a tunnel, so the metadata lives as long as the skb's
 * helper state — one program run and its tail calls — and nothing encapsulates with it.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { skbOf, u32 } from './context.ts';
import { EINVAL, ENOENT, ENOMEM, EPROTO } from './errno.ts';
import { skbState, type TunnelInfo } from './skb-state.ts';

const BPF_F_TUNINFO_IPV6 = 1n << 0n;
const BPF_F_ZERO_CSUM_TX = 1n << 1n;
const BPF_F_DONT_FRAGMENT = 1n << 2n;
const BPF_F_SEQ_NUMBER = 1n << 3n;
const BPF_F_NO_TUNNEL_KEY = 1n << 4n;
/** get_tunnel_key: also report the key's flags in tunnel_flags. */
const BPF_F_TUNINFO_FLAGS = 1n << 4n;

/** sizeof(struct bpf_tunnel_key) and the offsets that end its older layouts. */
const KEY_SIZE = 44;
const OFF_REMOTE_IPV6_1 = 8;
const OFF_TUNNEL_EXT = 22;
const OFF_TUNNEL_LABEL = 24;
const OFF_LOCAL_IPV6 = 28;
const COMPAT_SIZES = new Set([OFF_TUNNEL_EXT, OFF_TUNNEL_LABEL, OFF_LOCAL_IPV6]);

const TUNNEL_CSUM = 0x1;
const TUNNEL_KEY = 0x4;
const TUNNEL_SEQ = 0x8;
const TUNNEL_DONT_FRAGMENT = 0x100;
const TUNNEL_NOCACHE = 0x2000;
/** TUNNEL_OPTIONS_PRESENT: GENEVE, VXLAN, ERSPAN and GTP options (PFCP's bit is above the 16 shown). */
const TUNNEL_OPTIONS_PRESENT = 0x0800 | 0x1000 | 0x4000 | 0x8000;
const IPV6_FLOWLABEL_MASK = 0xfffff;
/** IP_TUNNEL_OPTS_MAX: 255 rounded down to whole 32-bit words. */
const IP_TUNNEL_OPTS_MAX = 252;

/** The key as the kernel writes it (all 44 bytes), from info read as received. */
function keyBytes(info: TunnelInfo, flags: bigint): Uint8Array {
  const b = new Uint8Array(KEY_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, info.id >>> 0, true);
  b.set(info.src, 4);
  b[20] = info.tos;
  b[21] = info.ttl;
  // tunnel_flags is __be16: the TUNNEL_* word in network order.
  if (flags & BPF_F_TUNINFO_FLAGS) v.setUint16(22, info.flags & 0xffff, false);
  if (info.ipv6) v.setUint32(24, info.label, true);
  b.set(info.dst, 28);
  return b;
}

function getTunnelKey(c: HelperContext): number {
  const s = skbState(skbOf(c, 'bpf_skb_get_tunnel_key'));
  const size = u32(c, 3);
  const flags = c.arg(4);
  const to = c.mem.writable(c.arg(2), size);
  const info = s.tunnel;
  const fail = (err: number): number => {
    to.fill(0);
    return err;
  };
  if (info === undefined || flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS)) return fail(EINVAL);
  if (info.ipv6 !== ((flags & BPF_F_TUNINFO_IPV6) !== 0n)) return fail(EPROTO);
  if (size !== KEY_SIZE && !COMPAT_SIZES.has(size) && !(size === OFF_REMOTE_IPV6_1 && !info.ipv6)) return fail(EINVAL);
  to.set(keyBytes(info, flags).subarray(0, size));
  return 0;
}

function setTunnelKey(c: HelperContext): number {
  const s = skbState(skbOf(c, 'bpf_skb_set_tunnel_key'));
  const size = u32(c, 3);
  const flags = c.arg(4);
  if (flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER | BPF_F_NO_TUNNEL_KEY)) return EINVAL;
  if (size !== KEY_SIZE && !COMPAT_SIZES.has(size) && size !== OFF_REMOTE_IPV6_1) return EINVAL;
  // An older layout is read with the missing fields zero.
  const from = new Uint8Array(KEY_SIZE);
  from.set(c.mem.read(c.arg(2), size));
  const v = new DataView(from.buffer);
  const ipv6 = (flags & BPF_F_TUNINFO_IPV6) !== 0n;
  const label = v.getUint32(24, true);
  if ((!ipv6 && label !== 0) || v.getUint16(22, true) !== 0) return EINVAL;
  let f = TUNNEL_NOCACHE;
  if (flags & BPF_F_DONT_FRAGMENT) f |= TUNNEL_DONT_FRAGMENT;
  if (!(flags & BPF_F_ZERO_CSUM_TX)) f |= TUNNEL_CSUM;
  if (flags & BPF_F_SEQ_NUMBER) f |= TUNNEL_SEQ;
  if (!(flags & BPF_F_NO_TUNNEL_KEY)) f |= TUNNEL_KEY;
  // An IPv4 key keeps only the first word of each address.
  const addr = (off: number): Uint8Array => (ipv6 ? from.slice(off, off + 16) : new Uint8Array([...from.subarray(off, off + 4), ...new Uint8Array(12)]));
  // Transmit direction: the program's remote end is the tunnel's destination.
  s.tunnel = { ipv6, id: v.getUint32(0, true), tos: from[20], ttl: from[21], label: ipv6 ? label & IPV6_FLOWLABEL_MASK : 0, dst: addr(4), src: addr(28), flags: f, options: new Uint8Array(0) };
  return 0;
}

function getTunnelOpt(c: HelperContext): number {
  const info = skbState(skbOf(c, 'bpf_skb_get_tunnel_opt')).tunnel;
  const size = u32(c, 3);
  const to = c.mem.writable(c.arg(2), size);
  to.fill(0);
  if (info === undefined || !(info.flags & TUNNEL_OPTIONS_PRESENT)) return ENOENT;
  if (size < info.options.length) return ENOMEM;
  to.set(info.options);
  return info.options.length;
}

function setTunnelOpt(c: HelperContext): number {
  const info = skbState(skbOf(c, 'bpf_skb_set_tunnel_opt')).tunnel;
  const size = u32(c, 3);
  if (info === undefined || size & 3) return EINVAL;
  if (size > IP_TUNNEL_OPTS_MAX) return ENOMEM;
  info.options = c.mem.read(c.arg(2), size).slice();
  if (size > 0) info.flags |= TUNNEL_OPTIONS_PRESENT;
  return 0;
}

export const TUNNEL_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [20, getTunnelKey],
  [21, setTunnelKey],
  [29, getTunnelOpt],
  [30, setTunnelOpt],
]);
