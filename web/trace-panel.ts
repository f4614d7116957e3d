/// <reference lib="dom" />
/**
 * One packet's trace: every hop in order with its device, hook, verdict, CPU, cost and queue;
 * the programs run in the hop (tail calls as further steps) with their instruction counts and
 * the C line that decided the verdict; and the frame decoded before and after the programs.
 */
import { select, type Selection } from 'd3';
import { api } from './api.ts';
import type { DecodedFrame, PacketTrace, ProgramListing, TraceHop } from './protocol.ts';
import { fmtNs } from './format.ts';
import { verdictClass } from './verdict.ts';

type Div = Selection<HTMLDivElement, unknown, null, undefined>;

function layerText(l: Record<string, unknown>): string {
  const skip = new Set(['kind', 'offset', 'headerLength', 'options']);
  const fields = Object.entries(l)
    .filter(([k, v]) => !skip.has(k) && (typeof v !== 'object' || v === null))
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${String(l.kind)}: ${fields.join(' ')}`;
}

/** `kind` names the block for styles and tests (frame-before, frame-after, frame-seen); `label` is what the reader sees. */
function frameBlock(parent: Selection<HTMLElement, unknown, null, undefined>, kind: 'before' | 'after' | 'seen', label: string, f: DecodedFrame): void {
  const d = parent.append('details').attr('class', `frame frame-${kind}`);
  d.append('summary').text(`${label}: ${f.summary}`);
  d.append('ul')
    .attr('class', 'layers')
    .selectAll('li')
    .data(f.layers)
    .join('li')
    .text((l) => layerText(l));
  d.append('pre').attr('class', 'hex').text((f.hex.match(/.{1,32}/g) ?? []).map((row) => (row.match(/../g) ?? []).join(' ')).join('\n'));
}

function hopHead(h: TraceHop): string {
  const r = h.hop;
  const extra = [r.cpu !== undefined && r.cpu >= 0 ? `cpu${r.cpu}` : '', r.cost !== undefined ? `${r.cost} ns` : '', r.qlen !== undefined ? `qlen ${r.qlen}` : '', `${r.len} B`].filter(Boolean);
  return `${fmtNs(r.t)}  ${r.host}/${r.dev ?? '-'}  ${r.hook}  ${r.verdict ?? ''}${r.reason ? ` (${r.reason})` : ''}  ${extra.join(' · ')}`;
}

type Li = Selection<HTMLLIElement, TraceHop, null, undefined>;

function drawSteps(li: Li, h: TraceHop): void {
  if (h.steps.length === 0) return;
  const step = li
    .append('ol')
    .attr('class', 'steps')
    .selectAll('li')
    .data(h.steps)
    .join('li')
    .attr('class', 'step');
  step.append('span').attr('class', 'prog').text((s, i) => `${i > 0 ? 'tail call → ' : ''}${s.prog}`);
  step.append('span').attr('class', 'insns').text((s) => ` ${s.insns} insns`);
  step.filter((s) => s.line !== undefined).append('span').attr('class', 'line').text((s) => ` · verdict at ${s.line}`);
  step.filter((s) => s.source !== undefined).append('code').attr('class', 'source').text((s) => s.source ?? '');
  step
    .append('details')
    .attr('class', 'listing')
    .on('toggle', function (_ev, s) {
      const d = select(this);
      if (!this.open || !d.select('pre').empty()) return;
      api
        .program(s.prog)
        .then((l) => drawListing(d, l, s.line))
        .catch((e: Error) => d.append('p').attr('class', 'error').text(e.message));
    })
    .append('summary')
    .text('instructions');
}

/** The program's instructions, the ones of the verdict's C line marked. */
function drawListing(d: Selection<HTMLDetailsElement, unknown, null, undefined>, l: ProgramListing, verdictLine: string | undefined): void {
  d.append('pre')
    .attr('class', 'disasm')
    .selectAll('span')
    .data(l.lines)
    .join('span')
    .classed('verdict-line', (x) => verdictLine !== undefined && x.line === verdictLine)
    .text((x) => `${x.text}\n`);
}

function drawHop(li: Li, h: TraceHop): void {
  li.attr('class', `hop verdict-${verdictClass(h.hop)}`).attr('data-hook', h.hop.hook);
  li.append('div').attr('class', 'hop-head').text(hopHead(h));
  drawSteps(li, h);
  li.selectAll('div.printk').data(h.hop.printk ?? []).join('div').attr('class', 'printk').text((p) => `bpf_trace_printk: ${p}`);
  const el = li as unknown as Selection<HTMLElement, unknown, null, undefined>;
  if (h.before) frameBlock(el, 'before', 'before', h.before);
  // Around programs: before and after. Elsewhere the frame only where the bytes changed (the
  // first capture, or a rewrite such as forwarding's new MAC addresses).
  if (h.after && h.steps.length > 0) frameBlock(el, 'after', h.changed ? 'after (changed)' : 'after (unchanged)', h.after);
  else if (h.after && h.changed !== false) frameBlock(el, 'seen', h.changed ? 'frame (rewritten)' : 'frame', h.after);
}

export function showTrace(panel: Div, t: PacketTrace): void {
  panel.selectAll('*').remove();
  panel.append('h3').text(`Packet ${t.pkt} — ${t.outcome}`);
  panel.append('p').attr('class', 'flow').text([t.flow, t.traffic ? `traffic ${t.traffic}` : ''].filter(Boolean).join(' · '));
  panel
    .append('ol')
    .attr('class', 'hops')
    .selectAll<HTMLLIElement, TraceHop>('li.hop')
    .data(t.hops)
    .join('li')
    .each(function (h) {
      drawHop(select(this) as unknown as Li, h);
    });
}

export function showTraceError(panel: Div, pkt: number, message: string): void {
  panel.selectAll('*').remove();
  panel.append('h3').text(`Packet ${pkt}`);
  panel.append('p').attr('class', 'error').text(message);
}

export const tracePanel = (el: HTMLDivElement): Div => select(el);
