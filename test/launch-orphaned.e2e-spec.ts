import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPids, readParentPid, readProcessCommand } from '@trainyard/core';
import { jobsApi } from './support/api';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * A worker that dies between writing a launch request and reading its "launched" report (a
 * stopped or slow launcher, a crash): the next worker must neither run the job twice nor leave a
 * job that runs recorded as `starting`.
 */
describe('a launch request left behind by a dead worker (e2e, built server)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  /** SIGCONT for a process the test stopped, unless it has exited since (the old launcher does). */
  const resume = (pid: number) => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };

  const childOf = (parent: number, match: (command: string) => boolean) =>
    listPids().find((pid) => readParentPid(pid) === parent && match(readProcessCommand(pid) ?? ''));

  /** The worker and its launcher (started by a first job), as `ps` would show them. */
  async function workerAndLauncher(server: SpawnedServer, api: ReturnType<typeof jobsApi>) {
    const { body } = await api.command(['true']);
    await api.waitStatus(body.queue_id, ['done']);
    const worker = childOf(server.process.pid!, () => true)!;
    const launcher = childOf(worker, (command) => command.endsWith('trainyard-launcher'))!;
    expect(launcher).toBeGreaterThan(0);
    return { worker, launcher };
  }

  it('drops it when the old launcher reads it late: the job the next worker queued again runs once', async () => {
    const server = await spawnServer(mkdirSync(join(temp.home, 'once'), { recursive: true })!, [
      '--fake-gpus',
      '1',
    ]);
    const marker = join(temp.home, 'once-ran.txt');
    let launcher = 0;
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const found = await workerAndLauncher(server, api);
      launcher = found.launcher;
      process.kill(launcher, 'SIGSTOP'); // the request waits in its pipe, unread
      const { body } = await api.command(['sh', '-c', `echo ran >> ${marker}`], { requested_gpus: 1 });
      await api.waitStatus(body.queue_id, ['starting']);
      process.kill(found.worker, 'SIGKILL');
      api = jobsApi(await server.nextBanner(), server.token!);
      // No trace of a launch within the grace (10 s): queued again, then run by the new worker.
      const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 60_000);
      expect(ended.status).toBe('done');
      resume(launcher); // the old launcher now reads what the dead worker wrote
      await new Promise((r) => setTimeout(r, 1_500));
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    } finally {
      if (launcher) resume(launcher);
      await server.stop();
    }
  }, 120_000);

  it('records a job found running by its tag after the restart as running, with its pid and own exit code', async () => {
    const server = await spawnServer(mkdirSync(join(temp.home, 'tag'), { recursive: true })!, [
      '--fake-gpus',
      '0',
    ]);
    const marker = join(temp.home, 'tag-started.txt');
    let stopped: number[] = [];
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const { worker, launcher } = await workerAndLauncher(server, api);
      process.kill(launcher, 'SIGSTOP');
      stopped.push(launcher);
      const { body } = await api.command(['sh', '-c', `echo started > ${marker}; sleep 8; exit 4`]);
      await api.waitStatus(body.queue_id, ['starting']);
      // The worker cannot read the launch report; the launcher, its server alive, starts the job.
      process.kill(worker, 'SIGSTOP');
      stopped.push(worker);
      resume(launcher);
      await waitFor(() => existsSync(marker), 'the job to start');
      process.kill(worker, 'SIGKILL');
      stopped = [];
      api = jobsApi(await server.nextBanner(), server.token!);
      const running = await api.waitStatus(body.queue_id, ['running', 'done', 'failed', 'aborted'], 30_000);
      expect(running.status).toBe('running');
      expect(running.pid).toBeGreaterThan(0);
      const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 30_000);
      expect({ status: ended.status, exit_code: ended.exit_code }).toEqual({
        status: 'failed',
        exit_code: 4,
      });
    } finally {
      stopped.forEach(resume);
      await server.stop();
    }
  }, 120_000);
});
