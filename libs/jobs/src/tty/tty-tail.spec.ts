import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTtyAt, readTtyTail, TTY_TAIL_MAX_BYTES, TtyLogMissingError } from './tty-tail';

const MiB = 1024 * 1024;

/** Numbered lines of a fixed width, so offsets of line starts are easy to reason about. */
function lines(count: number, width = 64): Buffer {
  const body = Array.from({ length: count }, (_, i) => `line ${i}`.padEnd(width - 1, '.') + '\n').join('');
  return Buffer.from(body);
}

/** A fresh temporary directory per test, and a job log path in it (not created). */
function useTempLog(): { dir: string; path: string } {
  const paths = { dir: '', path: '' };
  beforeEach(async () => {
    paths.dir = await mkdtemp(join(tmpdir(), 'tty-tail-'));
    paths.path = join(paths.dir, 'q_1_00000000.tty');
  });
  afterEach(() => rm(paths.dir, { recursive: true, force: true }));
  return paths;
}

describe(readTtyTail.name, () => {
  const temp = useTempLog();

  it('defaults to 32 MiB', () => {
    expect(TTY_TAIL_MAX_BYTES).toBe(32 * MiB);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 16],
    ['a small file', Buffer.from('hello\nworld\n'), 1024],
    ['a file of exactly maxBytes', Buffer.from('abc\ndefg\n'), 9],
    ['a file of exactly maxBytes without newlines', Buffer.from('x'.repeat(100)), 100],
  ])('returns %s whole', async (_name, content, maxBytes) => {
    await writeFile(temp.path, content);

    const sut = await readTtyTail(temp.path, maxBytes);

    expect(sut).toEqual({ data: content, truncated: false, size: content.length });
  });

  it.each<[string, string, number, string]>([
    ['starts after the first newline in the window', 'aaaa\nbbbb\ncccc\n', 8, 'cccc\n'],
    ['keeps a window that already starts on a line boundary', 'aaaa\nbbbb\ncccc\n', 10, 'bbbb\ncccc\n'],
    ['returns a window without any newline as-is', 'head\n' + 'x'.repeat(20), 12, 'x'.repeat(12)],
    [
      'treats \\r as no line boundary and keeps ANSI bytes intact',
      'old\n\x1b[32m10%\r20%\r\n30%\x1b[0m\n',
      20,
      '30%\x1b[0m\n',
    ],
    ['does not reduce a long last line to nothing', 'a\n' + 'y'.repeat(10) + '\n', 6, 'yyyyy\n'],
  ])('over maxBytes: %s', async (_name, content, maxBytes, expected) => {
    await writeFile(temp.path, content);

    const sut = await readTtyTail(temp.path, maxBytes);

    expect(sut.data.toString('latin1')).toBe(expected);
    expect(sut.truncated).toBe(true);
    expect(sut.size).toBe(Buffer.byteLength(content));
  });

  it('takes a 3 MiB file down to ≤ 1 MiB starting right after a newline', async () => {
    const content = Buffer.concat([lines(49_152, 64), Buffer.from('partial line at the end')]);
    expect(content.length).toBeGreaterThan(3 * MiB);
    await writeFile(temp.path, content);

    const sut = await readTtyTail(temp.path, MiB);

    expect(sut.truncated).toBe(true);
    expect(sut.size).toBe(content.length);
    expect(sut.data.length).toBeLessThanOrEqual(MiB);
    expect(sut.data.length).toBeGreaterThan(MiB - 64);
    const start = content.length - sut.data.length;
    expect(content[start - 1]).toBe(0x0a);
    expect(sut.data.equals(content.subarray(start))).toBe(true);
    expect(sut.data.toString().startsWith('line ')).toBe(true);
  });

  it('throws TtyLogMissingError for a missing file, without the path in the message', async () => {
    const error = await readTtyTail(temp.path).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(TtyLogMissingError);
    expect((error as TtyLogMissingError).path).toBe(temp.path);
    expect((error as Error).message).not.toContain(temp.dir);
  });
});

describe(readTtyAt.name, () => {
  const temp = useTempLog();

  it('reads an uncapped log at its byte offsets, and nothing past its end or before it exists', async () => {
    expect(await readTtyAt(temp.path, 0, 100)).toEqual({ data: Buffer.alloc(0), offset: 0, dropped: 0 });
    await writeFile(temp.path, 'hello\nworld\n');
    expect(await readTtyAt(temp.path, 6, 3)).toEqual({ data: Buffer.from('wor'), offset: 6, dropped: 0 });
    expect(await readTtyAt(temp.path, 50, 10)).toEqual({ data: Buffer.alloc(0), offset: 50, dropped: 0 });
  });

  it('reads a capped log at logical offsets, and says what the cap dropped before an offset asked for', async () => {
    // A file that replaced the original: its marker line stands at logical 1000, kept output from 1010.
    await writeFile(temp.path, 'MARKER...\nkept line\n');
    const { ino } = await stat(temp.path, { bigint: true });
    await writeFile(`${temp.path}.base`, `${ino} 1000 1010\n`);
    expect(await readTtyAt(temp.path, 1015, 100)).toEqual({
      data: Buffer.from('line\n'),
      offset: 1015,
      dropped: 0,
    });
    // Asked from before the kept output: the chunk starts at the marker, and 1010 - 200 bytes are gone.
    expect(await readTtyAt(temp.path, 200, 100)).toEqual({
      data: Buffer.from('MARKER...\nkept line\n'),
      offset: 1000,
      dropped: 810,
    });
  });
});
