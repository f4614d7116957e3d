/**
 * String helpers, kernel/bpf/helpers.c: bpf_strtol, bpf_strtoul (__bpf_strtoull() over
 * lib/kstrtox.c _parse_integer_fixup_radix() and _parse_integer()) and bpf_strncmp
 * (lib/string.c strncmp(), which answers -1, 0 or 1).
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { readCString } from './context.ts';
import { EINVAL, ERANGE } from './errno.ts';

const BPF_STRTOX_BASE_MASK = 0x1f;
const U64_MAX = (1n << 64n) - 1n;
/** lib/ctype.c: space, \t \n \v \f \r and Latin-1 NBSP. */
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0;
const digitOf = (b: number): number => (b >= 0x30 && b <= 0x39 ? b - 0x30 : (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66 ? (b | 0x20) - 0x61 + 10 : 99);

/** __bpf_strtoull(): consumed bytes and the value, or a negative errno. */
function strtoull(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & BigInt(BPF_STRTOX_BASE_MASK));
  if (buf.length === 0) return EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return EINVAL;
  if (flags & ~BigInt(BPF_STRTOX_BASE_MASK)) return EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return EINVAL;
  // The rest is copied into a 64-byte string: at most 63 characters, NUL-terminated.
  const str = new Uint8Array(64);
  str.set(buf.subarray(i, i + 63));
  let s = 0;
  if (base === 0) base = str[0] === 0x30 ? ((str[1] | 0x20) === 0x78 && digitOf(str[2]) < 16 ? 16 : 8) : 10;
  if (base === 16 && str[0] === 0x30 && (str[1] | 0x20) === 0x78) s = 2;
  let value = 0n;
  let digits = 0;
  let overflow = false;
  for (; ; s++, digits++) {
    const d = digitOf(str[s]);
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > U64_MAX) {
      overflow = true;
      value &= U64_MAX;
    }
  }
  if (overflow) return ERANGE;
  if (digits === 0) return EINVAL;
  return { consumed: i + s, value, negative };
}

function writeU64(c: HelperContext, addr: bigint, v: bigint): void {
  const w = c.mem.writable(addr, 8);
  new DataView(w.buffer, w.byteOffset, 8).setBigUint64(0, BigInt.asUintN(64, v), true);
}

const bufArg = (c: HelperContext): Uint8Array => c.mem.read(c.arg(1), Number(c.arg(2))).slice();

export const STRING_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  // bpf_strtol(buf, buf_len, flags, long *res)
  [105, (c) => {
    // *res is zeroed first, so a failed call leaves 0 there (found with the kernel oracle).
    writeU64(c, c.arg(4), 0n);
    const r = strtoull(bufArg(c), c.arg(3));
    if (typeof r === 'number') return r;
    const v = r.negative ? -r.value : r.value;
    if (v < -(1n << 63n) || v > (1n << 63n) - 1n) return ERANGE;
    writeU64(c, c.arg(4), v);
    return r.consumed;
  }],
  // bpf_strtoul(buf, buf_len, flags, unsigned long *res): a minus sign is EINVAL.
  [106, (c) => {
    writeU64(c, c.arg(4), 0n);
    const r = strtoull(bufArg(c), c.arg(3));
    if (typeof r === 'number') return r;
    if (r.negative) return EINVAL;
    writeU64(c, c.arg(4), r.value);
    return r.consumed;
  }],
  // bpf_strncmp(s1, s1_sz, s2): s2 is a NUL-terminated read-only string (the verifier checks it).
  [182, (c) => {
    const n = Number(c.arg(2));
    const s1 = c.mem.read(c.arg(1), n);
    const s2 = readCString(c, c.arg(3), n) ?? new Uint8Array(0);
    for (let i = 0; i < n; i++) {
      const a = s1[i];
      const b = i < s2.length ? s2[i] : 0;
      if (a !== b) return a < b ? -1 : 1;
      if (a === 0) break;
    }
    return 0;
  }],
]);
