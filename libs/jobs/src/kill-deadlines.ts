import { Injectable } from '@nestjs/common';

/** When a job's SIGKILL is due (epoch ms), or null when none is armed. */
export type KillDeadlineSource = (id: string) => number | null;

/**
 * Where the API (libs/jobs) reads when the scheduler, which it does not know, will SIGKILL a job being
 * stopped: the end of its grace period, armed when the stop's first step was taken (kept only in the
 * scheduler's registry of active jobs; after a restart it is armed again from the stop's marker).
 * Without a registered source no job has one.
 */
@Injectable()
export class KillDeadlines {
  private source: KillDeadlineSource = () => null;

  register(source: KillDeadlineSource): void {
    this.source = source;
  }

  /** ISO 8601, or null. */
  killAt(id: string): string | null {
    const at = this.source(id);
    return at === null ? null : new Date(at).toISOString();
  }
}
