/**
 * Disk full: the server's state directory is a small real tmpfs. Acknowledged submits, then the
 * filesystem is filled: submits may still be acknowledged while they fit in room SQLite already has
 * (its WAL file, reused after each checkpoint — such rows must then be as durable as any), but once
 * one is refused (507 STATE_DIR_FULL, nothing saved) every later one must be too, and a job that
 * ends meanwhile must keep its place (still active) rather than kill the server. Space is
 * freed: submits succeed again, the job gets its real end, and every acknowledged row is visible to
 * a second SQLite connection and survives a SIGKILL + restart.
 */
import Database from 'better-sqlite3';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountTmpfs, tmpfsUnavailable } from '../support/tmpfs';
import { CheckResult, Profile } from './profile';
import {
  allPages,
  api,
  log,
  Scope,
  seconds,
  Server,
  submitCommand,
  table,
  until,
  waitForStatus,
} from './harness';

export async function diskFullCheck(profile: Profile, scope: Scope): Promise<CheckResult> {
  const unavailable = tmpfsUnavailable();
  if (unavailable) {
    log(`  SKIPPED: ${unavailable}`);
    return { ok: true, figures: `skipped: ${unavailable}`, failures: [] };
  }
  const failures: string[] = [];
  const { submits } = profile.diskFull;
  const tmpfs = mountTmpfs('16m');
  const home = tmpfs.dir;
  let server: Server | null = null;
  const acked = new Set<string>();
  const submit = async (name: string, bulky: boolean) => {
    const answer = await api(server!.baseUrl, server!.token, 'POST', '/api/queue', {
      job_type: 'command',
      requested_gpus: 0,
      job_params: { argv: ['true'] },
      name,
      // A large env so every submit needs fresh pages, whatever the WAL already holds.
      env: bulky ? { BLOB: 'x'.repeat(100_000) } : {},
    });
    if (answer.status === 201) acked.add(answer.json.queue_id);
    return answer;
  };
  try {
    server = await scope.start(home);
    for (let i = 0; i < submits; i++) {
      const answer = await submit(`before-${i}`, false);
      if (answer.status !== 201) failures.push(`submit before the fill: ${answer.status} ${answer.text}`);
    }
    const gate = join(scope.newHome(), 'gate');
    const job = await submitCommand(
      server,
      'echo up; n=0; while [ ! -e "$GATE" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; exit 5',
      { env: { GATE: gate } },
    );
    await waitForStatus(server, job, ['running'], 30_000);
    // The `true` jobs run and end first: on the full disk only our job is left to end.
    await until(
      async () => {
        const state = (await api(server!.baseUrl, server!.token, 'GET', '/api/queue/scheduler')).json;
        return state?.queued_count === 0 && state?.running_count === 1;
      },
      'only the test job to be running',
      30_000,
    );

    const filler = tmpfs.fill();
    // Each bulky submit needs ~100 KiB; the 16 MiB file system cannot take more than ~160 of them.
    let fitted = 0;
    let refused = 0;
    for (let i = 0; refused < submits && i < submits + 200; i++) {
      const answer = await submit(`full-${i}`, true);
      if (answer.status === 507 && answer.json?.code === 'STATE_DIR_FULL') refused += 1;
      else if (answer.status === 201 && refused === 0) fitted += 1;
      else failures.push(`submit on a full disk: ${answer.status} ${answer.text.slice(0, 200)} (want 507)`);
    }
    if (refused < submits)
      failures.push(`only ${refused} submits refused on the full disk (want ${submits})`);
    // The job ends while the disk is full: unless SQLite finds room in the WAL it already has, its
    // end cannot be saved yet, so it stays active (retried); either way the server stays up.
    writeFileSync(gate, '');
    await new Promise((r) => setTimeout(r, 2000));
    const whileFull = await api(server.baseUrl, server.token, 'GET', `/api/jobs/${job}`);
    const statusWhileFull = String(whileFull.json?.status);
    if (whileFull.status !== 200 || !['running', 'failed'].includes(statusWhileFull))
      failures.push(`the job while the disk is full: ${whileFull.status} ${whileFull.text.slice(0, 200)}`);

    rmSync(filler);
    const freedAt = Date.now();
    for (let i = 0; i < submits; i++) {
      const answer = await submit(`after-${i}`, true);
      if (answer.status !== 201) failures.push(`submit after freeing space: ${answer.status} ${answer.text}`);
    }
    const ended = await waitForStatus(server, job, ['done', 'failed', 'aborted'], 30_000);
    const endRecordedMs = Date.now() - freedAt;
    if (ended.status !== 'failed' || ended.exit_code !== 5)
      failures.push(`the job ended as ${ended.status} (${ended.exit_code}), want failed (5)`);
    acked.add(job);

    const countRows = () => {
      const db = new Database(join(home, 'trainyard.db'), { readonly: true, fileMustExist: true });
      try {
        const ids = (db.prepare('SELECT id FROM jobs').all() as Array<{ id: string }>).map((r) => r.id);
        const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)
          .map((r) => r.integrity_check)
          .join('; ');
        return { missing: [...acked].filter((id) => !ids.includes(id)).length, integrity };
      } finally {
        db.close();
      }
    };
    const live = countRows();
    if (live.missing > 0) failures.push(`${live.missing} acknowledged rows invisible to a second connection`);

    await scope.crash(server);
    server = await scope.start(home);
    const listed = new Set((await allPages(server, '/api/jobs')).map((j) => j.queue_id as string));
    const lostAfterRestart = [...acked].filter((id) => !listed.has(id)).length;
    if (lostAfterRestart > 0) failures.push(`${lostAfterRestart} acknowledged jobs lost across a restart`);
    await scope.stop(server);
    server = null;
    const after = countRows();
    if (after.integrity !== 'ok') failures.push(`PRAGMA integrity_check: ${after.integrity}`);

    log(
      table(
        ['figure', 'value'],
        [
          ['acknowledged submits', acked.size - 1],
          ['acknowledged on the full disk (room SQLite had) before the first 507', fitted],
          ['refused on the full disk after that (507 STATE_DIR_FULL)', `${refused}/${submits}`],
          [
            'job ended while full: status then → end recorded after freeing',
            `${statusWhileFull} → ${seconds(endRecordedMs)}`,
          ],
          ['invisible to a 2nd connection / lost across SIGKILL', `${live.missing} / ${lostAfterRestart}`],
          ['PRAGMA integrity_check', after.integrity],
        ],
      ),
    );
    return {
      ok: failures.length === 0,
      figures: `${fitted} fitted, then ${refused}/${submits} refused with 507; ${acked.size} acked, ${live.missing} invisible, ${lostAfterRestart} lost; job end recorded ${seconds(endRecordedMs)} after freeing`,
      failures,
    };
  } finally {
    if (server) await scope.stop(server);
    tmpfs.unmount();
  }
}
