import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { QueryBool } from '@trainyard/core';

// Paths are checked by FsGuard (absolute, no `.`/`..`, no NUL, no symlink, inside --fs-root), which
// names the field in its 400/403; the DTOs only require strings of a sane length.
const PATH_MAX = 4096;

export class BrowseQueryDto {
  /** Absolute directory to list; default: the first `--fs-root`, else the server user's home. */
  @IsOptional()
  @IsString()
  @MaxLength(PATH_MAX)
  path?: string;

  /** Include names starting with a dot. */
  @IsOptional()
  @QueryBool()
  show_hidden?: boolean;

  /** Include files (and symlinks, other entries); by default only directories are listed. */
  @IsOptional()
  @QueryBool()
  files_too?: boolean;
}

export class DirEntryDto {
  name!: string;
  /** Absolute path. */
  path!: string;
  /** `symlink`: a symbolic link (never followed: every fs operation refuses a path through one). */
  @ApiProperty({ enum: ['dir', 'file', 'symlink', 'other'] })
  kind!: 'dir' | 'file' | 'symlink' | 'other';
}

export class DirListingDto {
  /** The listed directory (absolute, normalised). */
  path!: string;
  /** Its parent; null at `/`, and at an `--fs-root` (its parent is outside the roots). */
  parent!: string | null;
  /** Directories first, then files; each group by name (code-unit order). */
  entries!: DirEntryDto[];
  /**
   * How many entries were left out for a name starting with a dot (0 with `show_hidden`; only
   * directories count unless `files_too`): a folder of dotfiles is not an empty one.
   */
  hidden!: number;
}

export class QuickPathDto {
  /** Label, e.g. `Home`. */
  name!: string;
  /** Absolute real path. */
  path!: string;
}

export class FsPathResultDto {
  /** The path created, renamed to, copied or moved to, or deleted. */
  path!: string;
}

export class NewEntryRequestDto {
  /** Existing directory (absolute). */
  @IsString()
  @MaxLength(PATH_MAX)
  parent!: string;

  /** Bare name of the new entry: no `/`, `\`, control or bidi control characters, not `.` or `..`. */
  @IsString()
  @MaxLength(255)
  name!: string;
}

export class RenameRequestDto {
  /** The file or directory to rename (absolute). */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;

  /** Its new bare name, in the same directory. */
  @IsString()
  @MaxLength(255)
  new_name!: string;
}

export class MoveRequestDto {
  /** The file or directory to move or copy (absolute). */
  @IsString()
  @MaxLength(PATH_MAX)
  src!: string;

  /** Existing destination directory (absolute); the entry keeps its name there. */
  @IsString()
  @MaxLength(PATH_MAX)
  dest_dir!: string;
}

export class CopyRequestDto extends MoveRequestDto {
  /** On a name collision pick `stem (copy).ext`, `stem (copy 2).ext`, ... instead of answering 409. */
  @IsOptional()
  @IsBoolean()
  auto_rename?: boolean;

  /** Bare name for the copy instead of the source's name (e.g. "Duplicate as…"). */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  target_name?: string;
}

export class DeleteRequestDto {
  /** The file or directory to delete (absolute). */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;

  /** Must be true: deletes are permanent. */
  @IsOptional()
  @IsBoolean()
  confirmed?: boolean;
}

export class SourceQueryDto {
  /** Absolute path of a regular text file (UTF-8, at most 10 MiB). */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;
}

export class WriteSourceRequestDto {
  /** Absolute path of an existing regular file. */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;

  /** The whole new text (UTF-8, at most 10 MiB encoded). */
  @IsString()
  content!: string;

  /**
   * The `X-Mtime` the content was based on (nanoseconds since the epoch, decimal string). When the
   * file's mtime differs, nothing is written and the answer is 409 FILE_CHANGED. Null or absent:
   * overwrite.
   */
  @IsOptional()
  @IsString()
  @Matches(/^(0|[1-9][0-9]{0,24})$/, { message: 'expected_mtime must be an X-Mtime value (digits)' })
  expected_mtime?: string | null;
}

export class SourceWrittenDto {
  path!: string;
  /** The file's new mtime: nanoseconds since the epoch, decimal string (send it as the next expected_mtime). */
  mtime!: string;
  /** Bytes written. */
  size!: number;
}

export class AssetQueryDto {
  /** Absolute directory the asset is relative to (e.g. the README's). */
  @IsString()
  @MaxLength(PATH_MAX)
  base!: string;

  /** Path of the image relative to `base`; must stay inside it. */
  @IsString()
  @MaxLength(PATH_MAX)
  asset!: string;
}

export class SearchRootDto {
  /** Absolute path. */
  path!: string;
  /** ISO 8601 time it was added. */
  added_at!: string;
}

export class AddSearchRootRequestDto {
  /** Absolute directory. */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;

  /** Make the directory first (parents included) when it does not exist. */
  @IsOptional()
  @IsBoolean()
  create?: boolean;
}

export class SearchRootQueryDto {
  /** The search root to forget (absolute). */
  @IsString()
  @MaxLength(PATH_MAX)
  path!: string;
}
