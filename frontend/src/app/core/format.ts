import { jobRuntimeSeconds, type JobDto, type JobStatus } from '@trainyard/sdk';

/** `1h 02m`, `3m 07s`, `42s`; `—` for null. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${String(h).padStart(2, '0')}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** `1 point`, `2 points`, `0 points`: a count and its noun (`many` when it is not just an added s). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A number for an axis or a summary: at most `digits` significant digits, exponent form past
 * 1e6 or under 1e-4 (`1.4e+308`, not `1.3999999999999999e+308`); integers below 1e6 as they are.
 */
export function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) {
    const [mantissa, exp] = value.toExponential(digits - 1).split('e');
    return `${mantissa.replace(/\.?0+$/, '')}e${exp}`;
  }
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

/** Seconds from an ISO time to `now` (ms). */
export function secondsSince(iso: string | null | undefined, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : null;
}

/** A job's runtime as shown (see `jobRuntimeSeconds`). */
export function jobRuntime(
  job: Pick<JobDto, 'status' | 'started_at' | 'runtime_seconds'>,
  now: number,
): string {
  return formatDuration(jobRuntimeSeconds(job, now));
}

/** `12.3 GiB` from MiB. */
export function formatMib(mib: number | null | undefined): string {
  if (mib === null || mib === undefined) return '—';
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const today = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === today.toDateString()
    ? time
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'starting', 'running', 'terminating'];
export const FINISHED_STATUSES: readonly JobStatus[] = ['done', 'failed', 'aborted'];
/** Every job status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = [...ACTIVE_STATUSES, ...FINISHED_STATUSES];

export function isActive(status: JobStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}
export function isFinished(status: JobStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/** The status a job shows: a queued job the user holds reads `held` (POST /api/queue/{id}/hold). */
export function statusLabel(job: { status: JobStatus; held?: boolean }): string {
  return job.held ? 'held' : job.status;
}

/** `3 queued`, or `3 queued (1 held)` when the user holds some of them (GET /api/queue/scheduler). */
export function queuedCountText(s: { queued_count: number; held_count: number }): string {
  return `${s.queued_count} queued${s.held_count ? ` (${s.held_count} held)` : ''}`;
}

/** A short id for dense tables: `q_1732_ab12cd34` → `ab12cd34`. */
export function shortId(queueId: string): string {
  const parts = queueId.split('_');
  return parts.length >= 3 ? parts[parts.length - 1] : queueId;
}

/**
 * A piece of a server's sentence (a pending reason, a health problem): plain text, the queue id of
 * a job it names (shown as a link), or a command or path it quotes in backticks (shown as code).
 */
export type ReasonPart = { text: string } | { queueId: string } | { code: string };

const QUEUE_ID = /q_\d+_[0-9a-f]+/g;
/** An inline code span as the server writes one: `trainyard sched cleanup --older-than 7d`. */
const CODE_SPAN = /`([^`\n]+)`/g;

/**
 * Splits "GPU 0 reserved by q_…; make room, e.g. `trainyard sched cleanup`" so the console can link
 * the jobs it names and show what it quotes as code (the backticks dropped). Plain data for a
 * template to render — no HTML is made from the server's text. A lone backtick stays as text.
 */
export function reasonParts(reason: string): ReasonPart[] {
  const parts: ReasonPart[] = [];
  let last = 0;
  for (const match of reason.matchAll(CODE_SPAN)) {
    parts.push(...queueIdParts(reason.slice(last, match.index)));
    parts.push({ code: match[1] });
    last = match.index + match[0].length;
  }
  parts.push(...queueIdParts(reason.slice(last)));
  return parts;
}

function queueIdParts(text: string): ReasonPart[] {
  const parts: ReasonPart[] = [];
  let last = 0;
  for (const match of text.matchAll(QUEUE_ID)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ queueId: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/**
 * What a job runs, for lists (one line): its argv for command jobs, quoted as a shell would need it,
 * otherwise its type's main parameters. A line break inside a value shows as ⏎.
 */
export function describeParams(jobType: string, params: Record<string, unknown>): string {
  const argv = params['argv'];
  if (Array.isArray(argv)) return argv.map((a) => quoteArg(String(a))).join(' ');
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '' || value === false) continue;
    const text = Array.isArray(value)
      ? value.join(' ')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
    parts.push(`${key}=${visibleNewlines(text)}`);
  }
  return parts.length ? parts.join('  ') : jobType;
}

/**
 * One argv element as it reads best: bare when the shell would not split it; in double quotes when
 * it holds a single quote and nothing double quotes would expand (`"it's"`); else in single quotes.
 */
export function quoteArg(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  const quoted = arg.includes("'") && !/["$`\\!]/.test(arg) ? `"${arg}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
  return visibleNewlines(quoted);
}

/** Line breaks as ⏎, so a multi-line value stays on its row. */
function visibleNewlines(text: string): string {
  return text.replace(/\r?\n/g, '⏎');
}

/**
 * A job's GPUs, one wording for table, pane and dialogs, so an index never reads as a count:
 * placed → `#0, #1` (indices); still queued → `2 wanted` (a count); no GPU → `none`.
 */
export function formatGpus(job: {
  gpu_indices: readonly number[];
  requested_gpus: number;
  status: JobStatus;
}): {
  text: string;
  title: string;
  none: boolean;
} {
  if (job.gpu_indices.length) {
    const list = job.gpu_indices.map((i) => `#${i}`).join(', ');
    return { text: list, title: `On GPU ${job.gpu_indices.join(', ')}`, none: false };
  }
  if (job.status === 'queued' && job.requested_gpus > 0) {
    const n = job.requested_gpus;
    return {
      text: `${n} wanted`,
      title: `${n} GPU${n === 1 ? '' : 's'} requested, not placed yet`,
      none: false,
    };
  }
  return { text: 'none', title: 'No GPU', none: true };
}

/**
 * What a `terminating` job is doing, in a sentence (null for any other status): since when it has
 * been stopping and when SIGKILL follows (`kill_at` when the server has armed it, else its grace
 * period), or, without a termination reason, that its command ended and the processes it left
 * behind are being stopped.
 */
export function stoppingNote(
  job: Pick<
    JobDto,
    'status' | 'kill_grace_s' | 'termination_reason' | 'termination_requested_at' | 'kill_at'
  >,
): string | null {
  if (job.status !== 'terminating') return null;
  const grace = job.kill_at
    ? `SIGKILL at ${formatTime(job.kill_at)}`
    : job.kill_grace_s === null
      ? "SIGKILL after the server's grace period"
      : `SIGKILL after its ${job.kill_grace_s} s grace`;
  if (job.termination_reason === null) {
    return `Its command ended; stopping the processes it left behind — ${grace}`;
  }
  const since = job.termination_requested_at ? ` since ${formatTime(job.termination_requested_at)}` : '';
  if (job.termination_reason === 'user_kill' || job.termination_reason === 'bundle_rollback')
    return `Stopping${since} — SIGKILL sent, waiting for its processes to exit`;
  return `Stopping${since} — ${grace}`;
}
