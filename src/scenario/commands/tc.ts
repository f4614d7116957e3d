/**
 * `tc` commands → ops: qdiscs (clsact, pfifo_fast, pfifo, bfifo, tbf, fq_codel, htb, noqueue),
 * htb classes and bpf filters, with iproute2's units (tc/tc_util.c, lib/utils.c) and the
 * option names of tc/q_*.c and tc/f_bpf.c.
 */
import type { Qdisc } from '../model.ts';
import { makeFqCodel, makeHtb, makeHtbClass, makeTbf } from '../qdisc.ts';
import { parseSize, parseTcHandle, parseTcRate, parseTcTime } from '../units.ts';
import { Args, fail, matchWord, uint } from './args.ts';
import type { Op, Pos, ProgSpec } from './ops.ts';
import type { Token } from './tokenize.ts';

export const TC_FORMS = [
  'tc [-n NS] qdisc add|replace dev NAME clsact',
  'tc [-n NS] qdisc add|replace dev NAME {root|parent ID} [handle ID] KIND [OPTIONS]  (KIND: pfifo_fast, pfifo [limit N], bfifo [limit BYTES], noqueue, tbf rate R burst B {latency T|limit B} [peakrate R mtu B], fq_codel [limit N] [flows N] [target T] [interval T] [quantum B] [ce_threshold T] [memory_limit B] [ecn|noecn], htb [default ID] [r2q N])',
  'tc [-n NS] qdisc del dev NAME {root|clsact}',
  'tc [-n NS] class add|replace dev NAME parent ID classid ID htb rate R [ceil R] [burst B] [cburst B] [prio N] [quantum B]',
  'tc [-n NS] filter add dev NAME {ingress|egress} [prio N] [protocol all] bpf [da] {obj FILE [sec SECTION] [program NAME] | pinned PATH}',
];

/** tc/tc.c cmds[] order, for abbreviations. */
const OBJECTS = ['qdisc', 'class', 'filter', 'chain', 'actions', 'monitor', 'exec', 'help'];
const VERBS = ['add', 'delete', 'change', 'replace', 'link', 'show', 'list', 'get', 'help'];
const KINDS = ['clsact', 'ingress', 'pfifo_fast', 'pfifo', 'bfifo', 'tbf', 'fq_codel', 'htb', 'noqueue'];

const unsupported = (t: Token, what: string): never => fail(t, `${what} is not supported; chainlab understands:\n  ${TC_FORMS.join('\n  ')}`);

export function parseTcCommand(a: Args, nsFromExec?: string): Op[] {
  let ns = nsFromExec;
  while (!a.done && a.peek()!.text.startsWith('-')) {
    const t = a.next('an option');
    if (t.text === '-n' || t.text === '-netns' || t.text === '--netns') {
      const n = a.next('a namespace name');
      if (nsFromExec !== undefined) fail(t, `-n inside "ip netns exec ${nsFromExec}" is ambiguous; use one of them`);
      ns = n.text;
    } else fail(t, `option "${t.text}" is not supported (chainlab understands -n NS)`);
  }
  const objTok = a.next('qdisc, class or filter');
  const obj = matchWord(objTok.text, OBJECTS);
  if (obj !== 'qdisc' && obj !== 'class' && obj !== 'filter') return unsupported(objTok, `"tc ${objTok.text}"`);
  const vt = a.next('add, replace or del');
  const verb = matchWord(vt.text, VERBS);
  const ok = obj === 'qdisc' ? ['add', 'replace', 'delete'] : ['add', 'replace'];
  if (!verb || !ok.includes(verb)) return unsupported(vt, `"tc ${obj} ${vt.text}"`);
  if (obj === 'qdisc') return [verb === 'delete' ? parseQdiscDel(a, ns) : parseQdisc(a, ns, verb === 'replace')];
  if (obj === 'class') return [parseClass(a, ns, verb === 'replace')];
  return [parseFilter(a, ns)];
}

function dev(a: Args, t: Token, pos: Pos): string {
  const d = a.next('a device name');
  pos.dev = d.offset;
  void t;
  return d.text;
}

function handle(t: Token, want: 'qdisc' | 'class'): string {
  const h = parseTcHandle(t.text, want);
  if (!h) fail(t, want === 'qdisc' ? `expected a qdisc handle like "1:", got "${t.text}"` : `expected a class id like "1:10", got "${t.text}"`);
  return h.text;
}

/** A parent: "root", a qdisc handle "1:" or a class "1:10". */
function parentId(t: Token): string {
  const c = parseTcHandle(t.text, 'class') ?? parseTcHandle(t.text, 'qdisc');
  if (!c) fail(t, `expected a parent like "1:" or "1:10", got "${t.text}"`);
  return c.text;
}

const rate = (t: Token): number => {
  const r = parseTcRate(t.text);
  if (!r.ok) fail(t, r.error);
  return r.value;
};
const size = (t: Token): number => {
  const r = parseSize(t.text);
  if (!r.ok) fail(t, r.error);
  return r.value;
};
const time = (t: Token): number => {
  const r = parseTcTime(t.text);
  if (!r.ok) fail(t, r.error);
  return r.value;
};

function parseQdisc(a: Args, ns: string | undefined, replace: boolean): Op {
  const pos: Pos = {};
  let device: string | undefined;
  let parent: string | undefined;
  let h: string | undefined;
  let kindTok: Token | undefined;
  while (!kindTok) {
    const t = a.next(`a qdisc kind (${KINDS.join(', ')})`);
    if (t.text === 'dev') device = dev(a, t, pos);
    else if (t.text === 'root') parent = 'root';
    else if (t.text === 'parent') {
      const p = a.next('a parent id');
      parent = p.text === 'root' ? 'root' : parentId(p);
      pos.parent = p.offset;
    } else if (t.text === 'handle') h = handle(a.next('a handle'), 'qdisc');
    else if (KINDS.includes(t.text)) kindTok = t;
    else if (['netem', 'fq', 'sfq', 'cake', 'mq', 'prio', 'red', 'hfsc', 'codel', 'drr', 'mqprio', 'taprio', 'etf'].includes(t.text)) fail(t, `qdisc "${t.text}" is not supported (chainlab has ${KINDS.filter((k) => k !== 'ingress').join(', ')})`);
    else fail(t, `unexpected "${t.text}" (expected dev, root, parent, handle or a qdisc kind: ${KINDS.join(', ')})`);
  }
  if (device === undefined) fail(kindTok, 'expected "dev NAME" before the qdisc kind');
  pos.kind = kindTok.offset;
  const kind = kindTok.text;
  if (kind === 'ingress') fail(kindTok, 'use "clsact" (a superset of the ingress qdisc that also has the egress hook)');
  if (kind === 'clsact') {
    if (parent !== undefined || h !== undefined) fail(kindTok, 'clsact takes no parent or handle');
    if (!a.done) fail(a.peek()!, 'clsact takes no options');
    return { op: 'clsact', del: false, ns, dev: device, pos };
  }
  if (parent === undefined) fail(kindTok, `expected "root" or "parent ID" before "${kind}"`);
  const q = parseQdiscOptions(a, kindTok);
  if (h !== undefined) q.handle = h;
  return { op: 'qdisc', ns, dev: device, parent, qdisc: q, replace, pos };
}

function parseQdiscOptions(a: Args, kindTok: Token): Qdisc {
  const kind = kindTok.text;
  const opts = new Map<string, Token>();
  const flags = new Set<string>();
  const WORDS: Record<string, { values: string[]; flags?: string[] }> = {
    pfifo_fast: { values: [] },
    noqueue: { values: [] },
    pfifo: { values: ['limit'] },
    bfifo: { values: ['limit'] },
    tbf: { values: ['rate', 'burst', 'buffer', 'maxburst', 'limit', 'latency', 'peakrate', 'mtu', 'minburst'] },
    fq_codel: { values: ['limit', 'flows', 'target', 'interval', 'quantum', 'ce_threshold', 'memory_limit'], flags: ['ecn', 'noecn'] },
    htb: { values: ['default', 'r2q'] },
  };
  const w = WORDS[kind];
  while (!a.done) {
    const t = a.next('an option');
    if (w.flags?.includes(t.text)) {
      flags.add(t.text);
      continue;
    }
    if (!w.values.includes(t.text)) {
      const words = [...w.values, ...(w.flags ?? [])];
      fail(t, words.length ? `unexpected "${t.text}" for ${kind} (options: ${words.join(', ')})` : `${kind} takes no options`);
    }
    const key = t.text === 'buffer' || t.text === 'maxburst' ? 'burst' : t.text === 'minburst' ? 'mtu' : t.text;
    opts.set(key, a.next(`a value for ${t.text}`));
  }
  const num = (k: string, what: string): number | undefined => (opts.has(k) ? uint(opts.get(k)!, what) : undefined);
  switch (kind) {
    case 'pfifo_fast':
      return { kind: 'pfifo_fast' };
    case 'noqueue':
      return { kind: 'noqueue' };
    case 'pfifo': {
      const limit = num('limit', 'a packet count');
      return limit === undefined ? { kind: 'pfifo' } : { kind: 'pfifo', limit };
    }
    case 'bfifo': {
      const l = opts.get('limit');
      return l === undefined ? { kind: 'bfifo' } : { kind: 'bfifo', limit: size(l) };
    }
    case 'tbf': {
      const r = opts.get('rate');
      const b = opts.get('burst');
      if (!r) fail(kindTok, 'tbf needs "rate R"');
      if (!b) fail(kindTok, 'tbf needs "burst B"');
      if (b.text.includes('/')) fail(b, 'burst with a cell size ("32k/8") is not supported; give bytes');
      const q = makeTbf({
        rateBps: rate(r),
        burstBytes: size(b),
        limitBytes: opts.has('limit') ? size(opts.get('limit')!) : undefined,
        latencyNs: opts.has('latency') ? time(opts.get('latency')!) : undefined,
        peakrateBps: opts.has('peakrate') ? rate(opts.get('peakrate')!) : undefined,
        mtuBytes: opts.has('mtu') ? size(opts.get('mtu')!) : undefined,
      });
      if (typeof q === 'string') fail(kindTok, q);
      return q;
    }
    case 'fq_codel': {
      if (flags.has('ecn') && flags.has('noecn')) fail(kindTok, 'fq_codel: "ecn" and "noecn" together');
      const q = makeFqCodel({
        limit: num('limit', 'a packet count'),
        flows: num('flows', 'a flow count'),
        targetNs: opts.has('target') ? time(opts.get('target')!) : undefined,
        intervalNs: opts.has('interval') ? time(opts.get('interval')!) : undefined,
        quantum: opts.has('quantum') ? size(opts.get('quantum')!) : undefined,
        ceThresholdNs: opts.has('ce_threshold') ? time(opts.get('ce_threshold')!) : undefined,
        memoryLimit: opts.has('memory_limit') ? size(opts.get('memory_limit')!) : undefined,
        ecn: flags.has('ecn') ? true : flags.has('noecn') ? false : undefined,
      });
      if (typeof q === 'string') fail(kindTok, q);
      return q;
    }
    case 'htb': {
      const d = opts.get('default');
      let defaultMinor: number | undefined;
      if (d) {
        // tc reads the default class's minor id as hex (get_u32(..., 16)).
        if (!/^(0x)?[0-9a-f]{1,4}$/i.test(d.text)) fail(d, `expected a class minor id in hex like 20, got "${d.text}"`);
        defaultMinor = parseInt(d.text.replace(/^0x/i, ''), 16);
      }
      return makeHtb({ defaultMinor, r2q: num('r2q', 'an r2q value') });
    }
  }
  return fail(kindTok, `qdisc "${kind}" is not supported`);
}

function parseQdiscDel(a: Args, ns: string | undefined): Op {
  const pos: Pos = {};
  let device: string | undefined;
  let what: Token | undefined;
  while (!a.done) {
    const t = a.next('an option');
    if (t.text === 'dev') device = dev(a, t, pos);
    else if (t.text === 'root' || t.text === 'clsact') what = t;
    else if (KINDS.includes(t.text) && what?.text === 'root') continue; // "del dev X root tbf" names the kind, as tc allows
    else fail(t, `unexpected "${t.text}" (chainlab understands: tc qdisc del dev NAME {root|clsact})`);
  }
  if (!device || !what) return fail(a.tokens[0], 'expected "tc qdisc del dev NAME root" or "... clsact"');
  return what.text === 'clsact' ? { op: 'clsact', del: true, ns, dev: device, pos } : { op: 'qdisc-del', ns, dev: device, pos };
}

function parseClass(a: Args, ns: string | undefined, replace: boolean): Op {
  const pos: Pos = {};
  let device: string | undefined;
  let parent: string | undefined;
  let classid: string | undefined;
  let kindTok: Token | undefined;
  while (!kindTok) {
    const t = a.next('"htb" and the class options');
    if (t.text === 'dev') device = dev(a, t, pos);
    else if (t.text === 'parent') {
      const p = a.next('a parent id');
      parent = parentId(p);
      pos.parent = p.offset;
    } else if (t.text === 'classid') {
      const c = a.next('a class id');
      classid = handle(c, 'class');
      pos.classid = c.offset;
    } else if (t.text === 'htb') kindTok = t;
    else fail(t, `unexpected "${t.text}" (chainlab understands: ${TC_FORMS[3]})`);
  }
  if (!device) fail(kindTok, 'expected "dev NAME"');
  if (!parent) fail(kindTok, 'expected "parent ID"');
  if (!classid) fail(kindTok, 'expected "classid ID"');
  const opts = new Map<string, Token>();
  const WORDS = ['rate', 'ceil', 'burst', 'cburst', 'prio', 'quantum'];
  while (!a.done) {
    const t = a.next('an option');
    if (!WORDS.includes(t.text)) fail(t, `unexpected "${t.text}" for an htb class (options: ${WORDS.join(', ')})`);
    opts.set(t.text, a.next(`a value for ${t.text}`));
  }
  const r = opts.get('rate');
  if (!r) fail(kindTok, 'an htb class needs "rate R"');
  const c = makeHtbClass({
    classid,
    parent,
    rateBps: rate(r),
    ceilBps: opts.has('ceil') ? rate(opts.get('ceil')!) : undefined,
    burstBytes: opts.has('burst') ? size(opts.get('burst')!) : undefined,
    cburstBytes: opts.has('cburst') ? size(opts.get('cburst')!) : undefined,
    prio: opts.has('prio') ? uint(opts.get('prio')!, 'a priority') : undefined,
    quantum: opts.has('quantum') ? size(opts.get('quantum')!) : undefined,
  });
  if (typeof c === 'string') fail(kindTok, c);
  return { op: 'class', ns, dev: device, cls: c, replace, pos };
}

function parseFilter(a: Args, ns: string | undefined): Op {
  const pos: Pos = {};
  let device: string | undefined;
  let dir: 'ingress' | 'egress' | undefined;
  let priority: number | undefined;
  let kindTok: Token | undefined;
  while (!kindTok) {
    const t = a.next('"bpf" and its options');
    if (t.text === 'dev') device = dev(a, t, pos);
    else if (t.text === 'ingress' || t.text === 'egress') {
      dir = t.text;
      pos.dir = t.offset;
    } else if (t.text === 'parent') {
      // clsact's hooks by their handles, as `tc filter show` prints them.
      const p = a.next('a parent');
      const v = p.text.toLowerCase();
      if (v === 'ffff:fff2') dir = 'ingress';
      else if (v === 'ffff:fff3') dir = 'egress';
      else fail(p, 'chainlab attaches bpf filters to clsact only: "ingress", "egress", or parent ffff:fff2 / ffff:fff3');
      pos.dir = p.offset;
    } else if (t.text === 'prio' || t.text === 'pref' || t.text === 'priority') {
      priority = uint(a.next('a priority'), 'a priority', 0xffff);
      if (priority === 0) priority = undefined; // 0 asks the kernel to pick
    } else if (t.text === 'protocol') {
      const p = a.next('a protocol');
      if (p.text !== 'all') fail(p, `protocol "${p.text}" is not modelled: use "protocol all" and test the EtherType in the program`);
    } else if (t.text === 'handle' || t.text === 'chain') {
      a.next(`a ${t.text}`);
    } else if (t.text === 'bpf') kindTok = t;
    else if (['u32', 'flower', 'matchall', 'basic', 'fw', 'route'].includes(t.text)) fail(t, `filter "${t.text}" is not supported (chainlab runs bpf filters only)`);
    else fail(t, `unexpected "${t.text}" (chainlab understands: ${TC_FORMS[4]})`);
  }
  if (!device) fail(kindTok, 'expected "dev NAME"');
  if (!dir) fail(kindTok, 'expected "ingress" or "egress" (a clsact hook)');
  let directAction = false;
  let prog: ProgSpec | undefined;
  while (!a.done) {
    const t = a.next('a bpf option');
    if (t.text === 'da' || t.text === 'direct-action') directAction = true;
    else if (t.text === 'obj' || t.text === 'object' || t.text === 'object-file') {
      const f = a.next('an object file');
      prog = { kind: 'object', file: f.text };
      pos.obj = f.offset;
    } else if (t.text === 'pinned' || t.text === 'object-pinned') {
      const f = a.next('a bpffs path');
      prog = { kind: 'pinned', path: f.text };
      pos.pinned = f.offset;
    } else if (t.text === 'sec' || t.text === 'section') {
      const s = a.next('a section name');
      if (prog?.kind !== 'object') fail(t, '"sec" goes after "obj FILE"');
      prog.section = s.text;
    } else if (t.text === 'program' || t.text === 'name') {
      const s = a.next('a program name');
      if (prog?.kind !== 'object') fail(t, `"${t.text}" goes after "obj FILE"`);
      prog.program = s.text;
    } else if (t.text === 'verbose' || t.text === 'skip_hw' || t.text === 'skip_sw') continue;
    else if (t.text === 'classid' || t.text === 'flowid' || t.text === 'action') fail(t, `"${t.text}" is not modelled: use direct-action ("da") and return the verdict from the program`);
    else fail(t, `unexpected "${t.text}" (bpf options: da, obj FILE, sec SECTION, program NAME, pinned PATH)`);
  }
  if (!prog) fail(kindTok, 'expected "obj FILE" or "pinned PATH" after "bpf"');
  return { op: 'filter', ns, dev: device, dir, priority, directAction, prog, pos };
}
