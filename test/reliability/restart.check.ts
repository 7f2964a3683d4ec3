/**
 * Restart: running jobs (fake GPUs and GPU-less) across a server SIGKILL. While the server is down
 * some jobs finish (various exit codes), some keep running, and some are SIGKILLed from outside
 * with their whole process tree. After the restart each must come back right: finished → done or
 * failed with its own code ("ended while the server was down"); still running → running (same pid,
 * same GPUs), then its real code; killed → failed with a reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckResult, Profile } from './profile';
import {
  api,
  getJob,
  isAlive,
  jobProcesses,
  log,
  Scope,
  seconds,
  signalAll,
  submitCommand,
  table,
  until,
  waitForStatus,
} from './harness';

type Kind = 'finishes-while-down' | 'outlives-restart' | 'killed-while-down';

interface Planned {
  kind: Kind;
  code: number | null;
  gpus: number;
  id?: string;
  pid?: number;
  gpuIndices?: number[];
  afterRestart?: any;
  final?: any;
}

/** Bounded waits: every job script gives up by itself after ~5 minutes. */
const waitForGate = (exitCode: number) =>
  `echo up; n=0; while [ ! -e "$GATE" ] && [ $n -lt 3000 ]; do sleep 0.1; n=$((n+1)); done; echo leaving; exit ${exitCode}`;
const RUN_UNTIL_KILLED = 'echo up; n=0; while [ $n -lt 3000 ]; do sleep 0.1; n=$((n+1)); done; exit 99';

export async function restartCheck(profile: Profile, scope: Scope): Promise<CheckResult> {
  const failures: string[] = [];
  const { jobs: total, fakeGpus } = profile.restart;
  const finishing = Math.ceil(total * 0.4);
  const outliving = Math.floor((total - finishing) / 2);
  const killed = total - finishing - outliving;
  const byKind: Planned[][] = [
    Array.from({ length: finishing }, (_, i) => ({
      kind: 'finishes-while-down',
      code: [0, 1, 7, 42][i % 4],
      gpus: 0,
    })),
    Array.from({ length: outliving }, (_, i) => ({
      kind: 'outlives-restart',
      code: [0, 3, 42][i % 3],
      gpus: 0,
    })),
    Array.from({ length: killed }, () => ({ kind: 'killed-while-down', code: null, gpus: 0 })),
  ];
  // Interleave the kinds so that the GPU jobs (the first `fakeGpus`) cover every kind.
  const plan: Planned[] = [];
  for (let i = 0; plan.length < total; i++) for (const list of byKind) if (list[i]) plan.push(list[i]);
  plan.slice(0, fakeGpus).forEach((p) => (p.gpus = 1));

  const home = scope.newHome();
  const gates = join(home, 'gates');
  mkdirSync(gates);
  const finishGate = join(gates, 'finish');
  const outliveGate = join(gates, 'outlive');
  const args = ['--fake-gpus', String(fakeGpus)];

  const first = await scope.start(home, args);
  for (const p of plan) {
    const script = p.kind === 'killed-while-down' ? RUN_UNTIL_KILLED : waitForGate(p.code!);
    const gate = p.kind === 'finishes-while-down' ? finishGate : outliveGate;
    p.id = await submitCommand(first, script, {
      requested_gpus: p.gpus,
      name: `restart ${p.kind}`,
      env: { GATE: gate },
    });
  }
  for (const p of plan) {
    const job = await waitForStatus(first, p.id!, ['running'], 60_000);
    p.pid = job.pid;
    p.gpuIndices = job.gpu_indices;
    scope.trackJob(job.pid);
    await until(
      async () => /up/.test((await api(first.baseUrl, first.token, 'GET', `/api/jobs/${p.id}/tty`)).text),
      `${p.id} to print "up"`,
      30_000,
      100,
    );
  }
  log(`  ${total} jobs running (${plan.filter((p) => p.gpus).length} on fake GPUs); SIGKILL the server`);
  await scope.crash(first);

  // While the server is down: release the finishing jobs, kill the others from outside.
  const downAt = Date.now();
  writeFileSync(finishGate, '');
  let signalled = 0;
  for (const p of plan.filter((q) => q.kind === 'killed-while-down')) {
    signalled += signalAll(jobProcesses(p.pid!), 'SIGKILL').length;
  }
  const gone = plan.filter((p) => p.kind !== 'outlives-restart');
  await until(() => gone.every((p) => !isAlive(p.pid!)), 'finished and killed jobs to be gone', 60_000, 100);
  const stillAlive = plan.filter((p) => p.kind === 'outlives-restart' && !isAlive(p.pid!));
  if (stillAlive.length)
    failures.push(`${stillAlive.length} jobs that should outlive the restart died while the server was down`);
  log(
    `  while down: ${finishing} jobs finished, ${killed} killed (${signalled} processes SIGKILLed) in ${seconds(Date.now() - downAt)}`,
  );

  const second = await scope.start(home, args);
  const settleStarted = Date.now();
  const expectedAfterRestart = (p: Planned) =>
    p.kind === 'outlives-restart'
      ? 'running'
      : p.kind === 'killed-while-down' || p.code !== 0
        ? 'failed'
        : 'done';
  for (const p of plan) {
    try {
      p.afterRestart = await waitForStatus(second, p.id!, [expectedAfterRestart(p)], 20_000);
    } catch {
      p.afterRestart = await getJob(second, p.id!);
    }
  }
  const settleMs = Date.now() - settleStarted;

  const gpuView = (await api(second.baseUrl, second.token, 'GET', '/api/gpus')).json;
  for (const p of plan) {
    const job = p.afterRestart;
    const where = `${p.id} (${p.kind}, exit ${p.code})`;
    if (job.status !== expectedAfterRestart(p)) {
      failures.push(
        `${where}: ${job.status} after restart, expected ${expectedAfterRestart(p)} (error: ${job.error})`,
      );
      continue;
    }
    if (p.kind === 'finishes-while-down') {
      if (job.exit_code !== p.code) failures.push(`${where}: exit_code ${job.exit_code}`);
      if (p.code !== 0 && !String(job.error).includes('ended while the server was down')) {
        failures.push(`${where}: error "${job.error}" does not say it ended while the server was down`);
      }
    } else if (p.kind === 'killed-while-down') {
      // Its monitor SIGKILLed before its command: the launcher (their subreaper, which outlives its
      // worker while it has jobs) records how the command died — by the test's SIGKILL, or by the
      // SIGHUP of its terminal going with the monitor. The command first: nothing records it.
      const recorded =
        [129, 137].includes(job.exit_code) &&
        job.error.startsWith(`killed by signal ${job.exit_code - 128} `);
      const lost = job.exit_code === null && /left no exit status/.test(job.error);
      if (!recorded && !lost)
        failures.push(
          `${where}: exit_code ${job.exit_code} (${job.error}), expected 137 (SIGKILL), 129 (SIGHUP) or none`,
        );
    } else {
      if (job.pid !== p.pid) failures.push(`${where}: pid ${job.pid}, was ${p.pid}`);
      if (JSON.stringify(job.gpu_indices) !== JSON.stringify(p.gpuIndices)) {
        failures.push(
          `${where}: GPUs ${JSON.stringify(job.gpu_indices)}, were ${JSON.stringify(p.gpuIndices)}`,
        );
      }
      for (const index of p.gpuIndices ?? []) {
        const gpu = gpuView?.gpus?.find((g: any) => g.index === index);
        if (gpu?.reserved_by !== p.id)
          failures.push(`${where}: GPU ${index} reserved by ${gpu?.reserved_by}, not the job`);
      }
    }
  }

  // Let the re-attached jobs end: their real exit codes must be recorded.
  writeFileSync(outliveGate, '');
  for (const p of plan) {
    if (p.kind !== 'outlives-restart') {
      p.final = p.afterRestart;
      continue;
    }
    const expected = p.code === 0 ? 'done' : 'failed';
    try {
      p.final = await waitForStatus(second, p.id!, [expected], 60_000);
    } catch {
      p.final = await getJob(second, p.id!);
    }
    const where = `${p.id} (${p.kind}, exit ${p.code})`;
    if (p.final.status !== expected || p.final.exit_code !== p.code) {
      failures.push(
        `${where}: ended ${p.final.status} with ${p.final.exit_code}, expected ${expected} with ${p.code}`,
      );
    } else if (p.code !== 0 && p.final.error !== `exited with code ${p.code}`) {
      failures.push(`${where}: error "${p.final.error}"`);
    }
  }

  // One job.finished journal entry per job, no more.
  const journal = (await api(second.baseUrl, second.token, 'GET', '/api/journal?limit=1000')).json;
  const finishedEntries = new Map<string, number>();
  for (const e of journal?.items ?? []) {
    if (e.type === 'job.finished.v1')
      finishedEntries.set(e.payload.queue_id, (finishedEntries.get(e.payload.queue_id) ?? 0) + 1);
  }
  const badJournal = plan.filter((p) => finishedEntries.get(p.id!) !== 1);
  if (badJournal.length)
    failures.push(`${badJournal.length} jobs without exactly one job.finished journal entry`);
  const leftovers = plan.filter((p) => isAlive(p.pid!));
  if (leftovers.length) failures.push(`${leftovers.length} job processes still alive at the end`);

  log(
    table(
      ['job', 'kind', 'GPUs', 'planned exit', 'after restart', 'final', 'exit_code', 'error'],
      plan.map((p) => [
        p.id!,
        p.kind,
        JSON.stringify(p.gpuIndices ?? []),
        p.code === null ? 'SIGKILL' : p.code,
        p.afterRestart?.status ?? '?',
        p.final?.status ?? '?',
        String(p.final?.exit_code ?? 'null'),
        p.final?.error ?? '',
      ]),
    ),
  );
  log(`  statuses settled ${seconds(settleMs)} after the restart banner`);

  const ok = failures.length === 0;
  const good = plan.filter((p) => !failures.some((f) => f.startsWith(p.id!))).length;
  return {
    ok,
    figures: `${total} jobs (${plan.filter((p) => p.gpus).length} on GPUs): ${finishing} ended while down, ${outliving} re-attached, ${killed} killed; ${good}/${total} right`,
    failures,
  };
}
