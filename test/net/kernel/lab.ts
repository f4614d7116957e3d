/**
 * The real kernel as a test oracle (DESIGN.md "Truth"): network namespaces, veth pairs, XDP and
 * tc programs loaded with bpftool, maps read and written with bpftool, and raw frames sent and
 * captured with AF_PACKET sockets (frames.py). Every name starts with `chainlab-kt-<pid>-`;
 * pins live on a private bpffs mount (not /sys/fs/bpf: `ip -n`/`ip netns exec` remount /sys, which
 * hides it), so unmounting it and deleting the namespaces undoes everything.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FRAMES_PY = join(import.meta.dirname, 'frames.py');
const PROG_VALUE_PY = join(import.meta.dirname, 'prog_value.py');

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** Why the kernel cannot be used here, or undefined when it can. */
export function kernelSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  for (const [cmd, args] of [['ip', ['-V']], ['tc', ['-V']], ['bpftool', ['version']], ['python3', ['--version']], ['clang', ['--version']]] as const) {
    const r = spawnSync(cmd, [...args], { encoding: 'utf8' });
    if (r.status !== 0) return `${cmd} is missing or fails (${(r.stderr || r.error?.message || '').trim().split('\n')[0]})`;
  }
  const probe = `chainlab-kt-${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns refused: ${(r.stderr || r.error?.message || '').trim()}`;
  try {
    const bt = spawnSync('ip', ['netns', 'exec', probe, 'bpftool', 'prog', 'show'], { encoding: 'utf8' });
    if (bt.status !== 0) return `bpftool refused: ${bt.stderr.trim()}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return undefined;
}

function sh(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr || err.stdout || err.message).trim()}`, { cause: e });
  }
}

export interface LinkInfo {
  ifindex: number;
  mac: string;
  stats: { rx: { packets: number; bytes: number; dropped: number }; tx: { packets: number; bytes: number; dropped: number } };
}

/** One entry of `bpftool map dump -j`: key and value bytes; per-CPU maps give one value per CPU. */
export interface KernelMapEntry {
  key: Uint8Array;
  value?: Uint8Array;
  values?: Uint8Array[];
}

export interface Capture {
  ns: string;
  dev: string;
}

export interface FramesJob {
  captures?: Capture[];
  sends?: { ns: string; dev: string; frame: Uint8Array }[];
  ethtool?: Capture[];
  gapMs?: number;
  quietMs?: number;
}

export interface FramesResult {
  /** Per capture, the frames that arrived, in order (PACKET_OUTGOING excluded). */
  captures: { bytes: Uint8Array; pkttype: number }[][];
  /** Per `ethtool` entry, `ethtool -S` as a record. */
  ethtool: Record<string, number>[];
}

const byteArray = (a: string[]): Uint8Array => Uint8Array.from(a.map((x) => parseInt(x, 16)));

/** A set of namespaces and pinned objects, torn down by `destroy()`. */
export class Lab {
  readonly prefix = `chainlab-kt-${process.pid}-`;
  private readonly namespaces: string[] = [];
  private dir: string | undefined;
  private bpffs: string | undefined;
  private mounted = false;

  /** Create a namespace `<prefix><name>`, lo up, IPv6 off (no RS/NS/MLD noise). */
  addNs(name: string): string {
    const ns = this.prefix + name;
    sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  ip(ns: string, ...args: string[]): string {
    return sh('ip', ['-n', ns, ...args]);
  }

  tc(ns: string, ...args: string[]): string {
    return sh('tc', ['-n', ns, ...args]);
  }

  exec(ns: string, cmd: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /**
   * A veth pair with fixed MACs, up, ARP off (no ARP noise; neighbours are static), each end in
   * its namespace: `ip link add A address .. type veth peer name B address .. netns NSB`.
   */
  addVeth(nsA: string, a: string, macA: string, nsB: string, b: string, macB: string): void {
    this.ip(nsA, 'link', 'add', a, 'address', macA, 'type', 'veth', 'peer', 'name', b, 'address', macB, 'netns', nsB);
    for (const [ns, d] of [[nsA, a], [nsB, b]]) this.ip(ns, 'link', 'set', 'dev', d, 'arp', 'off', 'up');
  }

  link(ns: string, dev: string): LinkInfo {
    const j = JSON.parse(this.ip(ns, '-s', '-j', 'link', 'show', 'dev', dev))[0] as { ifindex: number; address: string; stats64: LinkInfo['stats'] };
    return { ifindex: j.ifindex, mac: j.address, stats: j.stats64 };
  }

  /** `/proc/net/snmp` of a namespace: "Ip.ForwDatagrams" → n. */
  snmp(ns: string): Record<string, number> {
    const lines = this.exec(ns, 'cat', '/proc/net/snmp').trim().split('\n');
    const out: Record<string, number> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i].split(/\s+/);
      const vals = lines[i + 1].split(/\s+/);
      const group = names[0].replace(/:$/, '');
      for (let k = 1; k < names.length; k++) out[`${group}.${names[k]}`] = Number(vals[k]);
    }
    return out;
  }

  /** A private bpffs for pins, mounted on first use. */
  private pinRoot(): string {
    if (this.bpffs === undefined) {
      this.dir = mkdtempSync(join(tmpdir(), this.prefix));
      this.bpffs = join(this.dir, 'bpffs');
      mkdirSync(this.bpffs);
      sh('mount', ['-t', 'bpf', 'bpf', this.bpffs]);
      this.mounted = true;
    }
    return this.bpffs;
  }

  /**
   * `bpftool prog loadall OBJ DIR pinmaps DIR/maps`: every program of the object pinned by name
   * (the way to pick one of several programs in a section), maps shared and pinned by name.
   */
  loadAll(object: string, as: string): { prog: (name: string) => string; map: (name: string) => string } {
    const d = join(this.pinRoot(), as);
    sh('bpftool', ['prog', 'loadall', object, d, 'pinmaps', join(d, 'maps')]);
    return { prog: (name) => join(d, name), map: (name) => join(d, 'maps', name) };
  }

  /** `ip link set dev X xdpdrv pinned P` (native XDP; veth supports it). */
  attachXdp(ns: string, dev: string, pinnedProg: string, mode: 'xdpdrv' | 'xdpgeneric' = 'xdpdrv'): void {
    this.ip(ns, 'link', 'set', 'dev', dev, mode, 'pinned', pinnedProg);
  }

  /** clsact + `tc filter add dev X ingress|egress bpf da object-pinned P`. */
  attachTc(ns: string, dev: string, dir: 'ingress' | 'egress', pinnedProg: string): void {
    spawnSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', dev, 'clsact']);
    this.tc(ns, 'filter', 'add', 'dev', dev, dir, 'bpf', 'da', 'object-pinned', pinnedProg);
  }

  mapId(pinnedMap: string): number {
    return (JSON.parse(sh('bpftool', ['-j', 'map', 'show', 'pinned', pinnedMap])) as { id: number }).id;
  }

  /**
   * `bpftool map update`, run inside `ns` when given: a DEVMAP resolves its ifindex values in
   * the namespace of the process that updates it (dev_map_update_elem uses current's netns).
   */
  mapUpdate(pinnedMap: string, key: Uint8Array, value: Uint8Array, ns?: string): void {
    const args = ['map', 'update', 'id', String(this.mapId(pinnedMap)), 'key', 'hex', ...hex(key).match(/../g)!, 'value', 'hex', ...hex(value).match(/../g)!];
    if (ns !== undefined) this.exec(ns, 'bpftool', ...args);
    else sh('bpftool', args);
  }

  /**
   * A map update whose value carries a program fd at `fdOffset` (bpf_devmap_val, bpf_cpumap_val:
   * byte 4), which bpftool cannot write: prog_value.py opens the pinned program and passes its fd.
   * Run inside `ns` when given, for the same reason as mapUpdate.
   */
  mapUpdateWithProg(pinnedMap: string, key: Uint8Array, value: Uint8Array, pinnedProg: string, fdOffset: number, ns?: string): void {
    const args = [PROG_VALUE_PY, pinnedMap, hex(key), hex(value), pinnedProg, String(fdOffset)];
    if (ns !== undefined) this.exec(ns, 'python3', ...args);
    else sh('python3', args);
  }

  /** `bpftool map dump -j`, entries present only (array slots a DEVMAP leaves empty are skipped). */
  mapDump(pinnedMap: string): KernelMapEntry[] {
    const raw = JSON.parse(sh('bpftool', ['-j', 'map', 'dump', 'pinned', pinnedMap])) as { key: string[]; value?: string[] | { error: string }; values?: { cpu: number; value: string[] }[] }[];
    const out: KernelMapEntry[] = [];
    for (const e of raw) {
      if (e.values) out.push({ key: byteArray(e.key), values: e.values.sort((x, y) => x.cpu - y.cpu).map((v) => byteArray(v.value)) });
      else if (Array.isArray(e.value)) out.push({ key: byteArray(e.key), value: byteArray(e.value) });
    }
    return out;
  }

  /** Send frames and capture arrivals (frames.py, one process hopping namespaces with setns). */
  frames(job: FramesJob): FramesResult {
    const input = JSON.stringify({
      captures: job.captures ?? [],
      sends: (job.sends ?? []).map((s) => ({ ns: s.ns, dev: s.dev, frame: hex(s.frame) })),
      ethtool: job.ethtool ?? [],
      gap_ms: job.gapMs ?? 2,
      quiet_ms: job.quietMs ?? 300,
    });
    const out = JSON.parse(sh('python3', [FRAMES_PY], input)) as { captures: { hex: string; pkttype: number }[][]; ethtool: Record<string, number>[] };
    return { captures: out.captures.map((c) => c.map((f) => ({ bytes: unhex(f.hex), pkttype: f.pkttype }))), ethtool: out.ethtool };
  }

  /** Delete every namespace and unmount the pins (safe to call twice). */
  destroy(): void {
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
    if (this.mounted && this.bpffs !== undefined) {
      spawnSync('umount', [this.bpffs]);
      this.mounted = false;
    }
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.bpffs = undefined;
  }
}
