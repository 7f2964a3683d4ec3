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
});
