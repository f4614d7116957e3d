/**
 * A helper call without an engine: a HelperContext over a real Memory, PacketBuf, SkbCtx/XdpCtx
 * and real maps, with argument registers set by the test. Nothing of the memory model is mocked.
 */
import { PacketBuf } from '../../../src/ebpf/ctx/packet.ts';
import { SkbCtx } from '../../../src/ebpf/ctx/skb.ts';
import { XdpCtx } from '../../../src/ebpf/ctx/xdp.ts';
import { kernelHelpers } from '../../../src/ebpf/helpers/index.ts';
import { createMap, mapFromHandle, type BpfMap, type MapDef } from '../../../src/ebpf/maps/index.ts';
import type { ProgEnv } from '../../../src/ebpf/runtime/env.ts';
import { StandaloneHost, type Host } from '../../../src/ebpf/runtime/host.ts';
import { type HelperContext, type HelperResult, type LoadedProgram, R0_SET } from '../../../src/ebpf/vm/engine.ts';
import { toU64 } from '../../../src/ebpf/vm/int64.ts';
import { Memory, type Region } from '../../../src/ebpf/vm/memory.ts';

const HELPERS = kernelHelpers();

export type Arg = bigint | number;

export class FakeCall implements HelperContext {
  readonly insns = 0;
  readonly pc = 0;
  constructor(
    readonly mem: Memory,
    readonly env: unknown,
    private readonly regs: readonly bigint[],
    readonly tailCalls = 0,
    private readonly fn?: (pc: number, args: readonly bigint[]) => bigint,
  ) {}
  arg(i: number): bigint {
    return BigInt.asUintN(64, this.regs[i] ?? 0n);
  }
  argLo(i: number): number {
    return Number(this.arg(i) & 0xffff_ffffn) | 0;
  }
  argHi(i: number): number {
    return Number(this.arg(i) >> 32n) | 0;
  }
  callFunction(pc: number, args: readonly bigint[]): bigint {
    if (!this.fn) throw new Error('no callback in this test');
    return this.fn(pc, args);
  }
  /** r0 as a helper set it through setR0. */
  r0?: bigint;
  setR0(lo: number, hi: number): typeof R0_SET {
    this.r0 = toU64(lo | 0, hi | 0);
    return R0_SET;
  }
}

export interface TestRunOptions {
  progType?: string;
  /** Packet bytes: an XDP frame for XDP, an skb for skb program types. */
  packet?: Uint8Array;
  cpu?: number;
  nCpus?: number;
  host?: Host;
  frameSize?: number;
}

export type TestEnv = ProgEnv & Record<string, unknown>;

/** One program run's worth of state for calling helpers directly. */
export class TestRun {
  readonly mem = new Memory();
  readonly host: Host;
  readonly env: TestEnv;
  readonly stack: Region;
  readonly pkt?: PacketBuf;
  readonly skb?: SkbCtx;
  readonly xdp?: XdpCtx;
  readonly maps: BpfMap[] = [];
  /** The engine's count of tail calls taken, as a test sets it. */
  tailCalls = 0;
  /** bpf-to-bpf callback for bpf_loop and bpf_for_each_map_elem. */
  callback?: (pc: number, args: readonly bigint[]) => bigint;

  constructor(opts: TestRunOptions = {}) {
    const progType = opts.progType ?? 'BPF_PROG_TYPE_SCHED_CLS';
    this.host = opts.host ?? new StandaloneHost(7);
    this.stack = this.mem.add('stack', 'stack', new Uint8Array(512));
    let pkt: PacketBuf | undefined, skb: SkbCtx | undefined, xdp: XdpCtx | undefined;
    if (opts.packet) {
      pkt = new PacketBuf(this.mem, opts.packet, opts.frameSize ? { frameSize: opts.frameSize, tailroom: 320 } : {});
      if (progType === 'BPF_PROG_TYPE_XDP') xdp = new XdpCtx(this.mem, pkt, { ingress_ifindex: 1 });
      else {
        skb = new SkbCtx(this.mem, pkt, progType);
        if (opts.packet.length >= 14) skb.set('protocol', opts.packet[12] | (opts.packet[13] << 8));
      }
    }
    this.pkt = pkt;
    this.skb = skb;
    this.xdp = xdp;
    const mem = this.mem;
    this.env = {
      progType,
      progName: 'test',
      mem,
      host: this.host,
      cpu: opts.cpu ?? 0,
      nCpus: opts.nCpus ?? 2,
      mapOf: (h: bigint) => mapFromHandle(mem, h),
      progOf: (ref: unknown) => ref as LoadedProgram | undefined,
      pkt,
      xdp,
      skb,
      clones: [],
      printk: [],
    };
  }

  map(def: Partial<MapDef> & { type: string }): BpfMap {
    const m = createMap({ name: `m${this.maps.length}`, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, ...def }, this.mem, { nCpus: this.env.nCpus });
    this.maps.push(m);
    return m;
  }

  /** Address of a stack offset. */
  sp(off: number): bigint {
    return Memory.addr(this.stack, off);
  }

  /** Put bytes on the stack at `off`; returns their address. */
  put(off: number, bytes: Uint8Array | number[]): bigint {
    this.stack.bytes.set(bytes, off);
    return this.sp(off);
  }

  stackBytes(off: number, len: number): Uint8Array {
    return this.stack.bytes.slice(off, off + len);
  }

  /** Address of a string constant in a read-only region (like .rodata). */
  str(s: string): bigint {
    const bytes = new TextEncoder().encode(s + '\0');
    const r = this.mem.add('rodata', 'rodata', bytes, { writable: false });
    return Memory.addr(r, 0);
  }

  ctx(...args: Arg[]): FakeCall {
    return new FakeCall(this.mem, this.env, [0n, ...args.map((a) => BigInt(a))], this.tailCalls, this.callback);
  }

  call(id: number, ...args: Arg[]): HelperResult {
    const fn = HELPERS.get(id);
    if (!fn) throw new Error(`helper ${id} not implemented`);
    const c = this.ctx(...args);
    const r = fn(c);
    // A helper that set r0 itself gives the test the same value a BigInt return would have.
    return r === R0_SET ? (c.r0 as bigint) : r;
  }

  /** Call a helper that returns a number or bigint and give it as a signed 64-bit number. */
  num(id: number, ...args: Arg[]): number {
    const r = this.call(id, ...args);
    if (typeof r === 'number') return r;
    if (typeof r === 'bigint') return Number(BigInt.asIntN(64, r));
    throw new Error(`helper ${id} returned ${String(r)}`);
  }

  packetBytes(): Uint8Array {
    if (!this.pkt) throw new Error('no packet');
    return this.pkt.bytes().slice();
  }
}

export const u32le = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v >>> 0]).buffer);
export const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
