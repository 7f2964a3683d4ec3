import { copyName, depthOf, parseAbsolutePath, parseBareName } from './fs-guard';

describe(copyName.name, () => {
  it.each([
    ['a.txt', 0, 'a.txt'],
    ['a.txt', 1, 'a (copy).txt'],
    ['a.txt', 2, 'a (copy 2).txt'],
    ['a.tar.gz', 1, 'a.tar (copy).gz'],
    ['Makefile', 3, 'Makefile (copy 3)'],
    ['.env', 1, '.env (copy)'],
    ['.config.yaml', 1, '.config (copy).yaml'],
  ])('%s, candidate %d → %s', (name, n, expected) => {
    expect(copyName(name, n)).toBe(expected);
  });

  it('shortens the stem of a long name so that each candidate fits in 255 bytes, never splitting a character', () => {
    // Before: `<250 × é> (copy).txt` was 513 bytes, and the copy failed blaming dest_dir.
    const long = `${'é'.repeat(125)}.txt`; // 254 bytes
    for (const n of [1, 2, 12]) {
      const candidate = copyName(long, n);
      expect(Buffer.byteLength(candidate)).toBeLessThanOrEqual(255);
      expect(candidate).toMatch(new RegExp(`^é+ \\(copy${n === 1 ? '' : ` ${n}`}\\)\\.txt$`));
    }
    expect(copyName('a'.repeat(255), 1)).toBe(`${'a'.repeat(248)} (copy)`);
  });
});

describe(parseAbsolutePath.name, () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/a//b/', '/a/b'],
    ['/', '/'],
    ['/a/..b/c..', '/a/..b/c..'],
    ['/a/%2e%2e', '/a/%2e%2e'], // a JSON body is not URL-decoded: that is a name, not a traversal
  ])('%j → %j', (raw, expected) => {
    expect(parseAbsolutePath('path', raw)).toBe(expected);
  });

  it.each([['a/b'], [''], ['/a/../b'], ['/a/./b'], ['/a/..'], ['/a\u0000b'], [7], [null]])(
    'refuses %j with a 400 naming the field',
    (raw) => {
      expect(() => parseAbsolutePath('dest_dir', raw)).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ field: 'dest_dir' })],
        }),
      );
    },
  );
});

describe(parseBareName.name, () => {
  it.each([['a.txt'], ['..a'], ['a b (copy)'], ['ü']])('accepts %j', (name) => {
    expect(parseBareName('name', name)).toBe(name);
  });

  it.each([['a/b'], ['a\\b'], ['.'], ['..'], [''], ['a\u0000'], ['x'.repeat(256)]])('refuses %j', (name) => {
    expect(() => parseBareName('name', name)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  // Before: only C0 and DEL were refused, so `report\u202Etxt.exe` showed as `reportexe.txt`.
  it.each([
    ['\u0085', 'U+0085'],
    ['\u009b', 'U+009B'],
    ['report\u202etxt.exe', 'U+202E'],
    ['\u202a', 'U+202A'],
    ['\u2066', 'U+2066'],
    ['\u2069', 'U+2069'],
    ['\u200e', 'U+200E'],
    ['\u200f', 'U+200F'],
    ['\u061c', 'U+061C'],
    ['\u2028', 'U+2028'],
  ])('refuses %j (C1 or bidi control): 400 naming the field and the character', (name, code) => {
    expect(() => parseBareName('new_name', name)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: [
          {
            field: 'new_name',
            message: `new_name must not contain control or bidirectional control characters (it has ${code})`,
          },
        ],
      }),
    );
  });
});

describe(depthOf.name, () => {
  it.each([
    ['/', 1],
    ['/tmp', 2],
    ['/home/me', 3],
    ['/home/me/x', 4],
  ])('%s has %d components', (path, depth) => {
    expect(depthOf(path)).toBe(depth);
  });
});
