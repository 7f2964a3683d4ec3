import { streamJobLog } from '@trainyard/sdk';
import { JobEndWatcher } from '@trainyard/jobs';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

/** Log WebSockets end for every way a job can end, and leave no subscription behind. */
describe('job log streams (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  let watcher: JobEndWatcher;
  const follow = (id: string) =>
    streamJobLog(id, { baseUrl: server.baseUrl, token: server.token, follow: true });

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
    watcher = server.app.get(JobEndWatcher);
  });
  afterAll(async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
    await server.close(true);
  });

  it('ends a follower of a queued job that is cancelled: end frame "cancelled", close 1000', async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    const { body } = await api.command(['true']);
    const stream = follow(body.queue_id);
    await waitFor(() => watcher.activeWatches === 1, 'the follower to subscribe');
    expect((await api.call('DELETE', `/api/queue/${body.queue_id}`)).body.outcome).toBe('removed');
    const result = await stream.closed;
    expect(result).toMatchObject({ code: 1000, end: { type: 'end', status: 'cancelled', exit_code: null } });
    expect(watcher.activeWatches).toBe(0);
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
  });

  it('subscribes nothing for a finished job, and releases a live follower that goes away', async () => {
    const done = await api.command(['sh', '-c', 'echo hi']);
    await api.waitStatus(done.body.queue_id, ['done']);
    const results = await Promise.all(Array.from({ length: 200 }, () => follow(done.body.queue_id).closed));
    expect(results.every((r) => r.end?.status === 'done')).toBe(true);
    expect(watcher.activeWatches).toBe(0);

    const live = await api.command(['sleep', '30']);
    await api.waitStatus(live.body.queue_id, ['running']);
    const streams = Array.from({ length: 20 }, () => follow(live.body.queue_id));
    await waitFor(() => watcher.activeWatches === 20, 'every follower to subscribe');
    for (const stream of streams) stream.close();
    await Promise.all(streams.map((s) => s.closed));
    await waitFor(() => watcher.activeWatches === 0, 'every watch to be released');
    await api.call('POST', `/api/jobs/${live.body.queue_id}/control/force-kill`);
    await api.waitStatus(live.body.queue_id, ['aborted']);
  });
});
