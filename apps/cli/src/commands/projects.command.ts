import type { Command } from 'commander';
import {
  escapeControls,
  getProject,
  listProjects,
  listRunsPage,
  type ConfigDto,
  type ProjectDetailDto,
  type ProjectSummaryDto,
  type ProjectTreeDto,
  type WorkspaceNodeDto,
} from '@trainyard/sdk';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { renderPairs, renderTable, truncate } from '../format';
import { onlyOne } from '../job-id';
import type { CommandRunner } from './runner';

/** Every project of the tree: each root's own, then its workspaces' (nested ones included), in order. */
export function allProjects(tree: ProjectTreeDto): ProjectSummaryDto[] {
  const inside = (workspaces: WorkspaceNodeDto[]): ProjectSummaryDto[] =>
    workspaces.flatMap((w) => [...w.projects, ...inside(w.workspaces)]);
  return tree.roots.flatMap((root) => [...root.projects, ...inside(root.workspaces)]);
}

/** Why `projects list` has no rows (a note for stderr), or null when it has some. */
export function nothingToList(tree: ProjectTreeDto): string | null {
  if (!tree.roots.length)
    return 'no search roots: add a directory in the console (Files), or POST /api/search-roots';
  if (allProjects(tree).length) return null;
  return `no projects under ${tree.roots.map((r) => r.path).join(', ')} (a folder with trainyard.yaml, or a Forgather meta.yaml)`;
}

/**
 * `projects list`: a table (ID NAME KIND CONFIGS PATH; the path cut to the terminal's width on one),
 * then a line per project whose manifest could not be used and per search root that could not be
 * walked whole. Every cell and line escaped: names, descriptions and errors come from files.
 */
export function renderProjects(ctx: CliContext, tree: ProjectTreeDto): string {
  const projects = allProjects(tree);
  const text = projects.length
    ? renderTable(
        [
          { header: 'ID' },
          { header: 'NAME' },
          { header: 'KIND' },
          { header: 'CONFIGS', align: 'right' },
          { header: 'PATH' },
        ],
        projects.map((p) => [p.id, truncate(p.name, 32), p.kind, String(p.configs.length), p.path]),
        { width: ctx.terminalWidth },
      )
    : '';
  const notes = [
    ...projects.filter((p) => p.error).map((p) => `${p.name} (${p.id}): ${p.error}`),
    ...tree.roots.filter((r) => r.error).map((r) => `search root ${r.path}: ${r.error}`),
    ...tree.roots
      .filter((r) => r.truncated)
      .map((r) => `search root ${r.path}: the walk stopped at its limit; some projects may be missing`),
  ];
  // Escaped: one line each, whatever a manifest's error quotes.
  return text + notes.map((note) => `${escapeControls(note)}\n`).join('');
}

/** A config's parameters with their defaults: `lr=0.001 optimizer=adam steps`. */
function paramsOf(config: ConfigDto): string {
  return config.params.map((p) => (p.default === undefined ? p.name : `${p.name}=${p.default}`)).join(' ');
}

/** `projects show`: the project's record, then its configs. `runs` is how many runs it has filed. */
export function renderProject(project: ProjectDetailDto, runs: number | null): string {
  const pairs: Array<[string, string]> = [
    ['id', project.id],
    ['name', project.name],
    ['kind', project.kind],
    ['path', project.path],
    ['root', project.root],
    ['description', project.description || '-'],
    ['default config', project.default_config ?? '-'],
    ['readme', project.readme_path ?? '-'],
  ];
  if (project.error) pairs.push(['error', project.error]);
  if (runs !== null)
    pairs.push(['runs', runs ? `${runs} (trainyard runs list --project "${project.name}")` : '0']);
  let text = renderPairs(pairs);
  text += '\nconfigs:\n';
  text += project.configs.length
    ? renderTable(
        [
          { header: '  NAME' },
          { header: 'JOB TYPE' },
          { header: 'GPUS', align: 'right' },
          { header: 'PARAMS' },
          { header: 'DESCRIPTION' },
        ],
        project.configs.map((c) => [
          `  ${c.name}${c.name === project.default_config ? ' *' : ''}`,
          c.job_type,
          c.gpus === undefined ? '-' : String(c.gpus),
          paramsOf(c) || '-',
          c.description ?? '',
        ]),
      )
    : '  (none)\n';
  return text;
}

/**
 * The project a user means: its id (16 hex digits) or a unique prefix of one, or its name. No match:
 * CliError with exit 5; several: exit 2, naming them.
 */
export function findProject(projects: ProjectSummaryDto[], given: string): ProjectSummaryDto {
  if (given.trim() === '') throw new CliError('a project name or id cannot be empty', EXIT.invalid);
  const byId = projects.find((p) => p.id === given);
  if (byId) return byId;
  let matches = projects.filter((p) => p.name === given);
  if (!matches.length) matches = projects.filter((p) => p.id.startsWith(given));
  if (!matches.length)
    throw new CliError(
      `no project named "${given}" or with an id starting so (\`trainyard projects list\` shows them)`,
      EXIT.notFound,
    );
  const described = matches.map((p) => `${p.id} at ${p.path}`);
  const one = onlyOne(given, described, 'projects', 'give its id');
  return matches[described.indexOf(one)];
}

export function registerProjects(program: Command, run: CommandRunner): void {
  const projects = program
    .command('projects')
    .summary('projects found under the search roots')
    .description('Projects: folders with trainyard.yaml, and Forgather projects (README "Projects").');

  projects
    .command('list')
    .description('every project under the search roots: id, name, kind, how many configs, path')
    .action(
      run(async (ctx) => {
        const { data } = await listProjects({ client: ctx.client });
        // Nothing to list is a note (stderr); with --json, the tree as it is.
        if (ctx.json) return ctx.printJson(data);
        const nothing = nothingToList(data);
        if (nothing) ctx.note(nothing);
        const text = renderProjects(ctx, data);
        if (text) ctx.print(text);
      }),
    );

  projects
    .command('show')
    .description("a project's record, its configs with their parameters, and how many runs it filed")
    .argument('<project>', 'its name, or its id (or a unique prefix of the id)')
    .action(
      run(async (ctx, given: string) => {
        const { data: tree } = await listProjects({ client: ctx.client });
        const found = findProject(allProjects(tree), given);
        const { data: detail } = await getProject({ client: ctx.client, path: { id: found.id } });
        if (ctx.json) return ctx.printJson(detail);
        // Runs of a project's configs are filed under its name (TRAINYARD_PROJECT).
        const { data: runs } = await listRunsPage({
          client: ctx.client,
          query: { project: detail.name, limit: 1 },
        });
        ctx.print(renderProject(detail, runs.total));
      }),
    );
}
