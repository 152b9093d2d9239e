/**
 * The emulator's own Event Hubs key → partition mapping, written from the service's description
 * (Bob Jenkins' lookup3 `hashlittle2` over the key's UTF-8 bytes, both seeds 0; the low 16 bits of
 * c XOR b as a signed integer; its absolute value modulo the partition count). Deliberately not the
 * gateway's implementation: a placement test then compares two independent implementations, both
 * pinned by the same reference vectors. Pure.
 */

const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** Little-endian 32-bit word of up to 4 bytes from `offset` (missing bytes are zero). */
function word(bytes: Uint8Array, offset: number, end: number): number {
  let value = 0;
  for (let i = 3; i >= 0; i--) value = (value << 8) | (offset + i < end ? bytes[offset + i]! : 0);
  return value >>> 0;
}

/** lookup3 hashlittle2 with both initial values 0: returns [c, b]. */
export function hashLittle2(bytes: Uint8Array): [number, number] {
  let a = (0xdeadbeef + bytes.length) >>> 0;
  let b = a;
  let c = a;
  let offset = 0;
  let remaining = bytes.length;
  while (remaining > 12) {
    a = (a + word(bytes, offset, bytes.length)) >>> 0;
    b = (b + word(bytes, offset + 4, bytes.length)) >>> 0;
    c = (c + word(bytes, offset + 8, bytes.length)) >>> 0;
    // mix(a, b, c)
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    offset += 12;
    remaining -= 12;
  }
  if (remaining === 0) return [c, b];
  const end = bytes.length;
  a = (a + word(bytes, offset, end)) >>> 0;
  b = (b + word(bytes, offset + 4, end)) >>> 0;
  c = (c + word(bytes, offset + 8, end)) >>> 0;
  // final(a, b, c)
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  return [c, b];
}

/** The partition index Event Hubs gives `key` among `partitionCount` partitions. */
export function partitionIndexOfKey(key: string, partitionCount: number): number {
  const [c, b] = hashLittle2(new TextEncoder().encode(key));
  const low = (c ^ b) & 0xffff;
  const signed = low >= 0x8000 ? low - 0x10000 : low;
  return Math.abs(signed) % partitionCount;
}
