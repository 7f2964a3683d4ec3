import { TAIL_LINES, linesNotShown, tailFirstLine } from './log-lines';

describe('tailFirstLine', () => {
  it('loads a short log from line 1', () => {
    expect(tailFirstLine(1)).toBe(1);
    expect(tailFirstLine(TAIL_LINES)).toBe(1);
  });

  it('starts a long log TAIL_LINES before its end', () => {
    // A finished log of 120,000 lines ending in a newline: the line after the last is 120,001.
    expect(tailFirstLine(120_001)).toBe(120_001 - TAIL_LINES);
    expect(tailFirstLine(TAIL_LINES + 1)).toBe(1);
    expect(tailFirstLine(TAIL_LINES + 2)).toBe(2);
    expect(tailFirstLine(1_000, 100)).toBe(900);
  });

  it('falls back to line 1 when the server gave no number', () => {
    expect(tailFirstLine(NaN)).toBe(1);
    expect(tailFirstLine(0)).toBe(1);
  });
});

describe('linesNotShown', () => {
  it('counts the lines before the first loaded one, the same on every load', () => {
    const first = tailFirstLine(120_001);
    expect(linesNotShown(first, 0)).toBe(120_000 - TAIL_LINES);
    expect(linesNotShown(first, 0)).toBe(linesNotShown(tailFirstLine(120_001), 0));
  });

  it('adds what the terminal dropped while following a growing log', () => {
    expect(linesNotShown(1, 0)).toBe(0);
    expect(linesNotShown(1, 7)).toBe(7);
    expect(linesNotShown(95_001, 3)).toBe(95_003);
    expect(linesNotShown(0, -1)).toBe(0);
  });
});
