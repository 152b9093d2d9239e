/** The emulator's own key hash against the reference vectors (shared/reference §6.4). */
import { hashLittle2, partitionIndexOfKey } from './key-hash';

const VECTORS: [key: string, c: number, b: number, n1: number, n2: number, n4: number, n32: number][] = [
  ['sensor-001', 0x1bd8ee7e, 0xbe503b01, 0, 1, 1, 1],
  ['sensor-123', 0x37878842, 0xeecfe441, 0, 1, 3, 3],
  ['', 0xdeadbeef, 0xdeadbeef, 0, 0, 0, 0],
  ['ünicode-ключ', 0xc3dd656e, 0x21856411, 0, 1, 3, 31],
  ['alphabet', 0x78b27c46, 0xf00dd80c, 0, 0, 2, 22],
  ['TheBestParitionEver', 0x8438764f, 0xae37f835, 0, 0, 2, 6],
  ['TheWorstParitionEver', 0xc28d8e23, 0x2add039e, 0, 1, 3, 3],
  ['a', 0x58d68708, 0x582647ac, 0, 0, 0, 28],
  ['device-42', 0x598dd653, 0xef067d87, 0, 0, 0, 12],
  ['abcdefghijkl', 0x4012f87b, 0x75b50ec0, 0, 1, 1, 5],
  ['abcdefghijklm', 0x928128f9, 0x0f04ab68, 0, 1, 3, 15],
  ['order/2024/0001', 0xaa3dc8b7, 0x8712a368, 0, 1, 3, 31],
  ['user@example.com', 0x9b2c114e, 0xc8e2fca7, 0, 1, 3, 23],
  [' ', 0xb1b8356d, 0x1b9bbc0f, 0, 0, 2, 30],
  ['🚀rocket', 0x4e5cf923, 0xace343a4, 0, 1, 1, 25],
];

describe('emulator key hash', () => {
  it.each(VECTORS)(
    'when the key is %j, then hashlittle2 and the partition match the reference',
    (key, c, b, n1, n2, n4, n32) => {
      expect(hashLittle2(new TextEncoder().encode(key))).toEqual([c, b]);
      expect([1, 2, 4, 32].map((n) => partitionIndexOfKey(key, n))).toEqual([n1, n2, n4, n32]);
    },
  );

  it('when the key is sensor-001, then the other reference partition counts match', () => {
    expect([3, 5, 8, 10, 16].map((n) => partitionIndexOfKey('sensor-001', n))).toEqual([0, 1, 1, 1, 1]);
  });
});
