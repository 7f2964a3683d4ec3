import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../apps/cli/src/cli';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

jest.setTimeout(60_000);

/**
 * A job without a log: while it may still write one the 404 says "yet"; once it ended without ever
 * writing (here: aborted because its dependency failed, so it never launched) it says so instead,
 * on every log endpoint and in `trainyard job dump`.
 */
describe('a job that has no output (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  const LOG_PATHS = ['/tty', '/log', '/log/search?q=x'];

  async function messages(id: string): Promise<string[]> {
    const out: string[] = [];
    for (const path of LOG_PATHS) {
      const { status, body } = await api.call('GET', `/api/jobs/${id}${path}`);
      expect({ path, status }).toEqual({ path, status: 404 });
      out.push(body.message);
    }
    return out;
  }

  /** `trainyard job dump <id>` run in-process: its exit code and what it wrote on stderr. */
  async function dump(id: string): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((stderr += String(chunk)), done()) });
    const code = await runCli(['job', 'dump', id], {
      env: { TRAINYARD_SERVER_URL: server.baseUrl, TRAINYARD_SERVER_TOKEN: server.token },
      stdout: sink,
      stderr: sink,
    });
    return { code, stderr };
  }

  it('says "yet" for a queued job, and not for one that ended without writing any', async () => {
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: false })).status).toBe(200);
    let head: string;
    let tail: string;
    try {
      head = (await api.command(['sh', '-c', 'exit 3'])).body.queue_id;
      tail = (await api.command(['true'], { depends_on: [{ queue_id: head, condition: 'after_ok' }] })).body
        .queue_id;
      expect(await messages(head)).toEqual(LOG_PATHS.map(() => `no output recorded for ${head} yet`));
    } finally {
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
    }

    const ended = await api.waitStatus(tail, ['aborted', 'done', 'failed'], 30_000);
    expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed' });
    const said = `no output recorded for ${tail} (the job has ended; none will come)`;
    expect(await messages(tail)).toEqual(LOG_PATHS.map(() => said));
    const { code, stderr } = await dump(tail);
    expect(code).toBe(5);
    expect(stderr).toContain(said);
    expect(stderr).not.toContain('yet');
  });

  it('a log replaced by a FIFO is no output (at once), and every other log still reads', async () => {
    // Before (a trial): each read of that log opened the FIFO and blocked one of libuv's four file
    // threads for good; after a few, every log read of every job hung until the worker restarted.
    const other = (await api.command(['sh', '-c', 'echo other job output'])).body.queue_id;
    await api.waitStatus(other, ['done']);
    const job = (await api.command(['sleep', '30.5151'])).body.queue_id;
    try {
      await api.waitStatus(job, ['running']);
      const log = join(server.home, 'jobs', `${job}.tty`);
      rmSync(log);
      expect(spawnSync('mkfifo', [log]).status).toBe(0);
      const reads = await Promise.all(
        LOG_PATHS.flatMap((path) => [1, 2].map(() => api.call('GET', `/api/jobs/${job}${path}`))),
      );
      expect(reads.map((r) => r.status)).toEqual(reads.map(() => 404));
      const { status, text } = await api.call('GET', `/api/jobs/${other}/tty`);
      expect([status, text]).toEqual([200, expect.stringContaining('other job output')]);
    } finally {
      await api.call('POST', `/api/jobs/${job}/control/force-kill`);
    }
  });
});
