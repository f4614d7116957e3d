/**
 * Build a running simulation from a Scenario: hosts, devices, addresses, routes, neighbours,
 * links, qdiscs, objects loaded into the shared runtime, programs attached at their hooks, maps
 * preloaded, tail-call slots wired, and traffic sources scheduled. Every error names the
 * scenario file and the thing at fault.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { loadObjectFile } from '../ebpf/elf/index.ts';
import { hexToBytes } from '../ebpf/isa/insn.ts';
import { CpuMap, DevMap } from '../ebpf/maps/index.ts';
import { EINVAL, ENODEV, errnoName } from '../ebpf/maps/errno.ts';
import { progAttachType, progType } from '../ebpf/maps/objects.ts';
import type { LoadedObject } from '../ebpf/runtime/runtime.ts';
import { type Netdev } from '../net/netdev.ts';
import { Network } from '../net/network.ts';
import { Nic } from '../net/nic.ts';
import { createQdisc, type QdiscSpec } from '../net/qdisc/index.ts';
import { parseCidr, parseIp } from '../net/route.ts';
import { Veth } from '../net/veth.ts';
import { type Capture, CaptureReplay, constantRate, FlowSet, imix, onOff, poisson, readCapture, TrafficGenerator, fixedSize, weightedSizes } from '../net/traffic/index.ts';
import { flowText } from '../net/skb.ts';
import { Simulator } from '../sim/index.ts';
import type { MapBytes, Qdisc, Scenario, TrafficSource } from './model.ts';

export class BuildError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'BuildError';
  }
}

export interface Built {
  scenario: Scenario;
  sim: Simulator;
  net: Network;
  objects: Map<string, LoadedObject>;
  /** Frames each traffic source sent, by name. */
  sent: () => Record<string, number>;
}

export interface BuildOptions {
  seed?: number;
  /** Captures for pcap traffic, by path (see loadCaptures: reading a pcap is asynchronous). */
  captures?: ReadonlyMap<string, Capture>;
}

/** Read every capture the scenario replays (pcap-parser streams, so this is asynchronous). */
export async function loadCaptures(sc: Scenario): Promise<Map<string, Capture>> {
  const out = new Map<string, Capture>();
  for (const t of sc.traffic) {
    if (t.kind !== 'pcap' || out.has(t.path)) continue;
    try {
      out.set(t.path, await readCapture(t.path));
    } catch (e) {
      throw new BuildError(sc.file, `traffic ${t.name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** loadCaptures then buildScenario: what the CLI and the server call. */
export async function buildScenarioAsync(sc: Scenario, opts: BuildOptions = {}): Promise<Built> {
  return buildScenario(sc, { ...opts, captures: opts.captures ?? (await loadCaptures(sc)) });
}

const macBytes = (s: string): Uint8Array => Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));

/** The model's qdisc as the qdisc factory's spec (same option names as tc). */
function qdiscSpec(q: Qdisc): QdiscSpec {
  switch (q.kind) {
    case 'pfifo_fast':
    case 'noqueue':
      return { kind: q.kind, handle: q.handle };
    case 'pfifo':
      return { kind: 'pfifo', handle: q.handle, limit: q.limit };
    case 'bfifo':
      return { kind: 'bfifo', handle: q.handle, limit: q.limit };
    case 'tbf':
      return { kind: 'tbf', handle: q.handle, rate: q.rateBps, burst: q.burstBytes, limit: q.limitBytes, latency: q.latencyNs, peakrate: q.peakrateBps, mtu: q.mtuBytes, qdisc: q.child ? qdiscSpec(q.child) : undefined };
    case 'fq_codel':
      return { kind: 'fq_codel', handle: q.handle, limit: q.limit, flows: q.flows, quantum: q.quantum, target: q.targetNs, interval: q.intervalNs, ecn: q.ecn, ce_threshold: q.ceThresholdNs, memory_limit: q.memoryLimit };
    case 'htb':
      return {
        kind: 'htb',
        handle: q.handle,
        default: q.defaultMinor,
        r2q: q.r2q,
        classes: q.classes.map((c) => ({ classid: c.classid, parent: c.parent, rate: c.rateBps, ceil: c.ceilBps, burst: c.burstBytes, cburst: c.cburstBytes, prio: c.prio, quantum: c.quantum, qdisc: c.qdisc ? qdiscSpec(c.qdisc) : undefined })),
      };
  }
}

/** Compile a C source with clang for BPF (only when the scenario names a source). */
function compile(src: string, file: string): string {
  // Named after the source, so a loader error names the program's file; removed once loaded.
  const out = join(mkdtempSync(join(tmpdir(), 'chainlab-cc-')), `${basename(src).replace(/\.c$/, '')}.o`);
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new BuildError(file, `${src}: clang is not installed; install clang (and libbpf-dev) or give a built .o`);
    throw new BuildError(file, `${src}: clang failed:\n${err.stderr?.toString() ?? err.message}`);
  }
  return out;
}

export function buildScenario(sc: Scenario, opts: BuildOptions = {}): Built {
  const file = sc.file;
  const fail = (msg: string): never => {
    throw new BuildError(file, msg);
  };
  const sim = new Simulator({ seed: opts.seed ?? sc.seed });
  const cpus = Math.max(1, ...sc.hosts.map((h) => h.cpus));
  const net = new Network(sim, { cpus });
  const devOf = (host: string, dev: string): Netdev => {
    const h = net.hosts.get(host) ?? fail(`no host '${host}'`);
    return h.devices.get(dev) ?? fail(`host '${host}' has no device '${dev}'`);
  };

  // Hosts and devices (veth pairs are made once, from their first side).
  for (const h of sc.hosts) {
    const host = net.addHost(h.name);
    host.forwarding = h.forwarding.ipv4 || h.forwarding.ipv6;
  }
  for (const h of sc.hosts) {
    const host = net.host(h.name);
    for (const d of h.devices) {
      if (host.devices.has(d.name)) continue;
      const mac = d.mac ? macBytes(d.mac) : undefined;
      if (d.kind === 'nic') {
        net.addNic(host, d.name, { mac, rate: d.rateBps, rxQueues: d.rxQueues, rxRing: d.ring.rx, txRing: d.ring.tx, queueCpus: d.rssCpus.map((c) => c % cpus) });
      } else if (d.kind === 'veth') {
        const peerHost = net.hosts.get(d.peer.host) ?? fail(`veth ${h.name}/${d.name}: peer host '${d.peer.host}' not found`);
        const peerDef = sc.hosts.find((x) => x.name === d.peer.host)?.devices.find((x) => x.name === d.peer.dev);
        net.addVethPair(host, d.name, peerHost, d.peer.dev, { a: mac, b: peerDef?.mac ? macBytes(peerDef.mac) : undefined });
      } else if (d.kind === 'bridge') {
        net.addBridge(host, d.name, mac);
      }
      // 'lo' needs no device: 127.0.0.0/8 is local in every host.
    }
  }
  for (const h of sc.hosts) {
    const host = net.host(h.name);
    for (const d of h.devices) {
      if (d.kind === 'lo') continue;
      const dev = devOf(h.name, d.name);
      dev.up = d.up;
      dev.mtu = d.mtu;
      if (d.master) dev.master = devOf(h.name, d.master);
      for (const a of d.addresses) {
        const c = parseCidr(a);
        host.addAddress(dev, c.addr, c.prefixLen);
      }
      try {
        if (d.qdisc) dev.setQdisc(createQdisc(qdiscSpec(d.qdisc), sim, { mtu: d.mtu }));
        else if (dev instanceof Nic) dev.setQdisc(createQdisc({ kind: 'pfifo_fast' }, sim, { mtu: d.mtu }));
      } catch (e) {
        fail(`${h.name}/${d.name}: qdisc: ${(e as Error).message}`);
      }
    }
  }
  for (const h of sc.hosts) {
    const host = net.host(h.name);
    for (const r of h.routes) {
      const c = parseCidr(r.dst === 'default' ? (r.family === 4 ? '0.0.0.0/0' : '::/0') : r.dst);
      const via = r.via ? parseIp(r.via) : undefined;
      let ifindex: number | undefined = r.dev ? devOf(h.name, r.dev).ifindex : undefined;
      if (ifindex === undefined && via) ifindex = host.routes.lookup(via)?.ifindex;
      if (ifindex === undefined) fail(`${h.name}: route ${r.dst}: no device given and ${r.via ?? 'the gateway'} is not on a connected network (RTNETLINK answers: Network is unreachable)`);
      try {
        host.routes.add({ family: c.family, dst: c.addr, prefixLen: c.prefixLen, via, ifindex: ifindex as number, metric: r.metric });
      } catch (e) {
        fail(`${h.name}: ${(e as Error).message}`);
      }
    }
    for (const n of h.neighbours) host.neigh.add(devOf(h.name, n.dev).ifindex, parseIp(n.ip), macBytes(n.lladdr));
  }
  for (const l of sc.links) {
    const a = devOf(l.a.host, l.a.dev);
    const b = devOf(l.b.host, l.b.dev);
    if (!(a instanceof Nic) || !(b instanceof Nic)) fail(`link ${a.id} — ${b.id}: both ends must be NICs (veth pairs are linked already)`);
    net.connect(a as Nic, b as Nic, l.delayNs, { rateBps: l.rateBps, loss: l.loss });
  }
  // ARP is modelled as resolved: every device learns the addresses of the device at the other end of its wire or veth.
  const learn = (from: Netdev, to: Netdev): void => {
    for (const a of to.addrs) if (!from.host.neigh.lookup(from.ifindex, a.addr)) from.host.neigh.add(from.ifindex, a.addr, to.mac);
  };
  for (const l of net.links) {
    learn(l.a, l.b);
    learn(l.b, l.a);
  }
  for (const h of net.hosts.values()) for (const d of h.devices.values()) if (d instanceof Veth) learn(d, d.peer);

  // Objects, programs, maps, tail calls.
  const objects = new Map<string, LoadedObject>();
  for (const o of sc.objects) {
    const path = o.kind === 'source' ? compile(o.path, file) : o.path;
    try {
      objects.set(o.id, net.runtime.load(loadObjectFile(path)));
    } catch (e) {
      fail(`object ${o.id}: ${(e as Error).message}`);
    } finally {
      if (o.kind === 'source') rmSync(dirname(path), { recursive: true, force: true });
    }
  }
  const objOf = (id: string): LoadedObject => objects.get(id) ?? fail(`object '${id}' is not loaded`);
  for (const p of sc.programs) {
    const obj = objOf(p.object);
    const name = p.program ?? (p.section ? obj.spec.programs.find((x) => x.section === p.section)?.name : undefined) ?? fail(`object ${p.object}: no program for section '${p.section}'`);
    const prog = obj.programs.get(name) ?? fail(`object ${p.object}: no program '${name}' (it has ${[...obj.programs.keys()].join(', ')})`);
    if (p.pin) net.runtime.bpffs.pin(p.pin, { kind: 'prog', obj: prog });
    const at = p.attach;
    if (!at) continue;
    const dev = at.dev ? devOf(at.host, at.dev) : undefined;
    try {
      switch (at.hook) {
        case 'xdp':
        case 'xdp-generic':
          net.attachXdp(dev ?? fail(`${name}: XDP needs a device`), prog, at.hook === 'xdp' ? 'native' : 'generic');
          break;
        case 'tc-ingress':
        case 'tc-egress':
          net.attachTc(dev ?? fail(`${name}: tc needs a device`), at.hook === 'tc-ingress' ? 'ingress' : 'egress', prog, at.priority ?? 49152);
          break;
        default:
          fail(`program ${name}: the ${at.hook} hook needs sockets, which the datapath does not model yet (XDP and tc hooks are supported)`);
      }
    } catch (e) {
      if (e instanceof BuildError) throw e;
      fail(`attach ${name} at ${at.host}/${at.dev ?? ''} ${at.hook}: ${(e as Error).message}`);
    }
  }
  const bytesOf = (b: MapBytes, size: number, what: string): Uint8Array => {
    if ('hex' in b) {
      const v = hexToBytes(b.hex);
      if (v.length !== size) fail(`${what}: ${v.length} bytes, the map needs ${size}`);
      return v;
    }
    const out = new Uint8Array(size);
    const v = 'ifindex' in b ? devOf(b.ifindex.host, b.ifindex.dev).ifindex : b.qsize;
    new DataView(out.buffer).setUint32(0, v, true);
    return out;
  };
  for (const m of sc.maps) {
    const map = objOf(m.object).maps.get(m.map) ?? fail(`object ${m.object}: no map '${m.map}'`);
    m.entries.forEach((e, i) => {
      const v = e.value;
      if ('program' in v && v.program !== undefined) {
        // The value holds a program fd: set through the map's typed API with the loaded program.
        const ref = v.program;
        const where = `map ${m.map}[${i}]`;
        const prog = objOf(ref.object).programs.get(ref.program) ?? fail(`${where}: no program '${ref.program}' in ${ref.object}`);
        const keyBytes = bytesOf(e.key, map.def.keySize, `${m.map}[${i}].key`);
        const key = new DataView(keyBytes.buffer, keyBytes.byteOffset).getUint32(0, true);
        const kind = 'qsize' in v ? 'cpumap' : 'devmap';
        const want = kind === 'cpumap' ? 'BPF_XDP_CPUMAP' : 'BPF_XDP_DEVMAP';
        if (map.def.valueSize !== 8) fail(`${where}: program ${ref.program}: the map's value_size is ${map.def.valueSize}; a ${kind} entry with a program needs 8 (struct bpf_${kind}_val)`);
        let err: number;
        if ('qsize' in v) {
          if (!(map instanceof CpuMap)) return fail(`${where}: "${m.map}" is a ${map.def.type}; {qsize, program} is a CPUMAP value`);
          err = map.setTarget(key, v.qsize, prog);
        } else {
          if (!(map instanceof DevMap)) return fail(`${where}: "${m.map}" is a ${map.def.type}; {ifindex, program} is a DEVMAP or DEVMAP_HASH value`);
          err = map.setTarget(key, devOf(v.ifindex.host, v.ifindex.dev).ifindex, prog);
        }
        if (err === 0) return;
        const type = progType(prog);
        const attach = progAttachType(prog);
        const reason =
          type !== 'BPF_PROG_TYPE_XDP' || attach !== want
            ? `program ${ref.program} (section "${prog.spec.section}") is not an xdp/${kind} program: a ${kind} entry runs XDP programs for ${want}, SEC("xdp/${kind}")`
            : kind === 'cpumap' && -err === ENODEV
              ? `no CPU ${key} (the host has fewer CPUs)`
              : kind === 'devmap' && -err === EINVAL
                ? `the device is not usable as a redirect target`
                : `${kind} update refused`;
        fail(`${where}: ${kind} entry ${key} = ${ref.program}: errno ${-err} (${errnoName(-err)}): ${reason}`);
      }
      const err = map.update(bytesOf(e.key, map.def.keySize, `${m.map}[${i}].key`), bytesOf(e.value, map.def.valueSize, `${m.map}[${i}].value`));
      if (err !== 0) fail(`map ${m.map}[${i}]: update failed with errno ${-err}`);
    });
  }
  for (const t of sc.tailCalls) {
    const arr = objOf(t.object).maps.get(t.map) as unknown as { setSlot?: (i: number, p: unknown) => number } | undefined;
    if (!arr?.setSlot) fail(`tail call: ${t.object} has no PROG_ARRAY '${t.map}'`);
    const prog = objOf(t.program.object).programs.get(t.program.program) ?? fail(`tail call: no program '${t.program.program}' in ${t.program.object}`);
    const err = arr?.setSlot?.(t.index, prog) ?? 0;
    if (err !== 0) fail(`tail call: ${t.map}[${t.index}] = ${t.program.program}: errno ${-err} (program types must match)`);
  }

  // Traffic.
  const gens: { name: string; sent: () => number }[] = [];
  for (const src of sc.traffic) {
    // Frames arrive on the receive side of `from`: from the wire for a NIC; for a veth, sent by its peer.
    const at = devOf(src.from.host, src.from.dev);
    gens.push(startTraffic(sc, sim, net, src, at instanceof Veth ? at.peer : at, at, opts.captures, fail));
  }
  return { scenario: sc, sim, net, objects, sent: () => Object.fromEntries(gens.map((g) => [g.name, g.sent()])) };
}

function sizesOf(s: { kind: 'fixed'; bytes: number } | { kind: 'imix' } | { kind: 'weighted'; table: [number, number][] }) {
  if (s.kind === 'fixed') return fixedSize(s.bytes);
  if (s.kind === 'imix') return imix();
  return weightedSizes(s.table);
}

/** The 5-tuple of a frame as text (see Skb.flowNow). */
export const frameFlow = flowText;

function startTraffic(
  sc: Scenario,
  sim: Simulator,
  net: Network,
  src: TrafficSource,
  dev: Netdev,
  rx: Netdev,
  captures: ReadonlyMap<string, Capture> | undefined,
  fail: (m: string) => never,
): { name: string; sent: () => number } {
  const stop = src.stopNs ?? sc.durationNs;
  const send = (t: number, frame: Uint8Array): void => {
    void t;
    net.inject(dev, frame, { traffic: src.name, flow: frameFlow(frame) });
  };
  if (src.kind === 'pcap') {
    const cap = captures?.get(src.path) ?? fail(`traffic ${src.name}: capture ${src.file} was not loaded (build with buildScenarioAsync, or pass captures)`);
    let n = 0;
    const rp = new CaptureReplay(sim, cap, { timing: src.timing, loops: src.loops, startNs: src.startNs }, (t, frame) => {
      // The replay has no stop of its own: the scenario's stop time and count end it.
      if (t >= stop || (src.count !== undefined && n >= src.count)) return;
      n++;
      // The capture's bytes are reused by every loop of the replay, and a packet's bytes change on
      // its way (forwarding rewrites TTL and MACs in place): each packet gets its own copy.
      send(t, frame.slice());
    });
    rp.start();
    return { name: src.name, sent: () => n };
  }
  const dstMac = src.l2.dstMac ?? [...rx.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const flows = new FlowSet({ count: src.flows.count, pick: src.flows.pick, protocol: src.flows.protocol, src: src.flows.src, dst: src.flows.dst, sport: src.flows.sport, dport: src.flows.dport } as never);
  const arrivals = src.kind === 'onoff' ? onOff({ rate: src.rate, on: src.onNs, off: src.offNs } as never) : src.kind === 'poisson' ? poisson(src.rate) : constantRate(src.rate);
  const gen = new TrafficGenerator(
    sim,
    {
      arrivals,
      flows,
      sizes: sizesOf(src.size),
      rng: sim.rng(`traffic/${src.name}`),
      link: { srcMac: src.l2.srcMac ?? '02:00:00:00:ff:01', dstMac, vlan: src.l2.vlan } as never,
      startNs: src.startNs,
      stopNs: stop,
      count: src.count,
    },
    (t, frame) => send(t, frame),
  );
  gen.start();
  return { name: src.name, sent: () => gen.sent };
}
