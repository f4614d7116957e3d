/**
 * Address syntax for scenarios: IPs, CIDRs and MACs checked and put in canonical text (RFC 5952
 * IPv6, lowercase MACs), so that "fd00::0001/64" written in a command and "fd00::1/64" written
 * in YAML give the same model. Parsing returns undefined on bad text, never throws.
 */
import { formatIp4, formatIp6, formatMac, parseIp4, parseIp6, parseMac } from '../net/packet/addr.ts';

export interface Ip {
  family: 4 | 6;
  bytes: Uint8Array;
  text: string;
}

export interface Cidr extends Ip {
  prefix: number;
  /** "addr/prefix", canonical. */
  cidr: string;
}

export function parseIp(text: string): Ip | undefined {
  try {
    if (text.includes(':')) {
      const bytes = parseIp6(text);
      return { family: 6, bytes, text: formatIp6(bytes) };
    }
    const bytes = parseIp4(text);
    return { family: 4, bytes, text: formatIp4(bytes) };
  } catch {
    return undefined;
  }
}

/** "10.0.0.1/24"; a bare address is a host prefix (/32, /128), as `ip addr add` reads it. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { ...ip, prefix, cidr: `${ip.text}/${prefix}` };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** The network of a CIDR, e.g. 10.0.0.1/24 → 10.0.0.0/24. */
export function networkOf(c: Cidr): string {
  const b = maskBytes(c.bytes, c.prefix);
  return `${c.family === 4 ? formatIp4(b) : formatIp6(b)}/${c.prefix}`;
}

export function hasHostBits(c: Cidr): boolean {
  return networkOf(c) !== c.cidr;
}

export function cidrContains(c: Cidr, ip: Ip): boolean {
  if (c.family !== ip.family) return false;
  const a = maskBytes(c.bytes, c.prefix);
  const b = maskBytes(ip.bytes, c.prefix);
  return a.every((v, i) => v === b[i]);
}

/** Lowercase colon form, or undefined. */
export function parseMacText(text: string): string | undefined {
  try {
    return formatMac(parseMac(text));
  } catch {
    return undefined;
  }
}

/** A MAC a device may own: not multicast (the I/G bit) and not all zeros, as eth_validate_addr() checks. */
export function isUnicastMac(mac: string): boolean {
  const b = parseMac(mac);
  return (b[0] & 1) === 0 && b.some((x) => x !== 0);
}

/**
 * Device names as the kernel's dev_valid_name() accepts them: 1..15 characters (IFNAMSIZ),
 * not "." or "..", no '/', ':' or whitespace. Returns why not, or undefined.
 */
export function badDeviceName(name: string): string | undefined {
  if (name.length === 0) return 'a device name cannot be empty';
  if (name.length > 15) return `device name "${name}" is longer than 15 characters (IFNAMSIZ)`;
  if (name === '.' || name === '..') return `"${name}" is not a valid device name`;
  if (/[/:\s]/.test(name)) return `device name "${name}" contains '/', ':' or whitespace`;
  return undefined;
}

/** Namespace names become files under /run/netns: no '/', not "." or "..", no whitespace. */
export function badHostName(name: string): string | undefined {
  if (name.length === 0) return 'a host name cannot be empty';
  if (name === '.' || name === '..' || /[/\s]/.test(name)) return `"${name}" is not a valid namespace name (no '/', whitespace, "." or "..")`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return `host name "${name}" may only use letters, digits, '_', '.' and '-'`;
  return undefined;
}
