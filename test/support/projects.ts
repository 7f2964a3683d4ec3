import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Answer, request } from './http';
import { InProcessServer, startInProcessServer } from './in-process-server';

/** A project as GET /api/projects lists it (the fields the specs read). */
export interface Project {
  id: string;
  kind: string;
  path: string;
  name: string;
  description: string;
  default_config: string | null;
  configs: Array<{ name: string; file: string | null; job_type: string; output_dir: string }>;
  error?: string;
}
export interface Workspace {
  path: string;
  name: string;
  description: string;
  workspaces: Workspace[];
  projects: Project[];
}
/** GET /api/projects: one entry per search root. */
export interface ProjectTree {
  roots: Array<{ path: string; workspaces: Workspace[]; projects: Project[] }>;
}

/** Every project in `tree`: each root's own, then its workspaces' (nested ones included). */
export function allProjects(tree: ProjectTree): Project[] {
  const fromWs = (ws: Workspace[]): Project[] => ws.flatMap((w) => [...w.projects, ...fromWs(w.workspaces)]);
  return tree.roots.flatMap((r) => [...r.projects, ...fromWs(r.workspaces)]);
}

/** Writes each `files` entry (path relative to `dir` → text), making its folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/**
 * A real directory tree for the projects API and the in-process server it is given to. `work` is a
 * fresh temp folder under its real path (so answers compare with `join()`), holding `root` (the
 * search root) and `outside` (a folder beside it that no search root covers); both are made by the
 * spec, which fills them before `start()`.
 */
export class ProjectsFixture {
  readonly work: string;
  readonly root: string;
  readonly outside: string;
  /** The running server; `restart()` replaces it. */
  server!: InProcessServer;
  private options: Parameters<typeof startInProcessServer>[0] = {};

  constructor(prefix: string) {
    this.work = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
    this.root = join(this.work, 'root');
    this.outside = join(this.work, 'outside');
  }

  /** A raw request to the current server with its token (errors come back as answers). */
  call = (method: string, path: string, body?: unknown): Promise<Answer> =>
    request(this.server.baseUrl, method, path, { token: this.server.token, body });

  /** Starts the server (`options` as startInProcessServer's) and adds `root` as a search root. */
  async start(options: Parameters<typeof startInProcessServer>[0] = {}): Promise<void> {
    this.options = options;
    this.server = await startInProcessServer(options);
    const added = await this.call('POST', '/api/search-roots', { path: this.root });
    if (added.status !== 200) throw new Error(`adding the search root: ${added.status} ${added.text}`);
  }

  /** Closes the server and starts it again with the same options (same home when one was given). */
  async restart(): Promise<void> {
    await this.server.close();
    this.server = await startInProcessServer(this.options);
  }

  /** The project listed at `path`, if any. */
  async projectAt(path: string): Promise<Project | undefined> {
    return allProjects((await this.call('GET', '/api/projects')).body as ProjectTree).find(
      (p) => p.path === path,
    );
  }

  /** Closes the server and removes `work`. */
  async close(): Promise<void> {
    await this.server?.close();
    rmSync(this.work, { recursive: true, force: true });
  }
}
