import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

// Paths are checked by the fs guard (absolute, no `.`/`..`, no symlink, inside --fs-root), which names
// the field in its 400/403; the DTOs only require strings of a sane length.
const PATH_MAX = 4096;
const SCALAR = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] };

export class ParamSpecDto {
  name!: string;
  @ApiProperty({ enum: ['string', 'integer', 'number', 'boolean', 'path'] })
  type!: 'string' | 'integer' | 'number' | 'boolean' | 'path';
  @ApiProperty({ ...SCALAR, required: false })
  default?: string | number | boolean;
  @ApiProperty({ type: 'array', items: SCALAR, required: false })
  choices?: Array<string | number | boolean>;
  help?: string;
}

export class ConfigDto {
  /** Unique in the project; for Forgather, the YAML path under the config prefix (`train.yaml`). */
  name!: string;
  description?: string;
  /** Absolute path of its source file (open it with GET /api/fs/source), or null. */
  file!: string | null;
  /** The queue job type a run submits. */
  job_type!: string;
  /** `command` configs: argv with `{param}` placeholders. */
  argv?: string[];
  /** GPUs a run requests (absent: the job type's default). */
  gpus?: number;
  /** The dynamic arguments (the Run dialog's form). */
  params!: ParamSpecDto[];
  /** Absolute output directory (runs, checkpoints, evaluations). */
  output_dir!: string;
}

export class ProjectSummaryDto {
  /** Stable id (16 hex digits of sha256 of the path). */
  id!: string;
  @ApiProperty({ enum: ['trainyard', 'forgather'] })
  kind!: 'trainyard' | 'forgather';
  /** Absolute directory. */
  path!: string;
  /** The search root it was found under. */
  root!: string;
  name!: string;
  description!: string;
  default_config!: string | null;
  configs!: ConfigDto[];
  /** Why trainyard.yaml could not be used (then `configs` is empty). */
  error?: string;
}

export class WorkspaceNodeDto {
  /** Absolute directory (it holds `forgather_workspace/`). */
  path!: string;
  name!: string;
  description!: string;
  /** Workspaces nested inside this one. */
  workspaces!: WorkspaceNodeDto[];
  projects!: ProjectSummaryDto[];
}

export class SearchRootProjectsDto {
  path!: string;
  /** Top-level workspaces (nested ones inside them). */
  workspaces!: WorkspaceNodeDto[];
  /** Projects in no workspace. */
  projects!: ProjectSummaryDto[];
  /** Why the root could not be walked. */
  error?: string;
  /** The walk stopped after 50,000 directories. */
  truncated!: boolean;
}

export class ProjectTreeDto {
  roots!: SearchRootProjectsDto[];
  /** ISO 8601 time of the walk this answer comes from. */
  scanned_at!: string;
}

export class ReadmeImageDto {
  /** As written in the README. */
  src!: string;
  /** `/api/fs/asset?...` URL that serves it. */
  url!: string;
}

export class ProjectDetailDto extends ProjectSummaryDto {
  /** README.md as markdown source (render as GFM, sanitised), or null when there is none. */
  readme!: string | null;
  readme_path!: string | null;
  /** Relative images in the README, resolved to the fs asset endpoint. */
  images!: ReadmeImageDto[];
}

export class LogFileDto {
  name!: string;
  path!: string;
  size_bytes!: number;
}

export class RunDirDto {
  name!: string;
  path!: string;
  modified_at!: string;
  logs!: LogFileDto[];
}

export class CheckpointDto {
  name!: string;
  path!: string;
  /** From trainer_state.json `global_step`, else the `checkpoint-N` name; null when neither. */
  step!: number | null;
  size_bytes!: number;
  /** ISO 8601: newest mtime of its files. */
  saved_at!: string;
  /** From trainer_state.json, the index's metadata, or per-rank file names; null when unknown. */
  world_size!: number | null;
  /** The `*.safetensors.index.json`, if sharded. */
  index_file!: string | null;
}

export class EvalMetricDto {
  /** Dotted path in the JSON file, e.g. `results.hellaswag.acc`. */
  metric!: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], nullable: true })
  value!: string | number | boolean | null;
}

export class EvaluationDto {
  name!: string;
  path!: string;
  modified_at!: string;
  results!: EvalMetricDto[];
}

export class ArtifactsDto {
  output_dir!: string;
  /** False until something wrote the output directory. */
  exists!: boolean;
  runs!: RunDirDto[];
  checkpoints!: CheckpointDto[];
  evaluations!: EvaluationDto[];
}

export class DeleteArtifactRequestDto {
  /** A run, checkpoint, evaluation or the output directory itself (absolute, inside the output dir). */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;

  /** Must be true. */
  @IsOptional()
  @IsBoolean()
  confirmed?: boolean;
}

export class DeletedArtifactDto {
  path!: string;
}

export class DeleteConfigRequestDto {
  /** Must be true. */
  @IsOptional()
  @IsBoolean()
  confirmed?: boolean;

  /** trainyard.yaml only: remove the manifest entry but keep its `file` (default false). */
  @IsOptional()
  @IsBoolean()
  keep_file?: boolean;
}

export class DeletedConfigDto {
  config!: string;
  /** The trainyard.yaml that was edited; null for a Forgather project. */
  manifest!: string | null;
  /** The config file deleted; null when none was (kept, shared with another config, or none). */
  deleted_file!: string | null;
  /** Whether the config's remembered overrides were forgotten. */
  overrides_cleared!: boolean;
}

export class RunConfigRequestDto {
  /** Param name → value, checked against the config's params (400 naming `overrides.<name>`). */
  @IsOptional()
  @IsObject()
  @ApiPropertyOptional({ type: 'object', additionalProperties: SCALAR })
  overrides?: Record<string, unknown>;

  @ApiProperty({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000, required: false, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;

  /** Default: the config's `gpus`, else the job type's default. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1024, required: false })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1024)
  requested_gpus?: number;

  /** Job name (default `<project>/<config>`). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  /** Remember `overrides` as the config's overrides (default true). */
  @IsOptional()
  @IsBoolean()
  remember?: boolean;
}

export class CreateProjectRequestDto {
  /** Existing directory at or under a search root. */
  @IsString()
  @MaxLength(PATH_MAX)
  parent!: string;

  /** Bare name of the new project directory. */
  @IsString()
  @MaxLength(255)
  dir_name!: string;

  /** Display name (default: dir_name). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class CreateConfigRequestDto {
  /** The new config's name (bare; Forgather: `.yaml` is appended when missing). */
  @IsString()
  @MaxLength(128)
  name!: string;

  /** The config to copy (default: the project's default config). */
  @IsOptional()
  @IsString()
  @MaxLength(PATH_MAX)
  from?: string;
}

export class ConfigOverridesQueryDto {
  /** The project's absolute directory. */
  @IsString()
  @MaxLength(PATH_MAX)
  project_dir!: string;

  @IsString()
  @MaxLength(PATH_MAX)
  config!: string;
}

export class SetConfigOverridesRequestDto extends ConfigOverridesQueryDto {
  /** Param name → value; replaces what was remembered. */
  @IsDefined()
  @IsObject()
  @ApiProperty({ type: 'object', additionalProperties: SCALAR })
  values!: Record<string, unknown>;
}

export class ConfigOverridesDto {
  project_dir!: string;
  config!: string;
  @ApiProperty({ type: 'object', additionalProperties: SCALAR })
  values!: Record<string, string | number | boolean>;
  /** ISO 8601 time of the last change; null when nothing is remembered. */
  updated_at!: string | null;
}
