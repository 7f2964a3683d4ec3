import { downsample } from './downsample';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe(downsample.name, () => {
  it('known answer: steps 0..99 (y = step) to 10 points → k = 16, bucket means and both bookends', () => {
    const steps = range(100);
    const sut = downsample(steps, steps, 10);
    expect(sut.downsampled).toBe(true);
    expect(sut.points.map((p) => p.step)).toEqual([0, 7.5, 23.5, 39.5, 55.5, 71.5, 87.5, 97.5, 99]);
    expect(sut.points[1]).toEqual({ step: 7.5, y: 7.5, min_y: 0, max_y: 15 });
    expect(sut.points[7]).toEqual({ step: 97.5, y: 97.5, min_y: 96, max_y: 99 });
    expect(sut.points[0]).toEqual({ step: 0, y: 0 });
    expect(sut.points[8]).toEqual({ step: 99, y: 99 });
  });

  it.each([
    [0, 10, 0],
    [1, 10, 1],
    [10, 10, 10],
  ])('returns %i points raw when point_count is %i', (n, count, expected) => {
    const sut = downsample(range(n), range(n), count);
    expect(sut.downsampled).toBe(false);
    expect(sut.points).toHaveLength(expected);
    expect(sut.points.every((p) => p.min_y === undefined)).toBe(true);
  });

  it('picks the smallest power of two: 11 points to 10 → k = 2 (6 buckets + 2 bookends)', () => {
    const sut = downsample(range(11), range(11), 10);
    // Buckets [0,1] [2,3] [4,5] [6,7] [8,9] [10]: the last one collapses onto the bookend at 10.
    expect(sut.points.map((p) => p.step)).toEqual([0, 0.5, 2.5, 4.5, 6.5, 8.5, 10]);
  });

  it('averages only finite values; min/max ignore NaN and ±Infinity, counted in nonfinite; an all-NaN bucket is NaN', () => {
    const ys = [1, NaN, Infinity, 3, NaN, NaN, NaN, NaN, -Infinity, 5];
    const sut = downsample(range(10), ys, 3);
    // k = 4: buckets [0..3] [4..7] [8..9]
    expect(sut.points).toEqual([
      { step: 0, y: 1 },
      { step: 1.5, y: 2, min_y: 1, max_y: 3, nonfinite: 2 },
      { step: 5.5, y: NaN, min_y: NaN, max_y: NaN, nonfinite: 4 },
      { step: 8.5, y: 5, min_y: 5, max_y: 5, nonfinite: 1 },
      { step: 9, y: 5 },
    ]);
  });

  it('a bucket without a finite value has the IEEE mean, min and max of its values (never a missing y)', () => {
    const ys = [0, Infinity, Infinity, -Infinity, Infinity, NaN, Infinity, -Infinity, -Infinity, 0];
    // k = 2: buckets [0,1] [2,3] [4,5] [6,7] [8,9]; the first and last are finite.
    expect(downsample(range(10), ys, 5).points.slice(1, -1)).toEqual([
      { step: 0.5, y: 0, min_y: 0, max_y: 0, nonfinite: 1 },
      { step: 2.5, y: NaN, min_y: -Infinity, max_y: Infinity, nonfinite: 2 },
      { step: 4.5, y: NaN, min_y: NaN, max_y: NaN, nonfinite: 2 },
      { step: 6.5, y: NaN, min_y: -Infinity, max_y: Infinity, nonfinite: 2 },
      { step: 8.5, y: 0, min_y: 0, max_y: 0, nonfinite: 1 },
    ]);
    const up = downsample(range(6), [0, Infinity, Infinity, Infinity, Infinity, 0], 3).points;
    expect(up[2]).toEqual({ step: 2.5, y: Infinity, min_y: Infinity, max_y: Infinity, nonfinite: 2 });
  });

  it('keeps raw NaN/Infinity at the bookends', () => {
    const ys = range(8).map(Number);
    ys[0] = NaN;
    ys[7] = -Infinity;
    const sut = downsample(range(8), ys, 2);
    expect(sut.points[0].y).toBeNaN();
    expect(sut.points.at(-1)!.y).toBe(-Infinity);
  });

  it('buckets by position, so uneven steps weigh by count', () => {
    const sut = downsample([0, 1, 2, 1000], [0, 0, 0, 4], 2);
    expect(sut.points.map((p) => p.step)).toEqual([0, 0.5, 501, 1000]);
  });

  it('refuses a point count below 1', () => {
    expect(() => downsample([1], [1], 0)).toThrow(RangeError);
  });
});
