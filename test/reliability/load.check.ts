/**
 * Load (loopback only, bounded in time and count): WebSocket log followers on a few running jobs
 * that print a numbered line every 100 ms, plus a token-bucket-paced mix of reads (GET /api/jobs,
 * /api/queue, /api/gpus, /api/jobs/{id}). No errors allowed: every read 200, every follower live,
 * no lost or repeated lines, and an end frame for every follower when the jobs are killed.
 * Prints latency percentiles, request counts and the worker's RSS.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { CheckResult, Profile } from './profile';
import {
  api,
  httpRequest,
  log,
  mib,
  ms,
  percentile,
  prng,
  rssKb,
  Scope,
  seconds,
  sleep,
  submitCommand,
  table,
  until,
  waitForStatus,
} from './harness';

interface Follower {
  job: string;
  ws: WebSocket;
  opened: boolean;
  lines: number;
  rest: string;
  last: number | null;
  lastAtLoadStart: number | null;
  lastAtLoadEnd: number | null;
  gaps: number;
  repeats: number;
  end: { type: string; status?: string; exit_code?: number | null } | null;
  closeCode: number | null;
  errors: string[];
}

function follow(url: string, token: string, job: string): Follower {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const f: Follower = {
    job,
    ws,
    opened: false,
    lines: 0,
    rest: '',
    last: null,
    lastAtLoadStart: null,
    lastAtLoadEnd: null,
    gaps: 0,
    repeats: 0,
    end: null,
    closeCode: null,
    errors: [],
  };
  ws.on('open', () => (f.opened = true));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      let frame: { type?: string; message?: string } = {};
      try {
        frame = JSON.parse(data.toString());
      } catch {
        f.errors.push(`text frame that is not JSON: ${data.toString().slice(0, 80)}`);
        return;
      }
      if (frame.type === 'end') f.end = frame as Follower['end'];
      else f.errors.push(`${frame.type} frame: ${frame.message}`);
      return;
    }
    const parts = (f.rest + data.toString('latin1')).split('\n');
    f.rest = parts.pop() ?? '';
    for (const part of parts) {
      const match = /tick (\d+)/.exec(part);
      if (!match) continue;
      const n = Number(match[1]);
      if (f.last !== null && n !== f.last + 1) {
        if (n <= f.last) f.repeats += 1;
        else f.gaps += n - f.last - 1;
      }
      f.last = n;
      f.lines += 1;
    }
  });
  ws.on('unexpected-response', (_req, res) => f.errors.push(`upgrade refused: ${res.statusCode}`));
  ws.on('error', (err) => f.errors.push(`socket error: ${err.message}`));
  ws.on('close', (code) => (f.closeCode = code));
  return f;
}

export async function loadCheck(profile: Profile, scope: Scope, seed: number): Promise<CheckResult> {
  const failures: string[] = [];
  const { seconds: duration, followers: followerCount, jobs: jobCount, readsPerSecond: rate } = profile.load;
  const rand = prng(seed ^ 0x5eed);
  const home = scope.newHome();
  const server = await scope.start(home, ['--fake-gpus', '2']);

  // A few finished jobs for the per-job reads, and the chatty ones the followers watch.
  const finished: string[] = [];
  for (let i = 0; i < 3; i++) finished.push(await submitCommand(server, `echo finished ${i}`));
  const maxTicks = (duration + 180) * 10; // bounded: each job ends by itself eventually
  const chatty: string[] = [];
  for (let i = 0; i < jobCount; i++) {
    const id = await submitCommand(
      server,
      `i=0; while [ $i -lt ${maxTicks} ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done`,
      { name: `load ${i}` },
    );
    chatty.push(id);
    scope.trackJob((await waitForStatus(server, id, ['running'], 60_000)).pid);
  }
  for (const id of finished) await waitForStatus(server, id, ['done'], 60_000);
  const rssIdle = rssKb(server.workerPid);

  // Followers, connected in batches.
  const wsBase = server.baseUrl.replace('http://', 'ws://');
  const followers: Follower[] = [];
  const connectStarted = Date.now();
  for (let i = 0; i < followerCount; i += 25) {
    const batch = Array.from({ length: Math.min(25, followerCount - i) }, (_, j) => {
      const job = chatty[(i + j) % chatty.length];
      return follow(`${wsBase}/api/jobs/${job}/tty?follow=true`, server.token, job);
    });
    followers.push(...batch);
    await until(
      () => batch.every((f) => f.opened || f.errors.length > 0),
      'a batch of followers to open',
      30_000,
    );
  }
  const connectMs = Date.now() - connectStarted;
  const notOpened = followers.filter((f) => !f.opened).length;
  if (notOpened) failures.push(`${notOpened} of ${followerCount} followers could not connect`);
  await until(
    () => followers.every((f) => f.last !== null || !f.opened),
    'every follower to see a line',
    30_000,
  );
  const rssFollowing = rssKb(server.workerPid);

  // Mixed reads, paced by a token bucket; bounded by count and by time.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 48 });
  const endpoints = [
    () => '/api/jobs',
    () => '/api/queue',
    () => '/api/gpus',
    () => `/api/jobs/${[...chatty, ...finished][Math.floor(rand() * (chatty.length + finished.length))]}`,
  ];
  const endpointNames = ['GET /api/jobs', 'GET /api/queue', 'GET /api/gpus', 'GET /api/jobs/{id}'];
  const latencies: number[][] = endpoints.map(() => []);
  const counts = endpoints.map(() => 0);
  const readErrors: string[] = [];
  let errorCount = 0;
  const total = rate * duration;
  const maxInFlight = 64;
  let sent = 0;
  let inFlight = 0;
  let tokens = 0;
  // Tokens the full bucket could not hold: requests not sent because 64 were still in flight.
  let droppedAtCap = 0;
  let droppedOther = 0;
  let peakRss = rssFollowing ?? 0;
  for (const f of followers) f.lastAtLoadStart = f.last;
  const started = performance.now();
  let lastRefill = started;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const filled = tokens + ((now - lastRefill) / 1000) * rate;
      if (filled > rate / 10 && now - started < duration * 1000) {
        if (inFlight >= maxInFlight) droppedAtCap += filled - rate / 10;
        else droppedOther += filled - rate / 10;
      }
      tokens = Math.min(rate / 10, filled);
      lastRefill = now;
      const expired = now - started >= duration * 1000;
      while (!expired && tokens >= 1 && inFlight < maxInFlight && sent < total) {
        tokens -= 1;
        sent += 1;
        inFlight += 1;
        const which = Math.floor(rand() * endpoints.length);
        const t0 = performance.now();
        httpRequest(server.baseUrl, {
          method: 'GET',
          path: endpoints[which](),
          headers: { authorization: `Bearer ${server.token}` },
          agent,
          timeoutMs: 15_000,
        })
          .then((answer) => {
            latencies[which].push(performance.now() - t0);
            counts[which] += 1;
            if (answer.status !== 200) {
              errorCount += 1;
              if (readErrors.length < 5)
                readErrors.push(`${endpointNames[which]}: ${answer.status} ${answer.text.slice(0, 120)}`);
            }
          })
          .catch((err: unknown) => {
            errorCount += 1;
            if (readErrors.length < 5) readErrors.push(`${endpointNames[which]}: ${String(err)}`);
          })
          .finally(() => (inFlight -= 1));
      }
      if ((expired || sent >= total) && inFlight === 0) {
        clearInterval(tick);
        clearInterval(sampler);
        resolve();
      }
      // Drain bound: stop waiting for stragglers 20 s after the window.
      if (now - started > duration * 1000 + 20_000) {
        clearInterval(tick);
        clearInterval(sampler);
        readErrors.push(`${inFlight} reads still unanswered 20 s after the window`);
        errorCount += inFlight;
        resolve();
      }
    }, 10);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssKb(server.workerPid) ?? 0)), 1000);
  });
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  for (const f of followers) f.lastAtLoadEnd = f.last;

  // Every follower must have stayed live through the window, at least half as fast as the best one
  // on the same job; no line may be lost or repeated.
  const advance = (f: Follower) => (f.lastAtLoadEnd ?? 0) - (f.lastAtLoadStart ?? 0);
  const bestByJob = new Map<string, number>();
  for (const f of followers) bestByJob.set(f.job, Math.max(bestByJob.get(f.job) ?? 0, advance(f)));
  const stalled = followers.filter(
    (f) => f.opened && (advance(f) < 1 || advance(f) < 0.5 * (bestByJob.get(f.job) ?? 0)),
  );
  const maxLag = Math.max(0, ...followers.map((f) => (bestByJob.get(f.job) ?? 0) - advance(f)));
  const gaps = followers.reduce((n, f) => n + f.gaps, 0);
  const repeats = followers.reduce((n, f) => n + f.repeats, 0);
  const lines = followers.reduce((n, f) => n + f.lines, 0);

  // End: force-kill the jobs; every follower gets its end frame and a normal close.
  for (const id of chatty)
    await api(server.baseUrl, server.token, 'POST', `/api/jobs/${id}/control/force-kill`);
  try {
    await until(() => followers.every((f) => f.closeCode !== null), 'every follower to be closed', 30_000);
  } catch (err) {
    failures.push(String(err));
  }
  const badEnd = followers.filter(
    (f) => f.end?.type !== 'end' || f.end.status !== 'aborted' || f.closeCode !== 1000,
  );
  for (const f of followers) if (f.closeCode === null) f.ws.terminate();
  await sleep(3000);
  const rssAfter = rssKb(server.workerPid);
  const health = await httpRequest(server.baseUrl, { method: 'GET', path: '/api/health' });

  const followerErrors = followers.flatMap((f) => f.errors);
  if (errorCount) failures.push(`${errorCount} failed reads, e.g. ${readErrors.join(' | ')}`);
  if (followerErrors.length)
    failures.push(`${followerErrors.length} follower errors, e.g. ${followerErrors.slice(0, 3).join(' | ')}`);
  if (gaps || repeats) failures.push(`followers lost ${gaps} and repeated ${repeats} lines`);
  if (stalled.length)
    failures.push(
      `${stalled.length} followers stalled (less than half the lines of the best follower of their job)`,
    );
  if (badEnd.length)
    failures.push(`${badEnd.length} followers ended without {type: end, status: aborted} and close 1000`);
  if (health.status !== 200) failures.push(`GET /api/health answered ${health.status} after the load`);

  const all = latencies.flat().sort((a, b) => a - b);
  const achieved = sent / elapsed;
  log(
    table(
      ['reads', 'count', 'p50', 'p99', 'max'],
      [
        ...endpointNames.map((name, i) => {
          const sorted = latencies[i].sort((a, b) => a - b);
          return [
            name,
            counts[i],
            ms(percentile(sorted, 50)),
            ms(percentile(sorted, 99)),
            ms(sorted[sorted.length - 1] ?? NaN),
          ];
        }),
        ['all', all.length, ms(percentile(all, 50)), ms(percentile(all, 99)), ms(all[all.length - 1] ?? NaN)],
      ],
    ),
  );
  log(
    table(
      ['figure', 'value'],
      [
        ['window', `${duration} s (${seconds(elapsed * 1000)} with drain)`],
        [
          'reads',
          `${sent} sent of ${total} planned; ${achieved.toFixed(0)} req/s achieved of ${rate} target; ${errorCount} errors`,
        ],
        [
          'not sent (bucket full)',
          `${Math.round(droppedAtCap)} while ${maxInFlight} reads were in flight (server slower than the target), ${Math.round(droppedOther)} otherwise (client timer lag)`,
        ],
        [
          'followers',
          `${followerCount} on ${jobCount} jobs (connected in ${seconds(connectMs)}); ${lines} lines, ${gaps} lost, ${repeats} repeated`,
        ],
        ['follower lag at the end', `≤ ${maxLag} lines behind the best follower of the same job`],
        [
          'end frames',
          `${followerCount - badEnd.length}/${followerCount} got {type: end, status: aborted} + close 1000`,
        ],
        [
          'worker RSS',
          `idle ${mib(rssIdle)} → with followers ${mib(rssFollowing)} → peak ${mib(peakRss)} → ${mib(rssAfter)} 3 s after the followers closed`,
        ],
      ],
    ),
  );
  return {
    ok: failures.length === 0,
    figures: `${followerCount} followers + ${achieved.toFixed(0)}/${rate} req/s for ${duration} s: ${sent} reads, ${errorCount} errors, p50 ${ms(percentile(all, 50))}, p99 ${ms(percentile(all, 99))}; ${gaps} lines lost; RSS ${mib(rssIdle)} → peak ${mib(peakRss)} → ${mib(rssAfter)}`,
    failures,
  };
}
