/**
 * The network as a TopologyRecord for the viewer: hosts (namespaces) with their devices and the
 * programs at each device's hooks, and the links (wires between NICs, veth pairs).
 */
import type { Network } from '../net/network.ts';
import type { Netdev } from '../net/netdev.ts';
import type { TopologyRecord } from '../trace/records.ts';

type DeviceHooks = TopologyRecord['hosts'][number]['devices'][number]['hooks'];

function hooksOf(d: Netdev): DeviceHooks {
  const out: DeviceHooks = [];
  if (d.xdp) out.push({ hook: 'xdp', progs: [d.xdp.mode === 'generic' ? `${d.xdp.prog.name} (generic)` : d.xdp.prog.name] });
  if (d.tcIngress.length) out.push({ hook: 'tc-ingress', progs: d.tcIngress.map((f) => f.prog.name) });
  if (d.tcEgress.length) out.push({ hook: 'tc-egress', progs: d.tcEgress.map((f) => f.prog.name) });
  return out;
}

export function topologyRecord(net: Network): TopologyRecord {
  const hosts = [...net.hosts.values()].map((h) => ({
    name: h.name,
    devices: [...h.devices.values()].map((d) => ({ ...d.describe(), hooks: hooksOf(d) })),
  }));
  const links = net.topology().links.map((l) => {
    const [ah, ad] = l.a.split('/');
    const [bh, bd] = l.b.split('/');
    return { a: { host: ah, dev: ad }, b: { host: bh, dev: bd }, kind: l.kind };
  });
  return { type: 'topology', t: net.sim.now, hosts, links };
}
