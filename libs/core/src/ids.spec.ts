import { ARRAY_ID_PATTERN, newArrayId, newQueueId, newRunId, QUEUE_ID_PATTERN, randomHex } from './ids';

describe('ids', () => {
  it('makes well-formed, distinct queue ids in the same millisecond, across refills of the random pool', () => {
    const ids = Array.from({ length: 5_000 }, () => newQueueId(1_796_000_000_000));
    for (const id of ids) expect(id).toMatch(QUEUE_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
  });

  // An array's jobs share one millisecond: a 10,000-job submit failed as a 500 about once in 86
  // (two ids alike: 32 random bits, birthday bound). 300,000 ids would clash ~10 times on chance
  // (none at all: p ≈ 3·10⁻⁵).
  it('never makes the same id twice in one millisecond, however many it makes', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 300_000; i++) ids.add(newQueueId(1_796_000_000_001));
    expect(ids.size).toBe(300_000);
  });

  it('makes run ids with 12 random hex digits', () => {
    expect(newRunId(1_796_000_000_000)).toMatch(/^r_1796000000000_[0-9a-f]{12}$/);
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
