/**
 * The topology the viewer draws: programs at each device's hooks, including the programs of
 * devmap entries (on the device the entry sends to) and cpumap entries (on the devices whose
 * XDP program redirects into that cpumap).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { Session } from '../../src/server/session.ts';
import { topologyRecord } from '../../src/server/topology.ts';

const scenario = (veth0Prog: string, maps: string): string => `
name: entry-programs
duration: 1ms
cpus: 2
steps: |
  ip netns add left
  ip netns add router
  ip netns add right
  ip -n router link add veth0 type veth peer name eth0 netns left
  ip -n router link add veth1 type veth peer name eth0 netns right
  ip -n left link set dev eth0 up
  ip -n right link set dev eth0 up
  ip -n router link set dev veth0 up
  ip -n router link set dev veth1 up
programs:
  - { object: ../fixtures/xdp_redirect.o, program: ${veth0Prog}, attach: router/veth0/xdp }
  - { object: ../fixtures/xdp_redirect.o, program: xdp_pass, attach: right/eth0/xdp }
maps:
${maps}
`;

const hooks = (s: Session): Record<string, unknown> =>
  Object.fromEntries(topologyRecord(s.built.net, s.built.objects.values()).hosts.flatMap((h) => h.devices.filter((d) => d.hooks.length > 0).map((d) => [`${h.name}/${d.name}`, d.hooks])));

describe('topology: programs per hook', () => {
  it('a devmap entry program shows on the device it sends to', () => {
    const s = new Session(parseScenario(scenario('xdp_devmap_prog', '  - { map: tx_prog_port, entries: [{ key: 0, value: { ifindex: router/veth1, program: devmap_mark } }] }'), 'test/server/inline.yaml'));
    expect(hooks(s)).toEqual({
      'router/veth0': [{ hook: 'xdp', progs: ['xdp_devmap_prog'] }],
      'router/veth1': [{ hook: 'xdp-devmap', progs: ['devmap_mark'] }],
      'right/eth0': [{ hook: 'xdp', progs: ['xdp_pass'] }],
    });
  });

  it('a cpumap entry program shows on the devices whose XDP program redirects into the cpumap', () => {
    const s = new Session(parseScenario(scenario('xdp_cpumap', '  - { map: cpus, entries: [{ key: 1, value: { qsize: 64, program: cpumap_mark } }] }'), 'test/server/inline.yaml'));
    expect(hooks(s)).toEqual({
      'router/veth0': [{ hook: 'xdp', progs: ['xdp_cpumap'] }, { hook: 'xdp-cpumap', progs: ['cpumap_mark (cpu 1)'] }],
      'right/eth0': [{ hook: 'xdp', progs: ['xdp_pass'] }],
    });
  });
});
