import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupPids, StatePaths } from '@trainyard/core';
import { jobsApi } from './support/api';
import { cgroupNameOf, cgroupProbe as probe, describeWithCgroups, HIDDEN, killAll } from './support/cgroups';
import { pidsRunning } from './support/processes';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * A job an older build started, then the server upgraded and restarted: the job is still wholly the
 * job's — a kill reaches even its process that only the cgroup can find (HIDDEN: no environment tag,
 * monitor gone), and its cgroup goes with it.
 */
describeWithCgroups(
  `after an upgrade, a job an older build started keeps its cgroup (${probe.mode === 'cgroup' ? 'cgroup v2 writable' : probe.reason})`,
  () => {
    let temp: ReturnType<typeof makeTempHome>;
    beforeEach(() => (temp = makeTempHome()));
    afterEach(() => temp.remove());

    /**
     * Starts HIDDEN(n) as a 1-GPU job on a first server, SIGKILLs that server, lets `asOlderBuild`
     * rewrite what the older build would have left (cgroups, the job's row), starts a second server
     * and kills the job there; resolves once it ended.
     */
    async function killAfterUpgrade(
      n: number,
      asOlderBuild: (ctx: { parent: string; id: string; cgroup: string }) => void,
    ) {
      const first = await spawnServer(temp.home, ['--fake-gpus', '1']);
      let second: SpawnedServer | null = null;
      try {
        const api = jobsApi(first.baseUrl, first.token!);
        const parent: string = (await api.call('GET', '/api/health')).body.process_tracking.cgroup;
        const id = (await api.command(HIDDEN(n), { requested_gpus: 1, kill_grace_s: 1 })).body
          .queue_id as string;
        const hidden = await waitFor(async () => pidsRunning(['sleep', String(n)])[0], 'the hidden sleep');
        await waitFor(async () => pidsRunning(['sleep', String(n + 1)]).length === 1, 'the job command');
        const cgroup = join(parent, cgroupNameOf(hidden));
        // Its command can run before the server has recorded its pid: read it once it has.
        const { pid } = await api.waitStatus(id, ['running']);
        expect(cgroup).toMatch(new RegExp(`/monitor-${pid}-\\d+$`));
        await first.stop('SIGKILL');
        asOlderBuild({ parent, id, cgroup });

        second = await spawnServer(temp.home, ['--fake-gpus', '1']);
        const api2 = jobsApi(second.baseUrl, second.token!);
        expect((await api2.job(id)).status).toBe('running');
        expect((await api2.call('POST', `/api/jobs/${id}/control/kill`)).status).toBe(200);
        const ended = await api2.waitStatus(id, ['aborted', 'failed', 'done'], 15_000);
        // Every process of the job is gone before it ends, the one only its cgroup knows included.
        expect(pidsRunning(['sleep', String(n)])).toEqual([]);
        expect(pidsRunning(['sleep', String(n + 1)])).toEqual([]);
        return { ended, parent };
      } finally {
        await second?.stop();
        await first.stop().catch(() => undefined);
        killAll(['sleep', String(n)], ['sleep', String(n + 1)]);
      }
    }

    it("the previous release's job-<id> cgroup is the job's; stale empty job-* cgroups go at boot", async () => {
      let legacy = '';
      let stale = '';
      const { ended } = await killAfterUpgrade(10171, ({ parent, id, cgroup }) => {
        // As the previous release ran it: every process of the job in job-<id>, no monitor-* cgroup.
        legacy = join(parent, `job-${id}`);
        mkdirSync(legacy);
        for (const pid of cgroupPids(cgroup)) writeFileSync(join(legacy, 'cgroup.procs'), String(pid));
        rmdirSync(cgroup);
        stale = join(parent, 'job-q_1700000000000_00000001'); // of a job that ended while no server watched
        mkdirSync(stale);
      });
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort', gpu_indices: [0] });
      expect(existsSync(legacy)).toBe(false);
      expect(existsSync(stale)).toBe(false);
    });

    it('a job row saved without its monitor start time still finds the cgroup (by its tagged process)', async () => {
      let cgroup = '';
      const { ended } = await killAfterUpgrade(10181, (ctx) => {
        cgroup = ctx.cgroup;
        const db = new Database(new StatePaths(temp.home).database);
        try {
          db.prepare('UPDATE jobs SET proc_start_time = NULL WHERE id = ?').run(ctx.id);
        } finally {
          db.close();
        }
      });
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort' });
      expect(existsSync(cgroup)).toBe(false);
    });
  },
);
