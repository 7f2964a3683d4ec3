import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_PRIORITY } from '../config/server-config';

/**
 * A job priority (higher runs first) or a priority gate: an integer within ±MAX_PRIORITY, the same
 * bounds wherever one is taken (submit, a queued job's change, a GPU's gate). `api` adds to its
 * OpenAPI description (required, nullable, default…); whether it may be left out is the caller's
 * (IsOptional / IsDefined). Spelled out for OpenAPI: the swagger plugin skips a property whose
 * validator takes a non-literal argument.
 */
export function PriorityProperty(api: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: 'integer', minimum: -MAX_PRIORITY, maximum: MAX_PRIORITY, ...api }),
    IsInt(),
    Min(-MAX_PRIORITY),
    Max(MAX_PRIORITY),
  );
}
