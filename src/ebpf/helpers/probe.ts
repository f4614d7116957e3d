/**
 * bpf_probe_read_kernel / bpf_probe_read_kernel_str, kernel/trace/bpf_trace.c. "Kernel memory" is
 * whatever program memory is mapped and readable; any other address faults, and the helpers then
 * zero the destination and return -EFAULT, as copy_from_kernel_nofault() failing does.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { readCString, u32 } from './context.ts';
import { EFAULT } from './errno.ts';

/** bpf_probe_read_kernel(dst, size, unsafe_ptr) */
function probeRead(c: HelperContext): number {
  const size = u32(c, 2);
  const dst = c.mem.writable(c.arg(1), size);
  if (size === 0) return 0;
  try {
    dst.set(c.mem.read(c.arg(3), size));
    return 0;
  } catch {
    dst.fill(0);
    return EFAULT;
  }
}

/** bpf_probe_read_kernel_str(dst, size, unsafe_ptr): length copied including the NUL, at most size. */
function probeReadStr(c: HelperContext): number {
  const size = u32(c, 2);
  const dst = c.mem.writable(c.arg(1), size);
  if (size === 0) return 0;
  const s = readCString(c, c.arg(3), size - 1);
  if (s === undefined) {
    dst.fill(0);
    return EFAULT;
  }
  // strncpy_from_kernel_nofault() leaves the rest of dst alone.
  dst.set(s);
  dst[s.length] = 0;
  return s.length + 1;
}

export const PROBE_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [113, probeRead],
  [115, probeReadStr],
]);
