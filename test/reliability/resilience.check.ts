/**
 * Crash resilience: things that used to take the server down. Each scenario runs against one
 * server and must leave it serving, with every job's end recorded right:
 *  - busy-at-job-end: another process holds SQLite's write lock (BEGIN IMMEDIATE) for 9 s while a
 *    job ends → the end is recorded once the lock is released, by the same worker;
 *  - worker-killed: the worker is SIGKILLed → the supervisor starts a new one, the API comes back,
 *    the running job keeps running, is re-attached and gets its real exit code.
 * More scenarios (a bad job env at launch, …) go in SCENARIOS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckResult, Profile } from './profile';
import {
  api,
  awaitNewWorker,
  bannerCount,
  getJob,
  isAlive,
  log,
  Scope,
  seconds,
  Server,
  submitCommand,
  table,
  until,
  waitForStatus,
} from './harness';

interface Scenario {
  id: string;
  /** Returns the key figure (one short phrase); throws or pushes to `failures` on a finding. */
  run: (server: Server, scope: Scope, failures: string[]) => Promise<string>;
}

const ROOT = join(__dirname, '..', '..');
const LOCK_HOLD_MS = 9000;

/** A job script that waits (at most ~60 s) for the file $GATE, then exits with `code`. */
const gatedExit = (code: number) =>
  `echo up; n=0; while [ ! -e "$GATE" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; exit ${code}`;

/** A second process holding the database's write lock for `holdMs`, as another tool could. */
async function holdWriteLock(file: string, holdMs: number): Promise<ChildProcess> {
  const script = `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${holdMs});`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let seen = '';
  child.stdout.on('data', (c: Buffer) => (seen += c.toString()));
  await until(() => seen.includes('locked'), 'the lock holder', 15_000);
  return child;
}

const SCENARIOS: Scenario[] = [
  {
    id: 'busy-at-job-end',
    run: async (server, scope, failures) => {
      const worker = server.workerPid;
      const gate = join(scope.newHome(), 'gate');
      const job = await submitCommand(server, gatedExit(3), { env: { GATE: gate } });
      const running = await waitForStatus(server, job, ['running'], 30_000);
      scope.trackJob(running.pid);
      const holder = await holdWriteLock(join(server.home, 'trainyard.db'), LOCK_HOLD_MS);
      const released = once(holder, 'exit');
      const lockedAt = Date.now();
      writeFileSync(gate, ''); // the job ends now, inside the lock
      const ended = await waitForStatus(server, job, ['done', 'failed', 'aborted'], 60_000);
      const recordedMs = Date.now() - lockedAt;
      await released;
      if (ended.status !== 'failed' || ended.exit_code !== 3)
        failures.push(`busy-at-job-end: the job ended ${ended.status} (${ended.exit_code}), want failed (3)`);
      if (recordedMs < LOCK_HOLD_MS - 1000)
        failures.push(`busy-at-job-end: the end was recorded after ${seconds(recordedMs)}, inside the lock`);
      if (!isAlive(worker) || server.child.exitCode !== null)
        failures.push('busy-at-job-end: the worker died (it must retry, not crash)');
      return `lock held ${seconds(LOCK_HOLD_MS)}, end recorded after ${seconds(recordedMs)}, same worker`;
    },
  },
  {
    id: 'worker-killed',
    run: async (server, scope, failures) => {
      const gate = join(scope.newHome(), 'gate');
      const job = await submitCommand(server, gatedExit(4), { env: { GATE: gate } });
      const running = await waitForStatus(server, job, ['running'], 30_000);
      scope.trackJob(running.pid);
      const before = bannerCount(server);
      const killedAt = Date.now();
      process.kill(server.workerPid, 'SIGKILL');
      await awaitNewWorker(server, before, 60_000);
      const backMs = Date.now() - killedAt;
      const after = await getJob(server, job);
      if (after.status !== 'running' || after.pid !== running.pid)
        failures.push(`worker-killed: after the restart the job is ${after.status} pid ${after.pid}`);
      writeFileSync(gate, '');
      const ended = await waitForStatus(server, job, ['done', 'failed', 'aborted'], 30_000);
      if (ended.status !== 'failed' || ended.exit_code !== 4)
        failures.push(`worker-killed: the job ended ${ended.status} (${ended.exit_code}), want failed (4)`);
      return `API back ${seconds(backMs)} after SIGKILL; job re-attached (pid ${running.pid}), exit ${ended.exit_code}`;
    },
  },
];

export async function resilienceCheck(_profile: Profile, scope: Scope): Promise<CheckResult> {
  const failures: string[] = [];
  const server = await scope.start(scope.newHome());
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    const started = Date.now();
    let figure: string;
    try {
      figure = await scenario.run(server, scope, failures);
    } catch (err) {
      figure = 'aborted';
      failures.push(`${scenario.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const health = await api(server.baseUrl, server.token, 'GET', '/api/health').catch(() => null);
    if (health?.status !== 200) failures.push(`${scenario.id}: the server no longer answers /api/health`);
    rows.push([scenario.id, figure, seconds(Date.now() - started)]);
  }
  log(table(['scenario', 'result', 'duration'], rows));
  return {
    ok: failures.length === 0,
    figures: rows.map(([id, figure]) => `${id}: ${figure}`).join('; '),
    failures,
  };
}
