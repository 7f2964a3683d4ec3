import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { copyFile, lstat, mkdir, realpath, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { DomainError, type ErrorDetail } from '@trainyard/core';
import {
  FileOps,
  FS_GUARD,
  FsGuard,
  forbidden,
  invalid,
  onPath,
  parseBareName,
  readRegularFile,
  requireConfirmation,
} from '@trainyard/fs';
import { PROJECT_ENV, type Job } from '@trainyard/jobs';
import { SubmitJobCommand } from '@trainyard/queue';
import { type Artifacts, scanArtifacts } from './artifacts';
import type { Project } from './discovery';
import { type OverrideValues, ConfigOverrideRepository } from './infrastructure/config-override.repository';
import {
  type ConfigSpec,
  fillPlaceholders,
  MANIFEST_FILE,
  outputDirFor,
  type ParamValue,
  valueProblem,
} from './manifest';
import { ProjectCatalog } from './project-catalog';

export interface ReadmeImage {
  /** As written in the README (relative to the project). */
  src: string;
  /** The fs asset endpoint URL that serves it. */
  url: string;
}

export interface RunOptions {
  overrides?: Record<string, unknown>;
  priority?: number;
  requested_gpus?: number;
  name?: string;
  /** Remember the values used as the config's overrides (default true, as the original does). */
  remember?: boolean;
}

const IMAGE = /!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<img\s[^>]*src\s*=\s*["']([^"']+)["']/gi;

/** Project detail, artifacts, overrides, runs and new projects/configs; the walk itself is in ProjectCatalog. */
@Injectable()
export class ProjectService {
  constructor(
    readonly catalog: ProjectCatalog,
    private readonly overrides: ConfigOverrideRepository,
    private readonly files: FileOps,
    private readonly commandBus: CommandBus,
    @Inject(FS_GUARD) private readonly guard: FsGuard,
  ) {}

  /** README.md source (null when none) and its relative images resolved to `/api/fs/asset` URLs. */
  async readme(
    project: Project,
  ): Promise<{ readme: string | null; readme_path: string | null; images: ReadmeImage[] }> {
    const path = join(project.path, 'README.md');
    const readme = await readRegularFile(path).catch(() => null);
    if (readme === null) return { readme: null, readme_path: null, images: [] };
    const images: ReadmeImage[] = [];
    for (const m of readme.matchAll(IMAGE)) {
      const src = m[1] ?? m[2];
      if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/') || src.startsWith('#')) continue;
      const asset = src.replace(/^\.\//, '');
      if (images.some((i) => i.src === src)) continue;
      images.push({
        src,
        url: `/api/fs/asset?base=${encodeURIComponent(project.path)}&asset=${encodeURIComponent(asset)}`,
      });
    }
    return { readme, readme_path: path, images };
  }

  outputDir(project: Project, config: ConfigSpec): string {
    return outputDirFor(project.path, config.output_dir, config.name, basename(project.path));
  }

  async artifacts(project: Project, config: ConfigSpec): Promise<Artifacts> {
    return scanArtifacts(this.outputDir(project, config));
  }

  /**
   * Deletes one artifact (a run, checkpoint or evaluation; or the whole output dir) through the fs
   * guards; `path` must be the config's output dir or inside it (403 otherwise).
   */
  async deleteArtifact(
    project: Project,
    config: ConfigSpec,
    rawPath: unknown,
    confirmed: boolean,
  ): Promise<string> {
    const path = await this.guard.path('path', rawPath);
    const out = this.outputDir(project, config);
    if (path !== out && !path.startsWith(`${out}/`))
      throw forbidden('path', `path ${path} is not inside the config's output directory ${out}`);
    const stats = await onPath('path', path, () => lstat(path));
    return stats.isDirectory()
      ? this.files.deleteDir(path, confirmed)
      : this.files.deleteFile(path, confirmed);
  }

  /** Checks `values` against the config's params: 400 naming `<field>.<name>` for each bad one. */
  checkValues(field: string, config: ConfigSpec, values: unknown, project: Project): OverrideValues {
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw invalid(field, `${field} must be an object of param name → value`);
    const details: ErrorDetail[] = [];
    const out: OverrideValues = {};
    for (const [name, value] of Object.entries(values)) {
      const spec = config.params.find((p) => p.name === name);
      // Forgather configs declare their dynamic args in Python: any scalar is accepted there.
      let problem: string | undefined;
      if (spec) problem = valueProblem(spec.type, value, spec.choices);
      else if (project.kind === 'trainyard')
        problem = `is not a param of config ${config.name} (params: ${config.params.map((p) => p.name).join(', ') || 'none'})`;
      else if (!['string', 'number', 'boolean'].includes(typeof value))
        problem = 'must be a string, number or boolean';
      if (problem) details.push({ field: `${field}.${name}`, message: `${field}.${name} ${problem}` });
      else out[name] = value as ParamValue;
    }
    if (details.length)
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid ${field}: ${details.map((d) => d.message).join('; ')}`,
        details,
      );
    return out;
  }

  async getOverrides(project: Project, config: ConfigSpec) {
    return this.overrides.get(project.path, config.name);
  }

  async setOverrides(project: Project, config: ConfigSpec, values: unknown) {
    const checked = withoutDefaults(config, this.checkValues('values', config, values, project));
    const updated_at = await this.overrides.set(project.path, config.name, checked);
    return { values: checked, updated_at };
  }

  async clearOverrides(project: Project, config: ConfigSpec): Promise<boolean> {
    return this.overrides.clear(project.path, config.name);
  }

  /**
   * Submits the config as a job with cwd = the project: defaults ← remembered overrides ← `overrides`.
   * `command` configs fill `{param}` in their argv; `training` ones pass each param as `--name value`
   * after the script (a boolean true as a bare `--name`, false omitted).
   */
  async run(project: Project, config: ConfigSpec, options: RunOptions): Promise<Job> {
    const given = this.checkValues('overrides', config, options.overrides ?? {}, project);
    const remembered = (await this.overrides.get(project.path, config.name)).values;
    const values: OverrideValues = {};
    for (const p of config.params) if (p.default !== undefined) values[p.name] = p.default;
    // A remembered value the schema no longer accepts is skipped, not an error.
    for (const [k, v] of Object.entries(remembered)) {
      const spec = config.params.find((p) => p.name === k);
      if (project.kind === 'forgather' || (spec && !valueProblem(spec.type, v, spec.choices))) values[k] = v;
    }
    Object.assign(values, given);
    const outputDir = this.outputDir(project, config);
    const fill = (s: string) =>
      fillPlaceholders(s, {
        ...values,
        project_dir: project.path,
        output_dir: outputDir,
        config: config.name,
      });
    let jobParams: Record<string, unknown>;
    if (config.argv) {
      const dynamic = project.kind === 'forgather' ? asArgs(values) : [];
      jobParams = { argv: [...config.argv.map(fill), ...dynamic] };
    } else if (config.job_params) {
      jobParams = fillDeep(config.job_params, fill) as Record<string, unknown>;
    } else {
      jobParams = { script: fill(config.script!), args: asArgs(values) };
    }
    const { job } = await this.commandBus.execute(
      new SubmitJobCommand(
        {
          job_type: config.job_type,
          job_params: jobParams,
          cwd: project.path,
          priority: options.priority ?? 0,
          requested_gpus: options.requested_gpus ?? config.gpus,
          name: options.name ?? `${project.name}/${config.name}`,
          env: { [PROJECT_ENV]: project.name },
        },
        undefined,
      ),
    );
    // A value given equal to its default replaces the remembered one, and is then forgotten.
    if (options.remember !== false && Object.keys(given).length)
      await this.overrides.set(
        project.path,
        config.name,
        withoutDefaults(config, { ...remembered, ...given }),
      );
    return job;
  }

  /**
   * A new `trainyard.yaml` project `parent/dir_name` (parent at or under a search root): README.md,
   * trainyard.yaml with one `train` config (a command that echoes its `message` param) and
   * configs/train.yaml. 409 when the directory exists.
   */
  async createProject(
    rawParent: unknown,
    rawName: unknown,
    title?: string,
    description?: string,
  ): Promise<string> {
    const dir = await this.guard.child('parent', rawParent, 'dir_name', rawName);
    const parent = dirname(dir);
    if (!(await this.underSearchRoot(parent)))
      throw forbidden('parent', `parent ${parent} is not at or under a search root`);
    this.guard.depthFloor('dir_name', dir);
    await onPath('dir_name', dir, () => mkdir(dir));
    const name = title ?? basename(dir);
    const about = description ?? 'A Trainyard project.';
    await mkdir(join(dir, 'configs'));
    await writeFile(join(dir, 'README.md'), `# ${name}\n\n${about}\n`);
    await writeFile(join(dir, 'configs', 'train.yaml'), '# Settings for the train config.\nmessage: hello\n');
    const doc = parseDocument(PROJECT_TEMPLATE);
    doc.set('name', name);
    doc.set('description', about);
    await writeFile(join(dir, MANIFEST_FILE), doc.toString());
    await this.catalog.refresh();
    return dir;
  }

  /**
   * A new config `name` copied from `from` (default: the default config). trainyard.yaml: a new
   * entry (same job type, params, argv) and, when the template has a file, a copy as
   * `configs/<name>.yaml`; Forgather: the template's YAML copied as `<name>.yaml` beside it. 409 when taken.
   */
  async createConfig(project: Project, rawName: unknown, from: string | undefined): Promise<ConfigSpec> {
    const name = parseBareName('name', rawName);
    if (project.error) throw invalid('id', `the project's manifest is broken: ${project.error}`);
    const template = this.catalog.config(project, from ?? project.default_config ?? '');
    if (project.kind === 'forgather') {
      const file = join(dirname(template.file!), name.endsWith('.yaml') ? name : `${name}.yaml`);
      await this.guard.path('name', file);
      await onPath('name', file, () => copyFile(template.file!, file, 1 /* COPYFILE_EXCL */));
    } else {
      if (project.configs.some((c) => c.name === name))
        throw new DomainError('PATH_EXISTS', `config "${name}" already exists`, [
          { field: 'name', message: `config "${name}" already exists` },
        ]);
      const manifest = join(project.path, MANIFEST_FILE);
      const doc = parseDocument(await onPath('id', manifest, () => readRegularFile(manifest)));
      const configs = doc.get('configs') as { items: unknown[] } | undefined;
      const index = project.configs.indexOf(template);
      const entry = doc.getIn(['configs', index]) as { clone(): { set(k: string, v: unknown): void } };
      const copy = entry.clone();
      copy.set('name', name);
      if (template.file) {
        const file = join(project.path, 'configs', `${name}.yaml`);
        await this.guard.path('name', file);
        await mkdir(dirname(file), { recursive: true });
        await onPath('name', file, () => copyFile(template.file!, file, 1 /* COPYFILE_EXCL */));
        copy.set('file', relative(project.path, file));
      }
      configs!.items.push(copy);
      await writeFile(manifest, doc.toString());
    }
    const fresh = await this.catalog.refresh();
    const updated = fresh.projects.get(project.id);
    return this.catalog.config(
      updated ?? project,
      project.kind === 'forgather' && !name.endsWith('.yaml') ? `${name}.yaml` : name,
    );
  }

  /**
   * Deletes a config (needs `confirmed`). trainyard.yaml: its entry is removed from the manifest (the
   * rest of the file, comments included, is kept; a `default_config` naming it moves to the first
   * config left, or is dropped when none is) and its `file` is deleted unless `keepFile` or another
   * config still names it. Forgather: its YAML file is deleted. Outputs stay. Its remembered overrides
   * are cleared (journaled). Every file touched must resolve (real path) inside a search root (403
   * naming `config`) and pass the fs guards.
   */
  async deleteConfig(
    project: Project,
    config: ConfigSpec,
    confirmed: boolean,
    keepFile: boolean,
  ): Promise<DeletedConfig> {
    requireConfirmation(confirmed);
    let manifest: string | null = null;
    let file = config.file ?? null;
    if (project.kind === 'trainyard') {
      if (project.error) throw invalid('id', `the project's manifest is broken: ${project.error}`);
      manifest = join(project.path, MANIFEST_FILE);
      const shared = project.configs.some((c) => c !== config && c.file === config.file);
      if (keepFile || shared) file = null;
    }
    // All checks before any change, so a refusal leaves everything as it was.
    for (const path of [manifest, file]) if (path) await this.mustBeUnderSearchRoot('config', path);
    if (manifest) {
      const doc = parseDocument(await onPath('config', manifest, () => readRegularFile(manifest)));
      const configs = doc.get('configs');
      const index = isSeq(configs)
        ? configs.items.findIndex((item) => isMap(item) && item.get('name') === config.name)
        : -1;
      if (!isSeq(configs) || index < 0)
        throw new DomainError('NOT_FOUND', `${manifest} no longer has config "${config.name}"`, [
          { field: 'config', message: `no config "${config.name}" in ${manifest}` },
        ]);
      configs.items.splice(index, 1);
      if (doc.get('default_config') === config.name) {
        const next = configs.items.find(isMap)?.get('name');
        if (typeof next === 'string') doc.set('default_config', next);
        else doc.delete('default_config');
      }
      await this.guard.path('config', manifest);
      await onPath('config', manifest, () => writeFile(manifest, doc.toString()));
    }
    if (file) await this.files.deleteFile(file, true);
    const overridesCleared = await this.overrides.clear(project.path, config.name);
    await this.catalog.refresh();
    return { config: config.name, manifest, deleted_file: file, overrides_cleared: overridesCleared };
  }

  /** Whether `path` (its real path, or its deepest existing ancestor's) is at or under a search root. */
  private async underSearchRoot(path: string): Promise<boolean> {
    const real = await realExisting(path);
    const roots = await Promise.all(
      (await this.catalog.get()).roots.map((r) => realpath(r.path).catch(() => r.path)),
    );
    return roots.some((r) => real === r || real.startsWith(`${r}/`));
  }

  private async mustBeUnderSearchRoot(field: string, path: string): Promise<void> {
    if (!(await this.underSearchRoot(path)))
      throw forbidden(field, `${path} resolves outside the search roots; it is not changed from here`);
  }
}

/** What deleting a config changed. */
export interface DeletedConfig {
  config: string;
  /** The trainyard.yaml edited, or null (Forgather). */
  manifest: string | null;
  /** The config file deleted, or null when none was (kept, shared, or the config had none). */
  deleted_file: string | null;
  /** Whether remembered overrides were forgotten. */
  overrides_cleared: boolean;
}

/** The real path of `path`, resolving its deepest existing ancestor when it does not exist (yet). */
async function realExisting(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await realExisting(parent), basename(path));
  }
}

function asArgs(values: OverrideValues): string[] {
  return Object.entries(values).flatMap(([k, v]) =>
    v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)],
  );
}

function fillDeep(value: unknown, fill: (s: string) => string): unknown {
  if (typeof value === 'string') return fill(value);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, fill));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, fill)]));
  return value;
}

const PROJECT_TEMPLATE = `# Trainyard project manifest (see the README's "Projects" section).
name: ""
description: ""
default_config: train
output_dir: output_models/{config}
configs:
  - name: train
    file: configs/train.yaml
    description: Echoes its message (replace argv with your training command).
    job_type: command
    argv: [echo, "{message}"]
    params:
      - name: message
        type: string
        default: hello
        help: What to print
`;

/** `values` less those equal to their param's default: what is remembered is what differs from it. */
function withoutDefaults(config: ConfigSpec, values: OverrideValues): OverrideValues {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([name, value]) => config.params.find((p) => p.name === name)?.default !== value,
    ),
  );
}
