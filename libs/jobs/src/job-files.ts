import {
  appendFileSync,
  closeSync,
  constants,
  openSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { QUEUE_ID_PATTERN, SECRET_FILE_MODE, StatePaths } from '@trainyard/core';
import { ttyBasePath } from './tty/tty-base';
import { SECRET_FILE_PATTERN } from './tty/tty-gc';

/** Where each job's files live; queue ids are validated before they get here. */
export class JobFiles {
  private readonly logger = new Logger(JobFiles.name);

  constructor(private readonly paths: StatePaths) {}

  tty(id: string): string {
    return join(this.paths.jobsDir, `${id}.tty`);
  }
  /**
   * Appends a line of Trainyard's own to job `id`'s log (`[trainyard] <text>`, on a line of its own),
   * where its user reads what happened to it. Only a note: never throws; returns why the log could
   * not take it (a full disk; ENOENT for a log gone when `create` is false), for the caller to log
   * and go on, else null. `create: false` for a note written late, which must not bring back a log a
   * cleanup removed.
   */
  noteInLog(id: string, text: string, { create = true }: { create?: boolean } = {}): Error | null {
    const line = `\r\n[trainyard] ${text}\r\n`;
    try {
      if (create) appendFileSync(this.tty(id), line, { mode: SECRET_FILE_MODE });
      else {
        const fd = openSync(this.tty(id), constants.O_WRONLY | constants.O_APPEND);
        try {
          writeSync(fd, line);
        } finally {
          closeSync(fd);
        }
      }
      return null;
    } catch (err) {
      return err as Error;
    }
  }
  /**
   * noteInLog for a note whose loss only needs saying: a log that cannot take it is said in the
   * server's log (`<id>: could not note <what> in its log (<why>)`), and the caller goes on.
   */
  noteInLogOrWarn(id: string, text: string, what: string): void {
    const failed = this.noteInLog(id, text);
    if (failed) this.logger.warn(`${id}: could not note ${what} in its log (${failed.message})`);
  }
  /** Written by the job-side shim when the job ends, so the code survives a server restart. */
  exitStatus(id: string): string {
    return join(this.paths.jobsDir, `${id}.exit`);
  }
  /**
   * Written (0600) once the first step of a stop was taken — its signal sent or its trainer asked —
   * holding which; its mtime says when. After a restart it tells a stop whose signal went out (not
   * sent again; SIGKILL one grace period after it) from one cut short before that (its first step
   * is taken then). Server-owned: not in the control directory, which the job may write.
   */
  stopMarker(id: string): string {
    return join(this.paths.jobsDir, `${id}.stop`);
  }
  /** The job's environment (0600); the shim opens and removes it as the job starts. */
  launchEnv(id: string): string {
    return join(this.paths.jobsDir, `${id}.env`);
  }
  controlDir(id: string): string {
    return join(this.paths.controlDir, id);
  }

  /**
   * Returns `path` if it is one of this job's secret files — `<secrets dir>/<queue_id>.<name>`, the
   * rule that lets them be deleted with the job and GC'd as orphans — else throws.
   */
  checkSecretPath(id: string, path: string): string {
    const name = basename(path);
    if (
      dirname(path) !== this.paths.secretsDir ||
      !SECRET_FILE_PATTERN.test(name) ||
      !name.startsWith(`${id}.`)
    )
      throw new Error(`secret file ${path} is not named ${join(this.paths.secretsDir, `${id}.<name>`)}`);
    return path;
  }

  /** Deletes these jobs' logs (what takes room: a full disk's way out); missing ones are fine. */
  removeLogs(ids: readonly string[]): void {
    for (const id of ids) {
      rmSync(this.tty(id), { force: true });
      rmSync(ttyBasePath(this.tty(id)), { force: true });
    }
  }

  /** Deletes every file of these jobs: log, exit status, env, control dir and secrets (missing ones are fine). */
  removeAll(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.removeLogs(ids);
    for (const id of ids) {
      rmSync(this.exitStatus(id), { force: true });
      rmSync(this.launchEnv(id), { force: true });
      rmSync(this.stopMarker(id), { force: true });
    }
    this.removeSpent(ids);
  }

  /**
   * Deletes what only a running job uses — its control directory and its secret files (a run token,
   * an inference token: credentials nothing may use once the job's processes are gone) — and keeps
   * its log and exit status. Missing ones are fine.
   */
  removeSpent(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) removeDir(this.controlDir(id));
    for (const path of this.secretFilesOf(ids)) rmSync(path, { force: true });
  }

  /** The paths of these jobs' secret files: one listing for the whole batch (a cleanup takes thousands). */
  secretFilesOf(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    return listDir(this.paths.secretsDir)
      .filter((name) => wanted.has(SECRET_FILE_PATTERN.exec(name)?.[1] ?? ''))
      .map((name) => join(this.paths.secretsDir, name));
  }

  /** The queue ids that have a control directory or a secret file (what removeSpent would look at). */
  withSpendableFiles(): Set<string> {
    const ids = new Set<string>();
    for (const name of listDir(this.paths.controlDir)) if (QUEUE_ID_PATTERN.test(name)) ids.add(name);
    for (const name of listDir(this.paths.secretsDir)) {
      const id = SECRET_FILE_PATTERN.exec(name)?.[1];
      if (id) ids.add(id);
    }
    return ids;
  }
}

export { QUEUE_ID_PATTERN } from '@trainyard/core';

/** Removes `dir` and what it holds; one syscall for the usual empty one. Missing is fine. */
function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') rmSync(dir, { recursive: true, force: true });
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
