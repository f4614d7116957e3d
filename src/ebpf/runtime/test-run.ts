/**
 * BPF_PROG_TEST_RUN as the kernel implements it (net/bpf/test_run.c), so that `chainlab prog run`
 * answers what `bpftool prog run` answers:
 * - XDP (bpf_prog_test_run_xdp): data ≥ ETH_HLEN; optional xdp_md ctx whose `data` is the
 *   metadata length; data_out starts at data_meta; ctx_out gives data/data_end relative to
 *   data_meta. The linear area holds at most a page minus XDP_PACKET_HEADROOM and skb_shared_info
 *   (3520 bytes plus the metadata), or ctx_in's data_end if smaller; the rest of data_in goes to
 *   page fragments (multi-buffer, at most MAX_SKB_FRAGS, else ENOMEM) — for every XDP program,
 *   with BPF_F_XDP_HAS_FRAGS or not (measured on Linux 6.18); data_out is linear part + fragments.
 * - skb types (bpf_prog_test_run_skb): the packet becomes an skb on the loopback device;
 *   eth_type_trans() sets protocol and pkt_type and pulls the MAC header; tc keeps data at the MAC
 *   header (is_l2), socket filters and cgroup_skb see the network header and get the MAC header
 *   back zeroed in data_out; __sk_buff ctx_in may set only mark, priority, ingress_ifindex,
 *   ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp.
 * Each repetition reruns the program on the same buffer and maps, as the kernel does.
 */
import { SkbCtx } from '../ctx/skb.ts';
import { AF_INET, AF_INET6, BpfSock, type SockFacts } from '../ctx/sock.ts';
import { fieldByName, SK_BUFF, SK_BUFF_SIZE, XDP_MD_SIZE } from '../ctx/layout.ts';
import { ETH_HLEN, PacketBuf, PAGE_SIZE, SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_PACKET_HEADROOM } from '../ctx/packet.ts';
import { XdpCtx } from '../ctx/xdp.ts';
import { MAX_SKB_FRAGS, type XdpFrag, xdpFrameBytes } from '../ctx/xdp-frags.ts';
import { resetTailCallCount } from '../helpers/index.ts';
import type { VmError } from '../vm/engine.ts';
import type { ClonedPacket, RedirectTarget } from './env.ts';
import { RunEnv } from './run-env.ts';
import type { LiveProgram, Runtime } from './runtime.ts';

/** An error the kernel's BPF_PROG_TEST_RUN returns, with the errno and the rule behind it. */
export class TestRunError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'TestRunError';
  }
}

export const E2BIG = 7;
export const EINVAL = 22;
export const ENODEV = 19;
export const ENOMEM = 12;
export const ENOTSUPP = 524;

export interface TestRunInput {
  dataIn?: Uint8Array;
  ctxIn?: Uint8Array;
  repeat?: number;
  /** Simulated CPU to run on (the kernel's BPF_F_TEST_RUN_ON_CPU is refused for XDP/skb, so CPU 0 by default). */
  cpu?: number;
  budget?: number;
}

export interface TestRunOutput {
  retval: number;
  dataOut: Uint8Array;
  ctxOut?: Uint8Array;
  /** Instructions executed by the last repetition. */
  insns: number;
  printk: string[];
  redirect?: RedirectTarget;
  clones: ClonedPacket[];
  /** Set when the program stopped with a run-time error (the kernel would have crashed or been refused). */
  error?: VmError;
}

const SKB_TYPES = new Set([
  'BPF_PROG_TYPE_SOCKET_FILTER',
  'BPF_PROG_TYPE_SCHED_CLS',
  'BPF_PROG_TYPE_SCHED_ACT',
  'BPF_PROG_TYPE_CGROUP_SKB',
  'BPF_PROG_TYPE_LWT_IN',
  'BPF_PROG_TYPE_LWT_OUT',
  'BPF_PROG_TYPE_LWT_XMIT',
  'BPF_PROG_TYPE_LWT_SEG6LOCAL',
]);
/** Types whose skb keeps data at the MAC header (is_l2 in bpf_prog_test_run_skb). */
const L2_TYPES = new Set(['BPF_PROG_TYPE_SCHED_CLS', 'BPF_PROG_TYPE_SCHED_ACT', 'BPF_PROG_TYPE_LWT_XMIT']);

/** NET_SKB_PAD + NET_IP_ALIGN on x86_64: the headroom test_run gives an skb. */
const SKB_HEADROOM = 64 + 2;
/** __sk_buff fields ctx_in may set (convert___skb_to_skb); all other bytes must be zero. */
const SKB_CTX_IN = ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'];
const GSO_LEGACY_MAX_SIZE = 65536;
const LOOPBACK_IFINDEX = 1;

const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;
const PACKET_OTHERHOST = 3;

export function testRun(rt: Runtime, prog: LiveProgram, input: TestRunInput): TestRunOutput {
  const type = prog.progType;
  if (type === 'BPF_PROG_TYPE_XDP') return runXdp(rt, prog, input);
  if (SKB_TYPES.has(type)) return runSkb(rt, prog, input);
  throw new TestRunError(ENOTSUPP, `BPF_PROG_TEST_RUN does not support ${type} (the kernel answers ENOTSUPP); attach it in a scenario instead`);
}

function repeatRuns(prog: LiveProgram, env: RunEnv, ctxAddr: bigint, input: TestRunInput): { retval: number; insns: number; error?: VmError } {
  const n = Math.max(1, input.repeat ?? 1);
  let last = { retval: 0, insns: 0, error: undefined as VmError | undefined };
  for (let i = 0; i < n; i++) {
    // Each repetition is a fresh bpf_prog_run(): the tail-call count starts again.
    resetTailCallCount(env);
    const r = prog.run(env, [ctxAddr], input.budget);
    last = { retval: Number(BigInt.asUintN(32, r.r0 ?? 0n)), insns: r.insns, error: r.error };
    if (r.error) break;
  }
  return last;
}

function runXdp(rt: Runtime, prog: LiveProgram, input: TestRunInput): TestRunOutput {
  const data = input.dataIn ?? new Uint8Array(0);
  let metaLen = 0;
  let linearEnd = data.length;
  let ingress = 0;
  let rxq = 0;
  if (input.ctxIn) {
    const ctx = ctxBytes(input.ctxIn, XDP_MD_SIZE, 'xdp_md');
    const v = new DataView(ctx.buffer, ctx.byteOffset);
    metaLen = v.getUint32(0, true);
    const dataEnd = v.getUint32(4, true);
    if (v.getUint32(8, true) !== 0) throw new TestRunError(EINVAL, 'ctx_in: xdp_md.data_meta must be 0');
    if (dataEnd > data.length) throw new TestRunError(EINVAL, `ctx_in: xdp_md.data_end (${dataEnd}) is beyond the data_in size (${data.length})`);
    // A data_end below the data_in size ends the linear area there (even under ETH_HLEN); the rest goes to fragments.
    linearEnd = dataEnd;
    if (metaLen > dataEnd) throw new TestRunError(EINVAL, 'ctx_in: xdp_md.data is beyond data_end');
    if (metaLen > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE || metaLen % 4 !== 0) {
      throw new TestRunError(EINVAL, `ctx_in: xdp_md.data (the metadata length) must be a multiple of 4, at most ${XDP_PACKET_HEADROOM - XDP_FRAME_SIZE}`);
    }
    ingress = v.getUint32(12, true);
    rxq = v.getUint32(16, true);
    if (v.getUint32(20, true) !== 0) throw new TestRunError(EINVAL, 'ctx_in: xdp_md.egress_ifindex must be 0');
    if (ingress !== 0 && !rt.host.hasDevice(ingress)) throw new TestRunError(ENODEV, `ctx_in: no device with ifindex ${ingress}`);
    if (rxq !== 0 && ingress === 0) throw new TestRunError(EINVAL, 'ctx_in: rx_queue_index needs ingress_ifindex');
    if (rxq !== 0) throw new TestRunError(EINVAL, `ctx_in: rx_queue_index ${rxq} is beyond the device's RX queues`);
  }
  if (data.length - metaLen < ETH_HLEN) throw new TestRunError(EINVAL, `data_in: an XDP packet needs at least ${ETH_HLEN} bytes (ETH_HLEN) after the metadata, got ${data.length - metaLen}`);
  // The metadata comes out of the headroom, so it does not shorten the linear packet.
  const linear = Math.min(linearEnd, PAGE_SIZE - (XDP_PACKET_HEADROOM - metaLen) - SKB_SHARED_INFO_SIZE);
  const nFrags = Math.ceil((data.length - linear) / PAGE_SIZE);
  if (nFrags > MAX_SKB_FRAGS) {
    const max = linear + MAX_SKB_FRAGS * PAGE_SIZE;
    throw new TestRunError(ENOMEM, `data_in: ${data.length} bytes; XDP takes ${linear} linear bytes plus at most ${MAX_SKB_FRAGS} page fragments (MAX_SKB_FRAGS), ${max} bytes in all (the kernel answers ENOMEM)`);
  }
  const pkt = new PacketBuf(rt.mem, data.subarray(metaLen, linear), { headroom: XDP_PACKET_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE, frameSize: PAGE_SIZE, name: 'packet' });
  if (nFrags > 0) {
    const frags: XdpFrag[] = [];
    for (let at = linear; at < data.length; at += PAGE_SIZE) {
      const page = new Uint8Array(PAGE_SIZE);
      const part = data.subarray(at, at + PAGE_SIZE);
      page.set(part);
      frags.push({ page, size: part.length });
    }
    pkt.frags = frags;
    pkt.fragsSize = data.length - linear;
  }
  if (metaLen > 0) {
    pkt.buf.set(data.subarray(0, metaLen), pkt.data - metaLen);
    pkt.dataMeta = pkt.data - metaLen;
    pkt.sync();
  }
  const xdp = new XdpCtx(rt.mem, pkt, { ingress_ifindex: ingress, rx_queue_index: rxq });
  const env = new RunEnv(rt, rt.host, prog.progType, prog.name, input.cpu ?? 0, pkt, xdp);
  try {
    const r = repeatRuns(prog, env, xdp.addr, input);
    return {
      retval: r.retval,
      insns: r.insns,
      error: r.error,
      dataOut: xdpFrameBytes(pkt),
      ctxOut: input.ctxIn ? xdp.toCtxOut() : undefined,
      printk: env.printk,
      redirect: env.redirect,
      clones: env.clones,
    };
  } finally {
    xdp.release();
    pkt.release();
  }
}

function runSkb(rt: Runtime, prog: LiveProgram, input: TestRunInput): TestRunOutput {
  const data = input.dataIn ?? new Uint8Array(0);
  const type = prog.progType;
  const isL2 = L2_TYPES.has(type);
  const maxData = PAGE_SIZE - SKB_HEADROOM - SKB_SHARED_INFO_SIZE;
  if (data.length < ETH_HLEN || data.length > maxData) {
    throw new TestRunError(EINVAL, `data_in: an skb test run needs ${ETH_HLEN} to ${maxData} bytes, got ${data.length}`);
  }
  const ctxIn = input.ctxIn ? ctxBytes(input.ctxIn, SK_BUFF_SIZE, '__sk_buff') : undefined;
  if (ctxIn) checkSkbCtxIn(ctxIn);
  const ctxView = ctxIn ? new DataView(ctxIn.buffer, ctxIn.byteOffset) : undefined;
  const ifindex = ctxView?.getUint32(fieldByName(SK_BUFF, 'ifindex').off, true) ?? 0;
  if (ifindex > 1 && !rt.host.hasDevice(ifindex)) throw new TestRunError(ENODEV, `ctx_in: no device with ifindex ${ifindex}`);

  // The kernel refuses an skb whose EtherType announces IPv4/IPv6 without room for that header
  // (found with the kernel oracle on 6.18: a 33-byte IPv4 frame gives EINVAL, 34 bytes runs).
  const etherType0 = (data[12] << 8) | data[13];
  if (etherType0 === 0x0800 && data.length < ETH_HLEN + 20) throw new TestRunError(EINVAL, `data_in: an IPv4 frame needs at least ${ETH_HLEN + 20} bytes (Ethernet + IPv4 header) for an skb test run, got ${data.length}`);
  if (etherType0 === 0x86dd && data.length < ETH_HLEN + 40) throw new TestRunError(EINVAL, `data_in: an IPv6 frame needs at least ${ETH_HLEN + 40} bytes (Ethernet + IPv6 header) for an skb test run, got ${data.length}`);
  const pkt = new PacketBuf(rt.mem, data, { headroom: SKB_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE, name: 'packet' });
  const skb = new SkbCtx(rt.mem, pkt, type);
  let sock: BpfSock | undefined;
  try {
    // eth_type_trans(): protocol, pkt_type against the loopback device's all-zero address, then pull ETH_HLEN.
    const dst = data.subarray(0, 6);
    const etherType = (data[12] << 8) | data[13];
    // 802.3 length field: raw IPX (payload starts 0xFFFF) is ETH_P_802_3, everything else ETH_P_802_2.
    skb.protocol = etherType >= 0x600 ? etherType : data.length >= 16 && data[14] === 0xff && data[15] === 0xff ? 0x0001 : 0x0004;
    // The loopback device's address and its broadcast address are both all zeros, so ff:ff:…
    // is multicast here, not broadcast (found with the kernel oracle, test/fixtures/skb_fields.c).
    skb.set('pkt_type', dst.every((b) => b === 0) ? PACKET_HOST : dst[0] & 1 ? PACKET_MULTICAST : PACKET_OTHERHOST);
    if (!isL2) pkt.skbMoveHead(ETH_HLEN);
    skb.set('ifindex', ifindex > 1 ? ifindex : LOOPBACK_IFINDEX);
    // The socket the test run attaches (root's, with a cookie), and sk_family/addresses from the IP header.
    sock = new BpfSock(rt.mem, testRunSockFacts(data), { uid: 0, cookie: BigInt(++testRunSockets) });
    skb.sk = sock.addr;
    setSockFields(skb, data);
    if (ctxView && ctxIn) {
      skb.set('mark', ctxView.getUint32(fieldByName(SK_BUFF, 'mark').off, true));
      skb.set('priority', ctxView.getUint32(fieldByName(SK_BUFF, 'priority').off, true));
      skb.set('ingress_ifindex', ctxView.getUint32(fieldByName(SK_BUFF, 'ingress_ifindex').off, true));
      const cb = fieldByName(SK_BUFF, 'cb');
      skb.bytes.set(ctxIn.subarray(cb.off, cb.off + cb.size), cb.off);
      skb.setU64('tstamp', ctxView.getBigUint64(fieldByName(SK_BUFF, 'tstamp').off, true));
      skb.setU64('hwtstamp', ctxView.getBigUint64(fieldByName(SK_BUFF, 'hwtstamp').off, true));
      skb.set('gso_segs', ctxView.getUint32(fieldByName(SK_BUFF, 'gso_segs').off, true));
      skb.set('gso_size', ctxView.getUint32(fieldByName(SK_BUFF, 'gso_size').off, true));
    }
    const wire = ctxView?.getUint32(fieldByName(SK_BUFF, 'wire_len').off, true) ?? 0;
    if (wire !== 0 && (wire < pkt.len || wire > GSO_LEGACY_MAX_SIZE)) throw new TestRunError(EINVAL, `ctx_in: wire_len ${wire} must be between the packet length (${pkt.len}) and ${GSO_LEGACY_MAX_SIZE}`);
    // convert___skb_to_skb() sets qdisc_skb_cb->pkt_len only when there is a ctx_in.
    skb.set('wire_len', ctxIn ? wire || pkt.len : 0);
    skb.set('len', pkt.len);

    const env = new RunEnv(rt, rt.host, type, prog.name, input.cpu ?? 0, pkt, undefined, skb);
    const r = repeatRuns(prog, env, skb.addr, input);
    if (!isL2) {
      // The MAC header comes back zeroed (bpf_prog_test_run_skb: memset(__skb_push(skb, hh_len), 0, hh_len)).
      pkt.skbMoveHead(-ETH_HLEN);
      pkt.buf.fill(0, pkt.data, pkt.data + ETH_HLEN);
    }
    return {
      retval: r.retval,
      insns: r.insns,
      error: r.error,
      dataOut: pkt.bytes().slice(),
      ctxOut: input.ctxIn ? skbCtxOut(skb) : undefined,
      printk: env.printk,
      redirect: env.redirect,
      clones: env.clones,
    };
  } finally {
    sock?.release();
    skb.release();
    pkt.release();
  }
}

/**
 * The socket bpf_prog_test_run_skb() attaches: sk_alloc(AF_UNSPEC) and sock_init_data(NULL, sk)
 * (type, protocol, ports, mark 0; TCP_CLOSE; no RX queue), then family and addresses from the
 * IPv4 or IPv6 header (found equal with the kernel oracle, test/fixtures/skb_fields.c).
 */
function testRunSockFacts(frame: Uint8Array): SockFacts {
  const et = (frame[12] << 8) | frame[13];
  if (et === 0x0800) {
    const ip = frame.length >= ETH_HLEN + 20;
    return { family: AF_INET, src_ip4: ip ? frame.subarray(ETH_HLEN + 12, ETH_HLEN + 16) : undefined, dst_ip4: ip ? frame.subarray(ETH_HLEN + 16, ETH_HLEN + 20) : undefined };
  }
  if (et === 0x86dd) {
    const ip = frame.length >= ETH_HLEN + 40;
    return { family: AF_INET6, src_ip6: ip ? frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24) : undefined, dst_ip6: ip ? frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40) : undefined };
  }
  return {};
}

/** Socket cookies of test runs: the kernel's come from a global counter; ours count per process. */
let testRunSockets = 0;

/** bpf_ctx_init(): a shorter ctx is zero-padded; a longer one must have only zeros past the struct. */
function ctxBytes(ctx: Uint8Array, size: number, name: string): Uint8Array {
  if (ctx.length > size && ctx.subarray(size).some((b) => b !== 0)) {
    throw new TestRunError(E2BIG, `ctx_in: ${ctx.length} bytes, but struct ${name} has ${size}; the bytes past it must be zero`);
  }
  const out = new Uint8Array(size);
  out.set(ctx.subarray(0, size));
  return out;
}

function checkSkbCtxIn(ctx: Uint8Array): void {
  const allowed = new Set(SKB_CTX_IN);
  for (const f of SK_BUFF) {
    if (allowed.has(f.name)) continue;
    if (ctx.subarray(f.off, f.off + f.size).some((b) => b !== 0)) {
      throw new TestRunError(EINVAL, `ctx_in: __sk_buff.${f.name} must be zero (a test run may set only ${SKB_CTX_IN.join(', ')})`);
    }
  }
}

/** convert_skb_to___skb(): the fields ctx_out reports; the rest stay zero. */
function skbCtxOut(skb: SkbCtx): Uint8Array {
  const out = new Uint8Array(SK_BUFF_SIZE);
  for (const name of SKB_CTX_IN) {
    const f = fieldByName(SK_BUFF, name);
    out.set(skb.bytes.subarray(f.off, f.off + f.size), f.off);
  }
  return out;
}

function setSockFields(skb: SkbCtx, frame: Uint8Array): void {
  const et = (frame[12] << 8) | frame[13];
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (et === 0x0800 && frame.length >= ETH_HLEN + 20) {
    skb.set('family', 2); // AF_INET
    skb.view.setUint32(fieldByName(SK_BUFF, 'local_ip4').off, v.getUint32(ETH_HLEN + 12, true), true);
    skb.view.setUint32(fieldByName(SK_BUFF, 'remote_ip4').off, v.getUint32(ETH_HLEN + 16, true), true);
  } else if (et === 0x86dd && frame.length >= ETH_HLEN + 40) {
    skb.set('family', 10); // AF_INET6
    skb.bytes.set(frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24), fieldByName(SK_BUFF, 'local_ip6').off);
    skb.bytes.set(frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40), fieldByName(SK_BUFF, 'remote_ip6').off);
  }
}
