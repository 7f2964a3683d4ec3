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

class WhitelistPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const query = { ...(value as Record<string, unknown>) };
      for (const name of CREDENTIAL_QUERY_PARAMS) delete query[name];
      return super.transform(query, metadata);
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting validation whose failures name every bad field (credential query params excepted). */
export function createValidationPipe(): ValidationPipe {
  return new WhitelistPipe({
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
