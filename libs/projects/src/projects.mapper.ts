import type { Project, RootNode, WorkspaceNode } from './discovery';
import type { ConfigSpec } from './manifest';
import { outputDirFor } from './manifest';
import type { ConfigDto, ProjectSummaryDto, SearchRootProjectsDto, WorkspaceNodeDto } from './projects.dto';
import { basename } from 'node:path';

export function toConfigDto(project: Project, c: ConfigSpec): ConfigDto {
  return {
    name: c.name,
    description: c.description,
    file: c.file ?? null,
    job_type: c.job_type,
    argv: c.argv,
    gpus: c.gpus,
    params: c.params,
    output_dir: outputDirFor(project.path, c.output_dir, c.name, basename(project.path)),
  };
}

export function toProjectSummaryDto(p: Project): ProjectSummaryDto {
  return {
    id: p.id,
    kind: p.kind,
    path: p.path,
    root: p.root,
    name: p.name,
    description: p.description,
    default_config: p.default_config ?? null,
    configs: p.configs.map((c) => toConfigDto(p, c)),
    error: p.error,
  };
}

function toWorkspaceDto(w: WorkspaceNode): WorkspaceNodeDto {
  return {
    path: w.path,
    name: w.name,
    description: w.description,
    workspaces: w.workspaces.map(toWorkspaceDto),
    projects: w.projects.map(toProjectSummaryDto),
  };
}

export function toRootDto(r: RootNode): SearchRootProjectsDto {
  return {
    path: r.path,
    workspaces: r.workspaces.map(toWorkspaceDto),
    projects: r.projects.map(toProjectSummaryDto),
    error: r.error,
    truncated: r.truncated,
  };
}
