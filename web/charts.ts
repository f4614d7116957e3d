/// <reference lib="dom" />
/**
 * Line charts over simulated time (d3 scales, axes and line generators): throughput, drops by
 * reason, latency percentiles and CPU use per core. One function draws any chart from lines;
 * the data join keeps one path and one legend entry per line.
 */
import { axisBottom, axisLeft, extent, line, max, scaleLinear, scaleOrdinal, schemeTableau10, select, type Selection } from 'd3';
import { fmtNs } from './format.ts';
import type { Line, Point } from './series.ts';

const W = 380;
const H = 170;
const M = { top: 22, right: 10, bottom: 22, left: 52 };

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

export interface ChartSpec {
  title: string;
  /** Text for a y value. */
  y: (v: number) => string;
  /** Fixed top of the y axis (100 for percentages). */
  yMax?: number;
}

function frame(svg: Svg, title: string): void {
  if (!svg.select('g.plot').empty()) return;
  svg.attr('viewBox', `0 0 ${W} ${H}`);
  svg.append('text').attr('class', 'chart-title').attr('x', M.left).attr('y', 14).text(title);
  svg.append('g').attr('class', 'x axis').attr('transform', `translate(0,${H - M.bottom})`);
  svg.append('g').attr('class', 'y axis').attr('transform', `translate(${M.left},0)`);
  svg.append('g').attr('class', 'plot');
  svg.append('g').attr('class', 'legend').attr('transform', `translate(${W - M.right},${M.top})`);
}

/** Draw `lines` over the time span `span` (shared by the charts, so they line up). */
export function drawChart(el: SVGSVGElement, spec: ChartSpec, lines: Line[], span?: [number, number]): void {
  const svg = select(el) as Svg;
  frame(svg, spec.title);
  const all = lines.flatMap((l) => l.points);
  const empty = all.every((p) => p.v === 0);
  svg.classed('empty', empty);
  svg.select('text.chart-title').text(empty ? `${spec.title} — none yet` : spec.title);
  const [t0, t1] = span ?? (extent(all, (p) => p.t) as [number | undefined, number | undefined]);
  const x = scaleLinear().domain([t0 ?? 0, t1 !== undefined && t1 > (t0 ?? 0) ? t1 : (t0 ?? 0) + 1]).range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([0, spec.yMax ?? Math.max(1, max(all, (p) => p.v) ?? 1)])
    .nice()
    .range([H - M.bottom, M.top]);
  const colour = scaleOrdinal<string, string>(schemeTableau10).domain(lines.map((l) => l.name));
  // No samples yet: no time ticks (a 1 ns placeholder domain would print "0 ns" three times).
  const xAxis = axisBottom(x).tickFormat((v) => fmtNs(Number(v)));
  svg.select<SVGGElement>('g.x').call(all.length > 0 ? xAxis.ticks(4) : xAxis.tickValues([]));
  svg.select<SVGGElement>('g.y').call(axisLeft(y).ticks(4).tickFormat((v) => spec.y(Number(v))));
  const path = line<Point>()
    .x((p) => x(p.t))
    .y((p) => y(p.v));
  svg
    .select('g.plot')
    .selectAll<SVGPathElement, Line>('path')
    .data(lines, (l) => l.name)
    .join('path')
    .attr('class', 'series')
    .attr('stroke', (l) => colour(l.name))
    .attr('d', (l) => path(l.points) ?? '');
  const item = svg
    .select('g.legend')
    .selectAll<SVGTextElement, Line>('text')
    .data(lines, (l) => l.name)
    .join('text')
    .attr('text-anchor', 'end')
    .attr('y', (_l, i) => i * 12)
    .attr('fill', (l) => colour(l.name));
  item.text((l) => l.name);
}
