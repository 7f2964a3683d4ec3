import {
  parseDuration,
  parseGracePeriod,
  parseInteger,
  parseJsonObject,
  parseNumber,
  parseParamValue,
  parsePriority,
  parseSize,
  splitKeyValue,
} from './args';
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

describe(parsePriority.name, () => {
  it("takes the server's bounds, negative ones too, and names the argument the user typed past them", () => {
    expect(parsePriority('-1000000', '<priority>')).toBe(-1_000_000);
    expect(parsePriority('1000000', '<n>')).toBe(1_000_000);
    // Before: the server refused it, naming the submit flag (`priority (--priority)`) for a positional argument.
    expect(() => parsePriority('1000001', '<priority>')).toThrow(
      '<priority> must be at most 1000000, got 1000001',
    );
    expect(() => parsePriority('-1000001', '<n>')).toThrow('<n> must be at least -1000000, got -1000001');
  });
});

// The duration table lives in libs/sdk/src/durations.spec.ts; this is only what the CLI wrapper adds.
describe(parseDuration.name, () => {
  it('passes a duration through, and none as null (no limit, not a refusal)', () => {
    expect(parseDuration('1h30m', '--time-limit')).toBe(5400);
    expect(parseDuration('none', '--time-limit')).toBeNull();
  });

  it('refuses what the SDK cannot read naming the flag and the text, exit 2', () => {
    const sut = () => parseDuration('2x', '--time-limit');
    expect(sut).toThrow(
      '--time-limit takes a duration of at least 1s like 90, 30m, 2h, 1h30m or 1:30:00 (or none), got "2x"',
    );
    expect(sut).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }) as CliError);
  });

  it('refuses a short clock, naming both readings (Slurm reads 1:30 as minutes:seconds)', () => {
    expect(() => parseDuration('1:30', '--time-limit')).toThrow(
      '--time-limit: "1:30" could be minutes:seconds (1m30s, as Slurm reads it) or hours:minutes (1h30m): write 1m30s or 1h30m',
    );
    expect(() => parseDuration('30:00', '--time-limit')).toThrow(
      '(30m, as Slurm reads it) or hours:minutes (1d6h)',
    );
  });

  it('a flag without "none" refuses it, and no message offers a form the flag refuses', () => {
    for (const text of ['none', '5x', '0'])
      expect(() => parseDuration(text, '--older-than', { none: false })).toThrow(
        `--older-than takes a duration of at least 1s like 90, 30m, 2h, 1h30m or 1:30:00, got "${text}"`,
      );
  });
});

describe(parseGracePeriod.name, () => {
  it.each<[string, number]>([
    ['3s', 3],
    ['90', 90],
    ['2m', 120],
    ['0', 0],
    ['0s', 0],
    ['0m0s', 0],
  ])('reads %j', (text, expected) => {
    expect(parseGracePeriod(text, '--kill-grace')).toBe(expected);
  });

  it.each(['none', '-1', '3x', ''])('refuses %j naming the flag and the text, exit 2', (text) => {
    const sut = () => parseGracePeriod(text, '--kill-grace');
    expect(sut).toThrow(`--kill-grace takes a duration like 90, 30s or 2m (or 0), got "${text}"`);
    expect(sut).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }) as CliError);
  });
});

// The size table lives in libs/sdk/src/sizes.spec.ts; this is only what the CLI wrapper adds.
describe(parseSize.name, () => {
  it('passes a size through, and none as 0 (no cap, not a refusal)', () => {
    expect(parseSize('8k', '--log-cap')).toBe(8192);
    expect(parseSize('none', '--log-cap')).toBe(0);
  });

  it('refuses what the SDK cannot read naming the flag and the text, exit 2', () => {
    const sut = () => parseSize('12q', '--log-cap');
    expect(sut).toThrow('--log-cap takes a size like 65536, 64k, 10M or 1G (or none), got "12q"');
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

describe(parseNumber.name, () => {
  it.each<[string, number]>([
    ['0', 0],
    [' 1.5 ', 1.5],
    ['-2', -2],
    ['1e3', 1000],
    ['.5', 0.5],
  ])('reads %j', (text, expected) => {
    expect(parseNumber(text, '--step-min')).toBe(expected);
  });

  it.each(['', 'ten', '0x10', 'Infinity', 'NaN', '1e999', '1,5'])(
    'refuses %j naming the flag, exit 2',
    (text) => {
      const sut = () => parseNumber(text, '--step-min');
      expect(sut).toThrow(`--step-min must be a number, got "${text}"`);
      expect(sut).toThrow(expect.objectContaining({ exitCode: EXIT.invalid }) as CliError);
    },
  );
});
