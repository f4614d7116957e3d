/**
 * Running programs at the datapath's hooks: builds the context a hook gives its program
 * (xdp_buff + xdp_md for XDP, sk_buff + __sk_buff for tc), runs it, and writes back what the
 * program changed (packet bytes, metadata, skb fields). Models the calling side of
 * bpf_prog_run_xdp() (include/net/xdp.h) and tcf_classify()/sch_handle_ingress()
 * (net/core/dev.c) with direct-action bpf filters.
 */
import { SkbCtx } from '../ebpf/ctx/skb.ts';
import { SK_BUFF } from '../ebpf/ctx/layout.ts';
import { PacketBuf, SKB_SHARED_INFO_SIZE, XDP_PACKET_HEADROOM } from '../ebpf/ctx/packet.ts';
import { XdpCtx } from '../ebpf/ctx/xdp.ts';
import { lineAt } from '../ebpf/elf/spec.ts';
import type { ClonedPacket, RedirectTarget } from '../ebpf/runtime/env.ts';
import { RunEnv } from '../ebpf/runtime/run-env.ts';
import type { Host as HostPort } from '../ebpf/runtime/host.ts';
import type { LiveProgram, Runtime } from '../ebpf/runtime/runtime.ts';
import { resetSkbState } from '../ebpf/helpers/index.ts';
import type { RunResult, VmError } from '../ebpf/vm/engine.ts';
import type { ProgStep } from '../trace/records.ts';
import type { CostProfile } from '../cost/profile.ts';
import type { Skb } from './skb.ts';

/** __sk_buff field offsets by name, and the 32-bit word index of each (fields are 4-aligned). */
const SKB = Object.fromEntries(SK_BUFF.map((f) => [f.name, f.off])) as Record<string, number>;
const W = Object.fromEntries(SK_BUFF.map((f) => [f.name, f.off >> 2])) as Record<string, number>;
if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) throw new Error('chainlab assumes a little-endian host (as eBPF on x86-64 and arm64 is)');

/** Headroom an skb built by a driver has in front of the MAC header (NET_SKB_PAD + NET_IP_ALIGN). */
const SKB_HEADROOM = 66;

export interface ProgOutcome {
  /** r0 as the hook reads it (signed 32-bit for tc, unsigned for XDP). */
  verdict: number;
  readonly steps: ProgStep[];
  /** CPU time of the run: entry + instructions + helper calls. */
  cost: number;
  redirect?: RedirectTarget;
  clones: readonly ClonedPacket[];
  printk: readonly string[];
  error?: VmError;
}

/** "file.c:42" of a program's instruction, memoised: the trace asks for it on every run. */
const lineMemo = new WeakMap<LiveProgram, Map<number, string | undefined>>();
function lineOf(prog: LiveProgram, pc: number | undefined): string | undefined {
  if (pc === undefined) return undefined;
  let m = lineMemo.get(prog);
  if (!m) lineMemo.set(prog, (m = new Map()));
  if (m.has(pc)) return m.get(pc);
  const li = lineAt(prog.spec, pc);
  const s = li && li.line ? `${li.file.replace(/^\.\//, '')}:${li.line}` : undefined;
  m.set(pc, s);
  return s;
}

/**
 * The \`return\` statement that set the verdict, when the run was traced (verdictPc: the last write
 * of r0 in the outermost frame) and the line table attributes that instruction to a \`return\`.
 * Otherwise undefined, and the trace shows the exit's line: clang often merges returns into one
 * exit, gives the r0 write no line (line 0) or hoists it into another statement (the function's
 * first line), and a line guessed from those would look right and be wrong.
 */
function returnLineOf(prog: LiveProgram, pc: number | undefined): string | undefined {
  if (pc === undefined) return undefined;
  const li = lineAt(prog.spec, pc);
  if (!li || li.line === 0 || !/\breturn\b/.test(li.text)) return undefined;
  return lineOf(prog, pc);
}

/** A program run as the hook sees it; the trace's per-program steps are built only when read. */
class RunOutcome implements ProgOutcome {
  private stepList?: ProgStep[];
  constructor(
    readonly verdict: number,
    readonly cost: number,
    readonly redirect: RedirectTarget | undefined,
    readonly clones: readonly ClonedPacket[],
    readonly printk: readonly string[],
    readonly error: VmError | undefined,
    private readonly prog: LiveProgram,
    private readonly run: RunResult,
  ) {}
  get steps(): ProgStep[] {
    const prog = this.prog;
    return (this.stepList ??= this.run.steps.map((s) => {
      const p = prog.object.programs.get(s.name) ?? prog;
      return { prog: s.name, insns: s.insns, line: returnLineOf(p, s.verdictPc) ?? lineOf(p, s.exitPc) };
    }));
  }
}

function outcome(prog: LiveProgram, env: RunEnv, costs: CostProfile, args: readonly bigint[], signed: boolean, traced: boolean): ProgOutcome {
  const r = prog.run(env, args, undefined, traced);
  const lo = r.r0Lo ?? Number(BigInt.asIntN(32, r.r0 ?? 0n));
  const cost = costs.progEntryNs * (1 + r.tailCalls) + r.insns * costs.insnNs + r.helperCalls * costs.helperCallNs;
  return new RunOutcome(signed ? lo : lo >>> 0, cost, env.redirect, env.clonesMade, env.printkLines, r.error, prog, r);
}

/**
 * Buffers and contexts reused from one program run to the next: the datapath runs one program
 * at a time and copies what it needs out before anything else runs, so allocating a page-sized
 * xdp_buff and its memory regions per packet would only feed the garbage collector.
 */
export class HookScratch {
  private xdpHook?: { pkt: PacketBuf; ctx: XdpCtx; args: readonly bigint[] };
  private readonly skb = new Map<string, { pkt: PacketBuf; ctx: SkbCtx; args: readonly bigint[] }>();
  /** `observed`: whether hops are watched now (then runs note their verdict's instruction). */
  constructor(
    private readonly rt: Runtime,
    readonly observed: () => boolean = () => false,
  ) {}

  /** The xdp_buff, its xdp_md and the program's arguments (r1 = the context), reset for this frame. */
  xdp(frame: Uint8Array, meta: Uint8Array, ifindex: number, rxQueue: number, egressIfindex = 0): { pkt: PacketBuf; ctx: XdpCtx; args: readonly bigint[] } {
    let e = this.xdpHook;
    if (e === undefined) {
      const pkt = new PacketBuf(this.rt.mem, frame, { headroom: XDP_PACKET_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE, frameSize: 4096 });
      const ctx = new XdpCtx(this.rt.mem, pkt);
      this.xdpHook = e = { pkt, ctx, args: [ctx.addr] };
    }
    e.pkt.reset(frame, XDP_PACKET_HEADROOM, meta);
    e.ctx.reset(e.pkt, ifindex, rxQueue, egressIfindex);
    return e;
  }

  tc(progType: string, frame: Uint8Array, meta: Uint8Array): { pkt: PacketBuf; ctx: SkbCtx; args: readonly bigint[] } {
    let e = this.skb.get(progType);
    if (!e) {
      const pkt = new PacketBuf(this.rt.mem, frame, { headroom: SKB_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE });
      const ctx = new SkbCtx(this.rt.mem, pkt, progType);
      e = { pkt, ctx, args: [ctx.addr] };
      this.skb.set(progType, e);
    }
    e.pkt.reset(frame, SKB_HEADROOM + meta.length, meta);
    e.ctx.reset(e.pkt);
    resetSkbState(e.ctx);
    return e;
  }
}

/**
 * Run an XDP program on the frame; the skb's bytes and metadata take the program's changes. At
 * the XDP hook `where` is the receiving device and queue. For the program of a devmap or cpumap
 * entry (kernel/bpf/devmap.c: dev_map_bpf_prog_run; kernel/bpf/cpumap.c: cpu_map_bpf_prog_run_xdp)
 * ingress_ifindex is still the device that received the frame, rx_queue_index whatever the caller
 * says (0 on the frame paths: their xdp_rxq_info carries only the device), and egress_ifindex the
 * devmap target (0 elsewhere; only BPF_XDP_DEVMAP programs may read it).
 */
export function runXdp(
  scratch: HookScratch,
  rt: Runtime,
  host: HostPort,
  costs: CostProfile,
  prog: LiveProgram,
  skb: Skb,
  where: { ifindex: number; rxQueue: number; cpu: number; egressIfindex?: number },
): ProgOutcome {
  const { pkt, ctx, args } = scratch.xdp(skb.data, skb.meta, where.ifindex, where.rxQueue, where.egressIfindex ?? 0);
  const env = new RunEnv(rt, host, prog.progType, prog.name, where.cpu, pkt, ctx);
  const out = outcome(prog, env, costs, args, false, scratch.observed());
  copyBack(pkt, skb);
  return out;
}

const EMPTY = new Uint8Array(0);

/** The program's packet becomes the skb's, copied only if the run may have changed it. */
function copyBack(pkt: PacketBuf, skb: Skb): void {
  if (!pkt.changedSinceReset()) return;
  skb.data = pkt.bytes().slice();
  skb.meta = pkt.metaLen ? pkt.meta().slice() : EMPTY;
}

/** Whether a program left anything in __sk_buff.cb[] (zeroed at reset), without a view per packet. */
function cbWritten(b: Uint8Array): boolean {
  for (let i = SKB.cb; i < SKB.cb + 20; i++) if (b[i] !== 0) return true;
  return false;
}

/** Run a tc (SCHED_CLS, direct-action) program on the skb; skb fields the program may write are copied back. */
export function runTc(
  scratch: HookScratch,
  rt: Runtime,
  host: HostPort,
  costs: CostProfile,
  prog: LiveProgram,
  skb: Skb,
  where: { ifindex: number; ingress: boolean; cpu: number; pktType: number },
): ProgOutcome {
  const { pkt, ctx, args } = scratch.tc(prog.progType, skb.data, skb.meta);
  // __sk_buff is filled and read back for every packet at every tc hook: 32-bit words through a
  // typed array (little-endian host, as the context layout assumes), offsets resolved at load.
  const w = ctx.words;
  const et = skb.data.length >= 14 ? (skb.data[12] << 8) | skb.data[13] : 0;
  w[W.protocol] = ((et & 0xff) << 8) | (et >> 8);
  w[W.pkt_type] = where.pktType;
  w[W.mark] = skb.mark;
  w[W.priority] = skb.priority;
  w[W.queue_mapping] = skb.queueMapping;
  w[W.tc_index] = skb.tcIndex;
  w[W.tc_classid] = skb.tcClassid;
  w[W.hash] = skb.hash;
  w[W.ifindex] = where.ifindex;
  w[W.ingress_ifindex] = where.ingress ? where.ifindex : skb.ingressIfindex;
  w[W.wire_len] = skb.len;
  const vlan = skb.vlan;
  if (vlan) {
    w[W.vlan_present] = 1;
    w[W.vlan_tci] = vlan.tci;
    w[W.vlan_proto] = ((vlan.proto & 0xff) << 8) | (vlan.proto >> 8);
  }
  if (skb.hasCb) ctx.bytes.set(skb.cb, SKB.cb);
  if (skb.tstamp !== 0n) ctx.view.setBigUint64(SKB.tstamp, skb.tstamp, true);
  const env = new RunEnv(rt, host, prog.progType, prog.name, where.cpu, pkt, undefined, ctx);
  const out = outcome(prog, env, costs, args, true, scratch.observed());
  copyBack(pkt, skb);
  skb.mark = w[W.mark];
  skb.priority = w[W.priority];
  skb.queueMapping = w[W.queue_mapping];
  skb.tcIndex = w[W.tc_index];
  skb.tcClassid = w[W.tc_classid];
  skb.hash = w[W.hash];
  // No BigInt for the usual zero timestamp.
  skb.tstamp = w[W.tstamp] === 0 && w[W.tstamp + 1] === 0 ? 0n : ctx.view.getBigUint64(SKB.tstamp, true);
  if (skb.hasCb || cbWritten(ctx.bytes)) skb.cb.set(ctx.bytes.subarray(SKB.cb, SKB.cb + 20));
  if (w[W.vlan_present] === 0) skb.vlan = undefined;
  else {
    const tci = w[W.vlan_tci];
    const proto = ((w[W.vlan_proto] & 0xff) << 8) | (w[W.vlan_proto] >>> 8);
    if (vlan === undefined || vlan.tci !== tci || vlan.proto !== proto) skb.vlan = { tci, proto };
  }
  return out;
}

export const XDP_VERDICTS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

export function xdpVerdictName(v: number): string {
  return XDP_VERDICTS[v] ?? `XDP_UNKNOWN(${v})`;
}

const TC_NAMES: Record<number, string> = {
  [-1]: 'TC_ACT_UNSPEC',
  0: 'TC_ACT_OK',
  1: 'TC_ACT_RECLASSIFY',
  2: 'TC_ACT_SHOT',
  3: 'TC_ACT_PIPE',
  4: 'TC_ACT_STOLEN',
  5: 'TC_ACT_QUEUED',
  6: 'TC_ACT_REPEAT',
  7: 'TC_ACT_REDIRECT',
  8: 'TC_ACT_TRAP',
};

export function tcVerdictName(v: number): string {
  return TC_NAMES[v] ?? `TC_ACT_VALUE(${v})`;
}
