import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode, statusForCode } from '../domain-error';
import { redactSecrets } from './redact';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Fastify's own errors (body parsing, limits) carry a code and a status; give them our shape. */
function fromFastifyError(err: { code?: string; statusCode?: number; message: string }): ErrorBody | null {
  switch (err.code ?? '') {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body is larger than the server accepts',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send JSON with Content-Type: application/json',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, code: 'INVALID_JSON', message: 'Content-Length does not match the body' };
    default:
      break;
  }
  if (err.code?.startsWith('FST_') && err.statusCode && err.statusCode < 500) {
    return { statusCode: err.statusCode, code: 'VALIDATION_FAILED', message: err.message };
  }
  // Plugins' http-errors (e.g. @fastify/send refusing a `..` path with 403) are client errors too.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const code =
      err.statusCode === 403 ? 'FORBIDDEN' : err.statusCode === 404 ? 'ROUTE_NOT_FOUND' : 'VALIDATION_FAILED';
    return { statusCode: err.statusCode, code, message: err.message };
  }
  return null;
}

function fromHttpException(err: HttpException): ErrorBody {
  const status = err.getStatus();
  const response = err.getResponse();
  const detail = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message =
    typeof detail === 'string' ? detail : Array.isArray(detail) ? detail.join('; ') : err.message;
  if (status === 404) return { statusCode: 404, code: 'ROUTE_NOT_FOUND', message };
  if (status === 400 && /JSON/i.test(message)) {
    return { statusCode: 400, code: 'INVALID_JSON', message: `Request body is not valid JSON: ${message}` };
  }
  if (status === 413) return fromFastifyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', message })!;
  if (status === 415) return fromFastifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message })!;
  if (status === 401) return { statusCode: 401, code: 'UNAUTHENTICATED', message };
  if (status === 403) return { statusCode: 403, code: 'FORBIDDEN', message };
  if (status === 409) return { statusCode: 409, code: 'CONFLICT', message };
  if (status < 500) return { statusCode: status, code: 'VALIDATION_FAILED', message };
  return { statusCode: 500, code: 'INTERNAL', message: 'Internal server error' };
}

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) {
    return {
      statusCode: statusForCode(err.code),
      code: err.code,
      message: err.message,
      details: err.details,
    };
  }
  const fastify = err && typeof err === 'object' ? fromFastifyError(err as { message: string }) : null;
  if (fastify) return fastify;
  if (err instanceof HttpException) return fromHttpException(err);
  if (err instanceof SyntaxError) {
    return {
      statusCode: 400,
      code: 'INVALID_JSON',
      message: `Request body is not valid JSON: ${err.message}`,
    };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Internal server error' };
}

/** The most of an error message an answer carries (what it quotes of the request is cut, not the answer). */
const MESSAGE_MAX_CHARS = 1000;

/** An error message as answers carry it: at most MESSAGE_MAX_CHARS, the rest counted. */
export function boundMessage(message: string): string {
  if (message.length <= MESSAGE_MAX_CHARS) return message;
  return `${message.slice(0, MESSAGE_MAX_CHARS)}… (${message.length - MESSAGE_MAX_CHARS} more characters)`;
}

/** The one place errors become HTTP answers. Internals of unexpected errors never leave the server. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    if (exception instanceof DomainError && body.statusCode >= 500) {
      // Expected (a full disk, a locked database): its message is written for the user, no stack.
      this.logger.warn(
        redactSecrets(
          `request ${request.id} ${request.method} ${request.url}: ${body.code}: ${body.message}`,
        ),
      );
    } else if (body.statusCode >= 500) {
      // The URL may carry ?token= (and an error message may quote it): never log a credential.
      this.logger.error(
        redactSecrets(
          `request ${request.id} ${request.method} ${request.url} failed: ${
            exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)
          }`,
        ),
      );
      body.message = `Internal server error (request id ${request.id})`;
    }
    // A message may quote the request line ("Cannot GET /?token=…"): never echo a credential back,
    // nor a 5,000-character path or value in full.
    body.message = boundMessage(redactSecrets(body.message));
    if (body.statusCode === 401) void reply.header('WWW-Authenticate', 'Bearer');
    const retryAfter = (body.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
    if (body.statusCode === 429 && typeof retryAfter === 'number') {
      void reply.header('Retry-After', String(retryAfter));
    }
    if (body.statusCode === 503) void reply.header('Retry-After', '1');
    void reply.header('x-request-id', request.id).status(body.statusCode).send(body);
  }
}
