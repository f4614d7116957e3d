/**
 * The errno values helpers return, negated as the kernel returns them (include/uapi/asm-generic/errno*.h
 * and include/linux/errno.h for the kernel-internal ENOTSUPP).
 */

export const EPERM = -1;
export const ENOENT = -2;
export const E2BIG = -7;
export const EAGAIN = -11;
export const ENOMEM = -12;
export const EACCES = -13;
export const EFAULT = -14;
export const EBUSY = -16;
export const EEXIST = -17;
export const ENODEV = -19;
export const EINVAL = -22;
export const ENOSPC = -28;
export const ERANGE = -34;
export const EPROTO = -71;
export const EOVERFLOW = -75;
export const EOPNOTSUPP = -95;
export const EAFNOSUPPORT = -97;
export const EALREADY = -114;
/** Kernel-internal "operation not supported" (524); user space sees "Unknown error 524". */
export const ENOTSUPP = -524;
