/**
 * Latency statistics: exact percentiles over recorded samples (nearest-rank, as most tools
 * report) and a log2 histogram for printing, like bpftrace's hist().
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function latencySummary(samples: readonly number[]): { count: number; min?: number; p50?: number; p90?: number; p99?: number; p999?: number; max?: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    count: s.length,
    min: s[0],
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    p999: percentile(s, 99.9),
    max: s[s.length - 1],
  };
}

/** Buckets [2^k, 2^(k+1)) ns with counts, for a text histogram. */
export function log2Histogram(samples: readonly number[]): { lo: number; hi: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const v of samples) {
    const k = v <= 0 ? 0 : Math.floor(Math.log2(v));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a - b).map(([k, count]) => ({ lo: k === 0 ? 0 : 2 ** k, hi: 2 ** (k + 1), count }));
}

export function formatHistogram(h: ReturnType<typeof log2Histogram>, width = 40): string[] {
  const max = Math.max(1, ...h.map((b) => b.count));
  return h.map((b) => `${`[${fmtNs(b.lo)}, ${fmtNs(b.hi)})`.padEnd(22)} ${String(b.count).padStart(8)} |${'@'.repeat(Math.round((b.count / max) * width)).padEnd(width)}|`);
}

export function formatNs(ns: number): string {
  return fmtNs(ns);
}

export function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${+(ns / 1e9).toFixed(3)}s`;
  if (ns >= 1e6) return `${+(ns / 1e6).toFixed(3)}ms`;
  if (ns >= 1e3) return `${+(ns / 1e3).toFixed(3)}us`;
  return `${Math.round(ns)}ns`;
}
