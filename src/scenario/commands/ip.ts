/**
 * `ip` (iproute2) commands → ops. Follows iproute2's grammar (ip/iplink.c, ip/ipaddress.c,
 * ip/iproute.c, ip/ipneigh.c, ip/ipnetns.c) for the subset a topology needs, including its
 * abbreviations ("ip a a", "ip r add", "ip l s").
 */
import { parseCidr, parseIp, parseMacText, hasHostBits, networkOf } from '../addr.ts';
import type { Route } from '../model.ts';
import { Args, CommandSyntaxError, fail, matchWord, uint } from './args.ts';
import type { LinkOpts, Op, Pos, ProgSpec } from './ops.ts';
import type { Token } from './tokenize.ts';

export const IP_FORMS = [
  'ip netns add|del NAME',
  'ip netns exec NS {ip|tc|bpftool|sysctl} ...',
  'ip [-n NS] link add [name] NAME [address MAC] [mtu N] [numrxqueues N] [numtxqueues N] type veth peer [name] NAME [address MAC] [netns NS]',
  'ip [-n NS] link add [name] NAME type bridge',
  'ip [-n NS] link del [dev] NAME',
  'ip [-n NS] link set [dev] NAME [up|down] [master BRIDGE|nomaster] [netns NS] [address MAC] [mtu N]',
  'ip [-force] [-n NS] link set [dev] NAME {xdp|xdpgeneric|xdpdrv} {obj FILE [sec SECTION] [program NAME] | pinned PATH | off}',
  'ip [-n NS] addr add|del CIDR dev NAME [nodad]',
  'ip [-n NS] [-4|-6] route add|replace|del {PREFIX|default} [via ADDR] [dev NAME] [src ADDR] [metric N]',
  'ip [-n NS] neigh add|replace|del ADDR lladdr MAC dev NAME [nud permanent|noarp]',
];

/** iproute2's object table, in its order (ip/ip.c cmds[]), so abbreviations resolve as there. */
const OBJECTS = [
  'address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour', 'ntable', 'ntbl', 'link', 'l2tp',
  'fou', 'ila', 'macsec', 'tunnel', 'tunl', 'tuntap', 'tap', 'token', 'tcpmetrics', 'tcp_metrics', 'monitor',
  'xfrm', 'mroute', 'mrule', 'netns', 'netconf', 'vrf', 'sr', 'nexthop', 'mptcp', 'ioam', 'stats', 'help',
];

const unsupported = (t: Token, what: string, forms: string[]): never =>
  fail(t, `${what} is not supported; chainlab understands:\n  ${forms.join('\n  ')}`);

function formsFor(obj: string): string[] {
  const key = obj.startsWith('neigh') ? 'neigh' : obj === 'address' ? 'addr' : obj;
  return IP_FORMS.filter((f) => f.includes(` ${key} `));
}

export interface ExecHandler {
  /** Parses the command after `ip netns exec NS`. */
  (args: Token[], ns: string): Op[];
}

export function parseIpCommand(a: Args, exec: ExecHandler, nsFromExec?: string): Op[] {
  let ns = nsFromExec;
  let family: 4 | 6 | undefined;
  let force = false;
  // Global options come before the object.
  while (!a.done && a.peek()!.text.startsWith('-')) {
    const t = a.next('an option');
    if (t.text === '-n' || t.text === '-netns' || t.text === '--netns') {
      const n = a.next('a namespace name');
      if (nsFromExec !== undefined) fail(t, `-n inside "ip netns exec ${nsFromExec}" is ambiguous; use one of them`);
      ns = n.text;
    } else if (t.text === '-4') family = 4;
    else if (t.text === '-6') family = 6;
    else if (t.text === '-force') force = true;
    else fail(t, `option "${t.text}" is not supported (chainlab understands -n NS, -4, -6, -force)`);
  }
  const objTok = a.next('an object (link, addr, route, neigh, netns)');
  const obj = matchWord(objTok.text, OBJECTS);
  switch (obj) {
    case 'link':
      return parseLink(a, ns, objTok, force);
    case 'address':
      return [parseAddr(a, ns, objTok)];
    case 'route':
      return [parseRoute(a, ns, family, objTok)];
    case 'neighbor':
    case 'neighbour':
      return [parseNeigh(a, ns, objTok)];
    case 'netns':
      if (ns !== undefined) fail(objTok, '"ip -n NS netns ..." is not supported: namespaces are not nested');
      return parseNetns(a, exec, objTok);
    default:
      return unsupported(objTok, `"ip ${objTok.text}"`, IP_FORMS);
  }
}

function verb(a: Args, objTok: Token, table: readonly string[], forms: string[]): { v: string; t: Token } {
  const t = a.next('a command (add, del, ...)');
  const v = matchWord(t.text, table);
  if (!v || ['show', 'list', 'change', 'flush', 'get', 'save', 'restore', 'monitor', 'help'].includes(v)) {
    unsupported(t, `"ip ${objTok.text} ${t.text}"`, forms);
  }
  return { v: v!, t };
}

const mode = (v: string): 'add' | 'replace' | 'del' => (v === 'delete' ? 'del' : v === 'replace' ? 'replace' : 'add');

// --- ip netns -----------------------------------------------------------------------------------

function parseNetns(a: Args, exec: ExecHandler, objTok: Token): Op[] {
  const { v } = verb(a, objTok, ['list', 'add', 'attach', 'set', 'delete', 'identify', 'pids', 'exec', 'monitor'], formsFor('netns'));
  const nameTok = a.next('a namespace name');
  if (v === 'add' || v === 'delete') {
    if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}" after the namespace name`);
    return [{ op: v === 'add' ? 'netns-add' : 'netns-del', name: nameTok.text, pos: { name: nameTok.offset } }];
  }
  if (v === 'exec') {
    const rest = a.rest();
    if (rest.length === 0) fail(nameTok, `expected a command after "ip netns exec ${nameTok.text}"`);
    return exec(rest, nameTok.text);
  }
  return unsupported(nameTok, `"ip netns ${v}"`, formsFor('netns'));
}

// --- ip link ------------------------------------------------------------------------------------

function mac(t: Token): string {
  const m = parseMacText(t.text);
  if (!m) fail(t, `expected a MAC address like 02:00:00:00:00:01, got "${t.text}"`);
  return m;
}

/** Link attributes shared by `link add` (before `type`) and the veth peer. */
function linkAttr(a: Args, t: Token, opts: LinkOpts, pos: Pos, prefix: string): boolean {
  switch (t.text) {
    case 'address': {
      const m = a.next('a MAC address');
      opts.mac = mac(m);
      pos[`${prefix}mac`] = m.offset;
      return true;
    }
    case 'mtu':
      opts.mtu = uint(a.next('an MTU'), 'an MTU', 65535);
      return true;
    case 'numrxqueues':
      opts.rxQueues = uint(a.next('a queue count'), 'a queue count', 4096);
      return true;
    case 'numtxqueues':
      opts.txQueues = uint(a.next('a queue count'), 'a queue count', 4096);
      return true;
    default:
      return false;
  }
}

const LINK_ADD_WORDS = 'name, address, mtu, numrxqueues, numtxqueues, netns, type';

function parseLink(a: Args, ns: string | undefined, objTok: Token, force: boolean): Op[] {
  const { v, t: vt } = verb(a, objTok, ['add', 'set', 'change', 'delete', 'show', 'list', 'help'], formsFor('link'));
  if (v === 'add') return [parseLinkAdd(a, ns, vt)];
  if (v === 'delete') {
    a.accept('dev');
    const d = a.next('a device name');
    if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}" after the device name`);
    return [{ op: 'link-del', ns, dev: d.text, pos: { dev: d.offset } }];
  }
  return parseLinkSet(a, ns, force);
}

function parseLinkAdd(a: Args, ns: string | undefined, vt: Token): Op {
  let name: Token | undefined;
  const opts: LinkOpts = {};
  const pos: Pos = {};
  let firstNs = ns;
  while (true) {
    const t = a.next(`"type veth|bridge" (link add words: ${LINK_ADD_WORDS})`);
    if (t.text === 'type') break;
    if (t.text === 'name' || t.text === 'dev') {
      name = a.next('a device name');
      continue;
    }
    if (t.text === 'netns') {
      const n = a.next('a namespace name');
      firstNs = n.text;
      pos.ns = n.offset;
      continue;
    }
    if (linkAttr(a, t, opts, pos, '')) continue;
    if (t.text === 'link' || t.text === 'txqueuelen' || t.text === 'broadcast' || t.text === 'group') fail(t, `"${t.text}" is not supported in ip link add (chainlab understands ${LINK_ADD_WORDS})`);
    if (name) fail(t, `unexpected "${t.text}": the device is already named "${name.text}" (link add words: ${LINK_ADD_WORDS})`);
    name = t;
  }
  if (!name) fail(vt, 'ip link add needs a device name');
  pos.name = name.offset;
  const typeTok = a.next('a link type (veth, bridge)');
  if (typeTok.text === 'bridge') {
    if (!a.done) fail(a.peek()!, `bridge options are not supported ("${a.peek()!.text}")`);
    return { op: 'bridge-add', ns: firstNs, name: name.text, opts, pos };
  }
  if (typeTok.text !== 'veth') {
    const hint = typeTok.text === 'dummy' ? '; a physical NIC is declared in hosts.<host>.devices with kind: nic' : '';
    fail(typeTok, `link type "${typeTok.text}" is not supported (chainlab understands veth and bridge${hint})`);
  }
  const peerOpts: LinkOpts = {};
  let peer: Token | undefined;
  let peerNs: string | undefined;
  if (!a.done) {
    const p = a.next('"peer"');
    if (p.text !== 'peer') fail(p, `expected "peer NAME" after "type veth", got "${p.text}"`);
    while (!a.done) {
      const t = a.next('a peer attribute');
      if (t.text === 'name' || t.text === 'dev') {
        peer = a.next('the peer device name');
      } else if (t.text === 'netns') {
        const n = a.next('a namespace name');
        peerNs = n.text;
        pos.peerNs = n.offset;
      } else if (linkAttr(a, t, peerOpts, pos, 'peer')) {
        continue;
      } else if (!peer) {
        peer = t;
      } else {
        fail(t, `unexpected "${t.text}" (peer words: name, netns, address, mtu, numrxqueues, numtxqueues)`);
      }
    }
  }
  // Without "peer name", the kernel names the peer vethN; chainlab wants the name said.
  if (!peer) fail(typeTok, 'a veth needs its peer named: "type veth peer name NAME"');
  pos.peer = peer.offset;
  return { op: 'veth-add', ns: firstNs, name: name.text, opts, peer: peer.text, peerNs: peerNs ?? firstNs, peerOpts, pos };
}

const XDP_MODES: Record<string, 'xdp' | 'xdp-generic' | 'offload'> = {
  xdp: 'xdp',
  xdpdrv: 'xdp',
  xdpgeneric: 'xdp-generic',
  xdpoffload: 'offload',
};

const LINK_SET_WORDS = 'up, down, master, nomaster, netns, address, mtu, xdp, xdpgeneric, xdpdrv';

function parseLinkSet(a: Args, ns: string | undefined, force: boolean): Op[] {
  a.accept('dev');
  const d = a.next('a device name');
  const set: Extract<Op, { op: 'link-set' }> = { op: 'link-set', ns, dev: d.text, pos: { dev: d.offset } };
  const ops: Op[] = [];
  let changed = false;
  while (!a.done) {
    const t = a.next('a link attribute');
    if (!t.text.startsWith('xdp')) changed = true;
    switch (t.text) {
      case 'up':
      case 'down':
        set.up = t.text === 'up';
        break;
      case 'master': {
        const m = a.next('a bridge name');
        set.master = m.text;
        set.pos.master = m.offset;
        break;
      }
      case 'nomaster':
        set.master = null;
        break;
      case 'netns': {
        const n = a.next('a namespace name');
        set.netns = n.text;
        set.pos.netns = n.offset;
        break;
      }
      case 'address': {
        const m = a.next('a MAC address');
        set.mac = mac(m);
        set.pos.mac = m.offset;
        break;
      }
      case 'mtu':
        set.mtu = uint(a.next('an MTU'), 'an MTU', 65535);
        break;
      case 'xdp':
      case 'xdpdrv':
      case 'xdpgeneric':
      case 'xdpoffload': {
        const mode = XDP_MODES[t.text];
        if (mode === 'offload') fail(t, 'xdpoffload needs a SmartNIC; chainlab has none (use xdp, xdpdrv or xdpgeneric)');
        ops.push({ op: 'xdp', ns, dev: d.text, hook: mode, prog: parseXdpProg(a, t), replace: force, driverOnly: t.text === 'xdpdrv', pos: { dev: d.offset, hook: t.offset } });
        break;
      }
      default:
        fail(t, `"${t.text}" is not supported in ip link set (chainlab understands ${LINK_SET_WORDS})`);
    }
  }
  if (!changed && ops.length === 0) fail(d, `nothing to set on "${d.text}" (chainlab understands ${LINK_SET_WORDS})`);
  // A netns move goes last so the other changes apply to the device where it was.
  return changed ? [...ops, set] : ops;
}

/** `{obj FILE [sec S] [program P] [verbose] | pinned PATH | off}` after xdp/xdpgeneric/xdpdrv. */
function parseXdpProg(a: Args, modeTok: Token): ProgSpec | null {
  const t = a.next(`"obj FILE", "pinned PATH" or "off" after "${modeTok.text}"`);
  if (t.text === 'off' || t.text === 'none') return null;
  if (t.text === 'pinned' || t.text === 'object-pinned') return { kind: 'pinned', path: a.next('a bpffs path').text };
  if (t.text !== 'obj' && t.text !== 'object' && t.text !== 'object-file') fail(t, `expected "obj FILE", "pinned PATH" or "off" after "${modeTok.text}", got "${t.text}"`);
  const spec: ProgSpec = { kind: 'object', file: a.next('an object file').text };
  while (!a.done) {
    const w = a.peek()!;
    if (w.text === 'sec' || w.text === 'section') {
      a.next('');
      spec.section = a.next('a section name').text;
    } else if (w.text === 'program') {
      a.next('');
      spec.program = a.next('a program name').text;
    } else if (w.text === 'verbose') {
      a.next('');
    } else {
      break;
    }
  }
  return spec;
}

// --- ip addr ------------------------------------------------------------------------------------

function parseAddr(a: Args, ns: string | undefined, objTok: Token): Op {
  const { v } = verb(a, objTok, ['add', 'change', 'replace', 'delete', 'list', 'show', 'flush', 'save', 'restore', 'help'], formsFor('address'));
  let cidr: Token | undefined;
  let dev: Token | undefined;
  while (!a.done) {
    const t = a.next('an address attribute');
    if (t.text === 'dev') dev = a.next('a device name');
    else if (t.text === 'local') cidr = a.next('an address');
    // IPv6 duplicate address detection is not modelled: an address is usable at once, as with nodad.
    else if (t.text === 'nodad') continue;
    else if (['label', 'broadcast', 'brd', 'scope', 'peer', 'valid_lft', 'preferred_lft', 'metric', 'noprefixroute'].includes(t.text)) {
      fail(t, `"${t.text}" is not supported in ip addr (chainlab understands: ip addr add CIDR dev NAME [nodad])`);
    } else if (!cidr) cidr = t;
    else fail(t, `unexpected "${t.text}" (chainlab understands: ip addr add CIDR dev NAME [nodad])`);
  }
  if (!cidr) fail(objTok, 'expected an address like 10.0.0.1/24');
  const c = parseCidr(cidr.text);
  if (!c) fail(cidr, `expected an address like 10.0.0.1/24 or fd00::1/64, got "${cidr.text}"`);
  if (!dev) fail(cidr, 'expected "dev NAME": an address belongs to a device');
  return { op: 'addr', mode: mode(v), ns, dev: dev.text, cidr: c.cidr, pos: { dev: dev.offset, cidr: cidr.offset } };
}

// --- ip route -----------------------------------------------------------------------------------

function parseRoute(a: Args, ns: string | undefined, family: 4 | 6 | undefined, objTok: Token): Op {
  const { v } = verb(a, objTok, ['add', 'change', 'replace', 'delete', 'list', 'show', 'flush', 'get', 'save', 'restore', 'help'], formsFor('route'));
  let dst: Token | undefined;
  let via: Token | undefined;
  let dev: Token | undefined;
  let src: Token | undefined;
  let metric: number | undefined;
  const pos: Pos = {};
  while (!a.done) {
    const t = a.next('a route attribute');
    switch (t.text) {
      case 'via':
        if (a.peek()?.text === 'inet' || a.peek()?.text === 'inet6') a.next('');
        via = a.next('a gateway address');
        break;
      case 'dev':
      case 'oif':
        dev = a.next('a device name');
        break;
      case 'src':
        src = a.next('a source address');
        break;
      case 'metric':
      case 'priority':
      case 'preference':
        metric = uint(a.next('a metric'), 'a metric');
        break;
      case 'proto':
      case 'protocol':
      case 'scope':
        // Who installed a route and its scope do not change forwarding in chainlab.
        a.next(`a ${t.text} value`);
        break;
      case 'to':
        dst = a.next('a destination prefix');
        break;
      case 'table':
      case 'vrf':
      case 'nexthop':
      case 'mtu':
      case 'encap':
        fail(t, `"${t.text}" is not supported in ip route (chainlab has one routing table: ${formsFor('route')[0]})`);
        break;
      default:
        if (['unicast', 'local', 'blackhole', 'unreachable', 'prohibit', 'broadcast', 'multicast', 'throw', 'nat', 'anycast'].includes(t.text)) {
          if (t.text !== 'unicast') fail(t, `route type "${t.text}" is not supported (only unicast routes)`);
          break;
        }
        if (dst) fail(t, `unexpected "${t.text}" (route words: via, dev, src, metric)`);
        dst = t;
    }
  }
  if (!dst) fail(objTok, 'expected a destination prefix or "default"');
  pos.dst = dst.offset;
  const viaIp = via ? parseIp(via.text) : undefined;
  if (via && !viaIp) fail(via, `expected a gateway address, got "${via.text}"`);
  const srcIp = src ? parseIp(src.text) : undefined;
  if (src && !srcIp) fail(src, `expected a source address, got "${src.text}"`);
  let fam = family;
  let dstText: string;
  if (dst.text === 'default' || dst.text === 'all' || dst.text === 'any') {
    // Without -4/-6, the gateway's family says which default route is meant.
    fam ??= viaIp?.family ?? 4;
    dstText = fam === 4 ? '0.0.0.0/0' : '::/0';
  } else {
    const c = parseCidr(dst.text);
    if (!c) fail(dst, `expected a destination like 10.0.1.0/24 or "default", got "${dst.text}"`);
    if (hasHostBits(c)) fail(dst, `"${dst.text}" has host bits set; the kernel wants the network, ${networkOf(c)} (Invalid prefix for given prefix length)`);
    if (fam !== undefined && fam !== c.family) fail(dst, `"${dst.text}" is not an IPv${fam} prefix`);
    fam = c.family;
    dstText = c.cidr;
  }
  if (viaIp && viaIp.family !== fam) fail(via!, `gateway ${via!.text} is not IPv${fam} like the destination`);
  if (srcIp && srcIp.family !== fam) fail(src!, `source ${src!.text} is not IPv${fam} like the destination`);
  if (!viaIp && !dev && v !== 'delete') fail(dst, 'a route needs "via ADDR" or "dev NAME"');
  if (via) pos.via = via.offset;
  if (dev) pos.dev = dev.offset;
  const route: Route = { family: fam, dst: dstText, metric: metric ?? (fam === 6 ? 1024 : 0) };
  if (viaIp) route.via = viaIp.text;
  if (dev) route.dev = dev.text;
  if (srcIp) route.src = srcIp.text;
  return { op: 'route', mode: mode(v), ns, route, pos };
}

// --- ip neigh -----------------------------------------------------------------------------------

function parseNeigh(a: Args, ns: string | undefined, objTok: Token): Op {
  const { v } = verb(a, objTok, ['add', 'change', 'replace', 'delete', 'list', 'show', 'flush', 'get', 'help'], formsFor('neigh'));
  let ip: Token | undefined;
  let ll: string | undefined;
  let dev: Token | undefined;
  while (!a.done) {
    const t = a.next('a neighbour attribute');
    if (t.text === 'lladdr') ll = mac(a.next('a MAC address'));
    else if (t.text === 'dev') dev = a.next('a device name');
    else if (t.text === 'nud') {
      const n = a.next('a NUD state');
      if (n.text !== 'permanent' && n.text !== 'noarp') fail(n, `nud "${n.text}" is not supported: chainlab's static entries are permanent (or noarp)`);
    } else if (t.text === 'to') ip = a.next('an address');
    else if (!ip) ip = t;
    else fail(t, `unexpected "${t.text}" (neigh words: lladdr, dev, nud)`);
  }
  if (!ip) fail(objTok, 'expected a neighbour address');
  const addr = parseIp(ip.text);
  if (!addr) fail(ip, `expected an IP address, got "${ip.text}"`);
  if (!dev) fail(ip, 'expected "dev NAME"');
  if (v !== 'delete' && !ll) fail(ip, 'expected "lladdr MAC": a static neighbour needs its link-layer address');
  return { op: 'neigh', mode: mode(v), ns, ip: addr.text, lladdr: ll, dev: dev.text, pos: { ip: ip.offset, dev: dev.offset } };
}

export { CommandSyntaxError };
