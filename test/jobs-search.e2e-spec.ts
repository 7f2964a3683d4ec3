import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

interface Page {
  items: Array<{
    queue_id: string;
    name: string | null;
    status: string;
    priority: number;
    submitted_at: string;
    runtime_seconds: number | null;
  }>;
  total: number;
  next_cursor: string | null;
}

/**
 * GET /api/jobs searches, filters and sorts on the server: a search finds every match (not only
 * those on the first page) and `total` counts them all.
 */
describe('job search, filters and sorting (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const needles: string[] = [];

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
    // Three finished jobs: two failed with a recognisable error, one done.
    for (const [name, argv] of [
      ['crash a', ['sh', '-c', 'exit 77']],
      ['crash b', ['sh', '-c', 'exit 77']],
      ['fine', ['true']],
    ] as const) {
      const { body } = await api.command([...argv], { name });
      await api.waitStatus(body.queue_id, ['done', 'failed']);
    }
    // 307 more, queued (the scheduler is paused): 20 named needle, 10 with needle only in the command,
    // the rest filler; the needles spread over the whole list, so most are beyond any first page.
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    for (let i = 0; i < 305; i++) {
      const needle = i % 10 === 3 && i < 200 ? 'name' : i % 30 === 7 ? 'command' : null;
      const { body, status } = await api.command(
        needle === 'command' ? ['echo', 'find-the-needle'] : ['true'],
        { name: needle === 'name' ? `needle ${String(i).padStart(3, '0')}` : `filler ${i}`, priority: i % 7 },
      );
      expect(status).toBe(201);
      if (needle) needles.push(body.queue_id);
    }
    for (const name of ['100%_off', '100x-off']) await api.command(['true'], { name });
  }, 120_000);
  afterAll(() => server.close(true));

  const get = async (query: string): Promise<Page> => {
    const answer = await api.call('GET', `/api/jobs?${query}`);
    expect(answer.status).toBe(200);
    return answer.body as Page;
  };
  /** Every page of a query, `limit` at a time. */
  async function all(query: string, limit = 7): Promise<Page['items']> {
    const items: Page['items'] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  it('finds every match, beyond the first page, with the true total', async () => {
    expect(needles).toHaveLength(30);
    expect((await get('limit=50')).total).toBe(310);
    const first = await get('q=needle&limit=10');
    expect(first.total).toBe(30);
    expect(first.items).toHaveLength(10);
    const ids = (await all('q=needle')).map((j) => j.queue_id);
    expect(new Set(ids)).toEqual(new Set(needles));
    expect(ids).toHaveLength(30);
    // Case-insensitive, every word must match (name or command), ids match too.
    expect((await get('q=NEEDLE%20nowhere')).total).toBe(0);
    // Word by word: the words may be anywhere (ids hold digits, so match a phrase here).
    expect((await get(`q=${encodeURIComponent('"NEEDLE 013"')}`)).items.map((j) => j.name)).toEqual([
      'needle 013',
    ]);
    expect((await get(`q=${encodeURIComponent('find-the-needle echo')}`)).total).toBe(10);
    expect((await get(`q=${needles[5].slice(2, 20)}`)).items.map((j) => j.queue_id)).toEqual([needles[5]]);
  });

  it('searches the error, and a "quoted phrase" as one term', async () => {
    const found = await get(`q=${encodeURIComponent('"code 77"')}`);
    expect(found.items.map((j) => j.name).sort()).toEqual(['crash a', 'crash b']);
    expect((await get(`q=${encodeURIComponent('"77 code"')}`)).total).toBe(0);
  });

  it('takes % and _ literally', async () => {
    expect((await get(`q=${encodeURIComponent('100%_')}`)).items.map((j) => j.name)).toEqual(['100%_off']);
    expect((await get(`q=${encodeURIComponent('0_o')}`)).total).toBe(0);
    expect((await get(`q=${encodeURIComponent('%')}`)).total).toBe(1);
  });

  it('filters by status (comma list or repeated), type and submit time, combined with the search', async () => {
    expect((await get('status=done,failed')).total).toBe(3);
    expect((await get('status=done&status=failed')).total).toBe(3);
    expect((await get('status=done,%20failed')).total).toBe(3); // `--status 'done, failed'` was a 400
    expect((await get('status=failed&q=crash')).total).toBe(2);
    expect((await get('status=queued&q=crash')).total).toBe(0);
    expect((await get('job_type=command&q=needle')).total).toBe(30);
    expect((await get('job_type=tensorboard&q=needle')).total).toBe(0);

    const everything = await all('sort=submitted_at&order=asc', 100);
    const cut = everything[150].submitted_at;
    const after = everything.filter((j) => j.submitted_at >= cut).length;
    expect((await get(`submitted_after=${encodeURIComponent(cut)}`)).total).toBe(after);
    expect((await get(`submitted_before=${encodeURIComponent(cut)}`)).total).toBe(310 - after);
    // An offset other than Z names the same instant.
    const plusTwo = new Date(Date.parse(cut) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect((await get(`submitted_after=${encodeURIComponent(plusTwo)}`)).total).toBe(after);
    expect((await get('submitted_after=2000-01-01&submitted_before=2999-12-31')).total).toBe(310);
    expect((await get('submitted_before=2000-01-01')).total).toBe(0);
  });

  it('sorts by a column, ascending or descending, the same across pages', async () => {
    const byName = await all('q=needle&sort=name');
    const names = byName.map((j) => j.name!);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect((await all('q=needle&sort=name&order=desc')).map((j) => j.name)).toEqual([...names].reverse());

    const byPriority = await all('q=filler&sort=priority', 40);
    expect(byPriority).toHaveLength(285);
    const priorities = byPriority.map((j) => j.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
    expect(priorities[0]).toBe(6);

    // Runtime: the longest first; the jobs that never ran (null) last, whichever the order.
    for (const order of ['desc', 'asc']) {
      const byRuntime = (await get(`sort=runtime&order=${order}&limit=5`)).items;
      expect(byRuntime.slice(0, 3).every((j) => j.runtime_seconds !== null)).toBe(true);
      expect(byRuntime.slice(3).every((j) => j.runtime_seconds === null)).toBe(true);
    }

    const newestFirst = await get('sort=submitted_at&limit=3');
    expect(newestFirst.items.map((j) => j.name)).toEqual(['100x-off', '100%_off', 'filler 304']);
  });

  it.each([
    ['sort=bogus', 'sort'],
    ['sort=name&order=up', 'order'],
    ['submitted_after=yesterday', 'submitted_after'],
    ['submitted_before=2026-02-30', 'submitted_before'],
    ['submitted_before=2026-05-01T12:00:00', 'submitted_before'],
    ['status=running,bogus', 'status'],
    [`q=${'x'.repeat(201)}`, 'q'],
  ])('%s → 400 naming %s', async (query, field) => {
    const answer = await api.call('GET', `/api/jobs?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(answer.body.details).toContainEqual(expect.objectContaining({ field }));
  });

  it('names the status that is not one (a wrong case, a typo)', async () => {
    const answer = await api.call('GET', '/api/jobs?status=running,Done');
    expect(answer.body.details).toContainEqual({
      field: 'status',
      message: expect.stringMatching(/^status must be a comma-separated list of queued, .*; got "Done"$/),
    });
  });

  it('finds parameter values with characters JSON escapes (quote, backslash)', async () => {
    const { body } = await api.command(['echo', 'say"hi\\there']);
    const found = await get(`q=${encodeURIComponent('say"hi\\there')}`);
    expect(found.items.map((j) => j.queue_id)).toEqual([body.queue_id]);
    // Keys are not values: every job has an "argv" key.
    expect((await get('q=argv')).total).toBe(0);
  });
});
