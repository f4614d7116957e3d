/**
 * The kernel side of chainlab's `prog run` contract: run a clang-built object in the real kernel
 * (BPF_PROG_TEST_RUN through `bpftool prog run`) and answer in the JSON shape of
 * `chainlab prog run --json`, so a differential test can compare the two field by field.
 *
 * How an object is loaded, and why:
 * - Each load gets its own bpffs instance, mounted at /sys/fs/bpf/chainlab-oracle-<pid>-<n>, and
 *   `bpftool prog loadall` runs in a private mount namespace where that instance is bind-mounted
 *   over /sys/fs/bpf. libbpf pins LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf (bpftool 7.1 has no way
 *   to move that root), so without this a pinned map would be shared with whatever else is pinned
 *   there, and `pinmaps` would refuse the object. Unmounting the instance frees every program and
 *   map at once; an exit hook and a sweep of dead processes' mounts make sure that happens.
 * - Programs are pinned by function name under oracle-progs/, maps by (sanitised) name at the root.
 * - bpftool runs under `taskset -c <cpu>` so per-CPU map updates made by the program land on one
 *   known CPU slot (the lowest CPU this process may use; see kernelAvailable()).
 *
 * Batch mode loads once and runs many inputs. Each run starts from the same state — the maps as
 * loaded, overlaid with that input's mapInit — so runs are independent, as if the object were
 * reloaded: before a run, the oracle deletes and rewrites exactly the entries that differ from that
 * state (it knows the current contents from the previous run's dump). Maps whose contents bpftool
 * can neither read nor restore (ringbuf, queue, stack, bloom filter) make the oracle reload the
 * object for every run instead. docs/kernel-oracle.md describes the caveats.
 */
import { execFileSync } from 'node:child_process';
import { constants as fsc, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BpftoolError, type BpftoolRunner, runCommands, runProcess, showCommand } from './bpftool.ts';
import { buildProbeObject, PROBE_PROG, PROBE_RETVAL } from './probe-object.ts';
import { errnoName, explainTestRun } from './test-run-rules.ts';

// ---------------------------------------------------------------------------------------------
// Public types

export type MapEntry = { key: string; value: string } | { key: string; values: string[] };
export type MapInit = Record<string, { key: string; value: string }[]>;

export interface KernelRunInput {
  obj: string;
  /** Program (function) name; default: the object's first program, as `bpftool prog load` picks it. */
  prog?: string;
  dataIn?: Uint8Array;
  ctxIn?: Uint8Array;
  repeat?: number;
  /**
   * Entries written with `bpftool map update` before the run (hex key and value). A per-CPU value
   * is given once and set on every CPU. Global data maps are named `.data`, `.bss`, …; `.rodata`
   * is frozen at load and cannot be set. For PROG_ARRAY maps the value names a program of the object;
   * for QUEUE/STACK/BLOOM_FILTER maps the key is "" and the value is pushed.
   */
  mapInit?: MapInit;
}

export interface KernelRunOutput {
  retval: number;
  data_out: string;
  /** Only when ctxIn was given. */
  ctx_out?: string;
  /** bpftool's average duration per repetition; not part of the comparison. */
  duration_ns?: number;
  /** Every map whose contents bpftool can read (see ORACLE_DUMPED_MAP_TYPES), entries sorted by key. */
  maps: Record<string, MapEntry[]>;
}

export type KernelBatchInput = Omit<KernelRunInput, 'obj' | 'prog'>;

/**
 * - unavailable: no kernel to ask (not root, no bpftool, bpf() refused)
 * - load: the kernel or libbpf refused the object (chainlab exit 1)
 * - input: the request itself is wrong (unknown program or map, malformed map-init; chainlab exit 2)
 * - run: BPF_PROG_TEST_RUN refused the run (errno and the kernel rules that explain it)
 * - internal: anything else (a map could not be dumped or restored)
 */
export type KernelErrorKind = 'unavailable' | 'load' | 'input' | 'run' | 'internal';

export class KernelOracleError extends Error {
  constructor(
    message: string,
    readonly kind: KernelErrorKind,
    readonly details: { errno?: string; rules?: string[]; log?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'KernelOracleError';
  }
  get errno(): string | undefined {
    return this.details.errno;
  }
  get rules(): string[] {
    return this.details.rules ?? [];
  }
}

/** A run the kernel refused, in a settled batch. */
export interface KernelRunFailure {
  error: { kind: KernelErrorKind; message: string; errno?: string; rules: string[] };
}
export type KernelRunResult = KernelRunOutput | KernelRunFailure;

export const isKernelRunFailure = (r: KernelRunResult): r is KernelRunFailure => 'error' in r;

export interface KernelAvailability {
  ok: boolean;
  why?: string;
  /** The CPU that bpftool runs on, hence the slot of per-CPU values a program writes. */
  cpu?: number;
  /** Number of possible CPUs: the length of every per-CPU `values` list. */
  possibleCpus?: number;
}

// Map types by what the oracle can do with them (bpftool's type names).
/** Dumped after every run and restored between runs. */
export const ORACLE_DUMPED_MAP_TYPES: readonly string[] = [
  'hash', 'array', 'percpu_hash', 'percpu_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie',
  'devmap', 'devmap_hash', 'cpumap',
];
/** Not dumped (values are kernel object ids, or nothing to read); programs cannot change them. */
export const ORACLE_STATIC_MAP_TYPES: readonly string[] = [
  'prog_array', 'array_of_maps', 'hash_of_maps', 'perf_event_array', 'sockmap', 'sockhash', 'xskmap',
  'cgroup_array', 'reuseport_sockarray', 'cgroup_storage', 'percpu_cgroup_storage', 'sk_storage',
  'inode_storage', 'task_storage', 'struct_ops', 'stack_trace', 'user_ringbuf',
];
// cgroup_storage and sk_storage are fresh in every test run (the runner allocates them; the socket is
// a throwaway), task_storage hangs off a bpftool process that exits. Everything else (ringbuf,
// queue, stack, bloom_filter, cgrp_storage, arena, unknown types) is "volatile": a program can change
// it and bpftool can neither read nor reset it, so batch runs reload the object for each run.

const ARRAY_TYPES = new Set(['array', 'percpu_array']);
const PUSH_TYPES = new Set(['queue', 'stack', 'bloom_filter']);

// ---------------------------------------------------------------------------------------------
// Tools and machine facts

interface Tools {
  bpftool: string;
  taskset?: string;
  unshare?: string;
  mount: string;
  umount: string;
  cpu?: number;
  possibleCpus: number;
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

async function which(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      await access(p, fsc.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** "0-3,8" → [0,1,2,3,8] (the kernel's cpulist format). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((s) => Number.parseInt(s, 10));
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

let toolsPromise: Promise<Tools> | undefined;

function findTools(): Promise<Tools> {
  toolsPromise ??= (async () => {
    const forced = process.env.CHAINLAB_BPFTOOL;
    if (forced) await access(forced, fsc.X_OK).catch(() => {
      throw new KernelOracleError(`CHAINLAB_BPFTOOL=${forced} is not an executable`, 'unavailable');
    });
    const bpftool = forced || (await which('bpftool'));
    if (!bpftool) throw new KernelOracleError('bpftool not found (looked in PATH and the sbin directories; set CHAINLAB_BPFTOOL)', 'unavailable');
    const mount = await which('mount');
    const umount = await which('umount');
    if (!mount || !umount) throw new KernelOracleError('mount/umount not found: the oracle mounts a private bpffs per object', 'unavailable');
    const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
    const allowed = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    const possible = await readFile('/sys/devices/system/cpu/possible', 'utf8').catch(() => '0');
    const taskset = await which('taskset');
    return {
      bpftool,
      taskset,
      unshare: await which('unshare'),
      mount,
      umount,
      cpu: taskset && allowed ? Math.min(...parseCpuList(allowed[1])) : undefined,
      possibleCpus: parseCpuList(possible).length,
    };
  })();
  return toolsPromise;
}

const runnerOf = (t: Tools): BpftoolRunner => ({ bpftool: t.bpftool, taskset: t.taskset, cpu: t.cpu });

// ---------------------------------------------------------------------------------------------
// Private bpffs mounts and their cleanup

const BPFFS = '/sys/fs/bpf';
const BPF_FS_MAGIC = 0xcafe4a11;
const PROG_DIR = 'oracle-progs'; // a hyphen: no map name (a C identifier) can collide with it
const MOUNT_RE = /^chainlab-oracle-(\d+)-\d+$/;
const TMP_RE = /^chainlab-oracle-(\d+)-/;
let mountCounter = 0;
const liveMounts = new Map<string, { umount: string; tmp?: string }>();

function cleanupSync(dir: string): void {
  const m = liveMounts.get(dir);
  liveMounts.delete(dir);
  try {
    execFileSync(m?.umount ?? 'umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // not mounted any more
  }
  try {
    rmdirSync(dir);
  } catch {
    // already gone
  }
  if (m?.tmp) rmSync(m.tmp, { recursive: true, force: true });
}

function cleanupAllSync(): void {
  for (const dir of [...liveMounts.keys()]) cleanupSync(dir);
}

function onSignal(sig: NodeJS.Signals): void {
  cleanupAllSync();
  unhookSignals();
  process.kill(process.pid, sig); // with our handler gone, the default action (or others' handlers) applies
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooked = false;
function hookSignals(): void {
  if (hooked) return;
  hooked = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}
function unhookSignals(): void {
  if (!hooked) return;
  hooked = false;
  for (const s of SIGNALS) process.off(s, onSignal);
}
process.on('exit', cleanupAllSync);

function isDead(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const listDir = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

let swept = false;
/** Remove what crashed oracle processes (SIGKILL skips every hook) left: mounts and temp dirs. */
function sweepStale(umount: string): void {
  if (swept) return;
  swept = true;
  for (const n of listDir(BPFFS)) {
    const m = MOUNT_RE.exec(n);
    if (!m || !isDead(Number(m[1]))) continue;
    liveMounts.set(path.join(BPFFS, n), { umount });
    cleanupSync(path.join(BPFFS, n));
  }
  for (const n of listDir(os.tmpdir())) {
    const m = TMP_RE.exec(n);
    if (m && isDead(Number(m[1]))) rmSync(path.join(os.tmpdir(), n), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Hex and bpftool JSON

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** bpftool's ["0x0a","0x00"] → "0a00". */
function bpftoolBytes(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map((b) => (typeof b === 'string' ? b.replace(/^0x/, '').padStart(2, '0') : Number(b).toString(16).padStart(2, '0'))).join('').toLowerCase();
}

function normHex(text: string, what: string): string {
  const h = text.replace(/\s+/g, '').toLowerCase();
  if (!HEX_RE.test(h)) throw new KernelOracleError(`${what}: "${text}" is not hex bytes`, 'input');
  return h;
}

const hexWords = (h: string): string[] => h.match(/../g) ?? [];

// ---------------------------------------------------------------------------------------------
// A loaded object

interface ProgInfo {
  name: string;
  pin: string;
  id: number;
  type: string;
}

type Role = 'dumped' | 'static' | 'volatile';

interface MapInfo {
  /** The contract's name: the C name, or `.data`/`.bss`/`.rodata`/… for global data. */
  name: string;
  pin: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  frozen: boolean;
  perCpu: boolean;
  role: Role;
}

/** Map name → key hex → value hex (one, or one per possible CPU). */
type MapState = Map<string, Map<string, string[]>>;

/** A map-init request checked against the object: state overlay for dumped maps, commands for the rest. */
interface InitPlan {
  overlay: Map<string, Map<string, string[]>>;
  /** Entries of non-dumped maps, as (map, key, value) for commands built per load. */
  others: { map: string; key: string; value: string }[];
  othersSig: string;
}

function roleOf(type: string): Role {
  if (ORACLE_DUMPED_MAP_TYPES.includes(type)) return 'dumped';
  if (ORACLE_STATIC_MAP_TYPES.includes(type)) return 'static';
  return 'volatile';
}

/** libbpf names global data maps `<obj prefix>.<section>` (15 chars at most): keep the section. */
function contractMapName(kernelName: string, pinName: string): string {
  const dot = kernelName.indexOf('.');
  return dot >= 0 ? kernelName.slice(dot) : pinName;
}

class LoadedObject {
  private constructor(
    readonly obj: string,
    readonly dir: string,
    readonly tmp: string,
    readonly tools: Tools,
    readonly progs: ProgInfo[],
    readonly maps: MapInfo[],
  ) {}

  static async load(tools: Tools, obj: string): Promise<LoadedObject> {
    const abs = path.resolve(obj);
    try {
      await access(abs, fsc.R_OK);
    } catch {
      throw new KernelOracleError(`${obj}: cannot read the object file`, 'input');
    }
    sweepStale(tools.umount);
    const dir = path.join(BPFFS, `chainlab-oracle-${process.pid}-${++mountCounter}`);
    await mkdir(dir);
    const tmp = await mkdtemp(path.join(os.tmpdir(), `chainlab-oracle-${process.pid}-`));
    liveMounts.set(dir, { umount: tools.umount, tmp });
    hookSignals();
    try {
      const m = await runProcess(tools.mount, ['-t', 'bpf', 'chainlab-oracle', dir]);
      if (m.code !== 0) throw new KernelOracleError(`cannot mount a private bpffs at ${dir}: ${m.stderr.trim()}`, 'unavailable');
      await loadAll(tools, abs, dir);
      const [progs, maps] = await describe(tools, dir);
      if (progs.length === 0) throw new KernelOracleError(`${obj}: no programs were loaded`, 'load');
      return new LoadedObject(obj, dir, tmp, tools, progs, maps);
    } catch (e) {
      await closeMount(dir);
      throw e;
    }
  }

  get runner(): BpftoolRunner {
    return runnerOf(this.tools);
  }

  get hasVolatileMaps(): boolean {
    return this.maps.some((m) => m.role === 'volatile');
  }

  program(name: string | undefined): ProgInfo {
    if (name === undefined) return [...this.progs].sort((a, b) => a.id - b.id)[0];
    const p = this.progs.find((q) => q.name === name);
    if (!p) throw new KernelOracleError(`${this.obj}: no program '${name}' (programs: ${this.progs.map((q) => q.name).join(', ')})`, 'input');
    return p;
  }

  private map(name: string): MapInfo {
    const m = this.maps.find((q) => q.name === name);
    if (!m) throw new KernelOracleError(`map-init: ${this.obj} has no map '${name}' (maps: ${this.maps.map((q) => q.name).join(', ') || 'none'})`, 'input');
    return m;
  }

  planInit(init: MapInit | undefined): InitPlan {
    const plan: InitPlan = { overlay: new Map(), others: [], othersSig: '' };
    for (const [name, entries] of Object.entries(init ?? {})) {
      const m = this.map(name);
      if (m.frozen) throw new KernelOracleError(`map-init: '${name}' is frozen (read-only once loaded, like .rodata): bpftool cannot set it`, 'input');
      if (m.type === 'ringbuf') throw new KernelOracleError(`map-init: '${name}' is a ringbuf: it has no entries to set`, 'input');
      for (const [i, e] of entries.entries()) {
        const what = `map-init: ${name}[${i}]`;
        const key = normHex(e.key, `${what}.key`);
        if (key.length / 2 !== m.keySize) throw new KernelOracleError(`${what}: key is ${key.length / 2} bytes, the map's key_size is ${m.keySize}`, 'input');
        if (ARRAY_TYPES.has(m.type) && Buffer.from(key, 'hex').readUInt32LE(0) >= m.maxEntries) {
          throw new KernelOracleError(`${what}: index ${Buffer.from(key, 'hex').readUInt32LE(0)} is past max_entries ${m.maxEntries}`, 'input');
        }
        if (m.type === 'prog_array') {
          this.program(e.value); // the value names a program of this object
          plan.others.push({ map: name, key, value: e.value });
          continue;
        }
        const value = normHex(e.value, `${what}.value`);
        if (value.length / 2 !== m.valueSize) throw new KernelOracleError(`${what}: value is ${value.length / 2} bytes, the map's value_size is ${m.valueSize}`, 'input');
        if (m.role !== 'dumped') {
          plan.others.push({ map: name, key, value });
          continue;
        }
        let mm = plan.overlay.get(name);
        if (!mm) plan.overlay.set(name, (mm = new Map()));
        mm.set(key, m.perCpu ? Array<string>(this.tools.possibleCpus).fill(value) : [value]);
      }
    }
    plan.othersSig = JSON.stringify(plan.others);
    return plan;
  }

  /** bpftool commands that write a plan's entries of non-dumped maps. */
  otherInitCommands(plan: InitPlan): string[][] {
    return plan.others.map(({ map, key, value }) => {
      const m = this.map(map);
      if (PUSH_TYPES.has(m.type)) return ['map', 'push', 'pinned', m.pin, 'value', 'hex', ...hexWords(value)];
      const v = m.type === 'prog_array' ? ['pinned', this.program(value).pin] : ['hex', ...hexWords(value)];
      return ['map', 'update', 'pinned', m.pin, 'key', 'hex', ...hexWords(key), 'value', ...v];
    });
  }

  async applyOthers(plan: InitPlan): Promise<void> {
    const cmds = this.otherInitCommands(plan);
    const res = await runCommands(this.runner, cmds);
    if (res.failure) throw new KernelOracleError(`map-init: ${res.failure.message}`, 'input', { cause: res.failure });
  }

  private get dumped(): MapInfo[] {
    return this.maps.filter((m) => m.role === 'dumped');
  }

  dumpCommands(): string[][] {
    return this.dumped.map((m) => ['map', 'dump', 'pinned', m.pin]);
  }

  parseDumps(outputs: unknown[]): MapState {
    const state: MapState = new Map();
    this.dumped.forEach((m, i) => {
      const entries = new Map<string, string[]>();
      for (const it of (outputs[i] ?? []) as { key?: unknown; value?: unknown; values?: { value?: unknown }[] }[]) {
        const key = bpftoolBytes(it.key);
        if (key === undefined) continue;
        // Array-like maps list empty slots with {"error": ...} values (devmap, cpumap): not entries.
        const vals = Array.isArray(it.values) ? it.values.map((v) => bpftoolBytes(v.value)) : [bpftoolBytes(it.value)];
        if (vals.length === 0 || vals.some((v) => v === undefined)) continue;
        entries.set(key, vals as string[]);
      }
      state.set(m.name, entries);
    });
    return state;
  }

  async dump(): Promise<MapState> {
    const res = await runCommands(this.runner, this.dumpCommands());
    if (res.failure) throw new KernelOracleError(`cannot dump the maps: ${res.failure.message}`, 'internal', { cause: res.failure });
    return this.parseDumps(res.outputs);
  }

  /** Commands that turn `cur` into `target`: deletes first, so a full hash map has room. */
  restoreCommands(cur: MapState, target: MapState): string[][] {
    const dels: string[][] = [];
    const sets: string[][] = [];
    for (const m of this.dumped) {
      const c = cur.get(m.name) ?? new Map<string, string[]>();
      const t = target.get(m.name) ?? new Map<string, string[]>();
      for (const k of c.keys()) {
        if (!t.has(k) && !ARRAY_TYPES.has(m.type)) dels.push(['map', 'delete', 'pinned', m.pin, 'key', 'hex', ...hexWords(k)]);
      }
      for (const [k, tv] of t) {
        const cv = c.get(k);
        if (cv && cv.length === tv.length && cv.every((v, i) => v === tv[i])) continue;
        // bpftool writes one value to every CPU of a per-CPU map; targets are always uniform.
        if (tv.some((v) => v !== tv[0])) throw new KernelOracleError(`cannot restore ${m.name}[${k}]: per-CPU values differ`, 'internal');
        sets.push(['map', 'update', 'pinned', m.pin, 'key', 'hex', ...hexWords(k), 'value', 'hex', ...hexWords(tv[0])]);
      }
    }
    return [...dels, ...sets];
  }

  outputMaps(state: MapState): Record<string, MapEntry[]> {
    const out: Record<string, MapEntry[]> = {};
    for (const m of [...this.dumped].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const entries = [...(state.get(m.name) ?? new Map<string, string[]>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out[m.name] = entries.map(([key, vals]) => (m.perCpu ? { key, values: vals } : { key, value: vals[0] }));
    }
    return out;
  }

  async close(): Promise<void> {
    await closeMount(this.dir);
  }
}

async function closeMount(dir: string): Promise<void> {
  const m = liveMounts.get(dir);
  liveMounts.delete(dir);
  if (liveMounts.size === 0) unhookSignals();
  await runProcess(m?.umount ?? 'umount', ['-l', dir]).catch(() => undefined);
  await rmdir(dir).catch(() => undefined);
  if (m?.tmp) await rm(m.tmp, { recursive: true, force: true });
}

const lastLines = (text: string, n: number): string => text.trim().split('\n').slice(-n).join('\n');

async function loadAll(tools: Tools, obj: string, dir: string): Promise<void> {
  let cmd: string[];
  if (tools.unshare) {
    // Inside a private mount namespace, /sys/fs/bpf is our instance: by-name pins stay in it too.
    const script = '"$4" --bind "$1" /sys/fs/bpf && exec "$2" prog loadall "$3" /sys/fs/bpf/oracle-progs pinmaps /sys/fs/bpf';
    cmd = [tools.unshare, '-m', '--propagation', 'private', '/bin/sh', '-c', script, 'chainlab-oracle', dir, tools.bpftool, obj, tools.mount];
  } else {
    // Without unshare, LIBBPF_PIN_BY_NAME maps would pin in the shared /sys/fs/bpf and pinmaps refuses them.
    cmd = [tools.bpftool, 'prog', 'loadall', obj, path.join(dir, PROG_DIR), 'pinmaps', dir];
  }
  const p = await runProcess(cmd[0], cmd.slice(1));
  if (p.code !== 0) {
    const log = p.stderr.replace(/^Warning: bpftool is now running in libbpf strict mode[\s\S]*?--legacy option for more details\.\n?/m, '').trim();
    throw new KernelOracleError(`${obj}: the kernel refused to load the object (\`bpftool prog loadall\`):\n${lastLines(log, 40)}`, 'load', { log });
  }
}

async function describe(tools: Tools, dir: string): Promise<[ProgInfo[], MapInfo[]]> {
  const progNames = (await readdir(path.join(dir, PROG_DIR)).catch(() => [] as string[])).sort();
  // bpffs holds our pins plus its preloaded iterators (maps.debug, progs.debug): pins have no dot.
  const mapPins = (await readdir(dir)).filter((n) => n !== PROG_DIR && !n.includes('.')).sort();
  const cmds = [
    ...progNames.map((n) => ['prog', 'show', 'pinned', path.join(dir, PROG_DIR, n)]),
    ...mapPins.map((n) => ['map', 'show', 'pinned', path.join(dir, n)]),
  ];
  const res = await runCommands(runnerOf(tools), cmds);
  if (res.failure) throw new KernelOracleError(`cannot describe the loaded object: ${res.failure.message}`, 'internal', { cause: res.failure });
  const progs = progNames.map((n, i) => {
    const o = res.outputs[i] as { id: number; type: string };
    return { name: n, pin: path.join(dir, PROG_DIR, n), id: o.id, type: o.type };
  });
  const maps = mapPins.map((n, i) => {
    const o = res.outputs[progNames.length + i] as {
      name: string; type: string; bytes_key: number; bytes_value: number; max_entries: number; frozen?: number;
    };
    return {
      name: contractMapName(o.name, n),
      pin: path.join(dir, n),
      type: o.type,
      keySize: o.bytes_key,
      valueSize: o.bytes_value,
      maxEntries: o.max_entries,
      frozen: Boolean(o.frozen),
      perCpu: o.type.includes('percpu'),
      role: roleOf(o.type),
    };
  });
  return [progs, maps];
}

// ---------------------------------------------------------------------------------------------
// Runs

/** The output buffer bpftool hands the kernel: large enough for any packet the runners build. */
const DATA_SIZE_OUT = 1 << 17;

function overlay(base: MapState, plan: InitPlan): MapState {
  const out: MapState = new Map();
  for (const [name, entries] of base) out.set(name, new Map(entries));
  for (const [name, entries] of plan.overlay) {
    const m = out.get(name) ?? new Map<string, string[]>();
    for (const [k, v] of entries) m.set(k, v);
    out.set(name, m);
  }
  return out;
}

function runError(prog: ProgInfo, input: KernelBatchInput, f: BpftoolError): KernelOracleError {
  const errno = errnoName(f.bpftoolError);
  const rules = explainTestRun(prog.type, errno, { dataLen: input.dataIn?.length, ctx: input.ctxIn });
  const why = rules.length ? `: ${rules.join('; ')}` : '';
  return new KernelOracleError(
    `BPF_PROG_TEST_RUN refused ${prog.type} program '${prog.name}' with ${errno ?? 'an error'} (${f.bpftoolError})${why} [${showCommand(f.command)}]`,
    'run',
    { errno, rules, cause: f },
  );
}

class Session {
  /** Map contents right now; undefined after a failed run (unknown until dumped again). */
  private cur: MapState | undefined;
  private base: MapState | undefined;
  private seq = 0;

  constructor(readonly loaded: LoadedObject) {}

  async run(prog: ProgInfo, input: KernelBatchInput, plan: InitPlan): Promise<KernelRunOutput> {
    const lo = this.loaded;
    if (input.repeat !== undefined && (!Number.isInteger(input.repeat) || input.repeat < 1)) {
      throw new KernelOracleError(`repeat must be a positive integer, not ${input.repeat}`, 'input');
    }
    if (!this.cur) this.cur = await lo.dump();
    this.base ??= this.cur;
    const target = overlay(this.base, plan);
    const n = ++this.seq;
    const run = ['prog', 'run', 'pinned', prog.pin];
    const files: string[] = [];
    if (input.dataIn) {
      const f = path.join(lo.tmp, `data-${n}.bin`);
      await writeFile(f, input.dataIn);
      files.push(f);
      run.push('data_in', f, 'data_out', '-', 'data_size_out', String(DATA_SIZE_OUT));
    }
    if (input.ctxIn) {
      const f = path.join(lo.tmp, `ctx-${n}.bin`);
      await writeFile(f, input.ctxIn);
      files.push(f);
      run.push('ctx_in', f, 'ctx_out', '-');
    }
    if (input.repeat !== undefined) run.push('repeat', String(input.repeat));
    const restore = lo.restoreCommands(this.cur, target);
    const res = await runCommands(lo.runner, [...restore, run, ...lo.dumpCommands()]);
    await Promise.all(files.map((f) => rm(f, { force: true })));
    if (res.failure) {
      this.cur = undefined;
      const f = res.failure;
      if (f.index < restore.length) throw new KernelOracleError(`cannot set the maps before the run: ${f.message}`, 'input', { cause: f });
      if (f.index === restore.length) throw runError(prog, input, f);
      throw new KernelOracleError(`cannot dump the maps after the run: ${f.message}`, 'internal', { cause: f });
    }
    const out = res.outputs[restore.length] as { retval: number; duration?: number; data_out?: number[]; ctx_out?: number[] };
    this.cur = lo.parseDumps(res.outputs.slice(restore.length + 1));
    return {
      retval: out.retval,
      data_out: toHex(out.data_out ?? []),
      ...(input.ctxIn ? { ctx_out: toHex(out.ctx_out ?? []) } : {}),
      ...(out.duration !== undefined ? { duration_ns: out.duration } : {}),
      maps: lo.outputMaps(this.cur),
    };
  }
}

const failureOf = (e: KernelOracleError): KernelRunFailure => ({
  error: { kind: e.kind, message: e.message, rules: e.rules, ...(e.errno ? { errno: e.errno } : {}) },
});

export interface BatchOptions {
  /** Return a KernelRunFailure for each refused run (and every run, when loading fails) instead of throwing. */
  settle?: boolean;
}

/**
 * Load `obj` once and run `prog` on every input, each from the same initial map state (the maps as
 * loaded, with that input's mapInit). Objects with maps that cannot be restored are reloaded per run.
 */
export async function kernelProgRunBatch(obj: string, prog: string | undefined, inputs: KernelBatchInput[], options?: { settle?: false }): Promise<KernelRunOutput[]>;
export async function kernelProgRunBatch(obj: string, prog: string | undefined, inputs: KernelBatchInput[], options: { settle: true }): Promise<KernelRunResult[]>;
export async function kernelProgRunBatch(obj: string, prog: string | undefined, inputs: KernelBatchInput[], options: BatchOptions = {}): Promise<KernelRunResult[]> {
  const settle = options.settle === true;
  const tools = await findTools();
  const results: KernelRunResult[] = [];
  if (inputs.length === 0) return results;
  let lo: LoadedObject;
  try {
    lo = await LoadedObject.load(tools, obj);
  } catch (e) {
    if (settle && e instanceof KernelOracleError && e.kind === 'load') return inputs.map(() => failureOf(e));
    throw e;
  }
  try {
    const p = lo.program(prog);
    const plans = inputs.map((inp) => {
      try {
        return lo.planInit(inp.mapInit);
      } catch (e) {
        if (settle && e instanceof KernelOracleError) return e;
        throw e;
      }
    });
    const valid = plans.filter((pl): pl is InitPlan => !(pl instanceof KernelOracleError));
    // Reuse one load unless some state cannot be restored between runs.
    const reload = lo.hasVolatileMaps || valid.some((pl) => pl.othersSig !== valid[0].othersSig);
    let session = new Session(lo);
    let fresh = true;
    if (!reload && valid.length) await lo.applyOthers(valid[0]);
    for (const [i, input] of inputs.entries()) {
      const plan = plans[i];
      if (plan instanceof KernelOracleError) {
        results.push(failureOf(plan));
        continue;
      }
      try {
        if (reload) {
          if (!fresh) {
            await lo.close();
            lo = await LoadedObject.load(tools, obj);
            session = new Session(lo);
          }
          fresh = false;
          await lo.applyOthers(plan);
        }
        results.push(await session.run(lo.program(p.name), input, plan));
      } catch (e) {
        if (settle && e instanceof KernelOracleError && e.kind !== 'internal' && e.kind !== 'unavailable') results.push(failureOf(e));
        else throw e;
      }
    }
    return results;
  } finally {
    await lo.close();
  }
}

/** One run: load, set maps, run once (or `repeat` times), dump, unload. */
export async function kernelProgRun(input: KernelRunInput): Promise<KernelRunOutput> {
  const { obj, prog, ...rest } = input;
  const [out] = await kernelProgRunBatch(obj, prog, [rest]);
  return out;
}

let availability: Promise<KernelAvailability> | undefined;

/**
 * Whether the oracle can run here: root, bpftool, a bpffs, and a kernel that loads and runs a
 * trivial XDP program through the same path real runs take. Checked once per process.
 */
export function kernelAvailable(): Promise<KernelAvailability> {
  availability ??= (async (): Promise<KernelAvailability> => {
    if (process.platform !== 'linux') return { ok: false, why: `not Linux (${process.platform})` };
    const uid = process.getuid?.();
    if (uid !== 0) return { ok: false, why: `not root (uid ${uid}): loading programs and mounting bpffs need CAP_BPF and CAP_SYS_ADMIN` };
    let tools: Tools;
    try {
      tools = await findTools();
      const fs = await statfs(BPFFS);
      if (fs.type !== BPF_FS_MAGIC) return { ok: false, why: `${BPFFS} is not a bpffs mount` };
    } catch (e) {
      return { ok: false, why: (e as Error).message };
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chainlab-oracle-probe-'));
    try {
      const obj = path.join(dir, 'probe.o');
      await writeFile(obj, buildProbeObject());
      const r = await kernelProgRun({ obj, prog: PROBE_PROG, dataIn: new Uint8Array(14) });
      if (r.retval !== PROBE_RETVAL) return { ok: false, why: `probe program returned ${r.retval}, expected ${PROBE_RETVAL}` };
      return { ok: true, cpu: tools.cpu, possibleCpus: tools.possibleCpus };
    } catch (e) {
      return { ok: false, why: `bpf() refused a trivial program: ${(e as Error).message}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return availability;
}
