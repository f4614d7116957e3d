/**
 * What BPF_PROG_TEST_RUN accepts, per program type, as net/bpf/test_run.c implements it in Linux 6.18
 * (x86_64, 4 KiB pages) and as checked on this kernel through `bpftool prog run`. chainlab's own
 * `prog run` mirrors these rules; the oracle uses them to explain the kernel's bare errno.
 * docs/kernel-oracle.md has the same rules in prose.
 */

/** bpftool's program type names (`bpftool prog show`). */
export type ProgTypeName = string;

export const ETH_HLEN = 14;
const PAGE_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): tailroom both runners reserve. */
const SHINFO = 320;
/** XDP_PACKET_HEADROOM. */
const XDP_HEADROOM = 256;
/** NET_SKB_PAD + NET_IP_ALIGN on x86_64. */
const SKB_HEADROOM = 64;
/** sizeof(struct xdp_frame): it lives in the XDP headroom and caps the metadata. */
const XDP_FRAME = 40;

/** Largest linear XDP packet; longer data_in goes to page fragments (even for non-frags programs). */
export const XDP_MAX_LINEAR = PAGE_SIZE - XDP_HEADROOM - SHINFO; // 3520
/** MAX_SKB_FRAGS (17) pages of fragments after the linear part; beyond that the kernel says ENOMEM. */
export const XDP_MAX_DATA = XDP_MAX_LINEAR + 17 * PAGE_SIZE;
/** Largest packet for the __sk_buff runner (bpf_test_init: size > PAGE_SIZE - headroom - tailroom). */
export const SKB_MAX_DATA = PAGE_SIZE - SKB_HEADROOM - SHINFO; // 3712
/** flow_dissector copies the packet with no head- or tailroom. */
export const FLOW_DISSECTOR_MAX_DATA = PAGE_SIZE;
/** XDP metadata (xdp_md.data when ctx_in is given): a multiple of 4, at most headroom - xdp_frame. */
export const XDP_MAX_META = XDP_HEADROOM - XDP_FRAME; // 216

export const XDP_MD_SIZE = 24;
export const SK_BUFF_SIZE = 192;

/** struct __sk_buff fields that ctx_in may set (convert___skb_to_skb); any other non-zero byte is -EINVAL. */
export const SKB_CTX_IN_FIELDS: readonly { name: string; offset: number; size: number }[] = [
  { name: 'mark', offset: 8, size: 4 },
  { name: 'priority', offset: 32, size: 4 },
  { name: 'ingress_ifindex', offset: 36, size: 4 },
  { name: 'ifindex', offset: 40, size: 4 },
  { name: 'cb', offset: 48, size: 20 },
  { name: 'tstamp', offset: 152, size: 8 },
  { name: 'wire_len', offset: 160, size: 4 },
  { name: 'gso_segs', offset: 164, size: 4 },
  { name: 'gso_size', offset: 176, size: 4 },
  { name: 'hwtstamp', offset: 184, size: 8 },
];

/** Which runner BPF_PROG_TEST_RUN uses for a program type, or why it has none. */
export type TestRunKind =
  | 'xdp' // bpf_prog_test_run_xdp
  | 'skb-l2' // bpf_prog_test_run_skb, program sees the Ethernet header (sched_cls, sched_act)
  | 'skb-l3' // bpf_prog_test_run_skb, data starts at the network header (socket_filter, cgroup_skb, lwt_*)
  | 'flow_dissector'
  | 'ctx-only' // raw_tp, syscall, sk_lookup: no packet; bpftool 7.1 cannot drive them (see notes)
  | 'tracing' // fentry/fexit/fmod_ret: runs the kernel's own test functions
  | 'unsupported'; // no .test_run: the kernel answers ENOTSUPP (524)

export const TEST_RUN_KIND: Readonly<Record<ProgTypeName, TestRunKind>> = {
  xdp: 'xdp',
  sched_cls: 'skb-l2',
  sched_act: 'skb-l2',
  socket_filter: 'skb-l3',
  cgroup_skb: 'skb-l3',
  lwt_in: 'skb-l3',
  lwt_out: 'skb-l3',
  lwt_xmit: 'skb-l3',
  lwt_seg6local: 'skb-l3',
  flow_dissector: 'flow_dissector',
  raw_tracepoint: 'ctx-only',
  raw_tracepoint_writable: 'ctx-only',
  syscall: 'ctx-only',
  sk_lookup: 'ctx-only',
  tracing: 'tracing',
  struct_ops: 'tracing',
  sk_skb: 'unsupported',
  sk_msg: 'unsupported',
  sock_ops: 'unsupported',
  cgroup_sock: 'unsupported',
  cgroup_sock_addr: 'unsupported',
  cgroup_sockopt: 'unsupported',
  cgroup_sysctl: 'unsupported',
  cgroup_device: 'unsupported',
  kprobe: 'unsupported',
  tracepoint: 'unsupported',
  perf_event: 'unsupported',
  sk_reuseport: 'unsupported',
  lirc_mode2: 'unsupported',
  lsm: 'unsupported',
  ext: 'unsupported',
};

export function testRunKind(type: ProgTypeName): TestRunKind {
  return TEST_RUN_KIND[type] ?? 'unsupported';
}

/** Kernel errno names from bpftool's strerror() text ("failed to run program: Invalid argument"). */
const STRERROR: Readonly<Record<string, string>> = {
  'Invalid argument': 'EINVAL',
  'Unknown error 524': 'ENOTSUPP',
  'Operation not supported': 'EOPNOTSUPP',
  'Argument list too long': 'E2BIG',
  'Cannot allocate memory': 'ENOMEM',
  'Message too long': 'EMSGSIZE',
  'No such device': 'ENODEV',
  'No space left on device': 'ENOSPC',
  'Bad address': 'EFAULT',
  'Bad message': 'EBADMSG',
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
  'No such file or directory': 'ENOENT',
  'File exists': 'EEXIST',
  'Numerical result out of range': 'ERANGE',
  'No such device or address': 'ENXIO',
  'Address family not supported by protocol': 'EAFNOSUPPORT',
  'Interrupted system call': 'EINTR',
  'Protocol error': 'EPROTO',
};

/** `Invalid argument` (or a whole bpftool error line) → `EINVAL`; undefined when unknown. */
export function errnoName(text: string): string | undefined {
  for (const [msg, name] of Object.entries(STRERROR)) if (text.endsWith(msg)) return name;
  return undefined;
}

export interface RunShape {
  dataLen?: number;
  ctx?: Uint8Array;
}

const u32 = (b: Uint8Array, off: number): number =>
  off + 4 <= b.length ? (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0 : 0;

function nonZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < Math.min(to, b.length); i++) if (b[i] !== 0) return true;
  return false;
}

function dataRules(kind: TestRunKind, n: number | undefined, meta: number): string[] {
  const len = n ?? 0;
  const max = kind === 'xdp' ? XDP_MAX_DATA : kind === 'flow_dissector' ? FLOW_DISSECTOR_MAX_DATA : SKB_MAX_DATA;
  if (meta > 0 && len - meta < ETH_HLEN) {
    return [`data_in is ${len} bytes of which ${meta} are XDP metadata; the kernel needs at least ${ETH_HLEN} (ETH_HLEN) after them`];
  }
  if (len < ETH_HLEN) return [`data_in is ${len} bytes; the kernel needs at least ${ETH_HLEN} (ETH_HLEN)`];
  if (len > max) {
    return kind === 'xdp'
      ? [`data_in is ${len} bytes; XDP takes at most ${XDP_MAX_LINEAR} linear bytes plus 17 pages of fragments (${max})`]
      : [`data_in is ${len} bytes; this runner takes at most ${max} (PAGE_SIZE - headroom - skb_shared_info)`];
  }
  return [];
}

function xdpCtxRules(ctx: Uint8Array, dataLen: number): string[] {
  const out: string[] = [];
  if (nonZero(ctx, XDP_MD_SIZE, ctx.length)) out.push(`ctx_in is ${ctx.length} bytes; bytes past struct xdp_md (${XDP_MD_SIZE}) must be zero (E2BIG)`);
  const data = u32(ctx, 0);
  const dataEnd = u32(ctx, 4);
  if (u32(ctx, 8) !== 0) out.push('xdp_md.data_meta must be 0 (metadata starts the buffer)');
  // data_end may be shorter than data_in (even under ETH_HLEN): the rest goes to fragments.
  if (dataEnd > dataLen) out.push(`xdp_md.data_end (${dataEnd}) must not exceed the data_in length (${dataLen})`);
  if (data > dataEnd) out.push(`xdp_md.data (${data}) must not exceed data_end (${dataEnd})`);
  if (data % 4 !== 0 || data > XDP_MAX_META) out.push(`xdp_md.data is the metadata length (${data}): a multiple of 4, at most ${XDP_MAX_META}`);
  const ifindex = u32(ctx, 12);
  const rxq = u32(ctx, 16);
  if (ifindex === 0 && rxq !== 0) out.push('xdp_md.rx_queue_index needs an ingress_ifindex');
  if (ifindex !== 0) out.push(`xdp_md.ingress_ifindex ${ifindex} must name a device with a registered XDP rx queue (lo is 1), rx_queue_index below its queue count (else ENODEV/EINVAL)`);
  if (u32(ctx, 20) !== 0) out.push('xdp_md.egress_ifindex must be 0');
  return out;
}

function skbCtxRules(ctx: Uint8Array, dataLen: number, kind: TestRunKind): string[] {
  const out: string[] = [];
  if (nonZero(ctx, SK_BUFF_SIZE, ctx.length)) out.push(`ctx_in is ${ctx.length} bytes; bytes past struct __sk_buff (${SK_BUFF_SIZE}) must be zero (E2BIG)`);
  const allowed = new Uint8Array(SK_BUFF_SIZE);
  for (const f of SKB_CTX_IN_FIELDS) allowed.fill(1, f.offset, f.offset + f.size);
  const bad = new Set<number>();
  for (let i = 0; i < Math.min(ctx.length, SK_BUFF_SIZE); i++) if (ctx[i] !== 0 && !allowed[i]) bad.add(i);
  if (bad.size) {
    const names = SKB_CTX_IN_FIELDS.map((f) => f.name).join(', ');
    out.push(`__sk_buff bytes at offsets ${[...bad].join(', ')} are set; ctx_in may only set ${names}`);
  }
  const wire = u32(ctx, 160);
  const skbLen = kind === 'skb-l2' ? dataLen : dataLen - ETH_HLEN;
  if (wire !== 0 && (wire < skbLen || wire > 65536)) out.push(`__sk_buff.wire_len (${wire}) must be 0 or between skb->len (${skbLen}) and 65536`);
  if (u32(ctx, 164) > 65535) out.push('__sk_buff.gso_segs must be at most 65535 (GSO_MAX_SEGS)');
  if (u32(ctx, 40) > 1) out.push(`__sk_buff.ifindex ${u32(ctx, 40)} must name an existing device (else ENODEV)`);
  return out;
}

/**
 * The kernel's rules that an input breaks, for a program of `type`: a reading of a bare errno.
 * Empty when no rule explains the failure.
 */
export function explainTestRun(type: ProgTypeName, errno: string | undefined, input: RunShape): string[] {
  const kind = testRunKind(type);
  if (errno === 'ENOTSUPP' || kind === 'unsupported') {
    return [`${type} programs have no BPF_PROG_TEST_RUN support in the kernel (ENOTSUPP)`];
  }
  if (kind === 'ctx-only') {
    return [`${type} programs take only ctx_in, without data or repeat; bpftool 7.1 always sends repeat=1, so the kernel says EINVAL`];
  }
  if (kind === 'tracing') return [`${type} programs run the kernel's test functions, not a packet`];
  const meta = kind === 'xdp' && input.ctx ? u32(input.ctx, 0) : 0;
  const out = dataRules(kind, input.dataLen, meta);
  if (input.ctx && kind === 'xdp') out.push(...xdpCtxRules(input.ctx, input.dataLen ?? 0));
  if (input.ctx && (kind === 'skb-l2' || kind === 'skb-l3')) out.push(...skbCtxRules(input.ctx, input.dataLen ?? 0, kind));
  if (input.ctx && kind === 'flow_dissector' && (nonZero(input.ctx, 0, 48) || nonZero(input.ctx, 52, input.ctx.length))) {
    out.push('ctx_in (struct bpf_flow_keys) may only set flags');
  }
  if (kind === 'xdp' && errno === 'EINVAL' && out.length === 0) {
    out.push('XDP programs for devmap or cpumap entries (SEC "xdp/devmap", "xdp/cpumap") cannot be test-run (EINVAL)');
  }
  return out;
}
