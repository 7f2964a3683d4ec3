/**
 * Crash: concurrent clients submit jobs with Idempotency-Keys while the server is SIGKILLed at a
 * seeded random moment and restarted. Every acknowledged submit must exist exactly once afterwards;
 * retries of un-acknowledged submits (same key) must not duplicate; the database must pass
 * PRAGMA integrity_check.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CheckResult, Profile } from './profile';
import { allPages, api, log, pauseScheduler, prng, Scope, seconds, Server, sleep, table } from './harness';

interface Ack {
  queueId: string;
  attempts: number;
  submittedAt: string;
}

export async function crashCheck(profile: Profile, scope: Scope, seed: number): Promise<CheckResult> {
  const failures: string[] = [];
  const { submits, clients } = profile.crash;
  const rand = prng(seed);
  // Kill somewhere between 20 % and 70 % of the way, a few milliseconds after that ack arrives.
  const killAfterAcks = Math.floor(submits * (0.2 + 0.5 * rand()));
  const killDelayMs = Math.floor(rand() * 25);
  log(
    `  seed ${seed}: ${submits} submits from ${clients} clients; SIGKILL after ack #${killAfterAcks} + ${killDelayMs} ms`,
  );

  const home = scope.newHome();
  let server: Server = await scope.start(home);
  // No processes: this measures the durability of acknowledged writes, not the launcher.
  await pauseScheduler(server);

  // Set once the crash is triggered; resolves when the restarted server is up.
  const crash: { restarted: Promise<void> | null } = { restarted: null };
  let crashedAt = 0;
  let inFlightAtKill = 0;
  let downMs = 0;
  let inFlight = 0;
  let acked = 0;
  let transportErrors = 0;
  let spontaneousErrors = 0;
  const acks = new Map<string, Ack>();
  const keys: string[] = [];

  const triggerCrash = () => {
    crash.restarted = (async () => {
      await sleep(killDelayMs);
      inFlightAtKill = inFlight;
      crashedAt = Date.now();
      await scope.crash(server);
      const down = Date.now();
      server = await scope.start(home);
      downMs = Date.now() - down;
    })();
  };

  const submitOnce = async (key: string): Promise<'retry' | 'done'> => {
    const target = server;
    inFlight += 1;
    try {
      const answer = await api(
        target.baseUrl,
        target.token,
        'POST',
        '/api/queue',
        { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] }, name: key },
        { 'Idempotency-Key': key },
      );
      if (answer.status >= 200 && answer.status < 300) {
        const previous = acks.get(key);
        acks.set(key, {
          queueId: answer.json.queue_id,
          attempts: (previous?.attempts ?? 0) + 1,
          submittedAt: answer.json.submitted_at,
        });
        acked += 1;
        if (acked === killAfterAcks && !crash.restarted) triggerCrash();
        return 'done';
      }
      failures.push(`submit ${key} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      return 'done';
    } catch (err) {
      transportErrors += 1;
      if (crash.restarted) {
        await crash.restarted;
      } else {
        // Not our crash: the server dropped a request on its own. That is a finding, but keep going.
        spontaneousErrors += 1;
        failures.push(`submit ${key} failed without a crash: ${String(err)}`);
        await sleep(200);
      }
      return 'retry';
    } finally {
      inFlight -= 1;
    }
  };

  const retriedKeys = new Set<string>();
  const client = async (c: number) => {
    for (let i = c; i < submits; i += clients) {
      const key = `crash-${seed}-${String(c).padStart(2, '0')}-${String(i).padStart(5, '0')}`;
      keys.push(key);
      for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) retriedKeys.add(key);
        if ((await submitOnce(key)) === 'done') break;
      }
    }
  };

  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const submitMs = Date.now() - started;
  if (!crash.restarted)
    failures.push(`the crash never happened (${acked} acks, kill planned after ${killAfterAcks})`);
  else await crash.restarted;

  // Idempotent replays of already acknowledged submits: same item back, nothing new.
  const sample = [...acks.keys()].filter(() => rand() < 50 / submits).slice(0, 50);
  let replayMismatches = 0;
  for (const key of sample) {
    const answer = await api(
      server.baseUrl,
      server.token,
      'POST',
      '/api/queue',
      { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] }, name: key },
      { 'Idempotency-Key': key },
    );
    if (answer.status !== 201 || answer.json?.queue_id !== acks.get(key)!.queueId) {
      replayMismatches += 1;
      failures.push(
        `replay of ${key}: ${answer.status} ${answer.json?.queue_id} ≠ ${acks.get(key)!.queueId}`,
      );
    }
  }

  const scheduler = (await api(server.baseUrl, server.token, 'GET', '/api/queue/scheduler')).json;
  if (scheduler?.enabled !== false) failures.push('the paused scheduler came back enabled after the crash');

  // Through the API: every acknowledged item is queued exactly once.
  const listed = await allPages(server, '/api/queue');
  const listedCount = new Map<string, number>();
  for (const item of listed) listedCount.set(item.queue_id, (listedCount.get(item.queue_id) ?? 0) + 1);
  const apiMissing = [...acks.values()].filter((a) => !listedCount.has(a.queueId)).length;
  const apiDuplicates = [...listedCount.values()].filter((n) => n > 1).length;

  await scope.stop(server);

  // And in the database file itself.
  const db = new Database(join(home, 'trainyard.db'), { readonly: true, fileMustExist: true });
  let integrity = '';
  let dbRows = 0;
  let lost = 0;
  let duplicated = 0;
  let wrongId = 0;
  let journalMismatch = 0;
  try {
    integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .join('; ');
    const rows = db.prepare('SELECT id, idempotency_key FROM jobs').all() as Array<{
      id: string;
      idempotency_key: string | null;
    }>;
    dbRows = rows.length;
    const byKey = new Map<string, string[]>();
    for (const row of rows) {
      const list = byKey.get(row.idempotency_key ?? '(none)') ?? [];
      list.push(row.id);
      byKey.set(row.idempotency_key ?? '(none)', list);
    }
    for (const [key, ack] of acks) {
      const ids = byKey.get(key) ?? [];
      if (ids.length === 0) lost += 1;
      else if (ids.length > 1) duplicated += 1;
      else if (ids[0] !== ack.queueId) wrongId += 1;
    }
    const queuedEntries = db
      .prepare(
        "SELECT json_extract(payload, '$.queue_id') AS id, count(*) AS n FROM journal WHERE type IN ('job.queued.v1', 'job.queued.v2') GROUP BY 1",
      )
      .all() as Array<{ id: string; n: number }>;
    const journalIds = new Map(queuedEntries.map((e) => [e.id, e.n]));
    for (const row of rows) if (journalIds.get(row.id) !== 1) journalMismatch += 1;
    if (queuedEntries.length !== rows.length) journalMismatch += Math.abs(queuedEntries.length - rows.length);
  } finally {
    db.close();
  }

  const unacked = keys.length - acks.size;
  const replayedAfterCrash = [...retriedKeys].filter((k) => {
    const ack = acks.get(k);
    return ack && Date.parse(ack.submittedAt) < crashedAt;
  }).length;
  const retried = retriedKeys.size;

  if (integrity !== 'ok') failures.push(`PRAGMA integrity_check: ${integrity}`);
  if (unacked > 0) failures.push(`${unacked} submits were never acknowledged, even after retries`);
  if (lost > 0) failures.push(`${lost} acknowledged submits are missing from the database`);
  if (duplicated > 0) failures.push(`${duplicated} idempotency keys have more than one job`);
  if (wrongId > 0) failures.push(`${wrongId} keys map to a different job than the one acknowledged`);
  if (dbRows !== keys.length)
    failures.push(`${dbRows} jobs in the database for ${keys.length} distinct keys`);
  if (apiMissing > 0) failures.push(`${apiMissing} acknowledged items missing from GET /api/queue`);
  if (apiDuplicates > 0) failures.push(`${apiDuplicates} items listed twice by GET /api/queue`);
  if (journalMismatch > 0)
    failures.push(`${journalMismatch} jobs without exactly one job.queued journal entry`);

  log(
    table(
      ['figure', 'value'],
      [
        ['seed', seed],
        ['submits (distinct Idempotency-Keys)', keys.length],
        ['acknowledged (2xx)', acks.size],
        ['killed after ack #', `${killAfterAcks} (+${killDelayMs} ms), ${inFlightAtKill} requests in flight`],
        ['server down → banner again', seconds(downMs)],
        ['transport errors seen by clients', `${transportErrors} (${spontaneousErrors} without a crash)`],
        [
          're-sent after restart (same key)',
          `${retried} (${replayedAfterCrash} had committed before the kill → original returned)`,
        ],
        ['replays of acknowledged keys', `${sample.length} (${replayMismatches} mismatches)`],
        ['jobs in database / via GET /api/queue', `${dbRows} / ${listed.length}`],
        ['lost / duplicated / wrong id', `${lost} / ${duplicated} / ${wrongId}`],
        ['PRAGMA integrity_check', integrity],
        ['submit phase', seconds(submitMs)],
      ],
    ),
  );

  return {
    ok: failures.length === 0,
    figures: `seed ${seed}; ${acks.size}/${keys.length} acked, killed at #${killAfterAcks} with ${inFlightAtKill} in flight; ${retried} re-sent; lost ${lost}, dup ${duplicated}; integrity ${integrity}`,
    failures,
  };
}
