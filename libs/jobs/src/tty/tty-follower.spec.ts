import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TtyFollower, TtyFollowerOptions, TtyTruncation } from './tty-follower';

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
});
