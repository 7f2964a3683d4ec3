import { ARRAY_ID_PATTERN, newArrayId, newQueueId, QUEUE_ID_PATTERN, randomHex } from './ids';

describe('ids', () => {
  it('makes well-formed, distinct queue ids in the same millisecond, across refills of the random pool', () => {
    const ids = Array.from({ length: 5_000 }, () => newQueueId(1_796_000_000_000));
    for (const id of ids) expect(id).toMatch(QUEUE_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes array ids of their own shape, and random hex of the length asked', () => {
    expect(newArrayId()).toMatch(ARRAY_ID_PATTERN);
    expect(randomHex(6)).toMatch(/^[0-9a-f]{12}$/);
    const wide = Array.from({ length: 2_000 }, () => randomHex(7));
    expect(new Set(wide).size).toBe(wide.length);
    expect(randomHex(4096)).toMatch(/^[0-9a-f]{8192}$/);
  });

  it.each([0, 4097, 2.5, -1])('refuses %p bytes instead of returning short hex', (bytes) => {
    expect(() => randomHex(bytes)).toThrow(RangeError);
  });
});
