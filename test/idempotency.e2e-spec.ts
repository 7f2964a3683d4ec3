import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** POST /api/queue with an Idempotency-Key: a retry is the same request, all of it, or a 422. */
describe('Idempotency-Key retries (e2e, real server, real SQLite)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('compares a retry with the whole request: array size, sweep, held, the template of later jobs (422 naming each)', async () => {
    const array = (spec: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
      job_type: 'command',
      held: true,
      job_params: { argv: ['echo', '{index}'] },
      array: spec,
      ...more,
    });
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string[]]> = [
      ['count', array({ count: 3 }), array({ count: 5 }), ['array.count']],
      [
        'sweep',
        array({ sweep: { a: [1, 2] } }, { job_params: { argv: ['echo', '{a}'] } }),
        array({ sweep: { a: [1, 2, 3] } }, { job_params: { argv: ['echo', '{a}'] } }),
        ['array.sweep'],
      ],
      ['held', array({ count: 2 }), array({ count: 2 }, { held: false }), ['held']],
      // The first jobs are alike (echo 0); the later ones are not.
      [
        'template',
        array({ count: 2 }),
        array({ count: 2 }, { job_params: { argv: ['echo', '0'] } }),
        ['job_params.argv'],
      ],
    ];
    for (const [what, original, retry, fields] of cases) {
      const headers = { 'Idempotency-Key': `whole-request-${what}` };
      const first = await api.submit(original, headers);
      expect([what, first.status]).toEqual([what, 201]);
      const again = await api.submit(original, headers);
      expect([what, again.status, again.body.queue_id]).toEqual([what, 201, first.body.queue_id]);
      const other = await api.submit(retry, headers);
      expect([what, other.status, other.body.code]).toEqual([what, 422, 'IDEMPOTENCY_KEY_REUSED']);
      expect(other.body.details.map((d: { field: string }) => d.field)).toEqual(fields);
      expect(other.body.message).toContain(first.body.queue_id);
    }
  });

  it('journals the whole request with the job that carries the key (a replica compares retries the same)', async () => {
    const headers = { 'Idempotency-Key': 'journaled-request' };
    const body = {
      job_type: 'command',
      held: true,
      job_params: { argv: ['echo', '{index}'] },
      array: { count: 2 },
    };
    const first = await api.submit(body, headers);
    expect(first.status).toBe(201);
    const entries = (await api.call('GET', '/api/journal?limit=1000')).body.items.filter(
      (e: { type: string; payload: { queue_id: string } }) => e.type === 'job.queued.v1',
    );
    const carrier = entries.find(
      (e: { payload: { idempotency_key: string | null } }) =>
        e.payload.idempotency_key === 'journaled-request',
    );
    expect(carrier.payload.idempotency_request).toMatchObject({
      held: true,
      array: { count: 2, sweep: [], max_running: null },
      job_params: { argv: ['echo', '{index}'] },
    });
    // The array's other job carries no key and no request.
    const others = entries.filter(
      (e: { payload: { array_id: string | null; idempotency_key: string | null } }) =>
        e.payload.array_id === first.body.array_id && e.payload.idempotency_key === null,
    );
    expect(others).toHaveLength(1);
    expect(others[0].payload).not.toHaveProperty('idempotency_request');
    // Without --priority-aging a queue item has no effective priority (its priority is what places it).
    const queue = (await api.call('GET', '/api/queue')).body.items;
    expect(queue.length).toBeGreaterThan(0);
    for (const item of queue) expect(item).not.toHaveProperty('effective_priority');
  });
});
