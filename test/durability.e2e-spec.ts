import Sqlite from 'better-sqlite3';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive, listPids, readParentPid } from '@trainyard/core';
import { createSqliteDataSource, openDatabase } from '@trainyard/database';
import { MIGRATIONS } from '../migrations';
import { jobsApi } from './support/api';
import { request } from './support/http';
import { pidsRunning, workerOf } from './support/processes';
import { spawnServer, type SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { mountTmpfs, Tmpfs, tmpfsUnavailable } from './support/tmpfs';
import { waitFor } from './support/wait';

const MAIN = join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'main.js');
const ROOT = join(__dirname, '..');

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full e2e skipped: ${unavailable}`);
const itWithTmpfs = unavailable ? it.skip : it;

/** A job script that waits (at most ~60 s) for the file $GATE, then exits with `code`. */
const gatedExit = (code: number) =>
  `echo up; n=0; while [ ! -e "$GATE" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; exit ${code}`;

/** A second process holding SQLite's write lock (BEGIN IMMEDIATE) for `holdMs`, as another tool could. */
async function holdWriteLock(file: string, holdMs: number): Promise<ChildProcess> {
  const script = `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${holdMs});`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(() => child.stdout.read()?.toString().includes('locked'), 'the lock holder', 10_000);
  return child;
}

/**
 * Fills the state dir's filesystem so that every write is refused (507). A write fits wherever
 * SQLite's WAL already has room — left by earlier writes, or by a refused one — so the WAL is first
 * emptied (a checkpoint that truncates it, from a second connection), then the filesystem is filled:
 * any write needs new space then. Returns the filler's path.
 */
async function fillStateDir(tmpfs: Tmpfs, api: ReturnType<typeof jobsApi>): Promise<string> {
  const db = new Sqlite(join(tmpfs.dir, 'trainyard.db'));
  try {
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
  } finally {
    db.close();
  }
  const filler = tmpfs.fill();
  expect((await api.command(['true'])).status).toBe(507);
  return filler;
}

describe('durability and crash resilience (e2e, built server process)', () => {
  let temp: ReturnType<typeof makeTempHome>;
  let tmpfs: Tmpfs | null = null;
  beforeEach(() => (temp = makeTempHome()));
  afterEach(() => {
    temp.remove();
    tmpfs?.unmount();
    tmpfs = null;
  });

  /**
   * Runs `body` against a server whose state directory is a fresh 8 MiB tmpfs (unmounted after the
   * test), then stops the server (SIGKILL: what a full disk left half-done stays as it is).
   */
  async function withTmpfsServer(
    body: (api: ReturnType<typeof jobsApi>, fs: Tmpfs, server: SpawnedServer) => Promise<void>,
  ) {
    const fs = (tmpfs = mountTmpfs('8m'));
    const server = await spawnServer(fs.dir);
    try {
      await body(jobsApi(server.baseUrl, server.token!), fs, server);
    } finally {
      await server.stop('SIGKILL');
    }
  }

  itWithTmpfs(
    'a full state dir refuses writes with 507 STATE_DIR_FULL; once freed, writes are durable (second connection, restart)',
    async () => {
      tmpfs = mountTmpfs('8m');
      const home = tmpfs.dir;
      const server = await spawnServer(home);
      const db = join(home, 'trainyard.db');
      const fitted: string[] = [];
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        await api.call('POST', '/api/queue/scheduler', { enabled: false });
        expect((await api.command(['true'], { name: 'before' })).status).toBe(201);
        const filler = tmpfs.fill();
        // A large env so each submit needs many fresh pages.
        // Two variables, each within what exec takes (131,071 bytes), 200 KB in all.
        const big = { BLOB: 'x'.repeat(100_000), BLOB2: 'x'.repeat(100_000) };
        // A submit may still fit in the WAL SQLite already has (acknowledged: it must survive);
        // from the first 507 on, every submit must be refused. 8 MB holds no more than ~40.
        let refused = 0;
        for (let i = 0; refused < 3 && i < 60; i++) {
          const answer = await api.command(['true'], { name: `full-${i}`, env: big });
          if (answer.status === 201 && refused === 0) {
            fitted.push(`full-${i}`);
            continue;
          }
          expect(answer.status).toBe(507);
          expect(answer.body).toMatchObject({
            code: 'STATE_DIR_FULL',
            message: expect.stringContaining(home),
          });
          refused += 1;
        }
        expect(refused).toBe(3);
        // Health says so while writes are refused (it answered `ok` throughout).
        const full = (await request(server.baseUrl, 'GET', '/api/health')).body;
        expect(full).toMatchObject({ status: 'degraded' });
        expect(full.problems).toEqual([expect.stringMatching(/^writes are refused since .*: .*full/)]);
        rmSync(filler);
        for (const name of ['after-1', 'after-2']) {
          expect((await api.command(['true'], { name, env: big })).status).toBe(201);
        }
        expect((await request(server.baseUrl, 'GET', '/api/health')).body).toMatchObject({
          status: 'ok',
          problems: [],
        });
        const other = new Sqlite(db, { readonly: true });
        try {
          const names = other.prepare('SELECT name FROM jobs ORDER BY name').all() as Array<{ name: string }>;
          expect(names.map((r) => r.name)).toEqual(['after-1', 'after-2', 'before', ...fitted].sort());
        } finally {
          other.close();
        }
      } finally {
        await server.stop('SIGKILL');
      }
      const again = await spawnServer(home);
      try {
        const listed = await request(again.baseUrl, 'GET', '/api/queue?limit=50', { token: again.token! });
        expect(listed.body.items.map((i: { name: string }) => i.name).sort()).toEqual(
          ['after-1', 'after-2', 'before', ...fitted].sort(),
        );
      } finally {
        await again.stop();
      }
    },
    60_000,
  );

  itWithTmpfs(
    'health warns while the state directory is nearly full (before it refuses writes), and stops once there is room',
    async () => {
      await withTmpfsServer(async (api, tmpfs) => {
        const health = async () => (await api.call('GET', '/api/health')).body;
        expect(await health()).toMatchObject({ status: 'ok', warnings: [] });
        // Leave ~0.4 MiB of the 8 MiB: under a tenth of it, still room for writes.
        const { bavail, bsize } = statfsSync(tmpfs.dir);
        const filler = join(tmpfs.dir, 'filler');
        writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 400 * 1024)));
        const low = await health();
        expect(low).toMatchObject({ status: 'ok', problems: [] });
        expect(low.warnings).toEqual([
          expect.stringMatching(
            /^the state directory's file system is nearly full: 0\.\d MiB free of 8\.0 MiB/,
          ),
        ]);
        rmSync(filler);
        expect(await health()).toMatchObject({ status: 'ok', warnings: [] });
      });
    },
    60_000,
  );

  itWithTmpfs(
    'a force-kill refused for a full state dir (507) signals nothing, also when repeated; once freed it works',
    async () => {
      await withTmpfsServer(async (api, tmpfs) => {
        const job = (await api.command(['sleep', '60.4321'])).body.queue_id;
        const running = await api.waitStatus(job, ['running']);
        await api.call('POST', '/api/queue/scheduler', { enabled: false });
        const filler = await fillStateDir(tmpfs, api);
        for (let attempt = 1; attempt <= 2; attempt++) {
          const kill = await api.call('POST', `/api/jobs/${job}/control/force-kill`);
          expect(kill.status).toBe(507);
          expect(kill.body).toMatchObject({ code: 'STATE_DIR_FULL' });
          // Nothing was saved, so nothing was done: the job runs on, as it says.
          await new Promise((r) => setTimeout(r, 300));
          expect(isProcessAlive(running.pid)).toBe(true);
          expect(pidsRunning(['sleep', '60.4321'])).toHaveLength(1);
          expect(await api.job(job)).toMatchObject({ status: 'running', termination_reason: null });
        }
        rmSync(filler);
        expect((await api.call('POST', `/api/jobs/${job}/control/force-kill`)).status).toBe(200);
        const ended = await api.waitStatus(job, ['aborted', 'failed', 'done'], 15_000);
        expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'user_kill' });
        expect(ended.termination_requested_at).not.toBeNull();
      });
    },
    60_000,
  );

  itWithTmpfs(
    'a GPU kill on a full state dir still kills the processes on it, and says it could not be journaled',
    async () => {
      tmpfs = mountTmpfs('8m');
      const gpu = 47; // no other spec names it: a GPU kill is host-wide
      const server = await spawnServer(tmpfs.dir, ['--fake-gpus', String(gpu + 1)]);
      const stray = spawn('sleep', ['60.4747'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CUDA_VISIBLE_DEVICES: String(gpu) },
        stdio: 'ignore',
      });
      try {
        await once(stray, 'spawn');
        const gone = once(stray, 'exit');
        const api = jobsApi(server.baseUrl, server.token!);
        await api.call('POST', '/api/queue/scheduler', { enabled: false });
        const filler = await fillStateDir(tmpfs, api);
        const kill = await request(server.baseUrl, 'POST', `/api/gpus/${gpu}/kill`, {
          token: server.token!,
          body: { confirmed: true },
        });
        expect(kill.status).toBe(200);
        expect(kill.body).toMatchObject({
          pids: [stray.pid],
          killed: [stray.pid],
          failed: [],
          jobs: [],
          journal_error: expect.stringMatching(/is full: nothing was saved/),
        });
        await gone;
        rmSync(filler);
      } finally {
        if (stray.exitCode === null && stray.signalCode === null) stray.kill('SIGKILL');
        await server.stop('SIGKILL');
      }
    },
    60_000,
  );

  itWithTmpfs(
    'removing finished jobs frees a disk their logs filled (it was refused 507: no way out but rm)',
    async () => {
      await withTmpfsServer(async (api, tmpfs) => {
        const noisy = async () => {
          const id = (await api.command(['sh', '-c', 'head -c 1500000 /dev/zero | tr "\\0" x | fold -w 100']))
            .body.queue_id as string;
          await api.waitStatus(id, ['done'], 30_000);
          return id;
        };
        const [one, two, three] = [await noisy(), await noisy(), await noisy()];
        await fillStateDir(tmpfs, api);
        // One job by id, then every finished job: each frees its logs, then its records go.
        const single = await api.call('DELETE', `/api/jobs/${one}`);
        expect([single.status, single.body.deleted]).toEqual([200, [one]]);
        await fillStateDir(tmpfs, api);
        const rest = await api.call('POST', '/api/jobs/cleanup');
        expect(rest.status).toBe(200);
        expect(rest.body.deleted.sort()).toEqual([two, three].sort());
        expect((await api.call('GET', '/api/jobs?limit=10')).body.items).toEqual([]);
        for (const id of [one, two, three])
          expect(existsSync(join(tmpfs.dir, 'jobs', `${id}.tty`))).toBe(false);
      });
    },
    90_000,
  );

  itWithTmpfs(
    'a job whose last output a full disk kept out of its log says so in its record',
    async () => {
      await withTmpfsServer(async (api, tmpfs) => {
        const gate = join(temp.home, 'gate'); // not on the full disk
        // 4,096 bytes first (the terminal writes the newline as CR LF): the log's page is full, so
        // the disk has no room for a further byte.
        const script =
          `head -c 4094 /dev/zero | tr '\\0' b; echo; while [ ! -e "$GATE" ]; do sleep 0.05; done; ` +
          `printf 'the last words, lost'`;
        const job = (await api.command(['sh', '-c', script], { env: { GATE: gate } })).body.queue_id;
        await waitFor(
          async () => (await api.call('GET', `/api/jobs/${job}/tty`)).text.length === 4096,
          'the first 4,096 bytes in the log',
          15_000,
        );
        const filler = tmpfs.fill();
        writeFileSync(gate, '');
        // Its end is recorded when it fits (now, in room SQLite has, or once the disk is freed).
        await new Promise((r) => setTimeout(r, 1500));
        rmSync(filler);
        const ended = await api.waitStatus(job, ['done', 'failed', 'aborted'], 30_000);
        expect(ended).toMatchObject({
          status: 'done',
          exit_code: 0,
          error: `${'the last words, lost'.length} bytes of output lost: No space left on device`,
        });
      });
    },
    60_000,
  );

  itWithTmpfs(
    'a job that ends on a full disk is recorded as it ended even before its exit file can be written (a code of 130 it exited with, not SIGINT)',
    async () => {
      await withTmpfsServer(async (api, fs, server) => {
        const gate = join(temp.home, 'gate'); // not on the full disk
        const job = (await api.command(['sh', '-c', gatedExit(130)], { env: { GATE: gate } })).body.queue_id;
        await api.waitLog(job, /up/);
        const filler = fs.fill();
        writeFileSync(gate, '');
        // Its monitor cannot write the exit file; the server settles the end from what the launcher
        // reported (after 1 s). Before, that was the status alone, and 130 read as SIGINT.
        await waitFor(
          () => server.output().includes(`${job}: its command ended (status 130), but its monitor`),
          'the end settled without the exit file',
          15_000,
        );
        rmSync(filler);
        const ended = await api.waitStatus(job, ['done', 'failed', 'aborted'], 20_000);
        expect(ended).toMatchObject({ status: 'failed', exit_code: 130, error: 'exited with code 130' });
      });
    },
    60_000,
  );

  itWithTmpfs(
    'a job that ends on a full disk while the server is killed still gets its own exit code (its monitor waits for room to write it)',
    async () => {
      const fs = (tmpfs = mountTmpfs('8m'));
      const gate = join(temp.home, 'gate'); // not on the full disk
      let server = await spawnServer(fs.dir);
      let jobPid = 0;
      try {
        const api = jobsApi(server.baseUrl, server.token!);
        const job = (await api.command(['sh', '-c', gatedExit(2)], { env: { GATE: gate } })).body.queue_id;
        await api.waitLog(job, /up/);
        jobPid = (await api.job(job)).pid;
        const filler = fs.fill();
        writeFileSync(gate, '');
        await new Promise((r) => setTimeout(r, 1500)); // it has ended: its exit file has no room
        // Before: the monitor gave up on the file and exited; the code lived only in the worker.
        process.kill(await workerOf(server.process.pid!), 'SIGKILL');
        await server.stop('SIGKILL');
        rmSync(filler);
        server = await spawnServer(fs.dir);
        const ended = await jobsApi(server.baseUrl, server.token!).waitStatus(
          job,
          ['done', 'failed', 'aborted'],
          20_000,
        );
        expect(ended).toMatchObject({ status: 'failed', exit_code: 2, termination_reason: 'exited_nonzero' });
      } finally {
        if (jobPid && isProcessAlive(jobPid)) process.kill(jobPid, 'SIGKILL');
        await server.stop('SIGKILL');
      }
    },
    60_000,
  );

  it('a job that ends while another process holds the write lock for 9 s gets its status once the lock is released; the server stays up', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    const worker = await workerOf(server.process.pid!);
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      const gate = join(temp.home, 'gate');
      const { body } = await api.command(['sh', '-c', gatedExit(3)], {
        requested_gpus: 1,
        env: { GATE: gate },
      });
      await api.waitLog(body.queue_id, /up/);
      const holder = await holdWriteLock(join(temp.home, 'trainyard.db'), 9000);
      const released = once(holder, 'exit');
      const lockedAt = Date.now();
      writeFileSync(gate, ''); // the job ends now, inside the lock
      const ended = await api.waitStatus(body.queue_id, ['done', 'failed', 'aborted'], 40_000);
      expect(Date.now() - lockedAt).toBeGreaterThan(8000);
      await released;
      expect(ended).toMatchObject({ status: 'failed', exit_code: 3, error: 'exited with code 3' });
      // The same worker did it: it neither died nor was restarted.
      expect(await workerOf(server.process.pid!)).toBe(worker);
      expect(server.process.exitCode).toBeNull();
      expect((await request(server.baseUrl, 'GET', '/api/health')).status).toBe(200);
      expect(server.output()).toMatch(/could not record the end of .* retrying/);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('a worker killed with SIGKILL is replaced by a new one; the running job is still tracked and settled', async () => {
    const server = await spawnServer(temp.home);
    let jobPid = 0;
    try {
      const api = jobsApi(server.baseUrl, server.token!);
      const gate = join(temp.home, 'gate');
      const { body } = await api.command(['sh', '-c', gatedExit(4)], { env: { GATE: gate } });
      await api.waitLog(body.queue_id, /up/);
      jobPid = (await api.job(body.queue_id)).pid;
      const worker = await workerOf(server.process.pid!);
      process.kill(worker, 'SIGKILL');
      const base = await server.nextBanner();
      expect(await workerOf(server.process.pid!)).not.toBe(worker);
      expect(server.output()).toContain('the server was killed by SIGKILL unexpectedly');
      const api2 = jobsApi(base, server.token!);
      expect(await api2.job(body.queue_id)).toMatchObject({ status: 'running', pid: jobPid });
      writeFileSync(gate, '');
      expect(await api2.waitStatus(body.queue_id, ['failed'], 20_000)).toMatchObject({ exit_code: 4 });
    } finally {
      if (jobPid && isProcessAlive(jobPid)) process.kill(-jobPid, 'SIGKILL');
      await server.stop();
    }
  }, 60_000);

  it('a worker started again after a crash and killed while it starts is one more crash: a third one serves', async () => {
    // Before: the supervisor took the second worker's death for a failure to start and exited 137,
    // with no word — the server stayed down (a trial: OOM kills during re-attach look like this).
    const server = await spawnServer(temp.home);
    try {
      const first = await workerOf(server.process.pid!);
      process.kill(first, 'SIGKILL');
      const second = await waitFor(
        () => listPids().find((pid) => pid !== first && readParentPid(pid) === server.process.pid),
        'the second worker',
      );
      process.kill(second, 'SIGKILL');
      const base = await server.nextBanner();
      expect(server.output()).toContain(
        'the server was killed by SIGKILL while starting; starting a new one',
      );
      expect((await request(base, 'GET', '/api/health')).status).toBe(200);
      expect(server.process.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('gives up after 5 worker crashes within 60 s, with a clear message and a non-zero exit', async () => {
    const server = await spawnServer(temp.home);
    for (let crash = 1; crash <= 5; crash++) {
      process.kill(await workerOf(server.process.pid!), 'SIGKILL');
      if (crash < 5) await server.nextBanner();
    }
    const [code] = (await once(server.process, 'exit')) as [number | null];
    expect(code).toBe(70);
    expect(server.output()).toContain('5 crashes within 60 s, giving up');
  }, 90_000);

  it('refuses a database a newer Trainyard wrote (a migration it does not know): one line, exit 78, the file untouched', async () => {
    // Before: it started and ran on the unknown schema (submits then got 500 after a real change).
    const file = join(temp.home, 'trainyard.db');
    const made = createSqliteDataSource({ file, entities: [], migrations: MIGRATIONS });
    await openDatabase(made);
    await made.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [
      4102444800000,
      'FutureThing4102444800000',
    ]);
    await made.destroy();
    const bytes = readFileSync(file);
    const result = spawnSync(process.execPath, [MAIN, '--port', '0'], {
      env: { PATH: process.env.PATH, HOME: temp.home, TRAINYARD_HOME: temp.home },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      `trainyard: the database ${file} was written by a newer Trainyard: it has a migration this version ` +
        'does not know (FutureThing4102444800000); it was left untouched. Run that newer version, or ' +
        'restore a backup this version made.',
    ]);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  describe('a corrupt database at boot', () => {
    const boot = (home: string) =>
      spawnSync(process.execPath, [MAIN, '--port', '0'], {
        env: { PATH: process.env.PATH, HOME: home, TRAINYARD_HOME: home },
        encoding: 'utf8',
        timeout: 30_000,
      });

    it.each([
      ['garbage from the first byte', () => randomBytes(64 * 1024)],
      [
        'a valid header over garbage pages',
        (file: string) => {
          const db = new Sqlite(file);
          db.pragma('journal_mode = WAL');
          db.exec('CREATE TABLE t (v TEXT); CREATE INDEX t_v ON t (v)');
          const insert = db.prepare('INSERT INTO t VALUES (?)');
          for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'y'.repeat(100)}`);
          db.close();
          const bytes = readFileSync(file);
          randomBytes(bytes.length - 8192).copy(bytes, 8192);
          return bytes;
        },
      ],
    ])('%s: one line naming the file and the way out, exit 78, the file untouched', (_, corrupt) => {
      const file = join(temp.home, 'trainyard.db');
      const bytes = corrupt(file);
      writeFileSync(file, bytes);
      const result = boot(temp.home);
      expect(result.status).toBe(78);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^trainyard: the database .* is corrupt/);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toContain('.recover');
      expect(lines[0]).toContain('backup');
      expect(readFileSync(file).equals(bytes)).toBe(true);
    });

    it('an emptied database (0 bytes) beside jobs it knew is refused, not started as a new one; a removed one is made anew', async () => {
      // A server that ran a job, then its database cut to 0 bytes (a copy cut short, a full disk).
      const server = await spawnServer(temp.home);
      const api = jobsApi(server.baseUrl, server.token!);
      const job = (await api.command(['true'])).body.queue_id;
      await api.waitStatus(job, ['done']);
      await server.stop();
      const file = join(temp.home, 'trainyard.db');
      for (const end of ['-wal', '-shm']) rmSync(`${file}${end}`, { force: true });
      writeFileSync(file, '');
      const result = boot(temp.home);
      expect(result.status).toBe(78);
      expect(result.stderr).toBe(
        `trainyard: the database ${file} is empty (0 bytes) while ${join(temp.home, 'jobs')} holds the files of 1 job: ` +
          `it was truncated, and was left untouched. Restore it from a backup, or remove it and move ` +
          `${join(temp.home, 'jobs')} aside to start with an empty queue.\n`,
      );
      expect(statSync(file).size).toBe(0);
      // Removed on purpose: a new, empty database (its jobs' files are the GC's).
      rmSync(file);
      const again = await spawnServer(temp.home);
      try {
        const list = await jobsApi(again.baseUrl, again.token!).call('GET', '/api/jobs');
        expect(list.body.items).toEqual([]);
      } finally {
        await again.stop();
      }
    });
  });
});
