/**
 * Clocks, randomness, CPU and task helpers: kernel/bpf/helpers.c (bpf_ktime_get_ns,
 * bpf_ktime_get_boot_ns, bpf_ktime_get_coarse_ns, bpf_ktime_get_tai_ns, bpf_jiffies64,
 * bpf_get_smp_processor_id, bpf_get_numa_node_id, bpf_get_current_pid_tgid,
 * bpf_get_current_uid_gid, bpf_get_current_comm) and bpf_user_rnd_u32 (kernel/bpf/core.c).
 * Time is the host's simulated time and randomness its seeded stream: never the wall clock.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { envOf, u32 } from './context.ts';

/** CONFIG_HZ of the modelled kernel (Debian/Ubuntu x86-64 default). */
export const HZ = 250;
export const TICK_NS = BigInt(1_000_000_000 / HZ);
/** INITIAL_JIFFIES: jiffies start 5 minutes before wrapping a 32-bit counter. */
export const INITIAL_JIFFIES = BigInt((-300 * HZ) >>> 0);

/** The task a program sees as `current` (simulated: there are no processes). */
export interface SimTask {
  readonly pid: number;
  readonly tgid: number;
  readonly uid: number;
  readonly gid: number;
  readonly comm: string;
}

export const DEFAULT_TASK: SimTask = { pid: 1000, tgid: 1000, uid: 0, gid: 0, comm: 'chainlab' };

/** The run's task: `env.task` when the runtime provides one, else DEFAULT_TASK. */
function task(c: HelperContext): SimTask {
  const t = (envOf(c) as { task?: Partial<SimTask> }).task;
  return t === undefined ? DEFAULT_TASK : { ...DEFAULT_TASK, ...t };
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export const TIME_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [5, (c) => u64(envOf(c).host.nowNs())],
  [125, (c) => u64(envOf(c).host.bootNs())],
  // ktime_get_coarse_ns(): the time of the last tick.
  [160, (c) => {
    const now = envOf(c).host.nowNs();
    return u64(now - (now % TICK_NS));
  }],
  // CLOCK_TAI has no simulated counterpart: the simulated monotonic clock stands in for it.
  [208, (c) => u64(envOf(c).host.nowNs())],
  [118, (c) => u64(INITIAL_JIFFIES + envOf(c).host.nowNs() / TICK_NS)],
  [7, (c) => envOf(c).host.randomU32() >>> 0],
  [8, (c) => envOf(c).cpu],
  [42, () => 0],
  [14, (c) => {
    const t = task(c);
    return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0);
  }],
  [15, (c) => {
    const t = task(c);
    return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0);
  }],
  // bpf_get_current_comm(buf, size): strscpy_pad() — at most size-1 characters, NUL-padded.
  [16, (c) => {
    const size = u32(c, 2);
    const buf = c.mem.writable(c.arg(1), size);
    buf.fill(0);
    const comm = new TextEncoder().encode(task(c).comm).subarray(0, 15); // TASK_COMM_LEN 16
    buf.set(comm.subarray(0, Math.max(0, size - 1)));
    return 0;
  }],
]);
