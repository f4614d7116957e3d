/**
 * Simulated packets per second through the datapath (traces off): (a) frames into a NIC whose
 * XDP program drops them; (b) XDP parse → devmap redirect over a veth → tc ingress → delivery.
 * That memory stays flat in the number of packets is measured on these runs by bench/memory.ts.
 */
import { join } from 'node:path';
import { loadObjectFile } from '../src/ebpf/elf/index.ts';
import { Network } from '../src/net/network.ts';
import { buildPacket } from '../src/net/packet/build.ts';
import { parseIp } from '../src/net/route.ts';
import { Simulator } from '../src/sim/index.ts';

const FIX = join(import.meta.dirname, '..', 'test', 'fixtures');

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function udp(dstMac: string): Uint8Array {
  return buildPacket([{ kind: 'eth', dst: dstMac, src: '02:00:00:00:00:99' }, { kind: 'ipv4', src: '10.0.0.1', dst: '10.1.0.2' }, { kind: 'udp', sport: 1234, dport: 53 }, { kind: 'raw', bytes: new Uint8Array(18) }]);
}

/** Feed n frames at `gapNs` spacing from one event chain (the generator pattern: one pending event). */
function feed(sim: Simulator, n: number, gapNs: number, send: () => void): void {
  let i = 0;
  const next = (): void => {
    send();
    if (++i < n) sim.schedule(gapNs, next);
  };
  sim.schedule(0, next);
}

/**
 * (a) Frames into a NIC whose XDP program drops them. `xdp_drop` is xdp-bench's default
 * "drop" (no packet access); `xdp_proto_count` parses every header and counts in a map first,
 * which shows what a real program's instructions add.
 */
export function xdpDropRun(n: number, prog: 'xdp_drop' | 'xdp_proto_count' = 'xdp_drop'): { pps: number; net: Network } {
  const sim = new Simulator({ seed: 1 });
  const net = new Network(sim, { cpus: 1 });
  const h = net.addHost('h');
  const eth0 = net.addNic(h, 'eth0', { rxRing: 4096 });
  const obj = net.runtime.load(loadObjectFile(join(FIX, prog === 'xdp_drop' ? 'xdp_redirect.o' : 'xdp_proto_count.o')));
  net.attachXdp(eth0, obj.program(prog));
  const frame = udp(mac(eth0.mac));
  feed(sim, n, 200, () => net.inject(eth0, frame.slice()));
  const t0 = process.hrtime.bigint();
  sim.run();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (net.counters.get('h/eth0/xdp/XDP_DROP') !== n) throw new Error('xdp drop bench: not every frame was dropped');
  return { pps: n / dt, net };
}

/**
 * (b) `xdp_parse_redirect` parses Ethernet/IPv4/UDP and redirects through a devmap into veth0;
 * its peer veth1 runs `xdp_pass` (so the veth takes XDP frames) and `tc_dnat` at tc ingress (a
 * hash lookup that misses), and the host delivers the frame.
 */
export function redirectChainRun(n: number): number {
  const sim = new Simulator({ seed: 1 });
  const net = new Network(sim, { cpus: 1 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const eth0 = net.addNic(a, 'eth0', { rxRing: 4096 });
  const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
  b.addAddress(veth1, parseIp('10.1.0.2'), 24);
  const red = net.runtime.load(loadObjectFile(join(FIX, 'xdp_redirect.o')));
  const nat = net.runtime.load(loadObjectFile(join(FIX, 'tc_nat.o')));
  red.map('tx_port').update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(veth0.ifindex, 0, 0, 0));
  net.attachXdp(eth0, red.program('xdp_parse_redirect'));
  net.attachXdp(veth1, red.program('xdp_pass'));
  net.attachTc(veth1, 'ingress', nat.program('tc_dnat'));
  const frame = udp(mac(veth1.mac));
  feed(sim, n, 2000, () => net.inject(eth0, frame.slice()));
  const t0 = process.hrtime.bigint();
  sim.run();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (net.counters.get('b/delivered') !== n) throw new Error(`redirect bench: ${net.counters.get('b/delivered')} of ${n} delivered`);
  return n / dt;
}

/** Medians of `reps` interleaved rounds: the three runs share one process, as a simulation's programs do. */
export function runDatapathBench(reps = 7): BenchFigure[] {
  xdpDropRun(20_000);
  xdpDropRun(20_000, 'xdp_proto_count');
  redirectChainRun(20_000);
  const a: number[] = [];
  const a2: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < reps; i++) {
    a.push(xdpDropRun(200_000).pps);
    a2.push(xdpDropRun(200_000, 'xdp_proto_count').pps);
    b.push(redirectChainRun(100_000));
  }
  return [
    { name: 'datapath_xdp_drop', value: median(a), unit: 'packets/s' },
    { name: 'datapath_xdp_parse_count_drop', value: median(a2), unit: 'packets/s' },
    { name: 'datapath_xdp_redirect_veth_tc', value: median(b), unit: 'packets/s' },
  ];
}
