/**
 * Redirect helpers, net/core/filter.c: bpf_redirect (bpf_xdp_redirect for XDP), bpf_redirect_map
 * (bpf_xdp_redirect_map → __bpf_xdp_redirect_map() in include/linux/filter.h), bpf_redirect_peer,
 * bpf_redirect_neigh and bpf_clone_redirect. Like the kernel's per-CPU bpf_redirect_info, the
 * target is recorded in `env.redirect` and applied by the hook when the verdict says REDIRECT.
 *
 * bpf_redirect_neigh has no RedirectTarget kind of its own: it is recorded as
 * { kind: 'ifindex', flags: BPF_F_NEIGH [| BPF_F_NEXTHOP], nexthop? } with the kernel's internal
 * flag values, the nexthop being the struct bpf_redir_neigh bytes.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED, XDP_REDIRECT, BPF_F_INGRESS, type ProgEnv, type RedirectTarget } from '../runtime/env.ts';
import { CpuMap, DevMap, XskMap } from '../maps/index.ts';
import { envOf, HelperError, isXdp, mapArg, readBytes, skbOf, u32 } from './context.ts';
import { EINVAL, ERANGE } from './errno.ts';
import { skbState } from './skb-state.ts';

export const BPF_F_BROADCAST = 1n << 3n;
export const BPF_F_EXCLUDE_INGRESS = 1n << 4n;
/** Kernel-internal redirect flags (net/core/filter.c), never accepted from programs. */
export const BPF_F_NEIGH = 1 << 1;
export const BPF_F_PEER = 1 << 2;
export const BPF_F_NEXTHOP = 1 << 3;
/** sizeof(struct bpf_redir_neigh). */
export const BPF_REDIR_NEIGH_SIZE = 20;
/** XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX: the fallback actions redirect_map's flags may carry. */
const XDP_ACTION_MASK = 3n;
/** The same masks as numbers, for the per-packet path. */
const ACTION_MASK = Number(XDP_ACTION_MASK);
const F_BROADCAST = Number(BPF_F_BROADCAST);

/** ri->tgt_index as the kernel leaves it: the last ifindex, or the last map key. */
function lastTargetIndex(env: ProgEnv): number {
  const r = env.redirect;
  if (r === undefined) return 0;
  return r.kind === 'map' ? r.key : r.kind === 'sock' ? 0 : r.ifindex;
}

/** bpf_redirect(ifindex, flags): XDP_REDIRECT / TC_ACT_REDIRECT, or the kernel's refusal verdict for bad flags. */
function redirect(c: HelperContext): number {
  const env = envOf(c);
  const ifindex = u32(c, 1);
  const flags = c.arg(2);
  if (isXdp(env)) {
    if (flags !== 0n) return XDP_ABORTED;
    env.redirect = { kind: 'ifindex', ifindex, flags: 0 };
    return XDP_REDIRECT;
  }
  if (flags & ~BigInt(BPF_F_INGRESS)) return TC_ACT_SHOT;
  env.redirect = { kind: 'ifindex', ifindex, flags: Number(flags) };
  return TC_ACT_REDIRECT;
}

/** Flags besides the fallback action that each redirect map type accepts. */
const REDIRECT_MAP_FLAGS: Readonly<Record<string, bigint>> = {
  BPF_MAP_TYPE_DEVMAP: BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
  BPF_MAP_TYPE_DEVMAP_HASH: BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
  BPF_MAP_TYPE_CPUMAP: 0n,
  BPF_MAP_TYPE_XSKMAP: 0n,
};

/**
 * bpf_redirect_map(map, key, flags). A missing key returns the low two bits of flags (an XDP
 * action) and leaves the redirect state as bpf_redirect would with the previous target index;
 * with BPF_F_BROADCAST the lookup may miss and the frame goes to every device of the map.
 */
function redirectMap(c: HelperContext): number {
  const env = envOf(c);
  const map = mapArg(c, 1, 'bpf_redirect_map');
  const mask = REDIRECT_MAP_FLAGS[map.def.type];
  if (mask === undefined || !(map instanceof DevMap || map instanceof CpuMap || map instanceof XskMap)) {
    throw new HelperError(`bpf_redirect_map: map '${map.def.name}' (${map.def.type}) is not a devmap, cpumap or xskmap`);
  }
  const key = u32(c, 2);
  // flags as 32-bit halves (every valid flag is in the low half): no BigInt per packet.
  const flags = c.argLo(3) >>> 0;
  if (c.argHi(3) !== 0 || (flags & ~(ACTION_MASK | Number(mask))) !== 0) return XDP_ABORTED;
  const target = map.target(key);
  const broadcast = (flags & F_BROADCAST) !== 0;
  if (target === undefined && !broadcast) {
    env.redirect = { kind: 'ifindex', ifindex: lastTargetIndex(env), flags: 0 };
    return flags & ACTION_MASK;
  }
  env.redirect = { kind: 'map', map, key, flags: broadcast ? flags : 0, target };
  return XDP_REDIRECT;
}

/** bpf_redirect_peer(ifindex, flags): to the peer of a veth/netkit device, from tc ingress. */
function redirectPeer(c: HelperContext): number {
  const env = envOf(c);
  if (c.arg(2) !== 0n) return TC_ACT_SHOT;
  env.redirect = { kind: 'peer', ifindex: u32(c, 1), flags: 0 };
  return TC_ACT_REDIRECT;
}

/** bpf_redirect_neigh(ifindex, params, plen, flags): out of ifindex with a neighbour lookup. */
function redirectNeigh(c: HelperContext): number {
  const env = envOf(c);
  const plen = c.argLo(3) | 0;
  if ((plen !== 0 && plen < BPF_REDIR_NEIGH_SIZE) || c.arg(4) !== 0n) return TC_ACT_SHOT;
  const target = {
    kind: 'ifindex' as const,
    ifindex: u32(c, 1),
    flags: BPF_F_NEIGH | (plen ? BPF_F_NEXTHOP : 0),
    ...(plen ? { nexthop: readBytes(c, c.arg(2), BPF_REDIR_NEIGH_SIZE) } : {}),
  };
  env.redirect = target as RedirectTarget;
  return TC_ACT_REDIRECT;
}

/**
 * bpf_clone_redirect(skb, ifindex, flags): a copy of the packet, from the MAC header, goes out of
 * (or, with BPF_F_INGRESS, into) ifindex now; the original continues. 0 when the copy was sent.
 */
function cloneRedirect(c: HelperContext): number {
  const env = envOf(c);
  const skb = skbOf(c, 'bpf_clone_redirect');
  const ifindex = u32(c, 2);
  const flags = c.arg(3);
  if (flags & ~BigInt(BPF_F_INGRESS)) return EINVAL;
  if (!env.host.hasDevice(ifindex)) return EINVAL;
  const s = skbState(skb);
  // __bpf_redirect_common(): the clone must carry a link-layer header.
  if (s.macOff === undefined || s.macOff >= s.netOff) return ERANGE;
  const pkt = skb.pkt;
  env.clones.push({ ifindex, ingress: (flags & BigInt(BPF_F_INGRESS)) !== 0n, bytes: pkt.buf.slice(pkt.data + s.macOff, pkt.dataEnd) });
  return 0;
}

export const REDIRECT_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [23, redirect],
  [51, redirectMap],
  [155, redirectPeer],
  [152, redirectNeigh],
  [13, cloneRedirect],
]);
