/**
 * The StatsRecords behind the picture's rates and drops: every drop is counted at the device that
 * made it, from the ledger, whichever hook dropped it — here a devmap entry's program (counted
 * by the network as router/veth1/xdp-devmap/XDP_DROP, a name the page need not know).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { Session } from '../../src/server/session.ts';
import { Series } from '../../web/series.ts';

const SCENARIO = `
name: devmap-entry-drops
duration: 2ms
steps: |
  ip netns add left
  ip netns add router
  ip netns add right
  ip -n router link add veth0 type veth peer name eth0 netns left
  ip -n router link add veth1 type veth peer name eth0 netns right address 02:00:00:00:02:01
  ip -n left link set dev eth0 up
  ip -n right link set dev eth0 up
  ip -n router link set dev veth0 up
  ip -n router link set dev veth1 up
programs:
  - { object: ../fixtures/xdp_redirect.o, program: xdp_devmap_prog, attach: router/veth0/xdp }
  - { object: ../fixtures/xdp_redirect.o, program: xdp_pass, attach: right/eth0/xdp }
maps:
  - map: tx_prog_port
    entries:
      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }
traffic:
  - name: drop
    kind: constant
    from: router/veth0
    rate: 100kpps
    count: 30
    dstMac: 02:00:00:00:02:01
    flows: { n: 1, template: { proto: udp, src: 10.0.1.1, dst: 10.0.2.1, sport: 20000, dport: 5001 } }
  - name: pass
    kind: constant
    from: router/veth0
    rate: 100kpps
    count: 20
    dstMac: 02:00:00:00:02:01
    flows: { n: 1, template: { proto: udp, src: 10.0.1.1, dst: 10.0.2.1, sport: 20000, dport: 9 } }
`;

describe('stats: drops per device', () => {
  it('counts each drop once at its device, from the ledger, whatever the hook', () => {
    const s = new Session(parseScenario(SCENARIO, 'test/server/inline.yaml'), { speed: 1_000_000 });
    s.controller.advanceTo(2_000_000);
    const ledger = s.built.net.ledger.filter((e) => e.outcome === 'dropped');
    // The passed ones reach right/eth0, which has no address for them and does not forward.
    expect(ledger.map((e) => [e.host, e.dev, e.reason, e.count])).toEqual([['router', 'veth1', 'XDP_DROP', 30], ['right', 'eth0', 'IP_FORWARD_DISABLED', 20]]);
    expect(s.built.net.counters.get('router/veth1/xdp-devmap/XDP_DROP')).toBe(30);

    const sum = (k: string): number => s.statsHistory.reduce((n, r) => n + (r.counters[k] ?? 0), 0);
    expect(sum('devdrops/router/veth1')).toBe(30);
    expect(sum('drops/XDP_DROP')).toBe(30);

    const series = new Series();
    for (const r of s.statsHistory) series.add(r);
    expect(series.devices.get('router/veth1')?.drops).toBe(30);
    expect(sum('devdrops/right/eth0')).toBe(20);
    expect(Object.fromEntries([...series.devices].filter(([, d]) => d.drops > 0).map(([id, d]) => [id, d.drops]))).toEqual({ 'router/veth1': 30, 'right/eth0': 20 });
  });
});
