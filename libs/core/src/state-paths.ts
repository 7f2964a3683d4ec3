import { join, relative } from 'node:path';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { ensurePrivateDir, PRIVATE_DIR_MODE, secureStateDir, StateDirError } from './secure-files';

/** Every file the server owns lives under one state directory; this is the one place that names them. */
export class StatePaths {
  constructor(readonly home: string) {}

  get database(): string {
    return join(this.home, 'trainyard.db');
  }
  get authToken(): string {
    return join(this.home, 'auth_token');
  }
  get passwordHash(): string {
    return join(this.home, 'password_hash');
  }
  get nodeId(): string {
    return join(this.home, 'node_id');
  }
  get defaultConfigFile(): string {
    return join(this.home, 'server_config.yaml');
  }
  get jobsDir(): string {
    return join(this.home, 'jobs');
  }
  get secretsDir(): string {
    return join(this.home, 'secrets');
  }
  /** User-registered dataset servers (tokens inside: 0600). */
  get datasetServerRegistry(): string {
    return join(this.home, 'dataset_servers.json');
  }
  /** User generation presets, one `<name>.json` each; they shadow the bundled ones. */
  get generationConfigsDir(): string {
    return join(this.home, 'generation_configs');
  }
  get controlDir(): string {
    return join(this.home, 'control');
  }
  /**
   * Files and directories made ahead of launches while the server is idle, renamed into place at a
   * launch (see LaunchFiles in libs/scheduler); emptied at every start.
   */
  get launchSparesDir(): string {
    return join(this.home, 'launch-spares');
  }

  /** The directories every launch writes into (a job's log and exit status, secrets, control directory, spares). */
  get launchDirs(): string[] {
    return [this.jobsDir, this.secretsDir, this.controlDir, this.launchSparesDir];
  }

  /**
   * Makes again (0700) those of the launch directories someone removed while the server ran, never
   * the state directory itself (a moved one must not be replaced by an empty one). Returns their
   * names relative to it (`jobs`); throws a file system error when one cannot be made.
   */
  remakeRemovedDirs(): string[] {
    const made: string[] = [];
    for (const dir of this.launchDirs) {
      if (existsSync(dir)) continue;
      mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
      chmodSync(dir, PRIVATE_DIR_MODE);
      made.push(relative(this.home, dir));
    }
    return made;
  }

  /**
   * Creates the state tree with private modes (idempotent). An existing one must be the server
   * user's and writable by nobody else (else StateDirError); its modes are tightened. A directory
   * the server cannot set up (read-only file system, no permission, a file in the way…) is a
   * StateDirError too: one line naming the path and the cause. Returns the files other users could
   * read until now (relative paths; see secureStateDir).
   */
  ensure(): string[] {
    try {
      const exposed = existsSync(this.home) ? secureStateDir(this.home) : [];
      ensurePrivateDir(this.home);
      for (const dir of this.launchDirs) ensurePrivateDir(dir);
      return exposed;
    } catch (err) {
      if (err instanceof StateDirError) throw err;
      const { code, path } = err as NodeJS.ErrnoException;
      if (!code) throw err;
      throw new StateDirError(
        `cannot set up the state directory ${this.home}: ${path ?? this.home}: ${describeErrno(code)} (${code})`,
        isStorageErrno(code),
      );
    }
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way',
  ELOOP: 'too many symbolic links',
};

/**
 * Errno codes by which a file system refuses the state directory itself — full, over quota,
 * read-only, failing, or not ours to write — as opposed to a layout or ownership problem: fixing the
 * storage (making room, remounting, a permission) makes the same start work.
 */
const STORAGE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM']);

/** Whether `code` (an errno code such as `ENOSPC`) is the storage refusing, see STORAGE_ERRNOS. */
export function isStorageErrno(code: string | undefined): boolean {
  return code !== undefined && STORAGE_ERRNOS.has(code);
}

/** A file operation's errno code in words ("no space left on the device"), for messages that name the path. */
export function describeErrno(code: string): string {
  return ERRNO_TEXT[code] ?? 'cannot be used';
}

/**
 * Runs `make`, which creates or writes `path`; a file system error it throws is thrown again as
 * `could not create <path>: <errno in words> (<code>)` — a write's own message names no file
 * ("ENOSPC: no space left on device, write"). Other errors pass through.
 */
export function saidWithPath(path: string, make: () => void): void {
  try {
    make();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new Error(`could not create ${path}: ${describeErrno(code)} (${code})`);
  }
}
