/**
 * Where every device goes: a layered start (each host in the column of its breadth-first depth
 * along the links, hosts of one column stacked; devices stacked in their host) refined by
 * d3-force — links pull, devices repel, each device is held to its column and row — with a
 * seeded random source, run headless for a fixed number of ticks. The same topology always gives the same picture, in
 * the browser and in tests; no Math.random anywhere.
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, randomLcg, type SimulationLinkDatum, type SimulationNodeDatum } from 'd3';
import type { TopologyRecord } from '../src/trace/records.ts';

export type TopoDevice = TopologyRecord['hosts'][number]['devices'][number];

export interface LayoutNode extends SimulationNodeDatum {
  /** "host/dev". */
  id: string;
  host: string;
  dev: TopoDevice;
  x: number;
  y: number;
}

export interface LayoutLink {
  id: string;
  source: LayoutNode;
  target: LayoutNode;
  kind: 'wire' | 'veth';
}

export interface HostBox {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  nodes: LayoutNode[];
  links: LayoutLink[];
  hosts: HostBox[];
  width: number;
  height: number;
}

export const LAYOUT_SEED = 0x5eed;
const TICKS = 300;
const COLUMN = 300;
const ROW = 110;
/** Room around a host's devices for its name and the badges. */
const PAD = { left: 50, right: 150, top: 44, bottom: 72 };
/** Small topologies keep their natural size (the view does not zoom them up). */
const MIN_WIDTH = 900;
const MIN_HEIGHT = 480;

/**
 * Each host's column: its breadth-first depth along the links from the first host (unlinked
 * hosts start their own search at depth 0), in a stable order.
 */
export function hostColumns(topo: TopologyRecord): Map<string, number> {
  const names = topo.hosts.map((h) => h.name);
  const next = new Map(names.map((n) => [n, new Set<string>()]));
  for (const l of topo.links) {
    next.get(l.a.host)?.add(l.b.host);
    next.get(l.b.host)?.add(l.a.host);
  }
  const depth = new Map<string, number>();
  for (const root of names) {
    if (depth.has(root)) continue;
    depth.set(root, 0);
    const queue = [root];
    while (queue.length) {
      const h = queue.shift() as string;
      for (const n of names) {
        if (next.get(h)?.has(n) && !depth.has(n)) {
          depth.set(n, (depth.get(h) ?? 0) + 1);
          queue.push(n);
        }
      }
    }
  }
  return depth;
}

type SimLink = SimulationLinkDatum<LayoutNode> & { distance: number; strength: number };

export function layoutTopology(topo: TopologyRecord, seed = LAYOUT_SEED): Layout {
  const column = hostColumns(topo);
  // Hosts that share a column are stacked in it, a gap between them.
  const filled = new Map<number, number>();
  const nodes: LayoutNode[] = [];
  const home = new Map<string, number>();
  for (const h of topo.hosts) {
    const c = column.get(h.name) ?? 0;
    const top = filled.get(c) ?? 0;
    h.devices.forEach((d, j) => {
      const n: LayoutNode = { id: `${h.name}/${d.name}`, host: h.name, dev: d, x: c * COLUMN, y: top + j * ROW };
      home.set(n.id, n.y);
      nodes.push(n);
    });
    filled.set(c, top + Math.max(1, h.devices.length) * ROW + PAD.top + PAD.bottom);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const links: LayoutLink[] = [];
  for (const l of topo.links) {
    const source = byId.get(`${l.a.host}/${l.a.dev}`);
    const target = byId.get(`${l.b.host}/${l.b.dev}`);
    if (source && target) links.push({ id: `${source.id}|${target.id}`, source, target, kind: l.kind });
  }
  // Devices of one host are tied loosely together (their stack joins them).
  const simLinks: SimLink[] = links.map((l) => ({ source: l.source, target: l.target, distance: COLUMN * 0.8, strength: 0.6 }));
  for (const h of topo.hosts) {
    const ds = nodes.filter((n) => n.host === h.name);
    for (let i = 1; i < ds.length; i++) simLinks.push({ source: ds[i - 1], target: ds[i], distance: ROW, strength: 0.4 });
  }

  const sim = forceSimulation<LayoutNode>(nodes)
    .randomSource(randomLcg(seed))
    .force('link', forceLink<LayoutNode, SimLink>(simLinks).distance((l) => l.distance).strength((l) => l.strength))
    .force('charge', forceManyBody<LayoutNode>().strength(-400))
    .force('collide', forceCollide<LayoutNode>(55))
    .force('column', forceX<LayoutNode>((n) => (column.get(n.host) ?? 0) * COLUMN).strength(0.8))
    .force('row', forceY<LayoutNode>((n) => home.get(n.id) ?? 0).strength(0.3))
    .stop();
  sim.tick(TICKS);

  for (const n of nodes) {
    n.x = Math.round(n.x);
    n.y = Math.round(n.y);
  }
  const hosts = topo.hosts.map((h) => hostBox(h.name, nodes.filter((n) => n.host === h.name)));
  // Move the picture to the positive quadrant, centred in the minimum canvas when it is smaller.
  const x0 = Math.min(...hosts.map((b) => b.x));
  const y0 = Math.min(...hosts.map((b) => b.y));
  const w = Math.max(...hosts.map((b) => b.x + b.width)) - x0;
  const h = Math.max(...hosts.map((b) => b.y + b.height)) - y0;
  const dx = 20 - x0 + Math.max(0, (MIN_WIDTH - 40 - w) / 2);
  const dy = 20 - y0 + Math.max(0, (MIN_HEIGHT - 40 - h) / 2);
  for (const n of nodes) {
    n.x += dx;
    n.y += dy;
  }
  for (const b of hosts) {
    b.x += dx;
    b.y += dy;
  }
  return {
    nodes,
    links,
    hosts,
    width: Math.max(MIN_WIDTH, ...hosts.map((b) => b.x + b.width + 20)),
    height: Math.max(MIN_HEIGHT, ...hosts.map((b) => b.y + b.height + 20)),
  };
}

function hostBox(name: string, ns: LayoutNode[]): HostBox {
  if (ns.length === 0) return { name, x: 0, y: 0, width: PAD.left + PAD.right, height: PAD.top + PAD.bottom };
  const x0 = Math.min(...ns.map((n) => n.x)) - PAD.left;
  const y0 = Math.min(...ns.map((n) => n.y)) - PAD.top;
  const x1 = Math.max(...ns.map((n) => n.x)) + PAD.right;
  const y1 = Math.max(...ns.map((n) => n.y)) + PAD.bottom;
  return { name, x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
