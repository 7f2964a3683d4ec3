/**
 * Crash resilience of the launcher: jobs whose environment, argv or working directory make their
 * launch fail (PATH=/nonexistent, SHELL=/bin/false, LD_PRELOAD of a missing library, a cwd replaced
 * by a file after submit...) are submitted together. Each must settle with its own outcome and
 * reason, while the same worker process keeps serving (no crash, no restart) and the next job runs.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckResult, Profile } from './profile';
import { api, isAlive, log, pauseScheduler, Scope, seconds, Server, table, waitForStatus } from './harness';

interface Case {
  name: string;
  body: Record<string, unknown>;
  status: 'done' | 'failed';
  /** The job's `error`, exactly (null for a clean exit). */
  error: string | null;
}

export async function launchCheck(_profile: Profile, scope: Scope): Promise<CheckResult> {
  const failures: string[] = [];
  const home = scope.newHome();
  const server: Server = await scope.start(home);
  const health = async () => (await api(server.baseUrl, server.token, 'GET', '/api/health')).json?.started_at;
  const startedAt = await health();

  const work = join(home, 'work');
  mkdirSync(work);
  const notExecutable = join(work, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\n');
  chmodSync(notExecutable, 0o644);
  const vanishing = join(work, 'vanishing');
  mkdirSync(vanishing);
  const replaced = join(work, 'replaced');
  mkdirSync(replaced);

  const command = (argv: string[], extra: Record<string, unknown> = {}) => ({
    job_type: 'command',
    requested_gpus: 0,
    job_params: { argv },
    cwd: work,
    ...extra,
  });
  const ran = { status: 'done' as const, error: null };
  const cases: Case[] = [
    {
      name: 'PATH=/nonexistent',
      body: command(['true'], { env: { PATH: '/nonexistent' } }),
      status: 'failed',
      error: 'command not found: true',
    },
    {
      name: 'PATH empty',
      body: command(['true'], { env: { PATH: '' } }),
      status: 'failed',
      error: 'command not found: true',
    },
    { name: 'SHELL=/bin/false', body: command(['true'], { env: { SHELL: '/bin/false' } }), ...ran },
    {
      name: 'LD_PRELOAD missing',
      body: command(['/bin/true'], { env: { LD_PRELOAD: '/nonexistent/lib.so' } }),
      ...ran,
    },
    {
      name: 'IFS, ENV, BASH_ENV',
      body: command(['/bin/true'], { env: { IFS: '/', ENV: '/x', BASH_ENV: '/x' } }),
      ...ran,
    },
    {
      name: 'argv[0] missing',
      body: command(['/nonexistent/bin']),
      status: 'failed',
      // A path to no file: as a shell says it (a bare name not on PATH is "command not found").
      error: 'cannot run /nonexistent/bin: No such file or directory',
    },
    {
      name: 'argv[0] not executable',
      body: command([notExecutable]),
      status: 'failed',
      error: `cannot execute ${notExecutable}: Permission denied`,
    },
    {
      name: 'cwd removed after submit',
      body: command(['true'], { cwd: vanishing }),
      status: 'failed',
      error: `launch failed: working directory ${vanishing} does not exist`,
    },
    {
      name: 'cwd became a file after submit',
      body: command(['true'], { cwd: replaced }),
      status: 'failed',
      error: `launch failed: working directory ${replaced} is not a directory`,
    },
  ];

  // All queued first, the working directories broken, then launched together.
  await pauseScheduler(server);
  const ids: string[] = [];
  for (const c of cases) {
    const answer = await api(server.baseUrl, server.token, 'POST', '/api/queue', c.body);
    if (answer.status !== 201) throw new Error(`submit "${c.name}": ${answer.status} ${answer.text}`);
    ids.push(answer.json.queue_id);
  }
  rmSync(vanishing, { recursive: true });
  rmSync(replaced, { recursive: true });
  writeFileSync(replaced, '');
  const started = Date.now();
  await api(server.baseUrl, server.token, 'POST', '/api/queue/scheduler', { enabled: true });

  const rows: Array<Array<string | number>> = [];
  for (const [i, c] of cases.entries()) {
    const job = await waitForStatus(server, ids[i], ['done', 'failed', 'aborted'], 30_000).catch(
      (err: Error) => ({ status: `unsettled (${err.message})`, error: null }),
    );
    const ok = job.status === c.status && job.error === c.error;
    if (!ok) failures.push(`${c.name}: ${job.status} "${job.error}", expected ${c.status} "${c.error}"`);
    rows.push([c.name, `${job.status}${job.error ? `: ${job.error}` : ''}`, ok ? 'ok' : 'WRONG']);
  }
  const settleMs = Date.now() - started;

  const workerAlive = isAlive(server.workerPid);
  if (!workerAlive) failures.push(`the worker (pid ${server.workerPid}) died`);
  const restarted = workerAlive && (await health()) !== startedAt;
  if (restarted) failures.push('the server restarted meanwhile');
  const after = await api(server.baseUrl, server.token, 'POST', '/api/queue', command(['true']));
  const next =
    after.status === 201
      ? await waitForStatus(server, after.json.queue_id, ['done', 'failed'], 30_000)
      : null;
  if (next?.status !== 'done')
    failures.push(`the next job did not run: ${after.status} ${next?.status} ${next?.error}`);

  log(table(['case', 'outcome', 'as expected'], rows));
  log(
    `  all settled in ${seconds(settleMs)}; worker ${server.workerPid} ${workerAlive ? 'alive' : 'DEAD'}, restarted: ${restarted}`,
  );
  await scope.stop(server);
  return {
    ok: failures.length === 0,
    figures: `${rows.filter((r) => r[2] === 'ok').length}/${cases.length} hostile launches settled as expected; same worker: ${workerAlive && !restarted}`,
    failures,
  };
}
