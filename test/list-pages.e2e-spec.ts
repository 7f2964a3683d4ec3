import { createClient, createConfig, listJobsUpTo } from '@trainyard/sdk';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/**
 * GET /api/jobs and GET /api/queue read one page at a time from the database (two index-ordered
 * ranges for jobs: unfinished, then finished; the queue in dispatch order), each page from the sort
 * key of the last item of the previous one: pages put together must give exactly the whole ordered
 * list, whatever the page size, across the unfinished/finished seam, and while jobs come and go.
 */
describe('paged list reads (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const done: string[] = [];
  const queued: Array<{ id: string; priority: number }> = [];

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
    for (let i = 0; i < 4; i++) {
      const { body } = await api.command(['true'], { name: `done ${i}` });
      await api.waitStatus(body.queue_id, ['done']);
      done.push(body.queue_id);
    }
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    for (const priority of [0, 5, 0, 5, -1]) {
      const { body } = await api.command(['true'], { priority, name: `queued ${priority}` });
      queued.push({ id: body.queue_id, priority });
    }
  });
  afterAll(() => server.close(true));

  async function all(path: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ queue_id: string }>; total: number; next_cursor: string | null } = (
        await api.call(
          'GET',
          `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).body;
      ids.push(...page.items.map((j) => j.queue_id));
      expect(page.total).toBeGreaterThanOrEqual(ids.length);
      cursor = page.next_cursor;
    } while (cursor);
    return ids;
  }

  it.each([1, 2, 3, 4, 9, 50])(
    'jobs: unfinished first, then finished, each newest first (pages of %i)',
    async (limit) => {
      const expected = [...queued.map((q) => q.id).reverse(), ...[...done].reverse()];
      expect(await all('/api/jobs', limit)).toEqual(expected);
      expect(await all('/api/jobs?status=done', limit)).toEqual([...done].reverse());
      expect(await all('/api/jobs?status=queued,done', limit)).toEqual(expected);
    },
  );

  it.each([1, 2, 5, 50])('queue: highest priority first, then submit order (pages of %i)', async (limit) => {
    const expected = [...queued]
      .map((q, i) => ({ ...q, i }))
      .sort((a, b) => b.priority - a.priority || a.i - b.i)
      .map((q) => q.id);
    expect(await all('/api/queue', limit)).toEqual(expected);
    const first = (await api.call('GET', '/api/queue?limit=2')).body;
    expect(first).toMatchObject({ total: 5, next_cursor: expect.any(String) });
    expect(first.items[0].pending_reason).toBe('scheduler is paused');
  });

  it.each([
    ['name', 'asc'],
    ['name', 'desc'],
    ['priority', 'desc'],
    ['runtime', 'desc'],
    ['ended_at', 'asc'],
    ['status', 'asc'],
  ])('jobs sorted by %s %s: pages put together are the whole sorted list', async (sort, order) => {
    const path = `/api/jobs?sort=${sort}&order=${order}`;
    const whole = await all(path, 1000);
    expect(whole).toHaveLength(9);
    for (const limit of [1, 2, 4]) expect(await all(path, limit)).toEqual(whole);
  });

  it('pages by long non-ASCII names: a cursor holds any name a job may have (200 characters)', async () => {
    const names = ['名'.repeat(200), '😀'.repeat(100), `"${'\\'.repeat(198)}"`];
    const ids: string[] = [];
    for (const name of names) ids.push((await api.command(['true'], { name })).body.queue_id);
    const path = '/api/jobs?sort=name&order=desc';
    const whole = await all(path, 1000);
    expect(await all(path, 1)).toEqual(whole);
    for (const id of ids) expect(whole).toContain(id);
    for (const id of ids) expect((await api.call('DELETE', `/api/queue/${id}`)).status).toBe(200);
  });

  /** The first page of `path` with `limit`, and the rest of the list read from its cursor on. */
  async function firstAndRest(path: string, limit: number, between: () => Promise<void>) {
    const first = (await api.call('GET', `${path}?limit=${limit}`)).body;
    await between();
    const ids: string[] = [];
    let cursor: string | null = first.next_cursor;
    while (cursor) {
      const page = (await api.call('GET', `${path}?limit=${limit}&cursor=${cursor}`)).body;
      ids.push(...page.items.map((j: { queue_id: string }) => j.queue_id));
      cursor = page.next_cursor;
    }
    return { first: first.items.map((j: { queue_id: string }) => j.queue_id) as string[], rest: ids };
  }

  it('a next page starts after the last job shown, whatever was submitted or removed meanwhile', async () => {
    const before = await all('/api/jobs', 1000);
    const added: string[] = [];
    // New jobs come first in both orders: a page read by offset would show the first page's jobs again.
    const jobs = await firstAndRest('/api/jobs', 3, async () => {
      for (const priority of [9, 9]) added.push((await api.command(['true'], { priority })).body.queue_id);
    });
    expect([...jobs.first, ...jobs.rest]).toEqual(before);
    const queueBefore = await all('/api/queue', 1000);
    const queue = await firstAndRest('/api/queue', 2, async () => {
      added.push((await api.command(['true'], { priority: 10 })).body.queue_id);
    });
    expect([...queue.first, ...queue.rest]).toEqual(queueBefore);
    for (const id of added) expect((await api.call('DELETE', `/api/queue/${id}`)).status).toBe(200);
    // Removing a job the first page showed must not make the next page skip one.
    const shown = (await api.command(['true'], { priority: 10 })).body.queue_id;
    const queueNow = await all('/api/queue', 1000);
    const afterRemoval = await firstAndRest('/api/queue', 2, async () => {
      expect((await api.call('DELETE', `/api/queue/${shown}`)).status).toBe(200);
    });
    expect(afterRemoval.first).toEqual(queueNow.slice(0, 2));
    expect(afterRemoval.first).toContain(shown);
    expect(afterRemoval.rest).toEqual(queueNow.slice(2));
  });

  it('reads past 1,000 jobs (the most one request gives) page by page: the CLI and the console do', async () => {
    const array = await api.command(['true'], { array: { count: 1010 }, name: 'many' });
    expect(array.status).toBe(201);
    const client = createClient(
      createConfig({
        baseUrl: server.baseUrl,
        auth: (s) => (s.scheme === 'bearer' ? server.token : undefined),
      }),
    );
    const some = await listJobsUpTo(client, { q: 'many' }, 1005);
    expect(some).toMatchObject({ total: 1010, more: true });
    expect(new Set(some.items.map((j) => j.queue_id)).size).toBe(1005);
    const every = await listJobsUpTo(client, { q: 'many' }, Infinity);
    expect(every).toMatchObject({ total: 1010, more: false });
    expect(every.items.slice(0, 1005)).toEqual(some.items);
    expect(new Set(every.items.map((j) => j.queue_id)).size).toBe(1010);
  });

  it('refuses a cursor that is not one it gave, or one from another order, naming cursor', async () => {
    const page = (await api.call('GET', '/api/jobs?limit=1')).body;
    const sortedPage = (await api.call('GET', '/api/jobs?limit=1&sort=runtime')).body;
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(sortedPage.next_cursor, 'base64url').toString());
    for (const path of [
      '/api/jobs?cursor=2',
      '/api/jobs?cursor=%2B1',
      `/api/jobs?cursor=${page.next_cursor}x`,
      `/api/jobs?sort=name&cursor=${page.next_cursor}`,
      `/api/jobs?sort=runtime&order=asc&cursor=${sortedPage.next_cursor}`,
      `/api/jobs?cursor=${sortedPage.next_cursor}`,
      `/api/jobs?sort=runtime&cursor=${forged([...decoded.slice(0, 5), "2026-01-01' OR 1=1 --"])}`,
      `/api/jobs?cursor=${forged(['d', 0, -1])}`,
      // A key of the wrong kind for its sort (a submit time from the previous release, a numeric name).
      `/api/jobs?sort=submitted_at&cursor=${forged(['s', 'submitted_at', 'desc', '2026-01-01T00:00:00.000Z', 3, decoded[5]])}`,
      `/api/jobs?sort=name&cursor=${forged(['s', 'name', 'asc', 7, 3, decoded[5]])}`,
      `/api/queue?cursor=${page.next_cursor}`,
      `/api/queue?cursor=${forged(['q', 1.5, 3])}`,
    ]) {
      const answer = await api.call('GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.body.details).toContainEqual(expect.objectContaining({ field: 'cursor' }));
    }
    const next = await api.call('GET', `/api/jobs?limit=1&sort=runtime&cursor=${sortedPage.next_cursor}`);
    expect(next.status).toBe(200);
  });
});
