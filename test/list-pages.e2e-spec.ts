import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/**
 * GET /api/jobs and GET /api/queue read one page at a time from the database (two index-ordered
 * ranges for jobs: unfinished, then finished; the queue in dispatch order): pages put together must
 * give exactly the whole ordered list, whatever the page size and across the unfinished/finished seam.
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
    expect(first).toMatchObject({ total: 5, next_cursor: '2' });
    expect(first.items[0].pending_reason).toBe('scheduler is paused');
  });
});
