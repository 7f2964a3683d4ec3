import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { request } from './support/http';
import { startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 ? it : it.skip;
// GPU indexes no other spec puts in CUDA_VISIBLE_DEVICES (killing "every process on GPU n" is host-wide).
const FOREIGN_GPU = 41;
const KILL_GPU = 43;

/**
 * GPU processes are attributed to a job only when they are this server's (uid + node id), and another
 * user's process is never signalled without `force`, whatever its environment claims.
 */
describe('GPU process attribution (e2e, fake GPUs, real processes)', () => {
  asRoot('neither lists nor kills another user’s process with a forged job id unless forced', async () => {
    const server = await startInProcessServer({ argv: ['--fake-gpus', String(FOREIGN_GPU + 1)] });
    const { baseUrl: base, token } = server;
    // Even this server's own node id does not make another user's process one of its jobs.
    const nodeId = readFileSync(join(server.home, 'node_id'), 'utf8').trim();
    const forged = spawn('sleep', ['60'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CUDA_VISIBLE_DEVICES: String(FOREIGN_GPU),
        TRAINYARD_JOB_ID: 'q_1700000000000_0000abcd',
        TRAINYARD_NODE_ID: nodeId,
      },
      uid: NOBODY,
      gid: NOBODY,
      stdio: 'ignore',
    }) as ChildProcess & { pid: number };
    const exited = once(forged, 'exit');
    try {
      await once(forged, 'spawn');
      const gpus = await request(base, 'GET', '/api/gpus', { token });
      expect(gpus.body.gpus[FOREIGN_GPU].processes).toEqual([]);

      const path = `/api/gpus/${FOREIGN_GPU}/kill`;
      const spared = await request(base, 'POST', path, { token, body: { confirmed: true } });
      expect(spared.status).toBe(200);
      expect(spared.body).toMatchObject({ pids: [forged.pid], killed: [] });
      expect(spared.body.failed).toEqual([
        {
          pid: forged.pid,
          reason: `belongs to uid ${NOBODY}, not the server's user; not killed without force`,
        },
      ]);
      expect(forged.exitCode).toBeNull();
      expect(forged.signalCode).toBeNull();

      const forcedKill = await request(base, 'POST', path, { token, body: { confirmed: true, force: true } });
      expect(forcedKill.body).toMatchObject({ pids: [forged.pid], killed: [forged.pid], failed: [] });
      expect((await exited)[1]).toBe('SIGKILL');
    } finally {
      if (forged.exitCode === null && forged.signalCode === null) forged.kill('SIGKILL');
      await server.close(true);
    }
  });

  it('keeps two fake-GPU servers on one host from listing each other’s jobs', async () => {
    const [a, b] = await Promise.all([
      startInProcessServer({ argv: ['--fake-gpus', '2'] }),
      startInProcessServer({ argv: ['--fake-gpus', '2'] }),
    ]);
    const apiA = jobsApi(a.baseUrl, a.token);
    try {
      const { body } = await apiA.command(['sleep', '60'], { requested_gpus: 1 });
      const job = await apiA.waitStatus(body.queue_id, ['running']);
      const gpuOf = async (server: typeof a) =>
        (await request(server.baseUrl, 'GET', '/api/gpus', { token: server.token })).body;
      const jobIdsOn = (view: any): Array<string | null> =>
        view.gpus[job.gpu_indices[0]].processes.map((p: { job_id: string | null }) => p.job_id);

      // A's own view shows its job once its process is seen; B, on the same host and uid, never does.
      await waitFor(async () => jobIdsOn(await gpuOf(a)).includes(body.queue_id), 'A to list its job');
      const listedAt = new Date().toISOString();
      const fresh = await waitFor(async () => {
        const view = await gpuOf(b);
        return view.collected_at > listedAt ? view : undefined;
      }, 'a snapshot of B taken after that');
      expect(jobIdsOn(fresh)).toEqual([]);
      expect(fresh.gpus.flatMap((g: any) => g.processes)).toEqual([]);

      await apiA.call('POST', `/api/jobs/${body.queue_id}/control/force-kill`);
      await apiA.waitStatus(body.queue_id, ['aborted']);
    } finally {
      await Promise.all([a.close(true), b.close(true)]);
    }
  });

  it('a GPU kill stops the job on it as a force-kill: aborted / user_kill, every process gone, the stray process killed too', async () => {
    // Only this GPU is usable (CUDA_VISIBLE_DEVICES at start), so the job lands on it.
    const gpu = KILL_GPU;
    const server = await startInProcessServer({
      argv: ['--fake-gpus', String(gpu + 1), '--kill-grace', '30'],
      env: { CUDA_VISIBLE_DEVICES: String(gpu) },
    });
    const api = jobsApi(server.baseUrl, server.token);
    // Not a job: a process of this user that merely uses the GPU.
    const stray = spawn('sleep', ['60'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CUDA_VISIBLE_DEVICES: String(gpu) },
      stdio: 'ignore',
    }) as ChildProcess & { pid: number };
    try {
      await once(stray, 'spawn');
      // Ignores SIGTERM: only a SIGKILL ends it, at once.
      const { body } = await api.command(['sh', '-c', "trap '' TERM; (sleep 60 &); sleep 60"], {
        requested_gpus: 1,
      });
      const job = await api.waitStatus(body.queue_id, ['running']);
      expect(job.gpu_indices).toEqual([gpu]);
      await waitFor(
        async () =>
          (await request(server.baseUrl, 'GET', '/api/gpus', { token: server.token })).body.gpus[gpu]
            .processes.length >= 2,
        'the job processes to be listed',
      );

      const kill = await request(server.baseUrl, 'POST', `/api/gpus/${gpu}/kill`, {
        token: server.token,
        body: { confirmed: true },
      });
      expect(kill.status).toBe(200);
      expect(kill.body).toMatchObject({
        gpu_index: gpu,
        jobs: [body.queue_id],
        killed: [stray.pid], // and nothing of Trainyard's: its launcher and job monitors use no GPU
      });
      // Nothing failed: the job's processes went with the job, and a process the GPU listing still
      // showed that has exited since is not reported as a failure.
      expect(kill.body.failed).toEqual([]);
      const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 10_000);
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_kill' });
      // Recorded as asked for: the stop request first, then the kill with the job it stopped.
      const journal = (await api.call('GET', '/api/journal?limit=50')).body.items as Array<{
        type: string;
        payload: { queue_id?: string; queue_ids?: string[] };
      }>;
      expect(journal.find((e) => e.type === 'gpu.processes_killed.v1')?.payload.queue_ids).toEqual([
        body.queue_id,
      ]);
      expect(
        journal.some((e) => e.type === 'job.terminating.v1' && e.payload.queue_id === body.queue_id),
      ).toBe(true);
    } finally {
      if (stray.exitCode === null && stray.signalCode === null) stray.kill('SIGKILL');
      await server.close(true);
    }
  });
});
