import {
  createClient,
  createConfig,
  getJob,
  getJobLog,
  submitJob,
  type SubmitJobRequestDto,
} from '@trainyard/sdk';
import { Answer, request } from './http';
import { waitFor } from './wait';

/**
 * Thin helpers over the queue/jobs API for engine tests. Job calls go through the generated SDK (so
 * the SDK is exercised too); `call` stays a raw request for any path. Errors come back as answers
 * (status + body) instead of throwing, so tests can look at 4xx bodies.
 */
export function jobsApi(baseUrl: string, token: string) {
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(baseUrl, method, path, { token, body, headers });
  const client = createClient(
    createConfig({ baseUrl, auth: (scheme) => (scheme.scheme === 'bearer' ? token : undefined) }),
  );
  const answer = async (
    pending: Promise<{ data?: unknown; error?: unknown; response?: Response }>,
  ): Promise<Answer> => {
    const { data, error, response } = await pending;
    if (!response) throw error;
    const body = data ?? error;
    return {
      status: response.status,
      body,
      headers: response.headers,
      text: typeof body === 'string' ? body : JSON.stringify(body),
    };
  };
  const submit = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    answer(
      submitJob({
        client,
        throwOnError: false,
        // Tests send invalid bodies on purpose: the typed body is only a cast here.
        body: { requested_gpus: 0, ...body } as SubmitJobRequestDto,
        headers,
      }),
    );
  const job = (id: string) => answer(getJob({ client, throwOnError: false, path: { queue_id: id } }));
  const log = (id: string) =>
    answer(getJobLog({ client, throwOnError: false, path: { queue_id: id }, parseAs: 'text' }));
  return {
    call,
    /** The generated SDK's client, signed in as this API (for SDK calls the helpers do not wrap). */
    client,
    submit,
    command: (argv: string[], extra: Record<string, unknown> = {}) =>
      submit({ job_type: 'command', job_params: { argv }, ...extra }),
    job: async (id: string) => (await job(id)).body,
    log: async (id: string) => (await log(id)).text,
    waitStatus: (id: string, statuses: string[], timeoutMs = 10_000) =>
      waitFor(
        async () => {
          const current = (await job(id)).body;
          return statuses.includes(current.status) ? current : undefined;
        },
        `${id} to reach ${statuses.join('/')}`,
        timeoutMs,
      ),
    waitLog: (id: string, pattern: RegExp, timeoutMs = 10_000) =>
      waitFor(
        async () => {
          const current = await log(id);
          return current.status === 200 && pattern.test(current.text) ? current.text : undefined;
        },
        `${id}'s log to match ${String(pattern)}`,
        timeoutMs,
      ),
  };
}
