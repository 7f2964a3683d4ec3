import { holdQueueItem, releaseQueueItem } from '@trainyard/sdk';
import { jobsApi } from './support/api';
import type { Answer } from './support/http';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

const HELD = 'held by the user (release it to let it start)';

/** POST /api/queue/{id}/hold and /release: a queued job kept from starting, in its place, and let go. */
describe('holding and releasing a queued job (e2e, real server, real SQLite, 1 fake GPU)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  /** Through the generated SDK, as the CLI and console call it; errors come back as answers. */
  const hold = async (id: string, held = true): Promise<Answer> => {
    const call = held ? holdQueueItem : releaseQueueItem;
    const { data, error, response } = await call({
      client: api.client,
      throwOnError: false,
      path: { queue_id: id },
    });
    return { status: response.status, body: data ?? error, headers: response.headers, text: '' };
  };
  const ok = (answer: Answer) => {
    if (answer.status >= 300) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const queue = async () =>
    (await api.call('GET', '/api/queue')).body.items as Array<{
      queue_id: string;
      held: boolean;
      pending_reason: string | null;
    }>;
  const setScheduler = async (enabled: boolean) =>
    ok(await api.call('POST', '/api/queue/scheduler', { enabled }));
  const entries = async (type: string, id: string) =>
    (await api.call('GET', '/api/journal?limit=1000')).body.items.filter(
      (e: { type: string; payload: { queue_id: string } }) => e.type === type && e.payload.queue_id === id,
    );

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('a held job does not start while its GPU is free, a lower one behind it does, and its release starts it in its old place', async () => {
    await setScheduler(false);
    const top = ok(await api.command(['true'], { requested_gpus: 1, priority: 5, name: 'top' })).body;
    const low = ok(await api.command(['true'], { requested_gpus: 1, name: 'low' })).body;
    const answer = ok(await hold(top.queue_id));
    // The queue item as it is now: still queued, same age, held, and saying so at once.
    expect(answer.body).toMatchObject({
      queue_id: top.queue_id,
      status: 'queued',
      held: true,
      submitted_at: top.submitted_at,
      pending_reason: `scheduler is paused; ${HELD}`,
    });
    await setScheduler(true);
    // The GPU is free and the top job may not have it: the lower one behind it starts and ends.
    await api.waitStatus(low.queue_id, ['done'], 15_000);
    const waiting = await api.job(top.queue_id);
    expect(waiting).toMatchObject({ status: 'queued', held: true, pending_reason: HELD, started_at: null });
    expect(await queue()).toEqual([
      expect.objectContaining({ queue_id: top.queue_id, held: true, pending_reason: HELD }),
    ]);

    const released = ok(await hold(top.queue_id, false));
    expect(released.body).toMatchObject({
      queue_id: top.queue_id,
      held: false,
      submitted_at: top.submitted_at,
    });
    const done = await api.waitStatus(top.queue_id, ['done'], 15_000);
    expect(done).toMatchObject({
      held: false,
      priority: 5,
      submitted_at: top.submitted_at,
      restart_count: 0,
    });
    expect(await entries('job.held.v1', top.queue_id)).toEqual([
      expect.objectContaining({ payload: { queue_id: top.queue_id, held_at: expect.any(String) } }),
    ]);
    expect(await entries('job.released.v1', top.queue_id)).toHaveLength(1);
  });

  it('keeps a held job’s place: held, it stays ahead of the jobs submitted after it; released, it goes first', async () => {
    await setScheduler(false);
    try {
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c'])
        ids.push(ok(await api.command(['true'], { requested_gpus: 1, name })).body.queue_id);
      ok(await hold(ids[0]));
      expect((await queue()).map((i) => [i.queue_id, i.held])).toEqual([
        [ids[0], true],
        [ids[1], false],
        [ids[2], false],
      ]);
      ok(await hold(ids[0], false));
      expect((await queue()).map((i) => i.queue_id)).toEqual(ids);
      for (const id of ids) ok(await api.call('DELETE', `/api/queue/${id}`));
    } finally {
      await setScheduler(true);
    }
  });

  it('is idempotent: a second hold (or release) answers the job as it is and journals nothing', async () => {
    await setScheduler(false);
    try {
      const id = ok(await api.command(['true'], { requested_gpus: 1 })).body.queue_id;
      ok(await hold(id));
      const again = ok(await hold(id));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ queue_id: id, held: true });
      expect(await entries('job.held.v1', id)).toHaveLength(1);
      ok(await hold(id, false));
      expect(ok(await hold(id, false)).body).toMatchObject({ held: false });
      expect(await entries('job.released.v1', id)).toHaveLength(1);
      ok(await api.call('DELETE', `/api/queue/${id}`));
    } finally {
      await setScheduler(true);
    }
  });

  it('lists the held jobs with status=held (queued still includes them; held mixes with other statuses) and counts them in the scheduler status', async () => {
    await setScheduler(false);
    try {
      const kept = ok(await api.command(['true'], { requested_gpus: 1, name: 'kept' })).body.queue_id;
      const free = ok(await api.command(['true'], { requested_gpus: 1, name: 'free' })).body.queue_id;
      ok(await hold(kept));
      const ids = async (query: string) => {
        const page = ok(await api.call('GET', `/api/jobs?${query}`)).body;
        const items = (page.items as Array<{ queue_id: string }>).map((j) => j.queue_id);
        expect(page.total).toBe(items.length);
        return items;
      };
      expect(await ids('status=held')).toEqual([kept]);
      // The scheduler status counts them apart: held_count of queued_count.
      expect(ok(await api.call('GET', '/api/queue/scheduler')).body).toMatchObject({
        queued_count: 2,
        held_count: 1,
      });
      expect(await ids('status=held&sort=name')).toEqual([kept]);
      expect(await ids('status=queued')).toEqual([free, kept]);
      expect(await ids('status=queued,held')).toEqual([free, kept]);
      // Other statuses are not narrowed by `held`: held queued jobs and every done one.
      expect(await ids('status=held,done')).toEqual([kept, ...(await ids('status=done'))]);
      ok(await hold(kept, false));
      expect(await ids('status=held')).toEqual([]);
      expect(ok(await api.call('GET', '/api/queue/scheduler')).body).toMatchObject({
        queued_count: 2,
        held_count: 0,
      });
      for (const id of [kept, free]) ok(await api.call('DELETE', `/api/queue/${id}`));
      // The allowed values named on a bad one include held.
      expect((await api.call('GET', '/api/jobs?status=hold')).body.details).toEqual([
        {
          field: 'status',
          message: expect.stringMatching(/list of queued, .*, aborted, held; got "hold"$/),
        },
      ]);
    } finally {
      await setScheduler(true);
    }
  });

  it('submits a job held (held: true): queued and held in one commit, never started until released', async () => {
    const answer = ok(await api.command(['true'], { requested_gpus: 1, name: 'born held', held: true }));
    expect(answer.status).toBe(201);
    const id = answer.body.queue_id as string;
    expect(answer.body).toMatchObject({
      status: 'queued',
      held: true,
      pending_reason: HELD,
      started_at: null,
    });
    // The GPU is free and the scheduler on: it still waits.
    await new Promise((r) => setTimeout(r, 500));
    expect(await api.job(id)).toMatchObject({ status: 'queued', held: true, pending_reason: HELD });
    // job.queued then job.held, one after the other in the same commit (one time of commit).
    const mine = (await api.call('GET', '/api/journal?limit=1000')).body.items.filter(
      (e: { payload: { queue_id?: string } }) => e.payload.queue_id === id,
    ) as Array<{ seq: number; ts: string; type: string; payload: Record<string, unknown> }>;
    expect(mine.map((e) => e.type)).toEqual(['job.queued.v1', 'job.held.v1']);
    expect(mine[1]).toMatchObject({
      seq: mine[0].seq + 1,
      ts: mine[0].ts,
      payload: { queue_id: id, held_at: answer.body.submitted_at },
    });
    ok(await hold(id, false));
    await api.waitStatus(id, ['done'], 15_000);
  });

  it('submits an array held: every job of it', async () => {
    const first = ok(
      await api.command(['true'], { requested_gpus: 1, held: true, array: { count: 2 } }),
    ).body;
    const array = ok(await api.call('GET', `/api/arrays/${first.array_id}`)).body;
    expect(array.jobs.map((j: { held: boolean; status: string }) => [j.status, j.held])).toEqual([
      ['queued', true],
      ['queued', true],
    ]);
    ok(await api.call('POST', `/api/arrays/${first.array_id}/release`));
    for (const job of array.jobs) await api.waitStatus(job.queue_id, ['done'], 15_000);
  });

  it('refuses a held that is not a boolean, naming the field', async () => {
    const answer = await api.command(['true'], { held: 'yes' });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([{ field: 'held', message: 'held must be a boolean value' }]);
  });

  it('a job that depends on a held one keeps waiting for it; a dependent says whether it is held', async () => {
    await setScheduler(false);
    const first = ok(await api.command(['true'], { requested_gpus: 0 })).body.queue_id;
    const after = ok(
      await api.command(['true'], {
        requested_gpus: 0,
        depends_on: [{ queue_id: first, condition: 'after_ok' }],
      }),
    ).body.queue_id;
    ok(await hold(first));
    await setScheduler(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await api.job(after)).toMatchObject({ status: 'queued', held: false });
    expect((await api.job(after)).pending_reason).toContain(first);
    // Its dependents say whether each is held (the console's "needed by" shows it so).
    const dependents = async () => ok(await api.call('GET', `/api/jobs/${first}/dependents`)).body;
    expect(await dependents()).toEqual([
      { queue_id: after, name: null, status: 'queued', held: false, condition: 'after_ok' },
    ]);
    ok(await hold(after));
    expect(await dependents()).toEqual([
      { queue_id: after, name: null, status: 'queued', held: true, condition: 'after_ok' },
    ]);
    ok(await hold(after, false));
    ok(await hold(first, false));
    await api.waitStatus(after, ['done'], 15_000);
  });

  it('holds and releases every queued job of an array by its id', async () => {
    await setScheduler(false);
    const first = ok(await api.command(['true'], { requested_gpus: 1, array: { count: 2 } })).body;
    const arrayId = first.array_id as string;
    const held = ok(await api.call('POST', `/api/arrays/${arrayId}/hold`)).body;
    expect(held.array_id).toBe(arrayId);
    expect(held.changed).toHaveLength(2);
    expect((await api.call('POST', `/api/arrays/${arrayId}/hold`)).body.changed).toEqual([]);
    await setScheduler(true);
    await new Promise((r) => setTimeout(r, 500));
    for (const id of held.changed) expect(await api.job(id)).toMatchObject({ status: 'queued', held: true });
    expect(ok(await api.call('POST', `/api/arrays/${arrayId}/release`)).body.changed).toEqual(held.changed);
    for (const id of held.changed) await api.waitStatus(id, ['done'], 15_000);
    // Nothing of it is queued any more: a 409 naming the array and how its jobs stand, not an empty 200.
    for (const action of ['hold', 'release'])
      expect((await api.call('POST', `/api/arrays/${arrayId}/${action}`)).body).toMatchObject({
        statusCode: 409,
        code: 'JOB_NOT_QUEUED',
        message: `array ${arrayId} has no queued job left (2 done): only a queued job can be ${action === 'hold' ? 'held' : 'released'}`,
      });
    expect((await api.call('POST', '/api/arrays/a_1796000000000_0000000a/hold')).body).toMatchObject({
      statusCode: 404,
      code: 'ARRAY_NOT_FOUND',
    });
  });

  it('refuses a job that is not queued with 409 JOB_NOT_QUEUED naming its status', async () => {
    const id = ok(await api.command(['sleep', '60'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(id, ['running']);
    expect((await hold(id)).body).toMatchObject({
      statusCode: 409,
      code: 'JOB_NOT_QUEUED',
      message: expect.stringMatching(/is running/),
    });
    ok(await api.call('DELETE', `/api/queue/${id}`));
    await api.waitStatus(id, ['aborted'], 15_000);
    expect((await hold(id, false)).body).toMatchObject({
      code: 'JOB_NOT_QUEUED',
      message: expect.stringMatching(/is aborted/),
    });
  });

  it('answers an unknown id 404 QUEUE_ITEM_NOT_FOUND, a malformed one 400, and no credentials 401', async () => {
    expect((await hold('q_1796000000000_0000000a')).body).toMatchObject({
      statusCode: 404,
      code: 'QUEUE_ITEM_NOT_FOUND',
    });
    expect((await hold('nope', false)).body).toMatchObject({
      statusCode: 400,
      details: [{ field: 'queue_id' }],
    });
    for (const action of ['hold', 'release']) {
      const answer = await request(server.baseUrl, 'POST', `/api/queue/q_1796000000000_0000000a/${action}`);
      expect(answer.status).toBe(401);
    }
  });

  it('a hold survives a restart (it is stored), and the job starts only once released', async () => {
    const other = await startInProcessServer({ argv: ['--fake-gpus', '1'] });
    let second: InProcessServer | null = null;
    try {
      const first = jobsApi(other.baseUrl, other.token);
      ok(await first.call('POST', '/api/queue/scheduler', { enabled: false }));
      const id = ok(await first.command(['true'], { requested_gpus: 1 })).body.queue_id;
      const { data } = await holdQueueItem({ client: first.client, path: { queue_id: id } });
      expect(data.held).toBe(true);
      ok(await first.call('POST', '/api/queue/scheduler', { enabled: true }));
      await other.close(false);
      second = await startInProcessServer({ argv: ['--fake-gpus', '1'], home: other.home });
      const again = jobsApi(second.baseUrl, second.token);
      await new Promise((r) => setTimeout(r, 500));
      expect(await again.job(id)).toMatchObject({ status: 'queued', held: true, pending_reason: HELD });
      await releaseQueueItem({ client: again.client, path: { queue_id: id } });
      await again.waitStatus(id, ['done'], 15_000);
    } finally {
      await (second ?? other).close(true);
    }
  });
});

/** Priority aging leaves out the time a job was held (as Slurm's age factor does not grow while held). */
describe('aging of a held job (e2e, real server, 1 fake GPU, 36,000 priority per hour of waiting)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    // 10 priority points per second waited: a second's age decides the order.
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--priority-aging', '36000'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  const ok = (answer: Answer) => {
    if (answer.status >= 300) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };

  it('a job held for a while, then released, does not outrank an equal job submitted after it', async () => {
    const blocker = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(blocker, ['running']);
    // Both wait for the GPU; `early` is submitted first but held at once, for 3 s.
    const early = ok(await api.command(['sleep', '30'], { requested_gpus: 1, name: 'early' })).body.queue_id;
    ok(await api.call('POST', `/api/queue/${early}/hold`));
    await new Promise((r) => setTimeout(r, 200));
    const later = ok(await api.command(['sleep', '30'], { requested_gpus: 1, name: 'later' })).body.queue_id;
    await new Promise((r) => setTimeout(r, 3000));
    ok(await api.call('POST', `/api/queue/${early}/release`));
    // Its aged wait is the 0.2 s before its hold and the time since its release, well under the
    // 3 s `later` has waited: `later` takes the GPU the blocker frees. Counting its 3 s held,
    // `early` would be 0.2 s older and go first.
    ok(await api.call('POST', `/api/jobs/${blocker}/control/kill`));
    await api.waitStatus(later, ['running'], 15_000);
    expect(await api.job(early)).toMatchObject({ status: 'queued', held: false });
    // The hold's time is journaled with the release (replay sets it alike).
    const released = (await api.call('GET', '/api/journal?limit=1000')).body.items.find(
      (e: { type: string; payload: { queue_id: string } }) =>
        e.type === 'job.released.v1' && e.payload.queue_id === early,
    );
    expect(released.payload.held_ms).toBeGreaterThanOrEqual(3000);
    expect(released.payload.held_ms).toBeLessThan(6000);
    ok(await api.call('DELETE', `/api/queue/${early}`));
    ok(await api.call('POST', `/api/jobs/${later}/control/kill`));
    await api.waitStatus(later, ['aborted'], 15_000);
  });

  it('a job released before its dependency is met gained no age while held, so nothing is left out', async () => {
    const blocker = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(blocker, ['running']);
    const first = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    const after = ok(
      await api.command(['true'], {
        requested_gpus: 1,
        depends_on: [{ queue_id: first, condition: 'after_start' }],
      }),
    ).body.queue_id;
    ok(await api.call('POST', `/api/queue/${after}/hold`));
    await new Promise((r) => setTimeout(r, 300));
    ok(await api.call('POST', `/api/queue/${after}/release`));
    const released = (await api.call('GET', '/api/journal?limit=1000')).body.items.find(
      (e: { type: string; payload: { queue_id: string } }) =>
        e.type === 'job.released.v1' && e.payload.queue_id === after,
    );
    // Held while it waited for `first` to start: no age to take off.
    expect(released.payload.held_ms).toBe(0);
    for (const id of [after, first]) ok(await api.call('DELETE', `/api/queue/${id}`));
    ok(await api.call('POST', `/api/jobs/${blocker}/control/kill`));
    await api.waitStatus(blocker, ['aborted'], 15_000);
  });
});
