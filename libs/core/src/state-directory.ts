import { Inject, Injectable } from '@nestjs/common';
import { statfsSync, statSync } from 'node:fs';
import { SERVER_CONFIG, type ServerConfig } from './config/server-config';

/** Free space under which the state directory counts as nearly full (or a tenth of it, if less). */
export const LOW_SPACE_BYTES = 1024 ** 3;

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;

/**
 * Whether the state directory is still the one the server started on. Moved, deleted or replaced
 * under a running server, its open database goes on writing to the moved files while every job's
 * files (secrets, control, logs) are looked for at the old path: launches would fail one by one.
 */
@Injectable()
export class StateDirectory {
  private readonly home: string;
  private readonly identity: { dev: number; ino: number } | null;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.home = config.home;
    this.identity = this.stat();
  }

  /** Why the state directory cannot be used now (one line), or null when it is in place. */
  problem(): string | null {
    const now = this.stat();
    if (now && (!this.identity || (now.dev === this.identity.dev && now.ino === this.identity.ino)))
      return null;
    return `the state directory ${this.home} was ${now ? 'replaced' : 'moved or removed'} while the server ran: put it back, or restart the server on it`;
  }

  /** Room on the state directory's file system (bytes an unprivileged writer may use), or null. */
  space(): { free_bytes: number; size_bytes: number } | null {
    try {
      const fs = statfsSync(this.home);
      return { free_bytes: fs.bavail * fs.bsize, size_bytes: fs.blocks * fs.bsize };
    } catch {
      return null;
    }
  }

  /**
   * A line when the state directory's file system is nearly full — under a tenth of it, or 1 GiB,
   * whichever is less, is free — else null: soon job output is lost and writes are refused (507).
   */
  lowSpace(): string | null {
    const space = this.space();
    if (!space || space.free_bytes >= Math.min(LOW_SPACE_BYTES, space.size_bytes / 10)) return null;
    return (
      `the state directory's file system is nearly full: ${mib(space.free_bytes)} free of ` +
      `${mib(space.size_bytes)} (job output is lost and writes are refused once it is full; ` +
      '`trainyard sched cleanup --older-than 7d` removes old jobs and their logs)'
    );
  }

  private stat(): { dev: number; ino: number } | null {
    try {
      const { dev, ino } = statSync(this.home);
      return { dev, ino };
    } catch {
      return null;
    }
  }
}
