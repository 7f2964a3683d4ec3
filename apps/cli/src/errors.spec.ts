import { TrainyardApiError, TrainyardConnectionError } from '@trainyard/sdk';
import { CliError, ConnectionInfo, EXIT, formatFieldError, outputWriteFailure, toCliError } from './errors';

const fromFile: ConnectionInfo = {
  baseUrl: 'http://127.0.0.1:8765',
  tokenSource: '/home/u/.config/trainyard/auth_token',
};
const fromEnv: ConnectionInfo = { baseUrl: 'http://gpu1:8765', tokenSource: 'TRAINYARD_SERVER_TOKEN' };
const noToken: ConnectionInfo = { ...fromFile, tokenProblem: 'missing' };

describe(toCliError.name, () => {
  it.each<[string, unknown, ConnectionInfo, number, RegExp]>([
    [
      'unreachable server',
      new TrainyardConnectionError(
        'http://127.0.0.1:8765/api/gpus',
        Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      ),
      fromFile,
      EXIT.unreachable,
      /^cannot reach the Trainyard server at http:\/\/127\.0\.0\.1:8765 \(ECONNREFUSED\); is it running\?/,
    ],
    [
      'no URL given and no server holds the state directory: says so, not only the guessed port',
      new TrainyardConnectionError(
        'http://127.0.0.1:8765/api/gpus',
        Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      ),
      { ...fromFile, noServerHolds: '/srv/ty' },
      EXIT.unreachable,
      /^no Trainyard server is running for \/srv\/ty \(TRAINYARD_HOME\) and none answers at http:\/\/127\.0\.0\.1:8765 \(ECONNREFUSED\); start one with `trainyard server`/,
    ],
    [
      'validation failure, fields named with their flags',
      TrainyardApiError.fromBody(400, {
        code: 'VALIDATION_FAILED',
        message: 'invalid',
        details: [
          { field: 'requested_gpus', message: 'requested_gpus is 5 but this host has 2 usable GPUs' },
          { field: 'env.BAD NAME', message: 'not a valid name' },
        ],
      }),
      fromFile,
      EXIT.invalid,
      /^invalid request: requested_gpus is 5 but this host has 2 usable GPUs \(--gpus\); env\.BAD NAME \(--env\): not a valid name$/,
    ],
    [
      'rejected token from the file',
      TrainyardApiError.fromBody(401, { code: 'UNAUTHENTICATED', message: 'no' }),
      fromFile,
      EXIT.unauthorized,
      /rejected the token from \/home\/u\/\.config\/trainyard\/auth_token \(401\); .*--regen-token/,
    ],
    [
      'rejected token from the environment',
      TrainyardApiError.fromBody(401, '{"statusCode":401}'),
      fromEnv,
      EXIT.unauthorized,
      /^the server at http:\/\/gpu1:8765 rejected the token from TRAINYARD_SERVER_TOKEN \(401\)$/,
    ],
    [
      'no token at all',
      TrainyardApiError.fromBody(401, ''),
      noToken,
      EXIT.unauthorized,
      /needs a token \(401\) and none was found: \/home\/u\/\.config\/trainyard\/auth_token is missing; set TRAINYARD_SERVER_TOKEN/,
    ],
    [
      'a submit whose outcome is not known: its own exit code, so that a script does not retry blindly',
      TrainyardApiError.fromBody(504, {
        code: 'SUBMIT_OUTCOME_UNKNOWN',
        message: 'the master a went away during the submit; whether cj_1 goes ahead is not known yet',
      }),
      fromFile,
      EXIT.outcomeUnknown,
      /^the master a went away during the submit; whether cj_1 goes ahead is not known yet$/,
    ],
    [
      'unknown id',
      TrainyardApiError.fromBody(404, { code: 'JOB_NOT_FOUND', message: 'no job q_1' }),
      fromFile,
      EXIT.notFound,
      /^no job q_1$/,
    ],
    [
      'a route the server does not have (an older server): not "no such job"',
      TrainyardApiError.fromBody(404, {
        code: 'ROUTE_NOT_FOUND',
        message: 'Cannot POST /api/jobs/q_1/hold',
      }),
      fromFile,
      EXIT.failure,
      /^the server at http:\/\/127\.0\.0\.1:8765 does not take this request \(404: Cannot POST \/api\/jobs\/q_1\/hold\); is it a Trainyard server as new as this CLI \(\d+\.\d+\.\d+[^)]*\)\?$/,
    ],
    [
      'another program on the port (a 404 without a code)',
      TrainyardApiError.fromBody(404, '<html>Not Found</html>'),
      fromFile,
      EXIT.failure,
      /^the server at http:\/\/127\.0\.0\.1:8765 does not take this request \(404 without a Trainyard error\); is it a Trainyard server/,
    ],
    [
      'a method the path does not take',
      TrainyardApiError.fromBody(405, { code: 'METHOD_NOT_ALLOWED', message: 'PUT /api/jobs/q_1 takes GET' }),
      fromFile,
      EXIT.failure,
      /does not take this request \(405: PUT \/api\/jobs\/q_1 takes GET\)/,
    ],
    [
      'conflict',
      TrainyardApiError.fromBody(409, { code: 'JOB_NOT_RUNNING', message: 'q_1 is done' }),
      fromFile,
      EXIT.failure,
      /^q_1 is done \(409 JOB_NOT_RUNNING\)$/,
    ],
    ['a CliError as is', new CliError('add --yes', EXIT.invalid), fromFile, EXIT.invalid, /^add --yes$/],
    ['anything else', new Error('boom'), fromFile, EXIT.failure, /^unexpected error: boom$/],
  ])('%s', (_name, error, connection, exitCode, message) => {
    const sut = toCliError(error, connection);
    expect(sut.exitCode).toBe(exitCode);
    expect(sut.message).toMatch(message);
  });
});

describe(formatFieldError.name, () => {
  it.each<[{ field?: string; message: string }, string]>([
    [{ field: 'cwd', message: 'cwd /x does not exist' }, 'cwd /x does not exist (--cwd)'],
    [
      { field: 'job_params.argv', message: 'must be a list' },
      'job_params.argv (the command after --): must be a list',
    ],
    [{ field: 'job_params.lr', message: 'must be a number' }, 'job_params.lr (--param): must be a number'],
    [
      { field: 'log_cap_bytes', message: 'log_cap_bytes must be 0 (no cap) or at least 4096 (got 10)' },
      'log_cap_bytes must be 0 (no cap) or at least 4096 (got 10) (--log-cap)',
    ],
    [
      { field: 'kill_grace_s', message: 'kill_grace_s must not be greater than 3600' },
      'kill_grace_s must not be greater than 3600 (--kill-grace)',
    ],
    [
      { field: 'time_limit_s', message: 'must be at least 1' },
      'time_limit_s (--time-limit): must be at least 1',
    ],
    [{ field: 'array.sweep.lr', message: 'has no values' }, 'array.sweep.lr (--sweep): has no values'],
    [{ field: 'array.count', message: 'too big' }, 'array.count (--array): too big'],
    [
      { field: 'depends_on[1].queue_id', message: 'no job q_1' },
      'depends_on[1].queue_id (--after): no job q_1',
    ],
    [{ field: 'depends_on.0.condition', message: 'bad' }, 'depends_on.0.condition (--after): bad'],
    [{ field: 'queue_id', message: 'queue_id must look like q_…' }, 'queue_id must look like q_…'],
    [{ message: 'no field' }, 'no field'],
  ])('%j → %s', (detail, expected) => {
    expect(formatFieldError(detail)).toBe(expected);
  });
});

describe(outputWriteFailure.name, () => {
  const failed = (code: string, syscall: string, message: string) =>
    Object.assign(new Error(message), { code, syscall });

  it('says a failed write of the output in one line (exit 1); a reader gone away (EPIPE) is exit 0, silent', () => {
    const full = failed('ENOSPC', 'write', 'ENOSPC: no space left on device, write');
    expect(outputWriteFailure(full)).toEqual(
      new CliError(
        'cannot write the output: ENOSPC: no space left on device, write (the command was carried out)',
        EXIT.failure,
      ),
    );
    // A short answer (a submitted job's id) is said, so a script need not run the command again.
    expect(outputWriteFailure(full, 'q_1796000000000_0000000a\n')?.message).toBe(
      'cannot write the output: ENOSPC: no space left on device, write ' +
        '(the command was carried out; the output was: q_1796000000000_0000000a)',
    );
    expect(outputWriteFailure(full, 'a\nb\n')?.message).toMatch(/carried out\)$/);
    expect(outputWriteFailure(full, 'x'.repeat(201))?.message).toMatch(/carried out\)$/);
    expect(outputWriteFailure(failed('EPIPE', 'write', 'write EPIPE'))).toMatchObject({
      message: '',
      exitCode: EXIT.ok,
    });
  });

  it('is null for any other error', () => {
    expect(outputWriteFailure(failed('EIO', 'read', 'EIO: i/o error, read'))).toBeNull();
    expect(outputWriteFailure(new Error('boom'))).toBeNull();
    expect(outputWriteFailure(undefined)).toBeNull();
  });
});
