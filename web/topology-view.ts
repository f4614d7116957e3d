/// <reference lib="dom" />
/**
 * The topology picture: hosts (namespaces) as boxes, devices as nodes with a badge per hook
 * that has programs (XDP, tc ingress, tc egress), wires and veth pairs as edges, rates on the
 * edges and rates and drops under the nodes, and the packets in flight as dots that open their
 * trace when clicked. d3 data joins throughout; the layout comes from layout.ts.
 */
import { select, zoom, type Selection } from 'd3';
import type { TopologyRecord } from '../src/trace/records.ts';
import { fmtCount, fmtPps } from './format.ts';
import { layoutTopology, type HostBox, type Layout, type LayoutLink, type LayoutNode } from './layout.ts';
import type { PacketDot } from './packets.ts';
import type { Series } from './series.ts';

type G = Selection<SVGGElement, unknown, null, undefined>;

const NODE_R = 22;
const HOOK_LABEL: Record<string, string> = { xdp: 'XDP', 'tc-ingress': 'tc in', 'tc-egress': 'tc out', 'xdp-devmap': 'devmap', 'xdp-cpumap': 'cpumap' };
const KIND_LABEL: Record<string, string> = { nic: 'NIC', veth: 'veth', bridge: 'br', lo: 'lo' };

function drawHosts(g: G, hosts: HostBox[]): void {
  const host = g
    .selectAll<SVGGElement, HostBox>('g.host')
    .data(hosts, (h) => h.name)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'host');
      e.append('rect').attr('rx', 10);
      e.append('text').attr('class', 'host-name');
      return e;
    })
    .attr('data-host', (h) => h.name);
  host.select('rect').attr('x', (h) => h.x).attr('y', (h) => h.y).attr('width', (h) => h.width).attr('height', (h) => h.height);
  host.select('text').attr('x', (h) => h.x + 10).attr('y', (h) => h.y + 20).text((h) => `${h.name} (netns)`);
}

function drawLinks(g: G, links: LayoutLink[]): void {
  const link = g
    .selectAll<SVGGElement, LayoutLink>('g.link')
    .data(links, (l) => l.id)
    .join((enter) => {
      const e = enter.append('g');
      e.append('line');
      e.append('text').attr('class', 'link-rate');
      return e;
    })
    .attr('class', (l) => `link link-${l.kind}`)
    .attr('data-link', (l) => l.id);
  link.select('line').attr('x1', (l) => l.source.x).attr('y1', (l) => l.source.y).attr('x2', (l) => l.target.x).attr('y2', (l) => l.target.y);
  link.select('text').attr('x', (l) => (l.source.x + l.target.x) / 2).attr('y', (l) => (l.source.y + l.target.y) / 2 - 8);
}

function drawBadges(node: Selection<SVGGElement, LayoutNode, SVGGElement, unknown>): void {
  const badge = node
    .selectAll<SVGGElement, TopologyRecord['hosts'][number]['devices'][number]['hooks'][number]>('g.badge')
    .data((n) => n.dev.hooks, (h) => h.hook)
    .join((enter) => {
      const e = enter.append('g');
      e.append('rect').attr('rx', 4).attr('height', 18);
      e.append('text').attr('y', 13);
      e.append('title');
      return e;
    })
    .attr('class', (h) => `badge badge-${h.hook}`)
    .attr('transform', (_h, i) => `translate(${NODE_R + 8},${-NODE_R + i * 22})`);
  badge.select('text').attr('x', 6).text((h) => `${HOOK_LABEL[h.hook] ?? h.hook}: ${h.progs.join(', ')}`);
  badge.select('rect').attr('width', (h) => 12 + 6.4 * `${HOOK_LABEL[h.hook] ?? h.hook}: ${h.progs.join(', ')}`.length);
  badge.select('title').text((h) => `${h.hook}: ${h.progs.join(' → ')}`);
}

function drawNodes(g: G, nodes: LayoutNode[], onClick: (n: LayoutNode) => void): void {
  const node = g
    .selectAll<SVGGElement, LayoutNode>('g.device')
    .data(nodes, (n) => n.id)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'device');
      e.append('circle').attr('r', NODE_R);
      e.append('text').attr('class', 'kind').attr('dy', 4);
      e.append('text').attr('class', 'dev-name').attr('dy', NODE_R + 14);
      e.append('text').attr('class', 'dev-addr').attr('dy', NODE_R + 27);
      e.append('text').attr('class', 'dev-stats').attr('dy', NODE_R + 40);
      return e;
    })
    .attr('data-id', (n) => n.id)
    .attr('transform', (n) => `translate(${n.x},${n.y})`)
    .on('click', (_ev, n) => onClick(n));
  node.select('text.kind').text((n) => KIND_LABEL[n.dev.kind] ?? n.dev.kind);
  node.select('text.dev-name').text((n) => `${n.dev.name} (if ${n.dev.ifindex})`);
  node.select('text.dev-addr').text((n) => n.dev.addrs.join(' '));
  drawBadges(node);
}

function drawPackets(g: G, dots: PacketDot[], selected: number | undefined, onClick: (pkt: number) => void): void {
  g.selectAll<SVGCircleElement, PacketDot>('circle.packet')
    .data(dots, (d) => d.pkt)
    .join((enter) =>
      enter
        .append('circle')
        .attr('r', 7)
        .on('click', (ev: MouseEvent, d) => {
          ev.stopPropagation();
          onClick(d.pkt);
        })
        .call((c) => c.append('title')),
    )
    .attr('class', (d) => `packet verdict-${d.cls}${d.pkt === selected ? ' selected' : ''}`)
    .attr('data-pkt', (d) => d.pkt)
    // Dots at one device are spread a little so each can be clicked.
    .attr('cx', (d) => d.x + ((d.pkt % 5) - 2) * 5)
    .attr('cy', (d) => d.y + ((Math.floor(d.pkt / 5) % 5) - 2) * 5)
    .select('title')
    .text((d) => `packet ${d.pkt} (${d.cls}) — click for its trace`);
}

export class TopologyView {
  layout: Layout | undefined;
  private readonly root: G;
  private readonly hostsG: G;
  private readonly linksG: G;
  private readonly nodesG: G;
  private readonly packetsG: G;
  private readonly byId = new Map<string, LayoutNode>();
  private selected: number | undefined;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly onPacket: (pkt: number) => void,
    private readonly onDevice: (id: string) => void,
  ) {
    const s = select(svg);
    this.root = s.append('g').attr('class', 'viewport');
    this.hostsG = this.root.append('g').attr('class', 'hosts');
    this.linksG = this.root.append('g').attr('class', 'links');
    this.nodesG = this.root.append('g').attr('class', 'devices');
    this.packetsG = this.root.append('g').attr('class', 'packets');
    s.call(zoom<SVGSVGElement, unknown>().scaleExtent([0.3, 4]).on('zoom', (ev) => this.root.attr('transform', String(ev.transform))));
  }

  setTopology(topo: TopologyRecord): void {
    const l = layoutTopology(topo);
    this.layout = l;
    this.byId.clear();
    for (const n of l.nodes) this.byId.set(n.id, n);
    select(this.svg).attr('viewBox', `0 0 ${l.width} ${l.height}`);
    drawHosts(this.hostsG, l.hosts);
    drawLinks(this.linksG, l.links);
    drawNodes(this.nodesG, l.nodes, (n) => this.onDevice(n.id));
  }

  position(id: string): { x: number; y: number } | undefined {
    return this.byId.get(id);
  }

  /** Rates on links, rates and drops under devices, from the latest stats. */
  showRates(series: Series): void {
    this.linksG.selectAll<SVGGElement, LayoutLink>('g.link').select('text').text((l) => {
      const pps = series.linkPps(l.source.id, l.target.id);
      return pps > 0 ? fmtPps(pps) : '';
    });
    this.nodesG
      .selectAll<SVGGElement, LayoutNode>('g.device')
      .classed('dropping', (n) => (series.devices.get(n.id)?.dropPps ?? 0) > 0)
      .select('text.dev-stats')
      .text((n) => {
        const d = series.devices.get(n.id);
        if (!d) return '';
        const parts = [];
        if (d.rxPps > 0) parts.push(`rx ${fmtPps(d.rxPps)}`);
        if (d.txPps > 0) parts.push(`tx ${fmtPps(d.txPps)}`);
        if (d.drops > 0) parts.push(`drops ${fmtCount(d.drops)}`);
        return parts.join(' · ');
      });
  }

  showPackets(dots: PacketDot[]): void {
    drawPackets(this.packetsG, dots, this.selected, this.onPacket);
  }

  /** Ring the packet whose trace is open. */
  select(pkt: number | undefined): void {
    this.selected = pkt;
  }
}
