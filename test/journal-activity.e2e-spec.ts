import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

interface Page {
  items: Array<{ seq: number; type: string; payload: Record<string, unknown> }>;
  total: number;
  next_cursor: string | null;
}

/** GET /api/journal read the way the console's activity view reads it: newest first, paged back, by area. */
describe('journal as an activity feed (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const page = async (query: string): Promise<Page> => {
    const answer = await api.call('GET', `/api/journal?${query}`);
    expect(answer.status).toBe(200);
    return answer.body as Page;
  };

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    api = jobsApi(server.baseUrl, server.token);
    for (const name of ['first', 'second']) {
      const { body } = await api.command(['true'], { name });
      await api.waitStatus(body.queue_id, ['done']);
    }
    await api.call('POST', '/api/gpus/1/policy', { disabled: true });
  });
  afterAll(() => server.close(true));

  it('pages newest first with before_seq until the start, covering the whole journal once', async () => {
    const all = await page('limit=1000');
    expect(all.items.length).toBe(all.total);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const p: Page = await page(`order=desc&limit=3${cursor ? `&before_seq=${cursor}` : ''}`);
      expect(p.total).toBe(all.total);
      seen.push(...p.items.map((e) => e.seq));
      cursor = p.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((e) => e.seq).reverse());
    // The newest entry is the GPU change made last.
    expect((await page('order=desc&limit=1')).items[0]).toMatchObject({
      type: 'gpu.policy_changed.v3',
      payload: { gpu_index: 1, disabled: true },
    });
  });

  it('keeps one area with `area`, counting only it', async () => {
    const jobs = await page('area=job&order=desc&limit=1000');
    // Each job: queued, starting, finished — and started, unless `true` ended before its pid was
    // committed (the launcher's spare monitor makes that common: the start's CAS then finds it done).
    const byJob = new Map<unknown, string[]>();
    for (const e of jobs.items)
      byJob.set(e.payload.queue_id, [...(byJob.get(e.payload.queue_id) ?? []), e.type]);
    expect(byJob.size).toBe(2);
    for (const types of byJob.values())
      expect(types).toEqual(expect.arrayContaining(['job.queued.v1', 'job.starting.v1', 'job.finished.v1']));
    expect(jobs.items.every((e) => e.type.startsWith('job.'))).toBe(true);
    expect(jobs.total).toBe(jobs.items.length);
    expect(jobs.items[0]).toMatchObject({
      type: 'job.finished.v1',
      payload: { status: 'done', exit_code: 0 },
    });
    const gpus = await page('area=gpu');
    expect(gpus.items.map((e) => e.type)).toEqual(['gpu.policy_changed.v3']);
    // An area no entry type has is a typo, not an empty area: 400 listing the areas.
    const typo = await api.call('GET', '/api/journal?area=jobs');
    expect(typo.status).toBe(400);
    expect(typo.body.details[0]).toMatchObject({ field: 'area', message: expect.stringContaining('auth') });
  });

  it('keeps the entries about one job with `queue_id`', async () => {
    const jobs = await page('area=job&limit=1000');
    const id = jobs.items[0].payload.queue_id as string;
    const mine = await page(`queue_id=${id}&limit=1000`);
    expect(mine.items.length).toBeGreaterThanOrEqual(3);
    expect(mine.items.every((e) => e.payload.queue_id === id)).toBe(true);
    expect(mine.total).toBe(mine.items.length);
    expect(mine.items.map((e) => e.type)).toEqual(
      jobs.items.filter((e) => e.payload.queue_id === id).map((e) => e.type),
    );
  });

  it.each([
    ['order=newest', 'order'],
    ['area=Job.*', 'area'],
    ['before_seq=0', 'before_seq'],
    ['queue_id=nope', 'queue_id'],
  ])('refuses %s with a 400 naming the field', async (query, field) => {
    const answer = await api.call('GET', `/api/journal?${query}`);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(field);
  });
});
