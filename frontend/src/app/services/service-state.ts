import type { ServiceDto } from '@trainyard/sdk';
import { formatDuration, formatTime } from '../core/format';

/** The dot's colour: ok green, warn amber, danger red, off grey. */
export type DotTone = 'ok' | 'warn' | 'danger' | 'off';

/** How one service row shows its state: the dot, a word beside it (never colour alone) and a tooltip. */
export interface ServiceView {
  /** running, healthy, starting, unhealthy, queued, stopping, backoff, crash-loop, refused, stopped, disabled, invalid. */
  label: string;
  tone: DotTone;
  /** The error, the next attempt, the last exit — whatever explains the state. */
  detail: string;
  /** Whether an instance is live or due (⏹ stops it); otherwise ▶ starts it. */
  active: boolean;
}

/**
 * Maps a service from GET /api/services to its row. A running instance with a health probe shows
 * the probe's verdict (starting until the first success). ⏹ disables a service (it stays stopped
 * across restarts), so its row reads "disabled", as the API and `trainyard service list` say.
 * `now` is ms since the epoch, for the backoff countdown.
 */
export function serviceView(s: ServiceDto, now: number): ServiceView {
  const health = s.health as ServiceDto['health'] | null;
  switch (s.state) {
    case 'running':
      if (health === 'healthy') return view('healthy', 'ok', 'Running; the health probe answers', true);
      if (health === 'unhealthy')
        return view('unhealthy', 'danger', `Running, but the health probe fails${lastProbe(s)}`, true);
      if (health === 'starting')
        return view('starting', 'warn', `Running; waiting for the first healthy probe${lastProbe(s)}`, true);
      return view('running', 'ok', s.queue_id ? `Running as ${s.queue_id}` : 'Running', true);
    case 'starting':
      return view('starting', 'warn', 'The instance is starting', true);
    case 'queued':
      return view('queued', 'warn', 'Queued, waiting for a slot (the Queue view says why)', true);
    case 'stopping':
      return view('stopping', 'warn', 'The instance is stopping', true);
    case 'backoff':
      return view('backoff', 'warn', retryDetail(s, now), true);
    case 'crash_loop':
      return view('crash-loop', 'danger', retryDetail(s, now), true);
    case 'invalid':
      return view('invalid', 'danger', s.error ?? 'The entry in server_config.yaml does not validate', false);
    case 'refused':
      // Enabled: it starts by itself once what refused it is gone (a port is tried again as jobs end).
      return view('refused', 'danger', `Could not start: ${s.error ?? 'refused'}`, true);
    case 'disabled':
      return view(
        'disabled',
        'off',
        'Disabled, not started at boot: ▶ starts it now and at every boot',
        false,
      );
    case 'stopped':
    default:
      return view(
        'stopped',
        s.error || s.last_exit?.status === 'failed' ? 'danger' : 'off',
        s.error ?? lastExit(s) ?? 'Enabled but not running: ▶ starts it',
        false,
      );
  }
}

function view(label: string, tone: DotTone, detail: string, active: boolean): ServiceView {
  return { label, tone, detail, active };
}

/** `Restarting in 4s (at 12:00:04) after 3 failures in a row; last: exit code 1`. */
function retryDetail(s: ServiceDto, now: number): string {
  const at = s.next_attempt_at ? Date.parse(s.next_attempt_at) : NaN;
  const when = Number.isFinite(at)
    ? `Restarting in ${formatDuration(Math.max(0, (at - now) / 1000))} (at ${formatTime(s.next_attempt_at)})`
    : 'Waiting to restart';
  const failures = s.consecutive_failures;
  const parts = [
    `${when} after ${failures} failure${failures === 1 ? '' : 's'} in a row`,
    lastExit(s),
    s.error,
  ];
  return parts.filter(Boolean).join('; ');
}

/** `: GET /health → HTTP 404 (12:00:03)` — what the last probe got, when one failed. */
function lastProbe(s: ServiceDto): string {
  const p = s.last_probe;
  return p && !p.ok ? `: ${p.result} (${formatTime(p.at)})` : '';
}

function lastExit(s: ServiceDto): string | null {
  const e = s.last_exit;
  if (!e) return null;
  const how = e.exit_code !== null ? `exit code ${e.exit_code}` : (e.termination_reason ?? e.status);
  // The job's own words say why (`command not found: tensorboard`); the exit code alone does not.
  const why = e.error ? `: ${e.error}` : '';
  return `Last instance ${e.status} (${how})${e.ended_at ? ` at ${formatTime(e.ended_at)}` : ''}${why}`;
}

/** The job to open from a service's row: its live instance, else the one that ended last. */
export function serviceInstance(s: ServiceDto): { queueId: string; label: string } | null {
  if (s.queue_id) return { queueId: s.queue_id, label: `Open its instance ${s.queue_id}` };
  const last = s.last_exit?.queue_id;
  return last ? { queueId: last, label: `Open its last instance ${last} (log, error)` } : null;
}
