/**
 * The network as a TopologyRecord for the viewer: hosts (namespaces) with their devices and the
 * programs at each device's hooks, and the links (wires between NICs, veth pairs). Programs in
 * devmap and cpumap entries (BPF_XDP_DEVMAP / BPF_XDP_CPUMAP) count as hooks too: a devmap
 * entry's on the device it sends to (it runs there, at the flush; the entry's ifindex is read in
 * the namespace of each device whose XDP program uses the map), a cpumap entry's on the devices
 * whose XDP program redirects into that map (it runs on the entry's CPU for them).
 */
import { CpuMap, DevMap } from '../ebpf/maps/index.ts';
import type { LoadedObject } from '../ebpf/runtime/runtime.ts';
import type { Network } from '../net/network.ts';
import type { Netdev } from '../net/netdev.ts';
import type { Hook, TopologyRecord } from '../trace/records.ts';

type DeviceHooks = TopologyRecord['hosts'][number]['devices'][number]['hooks'];

/** A program object that can run (a LiveProgram), as map entries hold them. */
const progName = (p: unknown): string | undefined => (p !== undefined && typeof (p as { run?: unknown }).run === 'function' ? (p as { name: string }).name : undefined);

function hooksOf(d: Netdev): DeviceHooks {
  const out: DeviceHooks = [];
  if (d.xdp) out.push({ hook: 'xdp', progs: [d.xdp.mode === 'generic' ? `${d.xdp.prog.name} (generic)` : d.xdp.prog.name] });
  if (d.tcIngress.length) out.push({ hook: 'tc-ingress', progs: d.tcIngress.map((f) => f.prog.name) });
  if (d.tcEgress.length) out.push({ hook: 'tc-egress', progs: d.tcEgress.map((f) => f.prog.name) });
  return out;
}

/** Entry programs of the objects' devmaps and cpumaps, by the device they belong to. */
function entryHooks(devices: readonly Netdev[], objects: Iterable<LoadedObject>): Map<Netdev, Map<Hook, string[]>> {
  const out = new Map<Netdev, Map<Hook, string[]>>();
  const add = (dev: Netdev, hook: Hook, prog: string): void => {
    let byHook = out.get(dev);
    if (!byHook) out.set(dev, (byHook = new Map()));
    const progs = byHook.get(hook) ?? [];
    if (!progs.includes(prog)) progs.push(prog);
    byHook.set(hook, progs);
  };
  for (const obj of objects) {
    for (const [name, map] of obj.maps) {
      if (!(map instanceof DevMap || map instanceof CpuMap)) continue;
      const users = devices.filter((d) => d.xdp?.prog.object === obj && d.xdp.prog.spec.mapRefs.some((r) => r.map === name));
      if (map instanceof DevMap) {
        // An entry's ifindex names a device in the namespace of the device that redirects.
        for (const t of map.targets()) {
          const prog = progName(t.prog);
          if (!prog) continue;
          for (const u of users) {
            const dev = u.host.byIfindex(t.ifindex);
            if (dev) add(dev, 'xdp-devmap', prog);
          }
        }
      } else {
        for (let cpu = 0; cpu < map.def.maxEntries; cpu++) {
          const prog = progName(map.target(cpu)?.prog);
          if (prog) for (const dev of users) add(dev, 'xdp-cpumap', `${prog} (cpu ${cpu})`);
        }
      }
    }
  }
  return out;
}

export function topologyRecord(net: Network, objects: Iterable<LoadedObject> = []): TopologyRecord {
  const all = [...net.hosts.values()].flatMap((h) => [...h.devices.values()]);
  const entries = entryHooks(all, objects);
  const hosts = [...net.hosts.values()].map((h) => ({
    name: h.name,
    devices: [...h.devices.values()].map((d) => ({ ...d.describe(), hooks: [...hooksOf(d), ...[...(entries.get(d) ?? [])].map(([hook, progs]) => ({ hook, progs }))] })),
  }));
  const links = net.topology().links.map((l) => {
    const [ah, ad] = l.a.split('/');
    const [bh, bd] = l.b.split('/');
    return { a: { host: ah, dev: ad }, b: { host: bh, dev: bd }, kind: l.kind };
  });
  return { type: 'topology', t: net.sim.now, hosts, links };
}
