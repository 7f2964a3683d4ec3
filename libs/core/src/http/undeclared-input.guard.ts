import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ErrorDetail, validationFailed } from '../domain-error';
import { CREDENTIAL_QUERY_PARAMS } from './validation';

/**
 * Parameters a handler may take that give it the whole request: it may read any query or body. A
 * reply (`@Res()`, to stream an answer) is not one: `GET /api/jobs/{id}/tty?offset=abc` was a 200.
 */
const WHOLE_REQUEST = new Set<number>([RouteParamtypes.REQUEST, RouteParamtypes.NEXT]);
/** Parameters that read the body. */
const BODY = [RouteParamtypes.BODY, RouteParamtypes.RAW_BODY, RouteParamtypes.FILE, RouteParamtypes.FILES];

/**
 * Refuses (400, naming each one) query parameters and body fields sent to a route that takes none:
 * its handler declares no `@Query()` / `@Body()` (and no `@Req()` or custom decorator that could
 * read them). Routes with a DTO refuse unknown names through the validation pipe; without
 * this, `POST /api/jobs/cleanup?status=failed` ignored the filter and removed every finished job.
 * Decided on the matched route (its handler's metadata), as the auth gate is.
 */
@Injectable()
export class UndeclaredInputGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ??
      {}) as Record<string, unknown>;
    const kinds = Object.keys(args).map((key) => (key.includes(':') ? Number(key.split(':')[0]) : NaN));
    // A custom decorator's key is not a number: it may read anything, so the route decides.
    if (kinds.some((kind) => Number.isNaN(kind) || WHOLE_REQUEST.has(kind))) return true;
    const request = context.switchToHttp().getRequest<{ query?: unknown; body?: unknown }>();
    const details: ErrorDetail[] = [];
    if (!kinds.includes(RouteParamtypes.QUERY) && isObject(request.query)) {
      for (const name of Object.keys(request.query))
        if (!(CREDENTIAL_QUERY_PARAMS as readonly string[]).includes(name))
          details.push({ field: name, message: `unknown query parameter ${name} (this route takes none)` });
    }
    const takesBody = kinds.some((kind) => BODY.includes(kind));
    if (!takesBody && request.body !== undefined && request.body !== null) {
      if (!isObject(request.body)) details.push({ message: 'this route takes no request body' });
      else
        for (const name of Object.keys(request.body))
          details.push({ field: name, message: `unknown field ${name} (this route takes no body)` });
    }
    if (details.length) throw validationFailed(details);
    return true;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
