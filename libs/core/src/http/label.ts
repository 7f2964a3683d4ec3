import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

/**
 * A user-given name or label (a job's `name`, a dataset server's `label`): a string of at most `max`
 * characters that holds something besides whitespace (`""` or `"  "` would list as a blank name) and
 * no NUL byte; the 400 names the field. The same rule wherever one is taken. `api` adds to its
 * OpenAPI description (`required: false` with `@IsOptional()` where it may be left out). Spelled out
 * for OpenAPI: the swagger plugin does not see validators inside a composed decorator.
 */
export function Label(max: number, api: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S', ...api }),
    IsString(),
    MaxLength(max),
    Matches(/\S/, { message: ({ property }) => `${property} must not be empty or only whitespace` }),
    Matches(/^[^\0]*$/, { message: ({ property }) => `${property} must not contain NUL bytes` }),
  );
}
