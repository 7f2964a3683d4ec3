import { execFileSync } from 'node:child_process';
import { isProcessAlive } from '@trainyard/core';
import { jobsApi } from './support/api';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * A server started on a copy of another server's state directory (`cp -a`, a restored backup, a
 * cloned image) finds the original's jobs recorded as running, with live monitors of the same pid
 * and start time: it must neither adopt nor signal them, and holds their GPUs until they end.
 */
describe('a copied state directory (e2e, built server processes)', () => {
  const homes = [makeTempHome(), makeTempHome()];
  const servers: SpawnedServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    for (const h of homes) h.remove();
  });

  it("leaves the original server's running job alone: the copy holds its GPU while it runs, refuses to stop it, and settles it once it ends", async () => {
    const [original, copy] = homes.map((h) => h.home);
    const args = ['--fake-gpus', '1'];
    const first = await spawnServer(original, args);
    servers.push(first);
    let api = jobsApi(first.baseUrl, first.token!);
    const id = (await api.command(['sleep', '120.5151'], { requested_gpus: 1 })).body.queue_id;
    const running = await api.waitStatus(id, ['running']);
    await first.stop(); // its job runs on, as every job does across a server's stop
    execFileSync('cp', ['-a', `${original}/.`, copy]);

    const copied = await spawnServer(copy, args);
    servers.push(copied);
    const inCopy = jobsApi(copied.baseUrl, copied.token!);
    await waitFor(
      () => copied.output().includes('never signalled from here') || undefined,
      'the copy to say so',
    );
    // Before: settled failed / lost_on_restart at once ("no longer running") while it ran, and its
    // GPU went to the next job while its process still held it.
    expect(await inCopy.job(id)).toMatchObject({ status: 'running' });
    const gpus = (await inCopy.call('GET', '/api/gpus')).body.gpus;
    expect(gpus.map((g: any) => g.reserved_by)).toEqual([id]);
    // Not signalled from here, and a stop says why and what to do.
    const kill = await inCopy.call('POST', `/api/jobs/${id}/control/kill`);
    expect([kill.status, kill.body.message]).toEqual([
      409,
      expect.stringContaining(`runs for another state directory: its monitor (pid ${running.pid})`),
    ]);
    expect(kill.body.message).toContain(`kill -- -${running.pid}`);
    expect(isProcessAlive(running.pid)).toBe(true);

    // The original's server takes its job back and stops it; the copy, watching, then settles it.
    const again = await spawnServer(original, args);
    servers.push(again);
    api = jobsApi(again.baseUrl, again.token!);
    expect(await api.job(id)).toMatchObject({ status: 'running', pid: running.pid });
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    expect(await api.waitStatus(id, ['aborted', 'failed', 'done'], 15_000)).toMatchObject({
      status: 'aborted',
    });
    expect(await inCopy.waitStatus(id, ['failed', 'aborted', 'done'], 15_000)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(`its monitor (pid ${running.pid}) wrote another state directory's log`),
    });
    expect((await inCopy.call('GET', '/api/gpus')).body.gpus.map((g: any) => g.reserved_by)).toEqual([null]);
  }, 90_000);

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
        // Its exit status lands in the restored directory, not in the removed one its monitor started in.
        exit_code: 143,
      });
      expect(isProcessAlive(running.pid)).toBe(false);
    } finally {
      home.remove();
      backup.remove();
    }
  }, 60_000);
});
