/**
 * Running programs at the datapath's hooks: builds the context a hook gives its program
 * (xdp_buff + xdp_md for XDP, sk_buff + __sk_buff for tc), runs it, and writes back what the
 * program changed (packet bytes, metadata, skb fields). Models the calling side of
 * bpf_prog_run_xdp() (include/net/xdp.h) and tcf_classify()/sch_handle_ingress()
 * (net/core/dev.c) with direct-action bpf filters.
 */
import { SkbCtx } from '../ebpf/ctx/skb.ts';
import { PacketBuf, SKB_SHARED_INFO_SIZE, XDP_PACKET_HEADROOM } from '../ebpf/ctx/packet.ts';
import { XdpCtx } from '../ebpf/ctx/xdp.ts';
import { lineAt } from '../ebpf/elf/spec.ts';
import type { ClonedPacket, ProgEnv, RedirectTarget } from '../ebpf/runtime/env.ts';
import type { Host as HostPort } from '../ebpf/runtime/host.ts';
import type { LiveProgram, Runtime } from '../ebpf/runtime/runtime.ts';
import type { VmError } from '../ebpf/vm/engine.ts';
import type { ProgStep } from '../trace/records.ts';
import type { CostProfile } from '../cost/profile.ts';
import type { Skb } from './skb.ts';

/** Headroom an skb built by a driver has in front of the MAC header (NET_SKB_PAD + NET_IP_ALIGN). */
const SKB_HEADROOM = 66;

export interface ProgOutcome {
  /** r0 as the hook reads it (signed 32-bit for tc, unsigned for XDP). */
  verdict: number;
  steps: ProgStep[];
  /** CPU time of the run: entry + instructions + helper calls. */
  cost: number;
  redirect?: RedirectTarget;
  clones: ClonedPacket[];
  printk: string[];
  error?: VmError;
}

class HookEnv implements ProgEnv {
  redirect?: RedirectTarget;
  readonly clones: ClonedPacket[] = [];
  readonly printk: string[] = [];
  constructor(
    readonly rt: Runtime,
    readonly host: HostPort,
    readonly progType: string,
    readonly progName: string,
    readonly cpu: number,
    readonly pkt?: PacketBuf,
    readonly xdp?: XdpCtx,
    readonly skb?: SkbCtx,
  ) {}
  get mem() {
    return this.rt.mem;
  }
  get nCpus() {
    return this.rt.nCpus;
  }
  mapOf(handle: bigint) {
    return this.rt.mapOf(handle);
  }
  progOf(ref: unknown) {
    return this.rt.progOf(ref);
  }
}

function outcome(rt: Runtime, prog: LiveProgram, env: HookEnv, costs: CostProfile, args: bigint[], signed: boolean): ProgOutcome {
  const r = prog.run(env, args);
  const steps: ProgStep[] = r.steps.map((s) => {
    const live = [...prog.object.programs.values()].find((p) => p.name === s.name) ?? prog;
    const li = s.exitPc !== undefined ? lineAt(live.spec, s.exitPc) : undefined;
    return { prog: s.name, insns: s.insns, line: li && li.line ? `${li.file.replace(/^\.\//, '')}:${li.line}` : undefined };
  });
  const v = r.r0 ?? 0n;
  return {
    verdict: signed ? Number(BigInt.asIntN(32, v)) : Number(BigInt.asUintN(32, v)),
    steps,
    cost: costs.progEntryNs * (1 + r.tailCalls) + r.insns * costs.insnNs + r.helperCalls * costs.helperCallNs,
    redirect: env.redirect,
    clones: env.clones,
    printk: env.printk,
    error: r.error,
  };
}

/** Run an XDP program on the frame; the skb's bytes and metadata take the program's changes. */
export function runXdp(
  rt: Runtime,
  host: HostPort,
  costs: CostProfile,
  prog: LiveProgram,
  skb: Skb,
  where: { ifindex: number; rxQueue: number; cpu: number },
): ProgOutcome {
  const pkt = new PacketBuf(rt.mem, skb.data, { headroom: XDP_PACKET_HEADROOM, tailroom: SKB_SHARED_INFO_SIZE, frameSize: 4096 });
  if (skb.meta.length) {
    pkt.buf.set(skb.meta, pkt.data - skb.meta.length);
    pkt.dataMeta = pkt.data - skb.meta.length;
    pkt.sync();
  }
  const xdp = new XdpCtx(rt.mem, pkt, { ingress_ifindex: where.ifindex, rx_queue_index: where.rxQueue });
  try {
    const env = new HookEnv(rt, host, prog.progType, prog.name, where.cpu, pkt, xdp);
    const out = outcome(rt, prog, env, costs, [xdp.addr], false);
    skb.data = pkt.bytes().slice();
    skb.meta = pkt.meta().slice();
    return out;
  } finally {
    xdp.release();
    pkt.release();
  }
}

/** Run a tc (SCHED_CLS, direct-action) program on the skb; skb fields the program may write are copied back. */
export function runTc(
  rt: Runtime,
  host: HostPort,
  costs: CostProfile,
  prog: LiveProgram,
  skb: Skb,
  where: { ifindex: number; ingress: boolean; cpu: number; pktType: number },
): ProgOutcome {
  const pkt = new PacketBuf(rt.mem, skb.data, { headroom: SKB_HEADROOM + skb.meta.length, tailroom: SKB_SHARED_INFO_SIZE, metaLen: 0 });
  if (skb.meta.length) {
    pkt.buf.set(skb.meta, pkt.data - skb.meta.length);
    pkt.dataMeta = pkt.data - skb.meta.length;
    pkt.sync();
  }
  const ctx = new SkbCtx(rt.mem, pkt, prog.progType);
  try {
    const et = skb.data.length >= 14 ? (skb.data[12] << 8) | skb.data[13] : 0;
    ctx.protocol = et;
    ctx.set('pkt_type', where.pktType);
    ctx.set('mark', skb.mark);
    ctx.set('priority', skb.priority);
    ctx.set('queue_mapping', skb.queueMapping);
    ctx.set('tc_index', skb.tcIndex);
    ctx.set('tc_classid', skb.tcClassid);
    ctx.set('hash', skb.hash);
    ctx.set('ifindex', where.ifindex);
    ctx.set('ingress_ifindex', where.ingress ? where.ifindex : skb.ingressIfindex);
    ctx.set('wire_len', skb.len);
    if (skb.vlan) {
      ctx.set('vlan_present', 1);
      ctx.set('vlan_tci', skb.vlan.tci);
      ctx.set('vlan_proto', ((skb.vlan.proto & 0xff) << 8) | (skb.vlan.proto >> 8));
    }
    ctx.bytes.set(skb.cb, 48);
    ctx.setU64('tstamp', skb.tstamp);
    const env = new HookEnv(rt, host, prog.progType, prog.name, where.cpu, pkt, undefined, ctx);
    const out = outcome(rt, prog, env, costs, [ctx.addr], true);
    skb.data = pkt.bytes().slice();
    skb.meta = pkt.meta().slice();
    skb.mark = ctx.get('mark');
    skb.priority = ctx.get('priority');
    skb.queueMapping = ctx.get('queue_mapping');
    skb.tcIndex = ctx.get('tc_index');
    skb.tcClassid = ctx.get('tc_classid');
    skb.hash = ctx.get('hash');
    skb.tstamp = ctx.getU64('tstamp');
    skb.cb.set(ctx.bytes.subarray(48, 68));
    skb.vlan = ctx.get('vlan_present') ? { tci: ctx.get('vlan_tci'), proto: ((ctx.get('vlan_proto') & 0xff) << 8) | (ctx.get('vlan_proto') >> 8) } : undefined;
    return out;
  } finally {
    ctx.release();
    pkt.release();
  }
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
