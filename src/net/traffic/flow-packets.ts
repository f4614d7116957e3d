/**
 * The packets of one flow, as a sender's stack would emit them.
 *
 * UDP: datagrams padded to the requested frame size; the payload starts with the flow index and
 * the flow's packet counter (big-endian u32 each) so any packet can be traced to its source.
 *
 * TCP-shaped: the client side of a connection as Linux sends it (net/ipv4/tcp_output.c):
 * a SYN with MSS, SACK-permitted, timestamps and window scale (tcp_syn_options order); the ACK
 * that completes the handshake; data segments of up to MSS bytes with increasing seq, constant
 * ack and PSH on the last segment of each application write (tcp_push); then FIN. Timestamps
 * tick in ms (tcp_time_stamp_ms) from a random per-connection offset, so segments of one
 * millisecond carry identical options and can coalesce in GRO, as on a real host. The server
 * side is not generated: ack stays at the server's ISN + 1. A finished flow starts a new
 * connection on the same 5-tuple with a new ISN.
 */
import type { Random } from '../../sim/index.ts';
import { parseMac } from '../packet/addr.ts';
import { buildPacket, type LayerSpec } from '../packet/build.ts';
import { TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAG_SYN } from '../packet/constants.ts';
import type { TcpOption } from '../packet/tcp.ts';
import type { FlowTuple } from './flows.ts';

export interface LinkOptions {
  srcMac?: string;
  dstMac?: string;
  /** 802.1Q tag on every frame. */
  vlan?: number;
}

export interface TcpShape {
  /** Default 1460 (IPv4) / 1440 (IPv6) minus 12 when timestamps are on, as the kernel's effective MSS. */
  mss?: number;
  /** Bytes of data per connection before FIN (default 1 MiB). */
  bytesPerConnection?: number;
  /** Bytes per application write: PSH marks each write's last segment (default 64 KiB). */
  writeBytes?: number;
  /** RFC 7323 timestamps (default true, as Linux's tcp_timestamps=1). */
  timestamps?: boolean;
  /** Window scale announced on SYN (default 7) and the scaled window on data (default 502). */
  windowScale?: number;
  window?: number;
}

export interface FlowPacketSource {
  /** The flow's next frame, aiming at `frameLen` bytes (never below its headers). */
  next(flow: FlowTuple, nowNs: number, frameLen: number, rng: Random): Uint8Array;
}

/** The link headers of every frame, MACs parsed once rather than per packet. */
const L2 = (link: LinkOptions): LayerSpec[] => {
  const layers: LayerSpec[] = [{ kind: 'eth', src: parseMac(link.srcMac ?? '02:00:00:00:00:01'), dst: parseMac(link.dstMac ?? '02:00:00:00:00:02') }];
  if (link.vlan !== undefined) layers.push({ kind: 'vlan', vid: link.vlan });
  return layers;
};

function ipLayer(f: FlowTuple, id: number): LayerSpec {
  return f.family === 4 ? { kind: 'ipv4', src: f.src, dst: f.dst, id: id & 0xffff, df: true } : { kind: 'ipv6', src: f.src, dst: f.dst };
}

const ipLen = (f: FlowTuple): number => (f.family === 4 ? 20 : 40);

export class UdpPackets implements FlowPacketSource {
  private readonly counters = new Map<number, number>();
  private readonly l2: LayerSpec[];
  private readonly l2Len: number;

  constructor(link: LinkOptions = {}) {
    this.l2 = L2(link);
    this.l2Len = 14 + (link.vlan !== undefined ? 4 : 0);
  }

  next(f: FlowTuple, _now: number, frameLen: number): Uint8Array {
    const n = this.counters.get(f.index) ?? 0;
    this.counters.set(f.index, n + 1);
    const payload = new Uint8Array(Math.max(0, frameLen - this.l2Len - ipLen(f) - 8));
    const v = new DataView(payload.buffer);
    if (payload.length >= 8) {
      v.setUint32(0, f.index);
      v.setUint32(4, n);
    }
    return buildPacket([...this.l2, ipLayer(f, n), { kind: 'udp', sport: f.sport, dport: f.dport }, { kind: 'raw', bytes: payload }]);
  }
}

type Phase = 'syn' | 'ack' | 'data' | 'fin';

interface TcpConn {
  phase: Phase;
  isn: number;
  /** Next sequence number to send. */
  seq: number;
  peerIsn: number;
  /** Data bytes still to send in this connection. */
  left: number;
  /** Bytes left in the current application write. */
  writeLeft: number;
  tsOffset: number;
  ipId: number;
}

export class TcpPackets implements FlowPacketSource {
  private readonly conns = new Map<number, TcpConn>();
  private readonly l2: LayerSpec[];
  private readonly l2Len: number;
  private readonly shape: Required<Omit<TcpShape, 'mss'>> & { mss?: number };

  constructor(link: LinkOptions = {}, shape: TcpShape = {}) {
    this.l2 = L2(link);
    this.l2Len = 14 + (link.vlan !== undefined ? 4 : 0);
    this.shape = {
      bytesPerConnection: shape.bytesPerConnection ?? 1 << 20,
      writeBytes: shape.writeBytes ?? 1 << 16,
      timestamps: shape.timestamps ?? true,
      windowScale: shape.windowScale ?? 7,
      window: shape.window ?? 502,
      ...(shape.mss !== undefined ? { mss: shape.mss } : {}),
    };
    if (!(this.shape.bytesPerConnection > 0) || !(this.shape.writeBytes > 0)) throw new RangeError('TCP shape: byte counts must be > 0');
  }

  /** MSS announced on the SYN: the path MTU's (1500) worth. */
  private synMss(f: FlowTuple): number {
    return this.shape.mss ?? (f.family === 4 ? 1460 : 1440);
  }

  private newConn(rng: Random): TcpConn {
    const isn = rng.nextU32();
    return {
      phase: 'syn',
      isn,
      seq: isn,
      peerIsn: rng.nextU32(),
      left: this.shape.bytesPerConnection,
      writeLeft: Math.min(this.shape.writeBytes, this.shape.bytesPerConnection),
      tsOffset: rng.nextU32(),
      ipId: rng.int(0, 65536),
    };
  }

  next(f: FlowTuple, nowNs: number, frameLen: number, rng: Random): Uint8Array {
    let c = this.conns.get(f.index);
    if (c === undefined) {
      c = this.newConn(rng);
      this.conns.set(f.index, c);
    }
    const tsval = (Math.floor(nowNs / 1e6) + c.tsOffset) >>> 0;
    const ts: TcpOption[] = this.shape.timestamps ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval, tsecr: c.peerIsn ^ 0x5a5a }] : [];
    const ack = (c.peerIsn + 1) >>> 0;
    let seg: { flags: number; options: TcpOption[]; payload: number; ack: number; window: number };

    switch (c.phase) {
      case 'syn': {
        const opts: TcpOption[] = [{ kind: 'mss', mss: this.synMss(f) }];
        if (this.shape.timestamps) opts.push({ kind: 'sackOk' }, { kind: 'timestamp', tsval, tsecr: 0 }, { kind: 'nop' });
        else opts.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOk' }, { kind: 'nop' });
        opts.push({ kind: 'wscale', shift: this.shape.windowScale });
        seg = { flags: TCP_FLAG_SYN, options: opts, payload: 0, ack: 0, window: 64240 };
        c.phase = 'ack';
        break;
      }
      case 'ack':
        seg = { flags: TCP_FLAG_ACK, options: ts, payload: 0, ack, window: this.shape.window };
        c.phase = 'data';
        break;
      case 'data': {
        const hdr = this.l2Len + ipLen(f) + 20 + (this.shape.timestamps ? 12 : 0);
        const mss = this.synMss(f) - (this.shape.timestamps ? 12 : 0);
        const len = Math.max(1, Math.min(frameLen - hdr, mss, c.writeLeft));
        c.writeLeft -= len;
        c.left -= len;
        const push = c.writeLeft === 0;
        if (push) c.writeLeft = Math.min(this.shape.writeBytes, c.left);
        seg = { flags: TCP_FLAG_ACK | (push ? TCP_FLAG_PSH : 0), options: ts, payload: len, ack, window: this.shape.window };
        if (c.left === 0) c.phase = 'fin';
        break;
      }
      case 'fin':
        seg = { flags: TCP_FLAG_FIN | TCP_FLAG_ACK, options: ts, payload: 0, ack, window: this.shape.window };
        break;
    }

    const seq = c.seq;
    const data = new Uint8Array(seg.payload);
    const pkt = buildPacket([
      ...this.l2,
      ipLayer(f, c.ipId++),
      { kind: 'tcp', sport: f.sport, dport: f.dport, seq, ack: seg.ack, flags: seg.flags, window: seg.window, options: seg.options },
      { kind: 'raw', bytes: data },
    ]);
    // SYN and FIN take one sequence number each.
    c.seq = (seq + seg.payload + (seg.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN) ? 1 : 0)) >>> 0;
    if (c.phase === 'fin' && seg.flags & TCP_FLAG_FIN) this.conns.delete(f.index); // next packet opens a new connection
    return pkt;
  }
}
