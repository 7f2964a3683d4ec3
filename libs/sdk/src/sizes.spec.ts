import { formatByteSize, parseByteSize } from './sizes';

describe(parseByteSize.name, () => {
  it.each<[string, number]>([
    ['65536', 65_536],
    ['0', 0],
    ['none', 0],
    [' NONE ', 0],
    ['512b', 512],
    ['64k', 65_536],
    ['64K', 65_536],
    ['64KiB', 65_536],
    ['64 kb', 65_536],
    ['10M', 10 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
  ])('reads %j', (text, expected) => {
    expect(parseByteSize(text)).toBe(expected);
  });

  it.each([
    ...['', ' ', '12q', '-1', '1.5', 'k', '1e6', '10 M B', '1kk', '99999999999T', '9007199254740993'],
    // Under one byte: rounded, it would read as 0, which means "no cap".
    ...['0.0001k', '0.0004K'],
  ])('refuses %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe(formatByteSize.name, () => {
  it.each<[number, string]>([
    [65_536, '64K'],
    [1024 ** 3, '1G'],
    [1.5 * 1024 ** 3, '1536M'],
    [2 * 1024 ** 4, '2T'],
    [1000, '1000'],
    [0, 'none'],
  ])('writes %j as %j, which reads back the same', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
    expect(parseByteSize(text)).toBe(bytes);
  });
});
