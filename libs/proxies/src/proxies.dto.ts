import { CanonicalInt, Label } from '@trainyard/core';
import { IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class ProxyBaseQueryDto {
  /** The upstream's base URL, http or https, e.g. `http://127.0.0.1:8000/v1`. */
  @IsString()
  @MaxLength(2048)
  base!: string;
}

export class DatasetHandleQueryDto extends ProxyBaseQueryDto {
  /** A dataset handle returned by `load`. */
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,200}$/, { message: 'handle must be 1..200 of A-Z a-z 0-9 _ . : -' })
  handle!: string;
}

export class DatasetIterQueryDto extends DatasetHandleQueryDto {
  /** First row (0-based). Default 0. */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  position?: number;

  /** Rows to return, 1..500. Default 25. */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class DatasetRowsDto {
  /** The rows the server streamed (NDJSON, one object per line), in order. */
  rows!: unknown[];
}

export class RegisterDatasetServerDto {
  /** Shown in the console. */
  @Label(100)
  label!: string;

  /** http(s) base URL of the dataset_server, e.g. `http://data-host:8766`. */
  @IsString()
  @MaxLength(2048)
  base_url!: string;

  /** Bearer token the server expects; stored 0600 and never shown again. No CR/LF. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @Matches(/^[^\r\n]*$/, { message: 'auth_token must not contain CR or LF' })
  auth_token?: string;
}

export class InferenceEndpointDto {
  /** The running `inference` job. */
  queue_id!: string;
  /** The job's name, else `inference <queue_id>`. */
  label!: string;
  /** OpenAI-compatible base URL to pass as `base`, e.g. `http://127.0.0.1:8000/v1`. */
  base_url!: string;
  /** The job requires a bearer token (the proxy adds it; it is never sent to the browser). */
  has_token!: boolean;
}

export class DatasetServerDto {
  /** `user:<id>` for registered servers, `local:<queue_id>` for dataset_server jobs. */
  id!: string;
  label!: string;
  base_url!: string;
  /** A token is stored (registered) or the job requires one (local); the token itself is never sent. */
  has_token!: boolean;
  /** The dataset_server job, for local servers. */
  queue_id?: string;
}

export class EntryIdParamDto {
  @Matches(/^[0-9a-f]{16}$/, { message: 'entry_id must be 16 hex digits' })
  entry_id!: string;
}

export const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export class PresetNameParamDto {
  /** 1..64 of A-Z a-z 0-9 _ -, starting with a letter or digit. */
  @Matches(PRESET_NAME, { message: 'name must be 1..64 of A-Z a-z 0-9 _ -, starting with a letter or digit' })
  name!: string;
}

export class GenerationPresetInfoDto {
  name!: string;
  /** The copy served is the bundled, read-only one. */
  builtin!: boolean;
  /** A user preset of this name shadows a bundled one (deleting it restores the bundled one). */
  shadows_builtin!: boolean;
}

export class DeletedPresetDto {
  name!: string;
  /** The bundled preset of the same name is served again. */
  restored_builtin!: boolean;
}
