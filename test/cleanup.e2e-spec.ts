import Database from 'better-sqlite3';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const JOBS = 10_000;
/** The documented cap: a journal entry (and a jobs-stream frame) lists at most 500 ids, ~14 KB. */
const MAX_PAYLOAD_BYTES = 16 * 1024;

/** Cleanup of many finished jobs runs in chunks: the server stays responsive and no message is huge. */
describe('POST /api/jobs/cleanup of 10,000 jobs (e2e, in-process server)', () => {
  let server: InProcessServer;
  const call = (method: string, path: string) =>
    request(server.baseUrl, method, path, { token: server.token });

  beforeAll(async () => {
    server = await startInProcessServer();
    // Straight into the SQLite file (another connection, as the WAL allows): 10,000 finished jobs.
    const db = new Database(server.config.paths.database);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${JOBS})
       INSERT INTO jobs (id, job_type, name, priority, requested_gpus, job_params, cwd, env, status,
                         submitted_at, started_at, ended_at, gpu_indices, exit_code, seq)
       SELECT printf('q_1700000000000_%08x', i), 'command', NULL, 0, 0, '{"argv":["true"]}', '/tmp', '{}',
              'done', '2023-11-14T22:13:20.000Z', '2023-11-14T22:13:20.000Z', '2023-11-14T22:13:21.000Z',
              '[]', 0, i
       FROM n`,
    ).run();
    db.close();
  });
  afterAll(() => server.close(true));

  it('deletes them all in bounded chunks while other requests are served', async () => {
    expect((await call('GET', '/api/jobs?limit=1')).body.total).toBe(JOBS);

    const frames: string[] = [];
    const stream = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/api/jobs/stream`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    stream.on('message', (data: Buffer) => frames.push(data.toString()));
    await once(stream, 'open');

    // Server and test share one event loop here: a stall in the server is a stall we can measure.
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    let cleanupDone = false;
    const cleanup = call('POST', '/api/jobs/cleanup').then((answer) => {
      cleanupDone = true;
      return answer;
    });
    let servedDuringCleanup = 0;
    while (!cleanupDone) {
      expect((await call('GET', '/api/health')).status).toBe(200);
      if (!cleanupDone) servedDuringCleanup += 1;
    }
    const answer = await cleanup;
    const elapsedMs = performance.now() - started;
    delay.disable();

    expect(answer.status).toBe(200);
    expect(answer.body.deleted).toHaveLength(JOBS);
    // All in one go, the loop stalled for the whole cleanup (~1.3 s) and nothing else was served.
    // Absolute times vary with the machine's load, so the bounds are relative to the cleanup's length.
    expect(servedDuringCleanup).toBeGreaterThanOrEqual(3);
    expect(delay.max / 1e6).toBeLessThan(elapsedMs / 2);

    expect((await call('GET', '/api/jobs?limit=1')).body.total).toBe(0);
    const journal = (await call('GET', `/api/journal?limit=1000`)).body.items as Array<{
      type: string;
      payload: { queue_ids?: string[] };
    }>;
    const deletes = journal.filter((e) => e.type === 'job.deleted.v1');
    expect(deletes.flatMap((e) => e.payload.queue_ids).sort()).toEqual([...answer.body.deleted].sort());
    for (const entry of deletes)
      expect(JSON.stringify(entry.payload).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);

    await new Promise((resolve) => setTimeout(resolve, 300)); // the stream coalesces for 100 ms
    stream.close();
    const listed = frames.slice(1).map((f) => JSON.parse(f) as { queue_ids: string[]; omitted?: number });
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(listed.reduce((n, f) => n + f.queue_ids.length + (f.omitted ?? 0), 0)).toBe(JOBS);
  });
});

describe('a removed job takes the credentials in its environment along (e2e, in-process server)', () => {
  it("its journal entry keeps the variables' names, not their values; the database file keeps neither", async () => {
    const server = await startInProcessServer();
    try {
      const call = (method: string, path: string, body?: unknown) =>
        request(server.baseUrl, method, path, { token: server.token, body });
      const secret = `supersecret-${Date.now().toString(36)}`;
      const { body: job } = await call('POST', '/api/queue', {
        job_type: 'command',
        job_params: { argv: ['true'] },
        env: { WANDB_API_KEY: secret, HF_TOKEN: secret },
      });
      for (let t = Date.now(); (await call('GET', `/api/jobs/${job.queue_id}`)).body.status !== 'done';) {
        if (Date.now() - t > 20_000) throw new Error('the job did not end');
        await new Promise((r) => setTimeout(r, 50));
      }
      const queuedEntry = async () =>
        (await call('GET', `/api/journal?queue_id=${job.queue_id}`)).body.items.find(
          (e: { type: string }) => e.type === 'job.queued.v1',
        );
      expect((await queuedEntry()).payload.env).toEqual({ WANDB_API_KEY: secret, HF_TOKEN: secret });
      expect((await call('DELETE', `/api/jobs/${job.queue_id}`)).status).toBe(200);
      // Before: the entry kept the values for good, readable by any token holder and in every backup.
      expect((await queuedEntry()).payload.env).toEqual({
        WANDB_API_KEY: '[redacted]',
        HF_TOKEN: '[redacted]',
      });
      // A job cancelled before it ran is removed as well: the same (a trial). An array's is kept,
      // aborted, as any ended job is until it is deleted: then the same.
      await call('POST', '/api/queue/scheduler', { enabled: false });
      const waiting = (
        await call('POST', '/api/queue', {
          job_type: 'command',
          job_params: { argv: ['true'] },
          env: { WANDB_API_KEY: secret },
        })
      ).body.queue_id as string;
      const array = (
        await call('POST', '/api/queue', {
          job_type: 'command',
          job_params: { argv: ['true'] },
          env: { WANDB_API_KEY: secret },
          array: { count: 2 },
        })
      ).body;
      expect((await call('DELETE', `/api/queue/${waiting}`)).status).toBe(200);
      expect((await call('POST', `/api/arrays/${array.array_id}/cancel`)).status).toBe(200);
      for (const { queue_id } of (await call('GET', `/api/arrays/${array.array_id}`)).body.jobs)
        expect((await call('DELETE', `/api/jobs/${queue_id}`)).status).toBe(200);
      const journal = JSON.stringify((await call('GET', '/api/journal?limit=1000')).body.items);
      expect(journal).not.toContain(secret);
      // Nor are they left in the database file's freed space, nor in old frames of its WAL, which
      // the running server truncates after a redaction (before: the -wal kept them until reused).
      const { existsSync, readFileSync } = await import('node:fs');
      const file = server.config.paths.database;
      const holding = () =>
        [file, `${file}-wal`].filter((f) => existsSync(f) && readFileSync(f).includes(secret));
      await waitFor(() => holding().length === 0, 'no file of the database to hold the secret', 10_000).catch(
        () => expect(holding()).toEqual([]),
      );
    } finally {
      await server.close(true);
    }
  });
});
