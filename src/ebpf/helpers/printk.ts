/**
 * The printf-like helpers: bpf_trace_printk and bpf_trace_vprintk (kernel/trace/bpf_trace.c) and
 * bpf_snprintf (kernel/bpf/helpers.c). All three check the format with bpf_bprintf_prepare()
 * (kernel/bpf/helpers.c) and format with bstr_printf() (lib/vsprintf.c); this file models both.
 *
 * bpf_bprintf_prepare accepts: printable ASCII and whitespace; "%%"; conversions
 * %[0+- ]*[1-9][0-9]* followed by one of d i u x X with an optional l or ll, c, s, p, pK, px,
 * ps, pS, pB, pks, pus, pi4, pI4, pi6, pI6 — no precision, no '#', no '*'. A %s (or %pks/%pus)
 * must be followed by the end, whitespace or punctuation. More conversions than arguments, or
 * anything else, is -EINVAL. Strings are copied into a 512-byte argument buffer (so the strings
 * of one call share 512 bytes, as in the kernel), and the text into a 1024-byte buffer; the
 * return value is the untruncated length, like snprintf().
 *
 * Differences from the kernel, for the trace only: %p and %pK print a deterministic 32-bit hash
 * of the address (the kernel's is siphash-keyed at boot), and %ps/%pS/%pB print the address as
 * "0x…" since there are no kernel symbols.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { envOf, readCString, u32 } from './context.ts';
import { EINVAL, ENOSPC } from './errno.ts';

/** MAX_BPRINTF_BUF, MAX_BPRINTF_BIN_ARGS, MAX_BPRINTF_VARARGS (include/linux/bpf.h, kernel/bpf/helpers.c). */
export const MAX_BPRINTF_BUF = 1024;
export const MAX_BPRINTF_BIN_ARGS = 512;
export const MAX_BPRINTF_VARARGS = 12;
/** MAX_TRACE_PRINTK_VARARGS: bpf_trace_printk takes at most three arguments. */
export const MAX_TRACE_PRINTK_VARARGS = 3;

// struct printf_spec flags (lib/vsprintf.c).
const LEFT = 2, PLUS = 4, SPACE = 8, ZEROPAD = 16, SIGN = 1;

type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'num'; flags: number; width: number; value: bigint; base: 10 | 16; upper: boolean }
  | { kind: 'str'; flags: number; width: number; text: string }
  | { kind: 'char'; flags: number; width: number; code: number };

const isPrint = (x: number): boolean => x >= 0x20 && x <= 0x7e;
const isSpace = (x: number): boolean => x === 0x20 || (x >= 0x09 && x <= 0x0d);
const isPunct = (x: number): boolean => isPrint(x) && x !== 0x20 && !/[0-9A-Za-z]/.test(String.fromCharCode(x));
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** A deterministic stand-in for the kernel's hashed %p: 32 bits of a 64-bit mix of the address. */
function hashPointer(p: bigint): bigint {
  let x = BigInt.asUintN(64, p ^ 0x9e37_79b9_7f4a_7c15n);
  x = BigInt.asUintN(64, (x ^ (x >> 33n)) * 0xff51_afd7_ed55_8ccdn);
  x = BigInt.asUintN(64, (x ^ (x >> 33n)) * 0xc4ce_b9fe_1a85_ec53n);
  return (x ^ (x >> 33n)) & 0xffff_ffffn;
}

function ip4(b: Uint8Array, zeros: boolean): string {
  return [...b].map((v) => (zeros ? String(v).padStart(3, '0') : String(v))).join('.');
}

function ip6(b: Uint8Array, colons: boolean): string {
  const hex = [...b].map((v) => v.toString(16).padStart(2, '0'));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(hex[i] + hex[i + 1]);
  return groups.join(colons ? ':' : '');
}

/** A byte run of program memory, or undefined if it cannot be read (copy_from_kernel_nofault failing). */
function tryRead(c: HelperContext, addr: bigint, len: number): Uint8Array | undefined {
  try {
    return c.mem.read(addr, len).slice();
  } catch {
    return undefined;
  }
}

/**
 * bpf_bprintf_prepare + bstr_printf: check `fmt` (bytes before its NUL) against `args` and
 * format it. Returns a negative errno, or the formatted text (possibly containing NUL bytes
 * from %c) and its full length.
 */
export function bprintf(c: HelperContext, fmt: Uint8Array, args: readonly bigint[], numArgs: number): number | string {
  const n = fmt.length;
  const ch = (k: number): number => (k < n ? fmt[k] : 0);
  const pieces: Piece[] = [];
  let text = '';
  let numSpec = 0;
  let bin = 0; // bytes used in the 512-byte bin_args buffer
  const binLeft = (): number => MAX_BPRINTF_BIN_ARGS - bin;
  const align4 = (): void => {
    bin = (bin + 3) & ~3;
  };
  const flush = (): void => {
    if (text) pieces.push({ kind: 'text', text });
    text = '';
  };

  for (let i = 0; i < n; i++) {
    const x = fmt[i];
    if ((!isPrint(x) && !isSpace(x)) || x > 0x7f) return EINVAL;
    if (x !== 0x25 /* % */) {
      text += String.fromCharCode(x);
      continue;
    }
    if (ch(i + 1) === 0x25) {
      text += '%';
      i++;
      continue;
    }
    if (numSpec >= numArgs) return EINVAL;
    i++;
    let flags = 0;
    for (;;) {
      const f = ch(i);
      if (f === 0x30) flags |= ZEROPAD;
      else if (f === 0x2b) flags |= PLUS;
      else if (f === 0x2d) flags |= LEFT;
      else if (f === 0x20) flags |= SPACE;
      else break;
      i++;
    }
    let width = -1;
    if (ch(i) >= 0x31 && ch(i) <= 0x39) {
      width = 0;
      while (ch(i) >= 0x30 && ch(i) <= 0x39) width = Math.min(width * 10 + (ch(i++) - 0x30), (1 << 23) - 1);
    }
    const arg = args[numSpec] ?? 0n;
    flush();

    if (ch(i) === 0x70 /* p */) {
      const m = ch(i + 1);
      if ((m === 0x6b || m === 0x75) && ch(i + 2) === 0x73) {
        // %pks / %pus: a string, checked like %s.
        i += 2;
        const r = stringArg(c, arg, ch(i + 1), flags, width);
        if (typeof r === 'number') return r;
        pieces.push(r);
        numSpec++;
        continue;
      }
      if (m === 0 || isSpace(m) || isPunct(m) || m === 0x4b || m === 0x78 || m === 0x73 || m === 0x53) {
        align4();
        if (binLeft() < 8) return ENOSPC;
        bin += 8;
        i++;
        const p = BigInt.asUintN(64, arg);
        if (m === 0x73 || m === 0x53) {
          pieces.push({ kind: 'str', flags, width, text: `0x${p.toString(16)}` });
        } else {
          // %px prints the address; %p and %pK a hash of it, but NULL and error pointers as they are.
          const raw = m === 0x78 || p === 0n || p >= 0xffff_ffff_ffff_f001n;
          const v = raw ? p : hashPointer(p);
          pieces.push({ kind: 'num', flags: width < 0 ? flags | ZEROPAD : flags, width: width < 0 ? 16 : width, value: v, base: 16, upper: false });
        }
        numSpec++;
        continue;
      }
      if (m === 0x42 /* B */) {
        const s = `0x${BigInt.asUintN(64, arg).toString(16)}`;
        bin += Math.min(s.length + 1, binLeft());
        pieces.push({ kind: 'str', flags, width, text: s });
        i++;
        numSpec++;
        continue;
      }
      if ((m !== 0x69 && m !== 0x49) || (ch(i + 2) !== 0x34 && ch(i + 2) !== 0x36)) return EINVAL;
      i += 2;
      const v4 = ch(i) === 0x34;
      const size = v4 ? 4 : 16;
      if (binLeft() < size) return ENOSPC;
      const addr = tryRead(c, arg, size) ?? new Uint8Array(size);
      const s = v4 ? ip4(addr, m === 0x69) : ip6(addr, m === 0x49);
      bin += Math.min(s.length + 1, binLeft());
      pieces.push({ kind: 'str', flags, width, text: s });
      numSpec++;
      continue;
    }
    if (ch(i) === 0x73 /* s */) {
      const r = stringArg(c, arg, ch(i + 1), flags, width);
      if (typeof r === 'number') return r;
      pieces.push(r);
      numSpec++;
      continue;
    }
    if (ch(i) === 0x63 /* c */) {
      if (binLeft() === 0) return ENOSPC;
      bin += 1;
      pieces.push({ kind: 'char', flags, width, code: Number(arg & 0xffn) });
      numSpec++;
      continue;
    }
    let size = 4;
    if (ch(i) === 0x6c) {
      size = 8;
      i++;
    }
    if (ch(i) === 0x6c) {
      size = 8;
      i++;
    }
    const conv = ch(i);
    if (conv !== 0x69 && conv !== 0x64 && conv !== 0x75 && conv !== 0x78 && conv !== 0x58) return EINVAL;
    align4();
    if (binLeft() < size) return ENOSPC;
    bin += size;
    const signed = conv === 0x69 || conv === 0x64;
    const value = size === 4 ? (signed ? BigInt.asIntN(32, arg) : BigInt.asUintN(32, arg)) : signed ? BigInt.asIntN(64, arg) : BigInt.asUintN(64, arg);
    pieces.push({ kind: 'num', flags: signed ? flags | SIGN : flags, width, value, base: signed || conv === 0x75 ? 10 : 16, upper: conv === 0x58 });
    numSpec++;
  }
  flush();
  return pieces.map(render).join('');

  /** A %s argument: the string is copied into what is left of bin_args (empty if unreadable). */
  function stringArg(c: HelperContext, ptr: bigint, next: number, flags: number, width: number): Piece | number {
    if (next !== 0 && !isSpace(next) && !isPunct(next)) return EINVAL;
    if (binLeft() === 0) return ENOSPC;
    const s = readCString(c, ptr, binLeft() - 1) ?? new Uint8Array(0);
    bin += s.length + 1;
    return { kind: 'str', flags, width, text: latin1(s) };
  }
}

/** lib/vsprintf.c number(), string() and the %c case of format, for one piece. */
function render(p: Piece): string {
  if (p.kind === 'text') return p.text;
  const left = (p.flags & LEFT) !== 0;
  if (p.kind === 'str' || p.kind === 'char') {
    const body = p.kind === 'str' ? p.text : String.fromCharCode(p.code);
    const pad = ' '.repeat(Math.max(0, p.width - body.length));
    return left ? body + pad : pad + body;
  }
  let flags = p.flags;
  if (flags & LEFT) flags &= ~ZEROPAD;
  let num = p.value;
  let fieldWidth = p.width;
  let sign = '';
  if (flags & SIGN) {
    if (num < 0n) {
      sign = '-';
      num = -num;
      fieldWidth--;
    } else if (flags & PLUS) {
      sign = '+';
      fieldWidth--;
    } else if (flags & SPACE) {
      sign = ' ';
      fieldWidth--;
    }
  }
  let digits = num.toString(p.base);
  if (p.upper) digits = digits.toUpperCase();
  fieldWidth -= digits.length;
  let out = '';
  if (!(flags & (ZEROPAD | LEFT)) && fieldWidth > 0) out += ' '.repeat(fieldWidth);
  out += sign;
  if (!(flags & LEFT) && flags & ZEROPAD && fieldWidth > 0) out += '0'.repeat(fieldWidth);
  out += digits;
  if (flags & LEFT && fieldWidth > 0) out += ' '.repeat(fieldWidth);
  return out;
}

/** The line as the trace shows it: the kernel's C string (up to a NUL from %c), one trailing newline dropped. */
function traceLine(text: string): string {
  const nul = text.indexOf('\0');
  const s = (nul < 0 ? text : text.slice(0, nul)).slice(0, MAX_BPRINTF_BUF - 1);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

function emit(c: HelperContext, text: string): void {
  const env = envOf(c);
  const line = traceLine(text);
  env.printk.push(line);
  env.host.tracePrintk(line);
}

/** The format of bpf_trace_printk/vprintk: fmt_size bytes, which must contain the NUL. */
function fmtOf(c: HelperContext, addr: bigint, size: number): Uint8Array | undefined {
  const bytes = c.mem.read(addr, size);
  const nul = bytes.indexOf(0);
  return nul < 0 ? undefined : bytes.slice(0, nul);
}

/** An args array of data_len bytes (u64 each), as bpf_trace_vprintk and bpf_snprintf take them. */
function argArray(c: HelperContext, addr: bigint, dataLen: number): bigint[] | number {
  if (dataLen % 8 !== 0 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen > 0 && addr === 0n)) return EINVAL;
  if (dataLen === 0) return [];
  const raw = c.mem.read(addr, dataLen);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: dataLen / 8 }, (_, k) => dv.getBigUint64(k * 8, true));
}

/** bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3) */
function tracePrintk(c: HelperContext): number {
  const fmt = fmtOf(c, c.arg(1), u32(c, 2));
  if (fmt === undefined) return EINVAL;
  const r = bprintf(c, fmt, [c.arg(3), c.arg(4), c.arg(5)], MAX_TRACE_PRINTK_VARARGS);
  if (typeof r === 'number') return r;
  emit(c, r);
  return r.length;
}

/** bpf_trace_vprintk(fmt, fmt_size, args, data_len) */
function traceVprintk(c: HelperContext): number {
  const args = argArray(c, c.arg(3), u32(c, 4));
  if (typeof args === 'number') return args;
  const fmt = fmtOf(c, c.arg(1), u32(c, 2));
  if (fmt === undefined) return EINVAL;
  const r = bprintf(c, fmt, args, args.length);
  if (typeof r === 'number') return r;
  emit(c, r);
  return r.length;
}

/** bpf_snprintf(str, str_size, fmt, args, data_len): returns the length including the NUL. */
function snprintf(c: HelperContext): number {
  const size = u32(c, 2);
  const args = argArray(c, c.arg(4), u32(c, 5));
  if (typeof args === 'number') return args;
  // fmt is ARG_PTR_TO_CONST_STR: NUL-terminated read-only data, so its length is unbounded here.
  const fmt = readCString(c, c.arg(3), 1 << 20);
  if (fmt === undefined) return EINVAL;
  const r = bprintf(c, fmt, args, args.length);
  if (typeof r === 'number') return r;
  if (size > 0) {
    const out = c.mem.writable(c.arg(1), size);
    const k = Math.min(r.length, size - 1);
    for (let i = 0; i < k; i++) out[i] = r.charCodeAt(i);
    out[k] = 0;
  }
  return r.length + 1;
}

export const PRINTK_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [6, tracePrintk],
  [165, snprintf],
  [177, traceVprintk],
]);
