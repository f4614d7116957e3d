/**
 * Socket helpers. net/core/sock_map.c: bpf_sk_redirect_map, bpf_sk_redirect_hash,
 * bpf_msg_redirect_map, bpf_msg_redirect_hash, bpf_sock_map_update, bpf_sock_hash_update;
 * net/core/filter.c: bpf_msg_apply_bytes, bpf_msg_cork_bytes, bpf_msg_pull_data,
 * bpf_get_socket_cookie, bpf_get_socket_uid, bpf_sk_fullsock.
 *
 * SK_MSG helpers work on `env.msg` implementing SkMsg below (ctx/sk-msg.ts, set by
 * runtime/sk-msg.ts runSkMsg); there is no sock_ops context yet, so the sockmap update helpers
 * look for `env.sockOps.sk` and get -EOPNOTSUPP without it, as for a non-full socket.
 * A redirect is recorded in env.redirect ({ kind: 'sock' }) for the hook to apply.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { SK_DROP, SK_PASS, BPF_F_INGRESS, type ProgEnv } from '../runtime/env.ts';
import { SockMap } from '../maps/index.ts';
import { envOf, HelperError, mapArgOf, readBytes, skbOf, u32 } from './context.ts';
import { EINVAL, EOPNOTSUPP } from './errno.ts';
import { BPF_SOCK, fieldByName } from '../ctx/layout.ts';
import { isFullSock } from '../ctx/sock.ts';

/** The message an SK_MSG program runs on (struct sk_msg, as far as helpers touch it). */
export interface SkMsg {
  /** Bytes in the message: sk_msg_md.size. */
  readonly size: number;
  /** bpf_msg_apply_bytes(): the verdict applies to this many bytes. */
  applyBytes: number;
  /** bpf_msg_cork_bytes(): hold the data until this many bytes are there. */
  corkBytes: number;
  /** bpf_msg_pull_data(): make bytes [start, end) of the message the program's data..data_end. */
  pull(start: number, end: number): void;
}

/** overflowuid: the uid of a socket without a full socket behind it. */
export const OVERFLOW_UID = 65534;

function msgOf(c: HelperContext, helper: string): SkMsg {
  const msg = (envOf(c) as ProgEnv & { msg?: SkMsg }).msg;
  if (msg === undefined) throw new HelperError(`${helper}: the program has no sk_msg context (program type ${envOf(c).progType})`);
  return msg;
}

const u32Bytes = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v >>> 0]).buffer);

/** sk/msg redirect to the socket under a key: SK_PASS when there is one, SK_DROP otherwise. */
function sockRedirect(c: HelperContext, helper: string, byHash: boolean): number {
  const env = envOf(c);
  const map = mapArgOf(c, 2, helper, SockMap, 'a sockmap or sockhash');
  const key = byHash ? readBytes(c, c.arg(3), map.def.keySize) : u32Bytes(u32(c, 3));
  const flags = c.arg(4);
  if (flags & ~BigInt(BPF_F_INGRESS)) return SK_DROP;
  const sk = map.target(key);
  if (sk === undefined) return SK_DROP;
  env.redirect = { kind: 'sock', map, key, flags: Number(flags), target: sk };
  return SK_PASS;
}

/** bpf_sock_map_update / bpf_sock_hash_update(skops, map, key, flags): add the sock_ops socket. */
function sockUpdate(c: HelperContext, helper: string, byHash: boolean): number {
  const map = mapArgOf(c, 2, helper, SockMap, 'a sockmap or sockhash');
  const key = readBytes(c, c.arg(3), byHash ? map.def.keySize : 4);
  const sk = (envOf(c) as ProgEnv & { sockOps?: { sk?: unknown } }).sockOps?.sk;
  if (sk === undefined) return EOPNOTSUPP;
  return map.setSocket(key, sk, c.arg(4));
}

/** The socket object behind skb->sk: the owner of the bpf_sock region, if any. */
function skbSock(c: HelperContext, helper: string): { region: number; sock: Record<string, unknown> } | undefined {
  const skb = skbOf(c, helper);
  if (skb.sk === 0n) return undefined;
  const r = c.mem.regionOf(skb.sk);
  if (r === undefined) return undefined;
  const owner = typeof r.owner === 'object' && r.owner !== null ? (r.owner as Record<string, unknown>) : {};
  return { region: r.tag, sock: owner };
}

export const SOCK_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [52, (c) => sockRedirect(c, 'bpf_sk_redirect_map', false)],
  [72, (c) => sockRedirect(c, 'bpf_sk_redirect_hash', true)],
  [60, (c) => sockRedirect(c, 'bpf_msg_redirect_map', false)],
  [71, (c) => sockRedirect(c, 'bpf_msg_redirect_hash', true)],
  [53, (c) => sockUpdate(c, 'bpf_sock_map_update', false)],
  [70, (c) => sockUpdate(c, 'bpf_sock_hash_update', true)],
  [61, (c) => {
    msgOf(c, 'bpf_msg_apply_bytes').applyBytes = u32(c, 2);
    return 0;
  }],
  [62, (c) => {
    msgOf(c, 'bpf_msg_cork_bytes').corkBytes = u32(c, 2);
    return 0;
  }],
  // bpf_msg_pull_data(msg, start, end, flags): everything is linear, so only the range checks remain.
  [63, (c) => {
    const msg = msgOf(c, 'bpf_msg_pull_data');
    const start = u32(c, 2), end = u32(c, 3);
    if (c.arg(4) !== 0n || end <= start) return EINVAL;
    if (start >= msg.size || end > msg.size) return EINVAL;
    msg.pull(start, end);
    return 0;
  }],
  // bpf_get_socket_cookie(skb): the socket's cookie (the region tag when the host gave none), 0 without a socket.
  [46, (c) => {
    const s = skbSock(c, 'bpf_get_socket_cookie');
    if (s === undefined) return 0;
    const cookie = s.sock.cookie;
    return typeof cookie === 'bigint' ? cookie : typeof cookie === 'number' ? BigInt(cookie) : BigInt(s.region);
  }],
  // bpf_sk_fullsock(sk): the same pointer, now to a full socket, or NULL for a TIME_WAIT or
  // NEW_SYN_RECV mini socket (sk_fullsock()).
  [95, (c) => {
    const sk = c.arg(1);
    const r = c.mem.regionOf(sk);
    if (r === undefined || r.kind !== 'sock') return 0;
    return isFullSock(r.view.getUint32(fieldByName(BPF_SOCK, 'state').off, true)) ? sk : 0;
  }],
  // bpf_get_socket_uid(skb): the owner's uid, overflowuid without a full socket.
  [47, (c) => {
    const s = skbSock(c, 'bpf_get_socket_uid');
    if (s === undefined) return OVERFLOW_UID;
    const uid = s.sock.uid;
    return typeof uid === 'number' ? uid >>> 0 : 0;
  }],
]);
