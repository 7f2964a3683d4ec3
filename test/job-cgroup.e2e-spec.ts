import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { cgroupNameOf, cgroupProbe as probe, describeWithCgroups, HIDDEN, killAll } from './support/cgroups';
import { pidsRunning } from './support/processes';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

describeWithCgroups(
  `a cgroup per job (${probe.mode === 'cgroup' ? 'cgroup v2 writable' : probe.reason})`,
  () => {
    let temp: ReturnType<typeof makeTempHome>;
    beforeEach(() => (temp = makeTempHome()));
    afterEach(() => temp.remove());

    it('a process that cleared its environment is found by the cgroup, keeps the GPU, and dies with kill', async () => {
      const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        const health = (await api.call('GET', '/api/health')).body;
        expect(health.process_tracking).toMatchObject({ mode: 'cgroup', reason: null });
        const parent: string = health.process_tracking.cgroup;
        expect(existsSync(join(parent, 'cgroup.procs'))).toBe(true);

        const { body } = await api.command(HIDDEN(10131), { requested_gpus: 1, kill_grace_s: 1 });
        const hidden = await waitFor(async () => pidsRunning(['sleep', '10131'])[0], 'the hidden sleep');
        await waitFor(async () => pidsRunning(['sleep', '10132']).length === 1, 'the job command');
        // Invisible to the tag: nothing of the job's environment.
        expect(readFileSync(`/proc/${hidden}/environ`, 'utf8')).not.toContain('TRAINYARD_');
        // The job's cgroup is its monitor's, named by the monitor's pid and start time.
        const cgroup = join(parent, cgroupNameOf(hidden));
        expect(cgroupNameOf(hidden)).toMatch(
          new RegExp(`^monitor-${(await api.job(body.queue_id)).pid}-\\d+$`),
        );
        expect(readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(hidden));

        const next = (await api.command(['true'], { requested_gpus: 1 })).body.queue_id as string;
        await new Promise((r) => setTimeout(r, 1000)); // the monitor is long dead: polling has run
        expect((await api.job(body.queue_id)).status).toBe('running');
        expect((await api.job(next)).status).toBe('queued');

        expect((await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).status).toBe(200);
        const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 15_000);
        expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort' });
        expect(pidsRunning(['sleep', '10131'])).toEqual([]);
        const placed = await api.waitStatus(next, ['done'], 15_000);
        expect(Date.parse(placed.started_at)).toBeGreaterThanOrEqual(Date.parse(ended.ended_at));
        // The job's cgroup goes with it.
        expect(existsSync(cgroup)).toBe(false);
      } finally {
        await server.stop();
        killAll(['sleep', '10131'], ['sleep', '10132']);
      }
    });

    it('a server stopped with no job running leaves no cgroup behind (its spare monitors included)', async () => {
      const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
      let parent = '';
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        parent = (await api.call('GET', '/api/health')).body.process_tracking.cgroup;
        const { body } = await api.command(['true']);
        await api.waitStatus(body.queue_id, ['done'], 15_000);
        // The idle launcher forks spare monitors that hold the cgroups of the next jobs.
        await waitFor(
          async () => readdirSync(parent).some((d) => d.startsWith('monitor-')),
          'a spare cgroup',
        );
      } finally {
        await server.stop();
      }
      expect(existsSync(parent)).toBe(false);
    });

    it('after a restart the job is re-attached by its cgroup, and stale empty cgroups are removed', async () => {
      const first = await spawnServer(temp.home, ['--fake-gpus', '1']);
      let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
      try {
        const api = jobsApi(first.baseUrl, first.token!);
        const parent: string = (await api.call('GET', '/api/health')).body.process_tracking.cgroup;
        const stale = join(parent, 'monitor-999998-12345'); // left by a job that ended while no server watched
        mkdirSync(stale);
        const staleSpare = join(parent, 'monitor-999999-12345'); // left by a launcher spare that was killed
        mkdirSync(staleSpare);
        const { body } = await api.command(HIDDEN(10151), { requested_gpus: 1, kill_grace_s: 1 });
        await waitFor(async () => pidsRunning(['sleep', '10151']).length === 1, 'the hidden sleep');
        const cgroup = join(parent, cgroupNameOf(pidsRunning(['sleep', '10151'])[0]));
        expect(cgroup).toMatch(new RegExp(`/monitor-${(await api.job(body.queue_id)).pid}-\\d+$`));
        await first.stop('SIGKILL');
        // The job's visible command ends while no server is up; only the hidden process is left.
        for (const pid of pidsRunning(['sleep', '10152'])) process.kill(pid, 'SIGKILL');

        second = await spawnServer(temp.home, ['--fake-gpus', '1'], { TRAINYARD_LOG_LEVEL: 'info' });
        const api2 = jobsApi(second.baseUrl, second.token!);
        expect(existsSync(stale)).toBe(false);
        expect(existsSync(staleSpare)).toBe(false);
        // Found by its cgroup alone, the hidden process is the job's: the job is not over while it
        // runs. Its command's end was recorded (the leftover is then cleaned up) or not (then kill it).
        await new Promise((r) => setTimeout(r, 1000));
        if ((await api2.job(body.queue_id)).status === 'running')
          expect((await api2.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).status).toBe(200);
        const ended = await api2.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 15_000);
        expect(pidsRunning(['sleep', '10151'])).toEqual([]);
        expect(second.output()).toMatch(/stopping 1 process\(es\) it left behind|user_abort requested/);
        expect(ended.gpu_indices).toEqual([0]);
        expect(existsSync(cgroup)).toBe(false);
      } finally {
        await second?.stop();
        await first.stop().catch(() => undefined);
        killAll(['sleep', '10151'], ['sleep', '10152']);
      }
    });
  },
);
