/**
 * struct sk_msg_md as an SK_MSG program sees it (net/core/filter.c sk_msg_convert_ctx_access()):
 * data/data_end are live pointers into the message, sk the sending socket (struct bpf_sock), and
 * the address fields come from that socket — remote_port as skc_dport shifted into the upper
 * half (network order in a u32), local_port in host order, size the message length. Read-only
 * (sk_msg_is_valid_access refuses every write). chainlab keeps a message linear: data..data_end
 * spans it all until bpf_msg_pull_data() narrows the window. Also the SkMsg the msg helpers use.
 */
import type { SkMsg } from '../helpers/sock.ts';
import { Memory, MemoryFault, type Region } from '../vm/memory.ts';
import { fieldAt, fieldByName, pair, SK_MSG_MD, SK_MSG_MD_SIZE } from './layout.ts';
import { PacketBuf } from './packet.ts';
import { AF_INET, AF_INET6, BpfSock, type SockFacts } from './sock.ts';

export class SkMsgCtx implements SkMsg {
  readonly region: Region;
  readonly bytes = new Uint8Array(SK_MSG_MD_SIZE);
  readonly pkt: PacketBuf;
  readonly sock: BpfSock;
  applyBytes = 0;
  corkBytes = 0;
  private readonly out: [number, number] = [0, 0];

  constructor(
    readonly mem: Memory,
    data: Uint8Array,
    sock: SockFacts,
    owner: Record<string, unknown> = {},
  ) {
    this.pkt = new PacketBuf(mem, data, { headroom: 0, tailroom: 0, name: 'sk_msg' });
    this.sock = new BpfSock(mem, sock, owner);
    const v = new DataView(this.bytes.buffer);
    const off = (name: string): number => fieldByName(SK_MSG_MD, name).off;
    v.setUint32(off('family'), sock.family ?? 0, true);
    if (sock.family === AF_INET) {
      if (sock.dst_ip4) this.bytes.set(sock.dst_ip4.subarray(0, 4), off('remote_ip4'));
      if (sock.src_ip4) this.bytes.set(sock.src_ip4.subarray(0, 4), off('local_ip4'));
    } else if (sock.family === AF_INET6) {
      if (sock.dst_ip6) this.bytes.set(sock.dst_ip6.subarray(0, 16), off('remote_ip6'));
      if (sock.src_ip6) this.bytes.set(sock.src_ip6.subarray(0, 16), off('local_ip6'));
    }
    // skc_dport (big-endian u16) << 16: the port's bytes sit in the upper half of the u32.
    v.setUint16(off('remote_port') + 2, sock.dst_port ?? 0, false);
    v.setUint32(off('local_port'), sock.src_port ?? 0, true);
    v.setUint32(off('size'), data.length, true);
    this.region = mem.add('ctx', 'sk_msg_md', this.bytes, {
      owner: this,
      special: {
        load: (o, size) => this.load(o, size),
        store: (o) => {
          throw new MemoryFault(`write to sk_msg_md.${fieldAt(SK_MSG_MD, o)?.name ?? `+${o}`}: the context is read-only`);
        },
      },
    });
  }

  get addr(): bigint {
    return Memory.addr(this.region, 0);
  }

  /** sk_msg_md.size: the whole message, whatever window the program pulled. */
  get size(): number {
    return this.pkt.hardEnd;
  }

  /** bpf_msg_pull_data(): bytes [start, end) become data..data_end. */
  pull(start: number, end: number): void {
    this.pkt.data = start;
    this.pkt.dataMeta = start;
    this.pkt.dataEnd = end;
    this.pkt.sync();
  }

  /** The message bytes (all of them, not just the pulled window). */
  message(): Uint8Array {
    return this.pkt.buf.subarray(0, this.pkt.hardEnd);
  }

  private load(off: number, size: number): readonly [number, number] | undefined {
    const f = fieldAt(SK_MSG_MD, off);
    if (!f?.ptr) return undefined;
    if (off !== f.off || size !== 8) throw new MemoryFault(`sk_msg_md.${f.name} must be read whole (8 bytes)`);
    const p = this.pkt;
    if (f.name === 'data') return pair(this.out, p.data, p.region.tag);
    if (f.name === 'data_end') return pair(this.out, p.dataEnd, p.region.tag);
    const sk = this.sock.addr;
    return pair(this.out, Number(sk & 0xffff_ffffn) | 0, Number(sk >> 32n) | 0);
  }

  release(): void {
    this.mem.remove(this.region);
    this.sock.release();
    this.pkt.release();
  }
}
