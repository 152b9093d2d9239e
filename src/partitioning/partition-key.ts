/**
 * The Event Hubs partition-key hash: Bob Jenkins' lookup3 `hashlittle2` over the key's UTF-8
 * bytes (both seeds 0), folded to a signed 16-bit value and reduced modulo the partition count.
 * It is the function the service and the SDK's client-side assigner use, so a key routed here
 * lands exactly where a device sending directly with that partition key would land.
 * Pure: no I/O, no allocation beyond the UTF-8 encoding of the key.
 */

const rot = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Returns the pair [c, b] that lookup3's hashlittle2 produces for `bytes` with zero seeds. */
export function hashlittle2(bytes: Uint8Array): [number, number] {
  let length = bytes.length;
  let a = (0xdeadbeef + length) | 0;
  let b = a;
  let c = a;
  let i = 0;
  const word = (at: number): number =>
    (bytes[at] ?? 0) |
    ((bytes[at + 1] ?? 0) << 8) |
    ((bytes[at + 2] ?? 0) << 16) |
    ((bytes[at + 3] ?? 0) << 24);

  while (length > 12) {
    a = (a + word(i)) | 0;
    b = (b + word(i + 4)) | 0;
    c = (c + word(i + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    length -= 12;
    i += 12;
  }
  if (length === 0) return [c >>> 0, b >>> 0]; // lookup3 skips `final` when nothing remains

  // Tail of 1..12 bytes, zero-padded little-endian words (word() reads 0 past the end).
  const tail = (at: number, available: number): number => {
    let v = 0;
    for (let k = 0; k < 4 && k < available; k++) v |= (bytes[at + k] ?? 0) << (8 * k);
    return v;
  };
  a = (a + tail(i, length)) | 0;
  b = (b + tail(i + 4, length - 4)) | 0;
  c = (c + tail(i + 8, length - 8)) | 0;
  // final(a, b, c)
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return [c >>> 0, b >>> 0];
}

/** The signed 16-bit hash of a partition key, as the service computes it. */
export function hashPartitionKey(key: string): number {
  const [c, b] = hashlittle2(Buffer.from(key, 'utf8'));
  return ((c ^ b) << 16) >> 16;
}

/** Index (0..partitionCount-1) of the partition a key maps to. */
export function partitionIndexForKey(key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return Math.abs(hashPartitionKey(key) % partitionCount);
}
