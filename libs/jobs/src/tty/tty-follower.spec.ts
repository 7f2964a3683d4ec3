import { closeSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TtyDrop, TtyFollower, TtyFollowerOptions, TtyTruncation } from './tty-follower';

const MiB = 1024 * 1024;

/** Polls a condition that no single event signals (bytes arriving over several notifications). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Appends like the job side does: one descriptor, plain write(2) calls. */
function appender(path: string): { write: (text: string | Buffer) => void; close: () => void } {
  const fd = openSync(path, 'a', 0o600);
  return {
    write: (text) => writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text),
    close: () => closeSync(fd),
  };
}

describe(TtyFollower.name, () => {
  let dir: string;
  let path: string;
  let sut: TtyFollower | undefined;
  let chunks: Buffer[];
  let truncations: TtyTruncation[];
  let errors: Error[];
  const received = () => Buffer.concat(chunks).toString('latin1');

  function follow(offset: number, options: Partial<TtyFollowerOptions> = {}): TtyFollower {
    sut = new TtyFollower(path, offset, {
      onData: (chunk) => void chunks.push(chunk),
      onTruncate: (info) => void truncations.push(info),
      onError: (err) => void errors.push(err),
      rescanMs: 0, // the tests must pass on notifications alone
      ...options,
    });
    sut.start();
    return sut;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tty-follow-'));
    path = join(dir, 'q_1_00000000.tty');
    chunks = [];
    truncations = [];
    errors = [];
  });
  afterEach(async () => {
    sut?.stop();
    sut = undefined;
    expect(TtyFollower.activeWatchers).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('emits only what lies past the start offset, then each append in order', async () => {
    await writeFile(path, 'already sent\n');
    follow('already sent\n'.length);
    const out = appender(path);
    const writes = ['step 1\n', '\x1b[33mwarn\x1b[0m\n', '10%\r', '50%\r', '100%\r\n', 'done\n'];

    for (const [i, text] of writes.entries()) {
      out.write(text);
      const expected = writes.slice(0, i + 1).join('');
      await waitFor(() => received() === expected, `write ${i}`);
    }
    out.close();

    expect(received()).toBe(writes.join(''));
    expect(sut?.offset).toBe(Buffer.byteLength('already sent\n' + writes.join('')));
    expect(errors).toEqual([]);
  });

  it('never duplicates or reorders bytes under a burst of writes and a slow consumer', async () => {
    await writeFile(path, '');
    follow(0, {
      onData: async (chunk) => {
        chunks.push(chunk);
        await new Promise((resolve) => setImmediate(resolve)); // notifications pile up meanwhile
      },
    });
    const out = appender(path);
    let expected = '';
    for (let i = 0; i < 2000; i++) {
      const line = `${i}\n`;
      out.write(line);
      expected += line;
    }
    out.close();

    await waitFor(() => received().length >= expected.length, 'the burst');
    await sut?.drain();

    expect(received()).toBe(expected);
  });

  it('hands out an existing large file in chunks of at most maxChunkBytes', async () => {
    const content = Buffer.alloc(3.5 * MiB, 'abc\n');
    await writeFile(path, content);

    follow(0);
    await waitFor(() => received().length === content.length, 'the whole file');

    expect(chunks.length).toBe(4);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(MiB);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
  });

  it('waits for a file that does not exist yet by watching its directory', async () => {
    follow(0);
    expect(sut?.waitingForFile).toBe(true);
    expect(TtyFollower.activeWatchers).toBe(1);

    const out = appender(path);
    out.write('first\n');
    await waitFor(() => received() === 'first\n', 'the first line');
    out.write('second\n');
    await waitFor(() => received() === 'first\nsecond\n', 'the second line');
    out.close();

    expect(sut?.waitingForFile).toBe(false);
    expect(TtyFollower.activeWatchers).toBe(1); // the directory watch was swapped for the file watch
  });

  it('restarts from 0 with a truncation note when the file shrinks', async () => {
    await writeFile(path, 'old output\n');
    follow('old output\n'.length);

    await truncate(path, 0);
    await waitFor(() => truncations.length === 1, 'the truncation');
    const out = appender(path);
    out.write('new\n');
    out.close();
    await waitFor(() => received() === 'new\n', 'the new content');

    expect(truncations).toEqual([{ previousOffset: 11, size: 0 }]);
  });

  it('drain() delivers a write made just before it, without waiting for a notification', async () => {
    await writeFile(path, '');
    follow(0);
    await sut?.drain();

    const out = appender(path);
    out.write('last words\n');
    out.close();
    await sut?.drain();

    expect(received()).toBe('last words\n');
  });

  it('drain() picks up a file created at the very end', async () => {
    follow(0);
    await writeFile(path, 'quick job\n');

    await sut?.drain();

    expect(received()).toBe('quick job\n');
  });

  it('stop() closes its watchers and emits nothing afterwards', async () => {
    await writeFile(path, 'a\n');
    follow(0);
    await waitFor(() => received() === 'a\n', 'the first line');

    sut?.stop();
    expect(TtyFollower.activeWatchers).toBe(0);
    await writeFile(path, 'a\nb\n');
    await sut?.drain();

    expect(received()).toBe('a\n');
    expect(sut?.stopped).toBe(true);
  });

  it('reports a directory that cannot be watched through onError and stops', () => {
    path = join(dir, 'missing-dir', 'q_1_00000000.tty');

    follow(0);

    expect(errors).toHaveLength(1);
    expect(sut?.stopped).toBe(true);
  });

  it('rejects a negative start offset', () => {
    expect(() => new TtyFollower(path, -1, { onData: () => undefined })).toThrow(RangeError);
  });

  describe('when the log cap replaces the file', () => {
    /** What the launcher's monitor does (CappedLog): marker + the file from `cut`, sidecar, rename. */
    function dropOldest(cut: number, base = 0): { base: number; first: number } {
      const old = readFileSync(path);
      const first = base + cut;
      const marker = Buffer.from(`[trainyard] ${first} bytes of earlier output dropped\r\n`);
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, Buffer.concat([marker, old.subarray(cut)]));
      const generation = { base: first - marker.length, first };
      writeFileSync(`${path}.base`, `${statSync(tmp).ino} ${generation.base} ${generation.first}\n`);
      renameSync(tmp, path);
      return generation;
    }

    it('reads the old file to its end, then goes on in the new one at the same logical offset', async () => {
      const drops: TtyDrop[] = [];
      await writeFile(path, 'one\ntwo\n');
      follow(0, { onDrop: (d) => void drops.push(d) });
      await waitFor(() => received() === 'one\ntwo\n', 'the first lines');
      const old = appender(path);
      old.write('three\n'); // written before the rename: must not be lost
      old.close();
      dropOldest(4);
      const next = appender(path);
      next.write('four\n');
      next.close();
      await waitFor(() => received().endsWith('four\n'), 'the line written to the new file');
      expect(received()).toBe('one\ntwo\nthree\nfour\n');
      expect(drops).toEqual([]);
      expect(errors).toEqual([]);
    });

    it('starts at the marker, saying so, when what it was to read next was dropped', async () => {
      const drops: TtyDrop[] = [];
      await writeFile(path, 'one\ntwo\nthree\n');
      const { base, first } = dropOldest(8);
      follow(2, { onDrop: (d) => void drops.push(d) });
      await waitFor(() => received().endsWith('three\n'), 'the kept line');
      expect(received()).toBe(`[trainyard] ${first} bytes of earlier output dropped\r\nthree\n`);
      expect(drops).toEqual([{ previousOffset: 2, offset: base, first }]);
      expect(sut!.offset).toBe(first + 'three\n'.length);
    });
  });
});
