import { parseDecimal, parseInteger, parsePriority } from './numbers';

describe('parseInteger', () => {
  it.each([
    ['0', 0],
    [' 42 ', 42],
    ['-3', -3],
    ['+7', 7],
  ])('reads %j as %d', (text, n) => expect(parseInteger(text)).toBe(n));

  it.each(['', ' ', 'e', '1e3', '0x10', '1.5', '1.0', '--1', '9007199254740993', 'Infinity'])(
    'refuses %j',
    (text) => expect(parseInteger(text)).toBeNull(),
  );
});

describe('parseDecimal', () => {
  it.each([
    ['1.5', 1.5],
    ['-.5', -0.5],
    ['2e-3', 0.002],
    ['3', 3],
    ['4.', 4],
  ])('reads %j as %d', (text, n) => expect(parseDecimal(text)).toBe(n));

  it.each(['', 'e', '.', '0x10', 'Infinity', 'NaN', '1e999', '1,5'])('refuses %j', (text) =>
    expect(parseDecimal(text)).toBeNull(),
  );
});

describe('parsePriority', () => {
  it('takes whole numbers the server takes (±1,000,000) and nothing past them', () => {
    expect(['0', '-5', ' 1000000 ', '-1000000'].map(parsePriority)).toEqual([0, -5, 1_000_000, -1_000_000]);
    expect(['1000001', '-1000001', '99999999999', '1.5', 'abc', ''].map(parsePriority)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
