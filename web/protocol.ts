/**
 * The viewer's contract with the server: the WebSocket messages and the REST payloads, as plain
 * JSON types. Like src/trace/records.ts (the only file of src/ the page imports) it has no code,
 * and the server imports these types so the two sides cannot drift apart.
 */
import type { HopRecord, StatsRecord, TopologyRecord } from '../src/trace/records.ts';

/** Where the virtual clock stands and how it is driven. */
export interface ControlState {
  playing: boolean;
  /** Simulated ns per wall-clock second. */
  speed: number;
  /** Simulated time now (ns). */
  now: number;
  /** The scenario's duration: playing pauses there once (play again to go on). */
  durationNs: number;
  /** Events run so far. */
  events: number;
  /** Events waiting in the queue. */
  pending: number;
  /** The last tick could not keep up with the requested speed. */
  behind: boolean;
  /** Simulated ns between two StatsRecords. */
  statsIntervalNs: number;
}

/** How the server thins the packet stream for the page. */
export interface SamplingState {
  /** Whole paths of 1 in `every` packets are sent (1: every packet). */
  every: number;
  /** Records this client missed because its buffer was full (since the last batch). */
  dropped: number;
  /** Records this client missed in total. */
  droppedTotal: number;
}

export interface ScenarioInfo {
  name: string;
  description: string;
  file: string;
  seed: number;
  durationNs: number;
}

/** Something the controls did, said once to every page. */
export interface Notice {
  kind: 'control' | 'map' | 'inject' | 'traffic' | 'error';
  text: string;
  /** The injected packet's id, for 'inject'. */
  pkt?: number;
  /** For 'inject': the ticket a paused inject was answered with, so that page can open the packet. */
  ticket?: number;
}

export type ServerMessage =
  | { type: 'hello'; scenario: ScenarioInfo; topology: TopologyRecord; state: ControlState; stats: StatsRecord[]; traffic: TrafficInfo[] }
  | { type: 'batch'; hops: HopRecord[]; stats: StatsRecord[]; notices: Notice[]; state: ControlState; sampling: SamplingState };

// ---------------------------------------------------------------------------------------------
// REST payloads

export interface ControlRequest {
  action: 'play' | 'pause' | 'step' | 'speed';
  /** For 'step': one event (default) or until the next packet hop. */
  step?: 'event' | 'hop';
  /** Simulated ns per wall second (with 'speed', or along with play). */
  speed?: number;
}

export interface CountersResponse {
  t: number;
  counters: Record<string, number>;
  cpus: { id: number; busyNs: number; utilisation: number }[];
  packets: { injected: number; delivered: number; dropped: number; left: number };
  drops: { host: string; dev: string; reason: string; count: number }[];
  latency: { count: number; p50?: number; p90?: number; p99?: number; max?: number };
}

export interface MapInfo {
  /** Object name in URLs (the file's base name when unique). */
  object: string;
  name: string;
  id: number;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  perCpu: boolean;
  /** Programs of the object (the maps' users). */
  programs: string[];
}

export interface MapEntryJson {
  /** Hex bytes, as bpftool prints them without spaces. */
  key: string;
  value?: string;
  /** Per-CPU maps: one value per CPU. */
  values?: string[];
  /** Unsigned little-endian reading of key and value (sum over CPUs), when they are 1–8 bytes. */
  keyNum?: string;
  valueNum?: string;
}

export interface MapDump extends MapInfo {
  t: number;
  entries: MapEntryJson[];
  /** Set when the map cannot be dumped (ring buffers, queues). */
  note?: string;
}

export interface MapEditRequest {
  /** Hex bytes (spaces allowed); for per-CPU maps it is set on every CPU. */
  value?: string;
  values?: string[];
}

/** What happened to an edit or an injection scheduled at the next event. */
export interface ScheduledResult {
  /** False while the clock is paused: it applies at the next event (play or step). */
  applied: boolean;
  /** 0 or a negative errno (map edits). */
  err?: number;
  error?: string;
  pkt?: number;
  /** A packet injected while paused: its notice carries this ticket and the packet's id. */
  ticket?: number;
}

/** A decoded frame: one line as tcpdump prints it, its layers and its bytes. */
export interface DecodedFrame {
  summary: string;
  layers: Record<string, unknown>[];
  hex: string;
  len: number;
}

export interface ProgStepInfo {
  prog: string;
  insns: number;
  /** "file.c:42". */
  line?: string;
  /** The C source of that line. */
  source?: string;
}

export interface TraceHop {
  hop: HopRecord;
  steps: ProgStepInfo[];
  /** The frame as it entered this hop (the previous hop's output), when captured. */
  before?: DecodedFrame;
  /** The frame as it left this hop, when captured. */
  after?: DecodedFrame;
  /** The bytes differ from the previous captured frame (a program or the stack rewrote them). */
  changed?: boolean;
}

export interface PacketTrace {
  pkt: number;
  flow?: string;
  traffic?: string;
  hops: TraceHop[];
  /** Final outcome in a word: delivered, dropped, left, in flight. */
  outcome: string;
}

export interface PacketSummary {
  pkt: number;
  t: number;
  flow?: string;
  traffic?: string;
  hops: number;
  last: string;
}

export interface ProgramInfo {
  object: string;
  name: string;
  section: string;
  type: string;
  insns: number;
  /** "host/dev hook" of every attachment. */
  attached: string[];
}

/** A program's instructions as `chainlab disasm` prints them; `line` is the C line ("file.c:42") each belongs to. */
export interface ProgramListing {
  object: string;
  name: string;
  section: string;
  lines: { text: string; line?: string }[];
}

export interface InjectRequest {
  /** "host/dev": the frame enters there (a NIC's wire side, or sent by the host out of another device). */
  dev: string;
  srcMac?: string;
  dstMac?: string;
  vlan?: number;
  src: string;
  dst: string;
  protocol: 'udp' | 'tcp' | 'icmp';
  sport?: number;
  dport?: number;
  /** TCP flags as letters: S, A, F, R, P, U (default S). */
  flags?: string;
  ttl?: number;
  /** Frame length in bytes (without FCS); padded with zeros. */
  size?: number;
}

export interface TrafficInfo {
  name: string;
  kind: string;
  from: string;
  /** "20000 pps" or "1000000000 b/s". */
  rate: string;
  sent: number;
  running: boolean;
  /** Whether the rate can be changed (generated sources, not capture replays). */
  adjustable: boolean;
}

export interface TrafficRateRequest {
  /** "20kpps", "1gbit", or a number of packets per second. */
  rate: string | number;
}
