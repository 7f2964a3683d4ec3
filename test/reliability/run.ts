/**
 * The reliability and security suite: crash, hostile launches, restart, malformed input, auth matrix, load.
 *
 *   npm run test:reliability                                  # builds the server, full profile
 *   TRAINYARD_RELIABILITY_PROFILE=reduced npm run test:reliability   # what CI runs
 *
 * Environment: TRAINYARD_RELIABILITY_PROFILE (full | reduced), TRAINYARD_RELIABILITY_CHECKS
 * (comma-separated subset: crash,launch,restart,disk-full,resilience,malformed,auth,load), TRAINYARD_RELIABILITY_SEED (replay a
 * crash run), TRAINYARD_RELIABILITY_KEEP=1 (keep the state directories of failed checks).
 *
 * Prints one section per check, a summary table, and a last line `N passed, M failed`; exits
 * non-zero when any check fails.
 */
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { authMatrixCheck } from './auth-matrix.check';
import { crashCheck } from './crash.check';
import { diskFullCheck } from './disk-full.check';
import { launchCheck } from './launch.check';
import { log, Scope, SERVER_MAIN, seconds, table } from './harness';
import { loadCheck } from './load.check';
import { malformedInputCheck } from './malformed-input.check';
import { CheckResult, Profile, selectProfile } from './profile';
import { resilienceCheck } from './resilience.check';
import { restartCheck } from './restart.check';

interface Check {
  id: string;
  title: string;
  timeoutMs: (p: Profile) => number;
  run: (p: Profile, scope: Scope, seed: number) => Promise<CheckResult>;
}

const CHECKS: Check[] = [
  {
    id: 'crash',
    title: 'Crash: SIGKILL during concurrent submits',
    timeoutMs: () => 10 * 60_000,
    run: crashCheck,
  },
  {
    id: 'launch',
    title: 'Crash resilience: hostile job launches',
    timeoutMs: () => 3 * 60_000,
    run: launchCheck,
  },
  {
    id: 'restart',
    title: 'Restart: jobs across a server SIGKILL',
    timeoutMs: () => 6 * 60_000,
    run: restartCheck,
  },
  {
    id: 'disk-full',
    title: 'Disk full: writes refused (507) or durable, job end kept',
    timeoutMs: () => 4 * 60_000,
    run: diskFullCheck,
  },
  {
    id: 'resilience',
    title: 'Crash resilience: SQLITE_BUSY at job end, worker SIGKILL',
    timeoutMs: () => 4 * 60_000,
    run: resilienceCheck,
  },
  {
    id: 'malformed',
    title: 'Malformed input, every operation',
    timeoutMs: () => 15 * 60_000,
    run: malformedInputCheck,
  },
  {
    id: 'auth',
    title: 'Auth matrix, every route × credential',
    timeoutMs: () => 8 * 60_000,
    run: authMatrixCheck,
  },
  {
    id: 'load',
    title: 'Load: log followers + mixed reads',
    timeoutMs: (p) => p.load.seconds * 1000 + 6 * 60_000,
    run: loadCheck,
  },
];

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${seconds(timeoutMs)}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const profile = selectProfile(process.env.TRAINYARD_RELIABILITY_PROFILE);
  const only = (process.env.TRAINYARD_RELIABILITY_CHECKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknown.length)
    throw new Error(`unknown check(s) ${unknown.join(', ')}; known: ${CHECKS.map((c) => c.id).join(', ')}`);
  const seed = process.env.TRAINYARD_RELIABILITY_SEED
    ? Number(process.env.TRAINYARD_RELIABILITY_SEED) >>> 0
    : Math.floor(Math.random() * 2 ** 32);
  const keep = process.env.TRAINYARD_RELIABILITY_KEEP === '1';
  if (!existsSync(SERVER_MAIN))
    throw new Error(`${SERVER_MAIN} is missing: build the server first (npm run build)`);

  log(`Trainyard reliability suite — profile ${profile.name}, seed ${seed}`);
  log(
    `${new Date().toISOString()} · node ${process.version} · ${cpus().length} cores · load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const results: Array<{ check: Check; result: CheckResult; durationMs: number }> = [];
  for (const check of CHECKS.filter((c) => only.length === 0 || only.includes(c.id))) {
    log();
    log(`## ${check.title} [${check.id}]`);
    const scope = new Scope(check.id);
    const started = Date.now();
    let result: CheckResult;
    try {
      result = await withTimeout(check.run(profile, scope, seed), check.timeoutMs(profile), check.id);
    } catch (err) {
      result = {
        ok: false,
        figures: 'aborted',
        failures: [err instanceof Error ? (err.stack ?? err.message) : String(err)],
      };
    }
    try {
      await scope.dispose(keep && !result.ok);
    } catch (err) {
      result.failures.push(`cleanup failed: ${String(err)}`);
    }
    const durationMs = Date.now() - started;
    for (const failure of result.failures) log(`  FAIL: ${failure}`);
    log(`  → ${result.ok ? 'PASS' : 'FAIL'} in ${seconds(durationMs)}`);
    results.push({ check, result, durationMs });
  }

  const passed = results.filter((r) => r.result.ok).length;
  const failed = results.length - passed;
  const total = results.reduce((sum, r) => sum + r.durationMs, 0);
  log();
  log(`## Summary (profile ${profile.name}, ${seconds(total)})`);
  log(
    table(
      ['check', 'result', 'key figures', 'duration'],
      results.map((r) => [
        r.check.id,
        r.result.ok ? 'pass' : 'FAIL',
        r.result.figures,
        seconds(r.durationMs),
      ]),
    ),
  );
  log(`${passed} passed, ${failed} failed`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

// A check that timed out may still reject later: report it, do not let it end the run.
process.on('unhandledRejection', (err) => log(`  (late error from an abandoned check: ${String(err)})`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const scope of Scope.all) scope.killAllNow();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    for (const scope of Scope.all) scope.killAllNow();
    log(`reliability suite error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    log('0 passed, 1 failed');
    process.exit(1);
  },
);
