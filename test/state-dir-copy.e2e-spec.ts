import { execFileSync } from 'node:child_process';
import { isProcessAlive } from '@trainyard/core';
import { jobsApi } from './support/api';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';

/**
 * A server started on a copy of another server's state directory (`cp -a`, a restored backup, a
 * cloned image) finds the original's jobs recorded as running, with live monitors of the same pid
 * and start time: it must neither adopt nor signal them.
 */
describe('a copied state directory (e2e, built server processes)', () => {
  const homes = [makeTempHome(), makeTempHome()];
  const servers: SpawnedServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    for (const h of homes) h.remove();
  });

  it("leaves the original server's running job alone, and records it lost in the copy", async () => {
    const [original, copy] = homes.map((h) => h.home);
    const first = await spawnServer(original);
    servers.push(first);
    let api = jobsApi(first.baseUrl, first.token!);
    const id = (await api.command(['sleep', '120.5151'])).body.queue_id;
    const running = await api.waitStatus(id, ['running']);
    await first.stop(); // its job runs on, as every job does across a server's stop
    execFileSync('cp', ['-a', `${original}/.`, copy]);

    const copied = await spawnServer(copy);
    servers.push(copied);
    const inCopy = await jobsApi(copied.baseUrl, copied.token!).waitStatus(id, ['failed', 'aborted', 'done']);
    expect(inCopy).toMatchObject({
      status: 'failed',
      termination_reason: 'lost_on_restart',
      error: expect.stringContaining(`its monitor (pid ${running.pid}) writes another state directory's log`),
    });
    // Nothing was signalled: the original's job runs on, and its server takes it back.
    expect(isProcessAlive(running.pid)).toBe(true);
    await copied.stop();
    const again = await spawnServer(original);
    servers.push(again);
    api = jobsApi(again.baseUrl, again.token!);
    expect(await api.job(id)).toMatchObject({ status: 'running', pid: running.pid });
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    expect(await api.waitStatus(id, ['aborted', 'failed', 'done'], 15_000)).toMatchObject({
      status: 'aborted',
    });
  }, 60_000);

  it('a directory restored over itself while a job ran: the job is re-attached and says its log was replaced', async () => {
    const home = makeTempHome();
    const backup = makeTempHome();
    try {
      const server = await spawnServer(home.home);
      servers.push(server);
      let api = jobsApi(server.baseUrl, server.token!);
      const id = (await api.command(['sleep', '120.5252'])).body.queue_id;
      const running = await api.waitStatus(id, ['running']);
      await server.stop();
      // The operator's restore: the directory replaced by its own copy, at the same path.
      execFileSync('cp', ['-a', `${home.home}/.`, backup.home]);
      execFileSync('rm', ['-rf', home.home]);
      execFileSync('cp', ['-a', backup.home, home.home]);

      const restored = await spawnServer(home.home);
      servers.push(restored);
      api = jobsApi(restored.baseUrl, restored.token!);
      // Before: the log said "not adopted, nothing signalled" — yet the job stayed running (its
      // processes carry this directory's tag) and a kill signalled it; its error said so too.
      expect(await api.job(id)).toMatchObject({ status: 'running', pid: running.pid });
      expect(restored.output()).not.toContain('not adopted');
      await api.call('POST', `/api/jobs/${id}/control/kill`);
      expect(await api.waitStatus(id, ['aborted', 'failed', 'done'], 15_000)).toMatchObject({
        status: 'aborted',
        error: expect.stringContaining('its log file was replaced while it ran'),
      });
      expect(isProcessAlive(running.pid)).toBe(false);
    } finally {
      home.remove();
      backup.remove();
    }
  }, 60_000);
});
