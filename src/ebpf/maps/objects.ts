/**
 * Host objects that fd-valued maps hold (programs, maps, sockets): chainlab treats them as
 * opaque, reading only a few optional properties the kernel would know about them.
 */

function prop(o: unknown, name: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[name] : undefined;
}

/** The id user space sees for a stored object (prog id, map id): its numeric `id`, else 0. */
export function objectId(o: unknown): number {
  const id = prop(o, 'id');
  return typeof id === 'number' ? id : 0;
}

/** A program's type ('BPF_PROG_TYPE_XDP'), when the object says. */
export function progType(o: unknown): string | undefined {
  const t = prop(o, 'type') ?? prop(o, 'progType');
  return typeof t === 'string' ? t : undefined;
}

/** A program's expected attach type ('BPF_XDP_DEVMAP'), when the object says. */
export function progAttachType(o: unknown): string | undefined {
  const t = prop(o, 'expectedAttachType');
  return typeof t === 'string' ? t : undefined;
}

/** A socket's cookie, when the host gives one. */
export function sockCookie(o: unknown): bigint | undefined {
  const c = prop(o, 'cookie');
  return typeof c === 'bigint' ? c : typeof c === 'number' ? BigInt(c) : undefined;
}

/** An address the host already gave the object in engine memory (a socket's bpf_sock). */
export function objectAddr(o: unknown): bigint | undefined {
  const a = prop(o, 'addr');
  return typeof a === 'bigint' ? a : undefined;
}
