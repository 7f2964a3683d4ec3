import { Injectable } from '@nestjs/common';

/** Why each queued item is still waiting, as of the dispatcher's last pass. */
@Injectable()
export class PendingReasons {
  private reasons = new Map<string, string>();
  private paused = false;
  private held: string | null = null;

  /**
   * While paused every queued item waits for that, and a job that also waits for a dependency says
   * which (the paused dispatcher keeps only those reasons).
   */
  setPaused(paused: boolean): void {
    // Placement's reasons no longer hold once paused; the paused dispatcher's pass fills in its own.
    if (paused && !this.paused) this.reasons.clear();
    this.paused = paused;
  }

  /** While held (`reason`; null lets go) every queued item waits for that reason, as when paused. */
  hold(reason: string | null): void {
    this.held = reason;
  }

  replace(reasons: Record<string, string>): void {
    this.reasons = new Map(Object.entries(reasons));
  }

  set(id: string, reason: string): void {
    this.reasons.set(id, reason);
  }

  get(id: string): string | null {
    if (this.paused) {
      const dependency = this.reasons.get(id);
      return dependency ? `scheduler is paused; ${dependency}` : 'scheduler is paused';
    }
    return this.held ?? this.reasons.get(id) ?? null;
  }
}
