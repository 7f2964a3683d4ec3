import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

interface JobView {
  queue_id: string;
  status: string;
  gpu_indices: number[];
  started_at: string | null;
}

interface Entry {
  seq: number;
  ts: string;
  type: string;
  payload: { queue_id?: string };
}

/**
 * A job that nothing is ahead of is claimed in its submit's own commit and launched before the
 * answer goes out (no scheduling pass between them); anything else waits for a pass, as before.
 */
describe('start on submit (e2e, in-process server, 2 fake GPUs)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  const setScheduler = async (enabled: boolean) =>
    expect((await api.call('POST', '/api/queue/scheduler', { enabled })).status).toBe(200);
  const jobEntries = async (id: string): Promise<Entry[]> =>
    ((await api.call('GET', '/api/journal?area=job&limit=1000')).body.items as Entry[]).filter(
      (e) => e.payload.queue_id === id,
    );
  /** Cancels every queued job and kills every running one, so the next case starts on an idle host. */
  async function drain(): Promise<void> {
    await setScheduler(false);
    const queued = (await api.call('GET', '/api/jobs?status=queued&limit=200')).body.items as JobView[];
    for (const job of queued) await api.call('DELETE', `/api/queue/${job.queue_id}`);
    const active = (await api.call('GET', '/api/jobs?status=starting,running,terminating&limit=200')).body
      .items as JobView[];
    for (const job of active) {
      await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
      await api.waitStatus(job.queue_id, ['done', 'failed', 'aborted'], 20_000);
    }
    await setScheduler(true);
  }
  afterEach(drain);

  it('on an idle host the answer is `starting` on a GPU, and queued + starting are one commit', async () => {
    const answer = await api.command(['sh', '-c', 'echo started; sleep 0.2'], { requested_gpus: 1 });
    expect(answer.status).toBe(201);
    const job = answer.body as JobView;
    expect(job.status).toBe('starting');
    expect(job.gpu_indices).toHaveLength(1);
    expect(job.started_at).not.toBeNull();

    await api.waitStatus(job.queue_id, ['done']);
    expect(await api.log(job.queue_id)).toContain('started');
    const [queued, starting] = await jobEntries(job.queue_id);
    expect([queued.type, starting.type]).toEqual(['job.queued.v1', 'job.starting.v1']);
    // One transaction: written one after the other with the commit's one timestamp.
    expect(starting.seq).toBe(queued.seq + 1);
    expect(starting.ts).toBe(queued.ts);
  });

  it('concurrent submits never get the same GPU: at most two start at once, the rest queue', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.command(['sleep', '30'], { requested_gpus: 1, name: `burst ${i}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const started = answers.map((a) => a.body as JobView).filter((j) => j.status === 'starting');
    // Each claim reserves its GPU at once, so a later claim in the same group commit sees it taken.
    const gpus = started.flatMap((j) => j.gpu_indices);
    expect(new Set(gpus).size).toBe(gpus.length);
    expect(gpus.length).toBeLessThanOrEqual(2);
    const { body } = await api.call('GET', '/api/gpus');
    const holders = (body.gpus as Array<{ reserved_by: string | null }>).map((g) => g.reserved_by);
    expect(holders.every((h) => h !== null)).toBe(true);
    expect(new Set(holders).size).toBe(2);
    const running = (await api.call('GET', '/api/jobs?status=starting,running&limit=50')).body.items;
    expect((running as JobView[]).length).toBe(2);
  });

  it('a submit committed after a pause is never started at submit, even in the same group commit', async () => {
    for (let round = 0; round < 10; round++) {
      // Sent together: the pause and the submit often share one group commit.
      const [, answer] = await Promise.all([
        api.call('POST', '/api/queue/scheduler', { enabled: false }),
        api.command(['true']),
      ]);
      const job = answer.body as JobView;
      const entries = (await api.call('GET', '/api/journal?order=desc&limit=20')).body.items as Entry[];
      const pausedAt = entries.find((e) => e.type === 'scheduler.toggled.v1')!.seq;
      const queuedAt = entries.find(
        (e) => e.type === 'job.queued.v1' && e.payload.queue_id === job.queue_id,
      )!.seq;
      if (queuedAt > pausedAt) expect([round, job.status]).toEqual([round, 'queued']);
      await drain();
    }
  });

  it('a job with another queued ahead of it, a paused scheduler or a dependency is answered `queued`', async () => {
    // Both GPUs busy and a 2-GPU job waiting for them: a 0-GPU job that fits is still not claimed at
    // submit (the scheduling pass decides, and may backfill it).
    const busy = [];
    for (let i = 0; i < 2; i++)
      busy.push((await api.command(['sleep', '30'], { requested_gpus: 1 })).body as JobView);
    for (const job of busy) await api.waitStatus(job.queue_id, ['running']);
    const waiting = (await api.command(['true'], { requested_gpus: 2 })).body as JobView & {
      pending_reason: string | null;
    };
    expect(waiting.status).toBe('queued');
    // Nothing ahead of it: the answer already says why it waits (not null until the next pass).
    expect(waiting.pending_reason).toMatch(/GPU/);
    const listed = (await api.call('GET', '/api/queue?limit=50')).body.items as (typeof waiting)[];
    expect(listed.find((j) => j.queue_id === waiting.queue_id)?.pending_reason).toBe(waiting.pending_reason);
    const behind = (await api.command(['true'], { requested_gpus: 0 })).body as JobView;
    expect(behind.status).toBe('queued');
    await api.waitStatus(behind.queue_id, ['done']); // backfilled by a pass

    await setScheduler(false);
    const paused = (await api.command(['true'])).body as JobView;
    expect(paused.status).toBe('queued');
    await setScheduler(true);
    await api.waitStatus(paused.queue_id, ['done']);

    const after = (await api.command(['true'], { depends_on: [{ queue_id: paused.queue_id }] }))
      .body as JobView;
    expect(after.status).toBe('queued');
    await api.waitStatus(after.queue_id, ['done']);
  });
});
