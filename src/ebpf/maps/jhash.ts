/**
 * Bob Jenkins' lookup3 hash as Linux include/linux/jhash.h spells it: jhash() over bytes and
 * jhash2() over 32-bit words. Hash maps use it to pick buckets, so chainlab's iteration order
 * is the kernel's bucket order whenever the kernel's seed is known (BPF_F_ZERO_SEED, sockhash).
 */

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (w: number, s: number): number => ((w << s) | (w >>> (32 - s))) >>> 0;

interface Abc {
  a: number;
  b: number;
  c: number;
}

function mix(s: Abc): void {
  s.a = (s.a - s.c) >>> 0; s.a = (s.a ^ rol32(s.c, 4)) >>> 0; s.c = (s.c + s.b) >>> 0;
  s.b = (s.b - s.a) >>> 0; s.b = (s.b ^ rol32(s.a, 6)) >>> 0; s.a = (s.a + s.c) >>> 0;
  s.c = (s.c - s.b) >>> 0; s.c = (s.c ^ rol32(s.b, 8)) >>> 0; s.b = (s.b + s.a) >>> 0;
  s.a = (s.a - s.c) >>> 0; s.a = (s.a ^ rol32(s.c, 16)) >>> 0; s.c = (s.c + s.b) >>> 0;
  s.b = (s.b - s.a) >>> 0; s.b = (s.b ^ rol32(s.a, 19)) >>> 0; s.a = (s.a + s.c) >>> 0;
  s.c = (s.c - s.b) >>> 0; s.c = (s.c ^ rol32(s.b, 4)) >>> 0; s.b = (s.b + s.a) >>> 0;
}

function final(s: Abc): void {
  s.c = (s.c ^ s.b) >>> 0; s.c = (s.c - rol32(s.b, 14)) >>> 0;
  s.a = (s.a ^ s.c) >>> 0; s.a = (s.a - rol32(s.c, 11)) >>> 0;
  s.b = (s.b ^ s.a) >>> 0; s.b = (s.b - rol32(s.a, 25)) >>> 0;
  s.c = (s.c ^ s.b) >>> 0; s.c = (s.c - rol32(s.b, 16)) >>> 0;
  s.a = (s.a ^ s.c) >>> 0; s.a = (s.a - rol32(s.c, 4)) >>> 0;
  s.b = (s.b ^ s.a) >>> 0; s.b = (s.b - rol32(s.a, 14)) >>> 0;
  s.c = (s.c ^ s.b) >>> 0; s.c = (s.c - rol32(s.b, 24)) >>> 0;
}

const le32 = (k: Uint8Array, i: number): number => (k[i] | (k[i + 1] << 8) | (k[i + 2] << 16) | (k[i + 3] << 24)) >>> 0;

/** jhash(key, length, initval) over bytes (little-endian words, as on x86). */
export function jhash(key: Uint8Array, initval: number): number {
  let len = key.length;
  const init = (JHASH_INITVAL + len + initval) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  let i = 0;
  while (len > 12) {
    s.a = (s.a + le32(key, i)) >>> 0;
    s.b = (s.b + le32(key, i + 4)) >>> 0;
    s.c = (s.c + le32(key, i + 8)) >>> 0;
    mix(s);
    len -= 12;
    i += 12;
  }
  if (len === 0) return s.c;
  // The tail: byte j of the last block lands in word j/4 at bit 8*(j%4).
  const words = [0, 0, 0];
  for (let j = 0; j < len; j++) words[j >> 2] += key[i + j] << (8 * (j & 3));
  s.a = (s.a + (words[0] >>> 0)) >>> 0;
  s.b = (s.b + (words[1] >>> 0)) >>> 0;
  s.c = (s.c + (words[2] >>> 0)) >>> 0;
  final(s);
  return s.c;
}

/** jhash2(words, length_in_words, initval) over a key whose size is a multiple of 4. */
export function jhash2(key: Uint8Array, initval: number): number {
  let n = key.length >> 2;
  const init = (JHASH_INITVAL + (n << 2) + initval) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  let i = 0;
  while (n > 3) {
    s.a = (s.a + le32(key, i)) >>> 0;
    s.b = (s.b + le32(key, i + 4)) >>> 0;
    s.c = (s.c + le32(key, i + 8)) >>> 0;
    mix(s);
    n -= 3;
    i += 12;
  }
  if (n === 0) return s.c;
  if (n >= 3) s.c = (s.c + le32(key, i + 8)) >>> 0;
  if (n >= 2) s.b = (s.b + le32(key, i + 4)) >>> 0;
  s.a = (s.a + le32(key, i)) >>> 0;
  final(s);
  return s.c;
}

/** htab_map_hash(): jhash2 when the key is whole words, jhash otherwise. */
export const htabHash = (key: Uint8Array, seed: number): number => ((key.length & 3) === 0 ? jhash2(key, seed) : jhash(key, seed));
