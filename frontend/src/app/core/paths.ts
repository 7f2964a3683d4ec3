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
