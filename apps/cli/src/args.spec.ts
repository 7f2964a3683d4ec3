import { parseDuration, parseInteger, parseJsonObject, parseParamValue, splitKeyValue } from './args';
import { CliError, EXIT } from './errors';

describe(parseInteger.name, () => {
  it.each<[string, { min?: number } | undefined, number]>([
    ['0', { min: 0 }, 0],
    [' 4 ', { min: 0 }, 4],
    ['-5', undefined, -5],
  ])('reads %j', (text, options, expected) => {
    expect(parseInteger(text, '--gpus', options)).toBe(expected);
  });

  it.each<[string, { min?: number } | undefined, RegExp]>([
    ['two', undefined, /--gpus must be a whole number, got "two"/],
    ['1.5', undefined, /whole number/],
    ['', undefined, /whole number/],
    ['-1', { min: 0 }, /--gpus must be at least 0, got -1/],
    ['99999999999999999999', undefined, /out of range/],
  ])('refuses %j naming the flag, exit 2', (text, options, message) => {
    const sut = () => parseInteger(text, '--gpus', options);
    expect(sut).toThrow(message);
    expect(sut).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }) as CliError);
  });
});

describe(parseDuration.name, () => {
  it.each<[string, number | null]>([
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', 5400],
    [' 2H ', 7200],
    ['none', null],
  ])('reads %j', (text, expected) => {
    expect(parseDuration(text, '--time-limit')).toBe(expected);
  });

  it.each(['', '0', '0m', '2x', '30m1h', '1.5h', '-5', 'h'])('refuses %j naming the flag, exit 2', (text) => {
    const sut = () => parseDuration(text, '--time-limit');
    expect(sut).toThrow(/--time-limit takes a duration like 90, 30m, 2h or 1h30m/);
    expect(sut).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }) as CliError);
  });
});

describe(splitKeyValue.name, () => {
  it.each<[string, [string, string]]>([
    ['A=1', ['A', '1']],
    ['URL=a=b', ['URL', 'a=b']],
    ['EMPTY=', ['EMPTY', '']],
  ])('splits %j at the first =', (text, expected) => {
    expect(splitKeyValue(text, '--env')).toEqual(expected);
  });

  it.each(['A', '=1', ''])('refuses %j', (text) => {
    expect(() => splitKeyValue(text, '--env')).toThrow(/--env takes KEY=VALUE/);
  });
});

describe(parseParamValue.name, () => {
  it.each<[string, unknown]>([
    ['8080', 8080],
    ['true', true],
    ['null', null],
    ['[1,"a"]', [1, 'a']],
    ['{"a":1}', { a: 1 }],
    ['"quoted"', 'quoted'],
    ['/runs/exp1', '/runs/exp1'],
    ['1e-3x', '1e-3x'],
    ['', ''],
  ])('%j → %j', (text, expected) => {
    expect(parseParamValue(text)).toEqual(expected);
  });
});

describe(parseJsonObject.name, () => {
  it('reads an object', () => {
    expect(parseJsonObject('{"argv":["ls"]}', '--param-json')).toEqual({ argv: ['ls'] });
  });

  it.each<[string, RegExp]>([
    ['{nope', /--param-json is not valid JSON/],
    ['[1]', /--param-json must be a JSON object/],
    ['3', /must be a JSON object/],
  ])('refuses %j', (text, message) => {
    expect(() => parseJsonObject(text, '--param-json')).toThrow(message);
  });
});
