/**
 * A scenario under construction. Commands and structured YAML both change it through the same
 * operations, which check what the kernel would check when the command ran (the namespace
 * exists, the name is free, the device is a bridge…) and report problems where they were
 * written. check.ts then resolves cross-references and assembles the final Scenario.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { ObjectSpec } from '../ebpf/elf/index.ts';
import { badDeviceName, badHostName } from './addr.ts';
import type { KeyPath, Reporter, Where } from './errors.ts';
import type { BpfObject, Device, DevRef, Host, Link, MapEntry, MapPreload, Program, ProgramRef, TailCall } from './model.ts';
import { inspectObject, fileProblem, type RawBytes } from './objects.ts';

/** The namespace commands run in without `-n` (the machine's own, in Linux). */
export const DEFAULT_HOST = 'root';

export const BPFFS = '/sys/fs/bpf';

/** A map entry whose bytes are resolved once the map's layout is known. */
export interface PendingMapEntry {
  key: RawBytes;
  value: RawBytes;
  where: Where;
  /** Where the value was written, when not under `where` (a command's value bytes). */
  valueWhere?: Where;
}

export interface PendingMapPreload {
  object?: string;
  map: string;
  entries: PendingMapEntry[];
  where: Where;
}

export interface PendingTailCall {
  object?: string;
  map: string;
  index: number;
  program: string;
  programObject?: string;
  where: Where;
}

/** Extend a location: deeper into the YAML for structured input; the same word for a command. */
export function sub(w: Where, ...keys: (string | number)[]): Where {
  return w.offset !== undefined ? w : { path: [...w.path, ...keys] };
}

export class Draft {
  readonly hosts = new Map<string, Host>();
  readonly links: { link: Link; where: Where }[] = [];
  readonly objects = new Map<string, BpfObject>();
  readonly specs = new Map<string, ObjectSpec>();
  readonly programs: Program[] = [];
  readonly mapPreloads: PendingMapPreload[] = [];
  readonly tailCalls: PendingTailCall[] = [];
  /** Resolved tail calls from `bpftool map update ... value pinned PROG`. */
  readonly resolvedTailCalls: { tc: TailCall; where: Where }[] = [];
  /** bpffs path → program pinned there by `bpftool prog load` (program: first of the object). */
  readonly progPins = new Map<string, { object: string; program?: string }>();
  /** Where each program, device, route… was written, for the cross-reference pass. */
  readonly origin = new Map<object, Where>();

  constructor(
    readonly report: Reporter,
    /** Absolute directory of the scenario file. */
    readonly dir: string,
    readonly defaultCpus: number,
  ) {}

  err(w: Where, message: string): false {
    this.report.error(w, message);
    return false;
  }

  // --- hosts and devices ---------------------------------------------------------------------

  newHost(name: string, where: Where, opts: { cpus?: number; loUp: boolean }): Host | undefined {
    const bad = badHostName(name);
    if (bad) return void this.err(where, bad);
    if (this.hosts.has(name)) return void this.err(where, `namespace "${name}" already exists`);
    const h: Host = {
      name,
      cpus: opts.cpus ?? this.defaultCpus,
      forwarding: { ipv4: false, ipv6: false },
      devices: [{ kind: 'lo', name: 'lo', mtu: 65536, up: opts.loUp, addresses: [], clsact: false }],
      routes: [],
      neighbours: [],
    };
    this.hosts.set(name, h);
    this.origin.set(h, where);
    return h;
  }

  /** The host a command runs in; the default namespace exists as soon as a command uses it. */
  host(ns: string | undefined, where: Where): Host | undefined {
    if (ns === undefined) return this.hosts.get(DEFAULT_HOST) ?? this.newHost(DEFAULT_HOST, where, { loUp: true });
    const h = this.hosts.get(ns);
    if (!h) {
      const known = [...this.hosts.keys()];
      return void this.err(where, `no namespace "${ns}"${known.length ? ` (namespaces: ${known.join(', ')})` : ''}; add it first with "ip netns add ${ns}"`);
    }
    return h;
  }

  hostLabel(h: Host): string {
    return h.name === DEFAULT_HOST ? `the default namespace (host "${DEFAULT_HOST}")` : `host "${h.name}"`;
  }

  device(h: Host, name: string, where: Where): Device | undefined {
    const d = h.devices.find((x) => x.name === name);
    if (!d) return void this.err(where, `no device "${name}" in ${this.hostLabel(h)} (devices: ${h.devices.map((x) => x.name).join(', ')})`);
    return d;
  }

  devRef(ref: DevRef, where: Where): { host: Host; dev: Device } | undefined {
    const h = this.hosts.get(ref.host);
    if (!h) return void this.err(where, `no host "${ref.host}" (hosts: ${[...this.hosts.keys()].join(', ') || 'none'})`);
    const d = this.device(h, ref.dev, where);
    return d ? { host: h, dev: d } : undefined;
  }

  /** Checks a new device name in a host: valid and free. */
  freeName(h: Host, name: string, where: Where): boolean {
    const bad = badDeviceName(name);
    if (bad) return this.err(where, bad);
    if (h.devices.some((d) => d.name === name)) return this.err(where, `device "${name}" already exists in ${this.hostLabel(h)} (File exists)`);
    return true;
  }

  addDevice(h: Host, d: Device, where: Where): void {
    h.devices.push(d);
    this.origin.set(d, where);
  }

  /** Removes a device and everything that hangs on it (routes, neighbours, attached programs, bridge ports). */
  removeDevice(h: Host, d: Device): void {
    h.devices.splice(h.devices.indexOf(d), 1);
    this.forgetDevice(h, d.name);
    if (d.kind === 'bridge') for (const p of h.devices) if (p.master === d.name) delete p.master;
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const a = this.programs[i].attach;
      if (a && a.host === h.name && a.dev === d.name) this.programs.splice(i, 1);
    }
  }

  /** What the kernel flushes when a device leaves a namespace or goes away. */
  forgetDevice(h: Host, dev: string): void {
    h.routes = h.routes.filter((r) => r.dev !== dev);
    h.neighbours = h.neighbours.filter((n) => n.dev !== dev);
  }

  // --- objects and programs ------------------------------------------------------------------

  /** The object a program comes from, read once; `written` is the path as the user wrote it. */
  object(written: string, kind: 'object' | 'source', where: Where): BpfObject | undefined {
    const abs = isAbsolute(written) ? written : resolve(this.dir, written);
    // Relative paths stay relative to the scenario (portable models); absolute ones stay absolute.
    const id = isAbsolute(written) ? abs : relative(this.dir, abs).split('\\').join('/');
    const known = this.objects.get(id);
    if (known) {
      if (known.kind !== kind) return void this.err(where, `"${written}" is used both as an object and as a C source`);
      return known;
    }
    if (kind === 'source') {
      const p = fileProblem(abs, written, 'C source');
      if (p) return void this.err(where, p);
      if (!written.endsWith('.c')) return void this.err(where, `a source is a C file ending in .c, got "${written}"`);
      const o: BpfObject = { id, path: abs, kind: 'source' };
      this.objects.set(id, o);
      return o;
    }
    if (written.endsWith('.c')) return void this.err(where, `"${written}" is C source: write "source: ${written}" (chainlab compiles it with clang) or give the built .o`);
    const r = inspectObject(abs, written);
    if (!r.ok) return void this.err(where, r.error);
    const o: BpfObject = { id, path: abs, kind: 'object', info: r.info };
    this.objects.set(id, o);
    this.specs.set(id, r.spec);
    return o;
  }

  addProgram(p: Program, where: Where): Program {
    this.programs.push(p);
    this.origin.set(p, where);
    return p;
  }

  /** The program at a bpffs path: pinned by `bpftool prog load`, or DIR/NAME after `prog loadall OBJ DIR`. */
  pinnedProgram(path: string, where: Where): ProgramRef | { object: string; program?: string } | undefined {
    const p = normPin(path);
    const direct = this.progPins.get(p);
    // `bpftool prog load` pins the object's first program.
    if (direct) return direct.program !== undefined ? direct : { object: direct.object, program: this.specs.get(direct.object)?.programs[0]?.name };
    for (const o of this.objects.values()) {
      if (o.pinDir && dirOf(p) === o.pinDir) {
        const name = p.slice(o.pinDir.length + 1);
        if (o.info && !o.info.programs.some((x) => x.name === name)) {
          return void this.err(where, `no program "${name}" in ${o.id} (loaded at ${o.pinDir}; programs: ${o.info.programs.map((x) => x.name).join(', ')})`);
        }
        return { object: o.id, program: name };
      }
    }
    const pins = [...this.progPins.keys(), ...[...this.objects.values()].filter((o) => o.pinDir).map((o) => `${o.pinDir}/*`)];
    return void this.err(where, `no program is pinned at ${path}${pins.length ? ` (pinned so far: ${pins.join(', ')})` : ''}; pin one with "bpftool prog load OBJ PATH" or "bpftool prog loadall OBJ DIR"`);
  }

  /**
   * The map at a bpffs path: MAPDIR/NAME after `pinmaps MAPDIR`, or a map the object pins by
   * name (LIBBPF_PIN_BY_NAME) at /sys/fs/bpf/NAME — /sys/fs/bpf/tc/globals/NAME or
   * /sys/fs/bpf/xdp/globals/NAME when ip or tc loaded it.
   */
  pinnedMap(path: string, where: Where): { object: string; map: string } | undefined {
    const p = normPin(path);
    for (const o of this.objects.values()) {
      if (o.pinMaps && dirOf(p) === o.pinMaps) {
        const name = p.slice(o.pinMaps.length + 1);
        if (o.info && !o.info.maps.some((m) => m.name === name)) {
          return void this.err(where, `no map "${name}" in ${o.id} (maps pinned at ${o.pinMaps}: ${o.info.maps.map((m) => m.name).join(', ')})`);
        }
        return { object: o.id, map: name };
      }
    }
    const byName = /^\/sys\/fs\/bpf\/(?:(?:tc|xdp)\/globals\/)?([^/]+)$/.exec(p);
    if (byName) {
      const owners = [...this.specs.entries()].filter(([, s]) => s.maps.some((m) => m.name === byName[1] && m.pinning === 'by_name'));
      if (owners.length === 1) return { object: owners[0][0], map: byName[1] };
    }
    const dirs = [...this.objects.values()].filter((o) => o.pinMaps).map((o) => o.pinMaps);
    return void this.err(where, `no map is pinned at ${path}${dirs.length ? ` (map pin directories: ${dirs.join(', ')})` : ''}; pin an object's maps with "bpftool prog loadall OBJ DIR pinmaps MAPDIR"`);
  }

  /** A map named without its object: it must be unique among the objects read so far. */
  mapByName(name: string, where: Where): { object: string; map: string } | undefined {
    const owners = [...this.objects.values()].filter((o) => o.info?.maps.some((m) => m.name === name));
    if (owners.length === 1) return { object: owners[0].id, map: name };
    if (owners.length > 1) return void this.err(where, `map "${name}" is in several objects (${owners.map((o) => o.id).join(', ')}); say which`);
    return void this.err(where, `no loaded object has a map "${name}"`);
  }

  addMapEntries(object: string | undefined, map: string, entries: PendingMapEntry[], where: Where): void {
    const same = this.mapPreloads.find((m) => m.object === object && m.map === map);
    if (same) same.entries.push(...entries);
    else this.mapPreloads.push({ object, map, entries, where });
  }
}

export function normPin(p: string): string {
  return p.replace(/\/+/g, '/').replace(/\/$/, '');
}

function dirOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/'));
}

export function isOnBpffs(p: string): boolean {
  return normPin(p).startsWith(`${BPFFS}/`);
}

export type { KeyPath, MapEntry, MapPreload };
