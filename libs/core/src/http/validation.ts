import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorDetail } from '../domain-error';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      // class-validator messages start with the bare property name; show the full path instead.
      const text = message.startsWith(`${error.property} `)
        ? message.slice(error.property.length + 1)
        : message;
      out.push({ field, message: `${field} ${text}` });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Query parameters that carry credentials (`?token=`, read by the auth gate) on any route: never part
 * of a route's own query, so whitelisting must not refuse them.
 */
export const CREDENTIAL_QUERY_PARAMS = ['token'] as const;

/** A lone surrogate: in `u` mode a paired surrogate is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path (`env.FOO`, `job_params.argv.0`) of the first string — value or object key — that is not
 * well-formed Unicode, or null. Such strings cannot be stored or served as valid UTF-8 / strict JSON.
 * Iterative, so deep input cannot overflow the stack.
 */
export function findIllFormedString(value: unknown, root = ''): string | null {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return path;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const at = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) return at;
      stack.push([child, at]);
    }
  }
  return null;
}

/**
 * Whitelisting validation whose failures name every bad field (credential query params excepted).
 * Before any DTO rule, every string in the body, query and path parameters (keys included, however
 * deep) must be well-formed Unicode.
 */
class TrainyardValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const query = { ...(value as Record<string, unknown>) };
      for (const name of CREDENTIAL_QUERY_PARAMS) delete query[name];
      value = query;
    }
    if (metadata.type !== 'custom') {
      const found = findIllFormedString(value, metadata.data ?? '');
      if (found !== null) {
        // The name itself may hold the lone surrogate: report it with U+FFFD in its place.
        const field = (found || metadata.type).replace(/\p{Cs}/gu, '\uFFFD');
        const message = `${field} is not well-formed Unicode (it contains an unpaired surrogate)`;
        throw new DomainError('VALIDATION_FAILED', `Invalid request: ${message}`, [{ field, message }]);
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new TrainyardValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => d.message).join('; ');
      return new DomainError('VALIDATION_FAILED', `Invalid request: ${summary}`, details);
    },
  });
}
