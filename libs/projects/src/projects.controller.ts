import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { parseAbsolutePath } from '@trainyard/fs';
import { type JobDto, toJobDto } from '@trainyard/jobs';
import {
  ArtifactsDto,
  ConfigDto,
  ConfigOverridesDto,
  ConfigOverridesQueryDto,
  CreateConfigRequestDto,
  CreateProjectRequestDto,
  DeleteArtifactRequestDto,
  DeleteConfigRequestDto,
  DeletedArtifactDto,
  DeletedConfigDto,
  ProjectDetailDto,
  ProjectTreeDto,
  RunConfigRequestDto,
  SetConfigOverridesRequestDto,
} from './projects.dto';
import { toConfigDto, toProjectSummaryDto, toRootDto } from './projects.mapper';
import { ProjectService } from './project-service';
import type { Discovery } from './discovery';

function toTree(d: Discovery & { scanned_at: string }): ProjectTreeDto {
  return { roots: d.roots.map(toRootDto), scanned_at: d.scanned_at };
}

/**
 * Projects found under the search roots (`trainyard.yaml` manifests and Forgather projects), their
 * README, configs and artifacts, and running a config as a job whose cwd is the project.
 */
@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectService) {}

  /** The project tree: search roots → workspaces (nested) → projects → configs. Cached; refreshed on change. */
  @Get()
  @ApiErrors(401)
  async listProjects(): Promise<ProjectTreeDto> {
    return toTree(await this.projects.catalog.get());
  }

  /** Walks the search roots again now and answers the tree. */
  @Post('refresh')
  @HttpCode(200)
  @ApiErrors(401)
  async refreshProjects(): Promise<ProjectTreeDto> {
    return toTree(await this.projects.catalog.refresh());
  }

  /** A new `trainyard.yaml` project `parent/dir_name` from the template (parent at or under a search root: 403 otherwise; 409 if taken). */
  @Post()
  @ApiErrors(400, 401, 403, 404, 409)
  async createProject(@Body() body: CreateProjectRequestDto): Promise<ProjectDetailDto> {
    const dir = await this.projects.createProject(body.parent, body.dir_name, body.name, body.description);
    const project = await this.projects.catalog.projectAt('dir_name', dir);
    return { ...toProjectSummaryDto(project), ...(await this.projects.readme(project)) };
  }

  /** One project with its README (markdown source and images resolved to `/api/fs/asset`). 404 for an unknown id. */
  @Get(':id')
  @ApiErrors(401, 404)
  async getProject(@Param('id') id: string): Promise<ProjectDetailDto> {
    const project = await this.projects.catalog.project(id);
    return { ...toProjectSummaryDto(project), ...(await this.projects.readme(project)) };
  }

  /** A new config copied from `from` (default: the default config); 409 when the name is taken. */
  @Post(':id/configs')
  @ApiErrors(400, 401, 403, 404, 409)
  async createProjectConfig(
    @Param('id') id: string,
    @Body() body: CreateConfigRequestDto,
  ): Promise<ConfigDto> {
    const project = await this.projects.catalog.project(id);
    const config = await this.projects.createConfig(project, body.name, body.from);
    return toConfigDto(project, config);
  }

  /**
   * Deletes a config; needs `{"confirmed": true}`. trainyard.yaml: removes its entry (the rest of the
   * file and its comments stay; `default_config` moves to the first config left) and its file unless
   * `keep_file` or another config uses it. Forgather: deletes its YAML file. Outputs stay; remembered
   * overrides are forgotten. 403 when the manifest or file resolves outside the search roots.
   */
  @Post(':id/configs/:config/delete')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async deleteProjectConfig(
    @Param('id') id: string,
    @Param('config') name: string,
    @Body() body: DeleteConfigRequestDto,
  ): Promise<DeletedConfigDto> {
    const project = await this.projects.catalog.project(id);
    const config = this.projects.catalog.config(project, name);
    return this.projects.deleteConfig(project, config, body.confirmed === true, body.keep_file === true);
  }

  /** Runs (with their logs), checkpoints and evaluations under the config's output directory. */
  @Get(':id/configs/:config/artifacts')
  @ApiErrors(401, 404)
  async listConfigArtifacts(@Param('id') id: string, @Param('config') name: string): Promise<ArtifactsDto> {
    const project = await this.projects.catalog.project(id);
    return this.projects.artifacts(project, this.projects.catalog.config(project, name));
  }

  /**
   * Deletes a run, checkpoint, evaluation (or the whole output directory: "clean output") through the
   * fs guards; needs `{"confirmed": true}`; 403 for a path outside the config's output directory.
   */
  @Post(':id/configs/:config/artifacts/delete')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async deleteConfigArtifact(
    @Param('id') id: string,
    @Param('config') name: string,
    @Body() body: DeleteArtifactRequestDto,
  ): Promise<DeletedArtifactDto> {
    const project = await this.projects.catalog.project(id);
    const config = this.projects.catalog.config(project, name);
    return { path: await this.projects.deleteArtifact(project, config, body.path, body.confirmed === true) };
  }

  /**
   * Submits the config as a job (cwd = the project, the config's job type): defaults ← remembered
   * overrides ← `overrides` (400 naming `overrides.<name>` for an unknown param or a bad value). The
   * overrides given are remembered unless `remember: false`.
   */
  @Post(':id/configs/:config/run')
  @ApiErrors(400, 401, 404)
  async runProjectConfig(
    @Param('id') id: string,
    @Param('config') name: string,
    @Body() body: RunConfigRequestDto,
  ): Promise<JobDto> {
    const project = await this.projects.catalog.project(id);
    const job = await this.projects.run(project, this.projects.catalog.config(project, name), body);
    return toJobDto(job);
  }
}

/** Remembered dynamic-argument values per config (the original's `/api/config/overrides`), kept in the database. */
@ApiTags('projects')
@Controller('config/overrides')
export class ConfigOverridesController {
  constructor(private readonly projects: ProjectService) {}

  private async target(query: ConfigOverridesQueryDto) {
    const project = await this.projects.catalog.projectAt(
      'project_dir',
      parseAbsolutePath('project_dir', query.project_dir),
    );
    return { project, config: this.projects.catalog.config(project, query.config) };
  }

  /** The remembered values (`{}` and `updated_at: null` when none). 404 for an unknown project or config. */
  @Get()
  @ApiErrors(400, 401, 404)
  async getConfigOverrides(@Query() query: ConfigOverridesQueryDto): Promise<ConfigOverridesDto> {
    const { project, config } = await this.target(query);
    return {
      project_dir: project.path,
      config: config.name,
      ...(await this.projects.getOverrides(project, config)),
    };
  }

  /** Replaces the remembered values, checked against the config's params (400 naming `values.<name>`). */
  @Post()
  @HttpCode(200)
  @ApiErrors(400, 401, 404)
  async setConfigOverrides(@Body() body: SetConfigOverridesRequestDto): Promise<ConfigOverridesDto> {
    const { project, config } = await this.target(body);
    return {
      project_dir: project.path,
      config: config.name,
      ...(await this.projects.setOverrides(project, config, body.values)),
    };
  }

  /** Forgets the remembered values (the Run dialog's "Reset to defaults"). */
  @Delete()
  @ApiErrors(400, 401, 404)
  async clearConfigOverrides(@Query() query: ConfigOverridesQueryDto): Promise<ConfigOverridesDto> {
    const { project, config } = await this.target(query);
    await this.projects.clearOverrides(project, config);
    return { project_dir: project.path, config: config.name, values: {}, updated_at: null };
  }
}
