import { secondsUntil } from './auth.store';

describe('secondsUntil (the login throttle count-down)', () => {
  it('counts whole seconds down to 0 and never shows 0 while still refused', () => {
    const until = 1_000_000 + 60_000;
    expect(secondsUntil(until, 1_000_000)).toBe(60);
    expect(secondsUntil(until, 1_000_000 + 1_000)).toBe(59);
    expect(secondsUntil(until, until - 1)).toBe(1);
    expect(secondsUntil(until, until)).toBe(0);
    expect(secondsUntil(until, until + 5_000)).toBe(0);
    expect(secondsUntil(null, 0)).toBe(0);
  });
});
