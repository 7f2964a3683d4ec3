import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { JobRepository } from '../infrastructure/job.repository';
import { JobFiles } from '../job-files';
import type { TrainerStatusDto } from '../job.dto';
import { callTrainer, readTrainerEndpoint } from './trainer-control';

/** How often running trainers are asked for their status. */
export const TRAINER_STATUS_POLL_MS = 2000;
/** A trainer that has not answered by then is skipped this round (its last status stays). */
export const TRAINER_STATUS_TIMEOUT_MS = 1500;
/** Trainers asked at once. */
export const TRAINER_STATUS_CONCURRENCY = 8;
/** Running jobs looked at per round (more than any one machine runs). */
const MAX_POLLED_JOBS = 256;

type Fields = Omit<TrainerStatusDto, 'updated_at'>;
type Range = 'any' | 'nonneg' | 'count' | 'positive-count';

/** Each field, the names trainers use for it (first found wins), and its range. */
const FIELDS: Array<[keyof Fields, string[], Range]> = [
  ['step', ['step', 'global_step'], 'count'],
  ['max_steps', ['max_steps'], 'positive-count'],
  ['epoch', ['epoch'], 'nonneg'],
  ['loss', ['loss'], 'any'],
  ['lr', ['lr', 'learning_rate'], 'nonneg'],
  ['grad_norm', ['grad_norm'], 'nonneg'],
  ['tokens_per_s', ['tokens_per_s', 'tokens_per_second'], 'nonneg'],
  ['peak_memory_bytes', ['peak_memory_bytes'], 'nonneg'],
];

function inRange(value: unknown, range: Range): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  if (range === 'any') return value;
  if (value < 0) return null;
  if (range === 'nonneg') return value;
  if (!Number.isSafeInteger(value) || (range === 'positive-count' && value === 0)) return null;
  return value;
}

/**
 * What a trainer's `/status` answer says, validated: only the known fields, each a finite number in
 * its range (else null); null when the answer is not an object or has none of them. Anything else
 * in the answer (strings, nested objects) is dropped, so an untrusted trainer cannot grow the DTO.
 */
export function readTrainerStatus(answer: unknown): Fields | null {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return null;
  const raw = answer as Record<string, unknown>;
  const fields = {} as Fields;
  let known = 0;
  for (const [field, names, range] of FIELDS) {
    const name = names.find((n) => Object.hasOwn(raw, n) && raw[n] !== null && raw[n] !== undefined);
    fields[field] = name === undefined ? null : inRange(raw[name], range);
    if (fields[field] !== null) known++;
  }
  return known ? fields : null;
}

/**
 * Polls `GET /status` of every running job whose trainer published a control endpoint, every 2 s,
 * at most 8 at a time with a 1.5 s timeout, in the background (a round still going when the next
 * is due makes that one skip). Keeps the last valid status per job **in memory** (lost on restart,
 * refilled within a round) and drops it once the job is no longer running. Listeners hear which jobs'
 * status changed (the jobs stream pushes them).
 */
@Injectable()
export class TrainerStatusPoller implements OnModuleInit, OnModuleDestroy {
  private readonly last = new Map<string, TrainerStatusDto>();
  private readonly listeners = new Set<(queueId: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly files: JobFiles,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.poll(), TRAINER_STATUS_POLL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last status of a job's trainer, if it is running and one is known. */
  get(queueId: string): TrainerStatusDto | undefined {
    return this.last.get(queueId);
  }

  /** Calls `listener` with a job's id whenever its trainer status changes; returns the unsubscribe. */
  onChange(listener: (queueId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One round; never throws. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const running = await this.jobs.idsWithStatus(['running'], MAX_POLLED_JOBS);
      const keep = new Set(running);
      for (const id of this.last.keys()) if (!keep.has(id)) this.last.delete(id);
      const queue = running.filter((id) => readTrainerEndpoint(this.files.controlDir(id)) !== null);
      const worker = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.pollOne(id);
      };
      await Promise.all(Array.from({ length: TRAINER_STATUS_CONCURRENCY }, worker));
    } catch {
      // The database closing at shutdown, say: the next round tries again.
    } finally {
      this.polling = false;
    }
  }

  private async pollOne(queueId: string): Promise<void> {
    let fields: Fields | null;
    try {
      const answer = await callTrainer(
        this.files.controlDir(queueId),
        'GET',
        '/status',
        undefined,
        TRAINER_STATUS_TIMEOUT_MS,
      );
      fields = readTrainerStatus(answer);
    } catch {
      return; // not answering this round: the last status stays, its updated_at ages
    }
    if (!fields) return;
    const before = this.last.get(queueId);
    this.last.set(queueId, { ...fields, updated_at: new Date().toISOString() });
    if (before && FIELDS.every(([f]) => before[f] === fields[f])) return;
    for (const listener of this.listeners) listener(queueId);
  }
}
