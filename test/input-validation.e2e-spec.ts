import { once } from 'node:events';
import { WebSocket } from 'ws';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

/** Input the API must refuse by name: ill-formed Unicode anywhere, integers not written canonically. */
describe('input validation (e2e, in-process server)', () => {
  let server: InProcessServer;
  const call = (method: string, path: string, options: { body?: unknown; rawBody?: string } = {}) =>
    request(server.baseUrl, method, path, {
      token: server.token,
      ...options,
      headers: options.rawBody ? { 'content-type': 'application/json' } : undefined,
    });

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
  });
  afterAll(() => server.close(true));

  describe('strings that are not well-formed Unicode → 400 naming the field', () => {
    // Raw JSON text: JSON.stringify would escape the lone surrogate the same way, but spell it out.
    const job = (fields: string) =>
      `{"job_type":"command","requested_gpus":0,"job_params":{"argv":["true"]}${fields}}`;
    it.each([
      ['name', job(',"name":"a\\ud800b"')],
      [
        'job_params.argv.1',
        '{"job_type":"command","requested_gpus":0,"job_params":{"argv":["echo","\\udc00"]}}',
      ],
      ['env.X', job(',"env":{"X":"\\ud83d"}')],
      ['env.\ufffd', job(',"env":{"\\ud800":"v"}')],
    ])('%s', async (field, rawBody) => {
      const answer = await call('POST', '/api/queue', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field }] });
    });

    it('keeps well-formed text (surrogate pairs included), and every list stays strict UTF-8 JSON', async () => {
      const ok = await call('POST', '/api/queue', { rawBody: job(',"name":"ok \\ud83d\\ude80 ✓"') });
      expect(ok.status).toBe(201);
      expect(ok.body.name).toBe('ok 🚀 ✓');
      const res = await fetch(`${server.baseUrl}/api/jobs`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      const text = new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
      expect(text).not.toMatch(/\\u[dD][89abAB]/); // no escaped lone surrogates either
      expect(JSON.parse(text).items.map((j: { name: string }) => j.name)).toEqual(['ok 🚀 ✓']);
    });

    it('applies to every route with a body, e.g. a GPU policy', async () => {
      const answer = await call('POST', '/api/gpus/0/policy', { rawBody: '{"\\ud800":true}' });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([expect.objectContaining({ field: '\ufffd' })]);
    });
  });

  describe('a route refuses a query or body it does not take, naming each (they would be ignored)', () => {
    it('cleanup with a filter it does not have removes nothing', async () => {
      const done = await call('POST', '/api/queue', {
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
      });
      await waitFor(
        async () => (await call('GET', `/api/jobs/${done.body.queue_id}`)).body.status === 'done',
        'the job to end',
      );
      // (It takes ended_before and status; not a guess at another name.)
      const filtered = await call('POST', '/api/jobs/cleanup?older_than=7d');
      expect(filtered.status).toBe(400);
      expect(filtered.body.details).toEqual([
        { field: 'older_than', message: 'unknown query parameter older_than' },
      ]);
      const withBody = await call('POST', '/api/jobs/cleanup', { body: { status: 'failed' } });
      expect(withBody.status).toBe(400);
      expect(withBody.body.details).toEqual([
        { field: 'status', message: 'unknown field status (this route takes no body)' },
      ]);
      expect((await call('GET', `/api/jobs/${done.body.queue_id}`)).status).toBe(200);
      // Without them it does what it says; ?token= (a credential, read by the auth gate) is not refused.
      const plain = await call('POST', `/api/jobs/cleanup?token=${server.token}`, { body: {} });
      expect(plain.status).toBe(200);
      expect(plain.body.deleted).toContain(done.body.queue_id);
    });

    it('a GET without a query DTO too', async () => {
      const answer = await call('GET', '/api/health?verbose=1');
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([
        { field: 'verbose', message: 'unknown query parameter verbose (this route takes none)' },
      ]);
    });

    // A route that streams its answer (it takes the reply) was let through: ?offset=abc was a 200.
    it.each(['offset=abc', 'follow=maybe', 'foo=1'])('GET /api/jobs/{id}/tty?%s too', async (query) => {
      const { body } = await call('POST', '/api/queue', {
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
      });
      const name = query.split('=')[0];
      const answer = await call('GET', `/api/jobs/${body.queue_id}/tty?${query}`);
      expect({ status: answer.status, details: answer.body.details }).toEqual({
        status: 400,
        details: [{ field: name, message: `unknown query parameter ${name} (this route takes none)` }],
      });
    });

    /** A WebSocket upgrade's outcome: the HTTP refusal (status, body), or the close code and text frames. */
    const upgrade = async (path: string) => {
      const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${path}`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      const frames: string[] = [];
      ws.on('message', (data: Buffer, binary: boolean) => binary || frames.push(data.toString()));
      return new Promise<{ status?: number; body?: unknown; code?: number; frames?: string[] }>((resolve) => {
        ws.on('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
        });
        ws.on('open', () => ws.once('close', (code) => resolve({ code, frames })));
        ws.on('error', () => undefined);
      });
    };

    it('a WebSocket route refuses a query parameter it does not take (400 at the upgrade, naming it)', async () => {
      const { body } = await call('POST', '/api/queue', {
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
      });
      expect(await upgrade(`/api/jobs/${body.queue_id}/tty?follow=false&foo=1`)).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          code: 'VALIDATION_FAILED',
          message: 'Invalid request: unknown query parameter foo (this route takes offset, follow)',
          details: [
            { field: 'foo', message: 'unknown query parameter foo (this route takes offset, follow)' },
          ],
        },
      });
      expect(await upgrade('/api/jobs/stream?since=5')).toMatchObject({
        status: 400,
        body: { message: 'Invalid request: unknown query parameter since (this route takes none)' },
      });
      // Its own values are checked as before (follow=maybe followed the log).
      expect(await upgrade(`/api/jobs/${body.queue_id}/tty?follow=maybe`)).toEqual({
        code: 1008,
        frames: [JSON.stringify({ type: 'error', message: 'follow must be true, false, 1 or 0' })],
      });
      // What it takes, and a credential, are let through.
      await waitFor(
        async () => (await call('GET', `/api/jobs/${body.queue_id}`)).body.status === 'done',
        'done',
      );
      const backlog = await upgrade(`/api/jobs/${body.queue_id}/tty?follow=0&offset=0&token=${server.token}`);
      expect(backlog).toMatchObject({ code: 1000 });
    });
  });

  it('refuses a job name over 200 characters, naming the field (a row could not show its id)', async () => {
    const body = { job_type: 'command', job_params: { argv: ['true'] }, name: 'n'.repeat(5000) };
    const answer = await call('POST', '/api/queue', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([
      { field: 'name', message: 'name must be shorter than or equal to 200 characters' },
    ]);
    const fits = await call('POST', '/api/queue', { body: { ...body, name: 'n'.repeat(200) } });
    expect(fits.status).toBe(201);
  });

  it('a value of the wrong type is told its type only, not every rule it breaks', async () => {
    const body = { job_type: 'command', job_params: { argv: ['true'] }, kill_grace_s: '5', name: 7 };
    const answer = await call('POST', '/api/queue', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toHaveLength(2);
    expect(answer.body.details).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'name must be a string' },
        { field: 'kill_grace_s', message: 'kill_grace_s must be an integer number' },
      ]),
    );
    const missing = await call('POST', '/api/queue', { body: { job_params: { argv: ['true'] } } });
    expect(missing.body.details).toEqual([{ field: 'job_type', message: 'job_type is required' }]);
    // Of the right type, the other rules still speak.
    const big = await call('POST', '/api/queue', { body: { ...body, name: 'x', kill_grace_s: 99999 } });
    expect(big.body.details).toEqual([
      { field: 'kill_grace_s', message: 'kill_grace_s must be at most 3600 (seconds: one hour)' },
    ]);
    // A limit in seconds says what it is in the unit people think in.
    const year = await call('POST', '/api/queue', {
      body: { ...body, name: 'x', kill_grace_s: 1, time_limit_s: 400 * 86_400 },
    });
    expect(year.body.details).toEqual([
      { field: 'time_limit_s', message: 'time_limit_s must be at most 31622400 (seconds: 366 days)' },
    ]);
  });

  it('an argument or environment variable too long to exec is refused at submit, naming it', async () => {
    const long = 'x'.repeat(140_000);
    const argv = await call('POST', '/api/queue', {
      body: { job_type: 'command', job_params: { argv: ['echo', long] } },
    });
    expect(argv.status).toBe(400);
    expect(argv.body.details).toEqual([
      {
        field: 'job_params.argv',
        message: expect.stringMatching(/^"argv"\[1\] is 140000 bytes; .* at most 131071/),
      },
    ]);
    const env = await call('POST', '/api/queue', {
      body: { job_type: 'command', job_params: { argv: ['true'] }, env: { BIG: long } },
    });
    expect(env.status).toBe(400);
    expect(env.body.details).toEqual([
      { field: 'env.BIG', message: expect.stringMatching(/^env\.BIG is 140004 bytes; /) },
    ]);
  });

  describe('integers in paths and queries must be plain decimal', () => {
    const NOT_CANONICAL = ['0x1', '%201', '1%20', '1.0', '01', '+1', '1e0', '-0', '١'];

    it.each(NOT_CANONICAL)('GPU index %s → 400 naming index', async (index) => {
      const answer = await call('POST', `/api/gpus/${index}/policy`, { body: { disabled: false } });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toContainEqual(
        expect.objectContaining({ field: 'index', message: expect.stringMatching(/plain decimal digits/) }),
      );
    });

    it.each([
      ['/api/jobs?limit=', 'limit'],
      ['/api/queue?limit=', 'limit'],
      ['/api/journal?limit=', 'limit'],
      ['/api/journal?after_seq=', 'after_seq'],
    ])('%s… → 400 naming %s', async (prefix, field) => {
      for (const value of NOT_CANONICAL) {
        const answer = await call('GET', `${prefix}${value}`);
        expect({ value, status: answer.status }).toEqual({ value, status: 400 });
        expect(answer.body.details).toContainEqual(expect.objectContaining({ field }));
      }
    });

    it('accepts the canonical forms', async () => {
      expect((await call('POST', '/api/gpus/1/policy', { body: { disabled: false } })).status).toBe(200);
      expect((await call('POST', '/api/gpus/0/policy', { body: { disabled: false } })).status).toBe(200);
      expect((await call('GET', '/api/jobs?limit=10')).status).toBe(200);
      expect((await call('GET', '/api/journal?after_seq=0&limit=1000')).status).toBe(200);
    });

    it('refuses a log stream ?offset= that is not plain decimal', async () => {
      const { body } = await call('POST', '/api/queue', {
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
      });
      for (const offset of ['01', '0x0', '%200']) {
        const ws = new WebSocket(
          `${server.baseUrl.replace('http', 'ws')}/api/jobs/${body.queue_id}/tty?offset=${offset}`,
          { headers: { authorization: `Bearer ${server.token}` } },
        );
        const frames: string[] = [];
        ws.on('message', (data: Buffer) => frames.push(data.toString()));
        const [code] = await once(ws, 'close');
        expect({ offset, code, frames }).toEqual({
          offset,
          code: 1008,
          frames: [JSON.stringify({ type: 'error', message: 'offset must be a non-negative integer' })],
        });
      }
    });
  });

  describe('wording and behaviour shared by every endpoint', () => {
    it('a job type filter that names no type is 400 JOB_TYPE_UNKNOWN naming job_type, as a submit is', async () => {
      const list = await call('GET', '/api/jobs?job_type=nope');
      expect(list.status).toBe(400);
      expect(list.body).toMatchObject({
        code: 'JOB_TYPE_UNKNOWN',
        details: [{ field: 'job_type', message: 'unknown job type "nope"' }],
      });
      const submit = await call('POST', '/api/queue', {
        body: { job_type: 'nope', requested_gpus: 0, job_params: {} },
      });
      expect(submit.body).toMatchObject({ code: list.body.code, message: list.body.message });
      // A configured type with no jobs is an empty page, not an error.
      const empty = await call('GET', '/api/jobs?job_type=training');
      expect(empty.status).toBe(200);
      expect(empty.body.total).toBe(0);
    });

    it('says a message shared by several fields once', async () => {
      const answer = await call('POST', '/api/gpus/0/policy', { body: {} });
      expect(answer.status).toBe(400);
      const message = answer.body.message as string;
      expect(message.match(/give disabled and\/or min_priority/g)).toHaveLength(1);
      expect(answer.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'disabled',
        'min_priority',
      ]);
    });

    it.each([
      ['query parameter', 'GET', '/api/gpus/history?minutes=5', undefined, 'unknown query parameter minutes'],
      ['body field', 'POST', '/api/gpus/0/policy', { disabled: true, minutes: 5 }, 'unknown field minutes'],
    ])('names an unknown %s plainly', async (_what, method, path, body, message) => {
      const answer = await call(method, path, { body });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([{ field: 'minutes', message }]);
      expect(answer.body.message).toBe(`Invalid request: ${message}`);
    });

    it.each([
      ['/api/server/restart', 202],
      ['/api/jobs/cleanup', 200],
    ])('treats an empty JSON body as no body (POST %s)', async (path, status) => {
      const answer = await request(server.baseUrl, 'POST', path, {
        token: server.token,
        rawBody: '',
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(answer.body.code).toBeUndefined();
      expect(answer.status).toBe(status);
    });

    it('still refuses a JSON body that is only blanks or broken', async () => {
      for (const rawBody of [' ', '{']) {
        const answer = await call('POST', '/api/gpus/0/policy', { rawBody });
        expect(answer.status).toBe(400);
      }
    });
  });

  describe('unknown keys inside nested objects are refused by their full path, never ignored', () => {
    const command = { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } };

    // `conditon` left the condition at after_ok: the opposite of the after_any that was asked.
    it('a depends_on entry: a misspelt condition, or a key it does not take', async () => {
      const first = await call('POST', '/api/queue', { body: command });
      const queue_id = first.body.queue_id as string;
      const misspelt = await call('POST', '/api/queue', {
        body: { ...command, depends_on: [{ queue_id, conditon: 'after_any' }] },
      });
      expect({ status: misspelt.status, details: misspelt.body.details }).toEqual({
        status: 400,
        details: [
          {
            field: 'depends_on[0].conditon',
            message: 'unknown field depends_on[0].conditon (did you mean condition?)',
          },
        ],
      });
      const extra = await call('POST', '/api/queue', {
        body: { ...command, depends_on: [{ queue_id, condition: 'after_any', extra: 1 }] },
      });
      expect(extra.status).toBe(400);
      expect(extra.body.details).toEqual([
        {
          field: 'depends_on[0].extra',
          message: 'unknown field depends_on[0].extra (it takes queue_id, condition)',
        },
      ]);
      const right = await call('POST', '/api/queue', {
        body: { ...command, depends_on: [{ queue_id, condition: 'after_any' }] },
      });
      expect(right.status).toBe(201);
      expect(right.body.depends_on).toEqual([{ queue_id, condition: 'after_any' }]);
    });

    it('an array spec names its unknown key as the pipe does', async () => {
      const answer = await call('POST', '/api/queue', { body: { ...command, array: { count: 2, cont: 3 } } });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([
        { field: 'array.cont', message: 'unknown field array.cont (did you mean count?)' },
      ]);
    });

    it('a run log: a point’s unknown key, an empty config object, untidy series paths', async () => {
      const runId = (await call('POST', '/api/runs', { body: {} })).body.run_id as string;
      const log = (body: unknown) => call('POST', `/api/runs/${runId}/log`, { body });
      const extra = await log({ metrics: [{ path: 'a', step: 1, value: 1, extra: 2 }] });
      expect(extra.status).toBe(400);
      expect(extra.body.details).toEqual([
        { field: 'metrics[0].extra', message: 'unknown field metrics[0].extra (it takes path, step, value)' },
      ]);
      // An empty config section was dropped without a word: it is kept as the text {}.
      const empty = await log({ configs: { o: {} } });
      expect({ status: empty.status, configs: empty.body.configs }).toEqual({ status: 200, configs: 1 });
      expect((await call('GET', `/api/runs/${runId}`)).body.configs).toEqual([
        { path: 'o', type_tag: 'str', value: '{}' },
      ]);
      // `a/`, `/a//b` and ` spaced ` were three series apart from `a`, `a/b` and `spaced`.
      const untidy = await log({
        metrics: ['a/', '/a//b', ' spaced '].map((path) => ({ path, step: 1, value: 1 })),
      });
      expect(untidy.status).toBe(400);
      expect(untidy.body.details.map((d: { field: string }) => d.field)).toEqual([
        'metrics[0].path',
        'metrics[1].path',
        'metrics[2].path',
      ]);
      expect((await call('GET', `/api/runs/${runId}/metric-paths`)).body.paths).toEqual([]);
      expect((await log({ metrics: [{ path: 'a/b', step: 1, value: 1 }] })).status).toBe(200);
    });

    it('a generation preset: a known parameter of the wrong type or range is refused and not saved', async () => {
      const put = (body: unknown) => call('PUT', '/api/generation-configs/validated', { body });
      const hot = await put({ temperature: 'hot' });
      expect(hot.status).toBe(400);
      expect(hot.body.details).toEqual([
        { field: 'temperature', message: 'temperature must be a number from 0 to 2' },
      ]);
      const ranges = await put({ temperature: 3, top_p: 1.5, max_tokens: 0 });
      expect(ranges.body.details.map((d: { field: string }) => d.field)).toEqual([
        'temperature',
        'top_p',
        'max_tokens',
      ]);
      expect((await call('GET', '/api/generation-configs/validated')).status).toBe(404);
      const kept = { temperature: 0.7, top_p: 0.9, max_tokens: 64, guided_choice: ['yes', 'no'] };
      expect((await put(kept)).status).toBe(200);
      expect((await call('GET', '/api/generation-configs/validated')).body).toEqual(kept);
    });
  });

  describe('a required query parameter left out is "is required", naming it', () => {
    // It was "base must be a string".
    it.each([
      ['/api/inference/models', 'base'],
      ['/api/inference/health', 'base'],
      ['/api/dataset-server/proxy/health', 'base'],
      ['/api/fs/source', 'path'],
      ['/api/config/overrides?project_dir=/tmp', 'config'],
    ])('GET %s', async (path, field) => {
      const answer = await call('GET', path);
      expect({ status: answer.status, details: answer.body.details }).toEqual({
        status: 400,
        details: [{ field, message: `${field} is required` }],
      });
    });

    it('GET /api/runs/{id}/metrics without path', async () => {
      const runId = (await call('POST', '/api/runs', { body: {} })).body.run_id as string;
      const answer = await call('GET', `/api/runs/${runId}/metrics`);
      expect(answer.body.details).toEqual([{ field: 'path', message: 'path is required' }]);
    });
  });

  describe('bodies that are not objects, and null for optional fields', () => {
    it.each(['null', '[]', '"text"', '123'])(
      'a JSON %s body is refused by name, never a 500',
      async (rawBody) => {
        for (const path of ['/api/queue', '/api/runs']) {
          const answer = await call('POST', path, { rawBody });
          expect(answer.status).toBe(400);
          expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body' }] });
        }
      },
    );

    it('takes null for an optional object (array, depends_on) as leaving it out', async () => {
      const rawBody =
        '{"job_type":"command","requested_gpus":0,"job_params":{"argv":["true"]},"array":null,"depends_on":null}';
      const answer = await call('POST', '/api/queue', { rawBody });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ array_id: null, depends_on: [] });
    });

    // A job record says null for "the default" (log_cap_bytes, kill_grace_s): what a client reads back
    // or keeps to submit again must be taken (before: log_cap_bytes and array.max_running were 400s).
    it('takes null for every optional field, nested ones too, as leaving it out', async () => {
      const base = { job_type: 'command', job_params: { argv: ['true'] }, held: true };
      const optional = {
        requested_gpus: null,
        priority: null,
        cwd: null,
        env: null,
        kill_grace_s: null,
        log_cap_bytes: null,
        preemptible: null,
        gpu_profile: null,
        name: null,
      };
      const [plain, nulls] = [
        await call('POST', '/api/queue', { body: base }),
        await call('POST', '/api/queue', { body: { ...base, ...optional } }),
      ];
      expect(nulls.status).toBe(201);
      const same = ({ queue_id: _id, seq: _seq, submitted_at: _at, ...rest }: Record<string, unknown>) =>
        rest;
      expect(same(nulls.body)).toEqual(same(plain.body));
      const array = await call('POST', '/api/queue', {
        body: { ...base, array: { count: 2, sweep: null, max_running: null } },
      });
      expect(array.status).toBe(201);
      expect((await call('GET', `/api/arrays/${array.body.array_id}`)).body).toMatchObject({
        total: 2,
        max_running: null,
      });
    });
  });
});
