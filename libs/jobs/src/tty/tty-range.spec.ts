import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTtyRange, searchTty, TtySearchQueryError } from './tty-range';

describe('readTtyRange / searchTty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty-range-'));
  const file = (name: string, data: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts a last line without a newline, and reads past the end as empty', async () => {
    const path = file('a', 'one\r\ntwo\r\nthree');
    expect(await readTtyRange(path, { line: 2 }, 10)).toMatchObject({
      line: 2,
      lines: 2,
      offset: 5,
      end: 15,
    });
    expect((await readTtyRange(path, { line: 3 }, 1)).data.toString()).toBe('three');
    // Past the end: nothing, at the size, in the line the end falls in (the unfinished third).
    expect(await readTtyRange(path, { line: 9 }, 1)).toMatchObject({
      line: 3,
      lines: 0,
      offset: 15,
      end: 15,
    });
    expect(await readTtyRange(path, { offset: 7 }, 0)).toMatchObject({ line: 2, lines: 0, offset: 7 });
  });

  it('reads the last N lines as `tail -n` counts them, across read chunks', async () => {
    const ended = file('c', 'one\ntwo\nthree\n');
    expect(await readTtyRange(ended, { last: 2 }, 10)).toMatchObject({ line: 2, lines: 2, offset: 4 });
    expect((await readTtyRange(ended, { last: 1 }, 10)).data.toString()).toBe('three\n');
    // More than there are: from the start. None: at the end, for output still to come.
    expect(await readTtyRange(ended, { last: 9 }, 10)).toMatchObject({ line: 1, offset: 0, lines: 3 });
    expect(await readTtyRange(ended, { last: 0 }, 10)).toMatchObject({ line: 4, offset: 14, lines: 0 });
    // An unfinished last line is a line.
    const open = file('d', 'one\ntwo\nthr');
    expect((await readTtyRange(open, { last: 2 }, 10)).data.toString()).toBe('two\nthr');
    expect(await readTtyRange(file('e', ''), { last: 3 }, 10)).toMatchObject({
      line: 1,
      offset: 0,
      lines: 0,
    });
    // 100,000 lines (~1 MB): the count crosses the 256 KiB chunks it reads back in.
    const many = Array.from({ length: 100_000 }, (_, i) => `line ${i + 1}\n`).join('');
    const path = file('f', many);
    const last = await readTtyRange(path, { last: 70_001 }, 2);
    expect(last).toMatchObject({ line: 30_000, lines: 2 });
    expect(last.data.toString()).toBe('line 30000\nline 30001\n');
    expect(last.offset).toBe(many.indexOf('line 30000\n'));
  });

  it('searches the last line, strips colours and \\r, and reads the whole of a long line', async () => {
    // A progress bar redrawn with \r is one line: an error printed after it is still found.
    const bar = Array.from({ length: 2000 }, (_, i) => `\r${i}/2000 [${'#'.repeat(40)}]`).join('');
    const path = file('b', `\x1b[1mHead\x1b[0m\r\n${bar}\rTraceback: tail-needle\nend-needle`);
    const head = await searchTty(path, { query: 'head', limit: 10 });
    expect(head.matches).toEqual([{ line: 1, offset: 0, text: 'Head', column: 0 }]);
    const needles = await searchTty(path, { query: 'needle', limit: 10 });
    expect(needles.matches.map((m) => m.line)).toEqual([2, 3]);
    expect(needles).toMatchObject({ scanned_lines: 3, truncated: false, timed_out: false, lines_cut: 0 });
    // The long line's text is the part around the match, and says where in the line it starts.
    const [long] = needles.matches;
    expect(long.text).toContain('Traceback: tail-needle');
    expect(long.text.length).toBeLessThanOrEqual(4096);
    expect(long.column).toBeGreaterThan(0);
    expect(bar.replace(/\r$/, '').concat('\rTraceback: tail-needle').slice(long.column)).toBe(long.text);
    // Past the per-line limit the rest of a line is not searched, and the answer counts it.
    const cut = await searchTty(path, { query: 'tail-needle', limit: 10, maxLineChars: 1000 });
    expect(cut).toMatchObject({ matches: [], lines_cut: 1, scanned_lines: 3 });
    await expect(searchTty(path, { query: '[', regex: true, limit: 1 })).rejects.toBeInstanceOf(
      TtySearchQueryError,
    );
  });

  it('stops a regex that backtracks forever at the time budget, and the server stays responsive', async () => {
    const path = file('c', `${'a'.repeat(40)}!\nfine\n`);
    const started = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const result = await searchTty(path, { query: '^(a+)+$', regex: true, limit: 10, timeBudgetMs: 500 });
    clearInterval(timer);
    expect(result).toMatchObject({ timed_out: true, matches: [] });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ticks).toBeGreaterThanOrEqual(5); // the event loop kept turning meanwhile
    const ok = await searchTty(path, { query: '^f.n', regex: true, limit: 10 });
    expect(ok.matches).toEqual([{ line: 2, offset: 42, text: 'fine', column: 0 }]);
  });
});
