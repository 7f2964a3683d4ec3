import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../apps/server/src/openapi';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

describe('server core (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  let token: string;
  beforeAll(async () => {
    server = await startInProcessServer();
    ({ baseUrl: base, token } = server);
  });
  afterAll(() => server.close(true));

  it('answers /api/health with version, start time and how job processes are tracked', async () => {
    const answer = await request(base, 'GET', '/api/health');
    expect(answer.body).toEqual({
      status: 'ok',
      problems: [],
      warnings: expect.any(Array), // [] unless this machine's disk is nearly full
      version: expect.any(String),
      started_at: expect.any(String),
      process_tracking: expect.objectContaining({ mode: expect.stringMatching(/^(cgroup|tag)$/) }),
    });
    const tracking = answer.body.process_tracking;
    // Exactly one of the two says why: the cgroup directory, or the reason there is none.
    expect(tracking.mode === 'cgroup' ? tracking.cgroup : tracking.reason).toEqual(expect.any(String));
    expect(tracking.mode === 'cgroup' ? tracking.reason : tracking.cgroup).toBeNull();
  });

  it('reports the config file path', async () => {
    const answer = await request(base, 'GET', '/api/server-config-path', { token });
    expect(answer.body).toEqual({ path: join(server.home, 'server_config.yaml') });
  });

  it('keeps every state file private: dir 0700, secrets and database 0600', () => {
    expect(statSync(server.home).mode & 0o777).toBe(0o700);
    for (const file of [
      'auth_token',
      'node_id',
      'server_config.yaml',
      'trainyard.db',
      'trainyard.db-wal',
      'trainyard.db-shm',
    ]) {
      expect([file, statSync(join(server.home, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
    for (const dir of ['jobs', 'secrets', 'control']) {
      expect([dir, statSync(join(server.home, dir)).mode & 0o777]).toEqual([dir, 0o700]);
    }
  });

  describe('errors', () => {
    it('gives malformed JSON a 400 with code INVALID_JSON', async () => {
      const answer = await request(base, 'POST', '/api/auth/login', {
        rawBody: '{"token":',
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
    });

    it('names what it refuses: a __proto__ key in valid JSON, a path that is not valid percent-encoding', async () => {
      // Before: "Request body is not valid JSON" for valid JSON; Fastify's own error shape for the path.
      const proto = await request(base, 'POST', '/api/auth/login', {
        rawBody: '{"__proto__":{"x":1},"token":"t"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(proto.status).toBe(400);
      expect(proto.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body' }] });
      expect(proto.body.message).toContain('"__proto__"');
      for (const credentials of [undefined, token]) {
        const path = await request(base, 'GET', '/api/jobs/%ZZ', { token: credentials });
        expect(path.status).toBe(400);
        expect(path.body).toEqual({
          statusCode: 400,
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining('not valid percent-encoding'),
          details: [{ field: 'path', message: expect.any(String) }],
        });
        expect(path.headers.get('x-content-type-options')).toBe('nosniff');
      }
    });

    it('refuses bodies over the size limit with 413', async () => {
      const answer = await request(base, 'POST', '/api/auth/login', {
        body: { token: 'x'.repeat(2 * 1024 * 1024) },
      });
      expect(answer.status).toBe(413);
      expect(answer.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses a non-JSON content type with 415, text/plain JSON (curl -d) too', async () => {
      const queued = async () => (await request(base, 'GET', '/api/jobs?limit=1', { token })).body.total;
      const before = await queued();
      for (const [path, type, rawBody] of [
        ['/api/auth/login', 'application/x-www-form-urlencoded', 'token=abc'],
        ['/api/queue', 'text/plain', '{"job_params":{"argv":["true"]}}'],
        ['/api/queue', 'text/plain; charset=utf-8', '{"job_params":{"argv":["true"]}}'],
      ]) {
        const answer = await request(base, 'POST', path, {
          token,
          rawBody,
          headers: { 'content-type': type },
        });
        expect({ type, status: answer.status }).toEqual({ type, status: 415 });
        expect(answer.body).toMatchObject({
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: expect.stringContaining('JSON'),
        });
      }
      expect(await queued()).toBe(before);
    });

    it('names every bad field', async () => {
      const answer = await request(base, 'POST', '/api/auth/set-password', {
        token,
        body: { new_password: 12, current_password: ['x'], surprise: 1 },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      const fields = answer.body.details.map((d: { field: string }) => d.field);
      expect(new Set(fields)).toEqual(new Set(['new_password', 'current_password', 'surprise']));
    });

    it('refuses deeply nested bodies with 400 instead of overflowing the stack', async () => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const answer = await request(base, 'POST', '/api/auth/login', {
        rawBody: `{"password":${deep}}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    });

    it('treats a null credential as missing, not as a crash', async () => {
      const answer = await request(base, 'POST', '/api/auth/login', { body: { token: null } });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    });

    it('answers `..` paths and oversized headers with a 4xx in the usual error shape', async () => {
      // Raw HTTP: fetch() would normalise the `..` away before sending.
      const dots = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${base}/api/jobs/../../../etc/passwd`, {
          headers: { authorization: `Bearer ${token}` },
        });
        req.path = '/api/jobs/../../../etc/passwd';
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(dots.status).toBeGreaterThanOrEqual(400);
      expect(dots.status).toBeLessThan(500);
      expect(dots.body).not.toContain('root:');
      const big = await request(base, 'GET', '/api/health', { headers: { 'x-filler': 'x'.repeat(20_000) } });
      expect(big.status).toBe(431);
      expect(big.body).toMatchObject({
        statusCode: 431,
        code: expect.any(String),
        message: expect.any(String),
      });
    });

    it('answers unknown routes with a JSON 404 and a query with bad types with 400', async () => {
      const missing = await request(base, 'GET', '/api/nope', { token });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('ROUTE_NOT_FOUND');
      // What it quotes of a very long path is cut.
      const long = await request(base, 'GET', `/api/${'x'.repeat(5000)}`, { token });
      expect(long.status).toBe(404);
      expect(long.body.message).toMatch(/^Cannot GET \/api\/x+… \(\d+ more characters\)$/);
      expect(long.body.message.length).toBeLessThan(1100);
      // A path parameter over 100 characters still reaches its route, which says what is wrong with it.
      const longId = `q_1700000000000_${'a'.repeat(150)}`;
      const tooLong = await request(base, 'GET', `/api/jobs/${longId}`, { token });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.details).toEqual([expect.objectContaining({ field: 'queue_id' })]);
      // A path that routes of other methods take: 405 naming them (Allow), not a 404 as if it did not exist.
      for (const [method, path, allow] of [
        ['PUT', '/api/jobs/q_1700000000000_00000000', 'GET, HEAD, DELETE'],
        ['OPTIONS', '/api/queue', 'GET, HEAD, POST'],
        ['POST', '/api/health', 'GET, HEAD'],
      ] as const) {
        const wrong = await request(base, method, path, { token });
        expect({ method, path, status: wrong.status, allow: wrong.headers.get('allow') }).toEqual({
          method,
          path,
          status: 405,
          allow,
        });
        expect(wrong.body).toEqual({
          statusCode: 405,
          code: 'METHOD_NOT_ALLOWED',
          message: `${method} is not allowed on ${path}; it takes ${allow}`,
        });
      }
      // Without credentials it is refused like any other route: the gate decides before the method.
      expect((await request(base, 'PUT', '/api/jobs/q_1700000000000_00000000')).status).toBe(401);
      const bad = await request(base, 'GET', '/api/journal?limit=abc', { token });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('limit');
    });
  });

  describe('metrics', () => {
    it('serves Prometheus text with the bearer token, including process metrics and the HTTP histogram', async () => {
      await request(base, 'GET', '/api/health');
      const answer = await request(base, 'GET', '/metrics', { token });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toContain('text/plain');
      expect(answer.text).toContain('trainyard_process_cpu_user_seconds_total');
      expect(answer.text).toMatch(
        /trainyard_http_request_duration_seconds_count\{method="GET",route="\/api\/health",status="200"\} \d+/,
      );
    });

    it('gives what an alert needs even at zero: queue depth, jobs by status, the scheduler switch', async () => {
      const text = async () => (await request(base, 'GET', '/metrics', { token })).text;
      const before = await text();
      expect(before).toMatch(/^trainyard_queue_depth \d+$/m);
      // Every status of a configured type is there, a count of 0 included.
      for (const status of ['queued', 'running', 'failed'])
        expect(before).toMatch(
          new RegExp(`^trainyard_jobs\\{status="${status}",job_type="command"\\} \\d+$`, 'm'),
        );
      expect(before).toContain('trainyard_scheduler_enabled 1');
      await request(base, 'POST', '/api/queue/scheduler', { token, body: { enabled: false } });
      try {
        expect(await text()).toContain('trainyard_scheduler_enabled 0');
      } finally {
        await request(base, 'POST', '/api/queue/scheduler', { token, body: { enabled: true } });
      }
    });
  });

  describe('job end counters', () => {
    it('count each end by status and reason from 0; a cleanup of the records does not lower them', async () => {
      const metric = async (name: string, labels: string) =>
        Number(
          new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(
            (await request(base, 'GET', '/metrics', { token })).text,
          )?.[1],
        );
      const ends = () =>
        metric('trainyard_job_ends_total', 'status="failed",termination_reason="exited_nonzero"');
      const failedRecords = () => metric('trainyard_jobs', 'status="failed",job_type="command"');
      const before = await ends();
      expect(before).toBeGreaterThanOrEqual(0); // there from the start
      expect(
        await metric('trainyard_job_ends_total', 'status="aborted",termination_reason="user_kill"'),
      ).toBe(0);
      const { body } = await request(base, 'POST', '/api/queue', {
        token,
        body: { job_type: 'command', job_params: { argv: ['false'] } },
      });
      for (
        let t = Date.now();
        (await request(base, 'GET', `/api/jobs/${body.queue_id}`, { token })).body.status !== 'failed';
      ) {
        if (Date.now() - t > 20_000) throw new Error('the job did not fail');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await ends()).toBe(before + 1);
      expect(await failedRecords()).toBeGreaterThanOrEqual(1);
      await request(base, 'DELETE', `/api/jobs/${body.queue_id}`, { token });
      // Before: only the `trainyard_jobs` gauge of records, which a cleanup lowers (an alert on its
      // increase misfired); the counter keeps the end.
      expect(await ends()).toBe(before + 1);
    });
  });

  describe('journal', () => {
    it('appends an entry per state change with a strictly increasing seq and this node as origin', async () => {
      await request(base, 'POST', '/api/auth/login', { body: { token } });
      await request(base, 'POST', '/api/auth/login', { body: { token: 'wrong' } });
      const answer = await request(base, 'GET', '/api/journal?limit=1000', { token });
      const items = answer.body.items as Array<{
        seq: number;
        type: string;
        origin_node_id: string;
        payload: object;
      }>;
      const nodeId = readFileSync(join(server.home, 'node_id'), 'utf8').trim();
      expect(items.map((i) => i.type)).toEqual(
        expect.arrayContaining(['auth.session_started.v1', 'auth.login_failed.v1']),
      );
      for (let i = 1; i < items.length; i++) expect(items[i].seq).toBeGreaterThan(items[i - 1].seq);
      expect(items.every((i) => i.origin_node_id === nodeId)).toBe(true);
      expect(JSON.stringify(items)).not.toContain(token);
    });
  });

  describe('OpenAPI', () => {
    it('serves a valid OpenAPI 3 document to authenticated clients', async () => {
      const answer = await request(base, 'GET', '/api/openapi.json', { token });
      expect(answer.status).toBe(200);
      expect(answer.body.openapi).toMatch(/^3\./);
      const ids = Object.values(
        answer.body.paths as Record<string, Record<string, { operationId: string }>>,
      ).flatMap((item) => Object.values(item).map((op) => op.operationId));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(['login', 'getHealth', 'scrapeMetrics', 'listJournal']));
      expect(answer.body.paths['/api/health'].get.security).toEqual([]);
      expect(
        answer.body.paths['/api/auth/login'].post.responses['401'].content['application/json'].schema.$ref,
      ).toBe('#/components/schemas/ErrorResponseDto');
      expect((await request(base, 'GET', '/api/docs', { token })).status).toBe(200);
    });

    it('matches the committed openapi/openapi.json (run `npm run openapi:generate` after API changes)', () => {
      const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi', 'openapi.json'), 'utf8'));
      expect(buildOpenApiDocument(server.app)).toEqual(committed);
    });

    it('`npm run openapi:generate` writes that document (the built script ran to its end)', () => {
      // It once exited 0 having written nothing: the app's boot waited on an unref'd thread.
      const run = spawnSync(
        process.execPath,
        [join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'generate-openapi.js'), '--stdout'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(buildOpenApiDocument(server.app));
    });
  });

  describe('restart', () => {
    it('answers 202 and hands over to the process entry point', async () => {
      const answer = await request(base, 'POST', '/api/server/restart', { token });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ restart: 'scheduled', warnings: [] });
      const deadline = Date.now() + 2000;
      while (server.restarts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(server.restarts).toBe(1);
    });
  });
});
