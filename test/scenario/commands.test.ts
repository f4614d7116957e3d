/**
 * The command parser (src/scenario/commands): every form chainlab understands, as data, and
 * every syntax error with its message and the column it points at.
 */
import { describe, expect, it } from 'vitest';
import { parseCommand, SUPPORTED_COMMANDS } from '../../src/scenario/commands/index.ts';
import { tokenize } from '../../src/scenario/commands/tokenize.ts';

type Case = [command: string, ops: unknown[]];

const ok = (cmd: string): unknown[] => {
  const r = parseCommand(cmd);
  if (!r.ok) throw new Error(`${cmd}: ${r.error}`);
  return r.ops;
};

describe('tokenize', () => {
  it.each([
    ['ip link set dev eth0 up', ['ip', 'link', 'set', 'dev', 'eth0', 'up']],
    ["tc filter add dev 'a b' ingress", ['tc', 'filter', 'add', 'dev', 'a b', 'ingress']],
    ['bpftool map update name "m" key 1', ['bpftool', 'map', 'update', 'name', 'm', 'key', '1']],
    ['ip link set eth0 up # bring it up', ['ip', 'link', 'set', 'eth0', 'up']],
    ['ip a\\ b', ['ip', 'a b']],
  ])('%s', (text, words) => {
    const t = tokenize(text);
    expect(t.ok && t.tokens.map((x) => x.text)).toEqual(words);
  });

  it.each([
    ['ip link set $DEV up', '"$" would need a shell', 12],
    ['ip link show | grep eth0', '"|" would need a shell', 13],
    ['ip netns add a; ip netns add b', '";" would need a shell', 14],
    ["ip link set 'eth0 up", 'unterminated single quote', 12],
    ['ip link set "eth0 up', 'unterminated double quote', 12],
    ['echo `id`', '"`" would need a shell', 5],
  ])('refuses shell syntax: %s', (text, msg, offset) => {
    const t = tokenize(text);
    expect(t.ok).toBe(false);
    if (!t.ok) {
      expect(t.error).toContain(msg);
      expect(t.offset).toBe(offset);
    }
  });
});

describe('ip', () => {
  const cases: Case[] = [
    ['ip netns add h1', [{ op: 'netns-add', name: 'h1' }]],
    ['ip netns del h1', [{ op: 'netns-del', name: 'h1' }]],
    ['ip netns delete h1', [{ op: 'netns-del', name: 'h1' }]],
    ['sudo ip netns add h1', [{ op: 'netns-add', name: 'h1' }]],
    ['/usr/sbin/ip netns add h1', [{ op: 'netns-add', name: 'h1' }]],
    [
      'ip link add veth0 type veth peer name veth1',
      [{ op: 'veth-add', ns: undefined, name: 'veth0', peer: 'veth1', peerNs: undefined, opts: {}, peerOpts: {} }],
    ],
    ['ip link add name veth0 type veth peer veth1', [{ op: 'veth-add', name: 'veth0', peer: 'veth1' }]],
    ['ip link add veth0 type veth peer name veth1 netns h2', [{ op: 'veth-add', name: 'veth0', peer: 'veth1', peerNs: 'h2' }]],
    ['ip -n h1 link add veth0 type veth peer name veth1 netns h2', [{ op: 'veth-add', ns: 'h1', peerNs: 'h2' }]],
    ['ip -n h1 link add veth0 type veth peer name veth1', [{ op: 'veth-add', ns: 'h1', peerNs: 'h1' }]],
    [
      'ip link add veth0 address 02:00:00:00:00:0A mtu 9000 numrxqueues 4 numtxqueues 2 type veth peer name veth1 address 02:00:00:00:00:0b',
      [{ op: 'veth-add', opts: { mac: '02:00:00:00:00:0a', mtu: 9000, rxQueues: 4, txQueues: 2 }, peerOpts: { mac: '02:00:00:00:00:0b' } }],
    ],
    ['ip link add veth0 netns h1 type veth peer name veth1 netns h2', [{ op: 'veth-add', ns: 'h1', peerNs: 'h2' }]],
    ['ip link add br0 type bridge', [{ op: 'bridge-add', name: 'br0' }]],
    ['ip link del veth0', [{ op: 'link-del', dev: 'veth0' }]],
    ['ip link delete dev veth0', [{ op: 'link-del', dev: 'veth0' }]],
    ['ip link set dev eth0 up', [{ op: 'link-set', dev: 'eth0', up: true }]],
    ['ip link set eth0 down', [{ op: 'link-set', dev: 'eth0', up: false }]],
    ['ip l s eth0 up', [{ op: 'link-set', dev: 'eth0', up: true }]],
    ['ip link set dev eth1 master br0', [{ op: 'link-set', dev: 'eth1', master: 'br0' }]],
    ['ip link set dev eth1 nomaster', [{ op: 'link-set', dev: 'eth1', master: null }]],
    ['ip link set dev veth1 netns h2', [{ op: 'link-set', dev: 'veth1', netns: 'h2' }]],
    ['ip link set dev eth0 address 02:00:00:00:00:01 mtu 1400 up', [{ op: 'link-set', mac: '02:00:00:00:00:01', mtu: 1400, up: true }]],
    ['ip link set dev eth0 xdp obj lb.o sec xdp', [{ op: 'xdp', dev: 'eth0', hook: 'xdp', prog: { kind: 'object', file: 'lb.o', section: 'xdp' } }]],
    ['ip link set dev eth0 xdpdrv obj lb.o', [{ op: 'xdp', hook: 'xdp', prog: { kind: 'object', file: 'lb.o' } }]],
    ['ip link set dev eth0 xdpgeneric object lb.o section xdp program lb_main verbose', [{ op: 'xdp', hook: 'xdp-generic', prog: { kind: 'object', file: 'lb.o', section: 'xdp', program: 'lb_main' } }]],
    ['ip link set dev eth0 xdp pinned /sys/fs/bpf/lb/xdp_lb', [{ op: 'xdp', prog: { kind: 'pinned', path: '/sys/fs/bpf/lb/xdp_lb' } }]],
    ['ip link set dev eth0 xdp off', [{ op: 'xdp', hook: 'xdp', prog: null }]],
    ['ip link set dev eth0 xdpgeneric off', [{ op: 'xdp', hook: 'xdp-generic', prog: null }]],
    ['ip link set dev eth0 up xdp obj lb.o', [{ op: 'xdp' }, { op: 'link-set', up: true }]],
    ['ip addr add 10.0.0.1/24 dev eth0', [{ op: 'addr', mode: 'add', dev: 'eth0', cidr: '10.0.0.1/24' }]],
    ['ip a a 10.0.0.1/24 dev eth0', [{ op: 'addr', mode: 'add', cidr: '10.0.0.1/24' }]],
    ['ip address add dev eth0 local 10.0.0.1', [{ op: 'addr', cidr: '10.0.0.1/32' }]],
    ['ip -6 addr add FD00::0001/64 dev eth0', [{ op: 'addr', cidr: 'fd00::1/64' }]],
    ['ip addr del 10.0.0.1/24 dev eth0', [{ op: 'addr', mode: 'del' }]],
    ['ip addr replace 10.0.0.1/16 dev eth0', [{ op: 'addr', mode: 'replace', cidr: '10.0.0.1/16' }]],
    ['ip route add 10.0.1.0/24 via 10.0.0.2 dev eth0', [{ op: 'route', mode: 'add', route: { family: 4, dst: '10.0.1.0/24', via: '10.0.0.2', dev: 'eth0', metric: 0 } }]],
    ['ip r add default via 10.0.0.1', [{ op: 'route', route: { family: 4, dst: '0.0.0.0/0', via: '10.0.0.1' } }]],
    ['ip route add default via fd00::1', [{ op: 'route', route: { family: 6, dst: '::/0', via: 'fd00::1', metric: 1024 } }]],
    ['ip -6 route add default dev eth0', [{ op: 'route', route: { family: 6, dst: '::/0', dev: 'eth0' } }]],
    ['ip route add 10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.0.1 metric 100', [{ op: 'route', route: { dst: '10.0.2.0/24', dev: 'eth0', src: '10.0.0.1', metric: 100 } }]],
    ['ip route replace 10.0.1.0/24 via 10.0.0.3', [{ op: 'route', mode: 'replace' }]],
    ['ip route del 10.0.1.0/24', [{ op: 'route', mode: 'del', route: { dst: '10.0.1.0/24' } }]],
    ['ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0', [{ op: 'neigh', mode: 'add', ip: '10.0.0.2', lladdr: '02:00:00:00:00:02', dev: 'eth0' }]],
    ['ip neighbour add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent', [{ op: 'neigh', ip: '10.0.0.2' }]],
    ['ip n replace 10.0.0.2 lladdr 02:00:00:00:00:03 dev eth0', [{ op: 'neigh', mode: 'replace' }]],
    ['ip neigh del 10.0.0.2 dev eth0', [{ op: 'neigh', mode: 'del' }]],
    ['ip netns exec h1 ip link set lo up', [{ op: 'link-set', ns: 'h1', dev: 'lo', up: true }]],
    ['ip netns exec h1 tc qdisc add dev eth0 clsact', [{ op: 'clsact', ns: 'h1', dev: 'eth0' }]],
    ['ip netns exec h1 sysctl -w net.ipv4.ip_forward=1', [{ op: 'sysctl', ns: 'h1', key: 'ipv4', value: true }]],
    ['ip -netns h1 addr add 10.0.0.1/24 dev eth0', [{ op: 'addr', ns: 'h1' }]],
  ];
  it.each(cases)('%s', (cmd, ops) => {
    expect(ok(cmd)).toMatchObject(ops);
  });
});

describe('tc', () => {
  const cases: Case[] = [
    ['tc qdisc add dev eth0 clsact', [{ op: 'clsact', del: false, dev: 'eth0' }]],
    ['tc qdisc del dev eth0 clsact', [{ op: 'clsact', del: true }]],
    ['tc -n h1 qdisc add dev eth0 clsact', [{ op: 'clsact', ns: 'h1' }]],
    [
      'tc qdisc add dev eth0 root tbf rate 1gbit burst 32k latency 50ms',
      [{ op: 'qdisc', dev: 'eth0', parent: 'root', replace: false, qdisc: { kind: 'tbf', rateBps: 1e9, burstBytes: 32768, latencyNs: 50e6 } }],
    ],
    ['tc qdisc replace dev eth0 root tbf rate 125000 buffer 1514 limit 3000', [{ op: 'qdisc', replace: true, qdisc: { kind: 'tbf', rateBps: 1e6, burstBytes: 1514, limitBytes: 3000 } }]],
    ['tc qdisc add dev eth0 root tbf rate 10mbps burst 10kb latency 70 peakrate 20mbit mtu 1514', [{ qdisc: { rateBps: 80e6, burstBytes: 10240, latencyNs: 70_000, peakrateBps: 20e6, mtuBytes: 1514 } }]],
    [
      'tc qdisc add dev eth0 root fq_codel',
      [{ qdisc: { kind: 'fq_codel', limit: 10240, flows: 1024, targetNs: 5e6, intervalNs: 100e6, ecn: true, memoryLimit: 32 << 20 } }],
    ],
    [
      'tc qdisc add dev eth0 root fq_codel limit 1000 flows 64 target 2ms interval 20ms quantum 300 ce_threshold 1ms memory_limit 4m noecn',
      [{ qdisc: { kind: 'fq_codel', limit: 1000, flows: 64, targetNs: 2e6, intervalNs: 20e6, quantum: 300, ceThresholdNs: 1e6, memoryLimit: 4 << 20, ecn: false } }],
    ],
    ['tc qdisc add dev eth0 root handle 1: htb default 20', [{ qdisc: { kind: 'htb', handle: '1:', defaultMinor: 0x20, r2q: 10, classes: [] } }]],
    ['tc qdisc add dev eth0 root pfifo limit 100', [{ qdisc: { kind: 'pfifo', limit: 100 } }]],
    ['tc qdisc add dev eth0 root bfifo limit 64k', [{ qdisc: { kind: 'bfifo', limit: 65536 } }]],
    ['tc qdisc add dev eth0 root pfifo_fast', [{ qdisc: { kind: 'pfifo_fast' } }]],
    ['tc qdisc add dev eth0 root noqueue', [{ qdisc: { kind: 'noqueue' } }]],
    ['tc qdisc add dev eth0 parent 1:10 handle 10: fq_codel', [{ op: 'qdisc', parent: '1:10', qdisc: { kind: 'fq_codel', handle: '10:' } }]],
    ['tc qdisc del dev eth0 root', [{ op: 'qdisc-del', dev: 'eth0' }]],
    [
      'tc class add dev eth0 parent 1: classid 1:10 htb rate 30mbit ceil 100mbit',
      [{ op: 'class', dev: 'eth0', cls: { classid: '1:10', parent: '1:', rateBps: 30e6, ceilBps: 100e6, prio: 0 } }],
    ],
    ['tc class add dev eth0 parent 1:1 classid 1:0a htb rate 1mbit burst 15k cburst 15k prio 1 quantum 1514', [{ cls: { classid: '1:a', parent: '1:1', ceilBps: 1e6, burstBytes: 15360, cburstBytes: 15360, prio: 1, quantum: 1514 } }]],
    [
      'tc filter add dev eth0 ingress bpf da obj nat.o sec tc',
      [{ op: 'filter', dev: 'eth0', dir: 'ingress', priority: undefined, directAction: true, prog: { kind: 'object', file: 'nat.o', section: 'tc' } }],
    ],
    ['tc filter add dev eth0 egress prio 10 bpf direct-action obj nat.o sec tc program tc_snat', [{ dir: 'egress', priority: 10, prog: { program: 'tc_snat' } }]],
    ['tc filter add dev eth0 ingress pref 3 protocol all bpf obj nat.o section tc da', [{ priority: 3, directAction: true }]],
    ['tc filter add dev eth0 ingress bpf obj nat.o sec tc name tc_snat', [{ directAction: false, prog: { program: 'tc_snat' } }]],
    ['tc filter add dev eth0 parent ffff:fff3 bpf da pinned /sys/fs/bpf/nat/tc_snat', [{ dir: 'egress', prog: { kind: 'pinned', path: '/sys/fs/bpf/nat/tc_snat' } }]],
  ];
  it.each(cases)('%s', (cmd, ops) => {
    expect(ok(cmd)).toMatchObject(ops);
  });
});

describe('bpftool and sysctl', () => {
  const cases: Case[] = [
    ['bpftool prog load x.o /sys/fs/bpf/p', [{ op: 'prog-load', all: false, file: 'x.o', path: '/sys/fs/bpf/p' }]],
    ['bpftool prog load x.o /sys/fs/bpf/p type xdp pinmaps /sys/fs/bpf/maps', [{ op: 'prog-load', pinMaps: '/sys/fs/bpf/maps' }]],
    ['bpftool prog loadall x.o /sys/fs/bpf/x pinmaps /sys/fs/bpf/x/maps', [{ op: 'prog-load', all: true, path: '/sys/fs/bpf/x' }]],
    ['bpftool -d prog loadall x.o /sys/fs/bpf/x', [{ op: 'prog-load', all: true }]],
    [
      'bpftool map update pinned /sys/fs/bpf/x key hex 01 00 00 00 value hex 0a 0b',
      [{ op: 'map-update', map: { pinned: '/sys/fs/bpf/x' }, key: Uint8Array.from([1, 0, 0, 0]), value: { bytes: Uint8Array.from([10, 11]) } }],
    ],
    ['bpftool map update pinned /sys/fs/bpf/x key 1 0 0 0 value 0x10 010 255 0 any', [{ key: Uint8Array.from([1, 0, 0, 0]), value: { bytes: Uint8Array.from([16, 8, 255, 0]) } }]],
    ['bpftool map update name dnat_table key hex 0a 00 00 01 00 50 06 00 value hex 0a 00 00 02 1f 90 00 00', [{ map: { name: 'dnat_table' } }]],
    ['bpftool map update pinned /sys/fs/bpf/t/maps/chain key 0 0 0 0 value pinned /sys/fs/bpf/t/stage_one', [{ value: { pinnedProg: '/sys/fs/bpf/t/stage_one' } }]],
    ['bpftool net attach xdp pinned /sys/fs/bpf/p dev eth0', [{ op: 'net-attach', hook: 'xdp', prog: '/sys/fs/bpf/p', dev: 'eth0' }]],
    ['bpftool net attach xdpgeneric pinned /sys/fs/bpf/p dev eth0 overwrite', [{ op: 'net-attach', hook: 'xdp-generic' }]],
    ['bpftool prog attach pinned /sys/fs/bpf/v stream_verdict pinned /sys/fs/bpf/m/sock_map', [{ op: 'sk-attach', hook: 'sk-skb-verdict', map: '/sys/fs/bpf/m/sock_map' }]],
    ['bpftool prog attach pinned /sys/fs/bpf/v msg_verdict pinned /sys/fs/bpf/m/sock_hash', [{ op: 'sk-attach', hook: 'sk-msg' }]],
    ['sysctl -w net.ipv4.ip_forward=1', [{ op: 'sysctl', key: 'ipv4', value: true }]],
    ['sysctl net/ipv6/conf/all/forwarding=0', [{ op: 'sysctl', key: 'ipv6', value: false }]],
    ['sysctl -w net.ipv4.ip_forward 1', [{ op: 'sysctl', value: true }]],
  ];
  it.each(cases)('%s', (cmd, ops) => {
    expect(ok(cmd)).toMatchObject(ops);
  });
});

describe('syntax errors point at the word', () => {
  /** `at` is the word the error points at (`before|word` when the word occurs earlier too). */
  const cases: [command: string, message: string, at: string][] = [
    ['iptables -A INPUT', 'unsupported command "iptables": chainlab parses ip, tc, bpftool and sysctl', 'iptables'],
    ['ip tunnel add t0 mode gre', '"ip tunnel" is not supported; chainlab understands:', 'tunnel'],
    ['ip rule add from all', '"ip rule" is not supported', 'rule'],
    ['ip -s link show', 'option "-s" is not supported (chainlab understands -n NS, -4, -6, -force)', '-s'],
    ['ip link show', '"ip link show" is not supported', 'show'],
    ['ip link add veth0 type vxlan id 5', 'link type "vxlan" is not supported (chainlab understands veth and bridge)', 'vxlan'],
    ['ip link add eth0 type dummy', 'a physical NIC is declared in hosts.<host>.devices with kind: nic', 'dummy'],
    ['ip link add veth0 type veth', 'a veth needs its peer named: "type veth peer name NAME"', 'type |veth'],
    ['ip link add veth0 txqueuelen 5 type veth peer name v1', '"txqueuelen" is not supported in ip link add', 'txqueuelen'],
    ['ip link set dev eth0 promisc on', '"promisc" is not supported in ip link set', 'promisc'],
    ['ip link set dev eth0', 'nothing to set on "eth0"', 'eth0'],
    ['ip link set dev eth0 address 01:00:5e', 'expected a MAC address like 02:00:00:00:00:01, got "01:00:5e"', '01:00:5e'],
    ['ip link set dev eth0 mtu big', 'expected an MTU, got "big"', 'big'],
    ['ip link set dev eth0 xdp', 'expected "obj FILE", "pinned PATH" or "off" after "xdp"', 'xdp'],
    ['ip link set dev eth0 xdp program x', 'expected "obj FILE", "pinned PATH" or "off" after "xdp", got "program"', 'program'],
    ['ip link set dev eth0 xdpoffload obj x.o', 'xdpoffload needs a SmartNIC', 'xdpoffload'],
    ['ip addr add 10.0.0.300/24 dev eth0', 'expected an address like 10.0.0.1/24 or fd00::1/64, got "10.0.0.300/24"', '10.0.0.300/24'],
    ['ip addr add 10.0.0.1/24', 'expected "dev NAME": an address belongs to a device', '10.0.0.1/24'],
    ['ip addr add 10.0.0.1/24 brd + dev eth0', '"brd" is not supported in ip addr', 'brd'],
    ['ip route add 10.0.1.1/24 via 10.0.0.2', '"10.0.1.1/24" has host bits set; the kernel wants the network, 10.0.1.0/24', '10.0.1.1/24'],
    ['ip route add 10.0.1.0/24', 'a route needs "via ADDR" or "dev NAME"', '10.0.1.0/24'],
    ['ip route add 10.0.1.0/24 via fd00::1', 'gateway fd00::1 is not IPv4 like the destination', 'fd00::1'],
    ['ip route add 10.0.1.0/24 via 10.0.0.2 table 100', '"table" is not supported in ip route', 'table'],
    ['ip route add blackhole 10.0.1.0/24', 'route type "blackhole" is not supported', 'blackhole'],
    ['ip -6 route add 10.0.1.0/24 dev eth0', '"10.0.1.0/24" is not an IPv6 prefix', '10.0.1.0/24'],
    ['ip neigh add 10.0.0.2 dev eth0', 'expected "lladdr MAC": a static neighbour needs its link-layer address', '10.0.0.2'],
    ['ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud reachable', 'nud "reachable" is not supported', 'reachable'],
    ['ip netns exec h1', 'expected a command after "ip netns exec h1"', 'h1'],
    ['ip netns exec h1 ping 10.0.0.1', 'unsupported command "ping"', 'ping'],
    ['ip netns exec h1 ip -n h2 link set lo up', '-n inside "ip netns exec h1" is ambiguous', '-n'],
    ['ip netns identify 123', '"ip netns identify" is not supported', '123'],
    ['tc qdisc add dev eth0 root netem delay 10ms', 'qdisc "netem" is not supported', 'netem'],
    ['tc qdisc add dev eth0 ingress', 'use "clsact"', 'ingress'],
    ['tc qdisc add dev eth0 tbf rate 1gbit burst 32k latency 1ms', 'expected "root" or "parent ID" before "tbf"', 'tbf'],
    ['tc qdisc add dev eth0 root tbf rate 1gbit burst 32k', 'tbf needs "limit" or "latency"', 'tbf'],
    ['tc qdisc add dev eth0 root tbf rate 1gbit burst 32k limit 1k latency 1ms', 'tbf: give "limit" or "latency", not both', 'tbf'],
    ['tc qdisc add dev eth0 root tbf rate fast burst 32k latency 1ms', 'expected a rate like "1gbit" or "100mbit", got "fast"', 'fast'],
    ['tc qdisc add dev eth0 root tbf rate 1gbit burst 32k latency soon', 'expected a time like "50ms" or "100us", got "soon"', 'soon'],
    ['tc qdisc add dev eth0 root fq_codel target', 'expected a value for target after "target"', 'target'],
    ['tc qdisc add dev eth0 root fq_codel pie', 'unexpected "pie" for fq_codel (options: limit, flows, target', 'pie'],
    ['tc qdisc add dev eth0 root pfifo_fast bands 3', 'pfifo_fast takes no options', 'bands'],
    ['tc qdisc add dev eth0 root handle 1 htb default z', 'expected a class minor id in hex like 20, got "z"', 'z'],
    ['tc class add dev eth0 parent 1: classid 1:10 htb ceil 1mbit', 'an htb class needs "rate R"', 'htb'],
    ['tc class add dev eth0 parent 1: classid 1:10 htb rate 2mbit ceil 1mbit', 'htb ceil (1000000 bit/s) is below the rate (2000000 bit/s)', 'htb'],
    ['tc class add dev eth0 parent 1: classid 10 htb rate 1mbit', 'expected a class id like "1:10", got "10"', '10'],
    ['tc filter add dev eth0 ingress u32 match ip dst 1.2.3.4', 'filter "u32" is not supported (chainlab runs bpf filters only)', 'u32'],
    ['tc filter add dev eth0 ingress protocol ip bpf da obj x.o', 'protocol "ip" is not modelled', 'protocol |ip'],
    ['tc filter add dev eth0 bpf da obj x.o', 'expected "ingress" or "egress" (a clsact hook)', 'bpf'],
    ['tc filter add dev eth0 ingress bpf da', 'expected "obj FILE" or "pinned PATH" after "bpf"', 'bpf'],
    ['tc filter add dev eth0 ingress bpf obj x.o classid 1:1', '"classid" is not modelled: use direct-action', 'classid'],
    ['tc filter add dev eth0 parent 1: bpf da obj x.o', 'chainlab attaches bpf filters to clsact only', '1:'],
    ['tc filter show dev eth0', '"tc filter show" is not supported', 'show'],
    ['tc actions add action drop', '"tc actions" is not supported', 'actions'],
    ['bpftool prog show', '"bpftool prog show" is not supported', 'show'],
    ['bpftool prog load x.o /sys/fs/bpf/p autoattach', '"autoattach" is not supported', 'autoattach'],
    ['bpftool prog load x.o /sys/fs/bpf/p type fancy', 'unknown program type "fancy"', 'fancy'],
    ['bpftool map update id 5 key 1 value 2', 'a map id belongs to a running kernel', 'id'],
    ['bpftool map update pinned /sys/fs/bpf/m key hex 1g value hex 00', 'expected a hex byte like 0a, got "1g"', '1g'],
    ['bpftool map update pinned /sys/fs/bpf/m key 256 value 0', 'expected a byte (0..255, or 0x..), got "256"', '256'],
    ['bpftool map update pinned /sys/fs/bpf/m key value 0', 'expected the key bytes', 'key'],
    ['bpftool map update pinned /sys/fs/bpf/m key 1 value 0 noexist', '"noexist" is not supported: preloaded entries are written with "any"', 'noexist'],
    ['bpftool map update pinned /sys/fs/bpf/m key 1 2', 'expected "value"', '2'],
    ['bpftool net attach tcx_ingress pinned /sys/fs/bpf/p dev eth0', 'tcx attachment is not supported', 'tcx_ingress'],
    ['bpftool net attach xdp id 3 dev eth0', 'a program id belongs to a running kernel', 'id'],
    ['bpftool cgroup attach /sys/fs/cgroup/x ingress pinned /sys/fs/bpf/p', 'cgroup attachment by command is not supported', 'cgroup'],
    ['sysctl -w net.core.somaxconn=10', 'sysctl "net.core.somaxconn" is not modelled', 'net.core.somaxconn=10'],
    ['sysctl -w net.ipv4.ip_forward=2', 'net.ipv4.ip_forward takes 0 or 1, got "2"', 'net.ipv4.ip_forward=2'],
  ];
  it.each(cases)('%s', (cmd, message, at) => {
    const r = parseCommand(cmd);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(message);
    const [before, word] = at.includes('|') ? at.split('|') : ['', at];
    expect(cmd.slice(r.offset).startsWith(word), `points at "${cmd.slice(r.offset)}"`).toBe(true);
    expect(r.offset).toBe(cmd.indexOf(before + word) + before.length);
  });

  it('lists every supported form once', () => {
    expect(new Set(SUPPORTED_COMMANDS).size).toBe(SUPPORTED_COMMANDS.length);
    expect(SUPPORTED_COMMANDS.length).toBeGreaterThan(15);
  });
});
