/**
 * Structured YAML (hosts, devices, links, programs, maps, tail calls) → the Draft. Devices are
 * `up` unless the file says otherwise (a simulation user wants a working topology); a veth's
 * peer end is created in its host when the file does not declare it.
 */
import { isUnicastMac } from './addr.ts';
import type { Where } from './errors.ts';
import { Draft, isOnBpffs, normPin, sub } from './draft.ts';
import type { Attach, Device, DevRef, Host, Link, NicDevice, Program, Route, VethDevice } from './model.ts';
import { parseCidr, hasHostBits, networkOf } from './addr.ts';
import type { DeviceInput, HostInput, LinkInput, MapInput, ProgramInput, TailCallInput } from './schema.ts';

/** A NIC's defaults: 10 Gbit/s, one queue, 1024-descriptor rings (mlx5's default ring size). */
export const NIC_DEFAULTS = { rateBps: 10_000_000_000, queues: 1, ring: 1024 } as const;

/** `whereOf` says where each host was written (under hosts:, or in a step). */
export function applyHosts(d: Draft, hosts: Record<string, HostInput | null>, whereOf: (name: string) => Where): void {
  const declared: { h: Host; input: HostInput; where: Where }[] = [];
  for (const [name, input0] of Object.entries(hosts)) {
    const input = input0 ?? {};
    const where = whereOf(name);
    const h = d.newHost(name, where, { cpus: input.cpus, loUp: true });
    if (!h) continue;
    if (input.forwarding !== undefined) {
      const f = input.forwarding;
      h.forwarding = typeof f === 'boolean' ? { ipv4: f, ipv6: f } : { ipv4: f.ipv4 ?? false, ipv6: f.ipv6 ?? false };
    }
    declared.push({ h, input, where });
  }
  // Devices in the order written (ifindexes follow it). Every host exists by now, so a veth's
  // peer end can be created in its host at once; if that host declares it later, the two merge.
  for (const { h, input, where } of declared) {
    for (const [dev, di] of Object.entries(input.devices ?? {})) applyDevice(d, h, dev, di ?? {}, sub(where, 'devices', dev));
  }
  for (const { h, input, where } of declared) {
    (input.routes ?? []).forEach((r, i) => {
      const route = toRoute(d, r, sub(where, 'routes', i));
      if (route) {
        h.routes.push(route);
        d.origin.set(route, sub(where, 'routes', i));
      }
    });
    (input.neighbours ?? []).forEach((n, i) => {
      const neigh = { ip: n.ip, lladdr: n.lladdr, dev: n.dev };
      h.neighbours.push(neigh);
      d.origin.set(neigh, sub(where, 'neighbours', i));
    });
  }
}

const kindOf = (name: string, di: DeviceInput | null): DeviceInput['kind'] => di?.kind ?? (name === 'lo' ? 'lo' : undefined);

function toRoute(d: Draft, r: { dst: string; via?: string; dev?: string; src?: string; metric?: number }, w: Where): Route | undefined {
  let family: 4 | 6;
  let dst: string;
  if (r.dst === 'default' || r.dst === 'default6') {
    family = r.dst === 'default6' || (r.via?.includes(':') ?? false) ? 6 : 4;
    dst = family === 4 ? '0.0.0.0/0' : '::/0';
  } else {
    const c = parseCidr(r.dst);
    if (!c || !r.dst.includes('/')) return void d.err(sub(w, 'dst'), `expected a destination like 10.0.1.0/24 or "default", got ${JSON.stringify(r.dst)}`);
    if (hasHostBits(c)) return void d.err(sub(w, 'dst'), `${r.dst} has host bits set; the kernel wants the network, ${networkOf(c)}`);
    family = c.family;
    dst = c.cidr;
  }
  if (r.via !== undefined && r.via.includes(':') !== (family === 6)) return void d.err(sub(w, 'via'), `gateway ${r.via} is not IPv${family} like the destination`);
  if (r.via === undefined && r.dev === undefined) return void d.err(w, 'a route needs "via" or "dev"');
  const route: Route = { family, dst, metric: r.metric ?? (family === 6 ? 1024 : 0) };
  if (r.via !== undefined) route.via = r.via;
  if (r.dev !== undefined) route.dev = r.dev;
  if (r.src !== undefined) route.src = r.src;
  return route;
}

const NIC_ONLY = ['rate', 'ring', 'rss'] as const;

function applyDevice(d: Draft, h: Host, name: string, di: DeviceInput, w: Where): void {
  const kind = kindOf(name, di);
  if (!kind) return void d.err(w, 'missing "kind" (one of: nic, veth, bridge, lo)');
  if (kind !== 'nic') {
    for (const k of NIC_ONLY) if (di[k] !== undefined) return void d.err(sub(w, k), `"${k}" applies to kind: nic, not ${kind}`);
  }
  if (kind !== 'nic' && kind !== 'veth') {
    for (const k of ['rxQueues', 'txQueues'] as const) if (di[k] !== undefined) return void d.err(sub(w, k), `"${k}" applies to kind: nic or veth, not ${kind}`);
  }
  if (kind !== 'veth' && di.peer !== undefined) return void d.err(sub(w, 'peer'), `"peer" applies to kind: veth, not ${kind}`);
  let dev: Device | undefined;
  if (kind === 'lo') {
    if (name !== 'lo') return void d.err(w, 'the loopback device is named "lo" (each host has exactly one)');
    dev = h.devices.find((x) => x.kind === 'lo');
  } else if (kind === 'nic' || kind === 'bridge') {
    if (!d.freeName(h, name, w)) return;
    dev = kind === 'bridge' ? { kind: 'bridge', name, mtu: 1500, up: true, addresses: [], clsact: false } : nic(d, h, name, di, w);
    if (!dev) return;
    d.addDevice(h, dev, w);
  } else {
    dev = vethEnd(d, h, name, di, w);
  }
  if (!dev) return;
  // The declaration is where later checks (master, qdisc tree) point, also for a veth end or lo that existed before.
  d.origin.set(dev, w);
  if (di.mac !== undefined) {
    if (!isUnicastMac(di.mac)) return void d.err(sub(w, 'mac'), `${di.mac} is not a unicast address a device can own`);
    dev.mac = di.mac;
  }
  if (di.mtu !== undefined) dev.mtu = di.mtu;
  if (di.up !== undefined) dev.up = di.up;
  if (di.master !== undefined) dev.master = di.master;
  if (di.addresses) {
    for (const [i, a] of di.addresses.entries()) {
      const ip = a.slice(0, a.indexOf('/'));
      if (dev.addresses.some((x) => x.startsWith(`${ip}/`))) return void d.err(sub(w, 'addresses', i), `${ip} is already an address of ${name}`);
      dev.addresses.push(a);
    }
  }
  if (di.qdisc !== undefined) dev.qdisc = di.qdisc;
  if (di.clsact !== undefined) dev.clsact = di.clsact;
}

function nic(d: Draft, h: Host, name: string, di: DeviceInput, w: Where): NicDevice | undefined {
  const rx = di.rxQueues ?? di.rss?.length ?? NIC_DEFAULTS.queues;
  if (di.rss !== undefined && di.rss.length !== rx) return void d.err(sub(w, 'rss'), `rss lists ${di.rss.length} CPUs for ${rx} RX queues; give one CPU per queue`);
  const rss = di.rss ?? Array.from({ length: rx }, (_, i) => i % h.cpus);
  const bad = rss.findIndex((c) => c >= h.cpus);
  if (bad >= 0) return void d.err(sub(w, 'rss', bad), `CPU ${rss[bad]} does not exist: host "${h.name}" has ${h.cpus} CPU${h.cpus === 1 ? '' : 's'} (0..${h.cpus - 1})`);
  const ring = typeof di.ring === 'number' ? { rx: di.ring, tx: di.ring } : { rx: di.ring?.rx ?? NIC_DEFAULTS.ring, tx: di.ring?.tx ?? NIC_DEFAULTS.ring };
  return {
    kind: 'nic',
    name,
    mtu: 1500,
    up: true,
    addresses: [],
    clsact: false,
    rateBps: di.rate ?? NIC_DEFAULTS.rateBps,
    rxQueues: rx,
    txQueues: di.txQueues ?? rx,
    ring,
    rssCpus: rss,
  };
}

function peerRef(h: Host, peer: DeviceInput['peer']): DevRef | undefined {
  if (peer === undefined) return undefined;
  if (typeof peer !== 'string') return { host: peer.host, dev: peer.dev };
  const slash = peer.indexOf('/');
  return slash < 0 ? { host: h.name, dev: peer } : { host: peer.slice(0, slash), dev: peer.slice(slash + 1) };
}

function vethEnd(d: Draft, h: Host, name: string, di: DeviceInput, w: Where): Device | undefined {
  const want = peerRef(h, di.peer);
  const existing = h.devices.find((x) => x.name === name);
  if (existing) {
    // Created as the peer of a veth declared earlier: the declarations must agree.
    if (existing.kind === 'veth' && (want === undefined || (existing.peer.host === want.host && existing.peer.dev === want.dev))) {
      if (di.rxQueues !== undefined) existing.rxQueues = di.rxQueues;
      if (di.txQueues !== undefined) existing.txQueues = di.txQueues;
      return existing;
    }
    const other = existing.kind === 'veth' ? ` (it is paired with ${existing.peer.host}/${existing.peer.dev})` : '';
    return void d.err(w, `device "${name}" already exists in host "${h.name}"${other}`);
  }
  if (!want) return void d.err(w, 'a veth needs its peer: peer: veth1 (same host), peer: h2/veth1, or {host, dev}');
  if (!d.freeName(h, name, w)) return undefined;
  const ph = d.hosts.get(want.host);
  if (!ph) return void d.err(sub(w, 'peer'), `no host "${want.host}" for the peer (hosts: ${[...d.hosts.keys()].join(', ')})`);
  if (ph === h && want.dev === name) return void d.err(sub(w, 'peer'), 'a veth cannot be its own peer');
  const peerDev = ph.devices.find((x) => x.name === want.dev);
  if (peerDev) return void d.err(sub(w, 'peer'), `${want.host}/${want.dev} already exists${peerDev.kind === 'veth' ? ` and is paired with ${peerDev.peer.host}/${peerDev.peer.dev}` : ` as a ${peerDev.kind}`}`);
  const end = (dev: string, peer: DevRef): VethDevice => ({
    kind: 'veth', name: dev, mtu: 1500, up: true, addresses: [], clsact: false, peer, rxQueues: 1, txQueues: 1,
  });
  const mine = end(name, want);
  if (di.rxQueues !== undefined) mine.rxQueues = di.rxQueues;
  if (di.txQueues !== undefined) mine.txQueues = di.txQueues;
  d.addDevice(h, mine, w);
  const theirs = end(want.dev, { host: h.name, dev: name });
  ph.devices.push(theirs);
  return mine;
}

export function applyLink(d: Draft, l: LinkInput, w: Where): void {
  const link: Link = { a: l.a, b: l.b, delayNs: l.delay ?? 0, loss: l.loss ?? 0 };
  if (l.rate !== undefined) link.rateBps = l.rate;
  d.links.push({ link, where: w });
}

export function applyProgram(d: Draft, p: ProgramInput, w: Where): void {
  if ((p.object === undefined) === (p.source === undefined)) return void d.err(w, 'give one of "object" (a built .o) or "source" (a C file chainlab compiles)');
  const o = p.object !== undefined ? d.object(p.object, 'object', sub(w, 'object')) : d.object(p.source!, 'source', sub(w, 'source'));
  if (!o) return;
  const prog: Program = { object: o.id };
  if (p.program !== undefined) prog.program = p.program;
  if (p.section !== undefined) prog.section = p.section;
  if (p.attach !== undefined) {
    const a = p.attach;
    const attach: Attach = { host: a.host, hook: a.hook };
    if (a.dev !== undefined) attach.dev = a.dev;
    if ('priority' in a && a.priority !== undefined) attach.priority = a.priority;
    if (a.hook.startsWith('tc-')) attach.directAction = 'directAction' in a && a.directAction !== undefined ? a.directAction : true;
    else if ('directAction' in a && a.directAction !== undefined) return void d.err(sub(w, 'attach', 'directAction'), 'directAction applies to tc hooks only');
    if ('map' in a && a.map !== undefined) attach.map = a.map;
    prog.attach = attach;
  }
  if (p.pin !== undefined) {
    if (!isOnBpffs(p.pin)) return void d.err(sub(w, 'pin'), `${p.pin} is not on bpffs: pins live under /sys/fs/bpf/`);
    const pin = normPin(p.pin);
    if (d.progPins.has(pin)) return void d.err(sub(w, 'pin'), `${pin} is already a pin`);
    prog.pin = pin;
    d.progPins.set(pin, { object: o.id, ...(p.program ? { program: p.program } : {}) });
  }
  d.addProgram(prog, w);
}

export function applyMap(d: Draft, m: MapInput, w: Where): void {
  if ((m.map === undefined) === (m.pinned === undefined)) return void d.err(w, 'give one of "map" (a map name) or "pinned" (its bpffs path)');
  let object: string | undefined;
  let map: string;
  if (m.pinned !== undefined) {
    if (m.object !== undefined) return void d.err(sub(w, 'object'), '"pinned" already names the map; drop "object"');
    const r = d.pinnedMap(m.pinned, sub(w, 'pinned'));
    if (!r) return;
    object = r.object;
    map = r.map;
  } else {
    map = m.map!;
    if (m.object !== undefined) {
      const o = d.object(m.object, m.object.endsWith('.c') ? 'source' : 'object', sub(w, 'object'));
      if (!o) return;
      object = o.id;
    }
  }
  // A devmap/cpumap entry's program from another object: that object is loaded too.
  const entries = [];
  for (const [i, e] of m.entries.entries()) {
    let value = e.value;
    if ('program' in value && value.program?.programObject !== undefined) {
      const written = value.program.programObject;
      const po = d.object(written, written.endsWith('.c') ? 'source' : 'object', sub(w, 'entries', i, 'value', 'programObject'));
      if (!po) return;
      value = { ...value, program: { ...value.program, programObject: po.id } };
    }
    entries.push({ key: e.key, value, where: sub(w, 'entries', i) });
  }
  d.addMapEntries(object, map, entries, w);
}

export function applyTailCall(d: Draft, t: TailCallInput, w: Where): void {
  const resolveObj = (written: string | undefined, key: string): string | undefined | false => {
    if (written === undefined) return undefined;
    const o = d.object(written, written.endsWith('.c') ? 'source' : 'object', sub(w, key));
    return o ? o.id : false;
  };
  const object = resolveObj(t.object, 'object');
  const programObject = resolveObj(t.programObject, 'programObject');
  if (object === false || programObject === false) return;
  d.tailCalls.push({ object, map: t.map, index: t.index, program: t.program, programObject, where: w });
}
