import { changeQueuePriority, createClient, createConfig } from '@trainyard/sdk';
import { jobsApi } from './support/api';
import type { Answer } from './support/http';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

/** PATCH /api/queue/{id}: a queued job's priority, changed in place (not a resubmit). */
describe('changing a queued job priority (e2e, real server, real SQLite, 1 fake GPU)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  let client: ReturnType<typeof createClient>;
  const running: string[] = [];

  /** Through the generated SDK, as the CLI and console call it; errors come back as answers. */
  const patch = async (id: string, body: unknown): Promise<Answer> => {
    const { data, error, response } = await changeQueuePriority({
      client,
      throwOnError: false,
      path: { queue_id: id },
      body: body as { priority: number },
    });
    return { status: response.status, body: data ?? error, headers: response.headers, text: '' };
  };
  const ok = (answer: Answer) => {
    if (answer.status >= 300) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const queueOrder = async () =>
    (await api.call('GET', '/api/queue')).body.items.map((i: { queue_id: string }) => i.queue_id);
  /** A job holding the one GPU until it is cancelled. */
  const blocker = async () => {
    const id = ok(await api.command(['sleep', '60'], { requested_gpus: 1, name: 'blocker' })).body.queue_id;
    running.push(id);
    await api.waitStatus(id, ['running']);
    return id;
  };

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1'] });
    api = jobsApi(server.baseUrl, server.token);
    client = createClient(
      createConfig({
        baseUrl: server.baseUrl,
        auth: (s) => (s.scheme === 'bearer' ? server.token : undefined),
      }),
    );
  });
  afterAll(async () => {
    for (const id of running) await api.call('POST', `/api/jobs/${id}/control/force-kill`);
    await server.close(true);
  });

  it('a low-priority job raised above another starts first when the GPU frees', async () => {
    const gpu = await blocker();
    const first = ok(await api.command(['true'], { requested_gpus: 1, name: 'first' })).body;
    const second = ok(await api.command(['true'], { requested_gpus: 1, name: 'second' })).body;
    expect(await queueOrder()).toEqual([first.queue_id, second.queue_id]);

    const answer = ok(await patch(second.queue_id, { priority: 5 }));
    expect(answer.status).toBe(200);
    // The updated queue item, as GET /api/queue lists it: same id, age and place, new priority.
    expect(answer.body).toMatchObject({
      queue_id: second.queue_id,
      status: 'queued',
      priority: 5,
      submitted_at: second.submitted_at,
      pending_reason: null, // the last pass's reason was for its old priority
    });
    expect(await queueOrder()).toEqual([second.queue_id, first.queue_id]);
    ok(await api.call('DELETE', `/api/queue/${gpu}`));
    const [a, b] = [
      await api.waitStatus(second.queue_id, ['done'], 15_000),
      await api.waitStatus(first.queue_id, ['done'], 15_000),
    ];
    expect(Date.parse(a.started_at)).toBeLessThanOrEqual(Date.parse(b.started_at));
    expect(Date.parse(b.started_at)).toBeGreaterThanOrEqual(Date.parse(a.ended_at));
  });

  it('answers without the reason of the old priority; the next pass gives the new one', async () => {
    // A gate at 5 on the one GPU, held by a priority-5 job: a priority-0 job waits for the gate.
    ok(await api.call('POST', '/api/gpus/0/policy', { min_priority: 5 }));
    try {
      const gpu = ok(await api.command(['sleep', '60'], { requested_gpus: 1, priority: 5 })).body.queue_id;
      running.push(gpu);
      await api.waitStatus(gpu, ['running']);
      const low = ok(await api.command(['true'], { requested_gpus: 1, name: 'low' })).body.queue_id;
      const reason = async () =>
        (await api.call('GET', '/api/queue')).body.items.find((i: { queue_id: string }) => i.queue_id === low)
          ?.pending_reason as string | null;
      await waitFor(async () => (await reason())?.includes('requires priority ≥ 5') || undefined, 'the gate');

      // Before: the answer still said the gate kept it out, which no longer holds at priority 5.
      expect(ok(await patch(low, { priority: 5 })).body.pending_reason).toBeNull();
      const next = await waitFor(async () => {
        const r = await reason();
        return r && !r.includes('requires priority') ? r : undefined;
      }, 'the new reason');
      expect(next).toMatch(new RegExp(`^needs 1 GPU, 0 eligible \\(GPU 0 reserved by ${gpu}\\)`));
      ok(await api.call('DELETE', `/api/queue/${gpu}`));
      await api.waitStatus(low, ['done'], 15_000);
    } finally {
      ok(await api.call('POST', '/api/gpus/0/policy', { min_priority: null }));
    }
  });

  it('keeps the job’s place among equal priorities and its age: raised and lowered back, it is where it was', async () => {
    const gpu = await blocker();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      ids.push(ok(await api.command(['true'], { requested_gpus: 1, name })).body.queue_id);
    }
    const before = await api.job(ids[0]);
    ok(await patch(ids[0], { priority: 3 }));
    expect(await queueOrder()).toEqual(ids);
    ok(await patch(ids[1], { priority: 3 }));
    // Equal priorities: submit order, so a (raised first) stays ahead of b.
    expect(await queueOrder()).toEqual(ids);
    ok(await patch(ids[0], { priority: 0 }));
    expect(await queueOrder()).toEqual([ids[1], ids[0], ids[2]]);
    ok(await patch(ids[1], { priority: 0 }));
    // Lowered back: a is first again (a resubmit would have put it last).
    expect(await queueOrder()).toEqual(ids);
    expect(await api.job(ids[0])).toMatchObject({
      submitted_at: before.submitted_at,
      restart_count: 0,
      priority: 0,
    });
    // Each change is one journal entry with the old and the new priority.
    const journal = (await api.call('GET', '/api/journal?limit=1000')).body.items.filter(
      (e: { type: string; payload: { queue_id: string } }) =>
        e.type === 'job.priority_changed.v1' && e.payload.queue_id === ids[0],
    );
    expect(journal.map((e: { payload: unknown }) => e.payload)).toEqual([
      expect.objectContaining({ priority: 3, previous_priority: 0, changed_at: expect.any(String) }),
      expect.objectContaining({ priority: 0, previous_priority: 3 }),
    ]);
    for (const id of [...ids, gpu]) ok(await api.call('DELETE', `/api/queue/${id}`));
  });

  it('refuses a running job with 409 JOB_NOT_QUEUED naming its status, and leaves it as it is', async () => {
    const gpu = await blocker();
    const answer = await patch(gpu, { priority: 9 });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      code: 'JOB_NOT_QUEUED',
      message: expect.stringMatching(/is running/),
    });
    expect(await api.job(gpu)).toMatchObject({ status: 'running', priority: 0 });
    ok(await api.call('DELETE', `/api/queue/${gpu}`));
    const ended = await api.waitStatus(gpu, ['aborted'], 15_000);
    expect((await patch(gpu, { priority: 9 })).body).toMatchObject({
      code: 'JOB_NOT_QUEUED',
      message: expect.stringMatching(/is aborted/),
    });
    expect(ended.priority).toBe(0);
  });

  it.each([
    ['a fraction', { priority: 1.5 }],
    ['a string', { priority: 'high' }],
    ['above the submit bound', { priority: 1_000_001 }],
    ['below the submit bound', { priority: -1_000_001 }],
    ['no priority', {}],
  ])('answers %s with 400 naming priority', async (_what, body) => {
    const queued = ok(await api.command(['true'], { requested_gpus: 1, priority: -1 })).body.queue_id;
    ok(await api.call('POST', '/api/queue/scheduler', { enabled: false }));
    try {
      const answer = await patch(queued, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'priority' }] });
    } finally {
      ok(await api.call('POST', '/api/queue/scheduler', { enabled: true }));
    }
    await api.waitStatus(queued, ['done'], 15_000);
  });

  it('takes the submit bounds themselves, and a negative priority', async () => {
    ok(await api.call('POST', '/api/queue/scheduler', { enabled: false }));
    try {
      const id = ok(await api.command(['true'], { requested_gpus: 1 })).body.queue_id;
      expect(ok(await patch(id, { priority: -1_000_000 })).body.priority).toBe(-1_000_000);
      expect(ok(await patch(id, { priority: 1_000_000 })).body.priority).toBe(1_000_000);
      ok(await api.call('DELETE', `/api/queue/${id}`));
    } finally {
      ok(await api.call('POST', '/api/queue/scheduler', { enabled: true }));
    }
  });

  it('answers an unknown id 404 QUEUE_ITEM_NOT_FOUND and a malformed one 400', async () => {
    expect((await patch('q_1796000000000_0000000a', { priority: 1 })).body).toMatchObject({
      statusCode: 404,
      code: 'QUEUE_ITEM_NOT_FOUND',
    });
    expect((await patch('nope', { priority: 1 })).body).toMatchObject({
      statusCode: 400,
      details: [{ field: 'queue_id' }],
    });
  });

  it('needs credentials like every other route', async () => {
    const answer = await request(server.baseUrl, 'PATCH', '/api/queue/q_1796000000000_0000000a', {
      body: { priority: 1 },
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
