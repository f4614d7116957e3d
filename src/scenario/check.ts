/**
 * The cross-reference pass: once hosts, steps and the structured sections are in the Draft,
 * every name is resolved against the final topology (devices, hosts, programs in objects, maps
 * and their sizes, pcap files) and the Scenario is assembled. Problems are reported where they
 * were written.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { connectedDevice } from './commands/apply.ts';
import { Draft, sub } from './draft.ts';
import type { SourcePos, Where } from './errors.ts';
import type {
  BpfObject,
  Comparison,
  Expectation,
  FlowTemplate,
  FrameSize,
  Hook,
  MapBytes,
  MapEntry,
  MapPreload,
  PacketMatch,
  Program,
  ProgramRef,
  Qdisc,
  ReplayTiming,
  Scenario,
  TailCall,
  TrafficSource,
} from './model.ts';
import { encodeMapBytes, fileProblem, type RawBytes } from './objects.ts';
import type { ExpectInput, MatchInput, ScenarioInput, TrafficInput } from './schema.ts';
import { formatDuration, parseTcHandle } from './units.ts';
import { HOOKS } from '../trace/records.ts';

/** Program types each hook runs (include/uapi/linux/bpf.h names). */
const HOOK_TYPES: Record<Hook, readonly string[]> = {
  xdp: ['BPF_PROG_TYPE_XDP'],
  'xdp-generic': ['BPF_PROG_TYPE_XDP'],
  'tc-ingress': ['BPF_PROG_TYPE_SCHED_CLS', 'BPF_PROG_TYPE_SCHED_ACT'],
  'tc-egress': ['BPF_PROG_TYPE_SCHED_CLS', 'BPF_PROG_TYPE_SCHED_ACT'],
  socket: ['BPF_PROG_TYPE_SOCKET_FILTER'],
  'cgroup-ingress': ['BPF_PROG_TYPE_CGROUP_SKB'],
  'cgroup-egress': ['BPF_PROG_TYPE_CGROUP_SKB'],
  'sk-skb-parser': ['BPF_PROG_TYPE_SK_SKB'],
  'sk-skb-verdict': ['BPF_PROG_TYPE_SK_SKB'],
  'sk-msg': ['BPF_PROG_TYPE_SK_MSG'],
};

const DEV_HOOKS: readonly Hook[] = ['xdp', 'xdp-generic', 'tc-ingress', 'tc-egress'];

export interface FinalizeContext {
  file: string;
  input: ScenarioInput;
  /** Source position of a location (for expectations' `at`). */
  pos: (w: Where) => SourcePos;
}

export function finalize(d: Draft, ctx: FinalizeContext): Scenario {
  const { input } = ctx;
  const durationNs = input.duration;
  checkTopology(d);
  checkLinks(d);
  const programs = checkPrograms(d);
  const maps = checkMaps(d);
  const tailCalls = checkTailCalls(d);
  const traffic = (input.traffic ?? []).map((t, i) => checkTraffic(d, t, i, durationNs)).filter((t): t is TrafficSource => t !== undefined);
  const names = new Set<string>();
  (input.traffic ?? []).forEach((t, i) => {
    const n = t.name ?? `traffic${i}`;
    if (names.has(n)) d.err({ path: ['traffic', i, 'name'] }, `traffic name "${n}" is used twice`);
    names.add(n);
  });
  const expect = (input.expect ?? [])
    .map((e, i) => checkExpectation(d, e, { path: ['expect', i] }, names, ctx))
    .filter((e): e is Expectation => e !== undefined);
  // Objects in the order first used; ones nothing refers to any more (after deletes) are dropped.
  const used = new Set<string>([...programs.map((p) => p.object), ...maps.flatMap((m) => [m.object, ...m.entries.flatMap((e) => ('program' in e.value && e.value.program ? [e.value.program.object] : []))]), ...tailCalls.flatMap((t) => [t.object, t.program.object])]);
  for (const o of d.objects.values()) if (o.pinDir !== undefined || o.pinMaps !== undefined) used.add(o.id);
  const objects: BpfObject[] = [...d.objects.values()].filter((o) => used.has(o.id));
  return {
    name: input.name,
    description: input.description ?? '',
    file: ctx.file,
    dir: d.dir,
    seed: input.seed ?? 1,
    durationNs,
    hosts: [...d.hosts.values()],
    links: d.links.map((l) => l.link),
    objects,
    programs,
    maps,
    tailCalls,
    traffic,
    expect,
  };
}

// --- topology ---------------------------------------------------------------------------------

function checkTopology(d: Draft): void {
  for (const h of d.hosts.values()) {
    for (const dev of h.devices) {
      const w = d.origin.get(dev);
      if (!w || w.offset !== undefined) continue; // commands were checked when they ran
      if (dev.qdisc) checkQdisc(d, dev.qdisc, sub(w, 'qdisc'), new Set());
      if (dev.master === undefined) continue;
      const mw = sub(w, 'master');
      const br = h.devices.find((x) => x.name === dev.master);
      if (!br) d.err(mw, `no bridge "${dev.master}" in host "${h.name}" (devices: ${h.devices.map((x) => x.name).join(', ')})`);
      else if (br.kind !== 'bridge') d.err(mw, `"${dev.master}" is a ${br.kind}, not a bridge`);
      else if (br === dev || dev.kind === 'bridge') d.err(mw, 'a bridge cannot be a bridge port');
      else if (dev.kind === 'lo') d.err(mw, 'lo cannot be a bridge port');
    }
    for (const r of h.routes) {
      const w = d.origin.get(r);
      if (!w || w.offset !== undefined) continue;
      if (r.dev !== undefined && !h.devices.some((x) => x.name === r.dev)) {
        d.err(sub(w, 'dev'), `no device "${r.dev}" in host "${h.name}" (devices: ${h.devices.map((x) => x.name).join(', ')})`);
        continue;
      }
      if (r.via !== undefined) {
        const nh = connectedDevice(h, r.via, r.dev);
        if (nh === 'down') d.err(sub(w, 'via'), `gateway ${r.via} is on a subnet of a device that is down`);
        else if (!nh) d.err(sub(w, 'via'), `gateway ${r.via} is not on a connected subnet${r.dev ? ` of ${r.dev}` : ''} of host "${h.name}" (the kernel says: Nexthop has invalid gateway)`);
      } else if (!h.devices.find((x) => x.name === r.dev)?.up) {
        d.err(sub(w, 'dev'), `${r.dev} is down`);
      }
      if (r.src !== undefined && !h.devices.some((x) => x.addresses.some((a) => a.startsWith(`${r.src}/`)))) {
        d.err(sub(w, 'src'), `source ${r.src} is not an address of host "${h.name}"`);
      }
    }
    for (const n of h.neighbours) {
      const w = d.origin.get(n);
      if (w && w.offset === undefined && !h.devices.some((x) => x.name === n.dev)) {
        d.err(sub(w, 'dev'), `no device "${n.dev}" in host "${h.name}" (devices: ${h.devices.map((x) => x.name).join(', ')})`);
      }
    }
  }
}

/** tc's rules for a structured qdisc tree: hex handles, unique; htb classes under their qdisc, parents first. */
function checkQdisc(d: Draft, q: Qdisc, w: Where, handles: Set<string>): void {
  if (q.handle !== undefined) {
    const h = parseTcHandle(q.handle, 'qdisc');
    if (!h) return void d.err(sub(w, 'handle'), `expected a qdisc handle like "1:" (hex), got ${JSON.stringify(q.handle)}`);
    if (handles.has(h.text)) return void d.err(sub(w, 'handle'), `handle ${h.text} is used twice on this device`);
    handles.add(h.text);
    q.handle = h.text;
  }
  if (q.kind === 'tbf' && q.child) checkQdisc(d, q.child, sub(w, 'child'), handles);
  if (q.kind !== 'htb') return;
  const seen: string[] = [];
  q.classes.forEach((c, i) => {
    const cw = sub(w, 'classes', i);
    const id = parseTcHandle(c.classid, 'class');
    if (!id) return void d.err(sub(cw, 'classid'), `expected a class id like "1:10" (hex), got ${JSON.stringify(c.classid)}`);
    if (`${id.major.toString(16)}:` !== q.handle) return void d.err(sub(cw, 'classid'), `class ${id.text} is not under this htb (handle ${q.handle})`);
    if (seen.includes(id.text)) return void d.err(sub(cw, 'classid'), `class ${id.text} is declared twice`);
    c.classid = id.text;
    if (c.parent === '') c.parent = q.handle;
    else {
      const p = parseTcHandle(c.parent, 'class') ?? parseTcHandle(c.parent, 'qdisc');
      if (!p || (p.text !== q.handle && !seen.includes(p.text))) {
        return void d.err(sub(cw, 'parent'), `parent ${JSON.stringify(c.parent)} is neither the htb (${q.handle}) nor a class declared before it (${seen.join(', ') || 'none'})`);
      }
      c.parent = p.text;
    }
    seen.push(id.text);
    if (c.qdisc) checkQdisc(d, c.qdisc, sub(cw, 'qdisc'), handles);
  });
}

function checkLinks(d: Draft): void {
  const wired = new Map<string, number>();
  d.links.forEach(({ link, where }, i) => {
    const ends = [
      [link.a, 'a'],
      [link.b, 'b'],
    ] as const;
    for (const [ref, key] of ends) {
      const r = d.devRef(ref, sub(where, key));
      if (!r) continue;
      if (r.dev.kind !== 'nic') {
        d.err(sub(where, key), `${ref.host}/${ref.dev} is a ${r.dev.kind}; links join NICs (a veth already has its peer)`);
        continue;
      }
      const id = `${ref.host}/${ref.dev}`;
      const prev = wired.get(id);
      if (prev !== undefined) d.err(sub(where, key), `${id} is already wired by links[${prev}]`);
      else wired.set(id, i);
    }
    if (link.a.host === link.b.host && link.a.dev === link.b.dev) d.err(where, 'a link joins two different NICs');
  });
}

// --- programs ---------------------------------------------------------------------------------

function describePrograms(o: BpfObject): string {
  return (o.info?.programs ?? []).map((p) => `${p.name} (${p.section})`).join(', ');
}

function checkPrograms(d: Draft): Program[] {
  const out: Program[] = [];
  const xdpOn = new Map<string, Program>();
  for (const p of d.programs) {
    const w = d.origin.get(p) ?? { path: ['programs'] };
    const o = d.objects.get(p.object)!;
    if (!resolveProgram(d, p, o, w)) continue;
    if (p.attach && !checkAttach(d, p, o, w)) continue;
    if (p.attach && p.attach.hook.startsWith('xdp') && p.attach.dev !== undefined) {
      const key = `${p.attach.host}/${p.attach.dev}`;
      if (xdpOn.has(key)) {
        d.err(sub(w, 'attach'), `${key} already runs an XDP program (${xdpOn.get(key)!.program ?? p.object}); a device has one XDP program (chain more with tail calls)`);
        continue;
      }
      xdpOn.set(key, p);
    }
    out.push(p);
  }
  return out;
}

function resolveProgram(d: Draft, p: Program, o: BpfObject, w: Where): boolean {
  const progs = o.info?.programs;
  if (!progs) return true; // a C source: the builder resolves names after compiling
  if (progs.length === 0) return d.err(sub(w, 'object'), `${o.id} has no programs`);
  if (p.program !== undefined) {
    const f = progs.find((x) => x.name === p.program);
    if (!f) return d.err(sub(w, 'program'), `no program "${p.program}" in ${o.id} (programs: ${describePrograms(o)})`);
    if (p.section !== undefined && f.section !== p.section) return d.err(sub(w, 'section'), `program "${p.program}" is in section "${f.section}", not "${p.section}"`);
    p.section = f.section;
    return true;
  }
  if (p.section !== undefined) {
    // As ip and tc do: the first program of the section.
    const f = progs.find((x) => x.section === p.section);
    if (!f) return d.err(sub(w, 'section'), `no section "${p.section}" in ${o.id} (programs: ${describePrograms(o)})`);
    p.program = f.name;
    return true;
  }
  if (p.attach) {
    const fits = progs.filter((x) => HOOK_TYPES[p.attach!.hook].includes(x.type));
    if (fits.length === 1) {
      p.program = fits[0].name;
      p.section = fits[0].section;
      return true;
    }
    if (fits.length === 0) return d.err(w, `no program in ${o.id} can attach at ${p.attach.hook} (programs: ${describePrograms(o)})`);
    return d.err(w, `${o.id} has several programs for ${p.attach.hook} (${fits.map((x) => x.name).join(', ')}); say which with "program: NAME"`);
  }
  // bpftool prog load pins the object's first program.
  p.program = progs[0].name;
  p.section = progs[0].section;
  return true;
}

function checkAttach(d: Draft, p: Program, o: BpfObject, w: Where): boolean {
  const a = p.attach!;
  const aw = sub(w, 'attach');
  const h = d.hosts.get(a.host);
  if (!h) return d.err(aw, `no host "${a.host}" (hosts: ${[...d.hosts.keys()].join(', ') || 'none'})`);
  const needsDev = DEV_HOOKS.includes(a.hook);
  if (needsDev && a.dev === undefined) return d.err(aw, `${a.hook} programs attach to a device, e.g. "${a.host}/eth0/${a.hook}"`);
  const dev = a.dev !== undefined ? d.device(h, a.dev, aw) : undefined;
  if (a.dev !== undefined && !dev) return false;
  if (a.hook === 'xdp' && dev && (dev.kind === 'bridge' || dev.kind === 'lo')) return d.err(aw, `${dev.kind === 'lo' ? 'lo' : 'a bridge'} has no native XDP; use hook xdp-generic`);
  if (a.priority !== undefined && !a.hook.startsWith('tc-')) return d.err(aw, 'priority applies to tc hooks only');
  const isSk = a.hook.startsWith('sk-');
  if (isSk && a.map === undefined) return d.err(aw, `a ${a.hook} program attaches to a sockmap: add "map: NAME"`);
  if (!isSk && a.map !== undefined) return d.err(aw, `"map" applies to sk-skb-* and sk-msg hooks only`);
  const spec = o.info?.programs.find((x) => x.name === p.program);
  if (spec && !HOOK_TYPES[a.hook].includes(spec.type)) {
    return d.err(aw, `program "${spec.name}" (section "${spec.section}") is ${spec.type}; ${a.hook} runs ${HOOK_TYPES[a.hook].join(' or ')}`);
  }
  const full = d.specs.get(o.id)?.programs.find((x) => x.name === p.program);
  if (full && a.hook.startsWith('xdp') && (full.attachType === 'BPF_XDP_DEVMAP' || full.attachType === 'BPF_XDP_CPUMAP')) {
    return d.err(aw, `program "${full.name}" (section "${full.section}") runs inside a ${full.attachType === 'BPF_XDP_DEVMAP' ? 'devmap' : 'cpumap'} entry, not on a device`);
  }
  if (isSk && o.info) {
    const m = o.info.maps.find((x) => x.name === a.map);
    if (!m) return d.err(aw, `no map "${a.map}" in ${o.id} (maps: ${o.info.maps.map((x) => x.name).join(', ')})`);
    if (m.type !== 'BPF_MAP_TYPE_SOCKMAP' && m.type !== 'BPF_MAP_TYPE_SOCKHASH') return d.err(aw, `map "${a.map}" is a ${m.type}, not a SOCKMAP or SOCKHASH`);
  }
  if (a.hook.startsWith('tc-') && dev && !dev.clsact) {
    // Structured programs imply the clsact qdisc their hook lives in; commands must add it.
    if (w.offset !== undefined) return d.err(aw, `${dev.name} has no clsact qdisc`);
    dev.clsact = true;
  }
  return true;
}

// --- maps and tail calls ----------------------------------------------------------------------

/** The object a map belongs to: given, or the one object that has a map of that name. */
function mapOwner(d: Draft, object: string | undefined, map: string, w: Where): BpfObject | undefined {
  if (object !== undefined) {
    const o = d.objects.get(object)!;
    if (o.info && !o.info.maps.some((m) => m.name === map)) {
      return void d.err(sub(w, 'map'), `no map "${map}" in ${o.id} (maps: ${o.info.maps.map((m) => m.name).join(', ') || 'none'})`);
    }
    return o;
  }
  const all = [...d.objects.values()];
  const owners = all.filter((o) => o.info?.maps.some((m) => m.name === map));
  if (owners.length === 1) return owners[0];
  if (owners.length > 1) return void d.err(sub(w, 'map'), `map "${map}" is in several objects (${owners.map((o) => o.id).join(', ')}); add "object: PATH"`);
  const sources = all.filter((o) => o.kind === 'source');
  if (sources.length === 1 && all.length === 1) return sources[0];
  return void d.err(sub(w, 'map'), `no loaded object has a map "${map}"${all.length ? ` (objects: ${all.map((o) => o.id).join(', ')})` : ''}`);
}

function encode(d: Draft, raw: RawBytes, o: BpfObject, map: string, which: 'key' | 'value', w: Where): MapBytes | undefined {
  const spec = d.specs.get(o.id);
  const ms = spec?.maps.find((m) => m.name === map);
  if ('program' in raw && raw.program !== undefined) {
    const program = entryProgram(d, raw, o, map, which, w);
    if (!program) return undefined;
    if ('qsize' in raw) return { qsize: raw.qsize, program };
    if (!d.devRef(raw.ifindex, w)) return undefined;
    return { ifindex: raw.ifindex, program };
  }
  if ('qsize' in raw) return undefined; // not produced without a program
  if ('ifindex' in raw) {
    if (!d.devRef(raw.ifindex, w)) return undefined;
    const size = ms ? (which === 'key' ? ms.keySize : ms.valueSize) : 4;
    if (size < 4) return void d.err(w, `an ifindex is 4 bytes; the map's ${which}_size is ${size}`);
    return { ifindex: raw.ifindex };
  }
  const r = encodeMapBytes(raw, ms, spec?.btf, which);
  if (!r.ok) return void d.err(w, r.error);
  return { hex: r.hex };
}

/**
 * The program of a devmap value {ifindex, program} or a cpumap value {qsize, program}: the map
 * must be of that kind with 8-byte values (struct bpf_devmap_val / bpf_cpumap_val), and the
 * program an XDP program for entries of that map (SEC("xdp/devmap") / SEC("xdp/cpumap")).
 */
function entryProgram(d: Draft, raw: Extract<RawBytes, { program?: unknown }>, o: BpfObject, map: string, which: 'key' | 'value', w: Where): ProgramRef | undefined {
  const ref = raw.program!;
  const cpumap = 'qsize' in raw;
  const kind = cpumap ? 'cpumap' : 'devmap';
  const sample = cpumap ? '{qsize: 2048, program: NAME}' : '{ifindex: "host/dev", program: NAME}';
  if (which === 'key') return void d.err(sub(w, 'program'), `a program goes in a map value, not a key`);
  const info = o.info?.maps.find((m) => m.name === map);
  if (info) {
    const types = cpumap ? ['BPF_MAP_TYPE_CPUMAP'] : ['BPF_MAP_TYPE_DEVMAP', 'BPF_MAP_TYPE_DEVMAP_HASH'];
    if (!types.includes(info.type)) {
      if (cpumap) return void d.err(sub(w, 'qsize'), `"qsize" is for a CPUMAP value, and "${map}" is a ${info.type}${info.type.startsWith('BPF_MAP_TYPE_DEVMAP') ? ': write {ifindex: "host/dev", program: NAME}' : '; drop "qsize" and "program"'}`);
      const hint = info.type === 'BPF_MAP_TYPE_CPUMAP' ? ': write {qsize: N, program: NAME}' : '; only DEVMAP, DEVMAP_HASH and CPUMAP values run a program';
      return void d.err(sub(w, 'program'), `"program" is for a devmap or cpumap value, and "${map}" is a ${info.type}${hint}`);
    }
    if (info.valueSize !== 8) {
      return void d.err(sub(w, 'program'), `"${map}" has value_size ${info.valueSize}: a ${kind} entry with a program needs 8-byte values (struct bpf_${kind}_val); declare __type(value, struct bpf_${kind}_val)`);
    }
  }
  const objectId = ref.programObject ?? o.id;
  const po = d.objects.get(objectId)!;
  if (po.info && !po.info.programs.some((p) => p.name === ref.program)) {
    const others = [...d.objects.values()].filter((x) => x.id !== po.id && x.info?.programs.some((p) => p.name === ref.program));
    const fix = others.length ? `; it is in ${others.map((x) => x.id).join(', ')}: add "programObject: ${others[0].id}"` : '';
    return void d.err(sub(w, 'program'), `no program "${ref.program}" in ${po.id} (programs: ${describePrograms(po) || 'none'})${fix}`);
  }
  const full = d.specs.get(po.id)?.programs.find((p) => p.name === ref.program);
  const want = cpumap ? 'BPF_XDP_CPUMAP' : 'BPF_XDP_DEVMAP';
  if (full && (full.progType !== 'BPF_PROG_TYPE_XDP' || full.attachType !== want)) {
    return void d.err(sub(w, 'program'), `program "${full.name}" is in section "${full.section}"; a ${kind} entry runs XDP programs for ${want}: put it in SEC("xdp/${kind}") (value ${sample})`);
  }
  return { object: po.id, program: ref.program };
}

function checkMaps(d: Draft): MapPreload[] {
  const out: MapPreload[] = [];
  for (const m of d.mapPreloads) {
    const o = mapOwner(d, m.object, m.map, m.where);
    if (!o) continue;
    const info = o.info?.maps.find((x) => x.name === m.map);
    if (info?.type === 'BPF_MAP_TYPE_PROG_ARRAY') {
      d.err(m.where, `"${m.map}" is a PROG_ARRAY: fill it with tailCalls (or "bpftool map update ... value pinned PROG")`);
      continue;
    }
    const entries: MapEntry[] = [];
    for (const e of m.entries) {
      const key = encode(d, e.key, o, m.map, 'key', sub(e.where, 'key'));
      const value = encode(d, e.value, o, m.map, 'value', e.valueWhere ?? sub(e.where, 'value'));
      if (!key || !value) continue;
      // A later update of the same key wins, as in the map itself.
      const same = entries.findIndex((x) => JSON.stringify(x.key) === JSON.stringify(key));
      if (same >= 0) entries[same] = { key, value };
      else entries.push({ key, value });
    }
    const prev = out.find((x) => x.object === o.id && x.map === m.map);
    if (prev) {
      for (const e of entries) {
        const same = prev.entries.findIndex((x) => JSON.stringify(x.key) === JSON.stringify(e.key));
        if (same >= 0) prev.entries[same] = e;
        else prev.entries.push(e);
      }
    } else out.push({ object: o.id, map: m.map, entries });
  }
  return out;
}

function checkTailCalls(d: Draft): TailCall[] {
  const out: TailCall[] = [];
  const check = (tc: TailCall, w: Where): void => {
    const o = d.objects.get(tc.object)!;
    const info = o.info?.maps.find((m) => m.name === tc.map);
    if (o.info && !info) return void d.err(sub(w, 'map'), `no map "${tc.map}" in ${o.id}`);
    if (info && info.type !== 'BPF_MAP_TYPE_PROG_ARRAY') return void d.err(sub(w, 'map'), `"${tc.map}" is a ${info.type}; tail calls go through a PROG_ARRAY`);
    if (info && tc.index >= info.maxEntries) return void d.err(sub(w, 'index'), `index ${tc.index} is past the end of "${tc.map}" (max_entries ${info.maxEntries})`);
    const po = d.objects.get(tc.program.object)!;
    if (po.info && !po.info.programs.some((p) => p.name === tc.program.program)) {
      return void d.err(sub(w, 'program'), `no program "${tc.program.program}" in ${po.id} (programs: ${describePrograms(po)})`);
    }
    const i = out.findIndex((x) => x.object === tc.object && x.map === tc.map && x.index === tc.index);
    if (i >= 0) out[i] = tc;
    else out.push(tc);
  };
  for (const t of d.tailCalls) {
    const o = mapOwner(d, t.object, t.map, t.where);
    if (!o) continue;
    check({ object: o.id, map: t.map, index: t.index, program: { object: t.programObject ?? o.id, program: t.program } }, t.where);
  }
  for (const { tc, where } of d.resolvedTailCalls) check(tc, where);
  return out;
}

// --- traffic ----------------------------------------------------------------------------------

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

function checkTraffic(d: Draft, t: TrafficInput, i: number, durationNs: number): TrafficSource | undefined {
  const w: Where = { path: ['traffic', i] };
  const name = t.name ?? `traffic${i}`;
  const from = d.devRef(t.from, sub(w, 'from'));
  const startNs = t.start ?? 0;
  let ok = from !== undefined;
  if (startNs >= durationNs) ok = d.err(sub(w, 'start'), `starts at ${formatDuration(startNs)}, at or after the end of the scenario (duration ${formatDuration(durationNs)})`);
  if (t.stop !== undefined && t.stop <= startNs) ok = d.err(sub(w, 'stop'), `stops at ${formatDuration(t.stop)}, not after its start (${formatDuration(startNs)})`);
  const common = {
    name,
    from: t.from,
    startNs,
    ...(t.stop !== undefined ? { stopNs: t.stop } : {}),
    ...(t.count !== undefined ? { count: t.count } : {}),
    l2: { ...(t.srcMac ? { srcMac: t.srcMac } : {}), ...(t.dstMac ? { dstMac: t.dstMac } : {}), ...(t.vlan !== undefined ? { vlan: t.vlan } : {}) },
  };
  if (t.kind === 'pcap') {
    const abs = isAbsolute(t.pcap) ? t.pcap : resolve(d.dir, t.pcap);
    const problem = fileProblem(abs, t.pcap, 'capture') ?? pcapMagicProblem(abs, t.pcap);
    if (problem) ok = d.err(sub(w, 'pcap'), problem);
    const r = t.retime;
    const timing: ReplayTiming = r === undefined || r === 'original' ? 'original' : 'speed' in r ? { speed: r.speed } : r;
    if (!ok) return undefined;
    let file = relative(d.dir, abs).split('\\').join('/');
    if (isAbsolute(file)) file = abs;
    return { kind: 'pcap', ...common, file, path: abs, timing, loops: t.loops ?? 1 };
  }
  const flows = checkFlows(d, t.flows, sub(w, 'flows'));
  if (!flows || !ok) return undefined;
  const size: FrameSize = t.size ?? { kind: 'fixed', bytes: flows.protocol === 'tcp' ? 1514 : 60 };
  if (t.kind === 'onoff') {
    if (t.on <= 0) return void d.err(sub(w, 'on'), 'an on period must be > 0');
    return { kind: 'onoff', ...common, rate: t.rate, onNs: t.on, offNs: t.off, flows, size };
  }
  return { kind: t.kind, ...common, rate: t.rate, flows, size };
}

function pcapMagicProblem(abs: string, shown: string): string | undefined {
  const buf = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(abs, 'r');
    if (readSync(fd, buf, 0, 4, 0) < 4) return `${JSON.stringify(shown)} is too short to be a capture`;
  } catch (e) {
    return `cannot read ${JSON.stringify(shown)}: ${(e as Error).message}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!PCAP_MAGICS.has(buf.readUInt32LE(0))) return `${JSON.stringify(shown)} is not a pcap or pcapng file (magic ${buf.toString('hex')})`;
  return undefined;
}

function checkFlows(d: Draft, f: NonNullable<Extract<TrafficInput, { kind: 'constant' }>['flows']>, w: Where): FlowTemplate | undefined {
  const dist = f.dist ?? 'uniform';
  if (dist === 'zipf' && f.s === undefined) return void d.err(sub(w, 's'), 'a zipf distribution needs its exponent, e.g. s: 1.1');
  if (dist !== 'zipf' && f.s !== undefined) return void d.err(sub(w, 's'), '"s" is the zipf exponent; it needs dist: zipf');
  const t = f.template;
  if (t.src.base.includes(':') !== t.dst.base.includes(':')) return void d.err(sub(w, 'template', 'dst'), `source ${t.src.base} and destination ${t.dst.base} are different address families`);
  for (const [k, p] of [['sport', t.sport], ['dport', t.dport]] as const) {
    if (p && p.base + p.count - 1 > 65535) return void d.err(sub(w, 'template', k), `ports ${p.base}..${p.base + p.count - 1} go past 65535`);
  }
  return {
    count: f.n ?? 1,
    pick: dist === 'zipf' ? { zipf: f.s! } : dist,
    protocol: t.proto ?? 'udp',
    src: t.src,
    dst: t.dst,
    // src/net/traffic's defaults: source ports from 10000, iperf's destination port.
    sport: t.sport ?? { base: 10000, count: 50000 },
    dport: t.dport ?? { base: 5001, count: 1 },
  };
}

// --- expectations -----------------------------------------------------------------------------

function comparison(d: Draft, e: { op?: Comparison['op']; tolerance?: Comparison['tolerance'] }, value: number, w: Where): Comparison | undefined {
  let op = e.op ?? '==';
  if (e.tolerance !== undefined) {
    if (e.op === undefined) op = '~';
    else if (op !== '~') return void d.err(sub(w, 'tolerance'), `a tolerance goes with op "~", not "${op}"`);
  }
  const c: Comparison = { op, value };
  if (e.tolerance !== undefined) c.tolerance = e.tolerance;
  return c;
}

function checkMatch(d: Draft, m: Omit<MatchInput, 'flow'> & { flow?: MatchInput['flow'] }, w: Where, traffic: Set<string>): PacketMatch | undefined {
  const out: PacketMatch = {};
  if (m.dev !== undefined && m.host === undefined) return void d.err(sub(w, 'dev'), 'a device is named with its host: {host: h1, dev: eth0}');
  if (m.host !== undefined) {
    const h = d.hosts.get(m.host);
    if (!h) return void d.err(sub(w, 'host'), `no host "${m.host}" (hosts: ${[...d.hosts.keys()].join(', ')})`);
    out.host = m.host;
    if (m.dev !== undefined) {
      if (!d.device(h, m.dev, sub(w, 'dev'))) return undefined;
      out.dev = m.dev;
    }
  }
  if (m.traffic !== undefined) {
    if (!traffic.has(m.traffic)) return void d.err(sub(w, 'traffic'), `no traffic source "${m.traffic}" (sources: ${[...traffic].join(', ') || 'none'})`);
    out.traffic = m.traffic;
  }
  if (m.flow !== undefined) out.flow = m.flow;
  return out;
}

function checkExpectation(d: Draft, e: ExpectInput, w: Where, traffic: Set<string>, ctx: FinalizeContext): Expectation | undefined {
  const at = ctx.pos(w);
  if ('counter' in e) {
    const parts = e.counter.split('/');
    const cw = sub(w, 'counter');
    if (parts.length < 3 || parts.some((p) => p === '')) return void d.err(cw, `expected a counter like "h1/eth0/xdp/XDP_DROP" (host/device/name), got ${JSON.stringify(e.counter)}`);
    if (!d.devRef({ host: parts[0], dev: parts[1] }, cw)) return undefined;
    const check = comparison(d, e, e.value, w);
    return check && { kind: 'counter', at, counter: e.counter, host: parts[0], dev: parts[1], name: parts.slice(2), check };
  }
  if ('map' in e) {
    let object: string | undefined;
    if (e.object !== undefined) {
      const o = d.object(e.object, e.object.endsWith('.c') ? 'source' : 'object', sub(w, 'object'));
      if (!o) return undefined;
      object = o.id;
    }
    const o = mapOwner(d, object, e.map, w);
    if (!o) return undefined;
    const key = encode(d, e.key, o, e.map, 'key', sub(w, 'key'));
    if (!key) return undefined;
    if (e.absent) {
      if (e.value !== undefined) return void d.err(sub(w, 'absent'), 'give "value" or "absent: true", not both');
      return { kind: 'map', at, object: o.id, map: e.map, key, expect: { absent: true } };
    }
    if (e.value === undefined) return void d.err(w, 'expected "value" (a number or hex bytes) or "absent: true"');
    if ('int' in e.value) {
      const check = comparison(d, e, e.value.int, w);
      return check && { kind: 'map', at, object: o.id, map: e.map, key, expect: { number: check } };
    }
    if (e.op !== undefined || e.tolerance !== undefined) return void d.err(sub(w, 'op'), 'op and tolerance compare numbers; a byte value is compared exactly');
    const value = encode(d, e.value, o, e.map, 'value', sub(w, 'value'));
    if (!value || !('hex' in value)) return undefined;
    return { kind: 'map', at, object: o.id, map: e.map, key, expect: { bytes: value.hex } };
  }
  if ('delivered' in e || 'dropped' in e) {
    const dropped = 'dropped' in e;
    const m = checkMatch(d, dropped ? e.dropped : e.delivered, sub(w, dropped ? 'dropped' : 'delivered'), traffic);
    const check = comparison(d, e, e.count, w);
    if (!m || !check) return undefined;
    if (dropped) return { kind: 'dropped', at, match: m, ...(e.reason !== undefined ? { reason: e.reason } : {}), check };
    return { kind: 'delivered', at, match: m, check };
  }
  if ('latency' in e) {
    const l = e.latency;
    const lw = sub(w, 'latency');
    const m = checkMatch(d, { host: l.host, dev: l.dev, traffic: l.traffic, flow: l.flow }, lw, traffic);
    const checks: Comparison[] = [];
    if (l.max !== undefined) checks.push({ op: '<=', value: l.max });
    if (l.min !== undefined) checks.push({ op: '>=', value: l.min });
    if (l.value !== undefined) checks.push({ op: '~', value: l.value, tolerance: l.tolerance ?? { abs: 0 } });
    else if (l.tolerance !== undefined) return void d.err(sub(lw, 'tolerance'), 'a tolerance goes with "value" (e.g. {p: 50, value: 20ms, tolerance: "5%"})');
    if (checks.length === 0) return void d.err(lw, 'expected "max", "min" or "value" (a duration like 50us) for the percentile');
    return m && { kind: 'latency', at, percentile: l.p, checks, match: m };
  }
  const p = e.path;
  if (p.traffic !== undefined && !traffic.has(p.traffic)) return void d.err(sub(w, 'path', 'traffic'), `no traffic source "${p.traffic}" (sources: ${[...traffic].join(', ') || 'none'})`);
  let ok = true;
  p.hops.forEach((hop, i) => {
    const place = hop.trim().split(/\s+/)[0];
    const parts = place.split('/');
    const hw = sub(w, 'path', 'hops', i);
    if (parts.length !== 3 || parts.some((x) => x === '')) ok = d.err(hw, `expected a hop like "h1/eth0/xdp" or "h1/eth0/xdp XDP_DROP" (host/device/hook, then the verdict if it matters), got ${JSON.stringify(hop)}`);
    else if (!(HOOKS as readonly string[]).includes(parts[2])) ok = d.err(hw, `no hook "${parts[2]}" (hooks: ${HOOKS.join(', ')})`);
    else if (!d.devRef({ host: parts[0], dev: parts[1] }, hw)) ok = false;
  });
  if (!ok) return undefined;
  return { kind: 'path', at, packet: p.packet, ...(p.traffic !== undefined ? { traffic: p.traffic } : {}), hops: p.hops.map((h) => h.trim().replace(/\s+/, ' ')), ...(p.exact ? { exact: true } : {}) };
}

