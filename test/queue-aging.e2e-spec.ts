import { jobsApi } from './support/api';
import type { Answer } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/**
 * --priority-aging: the queue lists by priority, the scheduler places by the aged priority, and each
 * queued item says its aged priority (effective_priority), so the order it starts in can be read.
 */
describe('effective (aged) priority of queued jobs (e2e, real server, real SQLite, 1 fake GPU)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const ok = (answer: Answer) => {
    if (answer.status >= 300) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };
  type Item = { queue_id: string; priority: number; effective_priority?: number };

  beforeAll(async () => {
    // 10 priority points per second waited.
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--priority-aging', '36000'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('an older priority-0 job shows the aged priority that makes it start before a priority-15 one', async () => {
    const blocker = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(blocker, ['running']);
    const old = ok(await api.command(['sleep', '30'], { requested_gpus: 1, name: 'old' })).body.queue_id;
    await new Promise((r) => setTimeout(r, 2500));
    const high = ok(await api.command(['sleep', '30'], { requested_gpus: 1, priority: 15, name: 'high' }))
      .body.queue_id;

    // GET /api/queue: by priority, each item with its effective priority.
    const queue = (await api.call('GET', '/api/queue')).body.items as Item[];
    expect(queue.map((j) => j.queue_id)).toEqual([high, old]);
    const [h, o] = queue;
    expect(h.effective_priority).toBeGreaterThanOrEqual(15);
    expect(h.effective_priority).toBeLessThan(20);
    expect(o.effective_priority).toBeGreaterThanOrEqual(25);
    // GET /api/jobs (what `trainyard sched list` reads) and GET /api/jobs/{id} say the same.
    const listed = (await api.call('GET', '/api/jobs?status=queued')).body.items as Item[];
    expect(listed.find((j) => j.queue_id === old)?.effective_priority).toBeGreaterThanOrEqual(25);
    expect((await api.job(old)).effective_priority).toBeGreaterThanOrEqual(25);
    // A running job has none.
    expect(await api.job(blocker)).not.toHaveProperty('effective_priority');

    // The scheduler places by it: `old` takes the GPU the blocker frees.
    ok(await api.call('POST', `/api/jobs/${blocker}/control/kill`));
    await api.waitStatus(old, ['running'], 15_000);
    expect(await api.job(high)).toMatchObject({ status: 'queued' });
    ok(await api.call('POST', `/api/jobs/${old}/control/kill`));
    ok(await api.call('DELETE', `/api/queue/${high}`));
  });

  it('a job waiting for a dependency has not aged; a held one keeps the age it had when held', async () => {
    const blocker = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(blocker, ['running']);
    const waiting = ok(
      await api.command(['true'], { requested_gpus: 1, depends_on: [{ queue_id: blocker }] }),
    ).body.queue_id;
    const held = ok(await api.command(['true'], { requested_gpus: 1 })).body.queue_id;
    ok(await api.call('POST', `/api/queue/${held}/hold`));
    const heldAt = (await api.job(held)).effective_priority as number;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.job(waiting)).effective_priority).toBe(0);
    expect((await api.job(held)).effective_priority).toBeCloseTo(heldAt, 5);
    ok(await api.call('POST', `/api/jobs/${blocker}/control/kill`));
  });
});
