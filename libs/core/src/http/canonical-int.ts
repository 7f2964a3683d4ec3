import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { getMetadataStorage, IsInt, ValidationArguments } from 'class-validator';

/** Digits only, no sign, space, exponent, fraction or leading zero ("0" itself is fine). */
const CANONICAL_UINT = /^(0|[1-9][0-9]*)$/;

/**
 * True when `text` is a non-negative integer written the one canonical way (`7`, never `07`, ` 7`,
 * `+7`, `7.0`, `0x7`, `7e0`) and is at most `max` (default: the largest safe integer).
 */
export function isCanonicalUint(text: string, max = Number.MAX_SAFE_INTEGER): boolean {
  return CANONICAL_UINT.test(text) && text.length <= 16 && Number(text) <= max;
}

/** As {@link isCanonicalUint}, with one optional leading `-` (never `-0`). */
export function isCanonicalInt(text: string): boolean {
  const digits = text.startsWith('-') ? text.slice(1) : text;
  return isCanonicalUint(digits) && text !== '-0';
}

/**
 * A whole number in a path or query parameter (where every value arrives as a string): converted only
 * when written canonically (see {@link isCanonicalUint}), so `0x1`, ` 1` or `1.0` never pass as 1 —
 * they stay strings and fail with a 400 naming the field. `signed`: a leading `-` is allowed too
 * (see {@link isCanonicalInt}). Use with `@Min`/`@Max`/`@IsOptional` as needed; a JSON number in a
 * body passes through unchanged.
 */
export function CanonicalInt(options: { signed?: boolean } = {}): PropertyDecorator {
  const canonical = options.signed ? isCanonicalInt : isCanonicalUint;
  const form = options.signed
    ? 'an optional leading minus; no spaces, fraction, exponent or leading zeros'
    : 'no sign, spaces, fraction, exponent or leading zeros';
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && canonical(value) ? Number(value) : value,
    ),
    IsInt({
      message: (args: ValidationArguments) => notCanonicalMessage(args, form, options.signed === true),
    }),
  );
}

/**
 * Why a value is not a whole number, as the user would put it: plain digits beyond the field's bound
 * (its `@Max`/`@Min`, else the largest safe integer), or a value not written in plain digits. Read
 * only when a value is refused.
 */
function notCanonicalMessage(
  { property, value, object }: ValidationArguments,
  form: string,
  signed: boolean,
): string {
  const negative = typeof value === 'string' && value.startsWith('-');
  const digits = typeof value === 'string' ? (negative ? value.slice(1) : value) : '';
  if (CANONICAL_UINT.test(digits) && (signed || !negative)) {
    const bound = (name: 'max' | 'min'): unknown =>
      getMetadataStorage()
        .getTargetValidationMetadatas(object.constructor, '', true, false)
        .find((rule) => rule.propertyName === property && rule.name === name)?.constraints[0];
    const limit = bound(negative ? 'min' : 'max');
    const safe = negative ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
    return `${property} must not be ${negative ? 'less' : 'greater'} than ${typeof limit === 'number' ? limit : safe}`;
  }
  return `${property} must be a whole number in plain decimal digits (${form})`;
}
