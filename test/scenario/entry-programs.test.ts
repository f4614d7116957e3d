/**
 * Devmap and cpumap entries that carry a program (struct bpf_devmap_val / bpf_cpumap_val hold a
 * program fd): written {ifindex: host/dev, program: NAME} or {qsize: N, program: NAME}, checked
 * when the scenario is read, and set through the maps' typed API when it is built.
 */
import { describe, expect, it } from 'vitest';
import { buildScenario, BuildError } from '../../src/scenario/build.ts';
import { errorsOf, parse, y } from './helpers.ts';

const topology = [
  'name: entry-prog',
  'duration: 5ms',
  'steps: |',
  '  ip netns add left',
  '  ip netns add router',
  '  ip netns add right',
  '  ip -n router link add veth0 type veth peer name eth0 netns left',
  '  ip -n router link add veth1 type veth peer name eth0 netns right address 02:00:00:00:02:01',
  '  ip -n left link set dev eth0 up',
  '  ip -n right link set dev eth0 up',
  '  ip -n router link set dev veth0 up',
  '  ip -n router link set dev veth1 up',
  'programs:',
  '  - { object: ../fixtures/xdp_redirect.o, program: xdp_devmap_prog, attach: router/veth0/xdp }',
  '  - { object: ../fixtures/xdp_redirect.o, program: xdp_pass, attach: right/eth0/xdp }',
];
const traffic = [
  'traffic:',
  '  - name: udp',
  '    kind: constant',
  '    from: router/veth0',
  '    rate: 100kpps',
  '    count: 50',
  '    dstMac: 02:00:00:00:02:01',
  '    flows: { n: 1, template: { proto: udp, src: 10.0.1.1, dst: 10.0.2.1, sport: 20000, dport: 9 } }',
  '    size: 128',
];

describe('devmap and cpumap entries with a program', () => {
  it('reads {ifindex, program} and {qsize, program} into the model', () => {
    const sc = parse(
      y(
        ...topology,
        'maps:',
        '  - map: tx_prog_port',
        '    entries:',
        '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
        '  - map: cpus',
        '    entries:',
        '      - { key: 1, value: { qsize: 2048, program: cpumap_mark, programObject: ../fixtures/xdp_redirect.o } }',
      ),
    );
    expect(sc.maps).toEqual([
      { object: '../fixtures/xdp_redirect.o', map: 'tx_prog_port', entries: [{ key: { hex: '00000000' }, value: { ifindex: { host: 'router', dev: 'veth1' }, program: { object: '../fixtures/xdp_redirect.o', program: 'devmap_mark' } } }] },
      { object: '../fixtures/xdp_redirect.o', map: 'cpus', entries: [{ key: { hex: '01000000' }, value: { qsize: 2048, program: { object: '../fixtures/xdp_redirect.o', program: 'cpumap_mark' } } }] },
    ]);
  });

  it('refuses at parse time what the objects already tell, with position and fix', () => {
    expect(
      errorsOf(
        y(
          ...topology,
          'maps:',
          '  - map: tx_prog_port',
          '    entries:',
          '      - { key: 0, value: { ifindex: router/veth1, program: nope } }',
          '      - { key: 1, value: { ifindex: router/veth1, program: xdp_pass } }',
          '      - { key: 2, value: { ifindex: router/veth1, program: cpumap_mark } }',
          '      - { key: 3, value: { qsize: 64, program: devmap_mark } }',
          '  - map: tx_port',
          '    entries:',
          '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
          '  - map: entry_seen',
          '    entries:',
          '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
          '  - map: cpus',
          '    entries:',
          '      - { key: 0, value: { ifindex: router/veth1, program: cpumap_mark } }',
          '      - { key: { ifindex: router/veth1, program: cpumap_mark }, value: { qsize: 64, program: cpumap_mark } }',
        ),
      ),
    ).toEqual([
      '19:60: maps[0].entries[0].value.program: no program "nope" in ../fixtures/xdp_redirect.o (programs: ' + PROGRAMS + ')',
      '20:60: maps[0].entries[1].value.program: program "xdp_pass" is in section "xdp"; a devmap entry runs XDP programs for BPF_XDP_DEVMAP: put it in SEC("xdp/devmap") (value {ifindex: "host/dev", program: NAME})',
      '21:60: maps[0].entries[2].value.program: program "cpumap_mark" is in section "xdp/cpumap"; a devmap entry runs XDP programs for BPF_XDP_DEVMAP: put it in SEC("xdp/devmap") (value {ifindex: "host/dev", program: NAME})',
      '22:35: maps[0].entries[3].value.qsize: "qsize" is for a CPUMAP value, and "tx_prog_port" is a BPF_MAP_TYPE_DEVMAP: write {ifindex: "host/dev", program: NAME}',
      '25:60: maps[1].entries[0].value.program: "tx_port" has value_size 4: a devmap entry with a program needs 8-byte values (struct bpf_devmap_val); declare __type(value, struct bpf_devmap_val)',
      '28:60: maps[2].entries[0].value.program: "program" is for a devmap or cpumap value, and "entry_seen" is a BPF_MAP_TYPE_ARRAY; only DEVMAP, DEVMAP_HASH and CPUMAP values run a program',
      '31:60: maps[3].entries[0].value.program: "program" is for a devmap or cpumap value, and "cpus" is a BPF_MAP_TYPE_CPUMAP: write {qsize: N, program: NAME}',
      '32:50: maps[3].entries[1].key.program: a program goes in a map value, not a key',
    ]);
  });

  it('refuses a value that mixes the forms', () => {
    expect(
      errorsOf(
        y(
          ...topology,
          'maps:',
          '  - map: cpus',
          '    entries:',
          '      - { key: 1, value: { qsize: 64, program: cpumap_mark, bogus: 1 } }',
          '      - { key: 2, value: { qsize: 64, programObject: ../fixtures/xdp_redirect.o } }',
        ),
      ),
    ).toEqual([
      '19:26: maps[0].entries[0].value: a program goes in a devmap value {ifindex: "host/dev", program: NAME} or a cpumap value {qsize: N, program: NAME}',
      '20:26: maps[0].entries[1].value: "programObject" goes with "program: NAME"',
    ]);
  });

  it('runs the devmap entry program on every redirected frame', () => {
    const sc = parse(
      y(
        ...topology,
        'maps:',
        '  - map: tx_prog_port',
        '    entries:',
        '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
        ...traffic,
      ),
    );
    const b = buildScenario(sc);
    b.sim.run({ until: sc.durationNs });
    const seen = b.objects.get('../fixtures/xdp_redirect.o')!.maps.get('entry_seen')!;
    const at = (k: number): bigint => new DataView((seen.lookup(Uint8Array.of(k, 0, 0, 0)) as Uint8Array).buffer).getBigUint64(0, true);
    expect(at(2)).toBe(50n); // XDP_PASS: UDP to port 9
    const counters = b.net.counters.snapshot();
    expect(Object.entries(counters).filter(([k]) => k.endsWith('xdp-devmap/XDP_PASS'))).toEqual([[expect.any(String), 50]]);
    expect(counters['right/eth0/xdp/XDP_PASS']).toBe(50);
  });

  it('runs the cpumap entry program on the entry\'s CPU', () => {
    const sc = parse(
      y(
        ...topology.map((l) => l.replace('xdp_devmap_prog', 'xdp_cpumap')),
        'cpus: 2',
        'maps:',
        '  - map: cpus',
        '    entries:',
        '      - { key: 1, value: { qsize: 256, program: cpumap_mark } }',
        ...traffic,
      ),
    );
    const b = buildScenario(sc);
    b.sim.run({ until: sc.durationNs });
    const seen = b.objects.get('../fixtures/xdp_redirect.o')!.maps.get('entry_seen')!;
    const at = (k: number): bigint => new DataView((seen.lookup(Uint8Array.of(k, 0, 0, 0)) as Uint8Array).buffer).getBigUint64(0, true);
    expect(at(8 + 2)).toBe(50n); // cpumap_mark's XDP_PASS
    expect(at(2)).toBe(0n);
  });

  it('fails the build naming the map, the entry and the section the program needs', () => {
    const sc = parse(
      y(
        ...topology,
        'maps:',
        '  - map: tx_prog_port',
        '    entries:',
        '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
      ),
    );
    // As if the object changed after the check: the entry names an XDP program of the wrong attach type.
    const entry = sc.maps[0].entries[0].value as { program: { program: string } };
    entry.program.program = 'xdp_pass';
    expect(() => buildScenario(sc)).toThrow(BuildError);
    expect(() => buildScenario(sc)).toThrow(
      'test/scenario/inline.yaml: map tx_prog_port[0]: devmap entry 0 = xdp_pass: errno 22 (EINVAL): program xdp_pass (section "xdp") is not an xdp/devmap program: a devmap entry runs XDP programs for BPF_XDP_DEVMAP, SEC("xdp/devmap")',
    );
  });
});

const PROGRAMS = 'xdp_devmap (xdp), xdp_ifindex (xdp), xdp_cpumap (xdp), xdp_tx_swap (xdp), xdp_pass (xdp), xdp_drop (xdp), xdp_parse_redirect (xdp), xdp_devmap_prog (xdp), xdp_devmap_by_src (xdp), xdp_broadcast (xdp), tc_redirect (tc), devmap_mark (xdp/devmap), cpumap_mark (xdp/cpumap)';
