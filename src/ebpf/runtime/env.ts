/**
 * What one program run sees besides its registers: the program type, the CPU it runs on, its
 * context and packet, the maps of its object, the host port, and the side effects that helpers
 * record for the caller (redirect target, clones, printk lines). Helpers receive it as
 * `HelperContext.env`; hooks build one per run.
 */
import type { BpfMap } from '../maps/index.ts';
import type { LoadedProgram } from '../vm/engine.ts';
import type { Memory } from '../vm/memory.ts';
import type { PacketBuf } from '../ctx/packet.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import type { XdpCtx } from '../ctx/xdp.ts';
import type { Host } from './host.ts';

/** Where bpf_redirect*() asked the packet to go; the hook applies it when the verdict says REDIRECT. */
export type RedirectTarget =
  | { kind: 'ifindex'; ifindex: number; flags: number }
  | { kind: 'peer'; ifindex: number; flags: number }
  | { kind: 'map'; map: BpfMap; key: number; flags: number; target: unknown }
  | { kind: 'sock'; map: BpfMap; key: Uint8Array; flags: number; target: unknown };

/** A packet copy emitted during the run (bpf_clone_redirect). */
export interface ClonedPacket {
  ifindex: number;
  ingress: boolean;
  bytes: Uint8Array;
}

export interface ProgEnv {
  readonly progType: string;
  readonly progName: string;
  readonly mem: Memory;
  readonly host: Host;
  /** Simulated CPU the program runs on (per-CPU maps, bpf_get_smp_processor_id). */
  readonly cpu: number;
  readonly nCpus: number;
  /** Resolve a map handle (what LD_IMM64 BPF_PSEUDO_MAP_FD loads) to the live map. */
  mapOf(handle: bigint): BpfMap | undefined;
  /** Resolve a PROG_ARRAY slot's program for bpf_tail_call. */
  progOf(ref: unknown): LoadedProgram | undefined;
  readonly pkt?: PacketBuf;
  readonly xdp?: XdpCtx;
  readonly skb?: SkbCtx;
  redirect?: RedirectTarget;
  readonly clones: ClonedPacket[];
  /** bpf_trace_printk / bpf_printk lines of this run. */
  readonly printk: string[];
}

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

export const TC_ACT_UNSPEC = -1;
export const TC_ACT_OK = 0;
export const TC_ACT_RECLASSIFY = 1;
export const TC_ACT_SHOT = 2;
export const TC_ACT_PIPE = 3;
export const TC_ACT_STOLEN = 4;
export const TC_ACT_QUEUED = 5;
export const TC_ACT_REPEAT = 6;
export const TC_ACT_REDIRECT = 7;

export const SK_DROP = 0;
export const SK_PASS = 1;

export const BPF_F_INGRESS = 1;
