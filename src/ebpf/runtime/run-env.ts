/**
 * The ProgEnv of one program run, over a runtime: what `prog run` and the datapath's hooks hand
 * to helpers. The host port is the caller's (the runtime's own for `prog run`, the namespace's in
 * a simulation, since ifindexes and routes are per namespace).
 */
import type { PacketBuf } from '../ctx/packet.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import type { XdpCtx } from '../ctx/xdp.ts';
import type { SkMsg } from '../helpers/sock.ts';
import type { BpfMap } from '../maps/index.ts';
import type { LoadedProgram } from '../vm/engine.ts';
import type { Memory } from '../vm/memory.ts';
import type { ClonedPacket, ProgEnv, RedirectTarget } from './env.ts';
import type { Host } from './host.ts';
import type { Runtime } from './runtime.ts';

const NONE: readonly never[] = Object.freeze([]);

export class RunEnv implements ProgEnv {
  redirect?: RedirectTarget;
  /** The message of an SK_MSG run (helpers/sock.ts). */
  msg?: SkMsg;
  // Created on first use: most runs clone nothing and print nothing, and the datapath makes a
  // RunEnv for every program run.
  private clonesList?: ClonedPacket[];
  private printkList?: string[];
  get clones(): ClonedPacket[] {
    return (this.clonesList ??= []);
  }
  get printk(): string[] {
    return (this.printkList ??= []);
  }
  /** The clones the run made, without creating a list when it made none. */
  get clonesMade(): readonly ClonedPacket[] {
    return this.clonesList ?? NONE;
  }
  /** The printk lines of the run, without creating a list when there were none. */
  get printkLines(): readonly string[] {
    return this.printkList ?? NONE;
  }
  constructor(
    readonly rt: Runtime,
    readonly host: Host,
    readonly progType: string,
    readonly progName: string,
    readonly cpu: number,
    readonly pkt?: PacketBuf,
    readonly xdp?: XdpCtx,
    readonly skb?: SkbCtx,
  ) {}
  get mem(): Memory {
    return this.rt.mem;
  }
  get nCpus(): number {
    return this.rt.nCpus;
  }
  mapOf(handle: bigint): BpfMap | undefined {
    return this.rt.mapOf(handle);
  }
  progOf(ref: unknown): LoadedProgram | undefined {
    return this.rt.progOf(ref);
  }
}
