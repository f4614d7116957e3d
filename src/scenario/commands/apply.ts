/**
 * Applies parsed commands to a Draft in order, checking each against the state the earlier
 * steps left — as the kernel checks a command when it runs (a route's gateway must be on a
 * connected subnet of an up device, a tc filter needs clsact, a name must be free…).
 * The kernel's own words follow in parentheses where users will recognise them.
 */
import { cidrContains, isUnicastMac, parseCidr, parseIp } from '../addr.ts';
import type { Where } from '../errors.ts';
import { DEFAULT_HOST, Draft, isOnBpffs, normPin } from '../draft.ts';
import type { Device, Host, HtbQdisc, Program, Qdisc, VethDevice } from '../model.ts';
import type { LinkOpts, Op, ProgSpec } from './ops.ts';

/** Where a word of the current command is: `at('dev')` points at the device name. */
export type At = (field?: string) => Where;

export function applyOp(d: Draft, op: Op, at: At): void {
  switch (op.op) {
    case 'netns-add':
      d.newHost(op.name, at('name'), { loUp: false });
      return;
    case 'netns-del':
      return netnsDel(d, op.name, at);
    case 'veth-add':
      return vethAdd(d, op, at);
    case 'bridge-add': {
      const h = d.host(op.ns, at());
      if (!h || !d.freeName(h, op.name, at('name'))) return;
      if (op.opts.mac && !macOk(d, op.opts.mac, at('mac'))) return;
      d.addDevice(h, { kind: 'bridge', name: op.name, mtu: op.opts.mtu ?? 1500, up: false, addresses: [], clsact: false, ...(op.opts.mac ? { mac: op.opts.mac } : {}) }, at('name'));
      return;
    }
    case 'link-del': {
      const h = d.host(op.ns, at());
      const dev = h && d.device(h, op.dev, at('dev'));
      if (!h || !dev) return;
      if (dev.kind === 'nic' || dev.kind === 'lo') return void d.err(at('dev'), `${dev.kind === 'nic' ? 'a physical NIC' : 'lo'} cannot be deleted (Operation not supported)`);
      if (dev.kind === 'veth') {
        const peerHost = d.hosts.get(dev.peer.host);
        const peer = peerHost?.devices.find((x) => x.name === dev.peer.dev);
        if (peerHost && peer) d.removeDevice(peerHost, peer);
      }
      d.removeDevice(h, dev);
      return;
    }
    case 'link-set':
      return linkSet(d, op, at);
    case 'xdp':
    case 'net-attach': {
      const h = d.host(op.ns, at());
      const dev = h && d.device(h, op.dev, at('dev'));
      if (!h || !dev) return;
      const prog: ProgSpec | null = op.op === 'xdp' ? op.prog : { kind: 'pinned', path: op.prog };
      return xdp(d, h, dev, op.hook, prog, { replace: op.replace, driverOnly: op.driverOnly, how: op.op === 'xdp' ? '"ip -force link set ..."' : '"overwrite" at the end' }, at);
    }
    case 'addr':
      return addr(d, op, at);
    case 'route':
      return route(d, op, at);
    case 'neigh': {
      const h = d.host(op.ns, at());
      if (!h || !d.device(h, op.dev, at('dev'))) return;
      const i = h.neighbours.findIndex((n) => n.ip === op.ip && n.dev === op.dev);
      if (op.mode === 'del') {
        if (i < 0) return void d.err(at('ip'), `no neighbour entry for ${op.ip} on ${op.dev}`);
        h.neighbours.splice(i, 1);
        return;
      }
      if (i >= 0 && op.mode === 'add') return void d.err(at('ip'), `a neighbour entry for ${op.ip} on ${op.dev} exists (File exists; use "ip neigh replace")`);
      const n = { ip: op.ip, lladdr: op.lladdr!, dev: op.dev };
      if (i >= 0) h.neighbours[i] = n;
      else h.neighbours.push(n);
      return;
    }
    case 'sysctl': {
      const h = d.host(op.ns, at());
      if (h) h.forwarding[op.key] = op.value;
      return;
    }
    case 'clsact': {
      const h = d.host(op.ns, at());
      const dev = h && d.device(h, op.dev, at('dev'));
      if (!h || !dev) return;
      if (!op.del) {
        if (dev.clsact) return void d.err(at('kind'), `${op.dev} already has a clsact qdisc (Exclusivity flag on, cannot modify)`);
        dev.clsact = true;
        return;
      }
      if (!dev.clsact) return void d.err(at('dev'), `${op.dev} has no clsact qdisc to delete`);
      dev.clsact = false;
      // Deleting clsact deletes its filters.
      for (let i = d.programs.length - 1; i >= 0; i--) {
        const a = d.programs[i].attach;
        if (a && a.host === h.name && a.dev === dev.name && a.hook.startsWith('tc-')) d.programs.splice(i, 1);
      }
      return;
    }
    case 'qdisc':
      return qdisc(d, op, at);
    case 'qdisc-del': {
      const h = d.host(op.ns, at());
      const dev = h && d.device(h, op.dev, at('dev'));
      if (!h || !dev) return;
      if (!dev.qdisc) return void d.err(at('dev'), `${op.dev} has no root qdisc to delete (only the kernel's default)`);
      delete dev.qdisc;
      return;
    }
    case 'class':
      return htbClass(d, op, at);
    case 'filter': {
      const h = d.host(op.ns, at());
      const dev = h && d.device(h, op.dev, at('dev'));
      if (!h || !dev) return;
      if (!dev.clsact) return void d.err(at('dir'), `${op.dev} has no clsact qdisc: add it first with "tc qdisc add dev ${op.dev} clsact" (Parent Qdisc doesn't exists)`);
      const p = progFromSpec(d, op.prog, at);
      if (!p) return;
      p.attach = { host: h.name, dev: dev.name, hook: op.dir === 'ingress' ? 'tc-ingress' : 'tc-egress', directAction: op.directAction };
      if (op.priority !== undefined) p.attach.priority = op.priority;
      d.addProgram(p, at(op.prog.kind === 'object' ? 'obj' : 'pinned'));
      return;
    }
    case 'prog-load':
      return progLoad(d, op, at);
    case 'map-update':
      return mapUpdate(d, op, at);
    case 'sk-attach': {
      const ref = d.pinnedProgram(op.prog, at('prog'));
      const map = d.pinnedMap(op.map, at('map'));
      if (!ref || !map) return;
      if (map.object !== ref.object) return void d.err(at('map'), `chainlab attaches sk programs to a sockmap of their own object (${ref.object}); ${op.map} belongs to ${map.object}`);
      const h = d.host(undefined, at());
      if (!h) return;
      d.addProgram({ object: ref.object, ...(ref.program ? { program: ref.program } : {}), attach: { host: h.name, hook: op.hook, map: map.map } }, at('prog'));
      return;
    }
  }
}

function macOk(d: Draft, mac: string, w: Where): boolean {
  return isUnicastMac(mac) || d.err(w, `${mac} is not a unicast address a device can own (Cannot assign requested address)`);
}

function netnsDel(d: Draft, name: string, at: At): void {
  const h = d.hosts.get(name);
  if (!h) return void d.err(at('name'), `no namespace "${name}" to delete`);
  const nics = h.devices.filter((x) => x.kind === 'nic');
  if (nics.length) return void d.err(at('name'), `namespace "${name}" holds physical NICs (${nics.map((x) => x.name).join(', ')}); Linux would move them back to the default namespace, which chainlab does not model: move them out first`);
  for (const dev of [...h.devices]) {
    if (dev.kind === 'veth') {
      const ph = d.hosts.get(dev.peer.host);
      const peer = ph?.devices.find((x) => x.name === dev.peer.dev);
      if (ph && peer && ph !== h) d.removeDevice(ph, peer);
    }
    d.removeDevice(h, dev);
  }
  d.hosts.delete(name);
}

function veth(name: string, o: LinkOpts, peer: { host: string; dev: string }): VethDevice {
  const v: VethDevice = { kind: 'veth', name, mtu: o.mtu ?? 1500, up: false, addresses: [], clsact: false, peer, rxQueues: o.rxQueues ?? 1, txQueues: o.txQueues ?? 1 };
  if (o.mac) v.mac = o.mac;
  return v;
}

function vethAdd(d: Draft, op: Extract<Op, { op: 'veth-add' }>, at: At): void {
  const h = d.host(op.ns, at(op.pos.ns !== undefined ? 'ns' : undefined));
  const ph = op.peerNs === op.ns ? h : d.host(op.peerNs, at('peerNs'));
  if (!h || !ph) return;
  if (!d.freeName(h, op.name, at('name')) || !d.freeName(ph, op.peer, at('peer'))) return;
  if (h === ph && op.name === op.peer) return void d.err(at('peer'), 'a veth and its peer need different names');
  if (op.opts.mac && !macOk(d, op.opts.mac, at('mac'))) return;
  if (op.peerOpts.mac && !macOk(d, op.peerOpts.mac, at('peermac'))) return;
  d.addDevice(h, veth(op.name, op.opts, { host: ph.name, dev: op.peer }), at('name'));
  d.addDevice(ph, veth(op.peer, op.peerOpts, { host: h.name, dev: op.name }), at('peer'));
}

function linkSet(d: Draft, op: Extract<Op, { op: 'link-set' }>, at: At): void {
  const h = d.host(op.ns, at());
  const dev = h && d.device(h, op.dev, at('dev'));
  if (!h || !dev) return;
  if (op.mac !== undefined) {
    if (!macOk(d, op.mac, at('mac'))) return;
    dev.mac = op.mac;
  }
  if (op.mtu !== undefined) {
    if (op.mtu < 68) return void d.err(at('dev'), `mtu ${op.mtu} is below IPv4's minimum of 68 (Invalid argument)`);
    dev.mtu = op.mtu;
  }
  if (op.master === null) delete dev.master;
  else if (op.master !== undefined) {
    const br = d.device(h, op.master, at('master'));
    if (!br) return;
    if (br.kind !== 'bridge') return void d.err(at('master'), `"${op.master}" is a ${br.kind}, not a bridge`);
    if (br === dev) return void d.err(at('master'), 'a bridge cannot be its own port');
    if (dev.kind === 'bridge') return void d.err(at('master'), 'a bridge cannot be a port of another bridge (Too many levels of symbolic links)');
    if (dev.kind === 'lo') return void d.err(at('master'), 'lo cannot be a bridge port');
    dev.master = op.master;
  }
  if (op.up !== undefined) dev.up = op.up;
  if (op.netns !== undefined) {
    const to = d.host(op.netns, at('netns'));
    if (!to || to === h) return;
    if (dev.kind === 'lo' || dev.kind === 'bridge') return void d.err(at('netns'), `${dev.kind === 'lo' ? 'lo' : 'a bridge'} cannot change namespace (Invalid argument)`);
    if (!d.freeName(to, dev.name, at('netns'))) return;
    moveDevice(d, h, to, dev);
  }
}

/** dev_change_net_namespace(): the device goes down and loses its addresses and bridge. */
function moveDevice(d: Draft, from: Host, to: Host, dev: Device): void {
  from.devices.splice(from.devices.indexOf(dev), 1);
  d.forgetDevice(from, dev.name);
  dev.up = false;
  dev.addresses = [];
  delete dev.master;
  to.devices.push(dev);
  if (dev.kind === 'veth') {
    const peer = d.hosts.get(dev.peer.host)?.devices.find((x) => x.name === dev.peer.dev);
    if (peer?.kind === 'veth') peer.peer = { host: to.name, dev: dev.name };
  }
  for (const p of d.programs) if (p.attach?.host === from.name && p.attach.dev === dev.name) p.attach.host = to.name;
  for (const { link } of d.links) {
    for (const end of [link.a, link.b]) if (end.host === from.name && end.dev === dev.name) end.host = to.name;
  }
}

function progFromSpec(d: Draft, spec: ProgSpec, at: At): Program | undefined {
  if (spec.kind === 'object') {
    const o = d.object(spec.file, 'object', at('obj'));
    if (!o) return undefined;
    const p: Program = { object: o.id };
    if (spec.program !== undefined) p.program = spec.program;
    if (spec.section !== undefined) p.section = spec.section;
    return p;
  }
  const ref = d.pinnedProgram(spec.path, at('pinned'));
  if (!ref) return undefined;
  return ref.program !== undefined ? { object: ref.object, program: ref.program } : { object: ref.object };
}

/**
 * dev_xdp_attach(): a second program in the same mode is refused unless the caller asked to
 * replace it (iproute2 and bpftool pass XDP_FLAGS_UPDATE_IF_NOEXIST unless -force / overwrite);
 * native and generic XDP are never active at once; "off" with nothing attached is fine.
 */
function xdp(d: Draft, h: Host, dev: Device, asked: 'xdp' | 'xdp-generic', spec: ProgSpec | null, mode: { replace: boolean; driverOnly: boolean; how: string }, at: At): void {
  const attached = d.programs.filter((p) => p.attach?.host === h.name && p.attach.dev === dev.name && p.attach.hook.startsWith('xdp'));
  // dev_xdp_mode(): without a mode flag, a driver without ndo_bpf (lo, a bridge) gets generic XDP.
  const native = dev.kind !== 'bridge' && dev.kind !== 'lo';
  if (asked === 'xdp' && !native && mode.driverOnly) {
    return void d.err(at('hook'), `${dev.kind === 'lo' ? 'lo' : 'a bridge'} has no native XDP (Underlying driver does not support XDP in native mode); use xdpgeneric`);
  }
  const hook = asked === 'xdp' && !native ? 'xdp-generic' : asked;
  if (spec === null) {
    for (const p of attached) if (p.attach!.hook === hook) detach(d, p);
    return;
  }
  const other = attached.find((p) => p.attach!.hook !== hook);
  if (other) {
    const word = other.attach!.hook === 'xdp' ? 'xdp' : 'xdpgeneric';
    return void d.err(at('hook'), `${dev.name} already runs ${word === 'xdp' ? 'native' : 'generic'} XDP; native and generic XDP cannot be active at once (detach with "ip link set dev ${dev.name} ${word} off")`);
  }
  if (attached.length > 0 && !mode.replace) {
    const old = attached[0];
    return void d.err(at('hook'), `${dev.name} already has an XDP program (${old.program ?? old.section ?? 'the first program'} of ${old.object}); replace it with ${mode.how}, or detach it first (XDP program already attached)`);
  }
  const p = progFromSpec(d, spec, at);
  if (!p) return;
  for (const old of attached) detach(d, old);
  p.attach = { host: h.name, dev: dev.name, hook };
  d.addProgram(p, at(spec.kind === 'object' ? 'obj' : 'pinned'));
}

/** A program that stays pinned stays loaded; one that was only attached goes away. */
function detach(d: Draft, p: Program): void {
  if (p.pin !== undefined) delete p.attach;
  else d.programs.splice(d.programs.indexOf(p), 1);
}

function addr(d: Draft, op: Extract<Op, { op: 'addr' }>, at: At): void {
  const h = d.host(op.ns, at());
  const dev = h && d.device(h, op.dev, at('dev'));
  if (!h || !dev) return;
  const ip = op.cidr.slice(0, op.cidr.indexOf('/'));
  const i = dev.addresses.findIndex((a) => a.slice(0, a.indexOf('/')) === ip);
  if (op.mode === 'del') {
    if (i < 0) return void d.err(at('cidr'), `${op.cidr} is not an address of ${op.dev} (Cannot assign requested address)`);
    dev.addresses.splice(i, 1);
    return;
  }
  if (i >= 0 && op.mode === 'add') return void d.err(at('cidr'), `${ip} is already an address of ${op.dev} (File exists)`);
  if (i >= 0) dev.addresses[i] = op.cidr;
  else dev.addresses.push(op.cidr);
}

/** The up device whose connected subnet holds `ip` (restricted to `dev` when given), as fib_check_nh() wants. */
export function connectedDevice(h: Host, ip: string, dev?: string): Device | 'down' | undefined {
  const target = parseIp(ip);
  if (!target) return undefined;
  let down = false;
  for (const x of h.devices) {
    if (dev !== undefined && x.name !== dev) continue;
    for (const a of x.addresses) {
      const c = parseCidr(a);
      if (c && cidrContains(c, target)) {
        if (x.up) return x;
        down = true;
      }
    }
  }
  return down ? 'down' : undefined;
}

function route(d: Draft, op: Extract<Op, { op: 'route' }>, at: At): void {
  const h = d.host(op.ns, at());
  if (!h) return;
  const r = op.route;
  const i = h.routes.findIndex((x) => x.dst === r.dst && x.metric === r.metric);
  if (op.mode === 'del') {
    const j = h.routes.findIndex((x) => x.dst === r.dst && (op.route.via === undefined || x.via === r.via) && (r.dev === undefined || x.dev === r.dev));
    if (j < 0) return void d.err(at('dst'), `no route to ${r.dst} to delete (No such process)`);
    h.routes.splice(j, 1);
    return;
  }
  const dev = r.dev !== undefined ? d.device(h, r.dev, at('dev')) : undefined;
  if (r.dev !== undefined && !dev) return;
  if (dev && !dev.up) return void d.err(at('dev'), `${dev.name} is down: bring it up first ("ip link set dev ${dev.name} up") (Network is down)`);
  if (r.via !== undefined) {
    const nh = connectedDevice(h, r.via, r.dev);
    if (nh === 'down') return void d.err(at('via'), `gateway ${r.via} is on a subnet of a device that is down (Nexthop device is not up)`);
    if (!nh) return void d.err(at('via'), `gateway ${r.via} is not on a connected subnet${r.dev ? ` of ${r.dev}` : ''} of ${d.hostLabel(h)}; add an address in its subnet first (Nexthop has invalid gateway)`);
  }
  if (r.src !== undefined && !h.devices.some((x) => x.addresses.some((a) => a.startsWith(`${r.src}/`)))) {
    return void d.err(at('dst'), `source ${r.src} is not an address of ${d.hostLabel(h)} (Invalid source address)`);
  }
  if (i >= 0 && op.mode === 'add') return void d.err(at('dst'), `a route to ${r.dst} with metric ${r.metric} exists (File exists; use "ip route replace")`);
  if (i >= 0) h.routes[i] = r;
  else h.routes.push(r);
  d.origin.set(r, at('dst'));
}

/** Every qdisc in a device's tree, with the ids children can name as parent. */
function* qdiscTree(q: Qdisc | undefined): Generator<Qdisc> {
  if (!q) return;
  yield q;
  if (q.kind === 'tbf') yield* qdiscTree(q.child);
  if (q.kind === 'htb') for (const c of q.classes) yield* qdiscTree(c.qdisc);
}

/**
 * tc_modify_qdisc() where `cur` already sits at the parent: the qdisc to put there, or why the
 * kernel refuses. A new handle, or a different kind without a handle, creates and grafts a new
 * qdisc — "add" may do that only for a different kind named without a handle, a new handle needs
 * "replace"; the same kind (or handle) is a change of parameters, which "add" may not make.
 */
function graft(cur: Qdisc | undefined, op: Extract<Op, { op: 'qdisc' }>, what: string): Qdisc | string {
  const want = op.qdisc;
  if (!cur) return want;
  const change = (): Qdisc | string => {
    if (!op.replace) return `${what} (${cur.kind}${cur.handle ? ` ${cur.handle}` : ''}); use "tc qdisc replace" (Exclusivity flag on, cannot modify)`;
    if (want.kind !== cur.kind) return `${what} (${cur.kind} ${cur.handle}); the handle names it, so the kind must be ${cur.kind} (Invalid qdisc name: must match existing qdisc)`;
    // New parameters; the handle and what hangs below stay.
    if (want.kind === 'tbf' && cur.kind === 'tbf') return { ...want, handle: cur.handle, ...(cur.child ? { child: cur.child } : {}) };
    if (want.kind === 'htb' && cur.kind === 'htb') return { ...want, handle: cur.handle, classes: cur.classes };
    return { ...want, ...(cur.handle !== undefined ? { handle: cur.handle } : {}) };
  };
  if (want.handle !== undefined) {
    if (want.handle === cur.handle) return change();
    return op.replace ? want : `${what} (${cur.kind}${cur.handle ? ` ${cur.handle}` : ''}); a new handle replaces it only with "tc qdisc replace" (NLM_F_REPLACE needed to override)`;
  }
  return want.kind !== cur.kind ? want : change();
}

function qdisc(d: Draft, op: Extract<Op, { op: 'qdisc' }>, at: At): void {
  const h = d.host(op.ns, at());
  const dev = h && d.device(h, op.dev, at('dev'));
  if (!h || !dev) return;
  const handles = [...qdiscTree(dev.qdisc)].map((q) => q.handle).filter((x) => x !== undefined);
  if (op.parent === 'root') {
    const g = graft(dev.qdisc, op, `${op.dev} already has a root qdisc`);
    if (typeof g === 'string') return void d.err(at('kind'), g);
    dev.qdisc = g;
    return;
  }
  if (op.qdisc.handle !== undefined && handles.includes(op.qdisc.handle) && !op.replace) {
    return void d.err(at('kind'), `handle ${op.qdisc.handle} is already used on ${op.dev} (Exclusivity flag on, cannot modify)`);
  }
  for (const q of qdiscTree(dev.qdisc)) {
    if (q.kind === 'tbf' && q.handle === op.parent) {
      const g = graft(q.child, op, `tbf ${q.handle} already has a child qdisc`);
      if (typeof g === 'string') return void d.err(at('parent'), g);
      q.child = g;
      return;
    }
    if (q.kind === 'htb') {
      const c = q.classes.find((x) => x.classid === op.parent);
      if (c) {
        const g = graft(c.qdisc, op, `class ${c.classid} already has a leaf qdisc`);
        if (typeof g === 'string') return void d.err(at('parent'), g);
        c.qdisc = g;
        return;
      }
    }
  }
  const parents = [...qdiscTree(dev.qdisc)].flatMap((q) => [...(q.kind === 'tbf' && q.handle ? [q.handle] : []), ...(q.kind === 'htb' ? q.classes.map((c) => c.classid) : [])]);
  d.err(at('parent'), `no parent ${op.parent} on ${op.dev}${parents.length ? ` (parents: ${parents.join(', ')})` : ' (give the root qdisc a handle, e.g. "root handle 1: tbf ...")'}`);
}

function htbClass(d: Draft, op: Extract<Op, { op: 'class' }>, at: At): void {
  const h = d.host(op.ns, at());
  const dev = h && d.device(h, op.dev, at('dev'));
  if (!h || !dev) return;
  const c = op.cls;
  const major = c.classid.slice(0, c.classid.indexOf(':') + 1);
  const htb = [...qdiscTree(dev.qdisc)].find((q): q is HtbQdisc => q.kind === 'htb' && q.handle === major);
  if (!htb) return void d.err(at('classid'), `no htb qdisc with handle ${major} on ${op.dev}: add one first ("tc qdisc add dev ${op.dev} root handle ${major} htb ...")`);
  // htb_change_class(): a parent that is no class of this qdisc leaves the new class at the root.
  if (c.parent !== major && !htb.classes.some((x) => x.classid === c.parent)) c.parent = major;
  const i = htb.classes.findIndex((x) => x.classid === c.classid);
  if (i >= 0 && !op.replace) return void d.err(at('classid'), `class ${c.classid} exists on ${op.dev} (File exists; use "tc class replace")`);
  if (i >= 0) htb.classes[i] = { ...c, ...(htb.classes[i].qdisc ? { qdisc: htb.classes[i].qdisc } : {}) };
  else htb.classes.push(c);
}

function progLoad(d: Draft, op: Extract<Op, { op: 'prog-load' }>, at: At): void {
  for (const [k, v] of [['path', op.path], ['pinMaps', op.pinMaps]] as const) {
    if (v !== undefined && !isOnBpffs(v)) return void d.err(at(k), `${v} is not on bpffs: pins live under /sys/fs/bpf/`);
  }
  const o = d.object(op.file, 'object', at('file'));
  if (!o) return;
  const path = normPin(op.path);
  if (op.all) {
    if (o.pinDir !== undefined && o.pinDir !== path) return void d.err(at('path'), `${o.id} is already loaded with its programs at ${o.pinDir}; chainlab loads an object once`);
    o.pinDir = path;
  } else {
    if (d.progPins.has(path)) return void d.err(at('path'), `${path} is already a pin (File exists)`);
    const first = d.specs.get(o.id)?.programs[0]?.name;
    d.progPins.set(path, { object: o.id, ...(first !== undefined ? { program: first } : {}) });
    d.addProgram({ object: o.id, ...(first !== undefined ? { program: first } : {}), pin: path }, at('file'));
  }
  if (op.pinMaps !== undefined) {
    const m = normPin(op.pinMaps);
    if (o.pinMaps !== undefined && o.pinMaps !== m) return void d.err(at('pinMaps'), `${o.id} already pins its maps at ${o.pinMaps}`);
    o.pinMaps = m;
  }
}

function mapUpdate(d: Draft, op: Extract<Op, { op: 'map-update' }>, at: At): void {
  const ref = 'pinned' in op.map ? d.pinnedMap(op.map.pinned, at('map')) : d.mapByName(op.map.name, at('map'));
  if (!ref) return;
  const hex = (b: Uint8Array): { hex: string } => ({ hex: Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') });
  if ('pinnedProg' in op.value) {
    const prog = d.pinnedProgram(op.value.pinnedProg, at('value'));
    if (!prog) return;
    if (op.key.length !== 4) return void d.err(at('key'), `a prog array key is 4 bytes (a u32 index), got ${op.key.length}`);
    const index = op.key[0] | (op.key[1] << 8) | (op.key[2] << 16) | (op.key[3] * 2 ** 24);
    const spec = d.specs.get(prog.object);
    const program = prog.program ?? spec?.programs[0]?.name;
    if (!program) return void d.err(at('value'), `cannot tell which program of ${prog.object} is pinned at ${op.value.pinnedProg}`);
    d.resolvedTailCalls.push({ tc: { object: ref.object, map: ref.map, index, program: { object: prog.object, program } }, where: at('map') });
    return;
  }
  d.addMapEntries(ref.object, ref.map, [{ key: hex(op.key), value: hex(op.value.bytes), where: at('key'), valueWhere: at('value') }], at('map'));
}

export { DEFAULT_HOST };
