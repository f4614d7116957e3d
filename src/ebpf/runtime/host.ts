/**
 * The runtime's one port to the outside (DESIGN.md: "reaches the outside only through a small
 * Host port"): simulated time, seeded randomness, network devices for redirects and FIB
 * lookups, and sinks for trace_printk and perf/ringbuf wake-ups. The simulator implements it;
 * `chainlab prog run` uses StandaloneHost.
 */

export interface FibResult {
  /** BPF_FIB_LKUP_RET_* code. */
  ret: number;
  ifindex: number;
  smac: Uint8Array;
  dmac: Uint8Array;
  mtu: number;
}

export interface FibQuery {
  family: number;
  /** Destination address bytes (4 or 16). */
  dst: Uint8Array;
  src: Uint8Array;
  ifindex: number;
  tos: number;
  flags: number;
}

export interface Host {
  /** bpf_ktime_get_ns: simulated nanoseconds since boot. */
  nowNs(): bigint;
  /** bpf_ktime_get_boot_ns. */
  bootNs(): bigint;
  /** bpf_get_prandom_u32: a seeded stream, never Math.random. */
  randomU32(): number;
  /** Is there a netdev with this ifindex (redirect targets)? */
  hasDevice(ifindex: number): boolean;
  /** The MTU of netdev ifindex (bpf_check_mtu); a host without it gives every device ETH_DATA_LEN. */
  deviceMtu?(ifindex: number): number | undefined;
  /** bpf_fib_lookup against the simulated routing and neighbour tables. */
  fibLookup(q: FibQuery): FibResult;
  /** bpf_trace_printk output, one formatted line. */
  tracePrintk(line: string): void;
}

/** xorshift128+: small, fast and seedable; quality is ample for simulated randomness. */
export class SeededRandom {
  private s0: bigint;
  private s1: bigint;

  constructor(seed: number | bigint = 1) {
    // splitmix64 spreads a small seed over both words.
    let z = BigInt.asUintN(64, BigInt(seed) + 0x9e3779b97f4a7c15n);
    const next = (): bigint => {
      z = BigInt.asUintN(64, z + 0x9e3779b97f4a7c15n);
      let x = z;
      x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n);
      x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d049bb133111ebn);
      return x ^ (x >> 31n);
    };
    this.s0 = next();
    this.s1 = next();
  }

  nextU64(): bigint {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.s1 + y);
  }

  nextU32(): number {
    return Number(this.nextU64() >> 32n);
  }
}

/** BPF_FIB_LKUP_RET_NOT_FWDED: no route (the standalone host has no routing table). */
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;

/** A host for running programs alone (`prog run`): a fixed clock, seeded randomness, one loopback device. */
export class StandaloneHost implements Host {
  private readonly rng: SeededRandom;
  readonly printk: string[] = [];
  constructor(
    seed = 1,
    private readonly clockNs = 1_000_000_000n,
  ) {
    this.rng = new SeededRandom(seed);
  }
  nowNs(): bigint {
    return this.clockNs;
  }
  bootNs(): bigint {
    return this.clockNs;
  }
  randomU32(): number {
    return this.rng.nextU32();
  }
  hasDevice(ifindex: number): boolean {
    return ifindex === 1;
  }
  /** lo's MTU (loopback_setup: 64 KiB). */
  deviceMtu(ifindex: number): number | undefined {
    return ifindex === 1 ? 65536 : undefined;
  }
  fibLookup(): FibResult {
    return { ret: BPF_FIB_LKUP_RET_NOT_FWDED, ifindex: 0, smac: new Uint8Array(6), dmac: new Uint8Array(6), mtu: 0 };
  }
  tracePrintk(line: string): void {
    this.printk.push(line);
  }
}
