import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';
import { mountTmpfs, tmpfsUnavailable } from './support/tmpfs';

const itWithTmpfs = tmpfsUnavailable() ? it.skip : it;

const MAIN = join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'main.js');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 ? it : it.skip;

/** Boots the built server on `home` expecting a refusal; returns its exit code and output. */
function bootRefused(home: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [MAIN, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, TRAINYARD_HOME: home },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('state directory ownership and per-job secrets (e2e, built dist)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('a state directory it cannot set up is one line naming the path and the cause, exit 2 (no stack trace)', () => {
    const home = makeTempHome();
    try {
      writeFileSync(join(home.home, 'jobs'), 'a file where a directory belongs');
      const { status, stderr } = bootRefused(home.home);
      expect(status).toBe(2);
      expect(stderr).toBe(
        `trainyard: cannot set up the state directory ${home.home}: ${join(home.home, 'jobs')}: a file is in the way (EEXIST)\n`,
      );
    } finally {
      home.remove();
    }
  });

  itWithTmpfs('a read-only state directory is one line too, exit 74 (the storage: EX_IOERR)', () => {
    const fs = mountTmpfs('1m');
    try {
      execFileSync('mount', ['-o', 'remount,ro', fs.dir]);
      const { status, stderr } = bootRefused(fs.dir);
      expect(status).toBe(74);
      expect(stderr).toMatch(
        new RegExp(
          `^trainyard: cannot set up the state directory ${fs.dir}: .*: read-only file system \\(EROFS\\)\n$`,
        ),
      );
    } finally {
      fs.unmount();
    }
  });

  itWithTmpfs(
    'a full state directory at the first boot is one line naming the file, and leaves no temporary file',
    () => {
      const fs = mountTmpfs('1m');
      try {
        fs.fill();
        const { status, stderr } = bootRefused(fs.dir);
        expect(status).toBe(74);
        expect(stderr).toBe(
          `trainyard: the server could not start: ${join(fs.dir, 'server_config.yaml')}: no space left on the device (ENOSPC)\n`,
        );
        expect(readdirSync(fs.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      } finally {
        fs.unmount();
      }
    },
  );

  itWithTmpfs(
    'a full state directory with no room for a new database: one line, exit 74 as for any full disk (not 78, kept for a refused database)',
    async () => {
      // Before: 78, the code of a corrupt or newer database, which nothing but a restore cures.
      const fs = mountTmpfs('1m');
      try {
        const server = await spawnServer(fs.dir);
        await server.stop();
        const file = join(fs.dir, 'trainyard.db');
        for (const end of ['', '-wal', '-shm']) rmSync(`${file}${end}`, { force: true });
        fs.fill();
        const { status, stderr } = bootRefused(fs.dir);
        expect(status).toBe(74);
        expect(stderr).toMatch(
          new RegExp(
            `^trainyard: cannot open the database ${file}: .*\\(SQLITE_FULL\\)\\. Check the state directory's free space and permissions\\.\n$`,
          ),
        );
      } finally {
        fs.unmount();
      }
    },
  );

  it('a state directory moved away while the server runs: health says so and launches wait, until it is back', async () => {
    const home = makeTempHome();
    const moved = `${home.home}-moved`;
    const server = await spawnServer(home.home);
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      renameSync(home.home, moved);
      const health = (await api.call('GET', '/api/health')).body;
      expect(health.status).toBe('degraded');
      expect(health.problems).toEqual([
        `the state directory ${home.home} was moved or removed while the server ran: put it back, or restart the server on it`,
      ]);
      // Submitted (the open database still takes it), but not launched into a failure: it waits.
      const { body } = await api.command(['true']);
      const waiting = await waitFor(async () => {
        const job = await api.job(body.queue_id);
        return job.pending_reason ? job : undefined;
      }, 'the held job to say why');
      expect(waiting).toMatchObject({ status: 'queued', pending_reason: health.problems[0] });
      // An alert needs it too (before: nothing in /metrics said launches wait).
      const metrics = async () =>
        (await request(server.baseUrl, 'GET', '/metrics', { token: server.token! })).text;
      expect(await metrics()).toMatch(/^trainyard_launches_stopped 1$/m);

      renameSync(moved, home.home);
      expect((await api.call('GET', '/api/health')).body.status).toBe('ok');
      expect(await metrics()).toMatch(/^trainyard_launches_stopped 0$/m);
      expect((await api.waitStatus(body.queue_id, ['done', 'failed'], 15_000)).status).toBe('done');
    } finally {
      if (existsSync(moved)) renameSync(moved, home.home);
      await server.stop();
      home.remove();
    }
  });

  it('a launch directory removed while the server runs is made again at the next launch: the job runs, it is not failed', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home);
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      const { body } = await api.command(['sh', '-c', 'echo ran']);
      // E.g. a clean-up script that took `jobs/` for a cache: the job's log and exit status go there.
      rmSync(join(home.home, 'jobs'), { recursive: true });
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
      const job = await api.waitStatus(body.queue_id, ['done', 'failed'], 15_000);
      expect(job).toMatchObject({ status: 'done', exit_code: 0, termination_reason: 'completed' });
      expect(await api.log(body.queue_id)).toContain('ran');
      expect(statSync(join(home.home, 'jobs')).mode & 0o777).toBe(0o700);
      expect(server.output()).toMatch(/jobs was removed from the state directory .* made again/);
      expect((await api.call('GET', '/api/health')).body).toMatchObject({ status: 'ok', problems: [] });
    } finally {
      await server.stop();
      home.remove();
    }
  });

  itWithTmpfs(
    'a launch its state directory has no room for waits in the queue (health says why) and starts once there is room',
    async () => {
      const home = makeTempHome();
      const server = await spawnServer(home.home);
      // The secrets' own file system is full; the database's still has room, as it often does (its
      // WAL reuses its space), so the job is claimed and only its launch fails.
      const secrets = join(home.home, 'secrets');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', secrets]);
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        const filler = join(secrets, 'filler');
        writeFileSync(filler, Buffer.alloc(0));
        try {
          for (;;) appendFileSync(filler, Buffer.alloc(4096));
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
        // An inference job gets a token file there; `vllm` is not installed, so once it runs it fails.
        const { body } = await api.submit({ job_type: 'inference', job_params: { model: 'm', port: 1 } });
        const held = await waitFor(async () => {
          const job = await api.job(body.queue_id);
          return job.status === 'queued' && job.pending_reason ? job : undefined;
        }, 'the job back in the queue, saying why');
        // What to do names the full file system: a cleanup of old jobs frees room only in jobs/.
        expect(held.pending_reason).toBe(
          `launches wait: the file system of ${secrets} is full (no space left on the device, ENOSPC on ${secrets}): ` +
            `make room on the file system of ${secrets} (it holds only small per-job files; ` +
            `\`trainyard sched cleanup\` frees room only in ${join(home.home, 'jobs')})`,
        );
        expect(held).toMatchObject({ termination_reason: null, started_at: null });
        // One waiting for it still says so too, behind why nothing starts.
        const after = (
          await api.command(['true'], { depends_on: [{ queue_id: body.queue_id, condition: 'after_ok' }] })
        ).body.queue_id;
        await waitFor(
          async () =>
            (await api.job(after)).pending_reason ===
            `${held.pending_reason}; waiting for ${body.queue_id} to succeed`,
          'the dependent job to say both why launches wait and what it waits for',
        );
        const health = (await api.call('GET', '/api/health')).body;
        expect(health).toMatchObject({ status: 'degraded', problems: [held.pending_reason] });
        // Still held a few scheduling passes later (it is not retried into a failure).
        await new Promise((r) => setTimeout(r, 6000));
        expect(await api.job(body.queue_id)).toMatchObject({
          status: 'queued',
          pending_reason: held.pending_reason,
        });

        rmSync(filler);
        const ran = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 20_000);
        // (`vllm` is not installed: it fails, so the dependent ends dependency_failed.)
        await api.waitStatus(after, ['done', 'failed', 'aborted'], 20_000);
        expect(ran.termination_reason).not.toBe('launch_failed');
        expect(ran.pid).not.toBeNull();
        expect((await api.call('GET', '/api/health')).body).toMatchObject({ status: 'ok', problems: [] });
      } finally {
        await server.stop();
        execFileSync('umount', ['-l', secrets]);
        home.remove();
      }
    },
    60_000,
  );

  itWithTmpfs(
    'a job whose log disk fills ends when its command does (not when there is room again), and launches wait for room',
    async () => {
      const home = makeTempHome();
      const server = await spawnServer(home.home);
      // The logs on a disk of their own, full: a new log is an empty file (it fits), output is lost.
      const jobs = join(home.home, 'jobs');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', jobs]);
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        const filler = join(jobs, 'filler');
        writeFileSync(filler, Buffer.alloc(0));
        try {
          for (;;) appendFileSync(filler, Buffer.alloc(4096));
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
        const { body } = await api.command(['sh', '-c', 'echo hello; sleep 1']);
        // Its monitor cannot write the exit status (it retries each second until there is room);
        // the server has the status from the launcher and records the end itself.
        const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 10_000);
        expect(ended).toMatchObject({ status: 'done', exit_code: 0 });
        expect(ended.error).toMatch(/bytes of output lost: No space left on device/);
        expect(Date.parse(ended.ended_at) - Date.parse(ended.started_at)).toBeLessThan(5000);
        const health = (await api.call('GET', '/api/health')).body;
        expect(health.status).toBe('degraded');
        expect(health.problems).toEqual([
          expect.stringMatching(
            new RegExp(`^launches wait: the state directory's file system is full .* on ${jobs}\\)`),
          ),
        ]);
        const next = (await api.command(['true'])).body.queue_id;
        await waitFor(
          async () => (await api.job(next)).pending_reason === health.problems[0],
          'the pending reason to name the full disk',
        );
        await new Promise((r) => setTimeout(r, 1000)); // and it is not started meanwhile
        expect(await api.job(next)).toMatchObject({ status: 'queued', pending_reason: health.problems[0] });
        rmSync(filler);
        expect((await api.waitStatus(next, ['done', 'failed'], 15_000)).status).toBe('done');
        // Its log says so too, once it has room (before: tried once, at the end, and never again).
        await waitFor(
          async () =>
            /\[trainyard\] \d+ bytes of output lost: No space left on device\r?\n$/.test(
              await api.log(body.queue_id),
            ),
          'the lost-output note at the end of the log',
          15_000,
        );
      } finally {
        await server.stop();
        execFileSync('umount', ['-l', jobs]);
        home.remove();
      }
    },
    60_000,
  );

  asRoot('refuses to boot on a token planted by another user, in one line naming it', async () => {
    // A first boot makes the state tree; then another user "plants" the token file.
    const first = await spawnServer(temp.home);
    await first.stop();
    const token = join(temp.home, 'auth_token');
    chownSync(token, NOBODY, NOBODY);
    try {
      const { status, stderr } = bootRefused(temp.home);
      expect(status).toBe(2);
      expect(stderr).toBe(
        `trainyard: refusing to use the state directory ${temp.home}: ${token} is owned by uid ${NOBODY}, ` +
          `not the server's uid 0 (chown it, or use another TRAINYARD_HOME)\n`,
      );
    } finally {
      chownSync(token, 0, 0);
    }
  });

  it('refuses a state directory other users can write to', () => {
    const other = makeTempHome();
    try {
      spawnSync('chmod', ['0777', other.home]);
      const { status, stderr } = bootRefused(other.home);
      expect(status).toBe(2);
      expect(stderr).toContain(`${other.home} is writable by other users (mode 0777`);
    } finally {
      other.remove();
    }
  });

  it('removes a job’s secret files and control directory when it ends, leftovers at boot, orphans with the GC', async () => {
    const secrets = join(temp.home, 'secrets');
    const control = join(temp.home, 'control');
    let server = await spawnServer(temp.home);
    let finished: string;
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      // An inference job gets a per-job token file; `vllm` is not installed, so it fails at once.
      const { body } = await api.submit({ job_type: 'inference', job_params: { model: 'm', port: 1 } });
      expect(body.queue_id).toBeDefined();
      finished = body.queue_id;
      await api.waitStatus(finished, ['failed']);
      // A dead credential and a control directory nobody reads any more: gone once the end is recorded.
      await waitFor(
        () =>
          !readdirSync(secrets).some((n) => n.startsWith(finished)) && !existsSync(join(control, finished)),
        'the ended job’s secret files and control directory to go',
      );
      // Left by a crash right after the end's commit: the next boot removes them; a queued job's stay.
      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      const queued = (await api.command(['true'])).body.queue_id;
      for (const id of [finished, queued]) {
        writeFileSync(join(secrets, `${id}.run-token`), 't', { mode: 0o600 });
        mkdirSync(join(control, id), { mode: 0o700 });
        writeFileSync(join(control, id, 'endpoint.json'), '{}');
      }
      await server.stop();
      server = await spawnServer(temp.home);
      expect(readdirSync(secrets)).toEqual([`${queued}.run-token`]);
      expect(readdirSync(control)).toEqual([queued]);
      const again = jobsApi(server.baseUrl, server.token!);
      expect((await again.call('DELETE', `/api/queue/${queued}`)).status).toBe(200);

      // Deleting a job deletes whatever of its files is left.
      writeFileSync(join(secrets, `${finished}.inference-token`), 't', { mode: 0o600 });
      expect((await again.call('DELETE', `/api/jobs/${finished}`)).status).toBe(200);
      expect(existsSync(join(secrets, `${finished}.inference-token`))).toBe(false);

      // Left by a job deleted while the server crashed: old ones go, fresh ones wait.
      for (const name of readdirSync(secrets)) rmSync(join(secrets, name));
      const orphan = join(secrets, 'q_1700000000000_deadbeef.inference-token');
      const fresh = join(secrets, 'q_1700000000001_cafef00d.inference-token');
      writeFileSync(orphan, 't', { mode: 0o600 });
      writeFileSync(fresh, 't', { mode: 0o600 });
      const hourAgo = new Date(Date.now() - 3600_000);
      utimesSync(orphan, hourAgo, hourAgo);
      expect((await again.call('POST', '/api/jobs/gc')).status).toBe(200);
      expect(readdirSync(secrets)).toEqual(['q_1700000000001_cafef00d.inference-token']);
    } finally {
      await server.stop();
    }
  });
});
