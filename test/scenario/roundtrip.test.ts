/**
 * One topology, three spellings — a block of commands, a list of command steps, structured
 * YAML — must give equal models.
 */
import { describe, expect, it } from 'vitest';
import { parse, withoutPositions, y } from './helpers.ts';

const HEAD = ['name: roundtrip', 'description: one topology, three spellings', 'seed: 9', 'duration: 5ms'];

const COMMANDS = [
  'ip netns add h1',
  'ip netns add h2',
  'ip -n h1 link set lo up',
  'ip -n h2 link set lo up',
  'ip -n h1 link add veth0 address 02:00:00:00:01:00 type veth peer name veth1 netns h2 address 02:00:00:00:02:00',
  'ip -n h1 link add br0 type bridge',
  'ip -n h1 link add veth2 numrxqueues 2 numtxqueues 2 type veth peer name veth3',
  'ip -n h1 link set veth2 master br0',
  'ip -n h1 addr add 10.0.0.1/24 dev veth0',
  'ip -n h1 addr add fd00::1/64 dev veth0',
  'ip -n h2 addr add 10.0.0.2/24 dev veth1',
  'ip -n h2 addr add 10.0.1.1/24 dev lo',
  'ip -n h1 link set dev veth0 up',
  'ip -n h1 link set dev br0 up',
  'ip -n h1 link set dev veth2 up',
  'ip -n h1 link set dev veth3 mtu 9000 up',
  'ip -n h2 link set dev veth1 up',
  'ip -n h1 route add 10.0.1.0/24 via 10.0.0.2 dev veth0',
  'ip -n h1 -6 route add default via fd00::2 metric 7',
  'ip -n h1 neigh add 10.0.0.2 lladdr 02:00:00:00:02:00 dev veth0',
  'ip netns exec h2 sysctl -w net.ipv4.ip_forward=1',
  'tc -n h1 qdisc add dev veth0 root tbf rate 1gbit burst 32k latency 50ms',
  'tc -n h1 qdisc add dev veth3 root handle 1: htb default 20',
  'tc -n h1 class add dev veth3 parent 1: classid 1:20 htb rate 30mbit ceil 100mbit',
  'tc -n h1 qdisc add dev veth3 parent 1:20 fq_codel target 2ms',
  'tc -n h2 qdisc add dev veth1 clsact',
  'tc -n h2 filter add dev veth1 ingress prio 1 bpf da obj ../fixtures/tc_nat.o sec tc',
  'tc -n h2 filter add dev veth1 egress bpf da obj ../fixtures/tc_nat.o sec tc program tc_snat',
  'ip -n h2 link set dev veth1 xdp obj ../fixtures/xdp_proto_count.o sec xdp',
  'bpftool map update name dnat_table key hex 0a 00 00 64 00 50 06 00 value hex 0a 00 01 01 1f 90 00 00',
];

const TAIL = ['expect:', '  - { counter: h2/veth1/xdp/XDP_DROP, op: ">=", value: 1 }', '  - { map: proto_count, key: 5, value: 1, op: ">=" }'];

const STRUCTURED = y(
  ...HEAD,
  'hosts:',
  '  h1:',
  '    devices:',
  '      veth0:',
  '        kind: veth',
  '        peer: h2/veth1',
  '        mac: 02:00:00:00:01:00',
  '        addresses: [10.0.0.1/24, fd00::1/64]',
  '        qdisc: { kind: tbf, rate: 1gbit, burst: 32k, latency: 50ms }',
  '      br0: { kind: bridge }',
  '      veth2: { kind: veth, peer: veth3, master: br0, rxQueues: 2, txQueues: 2 }',
  '      veth3:',
  '        kind: veth',
  '        mtu: 9000',
  '        qdisc:',
  '          kind: htb',
  '          handle: "1:"',
  '          default: 20',
  '          classes:',
  '            - { classid: "1:20", rate: 30mbit, ceil: 100mbit, qdisc: { kind: fq_codel, target: 2ms } }',
  '    routes:',
  '      - { dst: 10.0.1.0/24, via: 10.0.0.2, dev: veth0 }',
  '      - { dst: default, via: "fd00::2", metric: 7 }',
  '    neighbours:',
  '      - { ip: 10.0.0.2, lladdr: "02:00:00:00:02:00", dev: veth0 }',
  '  h2:',
  '    forwarding: { ipv4: true }',
  '    devices:',
  '      lo: { addresses: [10.0.1.1/24] }',
  '      veth1: { kind: veth, peer: h1/veth0, mac: "02:00:00:00:02:00", addresses: [10.0.0.2/24] }',
  'programs:',
  '  - { object: ../fixtures/tc_nat.o, section: tc, attach: { host: h2, dev: veth1, hook: tc-ingress, priority: 1 } }',
  '  - { object: ../fixtures/tc_nat.o, program: tc_snat, attach: h2/veth1/tc-egress }',
  '  - { object: ../fixtures/xdp_proto_count.o, attach: h2/veth1/xdp }',
  'maps:',
  '  - map: dnat_table',
  '    entries:',
  '      - key: { addr: 10.0.0.100, port: 80, proto: 6 }',
  '        value: { addr: 10.0.1.1, port: 8080 }',
  ...TAIL,
);

describe('round trip', () => {
  const block = parse(y(...HEAD, 'steps: |', ...COMMANDS.map((c) => `  ${c}`), ...TAIL));
  const list = parse(y(...HEAD, 'steps:', ...COMMANDS.map((c) => `  - ${JSON.stringify(c)}`), ...TAIL));
  const structured = parse(STRUCTURED);

  it('command steps as a block and as a list give the same model', () => {
    expect(withoutPositions(list)).toEqual(withoutPositions(block));
  });

  it('commands and structured YAML give the same model', () => {
    expect(withoutPositions(structured)).toEqual(withoutPositions(block));
  });

  it('the model is what the commands say', () => {
    expect(block.hosts.map((h) => [h.name, h.devices.map((d) => d.name)])).toEqual([
      ['h1', ['lo', 'veth0', 'br0', 'veth2', 'veth3']],
      ['h2', ['lo', 'veth1']],
    ]);
    expect(block.programs.map((p) => `${p.program}@${p.attach?.host}/${p.attach?.dev}/${p.attach?.hook}`)).toEqual([
      'tc_dnat@h2/veth1/tc-ingress',
      'tc_snat@h2/veth1/tc-egress',
      'xdp_proto_count@h2/veth1/xdp',
    ]);
    expect(block.maps[0].entries[0]).toEqual({ key: { hex: '0a00006400500600' }, value: { hex: '0a0001011f900000' } });
  });

  it('keeps expectation positions', () => {
    expect(block.expect[0].at.line).toBe(HEAD.length + 1 + COMMANDS.length + 2);
    expect(structured.expect[1].at).toEqual({ file: structured.file, line: STRUCTURED.split('\n').indexOf(TAIL[2]) + 1, col: 5 });
  });
});
