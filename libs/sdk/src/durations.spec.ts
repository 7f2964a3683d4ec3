import { ambiguousClock, formatDuration, parseDuration } from './durations';

describe(parseDuration.name, () => {
  it.each<[string, number | null]>([
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', 5400],
    [' 2H ', 7200],
    ['1:30:00', 5400],
    ['00:30:00', 1800],
    ['2-00:00:00', 172_800],
    ['1-2:03:04', 93_784],
    ['none', null],
  ])('reads %j', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it('reads zero only when allowed (a grace period may be none)', () => {
    expect(['0', '0s', '0m0s'].map((t) => parseDuration(t, { allowZero: true }))).toEqual([0, 0, 0]);
    expect(parseDuration('0s')).toBeUndefined();
  });

  it.each([
    '',
    ' ',
    '0',
    '0m',
    '2x',
    '30m1h',
    '1.5h',
    '-5',
    'h',
    '1h 30m',
    '30:00',
    '1:60:00',
    '1:00:60',
    '0:00:00',
    '1-',
    '-1:00:00',
  ])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe(formatDuration.name, () => {
  it.each<[number, string]>([
    [5400, '1h30m'],
    [90, '1m30s'],
    [7200, '2h'],
    [86_400 + 61, '1d1m1s'],
  ])('writes %j as %j, which reads back', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe(ambiguousClock.name, () => {
  it('names both readings of a short clock, and nothing for any other text', () => {
    expect(ambiguousClock(' 1:30 ')).toBe(
      '"1:30" could be minutes:seconds (1m30s, as Slurm reads it) or hours:minutes (1h30m): write 1m30s or 1h30m',
    );
    expect(['1:30:00', '90', '1h30m', '1:75', 'x'].map(ambiguousClock)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
