import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINE_CHECKPOINT_BYTES, TtyLines } from './tty-lines';

describe('TtyLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty-lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Lines of varied length (1–199 bytes), `count` of them, and where each starts. */
  function logText(count: number, seed: number): { text: Buffer; starts: number[] } {
    const parts: string[] = [];
    const starts: number[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      const line = `${i + 1} ${'x'.repeat((i * 7919 + seed) % 197)}\n`;
      starts.push(at);
      parts.push(line);
      at += line.length;
    }
    return { text: Buffer.from(parts.join('')), starts };
  }

  /** Opens `path` with the bytes each read asks for counted. */
  async function openCounted(path: string) {
    const fh = await open(path, 'r');
    const counted = { bytes: 0 };
    const read = fh.read.bind(fh) as (...args: unknown[]) => Promise<{ bytesRead: number }>;
    (fh as unknown as { read: (...args: unknown[]) => Promise<unknown> }).read = async (...args) => {
      const result = await read(...args);
      counted.bytes += result.bytesRead;
      return result;
    };
    return { fh, counted };
  }

  it('numbers lines as a count from the start does, in any order of reads, across checkpoints', async () => {
    const { text, starts } = logText(60_000, 1); // ~6 MiB: several checkpoints
    const path = join(dir, 'a.tty');
    writeFileSync(path, text);
    const { fh } = await openCounted(path);
    try {
      const stat = await fh.stat();
      const lines = new TtyLines(fh, path, stat, 0);
      for (const line of [40_000, 2, 59_999, 1, 31_337, 60_000, 60_001, 99_999, 12_345]) {
        expect({ line, start: await lines.lineStart(text.length, line) }).toEqual({
          line,
          start: line <= starts.length ? starts[line - 1] : text.length,
        });
      }
      for (const offset of [0, 1, LINE_CHECKPOINT_BYTES, LINE_CHECKPOINT_BYTES + 1, 5_000_000, text.length]) {
        const naive = text.subarray(0, offset).filter((b) => b === 0x0a).length;
        expect({ offset, newlines: await new TtyLines(fh, path, stat, 0).newlinesBefore(offset) }).toEqual({
          offset,
          newlines: naive,
        });
      }
    } finally {
      await fh.close();
    }
  });

  it('a later read of the same file counts from the nearest remembered point, not from the start', async () => {
    const { text, starts } = logText(80_000, 2); // ~8 MiB
    const path = join(dir, 'b.tty');
    writeFileSync(path, text);
    const first = await openCounted(path);
    const stat = await first.fh.stat();
    expect(await new TtyLines(first.fh, path, stat, 0).newlinesBefore(text.length)).toBe(80_000);
    expect(first.counted.bytes).toBe(text.length);
    await first.fh.close();

    // A new open of the file (as each request makes): the end is at most one checkpoint away.
    const second = await openCounted(path);
    const lines = new TtyLines(second.fh, path, await second.fh.stat(), 0);
    expect(await lines.newlinesBefore(text.length)).toBe(80_000);
    expect(await lines.lineStart(text.length, 79_990)).toBe(starts[79_989]);
    expect(second.counted.bytes).toBeLessThanOrEqual(2 * LINE_CHECKPOINT_BYTES);
    await second.fh.close();
  });

  it('counts on in a file that grew, and starts again in a new file renamed over the path', async () => {
    const path = join(dir, 'c.tty');
    const { text } = logText(30_000, 3);
    writeFileSync(path, text);
    let fh = await open(path, 'r');
    expect(await new TtyLines(fh, path, await fh.stat(), 0).newlinesBefore(text.length)).toBe(30_000);
    appendFileSync(path, 'one more\nand another\n');
    expect(await new TtyLines(fh, path, await fh.stat(), 0).newlinesBefore(text.length + 21)).toBe(30_002);
    await fh.close();

    // The log cap's cut: a new file (fewer, longer lines) takes the path.
    const other = Buffer.from(`${'y'.repeat(999)}\n`.repeat(3000));
    writeFileSync(`${path}.tmp`, other);
    renameSync(`${path}.tmp`, path);
    fh = await open(path, 'r');
    const lines = new TtyLines(fh, path, await fh.stat(), 0);
    expect(await lines.newlinesBefore(other.length)).toBe(3000);
    expect(await lines.lineStart(other.length, 2001)).toBe(2000 * 1000);
    await fh.close();
  });
});
