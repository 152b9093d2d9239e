import { hashlittle2, hashPartitionKey, partitionIndexForKey } from './partition-key';

// Vectors from the reference note §6.4: [key, c, b, int16, N=1, N=2, N=4, N=32].
const vectors: [string, number, number, number, number, number, number, number][] = [
  ['sensor-001', 0x1bd8ee7e, 0xbe503b01, -10881, 0, 1, 1, 1],
  ['sensor-123', 0x37878842, 0xeecfe441, 27651, 0, 1, 3, 3],
  ['', 0xdeadbeef, 0xdeadbeef, 0, 0, 0, 0, 0],
  ['ünicode-ключ', 0xc3dd656e, 0x21856411, 383, 0, 1, 3, 31],
  ['alphabet', 0x78b27c46, 0xf00dd80c, -23478, 0, 0, 2, 22],
  ['TheBestParitionEver', 0x8438764f, 0xae37f835, -29062, 0, 0, 2, 6],
  ['TheWorstParitionEver', 0xc28d8e23, 0x2add039e, -29251, 0, 1, 3, 3],
  ['a', 0x58d68708, 0x582647ac, -16220, 0, 0, 0, 28],
  ['device-42', 0x598dd653, 0xef067d87, -21548, 0, 0, 0, 12],
  ['abcdefghijkl', 0x4012f87b, 0x75b50ec0, -2373, 0, 1, 1, 5],
  ['abcdefghijklm', 0x928128f9, 0x0f04ab68, -31855, 0, 1, 3, 15],
  ['order/2024/0001', 0xaa3dc8b7, 0x8712a368, 27615, 0, 1, 3, 31],
  ['user@example.com', 0x9b2c114e, 0xc8e2fca7, -4631, 0, 1, 3, 23],
  [' ', 0xb1b8356d, 0x1b9bbc0f, -30366, 0, 0, 2, 30],
  ['🚀rocket', 0x4e5cf923, 0xace343a4, -17785, 0, 1, 1, 25],
];

describe('partition-key hash', () => {
  it.each(vectors)(
    'when hashing %j, then it matches the reference vector',
    (key, c, b, h, n1, n2, n4, n32) => {
      expect(hashlittle2(Buffer.from(key, 'utf8'))).toEqual([c, b]);
      expect(hashPartitionKey(key)).toBe(h);
      expect([1, 2, 4, 32].map((n) => partitionIndexForKey(key, n))).toEqual([n1, n2, n4, n32]);
    },
  );

  it('when mapping the SDK test keys, then the SDK expectations hold', () => {
    expect(partitionIndexForKey('alphabet', 3)).toBe(0);
    expect(partitionIndexForKey('alphabet', 11)).toBe(4);
    expect(partitionIndexForKey('TheBestParitionEver', 4)).toBe(2);
    expect(partitionIndexForKey('TheWorstParitionEver', 15)).toBe(1);
    expect([3, 5, 8, 10, 16].map((n) => partitionIndexForKey('sensor-001', n))).toEqual([0, 1, 1, 1, 1]);
  });

  it('when the partition count is not a positive integer, then it throws', () => {
    expect(() => partitionIndexForKey('x', 0)).toThrow(RangeError);
  });
});
