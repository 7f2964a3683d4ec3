import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { readRegularFile } from '@trainyard/fs';
import { basename, join } from 'node:path';
import {
  describeWorkspace,
  FORGATHER_META,
  FORGATHER_WORKSPACE_DIR,
  readForgatherProject,
  readmeSummary,
} from './forgather';
import { type ConfigSpec, MANIFEST_FILE, ManifestError, parseManifest } from './manifest';

/** Directory names never walked into: hidden ones (`.git`, `.venv`, ...) too. */
export const PRUNED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '__pycache__',
  'output_models',
  FORGATHER_WORKSPACE_DIR,
]);
/** A walk stops descending this deep below a search root, and after visiting this many directories. */
export const MAX_WALK_DEPTH = 24;
export const MAX_WALK_DIRS = 50_000;

export type ProjectKind = 'trainyard' | 'forgather';

export interface Project {
  /** Stable id: the first 16 hex digits of sha256(path). */
  id: string;
  kind: ProjectKind;
  /** Absolute directory. */
  path: string;
  /** The search root it was found under. */
  root: string;
  name: string;
  description: string;
  default_config?: string;
  configs: ConfigSpec[];
  /** Why the manifest could not be used (the project is listed, with no configs). */
  error?: string;
}

export interface WorkspaceNode {
  path: string;
  name: string;
  description: string;
  workspaces: WorkspaceNode[];
  projects: Project[];
}

export interface RootNode {
  path: string;
  /** Top-level workspaces under this root (nested ones inside them). */
  workspaces: WorkspaceNode[];
  /** Projects in no workspace. */
  projects: Project[];
  /** Why the root could not be walked (missing, unreadable). */
  error?: string;
  /** The walk stopped early at {@link MAX_WALK_DIRS}. */
  truncated: boolean;
}

export interface Discovery {
  roots: RootNode[];
  /** Every project by id. */
  projects: Map<string, Project>;
  /** Every directory walked (what a watcher watches). */
  dirs: string[];
}

export function projectId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

/**
 * Walks each search root for projects (`trainyard.yaml`, Forgather `meta.yaml`) and Forgather
 * workspaces (`forgather_workspace/`). Never follows a symbolic link (so never leaves the root, and a
 * link loop is never entered); a directory reached twice (a bind mount loop) is walked once.
 */
export async function discover(roots: readonly string[]): Promise<Discovery> {
  const projects = new Map<string, Project>();
  const dirs: string[] = [];
  const out: RootNode[] = [];
  for (const root of roots) {
    const node = await walkRoot(root, dirs);
    for (const p of [...node.projects, ...flatten(node.workspaces)]) projects.set(p.id, p);
    out.push(node);
  }
  return { roots: out, projects, dirs };
}

function flatten(workspaces: WorkspaceNode[]): Project[] {
  return workspaces.flatMap((w) => [...w.projects, ...flatten(w.workspaces)]);
}

async function walkRoot(root: string, dirs: string[]): Promise<RootNode> {
  const node: RootNode = { path: root, workspaces: [], projects: [], truncated: false };
  const workspaces: WorkspaceNode[] = [];
  const found: Project[] = [];
  const seen = new Set<string>();
  const stack: Array<[string, number]> = [[root, 0]];
  let count = 0;
  while (stack.length) {
    const [dir, depth] = stack.pop()!;
    let entries;
    try {
      const st = await stat(dir);
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) node.error = `${root}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
      continue;
    }
    if (++count > MAX_WALK_DIRS) {
      node.truncated = true;
      break;
    }
    dirs.push(dir);
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    if (subdirs.includes(FORGATHER_WORKSPACE_DIR))
      workspaces.push({ path: dir, ...(await describeWorkspace(dir)), workspaces: [], projects: [] });
    if (files.has(MANIFEST_FILE)) found.push(await readTrainyardProject(dir, root));
    else if (files.has(FORGATHER_META)) found.push(await forgatherProject(dir, root));
    if (depth >= MAX_WALK_DEPTH) continue;
    for (const name of subdirs.sort().reverse())
      if (!name.startsWith('.') && !PRUNED_DIRS.has(name)) stack.push([join(dir, name), depth + 1]);
  }
  cluster(node, workspaces, found);
  return node;
}

/** Nests each workspace under its deepest enclosing one, and each project under its deepest workspace. */
function cluster(node: RootNode, workspaces: WorkspaceNode[], projects: Project[]): void {
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  workspaces.sort(byPath);
  projects.sort(byPath);
  const enclosing = (path: string, self?: WorkspaceNode) =>
    workspaces
      .filter((w) => w !== self && (path === w.path || path.startsWith(`${w.path}/`)))
      .reduce<WorkspaceNode | undefined>(
        (best, w) => (!best || w.path.length > best.path.length ? w : best),
        undefined,
      );
  for (const w of workspaces) (enclosing(w.path, w)?.workspaces ?? node.workspaces).push(w);
  for (const p of projects) (enclosing(p.path)?.projects ?? node.projects).push(p);
}

async function readTrainyardProject(dir: string, root: string): Promise<Project> {
  const base = { id: projectId(dir), kind: 'trainyard' as const, path: dir, root };
  const readme = await readmeSummary(dir);
  const fallback = { name: readme.name ?? basename(dir), description: readme.description ?? '' };
  try {
    const manifest = parseManifest(await readRegularFile(join(dir, MANIFEST_FILE)), dir);
    return {
      ...base,
      name: manifest.name ?? fallback.name,
      description: manifest.description ?? fallback.description,
      default_config: manifest.default_config,
      configs: manifest.configs,
    };
  } catch (err) {
    const error = err instanceof ManifestError ? `${MANIFEST_FILE}: ${err.message}` : String(err);
    return { ...base, ...fallback, configs: [], error };
  }
}

async function forgatherProject(dir: string, root: string): Promise<Project> {
  const found = await readForgatherProject(dir);
  return { id: projectId(dir), kind: 'forgather', path: dir, root, ...found };
}
