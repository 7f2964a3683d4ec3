/** Absolute POSIX path helpers shared by the files tree, the path picker and `FileEvents`. */

/** `/a/b/c` → `/a/b`; `/a` → `/`; `/` → `/`. */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** `/a/b/c` → `c`; `/` → `/`. */
export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

/** A bare name inside a directory: `joinPath('/', 'a')` is `/a`. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** True when `path` is `dir` itself or anything below it (`/a/bc` is not under `/a/b`). */
export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** `path` with the prefix `from` replaced by `to` (for a path under a renamed/moved `from`). */
export function rebase(path: string, from: string, to: string): string {
  return path === from ? to : to + path.slice(from === '/' ? 0 : from.length);
}

/**
 * For paths that share a file name, the shortest end of each one's directory that tells it from the
 * others (`/a/x/hello.py`, `/b/x/hello.py` → `a/x`, `b/x`; `/hello.py`, `/a/hello.py` → `/`, `a`), as
 * editors label same-named tabs. A path whose name no other path has is not in the map.
 */
export function distinguishingDirs(paths: readonly string[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const path of new Set(paths))
    byName.set(baseName(path), [...(byName.get(baseName(path)) ?? []), path]);
  const out = new Map<string, string>();
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    const dirs = same.map((path) => parentOf(path).split('/').filter(Boolean));
    same.forEach((path, i) => {
      const mine = dirs[i];
      const tail = (parts: string[], k: number) => parts.slice(-k).join('/');
      let k = 1;
      while (k <= mine.length && dirs.some((other, j) => j !== i && tail(other, k) === tail(mine, k))) k++;
      out.set(path, k > mine.length ? `/${mine.join('/')}` : tail(mine, k));
    });
  }
  return out;
}
