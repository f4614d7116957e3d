/**
 * Scenario files (src/scenario/parse.ts): every error names the file position and key path and
 * says what was expected — YAML syntax, the schema, commands as they run, and cross-references —
 * and the model comes out with the kernel's defaults filled in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario, ScenarioError } from '../../src/scenario/parse.ts';
import type { FqCodelQdisc, HtbQdisc, NicDevice, TbfQdisc, VethDevice } from '../../src/scenario/model.ts';
import { errorsOf, FILE, parse, y } from './helpers.ts';
import { join } from 'node:path';

/** The checkout this test runs in (messages name absolute paths). */
const REPO = join(import.meta.dirname, '..', '..');

/** [what, scenario text, every message as "line:col: path: message"]. */
const ERRORS: [string, string, string[]][] = [
  [
    'syntax flow',
    y(
      'name: t',
      'duration: 10ms',
      'hosts: { h1: { devices: [ }',
    ),
    [
      "3:27: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "3:28: Flow map in block collection must be sufficiently indented and end with a }",
    ],
  ],
  [
    'syntax indent',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      ' devices: {}',
    ),
    [
      "4:6: All mapping items must start at the same column",
    ],
  ],
  [
    'dup key',
    y(
      'name: t',
      'duration: 10ms',
      'seed: 1',
      'seed: 2',
    ),
    [
      "4:1: Map keys must be unique",
    ],
  ],
  [
    'op unquoted',
    y(
      'name: t',
      'duration: 10ms',
      'expect:',
      '  - counter: h1/eth0/x',
      '    op: >=',
      '    value: 1',
    ),
    [
      "5:10: Block scalar header includes extra characters: >= (quote comparison operators, e.g. op: \">=\")",
    ],
  ],
  [
    'empty',
    y(
      '',
    ),
    [
      "1:1: the scenario is empty: expected a mapping with at least name and duration",
    ],
  ],
  [
    'not mapping',
    y(
      '- a',
      '- b',
    ),
    [
      "1:1: expected a mapping, got a list",
    ],
  ],
  [
    'tab',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '\th1: {}',
    ),
    [
      "4:1: Tabs are not allowed as indentation",
    ],
  ],
  [
    'unknown top',
    y(
      'name: t',
      'duration: 10ms',
      'hostz: {}',
    ),
    [
      "3:1: hostz: unknown key \"hostz\" (expected one of: name, description, seed, duration, cpus, hosts, links, programs, maps, tailCalls, traffic, expect, steps)",
    ],
  ],
  [
    'unknown nested',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, speed: 10gbit }',
    ),
    [
      "6:26: hosts.h1.devices.eth0.speed: unknown key \"speed\" (expected one of: kind, mac, mtu, up, master, addresses, qdisc, clsact, rate, rxQueues, txQueues, ring, rss, peer)",
    ],
  ],
  [
    'missing name',
    y(
      'duration: 10ms',
    ),
    [
      "1:1: name: missing (expected a string)",
    ],
  ],
  [
    'bad units',
    y(
      'name: t',
      'duration: 10',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, rate: 10gbps, ring: big, rss: [0, x] }',
    ),
    [
      "2:11: duration: expected a duration like \"10ms\" or \"50us\", got 10 (give a unit)",
      "6:32: hosts.h1.devices.eth0.rate: expected a bit rate like \"10gbit\" or \"100mbit\", got \"10gbps\" (tc reads \"gbps\" as bytes per second; write \"80gbit\" for the same rate in bits)",
      "6:46: hosts.h1.devices.eth0.ring: expected a ring size like 1024 or {rx: 1024, tx: 512}, got \"big\"",
      "6:60: hosts.h1.devices.eth0.rss[1]: expected a number, got \"x\"",
    ],
  ],
  [
    'bad traffic',
    y(
      'name: t',
      'duration: 10ms',
      'hosts: { h1: { devices: { eth0: { kind: nic } } } }',
      'traffic:',
      '  - kind: constant',
      '    from: h1/eth0',
      '    rate: fast',
      '    size: huge',
      '    flows: { n: 0, dist: pareto, template: { src: 10.0.0.256, dst: 10.0.0.2, sport: 70000 } }',
    ),
    [
      "7:11: traffic[0].rate: expected a rate like \"1mpps\" or \"10gbit\", got \"fast\"",
      "8:11: traffic[0].size: expected a frame size in bytes (14..65535), \"imix\" or {dist: [[bytes, weight], ...]}, got \"huge\"",
      "9:17: traffic[0].flows.n: expected a number ≥ 1, got 0",
      "9:26: traffic[0].flows.dist: expected one of \"uniform\", \"zipf\", \"roundRobin\", got \"pareto\"",
      "9:51: traffic[0].flows.template.src: expected an IP address or {base, count}, got \"10.0.0.256\"",
      "9:85: traffic[0].flows.template.sport: expected a number ≤ 65535, got 70000",
    ],
  ],
  [
    'bad expect',
    y(
      'name: t',
      'duration: 10ms',
      'expect:',
      '  - { counter: a/b/c, value: 1, op: "=>" }',
      '  - { latency: { p: 101, max: soon } }',
      '  - { nothing: 1 }',
      '  - { counter: a/b/c, delivered: {}, value: 1 }',
      '  - { counter: a/b/c, op: ~, value: 1 }',
    ),
    [
      "4:37: expect[0].op: expected one of \"==\", \"!=\", \">=\", \"<=\", \">\", \"<\", \"~\" (quote them in YAML), got \"=>\"",
      "5:21: expect[1].latency.p: expected a number ≤ 100, got 101",
      "5:31: expect[1].latency.max: expected a duration like \"10ms\" or \"50us\", got \"soon\"",
      "6:5: expect[2]: expected one of the keys counter, map, delivered, dropped, latency, path (what to check)",
      "7:5: expect[3]: one check per item: found counter and delivered",
      "8:27: expect[4].op: expected one of \"==\", \"!=\", \">=\", \"<=\", \">\", \"<\", \"~\" (quote them in YAML), got nothing (quote \"~\": YAML reads a bare ~ as null)",
    ],
  ],
  [
    'ambiguous bytes',
    y(
      'name: t',
      'duration: 10ms',
      'maps:',
      '  - map: m',
      '    entries:',
      '      - { key: 0001, value: "00" }',
    ),
    [
      "6:16: maps[0].entries[0].key: 0001 reads as the number 1: quote hex bytes (\"0001\") or write the integer without leading zeros",
    ],
  ],
  [
    'bad kind',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: ethernet }',
      '      eth1: { rate: 1gbit }',
    ),
    [
      "6:21: hosts.h1.devices.eth0.kind: expected one of \"nic\", \"veth\", \"lo\", \"bridge\", got \"ethernet\"",
    ],
  ],
  [
    'qdisc bad',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0:',
      '        kind: nic',
      '        qdisc: { kind: tbf, rate: 1gbit, burst: 32k }',
    ),
    [
      "8:16: hosts.h1.devices.eth0.qdisc: tbf needs \"limit\" or \"latency\" (tc refuses neither)",
    ],
  ],
  [
    'qdisc kind',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, qdisc: { kind: cake } }',
    ),
    [
      "6:41: hosts.h1.devices.eth0.qdisc.kind: expected one of \"pfifo_fast\", \"noqueue\", \"pfifo\", \"bfifo\", \"tbf\", \"fq_codel\", \"htb\", got \"cake\"",
    ],
  ],
  [
    'steps type',
    y(
      'name: t',
      'duration: 10ms',
      'steps: 5',
    ),
    [
      "3:8: steps: expected a list of steps, or a block of commands (steps: |), got 5",
    ],
  ],
  [
    'step item',
    y(
      'name: t',
      'duration: 10ms',
      'steps:',
      '  - { host: { name: h1 }, link: {} }',
      '  - 7',
    ),
    [
      "4:5: steps[0]: a step is a command string, or a mapping with one of the keys host, link, program, mapUpdate, tailCall",
      "5:5: steps[1]: expected a command string or a structured step, got 7",
    ],
  ],
  [
    'xref topology',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, master: br0 }',
      '      eth1: { rate: 1gbit }',
      '      v0: { kind: veth, peer: h9/v1 }',
      '      v1: { kind: veth, peer: v2, rss: [0] }',
      '      lo: { kind: lo, addresses: [127.0.0.2/8] }',
      '      lo2: { kind: lo }',
      '      nic2: { kind: nic, rss: [0, 3] }',
      '      averyveryverylongname: { kind: bridge }',
      '    routes:',
      '      - { dst: 10.1.0.0/24, via: 10.2.0.1 }',
      '      - { dst: 10.1.0.1/24, dev: eth0 }',
      '      - { dst: 10.3.0.0/24, dev: eth9 }',
      '    neighbours:',
      '      - { ip: 10.0.0.9, lladdr: 02:00:00:00:00:09, dev: eth7 }',
    ),
    [
      "6:34: hosts.h1.devices.eth0.master: no bridge \"br0\" in host \"h1\" (devices: lo, eth0)",
      "7:13: hosts.h1.devices.eth1: missing \"kind\" (one of: nic, veth, bridge, lo)",
      "8:31: hosts.h1.devices.v0.peer: no host \"h9\" for the peer (hosts: h1)",
      "9:40: hosts.h1.devices.v1.rss: \"rss\" applies to kind: nic, not veth",
      "11:12: hosts.h1.devices.lo2: the loopback device is named \"lo\" (each host has exactly one)",
      "12:35: hosts.h1.devices.nic2.rss[1]: CPU 3 does not exist: host \"h1\" has 1 CPU (0..0)",
      "13:30: hosts.h1.devices.averyveryverylongname: device name \"averyveryverylongname\" is longer than 15 characters (IFNAMSIZ)",
      "15:34: hosts.h1.routes[0].via: gateway 10.2.0.1 is not on a connected subnet of host \"h1\" (the kernel says: Nexthop has invalid gateway)",
      "16:16: hosts.h1.routes[1].dst: 10.1.0.1/24 has host bits set; the kernel wants the network, 10.1.0.0/24",
      "17:34: hosts.h1.routes[2].dev: no device \"eth9\" in host \"h1\" (devices: lo, eth0)",
      "19:57: hosts.h1.neighbours[0].dev: no device \"eth7\" in host \"h1\" (devices: lo, eth0)",
    ],
  ],
  [
    'links',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
      '  h2:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
      '      v: { kind: veth, peer: w }',
      'links:',
      '  - { a: h1/eth0, b: h2/eth0 }',
      '  - { a: h1/eth0, b: h1/v }',
      '  - { a: h1/eth0, b: h3/eth0 }',
      '  - { a: h2/eth1, b: h2/eth0 }',
    ),
    [
      "13:10: links[1].a: h1/eth0 is already wired by links[0]",
      "13:22: links[1].b: no device \"v\" in host \"h1\" (devices: lo, eth0)",
      "14:10: links[2].a: h1/eth0 is already wired by links[0]",
      "14:22: links[2].b: no host \"h3\" (hosts: h1, h2)",
      "15:10: links[3].a: no device \"eth1\" in host \"h2\" (devices: lo, eth0, v, w)",
      "15:22: links[3].b: h2/eth0 is already wired by links[0]",
    ],
  ],
  [
    'programs',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
      '  h2:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
      'programs:',
      '  - { object: ../fixtures/missing.o, attach: h1/eth0/xdp }',
      '  - { object: ../fixtures/tc_nat.o, source: x.c }',
      '  - { object: ../fixtures/tc_nat.o, program: tc_nope, attach: h1/eth0/tc-ingress }',
      '  - { object: ../fixtures/tc_nat.o, section: tcx, attach: h1/eth0/tc-ingress }',
      '  - { object: ../fixtures/tc_nat.o, program: tc_dnat, attach: h1/eth0/xdp }',
      '  - { object: ../fixtures/xdp_proto_count.o, attach: h1/eth9/xdp }',
      '  - { object: ../fixtures/xdp_proto_count.o, attach: h3/eth0/xdp }',
      '  - { object: ../fixtures/xdp_proto_count.o, attach: h1/xdp }',
      '  - { object: ../fixtures/xdp_proto_count.o, attach: h2/eth0/xdp }',
      '  - { object: ../fixtures/xdp_proto_count.o, attach: h2/eth0/xdp-generic }',
      '  - { object: ../fixtures/tc_nat.o, program: tc_dnat, attach: { host: h1, dev: eth0, hook: xdp-generic, priority: 3 } }',
      '  - { object: ../fixtures/xdp_proto_count.c }',
      '  - { source: ../fixtures/xdp_proto_count.o }',
      '  - { object: ../fixtures/sections.o, program: sec_xdp_devmap, attach: h1/lo/xdp-generic }',
      '  - { object: ../fixtures/sections.o, program: sec_stream_verdict, attach: { host: h1, hook: sk-skb-verdict } }',
      '  - { object: ../fixtures/sections.o, program: sec_stream_verdict, attach: { host: h1, hook: sk-skb-verdict, map: nope } }',
      '  - { object: ../fixtures/xdp_proto_count.o, pin: /tmp/p }',
    ),
    [
      `11:15: programs[0].object: object "../fixtures/missing.o" does not exist (looked for ${join(REPO, 'test', 'fixtures', 'missing.o')})`,
      "12:5: programs[1]: give one of \"object\" (a built .o) or \"source\" (a C file chainlab compiles)",
      "13:46: programs[2].program: no program \"tc_nope\" in ../fixtures/tc_nat.o (programs: tc_dnat (tc), tc_snat (tc))",
      "14:46: programs[3].section: no section \"tcx\" in ../fixtures/tc_nat.o (programs: tc_dnat (tc), tc_snat (tc))",
      "15:63: programs[4].attach: program \"tc_dnat\" (section \"tc\") is BPF_PROG_TYPE_SCHED_CLS; xdp runs BPF_PROG_TYPE_XDP",
      "16:54: programs[5].attach: no device \"eth9\" in host \"h1\" (devices: lo, eth0)",
      "17:54: programs[6].attach: no host \"h3\" (hosts: h1, h2)",
      "18:54: programs[7].attach: xdp programs attach to a device, e.g. \"h1/eth0/xdp\"",
      "20:54: programs[9].attach: h2/eth0 already runs an XDP program (xdp_proto_count); a device has one XDP program (chain more with tail calls)",
      "21:63: programs[10].attach: priority applies to tc hooks only",
      "22:15: programs[11].object: \"../fixtures/xdp_proto_count.c\" is C source: write \"source: ../fixtures/xdp_proto_count.c\" (chainlab compiles it with clang) or give the built .o",
      "23:15: programs[12].source: \"../fixtures/xdp_proto_count.o\" is used both as an object and as a C source",
      "24:72: programs[13].attach: program \"sec_xdp_devmap\" (section \"xdp/devmap\") runs inside a devmap entry, not on a device",
      "25:76: programs[14].attach: a sk-skb-verdict program attaches to a sockmap: add \"map: NAME\"",
      "26:76: programs[15].attach: no map \"nope\" in ../fixtures/sections.o (maps: sock_map, sock_hash)",
      "27:51: programs[16].pin: /tmp/p is not on bpffs: pins live under /sys/fs/bpf/",
    ],
  ],
  [
    'maps',
    y(
      'name: t',
      'duration: 10ms',
      'programs:',
      '  - { object: ../fixtures/tc_nat.o, program: tc_dnat }',
      '  - { object: ../fixtures/tail_chain.o, program: chain_entry }',
      'maps:',
      '  - map: dnat_table',
      '    entries:',
      '      - { key: "0a 00 00 01", value: "00" }',
      '      - { key: { addr: 10.0.0.1, port: 80, proto: 6, bogus: 1 }, value: 1 }',
      '      - { key: [1, 2, 3, 4, 5, 6, 7, 8], value: { addr: 10.0.0.2, port: 99999 } }',
      '  - { map: nomap, entries: [{ key: 1, value: 1 }] }',
      '  - { map: chain, entries: [{ key: 0, value: 1 }] }',
      '  - { pinned: /sys/fs/bpf/nowhere, entries: [{ key: 1, value: 1 }] }',
      '  - { map: hops, pinned: /sys/fs/bpf/x, entries: [{ key: 1, value: 1 }] }',
      '  - { map: hops, entries: [{ key: 1, value: { ifindex: h1/eth0 } }] }',
      'tailCalls:',
      '  - { map: hops, index: 0, program: stage_one }',
      '  - { map: chain, index: 8, program: stage_one }',
      '  - { map: chain, index: 1, program: nope }',
    ),
    [
      "9:16: maps[0].entries[0].key: key has 4 bytes (the map's key_size is 8)",
      "9:38: maps[0].entries[0].value: value has 1 byte (the map's value_size is 8)",
      "10:16: maps[0].entries[1].key: key: struct nat_key has no field \"bogus\" (fields: addr, port, proto, pad)",
      "11:49: maps[0].entries[2].value: value.port: 99999 does not fit in 2 bytes",
      "12:12: maps[1].map: no loaded object has a map \"nomap\" (objects: ../fixtures/tc_nat.o, ../fixtures/tail_chain.o)",
      "13:5: maps[2]: \"chain\" is a PROG_ARRAY: fill it with tailCalls (or \"bpftool map update ... value pinned PROG\")",
      "14:15: maps[3].pinned: no map is pinned at /sys/fs/bpf/nowhere; pin an object's maps with \"bpftool prog loadall OBJ DIR pinmaps MAPDIR\"",
      "15:5: maps[4]: give one of \"map\" (a map name) or \"pinned\" (its bpffs path)",
      "16:45: maps[5].entries[0].value: no host \"h1\" (hosts: none)",
      "18:12: tailCalls[0].map: \"hops\" is a BPF_MAP_TYPE_ARRAY; tail calls go through a PROG_ARRAY",
      "19:26: tailCalls[1].index: index 8 is past the end of \"chain\" (max_entries 8)",
      "20:38: tailCalls[2].program: no program \"nope\" in ../fixtures/tail_chain.o (programs: stage_one (xdp), stage_two (xdp), chain_entry (xdp))",
    ],
  ],
  [
    'traffic',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
      '  h2:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
      'traffic:',
      '  - { kind: constant, from: h1/eth9, rate: 1mpps, flows: { template: { src: 10.0.0.1, dst: 10.0.0.2 } } }',
      '  - { kind: poisson, from: h1/eth0, start: 5ms, stop: 2ms, rate: 1mpps, flows: { dist: zipf, template: { src: 10.0.0.1, dst: 10.0.0.2 } } }',
      '  - { kind: pcap, from: h1/eth0, pcap: nothere.pcap }',
      '  - { kind: pcap, from: h1/eth0, pcap: ../fixtures/Makefile }',
      '  - { name: traffic0, kind: onoff, from: h1/eth0, rate: 1mpps, on: 1ms, off: 1ms, flows: { s: 1, template: { src: 10.0.0.1, dst: 10.0.0.2, dport: { base: 65530, count: 11 } } } }',
    ),
    [
      "11:29: traffic[0].from: no device \"eth9\" in host \"h1\" (devices: lo, eth0)",
      "12:55: traffic[1].stop: stops at 2ms, not after its start (5ms)",
      "12:80: traffic[1].flows.s: a zipf distribution needs its exponent, e.g. s: 1.1",
      `13:40: traffic[2].pcap: capture "nothere.pcap" does not exist (looked for ${join(REPO, 'test', 'scenario', 'nothere.pcap')})`,
      "14:40: traffic[3].pcap: \"../fixtures/Makefile\" is not a pcap or pcapng file (magic 23204275)",
      "15:13: traffic[4].name: traffic name \"traffic0\" is used twice",
      "15:95: traffic[4].flows.s: \"s\" is the zipf exponent; it needs dist: zipf",
    ],
  ],
  [
    'expect',
    y(
      'name: t',
      'duration: 10ms',
      'hosts:',
      '  h1:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
      '  h2:',
      '    devices:',
      '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
      'expect:',
      '  - { counter: h1/eth0, value: 1 }',
      '  - { counter: h1/eth5/xdp/XDP_DROP, value: 1 }',
      '  - { delivered: { dev: eth0 }, count: 1 }',
      '  - { dropped: { host: h1, traffic: nope }, count: 1 }',
      '  - { map: nope, key: 1, value: 1 }',
      '  - { path: { packet: 1, hops: [h1/eth0/xdp, h2/eth7/tc-ingress] } }',
      '  - { counter: h1/eth0/x, value: 1, op: ">=", tolerance: 1 }',
      '  - { latency: { p: 99, max: 1ms, traffic: x } }',
    ),
    [
      "11:16: expect[0].counter: expected a counter like \"h1/eth0/xdp/XDP_DROP\" (host/device/name), got \"h1/eth0\"",
      "12:16: expect[1].counter: no device \"eth5\" in host \"h1\" (devices: lo, eth0)",
      "13:25: expect[2].delivered.dev: a device is named with its host: {host: h1, dev: eth0}",
      "14:37: expect[3].dropped.traffic: no traffic source \"nope\" (sources: none)",
      "15:12: expect[4].map: no loaded object has a map \"nope\"",
      "16:46: expect[5].path.hops[1]: no device \"eth7\" in host \"h2\" (devices: lo, eth0)",
      "17:58: expect[6].tolerance: a tolerance goes with op \"~\", not \">=\"",
      "18:44: expect[7].latency.traffic: no traffic source \"x\" (sources: none)",
    ],
  ],
  [
    'steps sem',
    y(
      'name: t',
      'duration: 10ms',
      'steps:',
      '  - ip netns add h1',
      '  - ip netns add h1',
      '  - ip -n h2 link set lo up',
      '  - ip -n h1 link add veth0 type veth peer name veth1',
      '  - ip -n h1 link add veth0 type veth peer name veth2',
      '  - ip -n h1 route add 10.0.1.0/24 via 10.0.0.2',
      '  - ip -n h1 addr add 10.0.0.1/24 dev veth0',
      '  - ip -n h1 route add 10.0.1.0/24 via 10.0.0.2 dev veth0',
      '  - ip -n h1 link set veth0 up',
      '  - "ip -n h1 addr add 10.0.0.1/24 dev veth0"',
      '  - tc -n h1 filter add dev veth0 ingress bpf da obj ../fixtures/tc_nat.o sec tc',
      '  - tc -n h1 qdisc add dev veth0 clsact',
      '  - tc -n h1 qdisc add dev veth0 clsact',
      '  - ip -n h1 link set dev lo xdpdrv obj ../fixtures/xdp_proto_count.o',
      '  - ip -n h1 link set dev veth0 xdpgeneric obj ../fixtures/xdp_proto_count.o',
      '  - ip -n h1 link set dev veth0 xdp obj ../fixtures/xdp_proto_count.o',
      '  - ip -n h1 link set dev veth1 master veth0',
      '  - ip -n h1 link del lo',
      '  - "tc -n h1 class add dev veth0 parent 1: classid 1:10 htb rate 1mbit"',
      '  - tc -n h1 qdisc add dev veth0 parent 1:10 fq_codel',
      '  - bpftool prog load ../fixtures/tc_nat.o /tmp/x',
      '  - bpftool map update pinned /sys/fs/bpf/t/maps/chain key 0 0 0 0 value pinned /sys/fs/bpf/t/x',
      '  - ip link set dev eth0 up',
    ),
    [
      "5:18: steps[1]: namespace \"h1\" already exists\n  in: ip netns add h1",
      "6:5: steps[2]: no namespace \"h2\" (namespaces: h1); add it first with \"ip netns add h2\"\n  in: ip -n h2 link set lo up",
      "8:23: steps[4]: device \"veth0\" already exists in host \"h1\" (File exists)\n  in: ip -n h1 link add veth0 type veth peer name veth2",
      "9:40: steps[5]: gateway 10.0.0.2 is not on a connected subnet of host \"h1\"; add an address in its subnet first (Nexthop has invalid gateway)\n  in: ip -n h1 route add 10.0.1.0/24 via 10.0.0.2",
      "11:53: steps[7]: veth0 is down: bring it up first (\"ip link set dev veth0 up\") (Network is down)\n  in: ip -n h1 route add 10.0.1.0/24 via 10.0.0.2 dev veth0",
      "13:24: steps[9]: 10.0.0.1 is already an address of veth0 (File exists)\n  in: ip -n h1 addr add 10.0.0.1/24 dev veth0",
      "14:35: steps[10]: veth0 has no clsact qdisc: add it first with \"tc qdisc add dev veth0 clsact\" (Parent Qdisc doesn't exists)\n  in: tc -n h1 filter add dev veth0 ingress bpf da obj ../fixtures/tc_nat.o sec tc",
      "16:34: steps[12]: veth0 already has a clsact qdisc (Exclusivity flag on, cannot modify)\n  in: tc -n h1 qdisc add dev veth0 clsact",
      "17:30: steps[13]: lo has no native XDP (Underlying driver does not support XDP in native mode); use xdpgeneric\n  in: ip -n h1 link set dev lo xdpdrv obj ../fixtures/xdp_proto_count.o",
      "19:33: steps[15]: veth0 already runs generic XDP; native and generic XDP cannot be active at once (detach with \"ip link set dev veth0 xdpgeneric off\")\n  in: ip -n h1 link set dev veth0 xdp obj ../fixtures/xdp_proto_count.o",
      "20:40: steps[16]: \"veth0\" is a veth, not a bridge\n  in: ip -n h1 link set dev veth1 master veth0",
      "21:23: steps[17]: lo cannot be deleted (Operation not supported)\n  in: ip -n h1 link del lo",
      "22:53: steps[18]: no htb qdisc with handle 1: on veth0: add one first (\"tc qdisc add dev veth0 root handle 1: htb ...\")\n  in: tc -n h1 class add dev veth0 parent 1: classid 1:10 htb rate 1mbit",
      "23:41: steps[19]: no parent 1:10 on veth0 (give the root qdisc a handle, e.g. \"root handle 1: tbf ...\")\n  in: tc -n h1 qdisc add dev veth0 parent 1:10 fq_codel",
      "24:44: steps[20]: /tmp/x is not on bpffs: pins live under /sys/fs/bpf/\n  in: bpftool prog load ../fixtures/tc_nat.o /tmp/x",
      "25:31: steps[21]: no map is pinned at /sys/fs/bpf/t/maps/chain; pin an object's maps with \"bpftool prog loadall OBJ DIR pinmaps MAPDIR\"\n  in: bpftool map update pinned /sys/fs/bpf/t/maps/chain key 0 0 0 0 value pinned /sys/fs/bpf/t/x",
      "26:21: steps[22]: no device \"eth0\" in the default namespace (host \"root\") (devices: lo)\n  in: ip link set dev eth0 up",
    ],
  ],
  [
    'steps block',
    y(
      'name: t',
      'duration: 10ms',
      'steps: |',
      '  ip netns add h1',
      '  # a comment',
      '',
      '  ip -n h1 link add v0 type veth \\',
      '      peer name v1',
      '  ip -n h1 link set dev v9 up',
      '  ip -n h1 link set dev v0 mtu 9',
    ),
    [
      "9:25: steps[2]: no device \"v9\" in host \"h1\" (devices: lo, v0, v1)\n  in: ip -n h1 link set dev v9 up",
      "10:25: steps[3]: mtu 9 is below IPv4's minimum of 68 (Invalid argument)\n  in: ip -n h1 link set dev v0 mtu 9",
    ],
  ],
];

describe('errors name the line, column and key path', () => {
  it.each(ERRORS)('%s', (_what, text, messages) => {
    expect(errorsOf(text)).toEqual(messages);
  });

  it('formats as file:line:col: path: message', () => {
    try {
      parseScenario(y('name: t', 'duration: 10ms', 'traffic:', '  - { kind: constant, from: h1/eth0, rate: fast }'), 'scenarios/lb.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as Error).message.split('\n')).toContain('scenarios/lb.yaml:4:44: traffic[0].rate: expected a rate like "1mpps" or "10gbit", got "fast"');
    }
  });

  it('names a file that cannot be read', () => {
    expect(() => loadScenarioFile('test/scenario/no-such.yaml')).toThrow('test/scenario/no-such.yaml:1:1: cannot read the scenario: no such file');
    expect(() => loadScenarioFile('test/scenario')).toThrow('cannot read the scenario: is a directory');
  });

  it('never fails with anything but a ScenarioError', () => {
    const pieces = ['name: t', 'duration: 10ms', 'hosts:', '  h1:', '    devices:', '      eth0: {kind: nic}', 'steps:', '  - ip link set', '  - tc qdisc add dev eth0 root tbf', '  - "bpftool map update pinned /sys/fs/bpf/x key 1 value 2"', 'traffic: [{}]', 'expect: [{map: m, key: 1}]', '- [', '{', ': :', '&a [*a]', '"\\u0000"', 'steps: |', '  ip netns add x \\'];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string()), { maxLength: 12 }), (lines) => {
        try {
          parseScenario(lines.join('\n'), FILE);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          for (const i of e.issues) expect(i.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('the model', () => {
  it('fills in defaults the kernel and chainlab would pick', () => {
    const s = parse(
      y(
        'name: defaults',
        'duration: 1ms',
        'cpus: 4',
        'hosts:',
        '  gen: {}',
        '  dut:',
        '    cpus: 2',
        '    forwarding: true',
        '    devices:',
        '      eth0: { kind: nic, rxQueues: 4, addresses: [10.0.0.1/24, "FD00::0001/64"] }',
        '      eth1: { kind: nic, rate: 1gbit, rss: [1, 0], ring: 512, txQueues: 8 }',
        '      veth0: { kind: veth, peer: gen/veth0 }',
        '      br0: { kind: bridge }',
        '      lo: { up: false }',
        '      eth2: { kind: nic, master: br0, qdisc: { kind: fq_codel, target: 1ms, ecn: false } }',
        '      eth3:',
        '        kind: nic',
        '        qdisc:',
        '          kind: htb',
        '          handle: "1:"',
        '          default: 20',
        '          classes:',
        '            - { classid: "1:1", rate: 100mbit }',
        '            - { classid: "1:20", parent: "1:1", rate: 30mbit, ceil: 100mbit, qdisc: { kind: pfifo, limit: 50 } }',
        '      eth4: { kind: nic, qdisc: { kind: tbf, rate: 1gbit, burst: 32k, latency: 50ms, child: { kind: fq_codel, handle: "10:" } } }',
        '    routes:',
        '      - { dst: default, via: 10.0.0.254 }',
        '      - { dst: "fd01::/64", via: "fd00::2", metric: 5 }',
        '    neighbours:',
        '      - { ip: 10.0.0.254, lladdr: "02:00:00:00:00:FE", dev: eth0 }',
      ),
    );
    expect(s).toMatchObject({ name: 'defaults', description: '', seed: 1, durationNs: 1_000_000, file: FILE });
    const [gen, dut] = s.hosts;
    expect(gen).toMatchObject({ name: 'gen', cpus: 4, forwarding: { ipv4: false, ipv6: false } });
    expect(gen.devices.map((d) => d.name)).toEqual(['lo', 'veth0']);
    expect(dut).toMatchObject({ cpus: 2, forwarding: { ipv4: true, ipv6: true } });
    expect(dut.devices.map((d) => `${d.kind}:${d.name}`)).toEqual(['lo:lo', 'nic:eth0', 'nic:eth1', 'veth:veth0', 'bridge:br0', 'nic:eth2', 'nic:eth3', 'nic:eth4']);
    const dev = (n: string) => dut.devices.find((d) => d.name === n)!;
    expect(dev('lo')).toMatchObject({ up: false, mtu: 65536 });
    expect(dev('eth0')).toEqual<NicDevice>({
      kind: 'nic', name: 'eth0', mtu: 1500, up: true, addresses: ['10.0.0.1/24', 'fd00::1/64'], clsact: false,
      rateBps: 10e9, rxQueues: 4, txQueues: 4, ring: { rx: 1024, tx: 1024 }, rssCpus: [0, 1, 0, 1],
    });
    expect(dev('eth1')).toMatchObject({ rateBps: 1e9, rxQueues: 2, txQueues: 8, ring: { rx: 512, tx: 512 }, rssCpus: [1, 0] });
    expect(dev('veth0')).toMatchObject<Partial<VethDevice>>({ kind: 'veth', up: true, peer: { host: 'gen', dev: 'veth0' } });
    expect(gen.devices[1]).toMatchObject({ kind: 'veth', peer: { host: 'dut', dev: 'veth0' } });
    expect(dev('eth2')).toMatchObject({ master: 'br0', qdisc: { kind: 'fq_codel', limit: 10240, flows: 1024, targetNs: 1e6, intervalNs: 100e6, ecn: false, memoryLimit: 32 << 20 } satisfies FqCodelQdisc });
    expect(dev('eth3').qdisc).toEqual<HtbQdisc>({
      kind: 'htb', handle: '1:', defaultMinor: 0x20, r2q: 10,
      classes: [
        { classid: '1:1', parent: '1:', rateBps: 100e6, ceilBps: 100e6, prio: 0 },
        { classid: '1:20', parent: '1:1', rateBps: 30e6, ceilBps: 100e6, prio: 0, qdisc: { kind: 'pfifo', limit: 50 } },
      ],
    });
    expect((dev('eth4').qdisc as TbfQdisc).child).toMatchObject({ kind: 'fq_codel', handle: '10:' });
    expect(dut.routes).toEqual([
      { family: 4, dst: '0.0.0.0/0', via: '10.0.0.254', metric: 0 },
      { family: 6, dst: 'fd01::/64', via: 'fd00::2', metric: 5 },
    ]);
    expect(dut.neighbours).toEqual([{ ip: '10.0.0.254', lladdr: '02:00:00:00:00:fe', dev: 'eth0' }]);
  });

  it('reads programs, map contents by BTF, tail calls, traffic and expectations', () => {
    const s = parse(
      y(
        'name: bpf',
        'duration: 10ms',
        'hosts:',
        '  h1:',
        '    devices:',
        '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
        '      eth1: { kind: nic }',
        'programs:',
        '  - { object: ../fixtures/tc_nat.o, program: tc_snat, attach: { host: h1, dev: eth0, hook: tc-egress, priority: 2 } }',
        '  - { object: ../fixtures/tc_nat.o, section: tc, attach: h1/eth0/tc-ingress }',
        '  - { object: ../fixtures/tail_chain.o, attach: { host: h1, dev: eth1, hook: xdp-generic }, program: chain_entry }',
        '  - { object: ../fixtures/xdp_proto_count.o, attach: h1/eth0/xdp }',
        'maps:',
        '  - object: ../fixtures/tc_nat.o',
        '    map: dnat_table',
        '    entries:',
        '      - key: { addr: 10.0.0.100, port: 80, proto: 6 }',
        '        value: { addr: 10.0.1.2, port: 8080 }',
        '      - { key: "0a 00 00 65 00 50 06 00", value: [10, 0, 1, 3, 0x1f, 0x90, 0, 0] }',
        '  - { map: hops, entries: [{ key: 3, value: 7 }, { key: 3, value: 9 }] }',
        'tailCalls:',
        '  - { map: chain, index: 5, program: stage_two }',
        'traffic:',
        '  - name: udp',
        '    kind: constant',
        '    from: h1/eth0',
        '    rate: 1mpps',
        '    start: 1ms',
        '    count: 10',
        '    flows: { n: 16, dist: zipf, s: 1.1, template: { src: { base: 10.0.1.1, count: 4 }, dst: 10.0.0.1, sport: 1000-1015, dport: 53 } }',
        '    size: imix',
        '  - { kind: onoff, from: h1/eth1, rate: 10gbit, on: 1ms, off: 2ms, flows: { template: { proto: tcp, src: "fd00::1", dst: "fd00::2" } } }',
        '  - { kind: poisson, from: { host: h1, dev: eth1 }, rate: 100kpps, size: { dist: [[60, 3], [1514, 1]] }, vlan: 7, dstMac: "02:00:00:00:00:09", flows: { template: { src: 1.1.1.1, dst: 2.2.2.2 } } }',
        '  - { kind: pcap, from: h1/eth1, pcap: ../../scenarios/pcaps/mixed.pcap, retime: 1mpps, loops: 2 }',
        'expect:',
        '  - { counter: h1/eth0/xdp/XDP_DROP, op: ">=", value: 10 }',
        '  - { counter: h1/eth0/xdp/XDP_PASS, value: 100, tolerance: "5%" }',
        '  - { map: proto_count, key: 5, value: 10 }',
        '  - { map: dnat_table, key: { addr: 10.0.0.100, port: 80, proto: 6 }, value: "0a 00 01 02 1f 90 00 00" }',
        '  - { map: hops, key: 0, absent: true }',
        '  - { delivered: { host: h1, traffic: udp, flow: "udp 10.0.1.1:1000 > 10.0.0.1:53" }, op: "~", count: 10, tolerance: 2 }',
        '  - { dropped: { host: h1, dev: eth0 }, reason: XDP_DROP, count: 0, op: ">" }',
        '  - { latency: { p: 99, max: 50us, traffic: udp } }',
        '  - { path: { packet: 3, traffic: udp, hops: [h1/eth0/xdp, h1/eth0/tc-ingress] } }',
      ),
    );
    expect(s.objects.map((o) => o.id)).toEqual(['../fixtures/tc_nat.o', '../fixtures/tail_chain.o', '../fixtures/xdp_proto_count.o']);
    expect(s.programs).toEqual([
      { object: '../fixtures/tc_nat.o', program: 'tc_snat', section: 'tc', attach: { host: 'h1', dev: 'eth0', hook: 'tc-egress', priority: 2, directAction: true } },
      { object: '../fixtures/tc_nat.o', program: 'tc_dnat', section: 'tc', attach: { host: 'h1', dev: 'eth0', hook: 'tc-ingress', directAction: true } },
      { object: '../fixtures/tail_chain.o', program: 'chain_entry', section: 'xdp', attach: { host: 'h1', dev: 'eth1', hook: 'xdp-generic' } },
      { object: '../fixtures/xdp_proto_count.o', program: 'xdp_proto_count', section: 'xdp', attach: { host: 'h1', dev: 'eth0', hook: 'xdp' } },
    ]);
    // A structured tc program brings its clsact qdisc with it.
    expect(s.hosts[0].devices[1].clsact).toBe(true);
    expect(s.maps).toEqual([
      {
        object: '../fixtures/tc_nat.o',
        map: 'dnat_table',
        entries: [
          // struct nat_key { __be32 addr; __be16 port; __u8 proto; __u8 pad; }: ports are big-endian by their typedef.
          { key: { hex: '0a00006400500600' }, value: { hex: '0a0001021f900000' } },
          { key: { hex: '0a00006500500600' }, value: { hex: '0a0001031f900000' } },
        ],
      },
      // A later entry with the same key replaces the earlier one; integers are little-endian.
      { object: '../fixtures/tail_chain.o', map: 'hops', entries: [{ key: { hex: '03000000' }, value: { hex: '0900000000000000' } }] },
    ]);
    expect(s.tailCalls).toEqual([{ object: '../fixtures/tail_chain.o', map: 'chain', index: 5, program: { object: '../fixtures/tail_chain.o', program: 'stage_two' } }]);
    expect(s.traffic[0]).toEqual({
      kind: 'constant', name: 'udp', from: { host: 'h1', dev: 'eth0' }, startNs: 1e6, count: 10, l2: {}, rate: { pps: 1e6 },
      flows: { count: 16, pick: { zipf: 1.1 }, protocol: 'udp', src: { base: '10.0.1.1', count: 4 }, dst: { base: '10.0.0.1', count: 1 }, sport: { base: 1000, count: 16 }, dport: { base: 53, count: 1 } },
      size: { kind: 'imix' },
    });
    expect(s.traffic[1]).toMatchObject({ kind: 'onoff', name: 'traffic1', rate: { bps: 10e9 }, onNs: 1e6, offNs: 2e6, size: { kind: 'fixed', bytes: 1514 }, flows: { protocol: 'tcp', pick: 'uniform', sport: { base: 10000, count: 50000 }, dport: { base: 5001, count: 1 } } });
    expect(s.traffic[2]).toMatchObject({ kind: 'poisson', l2: { vlan: 7, dstMac: '02:00:00:00:00:09' }, size: { kind: 'weighted', table: [[60, 3], [1514, 1]] } });
    expect(s.traffic[3]).toMatchObject({ kind: 'pcap', file: '../../scenarios/pcaps/mixed.pcap', timing: { pps: 1e6 }, loops: 2 });
    expect(s.expect.map((e) => e.kind)).toEqual(['counter', 'counter', 'map', 'map', 'map', 'delivered', 'dropped', 'latency', 'path']);
    expect(s.expect[0]).toEqual({ kind: 'counter', at: { file: FILE, line: 36, col: 5 }, counter: 'h1/eth0/xdp/XDP_DROP', host: 'h1', dev: 'eth0', name: ['xdp', 'XDP_DROP'], check: { op: '>=', value: 10 } });
    expect(s.expect[1]).toMatchObject({ check: { op: '~', value: 100, tolerance: { pct: 5 } } });
    expect(s.expect[2]).toMatchObject({ object: '../fixtures/xdp_proto_count.o', key: { hex: '05000000' }, expect: { number: { op: '==', value: 10 } } });
    expect(s.expect[3]).toMatchObject({ key: { hex: '0a00006400500600' }, expect: { bytes: '0a0001021f900000' } });
    expect(s.expect[4]).toMatchObject({ expect: { absent: true } });
    expect(s.expect[5]).toMatchObject({ match: { host: 'h1', traffic: 'udp', flow: { protocol: 'udp', src: '10.0.1.1', sport: 1000, dst: '10.0.0.1', dport: 53 } }, check: { op: '~', value: 10, tolerance: { abs: 2 } } });
    expect(s.expect[6]).toMatchObject({ reason: 'XDP_DROP', match: { host: 'h1', dev: 'eth0' }, check: { op: '>', value: 0 } });
    expect(s.expect[7]).toMatchObject({ percentile: 99, checks: [{ op: '<=', value: 50_000 }], match: { traffic: 'udp' } });
    expect(s.expect[8]).toMatchObject({ packet: 3, traffic: 'udp', hops: ['h1/eth0/xdp', 'h1/eth0/tc-ingress'] });
  });

  it('is the same for the same text (deterministic)', () => {
    const text = y('name: d', 'duration: 1ms', 'steps: |', '  ip netns add a', '  ip netns add b', '  ip -n a link add v0 type veth peer name v1 netns b');
    expect(JSON.stringify(parse(text))).toBe(JSON.stringify(parse(text)));
  });
});
