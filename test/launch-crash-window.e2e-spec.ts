import { listPids, readParentPid } from '@trainyard/core';
import { jobsApi } from './support/api';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * The launch crash window: the worker is SIGKILLed while it is launching a burst of jobs (some
 * claimed but not yet recorded as running). The supervisor starts a new worker, which must settle
 * no job without evidence: every job ends with its own exit code, and no GPU is ever given to two
 * jobs at once.
 */
describe('a worker killed in the middle of a launch burst (e2e, built server, 4 fake GPUs)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('settles every job from evidence, with its real exit code, and never double-books a GPU', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '4']);
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      const ids: string[] = [];
      for (let i = 0; i < 32; i++) {
        const { body } = await api.command(['sh', '-c', `sleep 0.3; exit ${i % 3}`], { requested_gpus: 1 });
        ids.push(body.queue_id);
      }
      const worker = listPids().find((pid) => readParentPid(pid) === server.process.pid)!;
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
      await new Promise((r) => setTimeout(r, 150));
      process.kill(worker, 'SIGKILL');
      api = jobsApi(await server.nextBanner(), server.token!);

      const ended = await waitFor(
        async () => {
          const jobs = await Promise.all(ids.map((id) => api.job(id)));
          return jobs.every((j) => ['done', 'failed', 'aborted'].includes(j.status)) ? jobs : undefined;
        },
        'every job to end',
        90_000,
      );
      for (const [i, job] of ended.entries()) {
        expect({ id: job.queue_id, exit_code: job.exit_code }).toEqual({ id: ids[i], exit_code: i % 3 });
        expect(job.status).toBe(i % 3 === 0 ? 'done' : 'failed');
      }
      // Per GPU, the jobs' [started_at, ended_at] intervals never overlap.
      for (let gpu = 0; gpu < 4; gpu++) {
        const intervals = ended
          .filter((j) => j.gpu_indices[0] === gpu)
          .map((j) => [Date.parse(j.started_at), Date.parse(j.ended_at)] as const)
          .sort((a, b) => a[0] - b[0]);
        for (let k = 1; k < intervals.length; k++)
          expect(intervals[k][0]).toBeGreaterThanOrEqual(intervals[k - 1][1]);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
