import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import { buildPacket } from '../../src/net/packet/build.ts';
import { Network } from '../../src/net/network.ts';
import { parseIp } from '../../src/net/route.ts';
import type { Netdev } from '../../src/net/netdev.ts';
import { Simulator } from '../../src/sim/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const spec = loadObjectFile(join(FIX, 'xdp_redirect.o'));
const macStr = (d: Netdev): string => [...d.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);

function frame(dstMac: string, dst = '10.1.0.2'): Uint8Array {
  return buildPacket([
    { kind: 'eth', dst: dstMac, src: '02:00:00:00:00:99' },
    { kind: 'ipv4', src: '10.0.0.1', dst },
    { kind: 'udp', sport: 1, dport: 2 },
    { kind: 'raw', bytes: new Uint8Array(18) },
  ]);
}

/** Host a: eth0 (NIC, traffic enters here) and veth0; host b: veth1, the peer. */
function topo(cpus = 1) {
  const sim = new Simulator({ seed: 3 });
  const net = new Network(sim, { cpus });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const eth0 = net.addNic(a, 'eth0');
  const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
  b.addAddress(veth1, parseIp('10.1.0.2'), 24);
  const obj = net.runtime.load(spec);
  /** Set a global: target_ifindex (.bss+0), tc_flags (.bss+4), target_cpu (.data+0). */
  const setData = (name: 'target_ifindex' | 'tc_flags' | 'target_cpu', v: number): void => {
    const [sec, off] = name === 'target_cpu' ? ['.data', 0] : ['.bss', name === 'tc_flags' ? 4 : 0];
    const m = obj.map(sec as string);
    const cur = (m.lookup(new Uint8Array(4)) as Uint8Array).slice();
    cur.set(u32(v), off as number);
    m.update(new Uint8Array(4), cur);
  };
  return { sim, net, a, b, eth0, veth0, veth1, obj, setData };
}

function send(t: ReturnType<typeof topo>, dev: Netdev, n: number, dstMac: string, dstIp?: string): void {
  for (let i = 0; i < n; i++) t.sim.schedule(i * 100, () => t.net.inject(dev, frame(dstMac, dstIp)));
  t.sim.run();
}

describe('XDP redirects', () => {
  it('redirects through a devmap into a veth whose peer runs XDP, in bulks flushed after the poll', () => {
    const t = topo();
    t.obj.map('tx_port').update(u32(0), u32(t.veth0.ifindex));
    t.net.attachXdp(t.eth0, t.obj.program('xdp_devmap'));
    t.net.attachXdp(t.veth1, t.obj.program('xdp_pass'));
    send(t, t.eth0, 20, macStr(t.veth1));
    const c = t.net.counters.snapshot();
    expect(c['a/eth0/xdp/XDP_REDIRECT']).toBe(20);
    expect(c['b/veth1/xdp/XDP_PASS']).toBe(20);
    expect(c['b/delivered']).toBe(20);
  });

  it('refuses redirects into a veth whose peer has no XDP program at once (-EOPNOTSUPP)', () => {
    const t = topo();
    t.obj.map('tx_port').update(u32(0), u32(t.veth0.ifindex));
    t.net.attachXdp(t.eth0, t.obj.program('xdp_devmap'));
    const reasons: string[] = [];
    t.net.trace.subscribe((r) => r.type === 'hop' && r.hook === 'drop' && reasons.push(r.reason ?? ''));
    send(t, t.eth0, 3, macStr(t.veth1));
    expect(t.net.counters.get('b/delivered')).toBe(0);
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toContain('has no XDP program, its NAPI is off (-EOPNOTSUPP)');
    expect(t.net.counters.get('a/eth0/drop/XDP_REDIRECT_ERR')).toBe(3);
  });

  it('falls back to the flags verdict when the devmap slot is empty', () => {
    const t = topo();
    t.net.attachXdp(t.eth0, t.obj.program('xdp_devmap'));
    send(t, t.eth0, 4, macStr(t.veth1));
    expect(t.net.counters.get('a/eth0/xdp/XDP_DROP')).toBe(4);
  });

  it('bpf_redirect to an ifindex of the same namespace', () => {
    const t = topo();
    t.setData('target_ifindex', t.veth0.ifindex);
    t.net.attachXdp(t.eth0, t.obj.program('xdp_ifindex'));
    t.net.attachXdp(t.veth1, t.obj.program('xdp_pass'));
    send(t, t.eth0, 5, macStr(t.veth1));
    expect(t.net.counters.get('b/delivered')).toBe(5);
  });

  it('XDP_TX sends the frame back out of the NIC it came in on', () => {
    const t = topo();
    const peerHost = t.net.addHost('gen');
    const gen = t.net.addNic(peerHost, 'eth0');
    t.net.connect(t.eth0, gen, 100);
    peerHost.addAddress(gen, parseIp('10.0.0.1'), 24);
    t.net.attachXdp(t.eth0, t.obj.program('xdp_tx_swap'));
    // The generator's frames come back with swapped MACs: addressed to the generator, delivered there.
    // A MAC-swapping reflector: the frame's IP destination is the generator itself.
    const f = (): Uint8Array => buildPacket([{ kind: 'eth', dst: macStr(t.eth0), src: macStr(gen) }, { kind: 'ipv4', src: '10.0.0.9', dst: '10.0.0.1' }, { kind: 'udp', sport: 1, dport: 2 }]);
    for (let i = 0; i < 3; i++) t.sim.schedule(i * 1000, () => t.net.inject(t.eth0, f()));
    t.sim.run();
    expect(t.net.counters.get('a/eth0/xdp/XDP_TX')).toBe(3);
    expect(t.net.counters.get('gen/eth0/rx_packets')).toBe(3);
    expect(t.net.counters.get('gen/delivered')).toBe(3);
  });

  it('cpumap moves the stack work of redirected frames to another CPU', () => {
    const t = topo(2);
    t.obj.map('cpus').update(u32(1), new Uint8Array(8).fill(0).map((_, i) => (i === 0 ? 64 : 0)));
    t.setData('target_cpu', 1);
    const h = t.a;
    h.addAddress(t.eth0, parseIp('10.0.0.2'), 24);
    t.net.attachXdp(t.eth0, t.obj.program('xdp_cpumap'));
    const cpus = new Set<number>();
    t.net.trace.subscribe((r) => r.type === 'hop' && r.hook === 'local' && cpus.add(r.cpu ?? -1));
    send(t, t.eth0, 10, macStr(t.eth0), '10.0.0.2');
    expect(t.net.counters.get('a/eth0/xdp/XDP_REDIRECT')).toBe(10);
    expect(t.net.counters.get('a/delivered')).toBe(10);
    expect([...cpus]).toEqual([1]);
    expect(t.net.cpus[1].busyNs).toBeGreaterThan(0);
  });
});

describe('tc redirects', () => {
  it('redirects to the egress of another device, or to its ingress with BPF_F_INGRESS', () => {
    for (const ingress of [false, true]) {
      const t = topo();
      t.setData('target_ifindex', t.veth0.ifindex);
      t.setData('tc_flags', ingress ? 1 : 0);
      t.net.attachTc(t.eth0, 'ingress', t.obj.program('tc_redirect'));
      send(t, t.eth0, 2, macStr(t.veth1));
      expect(t.net.counters.get('a/eth0/tc-ingress/TC_ACT_REDIRECT')).toBe(2);
      if (ingress) {
        // Into veth0's own ingress: veth0's MAC is not the destination, so ip_rcv drops it as OTHERHOST.
        expect(t.net.counters.get('a/drops/OTHERHOST')).toBe(2);
      } else {
        // Out of veth0: arrives at veth1 through the backlog and is delivered in b.
        expect(t.net.counters.get('b/delivered')).toBe(2);
      }
    }
  });
});
