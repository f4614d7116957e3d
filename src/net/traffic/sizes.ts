/**
 * Frame sizes. Sizes here are Ethernet frame lengths without the FCS, as a capture shows them;
 * a frame never comes out shorter than its headers.
 */
import type { Random } from '../../sim/index.ts';

export interface SizeDistribution {
  readonly description: string;
  /** Mean frame length in bytes. */
  readonly mean: number;
  next(rng: Random): number;
}

export function fixedSize(bytes: number): SizeDistribution {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`frame size must be a non-negative integer, got ${bytes}`);
  return { description: `${bytes} B`, mean: bytes, next: () => bytes };
}

/** Sizes drawn with the given integer weights. */
export function weightedSizes(table: readonly (readonly [size: number, weight: number])[]): SizeDistribution {
  if (table.length === 0) throw new RangeError('weightedSizes: empty table');
  const total = table.reduce((s, [, w]) => s + w, 0);
  if (!table.every(([s, w]) => Number.isInteger(w) && w > 0 && Number.isInteger(s) && s >= 0)) {
    throw new RangeError('weightedSizes: sizes and weights must be non-negative integers, weights > 0');
  }
  const mean = table.reduce((s, [size, w]) => s + size * w, 0) / total;
  return {
    description: table.map(([s, w]) => `${s}B×${w}`).join(' '),
    mean,
    next: (rng) => {
      let r = rng.int(0, total);
      for (const [size, w] of table) {
        if (r < w) return size;
        r -= w;
      }
      return table[table.length - 1][0]; // unreachable
    },
  };
}

/**
 * "Simple IMIX": 7 : 4 : 1 of 64, 594 and 1518-byte frames on the wire including the FCS —
 * i.e. IP packets of 40 (padded to 46), 576 and 1500 bytes — the mix of Agilent/Ixia test
 * gear and of the Internet Mix article that cites it. Without the FCS, which captures and this
 * simulator leave out, that is 60, 590 and 1514 bytes; mean 340.3 B (344.3 B on the wire).
 */
export function imix(): SizeDistribution {
  const d = weightedSizes([
    [60, 7],
    [590, 4],
    [1514, 1],
  ]);
  return { ...d, description: 'simple IMIX 7:4:1 (64/594/1518 B with FCS)' };
}
