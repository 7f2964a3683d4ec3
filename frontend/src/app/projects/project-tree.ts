import type {
  ArtifactsDto,
  CheckpointDto,
  ConfigDto,
  EvaluationDto,
  ProjectSummaryDto,
  ProjectTreeDto,
  RunDirDto,
  WorkspaceNodeDto,
} from '@trainyard/sdk';

/** Where a config's artifacts stand: not asked yet (absent), loading, loaded, or failed. */
export type ArtifactsState = { loading: true } | { loading: false; data?: ArtifactsDto; error?: string };

interface RowBase {
  /** Unique and stable across reloads: the kind plus the path (and the config name). */
  key: string;
  level: number;
  label: string;
  /** Shown dimmed after the label. */
  detail?: string;
  /** Whether it can open (ArrowRight / the twisty); `expanded` says whether it is open. */
  expandable: boolean;
  expanded: boolean;
}

export type TreeRow =
  | (RowBase & { kind: 'root'; path: string; error?: string })
  | (RowBase & { kind: 'workspace'; path: string })
  | (RowBase & { kind: 'project'; project: ProjectSummaryDto })
  | (RowBase & { kind: 'config'; project: ProjectSummaryDto; config: ConfigDto })
  | (RowBase & {
      kind: 'run' | 'checkpoint' | 'evaluation';
      project: ProjectSummaryDto;
      config: ConfigDto;
      artifact: RunDirDto | CheckpointDto | EvaluationDto;
    })
  /** A line that is not an item: loading, an error, "no runs yet". */
  | (RowBase & { kind: 'note'; error: boolean });

export const configKey = (project: ProjectSummaryDto, config: string) => `config:${project.id}:${config}`;

/**
 * The Projects tree as the rows on screen, depth first: search roots → workspaces (nested) →
 * projects → configs → a config's artifacts (runs, checkpoints, evaluations, once loaded). Only the
 * children of expanded rows (their keys in `expanded`) are listed.
 */
export function buildRows(
  tree: ProjectTreeDto,
  expanded: ReadonlySet<string>,
  artifacts: ReadonlyMap<string, ArtifactsState>,
): TreeRow[] {
  const rows: TreeRow[] = [];
  const open = (key: string) => expanded.has(key);

  const addProject = (project: ProjectSummaryDto, level: number) => {
    const key = `project:${project.id}`;
    rows.push({
      kind: 'project',
      key,
      level,
      label: project.name,
      detail: project.kind === 'forgather' ? 'forgather' : undefined,
      project,
      expandable: true,
      expanded: open(key),
    });
    if (!open(key)) return;
    if (project.error) note(`${key}:error`, level + 1, project.error, true);
    else if (project.configs.length === 0) note(`${key}:empty`, level + 1, 'No configs', false);
    for (const config of project.configs) {
      const ckey = configKey(project, config.name);
      rows.push({
        kind: 'config',
        key: ckey,
        level: level + 1,
        label: config.name,
        detail: config.name === project.default_config ? 'default' : undefined,
        project,
        config,
        expandable: true,
        expanded: open(ckey),
      });
      if (open(ckey)) addArtifacts(project, config, ckey, level + 2);
    }
  };

  const addArtifacts = (project: ProjectSummaryDto, config: ConfigDto, ckey: string, level: number) => {
    const state = artifacts.get(ckey);
    if (!state || state.loading) return note(`${ckey}:loading`, level, 'Loading…', false);
    if (state.error) return note(`${ckey}:error`, level, state.error, true);
    const data = state.data!;
    const leaf = { project, config, level, expandable: false, expanded: false };
    for (const run of data.runs)
      rows.push({
        ...leaf,
        kind: 'run',
        key: `run:${run.path}`,
        label: run.name,
        detail: 'run',
        artifact: run,
      });
    for (const cp of data.checkpoints)
      rows.push({
        ...leaf,
        kind: 'checkpoint',
        key: `checkpoint:${cp.path}`,
        label: cp.name,
        detail: cp.step === null ? 'checkpoint' : `checkpoint · step ${cp.step}`,
        artifact: cp,
      });
    for (const ev of data.evaluations)
      rows.push({
        ...leaf,
        kind: 'evaluation',
        key: `evaluation:${ev.path}`,
        label: ev.name,
        detail: 'evaluation',
        artifact: ev,
      });
    if (data.runs.length + data.checkpoints.length + data.evaluations.length === 0)
      note(`${ckey}:empty`, level, data.exists ? 'No run folders yet' : 'No output yet', false);
  };

  const addWorkspace = (ws: WorkspaceNodeDto, level: number) => {
    const key = `workspace:${ws.path}`;
    rows.push({
      kind: 'workspace',
      key,
      level,
      label: ws.name,
      detail: 'workspace',
      path: ws.path,
      expandable: true,
      expanded: open(key),
    });
    if (!open(key)) return;
    for (const child of ws.workspaces) addWorkspace(child, level + 1);
    for (const project of ws.projects) addProject(project, level + 1);
  };

  const note = (key: string, level: number, label: string, error: boolean) => {
    rows.push({ kind: 'note', key, level, label, error, expandable: false, expanded: false });
  };

  for (const root of tree.roots) {
    const key = `root:${root.path}`;
    rows.push({
      kind: 'root',
      key,
      level: 1,
      label: root.path,
      path: root.path,
      error: root.error,
      detail: root.truncated ? 'walk stopped at 50,000 directories' : undefined,
      expandable: true,
      expanded: open(key),
    });
    if (!open(key)) continue;
    if (root.error) note(`${key}:error`, 2, root.error, true);
    else if (root.workspaces.length === 0 && root.projects.length === 0)
      note(`${key}:empty`, 2, 'No projects found', false);
    for (const ws of root.workspaces) addWorkspace(ws, 2);
    for (const project of root.projects) addProject(project, 2);
  }
  return rows;
}

/** Every project in the tree, depth first (to find one by id after a reload). */
export function allProjects(tree: ProjectTreeDto): ProjectSummaryDto[] {
  const out: ProjectSummaryDto[] = [];
  const walk = (ws: WorkspaceNodeDto) => {
    ws.workspaces.forEach(walk);
    out.push(...ws.projects);
  };
  for (const root of tree.roots) {
    root.workspaces.forEach(walk);
    out.push(...root.projects);
  }
  return out;
}

/** The keys to expand so that `key` (a project or config) is on screen. */
export function ancestorKeys(tree: ProjectTreeDto, projectId: string): string[] {
  const find = (ws: WorkspaceNodeDto, trail: string[]): string[] | null => {
    const here = [...trail, `workspace:${ws.path}`];
    if (ws.projects.some((p) => p.id === projectId)) return here;
    for (const child of ws.workspaces) {
      const hit = find(child, here);
      if (hit) return hit;
    }
    return null;
  };
  for (const root of tree.roots) {
    const base = [`root:${root.path}`];
    if (root.projects.some((p) => p.id === projectId)) return base;
    for (const ws of root.workspaces) {
      const hit = find(ws, base);
      if (hit) return hit;
    }
  }
  return [];
}
