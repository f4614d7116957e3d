/**
 * Socket lookups and socket casts, net/core/filter.c: bpf_sk_lookup_tcp, bpf_sk_lookup_udp,
 * bpf_skc_lookup_tcp (__bpf_sk_lookup / __bpf_skc_lookup), bpf_sk_release, bpf_tcp_sock,
 * bpf_get_listener_sock and bpf_sk_assign.
 *
 * What is modelled: the simulated hosts have no sockets (src/net/host.ts delivers locally to a
 * packet sink), so a lookup finds none and returns NULL — what BPF_PROG_TEST_RUN returns for a
 * tuple that no socket of the caller's namespace matches; the arguments the kernel rejects
 * (a tuple size other than the IPv4 or IPv6 one, flags, a netns id above S32_MAX) also give
 * NULL there. The verifier tracks the reference a lookup acquires; bpf_sk_release returns 0.
 * The sockets chainlab does create (BPF_PROG_TEST_RUN's, sk_msg/sk_skb ones) are not TCP
 * sockets in a hash table: bpf_tcp_sock gives NULL for a socket that is not TCP, and
 * bpf_get_listener_sock NULL for one that is not a TCP listener. A TCP socket would need a
 * struct bpf_tcp_sock that chainlab does not build: that call stops the run with a message.
 * bpf_sk_assign refuses flags (-EINVAL), then -EOPNOTSUPP: a test run is not at tc ingress, and
 * no socket chainlab builds is hashed (sk_unhashed), so no assignment ever succeeds.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { BPF_SOCK, fieldByName } from '../ctx/layout.ts';
import { HelperError } from './context.ts';
import { EINVAL, EOPNOTSUPP } from './errno.ts';

const IPPROTO_TCP = 6;
const TCP_LISTEN = 10;

/** A lookup in the (empty) socket tables of the simulated host. */
const lookup = (): bigint => 0n;

/** The bpf_sock region behind a sock_common argument (the verifier checked it is one). */
function sockField(c: HelperContext, name: string, helper: string): number {
  const r = c.mem.regionOf(c.arg(1));
  if (r === undefined || r.kind !== 'sock') throw new HelperError(`${helper}: argument 1 is not a socket`);
  return r.view.getUint32(fieldByName(BPF_SOCK, name).off, true);
}

export const SK_LOOKUP_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [84, lookup],
  [85, lookup],
  [99, lookup],
  // bpf_sk_release(sk): drops the reference a lookup took; always 0.
  [86, () => 0],
  [96, (c) => {
    if (sockField(c, 'protocol', 'bpf_tcp_sock') !== IPPROTO_TCP) return 0n;
    throw new HelperError('bpf_tcp_sock: chainlab does not model struct bpf_tcp_sock for a TCP socket');
  }],
  // sk_to_full_sk(), then a TCP listener (hashed listeners have SOCK_RCU_FREE) or NULL.
  [124, (c) => (c.arg(1) === 0n || c.arg(3) !== 0n ? EINVAL : EOPNOTSUPP)],
  [98, (c) => (sockField(c, 'state', 'bpf_get_listener_sock') === TCP_LISTEN && sockField(c, 'protocol', 'bpf_get_listener_sock') === IPPROTO_TCP ? c.arg(1) : 0n)],
]);
