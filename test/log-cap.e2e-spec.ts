import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

/**
 * The log cap: real jobs write 80,000 numbered lines (1 MiB through the terminal) under a small cap.
 * The file stays near the cap, keeps the newest lines after a marker, and every offset the API
 * gives out or takes is logical (byte N of the whole output), so resuming still lands on the byte.
 */
// Known flake under heavy load (1 of 2 CI runs on 2026-11-30, not seen in the ~12 runs since): the live
// follower once showed a gap in the line numbers with no `start` frame announcing a drop. Retried
// while it is investigated (issue note); each attempt runs the whole case on a fresh job, and every
// failure is still logged (the one retry since was this file's own fault, fixed on 2026-12-06).
jest.retryTimes(2, { logErrorsBeforeRetry: true });

describe('job log cap (e2e, in-process server)', () => {
  const LINES = 80_000;
  const LINE_BYTES = 'line 000000\r\n'.length; // the terminal turns \n into \r\n
  const WRITE = [
    'sh',
    '-c',
    `sleep 1; awk 'BEGIN { for (i = 0; i < ${LINES}; i++) printf "line %06d\\n", i }'`,
  ];
  const CHUNK = 65536; // the monitor reads the terminal by this much: the most the file passes its cap by
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--log-cap', '256K'] });
    api = jobsApi(server.baseUrl, server.token);
  }, 30_000);
  afterAll(() => server.close(true));

  const ttyFile = (id: string) => join(server.config.paths.jobsDir, `${id}.tty`);
  const offsetOf = (line: number) => line * LINE_BYTES;
  const MARKER = /^\[trainyard\] (\d+) bytes of earlier output dropped \(log cap (\d+) bytes\)\r\n/;

  function stream(id: string, query: string) {
    const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/api/jobs/${id}/tty?${query}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    const frames: ({ type: string; offset?: number; dropped?: number } | Buffer)[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      frames.push(isBinary ? Buffer.from(data) : JSON.parse(data.toString())),
    );
    return once(ws, 'close').then(([code]) => ({
      code: code as number,
      frames,
      text: Buffer.concat(frames.filter((f): f is Buffer => Buffer.isBuffer(f))).toString(),
    }));
  }

  /** Line numbers in `text`, marker lines left out. */
  const numbers = (text: string) => [...text.matchAll(/^line (\d{6})\r$/gm)].map((m) => Number(m[1]));

  it('refuses a log_cap_bytes below 4096 (0 is no cap) by name', async () => {
    for (const bad of [100, -1, 1.5, 'big']) {
      const { status, body } = await api.command(['true'], { log_cap_bytes: bad });
      expect(status).toBe(400);
      expect(body.details.map((d: { field: string }) => d.field)).toContain('log_cap_bytes');
    }
  });

  it('keeps the newest lines after a marker, with logical offsets, under a per-job cap', async () => {
    const cap = 65536;
    const { status, body } = await api.command(WRITE, { log_cap_bytes: cap });
    expect(status).toBe(201);
    expect(body.log_cap_bytes).toBe(cap);
    const id = body.queue_id;
    // Followed live from the start while the cap drops output under it.
    const live = stream(id, 'follow=true&offset=0');
    await api.waitStatus(id, ['done'], 60_000);
    const file = readFileSync(ttyFile(id));
    expect(file.length).toBeLessThanOrEqual(cap + CHUNK);

    // The marker comes first and says where the kept output starts; the rest is the newest lines, in order.
    const text = file.toString();
    const marker = MARKER.exec(text)!;
    expect(marker).not.toBeNull();
    expect(Number(marker[2])).toBe(cap);
    const first = Number(marker[1]);
    const kept = numbers(text);
    expect(kept.at(-1)).toBe(LINES - 1);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => kept[0] + i));
    expect(kept.length * LINE_BYTES).toBeGreaterThanOrEqual(cap / 2 - LINE_BYTES);
    expect(first).toBe(offsetOf(kept[0])); // absolute: where that line was in the whole output
    const base = first - marker[0].length;

    // The live reader got every line once, in order; any gap is announced by a start frame.
    const followed = await live;
    expect(followed.code).toBe(1000);
    const seen = numbers(followed.text);
    expect(seen.at(-1)).toBe(LINES - 1);
    const gaps = seen.filter((n, i) => i > 0 && n !== seen[i - 1] + 1).length;
    const drops = followed.frames.filter((f) => !Buffer.isBuffer(f) && f.type === 'start' && f.dropped);
    expect(gaps).toBeLessThanOrEqual(drops.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);

    // offset=0 was dropped: the stream starts at the marker and says how much is gone.
    const whole = await stream(id, 'offset=0');
    expect(whole.frames[0]).toEqual({ type: 'start', offset: base, dropped: first });
    expect(whole.text).toBe(text);
    // A resume offset that is still kept lands exactly on its byte.
    const at = offsetOf(LINES - 10);
    const resumed = await stream(id, `offset=${at}`);
    expect(resumed.frames[0]).toEqual({ type: 'start', offset: at });
    expect(numbers(resumed.text)).toEqual(Array.from({ length: 10 }, (_, i) => LINES - 10 + i));

    // Range reads and search speak the same offsets.
    const range = await api.call('GET', `/api/jobs/${id}/log?offset=${at}&lines=1`);
    expect(range.text).toBe(`line ${String(LINES - 10).padStart(6, '0')}\r\n`);
    expect(range.headers.get('x-trainyard-log-offset')).toBe(String(at));
    expect(range.headers.get('x-trainyard-log-size')).toBe(String(offsetOf(LINES)));
    const last = `line ${String(LINES - 1).padStart(6, '0')}`;
    const found = await api.call('GET', `/api/jobs/${id}/log/search?q=${encodeURIComponent(last)}`);
    expect(found.body.matches).toEqual([
      { line: kept.length + 1, offset: offsetOf(LINES - 1), text: last, column: 0 },
    ]);
    const dropped = await api.call('GET', `/api/jobs/${id}/log/search?q=line%20000001`);
    expect(dropped.body.matches).toEqual([]);
    const tail = await api.call('GET', `/api/jobs/${id}/tty`);
    expect(tail.headers.get('x-trainyard-log-truncated')).toBe('true');
    expect(tail.headers.get('x-trainyard-log-size')).toBe(String(offsetOf(LINES)));
  }, 90_000);

  it('says in the log, once, when the oldest output cannot be dropped, loses none of it, and cuts the log once it can', async () => {
    const cap = 65536;
    const gate = mkdtempSync(join(tmpdir(), 'trainyard-log-cap-'));
    const lines = (from: number, to: number) =>
      `awk 'BEGIN { for (i = ${from}; i < ${to}; i++) printf "line %06d\\n", i }'`;
    const argv = [
      'sh',
      '-c',
      `sleep 1; ${lines(0, 20_000)}; until [ -e ${gate}/go ]; do sleep 0.05; done; ${lines(20_000, 40_000)}`,
    ];
    const id = (await api.command(argv, { log_cap_bytes: cap })).body.queue_id;
    try {
      // The new file's path is taken (by a directory): the log cannot be replaced (as when jobs/ is
      // read-only or immutable). Before: nothing said so, and every read of output tried again,
      // copying half the cap each time.
      const blocker = `${ttyFile(id)}.tmp`;
      mkdirSync(blocker);
      // Not there until the job starts (a busy CI: ENOENT failed a run here).
      const stuck = await waitFor(() => {
        const text = existsSync(ttyFile(id)) ? readFileSync(ttyFile(id), 'utf8') : '';
        return text.includes('line 019999') ? text : undefined;
      }, 'the first 20,000 lines written');
      expect(stuck.match(/^\[trainyard\] .*$/gm)).toEqual([
        `[trainyard] the log is over its cap (${cap} bytes) and its oldest output cannot be dropped: Is a directory; it grows on, and is cut once that works`,
      ]);
      expect(numbers(stuck)).toEqual(Array.from({ length: 20_000 }, (_, i) => i)); // every line kept
      rmdirSync(blocker);
      writeFileSync(join(gate, 'go'), '');
      await api.waitStatus(id, ['done'], 60_000);
      const file = readFileSync(ttyFile(id), 'utf8');
      expect(file.length).toBeLessThanOrEqual(cap + CHUNK);
      expect(MARKER.exec(file)?.[2]).toBe(String(cap));
      const kept = numbers(file);
      expect(kept.at(-1)).toBe(39_999);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => kept[0] + i));
    } finally {
      rmSync(gate, { recursive: true, force: true });
    }
  }, 90_000);

  it('applies the server default (--log-cap) to a job without its own, and 0 means no cap', async () => {
    const capped = (await api.command(WRITE)).body;
    const uncapped = (await api.command(WRITE, { log_cap_bytes: 0 })).body;
    await api.waitStatus(capped.queue_id, ['done'], 60_000);
    await api.waitStatus(uncapped.queue_id, ['done'], 60_000);
    const size = statSync(ttyFile(capped.queue_id)).size;
    expect(size).toBeLessThanOrEqual(256 * 1024 + CHUNK);
    expect(size).toBeGreaterThan(65536 + CHUNK); // its own cap, not the other job's
    expect(MARKER.exec(readFileSync(ttyFile(capped.queue_id), 'utf8'))?.[2]).toBe(String(256 * 1024));
    expect(statSync(ttyFile(uncapped.queue_id)).size).toBe(offsetOf(LINES));
  }, 90_000);
});
