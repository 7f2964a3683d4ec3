import { request } from './http';
import { waitFor } from './wait';

/** Thin helpers over the queue/jobs API for engine tests. */
export function jobsApi(baseUrl: string, token: string) {
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(baseUrl, method, path, { token, body, headers });
  return {
    call,
    submit: (body: Record<string, unknown>, headers?: Record<string, string>) =>
      call('POST', '/api/queue', { requested_gpus: 0, ...body }, headers),
    command: (argv: string[], extra: Record<string, unknown> = {}) =>
      call('POST', '/api/queue', { job_type: 'command', requested_gpus: 0, job_params: { argv }, ...extra }),
    job: async (id: string) => (await call('GET', `/api/jobs/${id}`)).body,
    log: async (id: string) => (await call('GET', `/api/jobs/${id}/tty`)).text,
    waitStatus: (id: string, statuses: string[], timeoutMs = 10_000) =>
      waitFor(
        async () => {
          const job = (await call('GET', `/api/jobs/${id}`)).body;
          return statuses.includes(job.status) ? job : undefined;
        },
        `${id} to reach ${statuses.join('/')}`,
        timeoutMs,
      ),
    waitLog: (id: string, pattern: RegExp, timeoutMs = 10_000) =>
      waitFor(
        async () => {
          const answer = await call('GET', `/api/jobs/${id}/tty`);
          return answer.status === 200 && pattern.test(answer.text) ? answer.text : undefined;
        },
        `${id}'s log to match ${String(pattern)}`,
        timeoutMs,
      ),
  };
}
