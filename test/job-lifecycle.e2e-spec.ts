import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { pidsRunning } from './support/processes';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * The job lifecycle end to end, on the built server with one fake GPU: stop requests survive a
 * restart, and a job keeps its GPU until every one of its processes is gone — including processes
 * that left its session (setsid), outlived it (nohup), or are still saving after SIGTERM.
 */
describe('job lifecycle (e2e, built server, 1 fake GPU)', () => {
  let temp: ReturnType<typeof makeTempHome>;
  beforeEach(() => (temp = makeTempHome()));
  afterEach(() => temp.remove());

  it('kill, then a server restart before the job exits: the job still ends aborted (user_abort)', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '1']);
    let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
    try {
      const api = jobsApi(first.baseUrl, first.token!);
      // After SIGTERM it "saves" until the test lets it finish (however long the restart takes on a
      // loaded machine), then exits 143 as a shell would.
      const saved = join(temp.home, 'may-finish-saving');
      const { body } = await api.command(
        [
          'bash',
          '-c',
          `trap "echo saving; while [ ! -e ${saved} ]; do sleep 0.1; done; echo saved; exit 143" TERM; echo ready; while :; do sleep 0.1; done`,
        ],
        // The grace period runs from the kill, restart included: long enough for a slow restart.
        { requested_gpus: 1, kill_grace_s: 120 },
      );
      await api.waitLog(body.queue_id, /ready/);
      const kill = await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
      expect(kill.status).toBe(200);
      expect(await api.job(body.queue_id)).toMatchObject({
        status: 'terminating',
        termination_reason: 'user_abort',
      });
      await first.stop('SIGKILL');

      second = await spawnServer(temp.home, ['--fake-gpus', '1']);
      const api2 = jobsApi(second.baseUrl, second.token!);
      expect((await api2.job(body.queue_id)).status).toBe('terminating');
      writeFileSync(saved, '');
      const ended = await api2.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 20_000);
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort', exit_code: 143 });
      expect(await api2.log(body.queue_id)).toMatch(/saving[\s\S]*saved/);
    } finally {
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });

  it('a restart while jobs shut down signals none of them again; SIGKILL follows when the grace runs out', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '0']);
    let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
    try {
      const api = jobsApi(first.baseUrl, first.token!);
      // A trainer that counts the SIGTERMs it gets and never exits on one (a save that never ends).
      // Bounded (90 s), so a failing run leaves nothing behind for long. No `$(seq …)`: a SIGTERM
      // that reached that subshell right after "ready" emptied the loop, and bash exited at once.
      const counter = `trap 'n=$((n+1)); echo "got TERM $n"' TERM; echo ready; i=0; while [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done`;
      const killed = (await api.command(['bash', '-c', counter], { kill_grace_s: 6 })).body
        .queue_id as string;
      // A command that exits at once and leaves such a process behind (its count goes to a file).
      const terms = join(temp.home, 'leftover.terms');
      // (\$: expanded by the leftover's bash, not by the sh that starts it.)
      // The parent ends only once the leftover's trap is set (a SIGTERM before it would just kill it).
      const trapped = join(temp.home, 'leftover.trapped');
      const leftover = `trap 'echo TERM >> ${terms}' TERM; touch ${trapped}; for i in \\$(seq 900); do sleep 0.1; done`;
      const waitTrapped = `while [ ! -e ${trapped} ]; do sleep 0.05; done`;
      const left = (
        await api.command(
          ['sh', '-c', `nohup bash -c "${leftover}" >/dev/null 2>&1 & ${waitTrapped}; echo parent done`],
          {
            kill_grace_s: 6,
          },
        )
      ).body.queue_id as string;
      await api.waitLog(killed, /ready/);
      expect((await api.call('POST', `/api/jobs/${killed}/control/kill`)).status).toBe(200);
      await api.waitLog(killed, /got TERM 1/);
      await api.waitStatus(left, ['terminating']);
      await waitFor(async () => existsSync(terms), 'the leftover to get its SIGTERM');
      // Its log says so, where its user looks (it was only in the server's log).
      expect(await api.log(left)).toMatch(
        /parent done\r?\n.*\[trainyard\] the command ended \(exit 0\); stopping what it left running: pid \d+ \(bash\)/s,
      );
      await first.stop('SIGKILL');

      second = await spawnServer(temp.home, ['--fake-gpus', '0']);
      const api2 = jobsApi(second.baseUrl, second.token!);
      const ended = await api2.waitStatus(killed, ['aborted', 'failed', 'done'], 30_000);
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort' });
      expect(ended.error).toMatch(/\d+ process(es)? still running after the 6 s grace period got SIGKILL/);
      // One SIGTERM in all: the restart did not send it again (it would restart a save).
      expect((await api2.log(killed)).match(/got TERM/g)).toHaveLength(1);
      const cleaned = await api2.waitStatus(left, ['aborted', 'failed', 'done'], 30_000);
      expect(cleaned).toMatchObject({ status: 'done', termination_reason: 'completed', exit_code: 0 });
      expect(cleaned.error).toMatch(/\d+ process(es)? still running after the 6 s grace period got SIGKILL/);
      expect(await api2.log(left)).toMatch(
        /\[trainyard\] still running after the 6 s grace period: SIGKILL to pid \d+/,
      );
      expect(readFileSync(terms, 'utf8')).toBe('TERM\n');
    } finally {
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });

  it('a stop cut short by a crash before its first step reaches the job after the restart', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '0']);
    let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
    // A trainer whose control endpoint listens but never answers: at its time limit the server waits
    // up to 5 s for it before falling back to SIGTERM. The server dies in that wait.
    const deaf = join(temp.home, 'deaf.py');
    writeFileSync(
      deaf,
      [
        'import json, os, signal, socket, sys, time',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)',
        'd = os.environ["TRAINYARD_CONTROL_DIR"]',
        'json.dump({"host": "127.0.0.1", "port": s.getsockname()[1]}, open(os.path.join(d, "e.tmp"), "w"))',
        'os.rename(os.path.join(d, "e.tmp"), os.path.join(d, "endpoint.json"))',
        'def term(*_): print("got TERM", flush=True); sys.exit(0)',
        'signal.signal(signal.SIGTERM, term)',
        'print("ready", flush=True)',
        'for _ in range(900): time.sleep(0.1)',
      ].join('\n'),
    );
    try {
      const api = jobsApi(first.baseUrl, first.token!);
      const { body } = await api.command(['python3', deaf], { time_limit_s: 2, kill_grace_s: 60 });
      await api.waitLog(body.queue_id, /ready/);
      await api.waitStatus(body.queue_id, ['terminating'], 10_000);
      await first.stop('SIGKILL');

      second = await spawnServer(temp.home, ['--fake-gpus', '0']);
      const api2 = jobsApi(second.baseUrl, second.token!);
      const ended = await api2.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 30_000);
      // It got its SIGTERM (and saved: exit 0) rather than a SIGKILL 60 s later.
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'time_limit', exit_code: 0 });
      expect((await api2.log(body.queue_id)).match(/got TERM/g)).toHaveLength(1);
    } finally {
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });

  it('a command that ended while the server was down has what it left behind stopped after the restart', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '1']);
    let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
    const escaped = ['sleep', '309'];
    try {
      const api = jobsApi(first.baseUrl, first.token!);
      const { body } = await api.command(
        ['sh', '-c', `(setsid sh -c "trap '' TERM; ${escaped.join(' ')}" &); echo up; sleep 1; exit 3`],
        { requested_gpus: 1, kill_grace_s: 1 },
      );
      await api.waitLog(body.queue_id, /up/);
      await first.stop('SIGKILL');
      await waitFor(
        async () => existsSync(join(temp.home, 'jobs', `${body.queue_id}.exit`)),
        'its exit file',
      );

      second = await spawnServer(temp.home, ['--fake-gpus', '1']);
      const api2 = jobsApi(second.baseUrl, second.token!);
      const ended = await api2.waitStatus(body.queue_id, ['failed', 'done', 'aborted'], 20_000);
      expect(ended).toMatchObject({ status: 'failed', exit_code: 3, termination_reason: 'exited_nonzero' });
      expect(ended.error).toMatch(/\d+ process(es)? still running after the 1 s grace period got SIGKILL/);
      expect(pidsRunning(escaped)).toEqual([]);
      const { body: gpus } = await api2.call('GET', '/api/gpus');
      expect(gpus.gpus[0].reserved_by).toBeNull();
    } finally {
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });

  it('a force-kill of what a successful command left behind keeps the job done, with its exit code', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    const left = ['sleep', '317'];
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      // The leftover ignores SIGTERM (kept across exec): the job waits in `terminating` for SIGKILL.
      const { body } = await api.command(['sh', '-c', `(trap '' TERM; exec ${left.join(' ')}) & exit 0`], {
        requested_gpus: 1,
        kill_grace_s: 120,
      });
      expect(await api.waitStatus(body.queue_id, ['terminating'])).toMatchObject({ exit_code: 0 });
      const kill = await api.call('POST', `/api/jobs/${body.queue_id}/control/force-kill`);
      expect(kill.status).toBe(200);
      expect(kill.body.pids.length).toBeGreaterThan(0);
      const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted']);
      expect(ended).toMatchObject({ status: 'done', exit_code: 0, termination_reason: 'completed' });
      expect(pidsRunning(left)).toEqual([]);
      expect(await api.log(body.queue_id)).toMatch(
        /\[trainyard\] force-killed on request what the command left running: pid \d+/,
      );
    } finally {
      await server.stop();
    }
  });

  describe('a job keeps its GPU until every process of it is gone', () => {
    let server: Awaited<ReturnType<typeof spawnServer>>;
    let api: ReturnType<typeof jobsApi>;
    const home = makeTempHome();
    beforeAll(async () => {
      server = await spawnServer(home.home, ['--fake-gpus', '1']);
      api = jobsApi(server.baseUrl, server.token!);
    });
    afterAll(async () => {
      await server.stop();
      home.remove();
    });

    /** Submits a 1-GPU job that records when it started; returns its id and the file. */
    async function nextGpuJob(tag: string) {
      const file = join(temp.home, `${tag}.started`);
      const { body } = await api.command(['sh', '-c', `date +%s%N > ${file}`], { requested_gpus: 1 });
      return { id: body.queue_id as string, startedNs: () => BigInt(readFileSync(file, 'utf8').trim()) };
    }

    it('setsid: a process that left the job’s session is killed with it, and the GPU waits for it', async () => {
      const { body } = await api.command(['sh', '-c', '(setsid sleep 1001 &); sleep 1002'], {
        requested_gpus: 1,
        kill_grace_s: 1,
      });
      await api.waitStatus(body.queue_id, ['running']);
      await waitFor(async () => pidsRunning(['sleep', '1001']).length === 1, 'the escaped sleep');
      const next = await nextGpuJob('after-setsid');
      expect((await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).status).toBe(200);
      const ended = await api.waitStatus(body.queue_id, ['aborted'], 15_000);
      expect(ended.termination_reason).toBe('user_abort');
      expect(pidsRunning(['sleep', '1001'])).toEqual([]);
      expect(pidsRunning(['sleep', '1002'])).toEqual([]);
      const placed = await api.waitStatus(next.id, ['done'], 15_000);
      expect(placed.gpu_indices).toEqual([0]);
      // The next job started only after the job had ended (and so after its last process).
      expect(Date.parse(placed.started_at)).toBeGreaterThanOrEqual(Date.parse(ended.ended_at));
    });

    it('nohup: a process the job leaves behind is stopped; the job stays terminating with its GPU until then', async () => {
      // The leftover ignores SIGTERM for 1.5 s (it saves), then exits.
      // The parent ends only once the leftover's trap is set (a SIGTERM before it would just kill it).
      const trapped = join(temp.home, 'nohup.trapped');
      const leftover = `trap 'sleep 1.5; exit 0' TERM; touch ${trapped}; sleep 1004 & wait`;
      const waitTrapped = `while [ ! -e ${trapped} ]; do sleep 0.05; done`;
      const { body } = await api.command(
        ['sh', '-c', `nohup sh -c "${leftover}" >/dev/null 2>&1 & ${waitTrapped}; echo parent done`],
        { requested_gpus: 1, kill_grace_s: 30 },
      );
      await api.waitLog(body.queue_id, /parent done/);
      const next = await nextGpuJob('after-nohup');
      const terminating = await api.waitStatus(body.queue_id, ['terminating']);
      expect(terminating.gpu_indices).toEqual([0]);
      // The command's own exit is known while what it left behind is stopped; nobody asked for a stop.
      expect(terminating).toMatchObject({ exit_code: 0, termination_reason: null });
      // A kill now sends nothing new (its SIGTERM went out) and changes nothing: it still ends `done`.
      await waitFor(
        async () => (await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).body.repeated,
        'a repeated kill',
      );
      expect((await api.job(next.id)).status).toBe('queued');
      const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 15_000);
      // The job's own command exited 0: it is done, and its leftovers were cleaned up.
      expect(ended).toMatchObject({ status: 'done', exit_code: 0, termination_reason: 'completed' });
      expect(pidsRunning(['sleep', '1004'])).toEqual([]);
      const placed = await api.waitStatus(next.id, ['done'], 15_000);
      expect(Date.parse(placed.started_at)).toBeGreaterThanOrEqual(Date.parse(ended.ended_at));
    });

    it('a program still saving after SIGTERM keeps its terminal, its output and its GPU', async () => {
      const saver = join(temp.home, 'saver.py');
      writeFileSync(
        saver,
        [
          'import signal, sys, time',
          'def save(*_):',
          '    print("saving", flush=True); time.sleep(3); print("saved", flush=True); sys.exit(0)',
          'signal.signal(signal.SIGTERM, save)',
          'print("training", flush=True)',
          'while True: time.sleep(0.1)',
        ].join('\n'),
      );
      const { body } = await api.command(['bash', '-c', `python3 ${saver}; echo done`], {
        requested_gpus: 1,
        kill_grace_s: 30,
      });
      await api.waitLog(body.queue_id, /training/);
      const next = await nextGpuJob('after-saver');
      const killedAt = Date.now();
      await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
      // bash ended at once (SIGTERM): its status shows while the trainer still saves.
      const saving = await waitFor(async () => {
        const job = await api.job(body.queue_id);
        return job.exit_code !== null || job.status !== 'terminating' ? job : undefined;
      }, 'the command status of the job being stopped');
      expect(saving).toMatchObject({ status: 'terminating', exit_code: 143, gpu_indices: [0] });
      const ended = await api.waitStatus(body.queue_id, ['aborted'], 15_000);
      expect(ended).toMatchObject({ exit_code: 143, termination_reason: 'user_abort' });
      expect(Date.parse(ended.ended_at) - killedAt).toBeGreaterThanOrEqual(2500);
      expect(await api.log(body.queue_id)).toMatch(/saving[\s\S]*saved/);
      await api.waitStatus(next.id, ['done'], 15_000);
      expect(Number(next.startedNs() / 1_000_000n)).toBeGreaterThanOrEqual(Date.parse(ended.ended_at));
    });

    it('a second kill of a job that is shutting down sends nothing again; force-kill still ends it', async () => {
      // Bounded (90 s), so a failing run leaves nothing behind for long. No `$(seq …)`: a SIGTERM
      // that reached that subshell right after "ready" emptied the loop, and bash exited at once.
      const counter = `trap 'n=$((n+1)); echo "got TERM $n"' TERM; echo ready; i=0; while [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done`;
      const { body } = await api.command(['bash', '-c', counter], { requested_gpus: 1, kill_grace_s: 60 });
      await api.waitLog(body.queue_id, /ready/);
      // Its output can come before the worker has its launch report (a loaded machine): a kill then
      // signals nothing itself (the launcher does, at once), and there would be no pids to check.
      await api.waitStatus(body.queue_id, ['running']);
      const firstKill = await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
      expect(firstKill.body.pids.length).toBeGreaterThan(0);
      expect(firstKill.body.survivors.length).toBeGreaterThan(0); // it does not exit on SIGTERM
      expect(firstKill.body.repeated).toBeUndefined();
      const killAt = Date.parse(firstKill.body.kill_at);
      expect(killAt - Date.now()).toBeGreaterThan(50_000); // its 60 s grace period
      await api.waitLog(body.queue_id, /got TERM 1/);

      const again = await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ repeated: true, pids: [], kill_at: firstKill.body.kill_at });
      expect(again.body.survivors.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(await api.log(body.queue_id)).not.toMatch(/got TERM 2/);
      // The job itself says when SIGKILL comes, in the list too (what `job status` and the console show).
      expect(await api.job(body.queue_id)).toMatchObject({
        status: 'terminating',
        kill_at: firstKill.body.kill_at,
      });
      const listed = (await api.call('GET', '/api/jobs?status=terminating')).body.items;
      expect(listed.find((j: { queue_id: string }) => j.queue_id === body.queue_id)).toMatchObject({
        kill_at: firstKill.body.kill_at,
      });
      // Removing it now: not "kill it first" (it was killed), but to wait for its end.
      const removed = await api.call('DELETE', `/api/jobs/${body.queue_id}`);
      expect(removed.status).toBe(409);
      expect(removed.body.message).toBe(
        `${body.queue_id} is terminating: it is being stopped already; remove it once it has ended`,
      );

      const forced = await api.call('POST', `/api/jobs/${body.queue_id}/control/force-kill`);
      expect(forced.body.repeated).toBeUndefined();
      // SIGKILL was just sent: nothing follows (before: the kill's kill_at, a minute ahead).
      expect(forced.body.kill_at).toBeUndefined();
      expect(await api.waitStatus(body.queue_id, ['aborted'])).toMatchObject({
        termination_reason: 'user_kill',
      });
    });

    it('cancel right after submit never reports a success code for a job that was stopped', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { body } = await api.command(['sh', '-c', 'sleep 5']);
        ids.push(body.queue_id);
        await api.call('DELETE', `/api/queue/${body.queue_id}`);
      }
      for (const id of ids) {
        const job = await waitFor(async () => {
          const answer = await api.call('GET', `/api/jobs/${id}`);
          if (answer.status === 404) return { status: 'removed' };
          return ['done', 'failed', 'aborted'].includes(answer.body.status) ? answer.body : undefined;
        }, `${id} to end`);
        if (job.status === 'removed') continue;
        expect(job).toMatchObject({ status: 'aborted', termination_reason: 'user_abort' });
        expect(job.exit_code).not.toBe(0);
      }
    });

    it('a job that kills its own monitor keeps running, keeps its GPU, and its own exit code is recorded', async () => {
      const { body } = await api.command(['bash', '-c', 'trap "" HUP; kill -9 $PPID; sleep 1.5; exit 4'], {
        requested_gpus: 1,
      });
      await api.waitStatus(body.queue_id, ['running', 'terminating']);
      await new Promise((r) => setTimeout(r, 500));
      const meanwhile = await api.job(body.queue_id);
      expect(meanwhile).toMatchObject({ gpu_indices: [0], exit_code: null });
      expect(['running', 'terminating']).toContain(meanwhile.status);
      const ended = await api.waitStatus(body.queue_id, ['failed', 'done', 'aborted'], 15_000);
      expect(ended).toMatchObject({ status: 'failed', exit_code: 4, termination_reason: 'exited_nonzero' });
    });

    it('a job whose monitor was stopped (SIGSTOP) still ends on kill, with its own exit code, and frees its GPU', async () => {
      const { body } = await api.command(['sh', '-c', 'echo up; sleep 1; exit 3'], { requested_gpus: 1 });
      const running = await api.waitStatus(body.queue_id, ['running']);
      await api.waitLog(body.queue_id, /up/);
      // Stopped (by another job, say), the monitor reaps nothing: the command becomes a zombie.
      process.kill(running.pid, 'SIGSTOP');
      try {
        /** The states of the monitor's children ("Z": exited, not reaped). */
        const children = () =>
          readFileSync(`/proc/${running.pid}/task/${running.pid}/children`, 'utf8')
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0]);
        await waitFor(async () => children().includes('Z') || undefined, 'the command to exit unreaped');
        expect((await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).status).toBe(200);
        const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 15_000);
        expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_abort', exit_code: 3 });
        expect((await api.call('GET', '/api/gpus')).body.gpus[0].reserved_by).toBeNull();
      } finally {
        try {
          process.kill(running.pid, 'SIGCONT');
        } catch {
          // it ended
        }
      }
    });
  });
});
