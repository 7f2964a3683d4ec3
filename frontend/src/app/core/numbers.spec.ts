import { parseDecimal, parseInteger } from './numbers';

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
