import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CanonicalInt } from '@trainyard/core';

/** `line`, `offset` or `last` says where a range read starts (line 1 when none is given). */
export class LogRangeQueryDto {
  /** First line to return (1-based). */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1e15)
  line?: number;

  /** Byte offset to start at instead of `line` (the answer says which line it falls in). */
  @IsOptional()
  @CanonicalInt()
  @Max(1e15)
  offset?: number;

  /**
   * Start this many lines before the end instead, as `tail -n` counts them (an unfinished last line
   * is one); 0 starts at the end. With `lines=0`, only says where that is. The start is found by
   * reading back from the end; its line number (`X-Trainyard-Log-Line`), as for `offset`, by
   * counting from the start of the log (~0.5 s per GB read).
   */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  @Max(1e15)
  last?: number;

  /** How many lines, 0..50000 (default 1000); 0 only says which line `offset` is in. */
  @IsOptional()
  @CanonicalInt()
  @Max(50_000)
  lines?: number;
}

const BOOLEAN = ['true', 'false'];

export class LogSearchQueryDto {
  /** What to look for: plain text, or a JavaScript regular expression with `regex=true`. */
  @IsString()
  @MinLength(1, { message: 'q must not be empty' })
  @MaxLength(1000)
  q!: string;

  /** `true`: `q` is a regular expression. Default `false`. */
  @IsOptional()
  @IsIn(BOOLEAN, { message: 'regex must be true or false' })
  regex?: string;

  /** `true`: match case. Default `false`. */
  @IsOptional()
  @IsIn(BOOLEAN, { message: 'case_sensitive must be true or false' })
  case_sensitive?: string;

  /** The most matches to return, 1..1000 (default 200). */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class LogSearchMatchDto {
  /** Line number (1-based). */
  line!: number;
  /** Byte offset where the line starts in the log file. */
  offset!: number;
  /**
   * The line without ANSI escapes: its first 4,096 characters, or, when the first match lies past
   * them, 4,096 characters from 256 before the match.
   */
  text!: string;
  /** Where `text` starts in the line, in characters (0: the line's start). */
  column!: number;
}

export class LogSearchResultDto {
  /** Matching lines in file order. */
  @ApiProperty({ type: [LogSearchMatchDto] })
  matches!: LogSearchMatchDto[];
  /** More lines matched than `limit`. */
  truncated!: boolean;
  /** The search stopped at its time limit (5 s) before the end of the log. */
  timed_out!: boolean;
  /** Bytes of the log searched. */
  scanned_bytes!: number;
  /** Lines of the log searched. */
  scanned_lines!: number;
  /**
   * Searched lines longer than 1,048,576 characters (e.g. a long-running `\r` progress bar): only
   * their first 1,048,576 characters were searched.
   */
  lines_cut!: number;
}
