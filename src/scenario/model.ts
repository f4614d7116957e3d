/**
 * The Scenario model: what a scenario file describes, as plain, deterministic data (no class
 * instances, no live objects). The YAML schema and the iproute2/tc/bpftool steps both produce
 * it; the builder turns it into a running simulation and `export --shell` into a bash script.
 *
 * Conventions: times are integer ns, rates bits or packets per second, sizes bytes; addresses
 * are canonical text (IPv6 in RFC 5952 form, MACs lowercase); defaults the kernel would pick
 * are filled in, so a consumer never guesses. Arrays keep declaration order (ifindexes are
 * handed out in it).
 */

/** Integer nanoseconds of virtual time. */
export type Ns = number;

/** Packets per second, or bits per second on the wire. */
export type Rate = { pps: number } | { bps: number };

/** Where something was written, for messages (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** The scenario file as given to the parser (used in messages). */
  file: string;
  /** Absolute directory that relative paths (objects, sources, pcaps) are resolved against. */
  dir: string;
  seed: number;
  durationNs: Ns;
  hosts: Host[];
  links: Link[];
  objects: BpfObject[];
  programs: Program[];
  maps: MapPreload[];
  tailCalls: TailCall[];
  traffic: TrafficSource[];
  expect: Expectation[];
}

// ---------------------------------------------------------------------------------------------
// Topology

/** A network namespace. */
export interface Host {
  name: string;
  cpus: number;
  /** net.ipv4.ip_forward and net.ipv6.conf.all.forwarding (both 0 in a new namespace). */
  forwarding: { ipv4: boolean; ipv6: boolean };
  devices: Device[];
  routes: Route[];
  neighbours: Neighbour[];
}

export type DeviceKind = 'nic' | 'veth' | 'lo' | 'bridge';

export interface DeviceCommon {
  name: string;
  /** Lowercase colon form; absent: the builder assigns one deterministically. */
  mac?: string;
  mtu: number;
  up: boolean;
  /** The bridge (in the same host) this device is a port of. */
  master?: string;
  /** CIDRs in the order added, e.g. "10.0.0.1/24", "fd00::1/64". */
  addresses: string[];
  /** Root egress qdisc; absent: the kernel's default for the device. */
  qdisc?: Qdisc;
  /** A clsact qdisc is present (needed by tc-ingress/tc-egress programs). */
  clsact: boolean;
}

/** A physical NIC (models a multi-queue Ethernet adapter). */
export interface NicDevice extends DeviceCommon {
  kind: 'nic';
  rateBps: number;
  rxQueues: number;
  txQueues: number;
  /** Descriptors per RX and per TX ring (ethtool -g). */
  ring: { rx: number; tx: number };
  /** CPU that serves each RX queue (index = queue), as an IRQ affinity would bind it. */
  rssCpus: number[];
}

export interface VethDevice extends DeviceCommon {
  kind: 'veth';
  peer: DevRef;
  rxQueues: number;
  txQueues: number;
}

export interface LoDevice extends DeviceCommon {
  kind: 'lo';
}

export interface BridgeDevice extends DeviceCommon {
  kind: 'bridge';
}

export type Device = NicDevice | VethDevice | LoDevice | BridgeDevice;

export interface DevRef {
  host: string;
  dev: string;
}

export interface Route {
  family: 4 | 6;
  /** Network in CIDR form with the host bits zero; "default" is 0.0.0.0/0 or ::/0. */
  dst: string;
  via?: string;
  dev?: string;
  /** Preferred source address. */
  src?: string;
  metric: number;
}

/** A static (permanent) neighbour entry. */
export interface Neighbour {
  ip: string;
  lladdr: string;
  dev: string;
}

/** A wire between two NICs of (usually) different hosts. */
export interface Link {
  a: DevRef;
  b: DevRef;
  /** One-way propagation delay. */
  delayNs: Ns;
  /** Overrides both NICs' line rate. */
  rateBps?: number;
  /** Probability (0..1) that a frame is lost on the wire. */
  loss: number;
}

// ---------------------------------------------------------------------------------------------
// Queueing disciplines (tc); handles and class ids are tc's hex text, e.g. "1:" and "1:10".

export interface QdiscCommon {
  handle?: string;
}

export interface PfifoFastQdisc extends QdiscCommon {
  kind: 'pfifo_fast';
}

export interface PfifoQdisc extends QdiscCommon {
  kind: 'pfifo';
  /** Packets; absent: the device's txqueuelen. */
  limit?: number;
}

export interface BfifoQdisc extends QdiscCommon {
  kind: 'bfifo';
  /** Bytes; absent: txqueuelen × MTU. */
  limit?: number;
}

export interface TbfQdisc extends QdiscCommon {
  kind: 'tbf';
  rateBps: number;
  burstBytes: number;
  /** Queue limit in bytes; tc derives it from `latency` when only that is given. */
  limitBytes?: number;
  latencyNs?: Ns;
  peakrateBps?: number;
  mtuBytes?: number;
  /** Inner qdisc (`tc qdisc add ... parent <tbf handle> ...`); absent: a bfifo of limitBytes. */
  child?: Qdisc;
}

/** fq_codel with the kernel's defaults filled in (net/sched/sch_fq_codel.c: fq_codel_init()). */
export interface FqCodelQdisc extends QdiscCommon {
  kind: 'fq_codel';
  limit: number;
  flows: number;
  targetNs: Ns;
  intervalNs: Ns;
  /** Absent: the device's MTU plus its link-layer header, as the kernel does. */
  quantum?: number;
  ecn: boolean;
  ceThresholdNs?: Ns;
  memoryLimit: number;
}

export interface HtbClass {
  classid: string;
  /** The qdisc handle ("1:") or a parent class ("1:1"). */
  parent: string;
  rateBps: number;
  /** Defaults to the rate, as tc does. */
  ceilBps: number;
  burstBytes?: number;
  cburstBytes?: number;
  prio: number;
  quantum?: number;
  /** Leaf qdisc (`tc qdisc add ... parent 1:10 ...`); absent: the kernel's pfifo. */
  qdisc?: Qdisc;
}

export interface HtbQdisc extends QdiscCommon {
  kind: 'htb';
  /** Minor id of the class for unclassified traffic (tc reads `default 20` as hex 0x20); 0 = none. */
  defaultMinor: number;
  r2q: number;
  classes: HtbClass[];
}

export interface NoqueueQdisc extends QdiscCommon {
  kind: 'noqueue';
}

export type Qdisc = PfifoFastQdisc | PfifoQdisc | BfifoQdisc | TbfQdisc | FqCodelQdisc | HtbQdisc | NoqueueQdisc;
export type QdiscKind = Qdisc['kind'];

// ---------------------------------------------------------------------------------------------
// eBPF

export const HOOKS = [
  'xdp',
  'xdp-generic',
  'tc-ingress',
  'tc-egress',
  'socket',
  'cgroup-ingress',
  'cgroup-egress',
  'sk-skb-parser',
  'sk-skb-verdict',
  'sk-msg',
] as const;
export type Hook = (typeof HOOKS)[number];

/**
 * An object file loaded once: programs taken from the same object share its maps, as after
 * `bpftool prog loadall OBJ DIR pinmaps MAPDIR`.
 */
export interface BpfObject {
  /** The path as written in the scenario, relative to its directory (posix separators). */
  id: string;
  /** Absolute path of the .o file, or of the C source for kind 'source'. */
  path: string;
  /** 'source': a C file that the builder compiles with clang. */
  kind: 'object' | 'source';
  /** Programs pinned at pinDir/<function> (bpftool prog loadall). */
  pinDir?: string;
  /** Maps pinned at pinMaps/<map> (bpftool ... pinmaps). */
  pinMaps?: string;
  /** What the object declares, when it could be read (never for C sources). */
  info?: ObjectInfo;
}

export interface ObjectInfo {
  programs: { name: string; section: string; type: string }[];
  maps: {
    name: string;
    type: string;
    keySize: number;
    valueSize: number;
    maxEntries: number;
    /** A PROG_ARRAY or map-in-map filled at load time (`.values = {...}`). */
    staticSlots: boolean;
    /** Pinned by name at load (LIBBPF_PIN_BY_NAME). */
    pinByName?: boolean;
  }[];
}

export interface Program {
  /** BpfObject id. */
  object: string;
  /** Function name; resolved from the section (first program in it) when the object was read. */
  program?: string;
  section?: string;
  /** Absent: loaded (e.g. for a tail call or a pin) but not attached. */
  attach?: Attach;
  /** bpffs path the program is pinned at. */
  pin?: string;
}

export interface Attach {
  host: string;
  /** Device for XDP and tc hooks. */
  dev?: string;
  hook: Hook;
  /** tc filter priority; absent: the kernel picks (49152, then lower). */
  priority?: number;
  /** tc only: direct-action mode (the program's return value is the verdict). */
  directAction?: boolean;
  /** sk-skb-* and sk-msg: the SOCKMAP/SOCKHASH (in the same object) the program is attached to. */
  map?: string;
}

/**
 * Bytes for a map key or value: hex, or a device's ifindex (u32, little-endian, zero-padded).
 * A devmap value may name a program to run on redirected frames (struct bpf_devmap_val), a
 * cpumap value a queue size and a program (struct bpf_cpumap_val): the program's fd is only
 * known once it is loaded, so these are set through the map's typed API.
 */
export type MapBytes = { hex: string } | { ifindex: DevRef; program?: ProgramRef } | { qsize: number; program: ProgramRef };

export interface MapEntry {
  key: MapBytes;
  value: MapBytes;
}

/** Entries written into a map before traffic starts (bpftool map update, any flag). */
export interface MapPreload {
  object: string;
  map: string;
  entries: MapEntry[];
}

export interface ProgramRef {
  object: string;
  program: string;
}

/** A PROG_ARRAY slot pointing at a program: one link of a tail-call chain. */
export interface TailCall {
  object: string;
  map: string;
  index: number;
  program: ProgramRef;
}

// ---------------------------------------------------------------------------------------------
// Traffic. A source's frames enter the datapath on the receive side of `from`, as if sent by
// a generator on the NIC's wire or by the veth's peer.

export interface AddrRange {
  base: string;
  count: number;
}

export interface PortRange {
  base: number;
  count: number;
}

export type FlowPick = 'uniform' | 'roundRobin' | { zipf: number };

export interface FlowTemplate {
  count: number;
  pick: FlowPick;
  protocol: 'udp' | 'tcp';
  src: AddrRange;
  dst: AddrRange;
  sport: PortRange;
  dport: PortRange;
}

/** Frame lengths without the 4-byte FCS, as a capture shows them (60 = a minimum-size frame). */
export type FrameSize = { kind: 'fixed'; bytes: number } | { kind: 'imix' } | { kind: 'weighted'; table: [bytes: number, weight: number][] };

export interface L2Options {
  srcMac?: string;
  /** Absent: the MAC of the receiving device. */
  dstMac?: string;
  vlan?: number;
}

export interface TrafficCommon {
  name: string;
  from: DevRef;
  startNs: Ns;
  /** No frame at or after this time; absent: the end of the scenario. */
  stopNs?: Ns;
  count?: number;
  l2: L2Options;
}

export interface GeneratedTraffic extends TrafficCommon {
  kind: 'constant' | 'poisson';
  rate: Rate;
  flows: FlowTemplate;
  size: FrameSize;
}

export interface OnOffTraffic extends TrafficCommon {
  kind: 'onoff';
  /** Rate inside a burst. */
  rate: Rate;
  onNs: Ns;
  offNs: Ns;
  flows: FlowTemplate;
  size: FrameSize;
}

export type ReplayTiming = 'original' | { speed: number } | { pps: number } | { bps: number };

export interface PcapTraffic extends TrafficCommon {
  kind: 'pcap';
  /** As written, relative to the scenario's directory. */
  file: string;
  path: string;
  timing: ReplayTiming;
  loops: number;
}

export type TrafficSource = GeneratedTraffic | OnOffTraffic | PcapTraffic;

// ---------------------------------------------------------------------------------------------
// Expectations, checked after the run by `chainlab test`.

export const CMP_OPS = ['==', '!=', '>=', '<=', '>', '<', '~'] as const;
export type CmpOp = (typeof CMP_OPS)[number];

/** `~` passes within the tolerance (absolute, or a percentage of `value`). */
export interface Comparison {
  op: CmpOp;
  value: number;
  tolerance?: { abs: number } | { pct: number };
}

export interface FlowMatch {
  protocol?: 'udp' | 'tcp' | 'icmp' | 'icmpv6';
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
}

/** Which packets an expectation counts; every given field must match. */
export interface PacketMatch {
  host?: string;
  dev?: string;
  traffic?: string;
  flow?: FlowMatch;
}

export interface ExpectCommon {
  at: SourcePos;
}

export interface CounterExpectation extends ExpectCommon {
  kind: 'counter';
  /** "host/dev/<counter path>", e.g. "h1/eth0/xdp/XDP_DROP". */
  counter: string;
  host: string;
  dev: string;
  /** The segments after host and device. */
  name: string[];
  check: Comparison;
}

export interface MapExpectation extends ExpectCommon {
  kind: 'map';
  object: string;
  map: string;
  key: MapBytes;
  /** Exact value bytes; a number (unsigned little-endian, summed over CPUs for per-CPU maps); or no such key. */
  expect: { bytes: string } | { number: Comparison } | { absent: true };
}

export interface DeliveredExpectation extends ExpectCommon {
  kind: 'delivered';
  match: PacketMatch;
  check: Comparison;
}

export interface DroppedExpectation extends ExpectCommon {
  kind: 'dropped';
  match: PacketMatch;
  /** A verdict or kernel drop reason, e.g. "XDP_DROP", "TC_ACT_SHOT", "QDISC_DROP". */
  reason?: string;
  check: Comparison;
}

export interface LatencyExpectation extends ExpectCommon {
  kind: 'latency';
  /** Percentile in (0, 100]. */
  percentile: number;
  /** Bounds in ns (`max:` is `<=`, `min:` is `>=`), or a value with a tolerance (`~`). */
  checks: Comparison[];
  match: PacketMatch;
}

export interface PathExpectation extends ExpectCommon {
  kind: 'path';
  /** Packet number within `traffic` (0-based), or the scenario's N-th packet when absent. */
  packet: number;
  traffic?: string;
  /** "host/dev/hook" strings, in order, each optionally followed by a space and the start of the hop's verdict. */
  hops: string[];
  /** The packet's hops are exactly these (else: these, in order, with others between). */
  exact?: boolean;
}

export type Expectation =
  | CounterExpectation
  | MapExpectation
  | DeliveredExpectation
  | DroppedExpectation
  | LatencyExpectation
  | PathExpectation;
