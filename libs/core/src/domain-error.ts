/**
 * Every expected failure is a DomainError with a stable machine code. The HTTP layer maps the
 * code to a status in exactly one place (`statusForCode`), so handlers never think in HTTP.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'CSRF_ORIGIN_MISMATCH',
  'HOST_NOT_ALLOWED',
  'PASSWORD_CHANGE_NEEDS_REAUTH',
  'TOO_MANY_LOGIN_ATTEMPTS',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'NOT_FOUND',
  'ARRAY_NOT_FOUND',
  'QUEUE_ITEM_NOT_FOUND',
  'JOB_NOT_FOUND',
  'GPU_NOT_FOUND',
  'PATH_NOT_FOUND',
  'JOB_TYPE_UNKNOWN',
  'CONFIRMATION_REQUIRED',
  'CONFLICT',
  'NOTHING_TO_RETRY',
  'ALREADY_RETRIED',
  'IDEMPOTENCY_KEY_REUSED',
  'PATH_EXISTS',
  'FILE_CHANGED',
  'PORT_IN_USE',
  'JOB_STILL_RUNNING',
  'JOB_NOT_RUNNING',
  'JOB_NOT_QUEUED',
  'TRAINER_ENDPOINT_UNKNOWN',
  'NODE_NOT_FOUND',
  'NODE_UNREACHABLE',
  'NOT_MASTER',
  'SUBMIT_OUTCOME_UNKNOWN',
  'VERSION_MISMATCH',
  'NO_NETWORK_INTERFACE',
  'CLUSTER_DISABLED',
  'TRAINER_UNREACHABLE',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'STATE_DIR_FULL',
  'DISK_FULL',
  'DATABASE_BUSY',
  'STORAGE_ERROR',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetail {
  field?: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[] | Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** True for the error a write gets when the state directory refused it (see storageErrorOf): nothing was saved. */
export function isStorageRefusal(err: unknown): err is DomainError {
  return (
    err instanceof DomainError &&
    (err.code === 'STATE_DIR_FULL' || err.code === 'DATABASE_BUSY' || err.code === 'STORAGE_ERROR')
  );
}

/**
 * The one builder of VALIDATION_FAILED errors: `Invalid <what>: <messages>`, with details naming each
 * field. A message shared by several fields (e.g. "give disabled and/or min_priority") is said once,
 * and a repeated (field, message) pair is kept once.
 */
export function validationFailed(details: ErrorDetail[], what = 'request'): DomainError {
  const seen = new Set<string>();
  const unique = details.filter((d) => {
    const key = `${d.field ?? ''}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const summary = [...new Set(unique.map((d) => d.message))].join('; ');
  return new DomainError('VALIDATION_FAILED', `Invalid ${what}: ${summary}`, unique);
}

export function statusForCode(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'INVALID_JSON':
    case 'JOB_TYPE_UNKNOWN':
    case 'CONFIRMATION_REQUIRED':
      return 400;
    case 'UNAUTHENTICATED':
    case 'INVALID_CREDENTIALS':
      return 401;
    case 'FORBIDDEN':
    case 'CSRF_ORIGIN_MISMATCH':
    case 'PASSWORD_CHANGE_NEEDS_REAUTH':
      return 403;
    case 'ROUTE_NOT_FOUND':
    case 'NOT_FOUND':
    case 'ARRAY_NOT_FOUND':
    case 'QUEUE_ITEM_NOT_FOUND':
    case 'JOB_NOT_FOUND':
    case 'GPU_NOT_FOUND':
    case 'PATH_NOT_FOUND':
    case 'NODE_NOT_FOUND':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'CONFLICT':
    case 'NOTHING_TO_RETRY':
    case 'ALREADY_RETRIED':
    case 'PATH_EXISTS':
    case 'FILE_CHANGED':
    case 'PORT_IN_USE':
    case 'JOB_STILL_RUNNING':
    case 'JOB_NOT_RUNNING':
    case 'JOB_NOT_QUEUED':
    case 'TRAINER_ENDPOINT_UNKNOWN':
    case 'VERSION_MISMATCH':
    case 'NOT_MASTER':
    case 'CLUSTER_DISABLED':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    // The key was used before for a different request (IETF Idempotency-Key draft: 422); no interface
    // on a node carries the address peers dial (NCCL would hang in connectFullMesh).
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'NO_NETWORK_INTERFACE':
      return 422;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'HOST_NOT_ALLOWED':
      return 421;
    case 'TOO_MANY_LOGIN_ATTEMPTS':
      return 429;
    case 'TRAINER_UNREACHABLE':
    case 'UPSTREAM_UNREACHABLE':
      return 502;
    // A multi-node submit whose master went away before it said whether the bundle went ahead: the
    // answer names the bundle to look up before any retry.
    case 'SUBMIT_OUTCOME_UNKNOWN':
    case 'UPSTREAM_TIMEOUT':
      return 504;
    // A cluster node that does not answer over NATS (down, or NATS is away).
    case 'NODE_UNREACHABLE':
      return 503;
    // The state directory refused a write: nothing was saved, the request may be retried as is.
    case 'DATABASE_BUSY':
    case 'STORAGE_ERROR':
      return 503;
    case 'STATE_DIR_FULL':
    case 'DISK_FULL':
      return 507;
    case 'INTERNAL':
      return 500;
  }
}
