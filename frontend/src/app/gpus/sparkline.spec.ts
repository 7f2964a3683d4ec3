import { sparklinePoints } from './sparkline';

describe('sparklinePoints', () => {
  it('spans the time range on x and 0..max bottom-to-top on y, skipping absent readings', () => {
    expect(sparklinePoints([0, 30, 60, 90], [0, 50, null, 100], 100)).toBe('0,23 33.3,12 100,1');
  });

  it('clamps out-of-range values and draws nothing with fewer than two readings', () => {
    expect(sparklinePoints([0, 10], [-5, 200], 100)).toBe('0,23 100,1');
    expect(sparklinePoints([0, 10], [null, 40], 100)).toBe('');
  });
});
