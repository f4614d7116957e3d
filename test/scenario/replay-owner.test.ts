/**
 * A replayed capture's bytes are shared by every loop of the replay; a packet's bytes change on
 * its way (forwarding rewrites TTL and MACs in place). So every injected packet must own its
 * bytes: no two packets, and no packet and the capture, may share an array.
 */
import { describe, expect, it } from 'vitest';
import { buildScenarioAsync, loadCaptures } from '../../src/scenario/build.ts';
import { parse, y } from './helpers.ts';

describe('pcap replay', () => {
  it('gives every packet of every loop its own copy of the captured bytes', async () => {
    const sc = parse(
      y(
        'name: replay-owner',
        'duration: 5ms',
        'hosts:',
        '  dut:',
        '    devices:',
        '      eth0: { kind: nic, mac: 02:00:00:00:00:02, addresses: [10.0.0.2/24] }',
        'traffic:',
        '  - { name: mixed, kind: pcap, from: dut/eth0, pcap: ../../scenarios/pcaps/mixed.pcap, retime: 1mpps, loops: 2 }',
      ),
    );
    const captures = await loadCaptures(sc);
    const b = await buildScenarioAsync(sc, { captures });
    const seen: Uint8Array[] = [];
    b.net.onInject = (skb) => seen.push(skb.data);
    b.sim.run({ until: sc.durationNs });
    const cap = [...captures.values()][0];
    expect(seen.length).toBe(2 * cap.records.length);
    expect(new Set(seen).size).toBe(seen.length);
    const captured = new Set(cap.records.map((f) => f.data));
    expect(seen.filter((d) => captured.has(d))).toEqual([]);
    // And the bytes are the capture's.
    seen.forEach((d, i) => expect(Buffer.compare(d, cap.records[i % cap.records.length].data), `packet ${i}`).toBe(0));
  });
});
