import { Clock } from '@trainyard/core';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** The queue is ordered by submit sequence, never by the wall clock, which may jump backwards. */
describe('queue order under a backward clock jump (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('keeps submit order in the queue and the job list while the clock goes back', async () => {
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: false })).status).toBe(200);
    // Each submit happens an hour "earlier" than the one before.
    let wall = Date.UTC(2030, 0, 1);
    jest.spyOn(server.app.get(Clock), 'now').mockImplementation(() => (wall -= 3_600_000));
    const ids: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      ids.push((await api.command(['true'], { name })).body.queue_id);
    }
    const urgent = (await api.command(['true'], { name: 'urgent', priority: 5 })).body.queue_id;

    const queue = (await api.call('GET', '/api/queue')).body.items.map(
      (i: { queue_id: string }) => i.queue_id,
    );
    expect(queue).toEqual([urgent, ...ids]);
    const jobs = (await api.call('GET', '/api/jobs')).body.items.map((j: { queue_id: string }) => j.queue_id);
    expect(jobs).toEqual([urgent, ...[...ids].reverse()]); // active first, then newest submitted
    jest.restoreAllMocks();
  });
});
