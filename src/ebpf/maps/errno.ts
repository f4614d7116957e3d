/**
 * The errno values map operations return, as the kernel returns them: negative numbers
 * (`-EEXIST`), and the C library's text for each so that messages read like bpftool's
 * ("Error: update failed: File exists").
 */

export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOVERFLOW = 75;
export const ENOTSOCK = 88;
export const EOPNOTSUPP = 95;
/** Kernel-internal; user space sees it as "Unknown error 524". */
export const ENOTSUPP = 524;

const TEXT: Readonly<Record<number, [string, string]>> = {
  [EPERM]: ['EPERM', 'Operation not permitted'],
  [ENOENT]: ['ENOENT', 'No such file or directory'],
  [E2BIG]: ['E2BIG', 'Argument list too long'],
  [EBADF]: ['EBADF', 'Bad file descriptor'],
  [EAGAIN]: ['EAGAIN', 'Resource temporarily unavailable'],
  [ENOMEM]: ['ENOMEM', 'Cannot allocate memory'],
  [EFAULT]: ['EFAULT', 'Bad address'],
  [EBUSY]: ['EBUSY', 'Device or resource busy'],
  [EEXIST]: ['EEXIST', 'File exists'],
  [ENODEV]: ['ENODEV', 'No such device'],
  [EINVAL]: ['EINVAL', 'Invalid argument'],
  [ENOSPC]: ['ENOSPC', 'No space left on device'],
  [EOVERFLOW]: ['EOVERFLOW', 'Value too large for defined data type'],
  [ENOTSOCK]: ['ENOTSOCK', 'Socket operation on non-socket'],
  [EOPNOTSUPP]: ['EOPNOTSUPP', 'Operation not supported'],
  [ENOTSUPP]: ['ENOTSUPP', 'Unknown error 524'],
};

/** strerror(3) text for an errno, either sign. */
export function strerror(errno: number): string {
  const e = Math.abs(errno);
  return TEXT[e]?.[1] ?? `Unknown error ${e}`;
}

/** Symbolic name ("EEXIST") for an errno, either sign. */
export function errnoName(errno: number): string {
  const e = Math.abs(errno);
  return TEXT[e]?.[0] ?? `E${e}`;
}
