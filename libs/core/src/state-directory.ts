import { Inject, Injectable, Logger } from '@nestjs/common';
import { rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_CONFIG, type ServerConfig } from './config/server-config';
import { SECRET_FILE_MODE } from './secure-files';
import { describeErrno, StatePaths } from './state-paths';

/** Free space under which the state directory counts as nearly full (or a tenth of it, if less). */
export const LOW_SPACE_BYTES = 1024 ** 3;

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;

/** What a test write must fit for launches to go on: a launch writes a few small files (secrets, log, exit status). */
const PROBE_BYTES = 64 * 1024;
/** How often a held queue tries the test write again (each scheduling pass and health check asks). */
const PROBE_INTERVAL_MS = 1000;

/**
 * Whether the state directory can take the server's launches: still the one the server started on
 * (moved, deleted or replaced under a running server, its open database goes on writing to the moved
 * files while every job's files are looked for at the old path), and, once a launch failed on it,
 * writable again. Launches wait while it is not (see {@link problem}); they are not failed for it.
 */
@Injectable()
export class StateDirectory {
  private readonly logger = new Logger('StateDirectory');
  private readonly home: string;
  private readonly paths: StatePaths;
  private readonly identity: { dev: number; ino: number } | null;
  /** Why launches wait since one failed on a state directory that took no write (null: they do not). */
  private writeFault: string | null = null;
  private probedAt = 0;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.home = config.home;
    this.paths = config.paths;
    this.identity = this.stat();
  }

  /**
   * Why the state directory cannot be used now (one line), or null: moved or replaced, or — after a
   * launch failed on it — it still takes no write (a test write is tried at most once a second).
   */
  problem(): string | null {
    const now = this.stat();
    if (!now || (this.identity && (now.dev !== this.identity.dev || now.ino !== this.identity.ino)))
      return `the state directory ${this.home} was ${now ? 'replaced' : 'moved or removed'} while the server ran: put it back, or restart the server on it`;
    if (this.writeFault && Date.now() - this.probedAt >= PROBE_INTERVAL_MS) {
      this.probedAt = Date.now();
      if (this.check().fault === null) {
        this.logger.log(`the state directory takes writes again: launches go on (${this.writeFault})`);
        this.writeFault = null;
      }
    }
    return this.writeFault;
  }

  /**
   * After a write failed (a launch, a job's log): whether the state directory was the cause, said in
   * one line — a failed launch's job is then queued again instead of failed for good; null when it is
   * fine (the job's own fault). A
   * launch directory someone removed (`jobs`, `secrets`…) is made again at once; a state directory
   * that takes no write (full, over quota, read-only) holds launches until it does ({@link problem}).
   */
  afterWriteFailure(): string | null {
    const held = this.problem();
    if (held) return held;
    const { remade, fault } = this.check();
    if (fault) {
      this.writeFault = `launches wait: ${fault}`;
      this.probedAt = Date.now();
      this.logger.warn(this.writeFault);
      return this.writeFault;
    }
    if (remade.length === 0) return null;
    const line = `${remade.join(', ')} ${remade.length > 1 ? 'were' : 'was'} removed from the state directory ${this.home} while the server ran: made again`;
    this.logger.warn(line);
    return line;
  }

  /** Makes the launch directories someone removed again, then tries a write in each. */
  private check(): { remade: string[]; fault: string | null } {
    try {
      const remade = this.paths.remakeRemovedDirs();
      return { remade, fault: this.writeProblem() };
    } catch (err) {
      return { remade: [], fault: this.said(err) };
    }
  }

  /**
   * Why a test write of PROBE_BYTES fails in one of the directories launches write into (one line),
   * or null when it fits in each: one may be a file system of its own (a disk for the logs).
   */
  private writeProblem(): string | null {
    for (const dir of this.paths.launchDirs) {
      const probe = join(dir, '.write-test');
      try {
        writeFileSync(probe, Buffer.alloc(PROBE_BYTES), { mode: SECRET_FILE_MODE });
      } catch (err) {
        return this.said(err, dir);
      } finally {
        try {
          rmSync(probe, { force: true });
        } catch {
          // never made (a read-only file system)
        }
      }
    }
    return null;
  }

  /**
   * A write's failure in one line, naming where (`path`, else the error's own, else the state
   * directory) and, when it is full, what makes room there: a cleanup frees only what finished jobs
   * keep in jobs/ (and the database); the other launch directories (secrets/, the control and spare
   * directories) hold a few small files per job, so one of them is full only when its own file
   * system is.
   */
  private said(err: unknown, path?: string): string {
    const { code } = err as NodeJS.ErrnoException;
    const where = path ?? (err as NodeJS.ErrnoException).path ?? this.home;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      // ENOSPC is also "no inode left", with room for bytes to spare: `df -i` shows it, not `df`.
      const noInodes = code === 'ENOSPC' && freeInodes(where) === 0;
      const why = `(${noInodes ? 'no free inodes' : describeErrno(code)}, ${code} on ${where})`;
      const inside = (dir: string) => where === dir || where.startsWith(`${dir}/`);
      // Only one on a file system of its own: on the jobs' file system a cleanup does make room.
      const small = this.paths.launchDirs.find(
        (dir) => dir !== this.paths.jobsDir && inside(dir) && !sameFileSystem(dir, this.paths.jobsDir),
      );
      if (small)
        return (
          `the file system of ${small} is full ${why}: make room on the file system of ${small} ` +
          `(it holds only small per-job files; \`trainyard sched cleanup\` frees room only in ${this.paths.jobsDir})`
        );
      return (
        `the state directory's file system is full ${why}: ` +
        'make room, e.g. `trainyard sched cleanup --older-than 7d` removes old jobs and their logs'
      );
    }
    return `the state directory cannot be written: ${where}: ${code ? `${describeErrno(code)} (${code})` : String(err)}`;
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

/** Inodes left on the file system holding `path`, or null when it cannot be read (or does not count them). */
function freeInodes(path: string): number | null {
  try {
    const fs = statfsSync(path);
    return fs.files > 0 ? fs.ffree : null;
  } catch {
    return null;
  }
}

/** Whether `a` and `b` are on one file system (false when either cannot be looked at). */
function sameFileSystem(a: string, b: string): boolean {
  try {
    return statSync(a).dev === statSync(b).dev;
  } catch {
    return false;
  }
}
