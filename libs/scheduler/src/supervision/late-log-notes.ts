import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { JobFiles } from '@trainyard/jobs';

/** How often notes a full disk kept out of a log are tried again. */
export const LATE_NOTE_RETRY_MS = 2_000;

/**
 * Notes for the end of an ended job's log ("N bytes of output lost: …") that its log had no room
 * for when the job ended: tried again every LATE_NOTE_RETRY_MS until written, in order, or until the
 * log is gone (a cleanup removed the job). Kept in memory only: the job's record has them in its
 * `error` regardless, so a restart loses nothing the user cannot read.
 */
@Injectable()
export class LateLogNotes implements OnModuleDestroy {
  private readonly logger = new Logger(LateLogNotes.name);
  private readonly pending = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly files: JobFiles) {}

  /** Appends `notes` to job `id`'s log now, or as soon as it has room. */
  append(id: string, notes: string[]): void {
    if (!notes.length) return;
    const waiting = this.pending.get(id);
    if (waiting) waiting.push(...notes);
    else this.pending.set(id, [...notes]);
    const failed = this.flush(id);
    if (!failed) return;
    this.logger.warn(
      `${id}: its log has no room for its end notes yet (${failed.message}); tried again until it has`,
    );
    if (!this.timer) {
      this.timer = setInterval(() => this.retry(), LATE_NOTE_RETRY_MS);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private retry(): void {
    for (const id of [...this.pending.keys()]) this.flush(id);
    if (!this.pending.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /**
   * Writes what it can of `id`'s notes, in order; returns why the rest must wait, else null. Never
   * creates the log: one gone (a cleanup, `jobs/` removed) drops its notes.
   */
  private flush(id: string): Error | null {
    const notes = this.pending.get(id) ?? [];
    while (notes.length) {
      const failed: NodeJS.ErrnoException | null = this.files.noteInLog(id, notes[0], { create: false });
      if (failed?.code === 'ENOENT') break;
      if (failed) return failed;
      notes.shift();
    }
    this.pending.delete(id);
    return null;
  }
}
