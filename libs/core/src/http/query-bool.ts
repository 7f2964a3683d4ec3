import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, ValidationArguments } from 'class-validator';

const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

/** A boolean query value: `true`/`1` → true, `false`/`0` → false, anything else undefined (refuse it). */
export function parseQueryBool(value: string): boolean | undefined {
  return TRUE.has(value) ? true : FALSE.has(value) ? false : undefined;
}

/**
 * A boolean query parameter: `true`/`1` and `false`/`0` convert; anything else stays a string and
 * fails with a 400 naming the field (so `?show_hidden=yes` is refused, never silently false).
 */
export function QueryBool(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (parseQueryBool(value) ?? value) : value,
    ),
    IsBoolean({
      message: ({ property }: ValidationArguments) => `${property} must be true, false, 1 or 0`,
    }),
  );
}
