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

/**
 * Claims `job` (inserted as `queued` in `tx`) when it may start at once; null: it waits for a
 * scheduling pass. `mustStart` (a rank of a multi-node job): placed among everything queued, as a
 * pass would; when it can neither start now nor preempt its way to GPUs, throws a 409 that rolls
 * the submit back (nothing is queued).
 */
export type SubmitClaimer = (tx: Tx, job: Job, mustStart: boolean) => Promise<SubmitClaim | null>;

/** Runs `work` while no scheduling pass runs (passes asked for meanwhile run after it). */
export type BetweenPasses = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Where the submit (libs/queue) asks the scheduler, which it does not know, whether a new job starts
 * at once: the claim then commits with the submit — one commit and no scheduling pass between an
 * accepted job and its launch. Without a registered claimer every job waits for a pass.
 */
@Injectable()
export class StartOnSubmit {
  private claimer: SubmitClaimer | null = null;
  private between: BetweenPasses | null = null;

  register(claimer: SubmitClaimer, betweenPasses: BetweenPasses): void {
    this.claimer = claimer;
    this.between = betweenPasses;
  }

  claim(tx: Tx, job: Job, mustStart = false): Promise<SubmitClaim | null> {
    return this.claimer ? this.claimer(tx, job, mustStart) : Promise.resolve(null);
  }

  /**
   * `work` (a submit that must start at once) while no scheduling pass runs: a pass places jobs
   * before it claims them, so a claim made meanwhile could be given the same GPUs.
   */
  betweenPasses<T>(work: () => Promise<T>): Promise<T> {
    return this.between ? this.between(work) : work();
  }
}
