import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the message and details name each bad field',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but not allowed to do this',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  415: 'Unsupported content type',
  422: 'The Idempotency-Key was already used for a different request',
  429: 'Too many attempts; retry later',
  502: 'An upstream process did not answer',
  504: 'An upstream server did not answer in time',
  503: 'The database is busy or the state directory could not be written; nothing was saved, retry',
  507: 'The state directory is full; nothing was saved',
};

/** Documents the error answers an operation can give, all with the shared error body. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorResponseDto }),
    ),
  );
}
