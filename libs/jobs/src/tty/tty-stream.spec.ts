import { closeSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { TtyFollower } from './tty-follower';
import { StreamTtyOptions, streamTtyToSocket, TtyJobEnd } from './tty-stream';
import type { TtyControlFrame } from './tty-frames.dto';
import { readTtyTail } from './tty-tail';

const MiB = 1024 * 1024;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function appender(path: string): { write: (text: string) => void; close: () => void } {
  const fd = openSync(path, 'a', 0o600);
  return { write: (text) => writeSync(fd, Buffer.from(text)), close: () => closeSync(fd) };
}

/** A job end the test resolves by hand. */
function jobEnd(): { promise: Promise<TtyJobEnd>; resolve: (end: TtyJobEnd) => void } {
  let resolve!: (end: TtyJobEnd) => void;
  const promise = new Promise<TtyJobEnd>((r) => (resolve = r));
  return { promise, resolve };
}

interface Session {
  client: WebSocket;
  /** The server side's socket, to look at its send queue. */
  serverSocket: WebSocket;
  frames: (Buffer | TtyControlFrame)[];
  bytes: () => Buffer;
  controls: () => TtyControlFrame[];
  closed: Promise<number>;
  served: Promise<void>;
}

describe(streamTtyToSocket.name, () => {
  let dir: string;
  let path: string;
  let server: WebSocketServer;
  let url: string;
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tty-stream-'));
    path = join(dir, 'q_1_00000000.tty');
    expect(TtyFollower.activeWatchers).toBe(0);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await waitFor(() => TtyFollower.activeWatchers === 0, 'watchers to close');
    await rm(dir, { recursive: true, force: true });
  });

  async function connect(options: Omit<StreamTtyOptions, 'path'>): Promise<Session> {
    const accepted = new Promise<{ serverSocket: WebSocket; served: Promise<void> }>((resolve) =>
      server.once('connection', (ws) =>
        resolve({ serverSocket: ws, served: streamTtyToSocket(ws, { path, ...options }) }),
      ),
    );
    const client = new WebSocket(url);
    clients.push(client);
    const frames: (Buffer | TtyControlFrame)[] = [];
    client.on('message', (data, isBinary) => {
      frames.push(isBinary ? (data as Buffer) : (JSON.parse((data as Buffer).toString()) as TtyControlFrame));
    });
    client.on('error', () => undefined); // terminate() in afterEach may hit a socket still connecting
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    const { serverSocket, served } = await accepted;
    if (client.readyState === WebSocket.CONNECTING) {
      await new Promise((resolve) => client.once('open', resolve));
    }
    return {
      client,
      serverSocket,
      frames,
      bytes: () => Buffer.concat(frames.filter((f): f is Buffer => Buffer.isBuffer(f))),
      controls: () => frames.filter((f): f is TtyControlFrame => !Buffer.isBuffer(f)),
      closed,
      served,
    };
  }

  describe('backlog', () => {
    it('sends an ended job’s whole log in ≤ 1 MiB binary frames, then the end frame, then closes 1000', async () => {
      const content = Buffer.alloc(3.5 * MiB, 'progress 42%\r\x1b[1mbold\x1b[0m\n');
      await writeFile(path, content);

      const sut = await connect({ follow: true, ended: null, final: { status: 'done', exit_code: 0 } });

      expect(await sut.closed).toBe(1000);
      await sut.served;
      const binary = sut.frames.slice(0, -1) as Buffer[];
      expect(binary.every((f) => Buffer.isBuffer(f) && f.length <= MiB)).toBe(true);
      expect(binary).toHaveLength(4);
      expect(sut.bytes().equals(content)).toBe(true);
      expect(sut.frames.at(-1)).toEqual({ type: 'end', status: 'done', exit_code: 0 });
    });

    it('applies the tail rule: only the last maxBacklogBytes, from a line start', async () => {
      const content = Buffer.from(
        Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'.'.repeat(i % 50)}\n`).join(''),
      );
      await writeFile(path, content);

      const sut = await connect({
        follow: false,
        ended: null,
        final: { status: 'failed', exit_code: 3 },
        maxBacklogBytes: MiB,
      });

      expect(await sut.closed).toBe(1000);
      const tail = await readTtyTail(path, MiB);
      expect(tail.truncated).toBe(true);
      expect(sut.bytes().equals(tail.data)).toBe(true);
      expect(sut.controls()).toEqual([{ type: 'end', status: 'failed', exit_code: 3 }]);
    });

    it('with follow=false for a running job: backlog, then close 1000 without an end frame', async () => {
      await writeFile(path, 'so far\n');
      const end = jobEnd();

      const sut = await connect({ follow: false, ended: end.promise });

      expect(await sut.closed).toBe(1000);
      expect(sut.bytes().toString()).toBe('so far\n');
      expect(sut.controls()).toEqual([]);
    });

    it('with follow=false and an end that has already resolved: sends the end frame', async () => {
      await writeFile(path, 'all\n');

      const sut = await connect({ follow: false, ended: Promise.resolve({ status: 'done', exit_code: 0 }) });

      expect(await sut.closed).toBe(1000);
      expect(sut.frames).toEqual([Buffer.from('all\n'), { type: 'end', status: 'done', exit_code: 0 }]);
    });

    it.each<[string, Omit<StreamTtyOptions, 'path'>]>([
      ['not following', { follow: false, ended: jobEnd().promise }],
      [
        'following a job that has ended',
        { follow: true, ended: null, final: { status: 'failed', exit_code: null } },
      ],
    ])('with no log file and %s: an error frame and close 1008', async (_name, options) => {
      const sut = await connect(options);

      expect(await sut.closed).toBe(1008);
      expect(sut.frames).toEqual([{ type: 'error', message: 'no output recorded for this job' }]);
    });

    it('keeps the server send queue bounded for a client that stops reading', async () => {
      const content = Buffer.alloc(32 * MiB, 'x'.repeat(99) + '\n');
      await writeFile(path, content);
      const frameBytes = 64 * 1024;
      const highWaterBytes = 256 * 1024;
      let maxQueued = 0;

      const sut = await connect({ follow: false, ended: null, frameBytes, highWaterBytes });
      // Stop reading at the TCP level (ws has no public pause): the kernel buffers fill, then ours.
      (sut.client as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const send = sut.serverSocket.send.bind(sut.serverSocket);
      sut.serverSocket.send = ((...args: Parameters<WebSocket['send']>) => {
        send(...args);
        maxQueued = Math.max(maxQueued, sut.serverSocket.bufferedAmount);
      }) as WebSocket['send'];
      await waitFor(() => maxQueued >= highWaterBytes, 'the server queue to reach its bound');

      expect(maxQueued).toBeLessThanOrEqual(highWaterBytes + frameBytes);
      expect(sut.bytes().length).toBeLessThan(content.length);

      (sut.client as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await sut.closed).toBe(1000);
      expect(sut.bytes().equals(content)).toBe(true);
      expect(maxQueued).toBeLessThanOrEqual(highWaterBytes + frameBytes);
    });
  });

  describe('resuming at an offset', () => {
    it('says where it starts, then sends only the bytes after the offset (ended job)', async () => {
      await writeFile(path, 'line 1\nline 2\nline 3\n');
      const sut = await connect({
        follow: true,
        ended: null,
        final: { status: 'done', exit_code: 0 },
        resumeAt: 7,
      });
      expect(await sut.closed).toBe(1000);
      expect(sut.frames[0]).toEqual({ type: 'start', offset: 7 });
      expect(sut.bytes().toString()).toBe('line 2\nline 3\n');
    });

    it('follows a live job from the offset, nothing repeated', async () => {
      await writeFile(path, 'seen before the restart\n');
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise, resumeAt: 5 });
      await waitFor(() => sut.bytes().toString() === 'before the restart\n', 'the rest of the backlog');
      const out = appender(path);
      out.write('new\n');
      out.close();
      await waitFor(() => sut.bytes().toString().endsWith('new\n'), 'the appended line');
      end.resolve({ status: 'done', exit_code: 0 });
      expect(await sut.closed).toBe(1000);
      expect(sut.controls()[0]).toEqual({ type: 'start', offset: 5 });
      expect(sut.bytes().toString()).toBe('before the restart\nnew\n');
    });

    it('falls back to the tail rule, and says so, when the offset is past the end or too far back', async () => {
      await writeFile(path, 'short\n');
      const past = await connect({
        follow: false,
        ended: null,
        final: { status: 'done', exit_code: 0 },
        resumeAt: 99,
      });
      expect(await past.closed).toBe(1000);
      expect(past.frames[0]).toEqual({ type: 'start', offset: 0 });
      expect(past.bytes().toString()).toBe('short\n');

      await writeFile(path, 'a\n'.repeat(1000));
      const far = await connect({
        follow: false,
        ended: null,
        final: { status: 'done', exit_code: 0 },
        resumeAt: 0,
        maxBacklogBytes: 100,
      });
      expect(await far.closed).toBe(1000);
      expect(far.frames[0]).toEqual({ type: 'start', offset: 1900 });
      expect(far.bytes().toString()).toBe('a\n'.repeat(50));
    });

    it('sends no start frame to clients that did not ask to resume', async () => {
      await writeFile(path, 'x\n');
      const sut = await connect({ follow: false, ended: null, final: { status: 'done', exit_code: 0 } });
      expect(await sut.closed).toBe(1000);
      expect(sut.controls()).toEqual([{ type: 'end', status: 'done', exit_code: 0 }]);
    });
  });

  describe('follow', () => {
    it('streams appends unchanged and in order, then drains, sends the end frame and closes 1000', async () => {
      await writeFile(path, 'booting\n');
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => sut.bytes().toString() === 'booting\n', 'the backlog');

      const out = appender(path);
      const writes = [
        'epoch 1\n',
        '\x1b[32m 10%\x1b[0m\r',
        '\x1b[32m 55%\x1b[0m\r',
        '\x1b[32m100%\x1b[0m\r\n',
        'é ✓ 🚀\n',
      ];
      let expected = 'booting\n';
      for (const text of writes) {
        out.write(text);
        expected += text;
        await waitFor(() => sut.bytes().toString() === expected, JSON.stringify(text));
      }
      out.write('written just before exit\n'); // races the end: only drain() can deliver it
      out.close();
      end.resolve({ status: 'done', exit_code: 0 });

      expect(await sut.closed).toBe(1000);
      await sut.served;
      expect(sut.bytes().toString()).toBe(expected + 'written just before exit\n');
      expect(sut.frames.at(-1)).toEqual({ type: 'end', status: 'done', exit_code: 0 });
      expect(sut.controls()).toHaveLength(1);
    });

    it('waits for a log file created after the client connected', async () => {
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => TtyFollower.activeWatchers === 1, 'the directory watch');

      const out = appender(path);
      out.write('started late\n');
      await waitFor(() => sut.bytes().toString() === 'started late\n', 'the first line');
      out.close();
      end.resolve({ status: 'failed', exit_code: 1 });

      expect(await sut.closed).toBe(1000);
      expect(sut.controls()).toEqual([{ type: 'end', status: 'failed', exit_code: 1 }]);
    });

    it('sends the end frame even when the job ended without ever creating its log', async () => {
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => TtyFollower.activeWatchers === 1, 'the directory watch');

      end.resolve({ status: 'aborted', exit_code: null });

      expect(await sut.closed).toBe(1000);
      expect(sut.frames).toEqual([{ type: 'end', status: 'aborted', exit_code: null }]);
    });

    it('stops watching when the client closes early', async () => {
      await writeFile(path, 'a\n');
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => sut.bytes().length > 0, 'the backlog');
      expect(TtyFollower.activeWatchers).toBe(1);

      sut.client.close(1001);
      await sut.served;

      expect(TtyFollower.activeWatchers).toBe(0);
      end.resolve({ status: 'done', exit_code: 0 }); // too late to matter: nothing is sent or thrown
    });

    it('puts the log cap marker on a line of its own when the job was mid-line as the client fell behind', async () => {
      await writeFile(path, 'epoch 1 loss');
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => sut.bytes().toString() === 'epoch 1 loss', 'the partial line');

      // What the launcher's monitor does at the cap: the job wrote ' 0.5\n' and the next line, and the
      // cap dropped everything before that next line, ' 0.5\n' too, before the client read it.
      const cut = readFileSync(path).length + ' 0.5\n'.length;
      const marker = Buffer.from(`[trainyard] ${cut} bytes of earlier output dropped\r\n`);
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, Buffer.concat([marker, Buffer.from('epoch 2 loss 0.4\n')]));
      writeFileSync(`${path}.base`, `${statSync(tmp).ino} ${cut - marker.length} ${cut}\n`);
      renameSync(tmp, path);

      await waitFor(() => sut.bytes().toString().endsWith('epoch 2 loss 0.4\n'), 'the kept line');
      end.resolve({ status: 'done', exit_code: 0 });
      expect(await sut.closed).toBe(1000);
      expect(sut.bytes().toString()).toBe(`epoch 1 loss\n${marker.toString()}epoch 2 loss 0.4\n`);
      // The start frame comes after that line end: offsets go on from the marker.
      expect(sut.controls()[0]).toEqual({ type: 'start', offset: cut - marker.length, dropped: 5 });
    });

    it('tells the client to reset when the log is truncated', async () => {
      await writeFile(path, 'attempt 1\n');
      const end = jobEnd();
      const sut = await connect({ follow: true, ended: end.promise });
      await waitFor(() => sut.bytes().length === 10, 'the backlog');

      await writeFile(path, 'try 2\n'); // shorter: seen as a truncation
      await waitFor(() => sut.controls().length === 1, 'the reset frame');
      end.resolve({ status: 'done', exit_code: 0 });

      expect(await sut.closed).toBe(1000);
      expect(sut.controls()[0]).toEqual({ type: 'reset', message: expect.any(String) });
      expect(sut.bytes().toString()).toBe('attempt 1\ntry 2\n');
    });

    it('reports a failed end promise with an error frame and close 1011', async () => {
      await writeFile(path, 'x\n');
      let fail!: (err: Error) => void;
      const end = new Promise<TtyJobEnd>((_resolve, reject) => (fail = reject));
      const sut = await connect({ follow: true, ended: end });
      await waitFor(() => sut.bytes().length === 2, 'the backlog');

      fail(new Error('db gone'));

      expect(await sut.closed).toBe(1011);
      await expect(sut.served).rejects.toThrow('db gone');
      expect(sut.controls()).toEqual([{ type: 'error', message: 'reading the job output failed' }]);
    });

    it('reports an end promise that had already failed the same way', async () => {
      await writeFile(path, 'x\n');
      const end = Promise.reject(new Error('db gone'));
      end.catch(() => undefined);

      const sut = await connect({ follow: false, ended: end });

      expect(await sut.closed).toBe(1011);
      await expect(sut.served).rejects.toThrow('db gone');
    });
  });
});
