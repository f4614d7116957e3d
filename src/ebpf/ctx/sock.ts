/**
 * struct bpf_sock: the socket a program reaches through __sk_buff->sk (and bpf_sk_fullsock),
 * as net/core/filter.c bpf_sock_convert_ctx_access() reads it from struct sock. Read-only: the
 * kernel lets no program write a bpf_sock field through these pointers (bpf_sock_is_valid_access).
 * rx_queue_mapping reads -1 in all 64 bits when the socket has no queue (NO_QUEUE_MAPPING):
 * the kernel's rewrite moves -1 into the register, so the 32-bit load is sign-extended.
 */
import { Memory, MemoryFault, type Region } from '../vm/memory.ts';
import { BPF_SOCK, BPF_SOCK_SIZE, fieldAt, fieldByName, pair } from './layout.ts';

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
/** include/net/tcp_states.h */
export const TCP_CLOSE = 7;
export const TCP_TIME_WAIT = 6;
export const TCP_NEW_SYN_RECV = 12;

/** What a socket shows a program; addresses and dst_port in network order, as the fields hold them. */
export interface SockFacts {
  family?: number;
  type?: number;
  protocol?: number;
  mark?: number;
  priority?: number;
  bound_dev_if?: number;
  src_ip4?: Uint8Array;
  dst_ip4?: Uint8Array;
  src_ip6?: Uint8Array;
  dst_ip6?: Uint8Array;
  /** Local port, host order (skc_num). */
  src_port?: number;
  /** Remote port, host order (stored big-endian, as skc_dport). */
  dst_port?: number;
  state?: number;
  /** RX queue, or undefined for none (reads as -1). */
  rx_queue_mapping?: number;
}

export class BpfSock {
  readonly region: Region;
  readonly bytes = new Uint8Array(BPF_SOCK_SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  private noQueue = true;
  private readonly out: [number, number] = [0, 0];

  /** `owner` rides on the region for the helpers (cookie, uid). */
  constructor(
    readonly mem: Memory,
    facts: SockFacts,
    owner: Record<string, unknown> = {},
  ) {
    this.fill(facts);
    this.region = mem.add('sock', 'bpf_sock', this.bytes, {
      writable: false,
      owner,
      special: {
        load: (off, size) => {
          const f = fieldAt(BPF_SOCK, off);
          if (f?.name === 'rx_queue_mapping' && this.noQueue && off === f.off && size === 4) return pair(this.out, -1, -1);
          return undefined;
        },
        store: (off) => {
          throw new MemoryFault(`write to bpf_sock.${fieldAt(BPF_SOCK, off)?.name ?? `+${off}`}: socket fields are read-only`);
        },
      },
    });
  }

  get addr(): bigint {
    return Memory.addr(this.region, 0);
  }

  /** The socket's state (sk_state), for sk_fullsock(). */
  get state(): number {
    return this.view.getUint32(fieldByName(BPF_SOCK, 'state').off, true);
  }

  private fill(s: SockFacts): void {
    const u32 = (name: string, v: number | undefined): void => this.view.setUint32(fieldByName(BPF_SOCK, name).off, (v ?? 0) >>> 0, true);
    u32('family', s.family ?? AF_UNSPEC);
    u32('type', s.type);
    u32('protocol', s.protocol);
    u32('mark', s.mark);
    u32('priority', s.priority);
    u32('bound_dev_if', s.bound_dev_if);
    u32('src_port', s.src_port);
    // __be16 dst_port and 16 bits of zero padding.
    this.view.setUint16(fieldByName(BPF_SOCK, 'dst_port').off, s.dst_port ?? 0, false);
    u32('state', s.state ?? TCP_CLOSE);
    for (const [name, v] of [['src_ip4', s.src_ip4], ['dst_ip4', s.dst_ip4], ['src_ip6', s.src_ip6], ['dst_ip6', s.dst_ip6]] as const) {
      if (v) this.bytes.set(v.subarray(0, fieldByName(BPF_SOCK, name).size), fieldByName(BPF_SOCK, name).off);
    }
    this.noQueue = s.rx_queue_mapping === undefined;
    u32('rx_queue_mapping', s.rx_queue_mapping);
  }

  release(): void {
    this.mem.remove(this.region);
  }
}

/** sk_fullsock(): every socket but a TIME_WAIT or NEW_SYN_RECV mini socket. */
export function isFullSock(state: number): boolean {
  return state !== TCP_TIME_WAIT && state !== TCP_NEW_SYN_RECV;
}
