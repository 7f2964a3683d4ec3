import { Injectable } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import type { Tx } from '@trainyard/database';
import type { Job } from './job';

/** A job claimed for launch in its submit's own transaction. */
export interface SubmitClaim {
  /** The job as claimed: `starting`, with its GPUs and `started_at`. */
  readonly job: Job;
  /** Journaled events of the claim, committed with the submit's. */
  readonly events: IEvent[];
  /**
   * Once the transaction has committed: launch it. Never throws (a failed launch fails the job, with
   * its reason). If the transaction does not commit, the claim's GPUs are let go by itself.
   */
  start(): void;
}

/** Claims `job` (inserted as `queued` in `tx`) when it may start at once; null: it waits for a scheduling pass. */
export type SubmitClaimer = (tx: Tx, job: Job) => Promise<SubmitClaim | null>;

/**
 * Where the submit (libs/queue) asks the scheduler, which it does not know, whether a new job starts
 * at once: the claim then commits with the submit — one commit and no scheduling pass between an
 * accepted job and its launch. Without a registered claimer every job waits for a pass.
 */
@Injectable()
export class StartOnSubmit {
  private claimer: SubmitClaimer | null = null;

  register(claimer: SubmitClaimer): void {
    this.claimer = claimer;
  }

  claim(tx: Tx, job: Job): Promise<SubmitClaim | null> {
    return this.claimer ? this.claimer(tx, job) : Promise.resolve(null);
  }
}
