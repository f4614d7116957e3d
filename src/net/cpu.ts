/**
 * CPUs as servers: softirq work (NAPI polls, backlog, cpumap kthreads) runs on one CPU at a
 * time; a poll that starts while the CPU is busy waits for it. `Exec` is the running context of
 * one piece of work: the CPU and a time cursor that each step advances by its cost, so a
 * saturated CPU falls behind and its rings overflow, as NAPI does.
 */
export class Cpu {
  /** Time the CPU finishes the work already given to it. */
  busyUntil = 0;
  /** Total busy time, for utilisation. */
  busyNs = 0;
  constructor(readonly id: number) {}
}

export interface Exec {
  readonly cpu: Cpu;
  /** Current time of this piece of work (ns); steps add their cost to it. */
  t: number;
}

/** Start work on `cpu` no earlier than `at`; returns the context whose `t` advances with cost. */
export function begin(cpu: Cpu, at: number): Exec {
  return { cpu, t: Math.max(at, cpu.busyUntil) };
}

/** Finish work: the CPU is busy until the cursor. */
export function end(x: Exec, startedAt: number): void {
  const t = Math.ceil(x.t);
  x.cpu.busyNs += t - startedAt;
  x.cpu.busyUntil = Math.max(x.cpu.busyUntil, t);
}
