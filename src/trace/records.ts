/**
 * Trace records: the one contract between the simulator and everything that watches it (JSON
 * Lines files, pcap capture, the summary, the live viewer in web/). Plain JSON-serialisable
 * data; no imports from the rest of the repository, so web/ can import this file alone.
 *
 * Every arrow of a packet's way that crosses a hook or a queue is a hop, and each hop emits one
 * HopRecord. A tail call is a step inside one hop.
 */

/** Where on a device or host a hop happened. */
export type Hook =
  | 'wire' // frame arrives from a link (before the NIC)
  | 'nic-rx' // RX ring enqueue
  | 'xdp' // native or generic XDP
  | 'xdp-tx' // XDP_TX back out of the same device
  | 'xdp-redirect' // leaves through a devmap/cpumap/ifindex redirect (after the flush)
  | 'xdp-devmap' // the program of a devmap entry, on the target device, at the flush
  | 'xdp-cpumap' // the program of a cpumap entry, on the remote CPU, before the skb is built
  | 'gro'
  | 'tc-ingress'
  | 'tc-egress'
  | 'forward' // L3 route or L2 bridge decision
  | 'local' // delivered to the host's stack / sink
  | 'socket-filter'
  | 'cgroup-ingress'
  | 'cgroup-egress'
  | 'sk-skb'
  | 'qdisc' // egress queue (enqueue or drop)
  | 'nic-tx' // onto the wire (serialisation done)
  | 'veth-xmit' // handed to the veth peer
  | 'drop';

/** Every hook, for checking user input (the compiler keeps this list and the type equal). */
export const HOOKS = [
  'wire', 'nic-rx', 'xdp', 'xdp-tx', 'xdp-redirect', 'xdp-devmap', 'xdp-cpumap', 'gro', 'tc-ingress', 'tc-egress', 'forward',
  'local', 'socket-filter', 'cgroup-ingress', 'cgroup-egress', 'sk-skb', 'qdisc', 'nic-tx', 'veth-xmit', 'drop',
] as const satisfies readonly Hook[];
type MissingHook = Exclude<Hook, (typeof HOOKS)[number]>;
/** Fails to compile when a hook is added to the type but not to HOOKS. */
export const HOOKS_COMPLETE: MissingHook extends never ? true : never = true;

/** One program run inside a hop; tail calls add steps. */
export interface ProgStep {
  /** Program (function) name. */
  prog: string;
  /** Instructions executed in this program. */
  insns: number;
  /** "file.c:42" of the instruction that decided the verdict (exit), when line info exists. */
  line?: string;
}

export interface HopRecord {
  type: 'hop';
  /** Simulated time in ns. */
  t: number;
  /** Packet id; `parent` links clones and encapsulations to where they came from. */
  pkt: number;
  parent?: number;
  /** Host (namespace) and device, e.g. host "lb", dev "eth0". */
  host: string;
  dev?: string;
  hook: Hook;
  /** Verdict in the hook's own words: XDP_PASS, TC_ACT_SHOT, enqueue, forward, deliver… */
  verdict?: string;
  /** Programs run in this hop, in order (tail calls included). */
  progs?: ProgStep[];
  /** Why the packet was dropped, in the kernel's words where it has them (e.g. "rx_ring_full"). */
  reason?: string;
  /** CPU (core) that did the work. */
  cpu?: number;
  /** Cost of this hop in ns (program run, helper calls, queue work). */
  cost?: number;
  /** Queue depth after the hop, where a queue is involved. */
  qlen?: number;
  /** Frame length in bytes after the hop. */
  len: number;
  /** trace_printk lines emitted by the programs of this hop. */
  printk?: string[];
  /** On the packet's first hop ('wire'): its 5-tuple and the traffic source that sent it. */
  flow?: string;
  traffic?: string;
}

/** A periodic counter sample, for charts (throughput, drops, latency, CPU). */
export interface StatsRecord {
  type: 'stats';
  t: number;
  /** Counters since the previous sample, by name ("eth0/rx_packets", "cpu0/busy_ns"…). */
  counters: Record<string, number>;
}

export interface TopologyRecord {
  type: 'topology';
  t: number;
  hosts: { name: string; devices: { name: string; ifindex: number; kind: string; mac: string; addrs: string[]; hooks: { hook: Hook; progs: string[] }[] }[] }[];
  links: { a: { host: string; dev: string }; b: { host: string; dev: string }; kind: 'wire' | 'veth' }[];
  /** C source text of the loaded programs' lines, by the "file.c:42" a ProgStep names (from BTF line info). */
  sources?: Record<string, string>;
}

export type TraceRecord = HopRecord | StatsRecord | TopologyRecord;
