/**
 * Checking a scenario's expectations after its run (`chainlab test`): counters, map contents,
 * delivered/dropped packets per flow, latency percentiles and the path of one packet.
 * `watchExpectations` must be called before the run (paths are recorded as they happen).
 */
import { bytesToHex, hexToBytes } from '../ebpf/isa/insn.ts';
import { LatencyRecorder } from '../trace/latency.ts';
import type { Built } from './build.ts';
import type { Comparison, Expectation, FlowMatch, PacketMatch } from './model.ts';
import type { LedgerEntry } from '../net/network.ts';

export interface ExpectResult {
  expectation: Expectation;
  /** "scenarios/x.yaml:12:5" */
  where: string;
  title: string;
  passed: boolean;
  /** What was measured, in words. */
  actual: string;
}

function cmp(actual: number, c: Comparison): boolean {
  switch (c.op) {
    case '==':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case '>=':
      return actual >= c.value;
    case '<=':
      return actual <= c.value;
    case '>':
      return actual > c.value;
    case '<':
      return actual < c.value;
    case '~': {
      const tol = c.tolerance ? ('abs' in c.tolerance ? c.tolerance.abs : (Math.abs(c.value) * c.tolerance.pct) / 100) : 0;
      return Math.abs(actual - c.value) <= tol;
    }
  }
}

const cmpText = (c: Comparison): string => `${c.op} ${c.value}${c.tolerance ? ` ±${'abs' in c.tolerance ? c.tolerance.abs : `${c.tolerance.pct}%`}` : ''}`;

/** "udp 10.0.0.1:1 > 10.0.0.2:53" against a FlowMatch. */
function flowMatches(flow: string | undefined, m: FlowMatch | undefined): boolean {
  if (!m) return true;
  if (!flow) return false;
  const r = /^(\S+) (.+):(\d+) > (.+):(\d+)$/.exec(flow);
  if (!r) return false;
  const [, proto, src, sport, dst, dport] = r;
  return (m.protocol === undefined || m.protocol === proto) && (m.src === undefined || m.src === src) && (m.dst === undefined || m.dst === dst) && (m.sport === undefined || m.sport === Number(sport)) && (m.dport === undefined || m.dport === Number(dport));
}

function matches(e: { host: string; dev: string; traffic?: string; flow?: string }, m: PacketMatch): boolean {
  return (m.host === undefined || m.host === e.host) && (m.dev === undefined || m.dev === e.dev) && (m.traffic === undefined || m.traffic === e.traffic) && flowMatches(e.flow, m.flow);
}

const matchText = (m: PacketMatch): string => Object.entries(m).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ') || 'all packets';

export interface Watch {
  check(): ExpectResult[];
}

export function watchExpectations(b: Built): Watch {
  const paths = new Map<Expectation, PathSeen>();
  const perTraffic = new Map<string, number>();
  let total = 0;
  const wanted = b.scenario.expect.filter((e) => e.kind === 'path');
  if (wanted.length > 0) {
    for (const e of wanted) paths.set(e, { hops: [], family: new Set() });
    b.net.onInject = (skb) => {
      const n = skb.traffic ? (perTraffic.get(skb.traffic) ?? 0) : 0;
      if (skb.traffic) perTraffic.set(skb.traffic, n + 1);
      for (const e of wanted) {
        if (e.kind !== 'path') continue;
        const p = paths.get(e);
        if (p && p.id === undefined && (e.traffic ? e.traffic === skb.traffic && n === e.packet : total === e.packet)) p.id = skb.id;
      }
      total++;
    };
    b.net.trace.subscribe((r) => {
      if (r.type !== 'hop') return;
      for (const p of paths.values()) {
        if (p.id === undefined) continue;
        if (r.pkt === p.id || (r.parent !== undefined && p.family.has(r.parent))) {
          p.family.add(r.pkt);
          p.hops.push({ at: `${r.host}/${r.dev ?? '-'}/${r.hook}`, verdict: r.verdict ?? r.reason ?? '' });
        }
      }
    });
  }
  return {
    check: () => b.scenario.expect.map((e) => checkOne(b, e, paths.get(e))),
  };
}

/** The hops of the packet a path expectation follows (and of the packets made from it). */
interface PathSeen {
  id?: number;
  family: Set<number>;
  hops: { at: string; verdict: string }[];
}

/** "h/eth0/xdp" matches a hop there; "h/eth0/xdp XDP_DROP" also needs its verdict to start with XDP_DROP. */
function hopMatches(want: string, got: { at: string; verdict: string }): boolean {
  const sp = want.indexOf(' ');
  return sp < 0 ? got.at === want : got.at === want.slice(0, sp) && got.verdict.startsWith(want.slice(sp + 1));
}

function checkOne(b: Built, e: Expectation, path?: PathSeen): ExpectResult {
  const where = `${b.scenario.file}:${e.at.line}:${e.at.col}`;
  const res = (title: string, passed: boolean, actual: string): ExpectResult => ({ expectation: e, where, title, passed, actual });
  const ledger = [...b.net.ledger.values()];
  const sum = (pred: (l: LedgerEntry) => boolean): number => ledger.filter(pred).reduce((s, l) => s + l.count, 0);
  switch (e.kind) {
    case 'counter': {
      const v = b.net.counters.get(e.counter);
      return res(`counter ${e.counter} ${cmpText(e.check)}`, cmp(v, e.check), `${v}`);
    }
    case 'map': {
      const obj = b.objects.get(e.object);
      const map = obj?.maps.get(e.map);
      if (!map) return res(`map ${e.object}:${e.map}`, false, 'no such map');
      const kb = e.key;
      const key = 'hex' in kb ? hexToBytes(kb.hex) : !('ifindex' in kb) ? new Uint8Array(map.def.keySize) : (() => {
        const k = new Uint8Array(map.def.keySize);
        const d = b.net.hosts.get(kb.ifindex.host)?.devices.get(kb.ifindex.dev);
        new DataView(k.buffer).setUint32(0, d?.ifindex ?? 0, true);
        return k;
      })();
      const v = map.lookup(key);
      const title = `map ${e.map}[${bytesToHex(key)}]`;
      if ('absent' in e.expect) return res(`${title} is absent`, v === undefined, v === undefined ? 'absent' : 'present');
      if (v === undefined) return res(title, false, 'no such key');
      const vals = Array.isArray(v) ? v : [v];
      const ex = e.expect;
      if ('bytes' in ex) {
        const want = ex.bytes.toLowerCase().replace(/\s+/g, '');
        const got = vals.map(bytesToHex).join(',');
        return res(`${title} == ${ex.bytes}`, vals.every((x) => bytesToHex(x) === want), got);
      }
      // A number: unsigned little-endian, summed over CPUs for per-CPU maps.
      const total = vals.reduce((s, x) => s + [...x].reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n), 0n);
      return res(`${title} ${cmpText(ex.number)}`, cmp(Number(total), ex.number), `${total}`);
    }
    case 'delivered': {
      const v = sum((l) => l.outcome === 'delivered' && matches(l, e.match));
      return res(`delivered (${matchText(e.match)}) ${cmpText(e.check)}`, cmp(v, e.check), `${v}`);
    }
    case 'dropped': {
      const v = sum((l) => l.outcome === 'dropped' && matches(l, e.match) && (e.reason === undefined || (l.reason ?? '').includes(e.reason)));
      return res(`dropped${e.reason ? ` for ${e.reason}` : ''} (${matchText(e.match)}) ${cmpText(e.check)}`, cmp(v, e.check), `${v}`);
    }
    case 'latency': {
      const all = new LatencyRecorder();
      for (const [k, l] of b.net.latencyBy) {
        const [dev, traffic, flow] = k.split('|');
        const [host, name] = dev.split('/');
        if (matches({ host, dev: name, traffic: traffic || undefined, flow: flow || undefined }, e.match)) all.merge(l);
      }
      const p = all.percentile(e.percentile);
      const got = p === undefined ? 'no delivered packets' : `${all.exact ? '' : '≈'}${p} ns over ${all.count} packets${all.exact ? '' : ' (approximate: within 0.05%)'}`;
      return res(`p${e.percentile} latency (${matchText(e.match)}) ${e.checks.map((c) => `${cmpText(c)} ns`).join(' and ')}`, p !== undefined && e.checks.every((c) => cmp(p, c)), got);
    }
    case 'path': {
      const got = path?.hops ?? [];
      let passed: boolean;
      if (e.exact) passed = got.length === e.hops.length && got.every((h, k) => hopMatches(e.hops[k], h));
      else {
        // Each expected hop must appear, in order (other hops may come between).
        let i = 0;
        for (const h of got) if (i < e.hops.length && hopMatches(e.hops[i], h)) i++;
        passed = i === e.hops.length;
      }
      const shown = got.map((h) => (h.verdict ? `${h.at} ${h.verdict}` : h.at)).join(' → ');
      return res(`packet ${e.packet}${e.traffic ? ` of ${e.traffic}` : ''} takes ${e.exact ? 'exactly ' : ''}${e.hops.join(' → ')}`, passed, path?.id === undefined ? 'packet never sent' : shown);
    }
  }
}
