import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  ensurePrivateDir,
  PRIVATE_DIR_MODE,
  randomHex,
  SECRET_FILE_MODE,
  SERVER_CONFIG,
  ServerConfig,
  writePrivateFileInPlace,
} from '@trainyard/core';

/** Spares of each kind kept ready: a launch takes one of each; more only helps a burst, which refills anyway. */
const SPARES = 2;
/** At most this many of each kind are kept from ended jobs (a burst of ends); the rest are removed. */
const MAX_RECYCLED = 64;

/**
 * A launch's own files — its secret files (0600) and its control directory (0700) — made the cheap
 * way. Creating a file or directory allocates an inode, which on some disks costs far more than the
 * rest of a launch (0.05–1.3 ms on an ext4 without a journal, where the kernel skips every inode freed
 * in the last ~30 s); renaming one does not. So while the server is idle it makes a few empty ones
 * in `launch-spares/` (same file system as the state directory's other folders), and a launch fills
 * a spare file in place and renames it, or renames a spare directory, into place; with none left (a
 * burst) it creates them as before. An ended job's secret file (emptied) and control directory
 * come back as spares ({@link recycleSecret}, {@link recycleDir}): under a steady flow of jobs
 * neither a launch nor an end allocates or frees an inode (freeing them is what makes the next
 * creates slow on that disk). The spares are the server's alone (a 0700 directory, a second server
 * on the same state directory is refused) and are removed at every start.
 */
@Injectable()
export class LaunchFiles implements OnModuleInit, OnModuleDestroy {
  private readonly dir: string;
  private readonly files: string[] = [];
  private readonly dirs: string[] = [];
  private refillPending: NodeJS.Immediate | null = null;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.dir = config.paths.launchSparesDir;
  }

  onModuleInit(): void {
    // A crash leaves spares behind: none is anybody's, start empty. Only an optimisation: a failure
    // (a full or read-only disk) never keeps the server from starting; launches then create their files.
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      ensurePrivateDir(this.dir);
    } catch {
      return;
    }
    this.scheduleRefill();
  }

  onModuleDestroy(): void {
    if (this.refillPending) clearImmediate(this.refillPending);
  }

  /** Writes `content` to `path` as a 0600 file (an existing one is replaced; a symlink there is replaced, never followed). */
  writeSecret(path: string, content: string): void {
    const spare = this.files.pop();
    this.scheduleRefill();
    if (spare) {
      try {
        const fd = openSync(spare, constants.O_WRONLY | constants.O_NOFOLLOW);
        try {
          writeSync(fd, content);
        } finally {
          closeSync(fd);
        }
        renameSync(spare, path);
        return;
      } catch {
        rmSync(spare, { force: true }); // gone, or another file system: made the usual way below
      }
    }
    writePrivateFileInPlace(path, content);
  }

  /** Makes the directory `path` (0700) unless it exists (a requeued job's keeps its contents). */
  makeDir(path: string): void {
    const spare = this.dirs.pop();
    this.scheduleRefill();
    if (spare) {
      try {
        renameSync(spare, path); // onto an existing empty directory too
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') this.dirs.push(spare);
        else rmSync(spare, { recursive: true, force: true });
      }
    }
    mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  /**
   * Takes an ended job's secret file back as a spare: emptied (its credential is dead) and renamed
   * into the spares. Only a plain 0600 file with one link — what writeSecret made, unless the job
   * changed it — and only while fewer than MAX_RECYCLED are kept; otherwise it is removed. Call it
   * once every process of the job is gone. Missing is fine; never throws.
   */
  recycleSecret(path: string): void {
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) return;
      if (
        this.files.length < MAX_RECYCLED &&
        st.isFile() &&
        st.nlink === 1 &&
        (st.mode & 0o777) === SECRET_FILE_MODE
      ) {
        const spare = this.spareName('file');
        renameSync(path, spare); // first: the name a job knew no longer leads to it
        truncateSync(spare);
        this.files.push(spare);
        return;
      }
    } catch {
      /* removed below */
    }
    rmQuietly(path);
  }

  /**
   * Takes an ended job's control directory back as a spare when it is a plain, empty directory and
   * fewer than MAX_RECYCLED are kept; otherwise removes it with what it holds. Missing is fine;
   * never throws.
   */
  recycleDir(path: string): void {
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) return;
      if (this.dirs.length < MAX_RECYCLED && st.isDirectory() && readdirSync(path).length === 0) {
        const spare = this.spareName('dir');
        renameSync(path, spare);
        this.dirs.push(spare);
        return;
      }
    } catch {
      /* removed below */
    }
    rmQuietly(path);
  }

  private spareName(kind: 'file' | 'dir'): string {
    return join(this.dir, `${kind}-${randomHex(6)}`);
  }

  /**
   * Right after the launch that took a spare (its request is written by then, its answer queued
   * ahead): the next launch finds one again, and a burst makes no more files than before.
   */
  private scheduleRefill(): void {
    if (this.refillPending) return;
    this.refillPending = setImmediate(() => this.refill());
  }

  /** Tops the spares up; a failure (a full disk) only means the next launches create their files. */
  private refill(): void {
    this.refillPending = null;
    try {
      while (this.files.length < SPARES) {
        const path = this.spareName('file');
        closeSync(
          openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, SECRET_FILE_MODE),
        );
        this.files.push(path);
      }
      while (this.dirs.length < SPARES) {
        const path = this.spareName('dir');
        mkdirSync(path, { mode: PRIVATE_DIR_MODE });
        this.dirs.push(path);
      }
    } catch {
      /* the state directory's disk is full or gone: launches make their files themselves */
    }
  }
}

function rmQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    /* a later boot or the GC tries again */
  }
}
