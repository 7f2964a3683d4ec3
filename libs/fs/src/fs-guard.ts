import { realpathSync, type Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, sep } from 'node:path';
import { DomainError, firstUnsafeChar, validationFailed } from '@trainyard/core';
import { fsError } from './fs-errors';

/** Mutations never touch a path with fewer components than this, counting `/` (Python's `Path.parts`). */
export const MIN_DEPTH = 4;

/** System roots (and the server user's home) a directory delete, move or rename never takes away. */
export const DENIED_DIRS = ['/', '/home', '/root', '/usr', '/etc', '/var', '/opt', '/tmp', '/mnt', '/media'];

export function invalid(field: string, message: string): DomainError {
  return validationFailed([{ field, message }]);
}

export function forbidden(field: string, message: string): DomainError {
  return new DomainError('FORBIDDEN', message, [{ field, message }]);
}

/**
 * A request path, syntax only: absolute, no NUL, no `.` or `..` component (refused, never resolved:
 * a canonical path has none); repeated and trailing slashes are dropped. Throws 400 naming `field`.
 */
export function parseAbsolutePath(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw invalid(field, `${field} must be a non-empty string`);
  if (raw.includes('\0')) throw invalid(field, `${field} must not contain a NUL character`);
  if (!raw.startsWith('/')) throw invalid(field, `${field} must be an absolute path (starting with /)`);
  const names = raw.split('/').filter((name) => name !== '');
  if (names.some((name) => name === '.' || name === '..'))
    throw invalid(field, `${field} must not contain . or .. components`);
  return '/' + names.join('/');
}

/**
 * A new file or directory name: one path component, no `/`, `\`, control, bidirectional control or
 * line/paragraph separator characters, and not `.` or `..`. 400 naming `field` otherwise.
 */
export function parseBareName(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw invalid(field, `${field} must be a non-empty string`);
  if (/[/\\]/.test(raw) || raw === '.' || raw === '..')
    throw invalid(field, `${field} must be a bare name (no /, \\, and not . or ..)`);
  // C0/C1 controls and DEL (a newline in a name reads as a space in every listing), the bidi controls
  // (a name that displays as another: `txt.exe` shown as `exe.txt`) and the line/paragraph separators.
  const code = firstUnsafeChar(raw);
  if (code !== undefined)
    throw invalid(
      field,
      `${field} must not contain control or bidirectional control characters (it has ${code})`,
    );
  if (Buffer.byteLength(raw) > 255) throw invalid(field, `${field} must be at most 255 bytes`);
  return raw;
}

/** Components of a normalised absolute path, the root included: `/a/b/c` has 4. */
export function depthOf(path: string): number {
  return path === '/' ? 1 : path.split('/').length;
}

/** The longest file name Linux file systems take, in bytes (NAME_MAX). */
const NAME_MAX_BYTES = 255;

/**
 * The `n`-th auto-rename candidate for `name`: n = 0 is the name itself, then `stem (copy).ext`,
 * `stem (copy 2).ext`, ... The extension is the last suffix (`a.tar.gz` → `a.tar (copy).gz`); a
 * dotfile (`.env`) or a directory-like name without a dot has none. A candidate that would pass
 * NAME_MAX (255 bytes) has its stem shortened (whole characters) until it fits, as file managers do.
 */
export function copyName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  const suffix = ` (copy${n === 1 ? '' : ` ${n}`})${ext}`;
  const stem = [...(ext ? name.slice(0, -ext.length) : name)];
  while (stem.length > 1 && Buffer.byteLength(stem.join('') + suffix) > NAME_MAX_BYTES) stem.pop();
  return stem.join('') + suffix;
}

/**
 * Where every filesystem operation's paths are checked, in this order: syntax (400), no symlink
 * component in the path as given (400), inside the `--fs-root` trees after resolving real paths (403,
 * fail closed), then the operation's own floors (depth, denylist: 403).
 *
 * The checks and the operation are separate system calls: the operations therefore never follow a
 * link themselves (see `openAnchoredDir` in anchored-dir.ts), so a symlink another process plants in between
 * cannot redirect them.
 */
export class FsGuard {
  private readonly denied: ReadonlySet<string>;

  /**
   * `roots` are real paths (the config resolves them at boot); empty = no confinement. `home`: the
   * server user's home (refused by directory delete/move/rename, as given and as a real path).
   * `configFile`: the server's own config file, which the editor may read and save outside the roots.
   */
  constructor(
    readonly roots: readonly string[],
    readonly home: string,
    readonly configFile: string | null = null,
  ) {
    let realHome = home;
    try {
      realHome = realpathSync(home);
    } catch {
      /* no such home: nothing more to protect */
    }
    this.denied = new Set([...DENIED_DIRS, home, realHome, ...roots]);
  }

  /** Parses `raw` and checks it names a place the caller may reach; it need not exist yet. */
  async path(field: string, raw: unknown): Promise<string> {
    return this.check(field, raw, false);
  }

  /**
   * {@link path} for the editor's read and save, which may also reach the server's own config file
   * outside the `--fs-root` trees (⚙ in the console): that one regular file, by real path, and
   * nothing else in its directory (the state directory holds the token and other secrets). Whoever
   * may call the API can already rewrite the config (services) and run commands, so this opens
   * nothing new.
   */
  async editable(field: string, raw: unknown): Promise<string> {
    return this.check(field, raw, true);
  }

  private async check(field: string, raw: unknown, configToo: boolean): Promise<string> {
    const path = parseAbsolutePath(field, raw);
    const last = await this.refuseSymlinks(field, path);
    // `a.txt/` names a directory (POSIX: ENOTDIR), not the file: read, saved or removed, it was the file.
    if (last && !last.isDirectory() && path !== '/' && (raw as string).endsWith('/'))
      throw invalid(field, `${field}: ${path} is not a directory (a trailing / names one)`);
    if (configToo && last?.isFile() && (await this.isConfigFile(path))) return path;
    await this.confine(field, path);
    return path;
  }

  /** Whether `path` (no link in it, checked) is the config file itself, comparing real paths. */
  private async isConfigFile(path: string): Promise<boolean> {
    if (this.configFile === null) return false;
    try {
      const [real, config] = await Promise.all([realpath(path), realpath(this.configFile)]);
      return real === config;
    } catch {
      return false;
    }
  }

  /** Whether `path` (absolute, already checked for symlinks) is inside the `--fs-root` trees. */
  async inside(path: string): Promise<boolean> {
    try {
      await this.confine('path', path);
      return true;
    } catch {
      return false;
    }
  }

  /** `parent/name` for a new entry: the parent is checked like {@link path}, the name must be bare. */
  async child(parentField: string, parent: unknown, nameField: string, name: unknown): Promise<string> {
    const bare = parseBareName(nameField, name);
    return join(await this.path(parentField, parent), bare);
  }

  /** 403 unless `path` has at least {@link MIN_DEPTH} components (mutations only). */
  depthFloor(field: string, path: string): void {
    if (depthOf(path) < MIN_DEPTH)
      throw forbidden(
        field,
        `${field} ${path} is too close to / (a change needs at least ${MIN_DEPTH} path components, like /home/me/x)`,
      );
  }

  /** 403 for a system root, the server user's home or an `--fs-root` itself (directory delete/move/rename). */
  notDenied(field: string, path: string): void {
    if (this.denied.has(path))
      throw forbidden(field, `${field} ${path} is protected and cannot be removed or moved`);
  }

  /** Every component of `path` that exists, lstat'ed: none may be a link. The last one's stats, if it exists. */
  private async refuseSymlinks(field: string, path: string): Promise<Stats | null> {
    let at = '';
    let stats: Stats | null = null;
    for (const name of path.split('/').slice(1)) {
      at += `/${name}`;
      try {
        stats = await lstat(at);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return null; // the rest does not exist: nothing further can be a link
        if (code === 'ENOTDIR') throw invalid(field, `${field}: ${dirname(at)} is not a directory`);
        throw fsError(err, field, at);
      }
      if (stats.isSymbolicLink())
        throw invalid(field, `${field} must not go through a symbolic link (${at} is one)`);
    }
    return stats;
  }

  /** The real path of `path` (of its deepest existing ancestor, plus the rest) must be inside a root. */
  private async confine(field: string, path: string): Promise<void> {
    if (this.roots.length === 0) return;
    let existing = path;
    let rest = '';
    let real: string | undefined;
    while (real === undefined) {
      try {
        real = await realpath(existing);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === '/')
          throw forbidden(field, outside(field, path));
        rest = rest ? join(basename(existing), rest) : basename(existing);
        existing = dirname(existing);
      }
    }
    const resolved = rest ? join(real, rest) : real;
    const inside = this.roots.some(
      (root) => resolved === root || resolved.startsWith(root === sep ? root : root + sep),
    );
    if (!inside) throw forbidden(field, outside(field, path));
  }
}

function outside(field: string, path: string): string {
  return `${field} ${path} is outside the directories this server may touch (--fs-root)`;
}
