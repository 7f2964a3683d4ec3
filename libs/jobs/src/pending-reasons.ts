import { Injectable } from '@nestjs/common';
import type { Job } from './job';

/** The pending reason of a queued job the user holds (POST /api/queue/{id}/hold). */
export const HELD_REASON = 'held by the user (release it to let it start)';

/**
 * What a job queued again after a preemption waits with, "preempted by q_… (priority N); requeued"
 * (its error, set by the requeue and cleared by its next start); null for any other job.
 */
export function preemptedNote(job: Pick<Job, 'preempted_at' | 'error'>): string | null {
  return job.preempted_at !== null ? job.error : null;
}

/**
 * Why each queued item is still waiting, as of the dispatcher's last pass. Listeners hear of every
 * change (the jobs stream tells views to re-read the queue), with the items whose own reason changed
 * — none named when every item's did (paused, resumed, launches stopped).
 */
@Injectable()
export class PendingReasons {
  private reasons = new Map<string, string>();
  private paused = false;
  /** Why no launch can happen (the state directory), as every queued item's reason; null: none. */
  private launchesStopped: string | null = null;
  private readonly listeners = new Set<(ids: string[]) => void>();

  /** Calls `listener` after each change of what a queued item is said to wait for; returns its remover. */
  onChange(listener: (ids: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(ids: string[]): void {
    for (const listener of this.listeners) listener(ids);
  }

  /**
   * While paused every queued item waits for that, and a job that also waits for a dependency says
   * which (the paused dispatcher keeps only those reasons).
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    // Placement's reasons no longer hold once paused; the paused dispatcher's pass fills in its own.
    if (paused) this.reasons.clear();
    this.paused = paused;
    this.changed([]);
  }

  /** While launches are stopped (`reason`; null: they go on) every queued item waits for that reason. */
  stopLaunches(reason: string | null): void {
    if (reason === this.launchesStopped) return;
    this.launchesStopped = reason;
    this.changed([]);
  }

  replace(reasons: Record<string, string>): void {
    const next = new Map(Object.entries(reasons));
    const ids = [...next].filter(([id, reason]) => this.reasons.get(id) !== reason).map(([id]) => id);
    for (const id of this.reasons.keys()) if (!next.has(id)) ids.push(id);
    this.reasons = next;
    if (ids.length) this.changed(ids);
  }

  set(id: string, reason: string): void {
    if (this.reasons.get(id) === reason) return;
    this.reasons.set(id, reason);
    this.changed([id]);
  }

  /**
   * Drops an item's reason when what it was computed from changed (its priority): null, or the paused,
   * held or stopped-launches reason, until the next pass gives the new one — never the last pass's stale one.
   */
  forget(id: string): void {
    if (this.reasons.delete(id)) this.changed([id]);
  }

  /**
   * Why `job` (queued) waits. One the user holds says so from its flag, at once (no pass places it,
   * and its answer to the hold must not read as before it), after who preempted it if it was. While
   * paused or while launches are stopped, its own reason is the dependency it also waits for, if any
   * (those passes keep only those).
   */
  get(job: Pick<Job, 'id' | 'held' | 'preempted_at' | 'error'>): string | null {
    const held = job.held ? heldReason(job) : null;
    const own = held ?? this.reasons.get(job.id);
    if (this.paused) return own ? `scheduler is paused; ${own}` : 'scheduler is paused';
    if (held) return held;
    if (this.launchesStopped) return own ? `${this.launchesStopped}; ${own}` : this.launchesStopped;
    return own ?? null;
  }
}

/** A held job's reason: the hold, after who preempted it when it waits again after a preemption. */
function heldReason(job: Pick<Job, 'preempted_at' | 'error'>): string {
  const preempted = preemptedNote(job);
  return preempted ? `${preempted}; ${HELD_REASON}` : HELD_REASON;
}
