/**
 * Command steps change the model as the commands would change a Linux machine: applied in
 * order, each seeing what the steps before it left.
 */
import { describe, expect, it } from 'vitest';
import type { Host, TbfQdisc } from '../../src/scenario/model.ts';
import { errorsOf, parse, y } from './helpers.ts';

const scenario = (...steps: string[]) => parse(y('name: steps', 'duration: 1ms', 'steps: |', ...steps.map((s) => `  ${s}`)));
const host = (s: { hosts: Host[] }, name: string): Host => s.hosts.find((h) => h.name === name)!;
const dev = (s: { hosts: Host[] }, h: string, d: string) => host(s, h).devices.find((x) => x.name === d);

describe('topology commands', () => {
  it('runs commands without -n in the default namespace, which has lo up', () => {
    const s = scenario('ip link add veth0 type veth peer name veth1', 'ip addr add 10.0.0.1/24 dev veth0');
    expect(s.hosts.map((h) => h.name)).toEqual(['root']);
    expect(dev(s, 'root', 'lo')?.up).toBe(true);
    expect(dev(s, 'root', 'veth0')).toMatchObject({ kind: 'veth', up: false, addresses: ['10.0.0.1/24'], peer: { host: 'root', dev: 'veth1' } });
  });

  it('gives a new namespace lo, down', () => {
    const s = scenario('ip netns add h1');
    expect(host(s, 'h1').devices).toEqual([{ kind: 'lo', name: 'lo', mtu: 65536, up: false, addresses: [], clsact: false }]);
  });

  it('moves a device to another namespace: down, addresses, routes and bridge gone, peer updated', () => {
    const s = scenario(
      'ip netns add a',
      'ip netns add b',
      'ip -n a link add br0 type bridge',
      'ip -n a link add v0 type veth peer name v1',
      'ip -n a link set v1 master br0',
      'ip -n a addr add 10.0.0.1/24 dev v1',
      'ip -n a link set v1 up',
      'ip -n a route add 10.9.0.0/16 via 10.0.0.2 dev v1',
      'ip -n a neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev v1',
      'tc -n a qdisc add dev v1 clsact',
      'tc -n a filter add dev v1 ingress bpf da obj ../fixtures/tc_nat.o sec tc',
      'ip -n a link set v1 netns b',
    );
    expect(dev(s, 'a', 'v1')).toBeUndefined();
    expect(dev(s, 'b', 'v1')).toMatchObject({ up: false, addresses: [], clsact: true, peer: { host: 'a', dev: 'v0' } });
    expect(dev(s, 'b', 'v1')).not.toHaveProperty('master');
    expect(dev(s, 'a', 'v0')).toMatchObject({ peer: { host: 'b', dev: 'v1' } });
    expect(host(s, 'a').routes).toEqual([]);
    expect(host(s, 'a').neighbours).toEqual([]);
    expect(s.programs[0].attach).toMatchObject({ host: 'b', dev: 'v1', hook: 'tc-ingress' });
  });

  it('deletes a veth with its peer, and what hung on them', () => {
    const s = scenario(
      'ip netns add a',
      'ip netns add b',
      'ip -n a link add v0 type veth peer name v1 netns b',
      'ip -n b link set dev v1 xdp obj ../fixtures/xdp_proto_count.o sec xdp',
      'ip -n a link del v0',
    );
    expect(host(s, 'b').devices.map((d) => d.name)).toEqual(['lo']);
    expect(s.programs).toEqual([]);
    expect(s.objects).toEqual([]);
  });

  it('deletes a namespace with its veths and their peers elsewhere', () => {
    const s = scenario('ip netns add a', 'ip netns add b', 'ip -n a link add v0 type veth peer name v1 netns b', 'ip netns del a');
    expect(s.hosts.map((h) => h.name)).toEqual(['b']);
    expect(host(s, 'b').devices.map((d) => d.name)).toEqual(['lo']);
  });

  it('replaces and deletes addresses, routes and neighbours', () => {
    const s = scenario(
      'ip link add v0 type veth peer name v1',
      'ip link set v0 up',
      'ip addr add 10.0.0.1/24 dev v0',
      'ip addr replace 10.0.0.1/16 dev v0',
      'ip addr add 10.1.0.1/24 dev v0',
      'ip addr del 10.1.0.1/24 dev v0',
      'ip route add 10.2.0.0/16 via 10.0.0.2',
      'ip route replace 10.2.0.0/16 via 10.0.0.3',
      'ip route add 10.3.0.0/16 via 10.0.0.2 metric 10',
      'ip route del 10.3.0.0/16',
      'ip -6 addr add fd00::1/64 dev v0',
      'ip route add default via fd00::2',
      'ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev v0',
      'ip neigh replace 10.0.0.2 lladdr 02:00:00:00:00:03 dev v0',
      'ip neigh add 10.0.0.4 lladdr 02:00:00:00:00:04 dev v0',
      'ip neigh del 10.0.0.4 dev v0',
      'sysctl -w net.ipv4.ip_forward=1',
    );
    const h = host(s, 'root');
    expect(dev(s, 'root', 'v0')?.addresses).toEqual(['10.0.0.1/16', 'fd00::1/64']);
    expect(h.routes).toEqual([
      { family: 4, dst: '10.2.0.0/16', via: '10.0.0.3', metric: 0 },
      { family: 6, dst: '::/0', via: 'fd00::2', metric: 1024 },
    ]);
    expect(h.neighbours).toEqual([{ ip: '10.0.0.2', lladdr: '02:00:00:00:00:03', dev: 'v0' }]);
    expect(h.forwarding).toEqual({ ipv4: true, ipv6: false });
  });

  it('builds qdisc trees: tbf with a child, htb classes with leaves, replace and delete', () => {
    const s = scenario(
      'ip link add v0 type veth peer name v1',
      'tc qdisc add dev v0 root handle 1: tbf rate 1gbit burst 32k latency 50ms',
      'tc qdisc add dev v0 parent 1: handle 10: fq_codel',
      'tc qdisc add dev v1 root handle 1: htb default 20',
      'tc class add dev v1 parent 1: classid 1:1 htb rate 100mbit',
      'tc class add dev v1 parent 1:1 classid 1:10 htb rate 30mbit ceil 100mbit',
      'tc class add dev v1 parent 1:1 classid 1:20 htb rate 70mbit ceil 100mbit',
      'tc class replace dev v1 parent 1:1 classid 1:20 htb rate 60mbit ceil 100mbit',
      'tc qdisc add dev v1 parent 1:10 handle 10: fq_codel',
      'tc qdisc add dev v1 parent 1:20 handle 20: pfifo limit 100',
      'tc qdisc add dev lo root pfifo',
      'tc qdisc replace dev lo root bfifo limit 10k',
      'ip link add v2 type veth peer name v3',
      'tc qdisc add dev v2 root pfifo_fast',
      'tc qdisc del dev v2 root',
    );
    expect((dev(s, 'root', 'v0')?.qdisc as TbfQdisc).child).toMatchObject({ kind: 'fq_codel', handle: '10:' });
    expect(dev(s, 'root', 'v1')?.qdisc).toMatchObject({
      kind: 'htb',
      handle: '1:',
      defaultMinor: 0x20,
      classes: [
        { classid: '1:1', parent: '1:' },
        { classid: '1:10', parent: '1:1', rateBps: 30e6, qdisc: { kind: 'fq_codel', handle: '10:' } },
        { classid: '1:20', parent: '1:1', rateBps: 60e6, qdisc: { kind: 'pfifo', limit: 100, handle: '20:' } },
      ],
    });
    expect(dev(s, 'root', 'lo')?.qdisc).toEqual({ kind: 'bfifo', limit: 10240 });
    expect(dev(s, 'root', 'v2')).not.toHaveProperty('qdisc');
  });
});

describe('BPF commands', () => {
  it('replaces an XDP program with ip -force or bpftool overwrite, and detaches it with off', () => {
    const s = scenario(
      'ip link add v0 type veth peer name v1',
      'ip link set dev v0 xdp obj ../fixtures/tail_chain.o sec xdp',
      'ip -force link set dev v0 xdp obj ../fixtures/xdp_proto_count.o sec xdp',
      'ip link set dev v1 xdpgeneric obj ../fixtures/xdp_proto_count.o',
      'ip link set dev v1 xdpgeneric off',
    );
    expect(s.programs).toEqual([{ object: '../fixtures/xdp_proto_count.o', section: 'xdp', program: 'xdp_proto_count', attach: { host: 'root', dev: 'v0', hook: 'xdp' } }]);
    expect(s.objects.map((o) => o.id)).toEqual(['../fixtures/xdp_proto_count.o']);
  });

  it('takes the first program of a section, or the one named', () => {
    const s = scenario(
      'ip link add v0 type veth peer name v1',
      'tc qdisc add dev v0 clsact',
      'tc filter add dev v0 ingress bpf da obj ../fixtures/tc_nat.o sec tc',
      'tc filter add dev v0 egress prio 5 bpf da obj ../fixtures/tc_nat.o sec tc program tc_snat',
      'ip link set dev v1 xdpgeneric obj ../fixtures/tail_chain.o program stage_two',
    );
    expect(s.programs.map((p) => `${p.program}@${p.attach?.hook}`)).toEqual(['tc_dnat@tc-ingress', 'tc_snat@tc-egress', 'stage_two@xdp-generic']);
    expect(s.programs[1].attach).toEqual({ host: 'root', dev: 'v0', hook: 'tc-egress', priority: 5, directAction: true });
  });

  it('loads with bpftool, pins, fills maps and prog arrays, attaches pinned programs', () => {
    const s = scenario(
      'ip netns add h1',
      'ip -n h1 link add v0 type veth peer name v1',
      'bpftool prog loadall ../fixtures/tail_chain.o /sys/fs/bpf/chain pinmaps /sys/fs/bpf/chain/maps',
      'bpftool map update pinned /sys/fs/bpf/chain/maps/hops key 1 0 0 0 value hex 05 00 00 00 00 00 00 00',
      'bpftool map update pinned /sys/fs/bpf/chain/maps/chain key hex 05 00 00 00 value pinned /sys/fs/bpf/chain/stage_one',
      'ip -n h1 link set dev v0 xdp pinned /sys/fs/bpf/chain/chain_entry',
      'bpftool prog load ../fixtures/tc_nat.o /sys/fs/bpf/nat type classifier pinmaps /sys/fs/bpf/natmaps',
      'bpftool map update name dnat_table key hex 0a 00 00 64 00 50 06 00 value hex 0a 00 01 02 1f 90 00 00',
      'ip netns exec h1 tc qdisc add dev v1 clsact',
      'ip netns exec h1 tc filter add dev v1 ingress bpf da pinned /sys/fs/bpf/nat',
      'ip netns exec h1 bpftool net attach xdpgeneric pinned /sys/fs/bpf/chain/stage_two dev v1',
    );
    expect(s.objects.map((o) => [o.id, o.pinDir, o.pinMaps])).toEqual([
      ['../fixtures/tail_chain.o', '/sys/fs/bpf/chain', '/sys/fs/bpf/chain/maps'],
      ['../fixtures/tc_nat.o', undefined, '/sys/fs/bpf/natmaps'],
    ]);
    expect(s.maps).toEqual([
      { object: '../fixtures/tail_chain.o', map: 'hops', entries: [{ key: { hex: '01000000' }, value: { hex: '0500000000000000' } }] },
      { object: '../fixtures/tc_nat.o', map: 'dnat_table', entries: [{ key: { hex: '0a00006400500600' }, value: { hex: '0a0001021f900000' } }] },
    ]);
    expect(s.tailCalls).toEqual([{ object: '../fixtures/tail_chain.o', map: 'chain', index: 5, program: { object: '../fixtures/tail_chain.o', program: 'stage_one' } }]);
    expect(s.programs).toEqual([
      { object: '../fixtures/tail_chain.o', program: 'chain_entry', section: 'xdp', attach: { host: 'h1', dev: 'v0', hook: 'xdp' } },
      // bpftool prog load pins the object's first program.
      { object: '../fixtures/tc_nat.o', program: 'tc_dnat', pin: '/sys/fs/bpf/nat', section: 'tc' },
      { object: '../fixtures/tc_nat.o', program: 'tc_dnat', section: 'tc', attach: { host: 'h1', dev: 'v1', hook: 'tc-ingress', directAction: true } },
      { object: '../fixtures/tail_chain.o', program: 'stage_two', section: 'xdp', attach: { host: 'h1', dev: 'v1', hook: 'xdp-generic' } },
    ]);
  });

  it('finds maps that an object pins by name where ip, tc and bpftool put them', () => {
    for (const pin of ['/sys/fs/bpf/blocked_ports', '/sys/fs/bpf/tc/globals/blocked_ports', '/sys/fs/bpf/xdp/globals/blocked_ports']) {
      const s = scenario('ip link add v0 type veth peer name v1', 'ip link set dev v0 xdp obj ../fixtures/maps_user.o sec xdp', `bpftool map update pinned ${pin} key hex 00 16 value hex 01`);
      expect(s.maps).toEqual([{ object: '../fixtures/maps_user.o', map: 'blocked_ports', entries: [{ key: { hex: '0016' }, value: { hex: '01' } }] }]);
    }
  });

  it('attaches sk programs to a sockmap of their object', () => {
    const s = scenario('bpftool prog loadall ../fixtures/sections.o /sys/fs/bpf/s pinmaps /sys/fs/bpf/s/maps', 'bpftool prog attach pinned /sys/fs/bpf/s/sec_stream_verdict stream_verdict pinned /sys/fs/bpf/s/maps/sock_map');
    expect(s.programs).toEqual([{ object: '../fixtures/sections.o', program: 'sec_stream_verdict', section: 'sk_skb/stream_verdict', attach: { host: 'root', hook: 'sk-skb-verdict', map: 'sock_map' } }]);
  });

  it('checks pinned paths, map sizes and prog-array keys', () => {
    expect(
      errorsOf(
        y(
          'name: t',
          'duration: 1ms',
          'steps:',
          '  - bpftool prog loadall ../fixtures/tail_chain.o /sys/fs/bpf/c pinmaps /sys/fs/bpf/c/maps',
          '  - bpftool map update pinned /sys/fs/bpf/c/maps/nope key 0 value 0',
          '  - bpftool map update pinned /sys/fs/bpf/c/maps/hops key 0 value 0',
          '  - bpftool map update pinned /sys/fs/bpf/c/maps/chain key 0 0 value pinned /sys/fs/bpf/c/stage_one',
          '  - bpftool map update pinned /sys/fs/bpf/c/maps/chain key 0 0 0 0 value pinned /sys/fs/bpf/c/nope',
          '  - bpftool prog loadall ../fixtures/tail_chain.o /sys/fs/bpf/d',
          '  - bpftool prog load ../fixtures/tail_chain.c /sys/fs/bpf/e',
          '  - bpftool map update name proto_count key 0 value 0',
        ),
      ),
    ).toEqual([
      '5:31: steps[1]: no map "nope" in ../fixtures/tail_chain.o (maps pinned at /sys/fs/bpf/c/maps: chain, hops)\n  in: bpftool map update pinned /sys/fs/bpf/c/maps/nope key 0 value 0',
      '6:59: steps[2]: key has 1 byte (the map\'s key_size is 4)',
      '6:67: steps[2]: value has 1 byte (the map\'s value_size is 8)',
      '7:60: steps[3]: a prog array key is 4 bytes (a u32 index), got 2\n  in: bpftool map update pinned /sys/fs/bpf/c/maps/chain key 0 0 value pinned /sys/fs/bpf/c/stage_one',
      '8:74: steps[4]: no program "nope" in ../fixtures/tail_chain.o (loaded at /sys/fs/bpf/c; programs: stage_one, stage_two, chain_entry)\n  in: bpftool map update pinned /sys/fs/bpf/c/maps/chain key 0 0 0 0 value pinned /sys/fs/bpf/c/nope',
      '9:51: steps[5]: ../fixtures/tail_chain.o is already loaded with its programs at /sys/fs/bpf/c; chainlab loads an object once\n  in: bpftool prog loadall ../fixtures/tail_chain.o /sys/fs/bpf/d',
      '10:23: steps[6]: "../fixtures/tail_chain.c" is C source: write "source: ../fixtures/tail_chain.c" (chainlab compiles it with clang) or give the built .o\n  in: bpftool prog load ../fixtures/tail_chain.c /sys/fs/bpf/e',
      '11:29: steps[7]: no loaded object has a map "proto_count"\n  in: bpftool map update name proto_count key 0 value 0',
    ]);
  });
});
