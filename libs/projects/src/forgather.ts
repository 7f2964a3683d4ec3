import { readdir } from 'node:fs/promises';
import { readRegularFile } from '@trainyard/fs';
import { basename, join, relative } from 'node:path';
import { parse } from 'yaml';
import { type ConfigSpec, DEFAULT_OUTPUT_DIR } from './manifest';

// Forgather projects as the original server recognises them: a directory with `meta.yaml` is a
// project, one with a `forgather_workspace/` directory is a workspace. meta.yaml is Jinja-templated
// YAML, so its few keys are read leniently (a YAML mapping when it parses, `-- set ns.key = "v"` lines
// otherwise).

export const FORGATHER_META = 'meta.yaml';
export const FORGATHER_WORKSPACE_DIR = 'forgather_workspace';
const MAX_CONFIGS = 1000;

export interface Described {
  name: string;
  description: string;
}

/** README title (first `# ` heading) and first paragraph, or nothing. */
export async function readmeSummary(dir: string): Promise<Partial<Described>> {
  const text = await readRegularFile(join(dir, 'README.md')).catch(() => undefined);
  if (text === undefined) return {};
  const lines = text.split('\n');
  const titleAt = lines.findIndex((l) => /^#\s+\S/.test(l));
  const name = titleAt >= 0 ? lines[titleAt].replace(/^#\s+/, '').trim() : undefined;
  const paragraph: string[] = [];
  for (const line of lines.slice(titleAt + 1)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('![') || t.startsWith('```') || t.startsWith('<')) {
      if (paragraph.length) break;
      continue;
    }
    paragraph.push(t);
  }
  return { name, description: paragraph.length ? paragraph.join(' ') : undefined };
}

/** Workspace name/description: `forgather_workspace/workspace.yaml` → README title/first paragraph → dir name. */
export async function describeWorkspace(dir: string): Promise<Described> {
  const meta = await readLenient(join(dir, FORGATHER_WORKSPACE_DIR, 'workspace.yaml'));
  const readme = await readmeSummary(dir);
  return {
    name: meta.name ?? readme.name ?? basename(dir),
    description: meta.description ?? readme.description ?? '',
  };
}

export interface ForgatherProject extends Described {
  default_config?: string;
  configs: ConfigSpec[];
}

/** A Forgather project: configs are the YAML files under the config prefix (`configs` by default). */
export async function readForgatherProject(dir: string): Promise<ForgatherProject> {
  const meta = await readLenient(join(dir, FORGATHER_META));
  const readme = await readmeSummary(dir);
  const prefix = safeRelative(meta.config_prefix) ?? 'configs';
  const configDir = join(dir, prefix);
  const files = await yamlFiles(configDir);
  const configs: ConfigSpec[] = files.map((file) => ({
    name: relative(configDir, file),
    file,
    // Forgather's training configs run as `forgather -t <config> train` (a command job in the project).
    job_type: 'command',
    argv: ['forgather', '-t', relative(configDir, file), 'train'],
    params: [],
    output_dir: DEFAULT_OUTPUT_DIR,
  }));
  const wanted = meta.default_config;
  return {
    name: meta.name ?? readme.name ?? basename(dir),
    description: meta.description ?? readme.description ?? '',
    default_config: configs.some((c) => c.name === wanted) ? wanted : configs[0]?.name,
    configs,
  };
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string, depth: number): Promise<void> => {
    if (depth > 8 || out.length >= MAX_CONFIGS) return;
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const path = join(at, e.name);
      if (e.isDirectory()) await walk(path, depth + 1);
      else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(path);
    }
  };
  await walk(dir, 0);
  return out;
}

type Lenient = Partial<Record<'name' | 'description' | 'config_prefix' | 'default_config', string>>;

async function readLenient(file: string): Promise<Lenient> {
  const text = await readRegularFile(file).catch(() => undefined);
  if (text === undefined) return {};
  const out: Lenient = {};
  const keys = ['name', 'description', 'config_prefix', 'default_config'] as const;
  try {
    const doc: unknown = parse(text);
    if (doc && typeof doc === 'object' && !Array.isArray(doc))
      for (const key of keys) {
        const v = (doc as Record<string, unknown>)[key];
        if (typeof v === 'string') out[key] = v;
      }
  } catch {
    /* templated: fall back to the line patterns below */
  }
  for (const key of keys) {
    if (out[key] !== undefined) continue;
    const m = new RegExp(`(?:^|ns\\.)${key}\\s*[:=]\\s*["']([^"']*)["']`, 'm').exec(text);
    if (m) out[key] = m[1];
  }
  return out;
}

function safeRelative(path: string | undefined): string | undefined {
  if (!path || path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '')) return undefined;
  return path;
}
