/**
 * Routing and neighbour tables of a host (network namespace): longest-prefix match with route
 * metrics (net/ipv4/fib_trie.c semantics, simplified to one main table), connected routes from
 * addresses, static neighbours, and the answer bpf_fib_lookup() gives (net/core/filter.c:
 * bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup return codes).
 */

export interface Route {
  family: 4 | 6;
  dst: Uint8Array;
  prefixLen: number;
  /** Next hop; absent for a connected (scope link) route. */
  via?: Uint8Array;
  ifindex: number;
  metric: number;
}

export const BPF_FIB_LKUP_RET_SUCCESS = 0;
export const BPF_FIB_LKUP_RET_BLACKHOLE = 1;
export const BPF_FIB_LKUP_RET_UNREACHABLE = 2;
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
export const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;
export const BPF_FIB_LKUP_RET_NO_NEIGH = 7;

export function parseCidr(text: string): { family: 4 | 6; addr: Uint8Array; prefixLen: number } {
  const [a, p] = text.split('/');
  const addr = parseIp(a);
  const max = addr.length * 8;
  const prefixLen = p === undefined ? max : Number(p);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > max) throw new Error(`${text}: prefix length must be 0..${max}`);
  return { family: addr.length === 4 ? 4 : 6, addr, prefixLen };
}

export function parseIp(text: string): Uint8Array {
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    if (tail === undefined && h.length !== 8) throw new Error(`${text}: not an IPv6 address`);
    const words = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    const out = new Uint8Array(16);
    words.forEach((w, i) => {
      const v = parseInt(w, 16);
      if (!/^[0-9a-f]{1,4}$/i.test(w) || Number.isNaN(v)) throw new Error(`${text}: not an IPv6 address`);
      out[i * 2] = v >> 8;
      out[i * 2 + 1] = v & 0xff;
    });
    return out;
  }
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`${text}: not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

export const formatIp = (b: Uint8Array): string =>
  b.length === 4 ? [...b].join('.') : Array.from({ length: 8 }, (_, i) => ((b[i * 2] << 8) | b[i * 2 + 1]).toString(16)).join(':');

function prefixMatch(a: Uint8Array, b: Uint8Array, len: number): boolean {
  const full = len >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rem = len & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (a[full] & mask) === (b[full] & mask);
}

const key = (b: Uint8Array): string => b.join('.');

export class RouteTable {
  readonly routes: Route[] = [];

  add(r: Route): void {
    if (this.routes.some((x) => x.family === r.family && x.prefixLen === r.prefixLen && x.metric === r.metric && prefixMatch(x.dst, r.dst, r.prefixLen))) {
      throw new Error(`route ${formatIp(r.dst)}/${r.prefixLen} metric ${r.metric} exists (RTNETLINK answers: File exists)`);
    }
    this.routes.push(r);
  }

  /** Longest prefix first, then the lowest metric. */
  lookup(dst: Uint8Array): Route | undefined {
    let best: Route | undefined;
    for (const r of this.routes) {
      if (r.dst.length !== dst.length || !prefixMatch(r.dst, dst, r.prefixLen)) continue;
      if (!best || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && r.metric < best.metric)) best = r;
    }
    return best;
  }
}

/** Static neighbour entries (ip neigh add … lladdr … dev …), per device. */
export class NeighTable {
  private readonly entries = new Map<string, Uint8Array>();

  add(ifindex: number, ip: Uint8Array, mac: Uint8Array): void {
    this.entries.set(`${ifindex}/${key(ip)}`, mac);
  }

  lookup(ifindex: number, ip: Uint8Array): Uint8Array | undefined {
    return this.entries.get(`${ifindex}/${key(ip)}`);
  }
}
