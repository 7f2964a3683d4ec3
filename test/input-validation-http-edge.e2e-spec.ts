import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** The HTTP edge: what curl can send that the API must refuse by name (or answer plainly). */
describe('input validation at the HTTP edge (e2e, in-process server)', () => {
  let server: InProcessServer;
  const call = (method: string, path: string, body?: unknown) =>
    request(server.baseUrl, method, path, { token: server.token, body });

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
  });
  afterAll(() => server.close(true));

  describe('a user-given name or label that is empty or only whitespace → 400 naming it', () => {
    const job = { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } };
    const routes: Array<[string, string, string, Record<string, unknown>]> = [
      ['POST', '/api/queue', 'name', job],
      [
        'POST',
        '/api/cluster/jobs/submit',
        'name',
        { script: '/bin/true', participants: [{ node_id: 'abcd-1234', gpus: 0 }] },
      ],
      ['POST', '/api/runs', 'name', {}],
      ['POST', '/api/dataset-servers/user', 'label', { base_url: 'http://127.0.0.1:1' }],
    ];
    const cases = routes.flatMap(([method, path, field, body]) =>
      ['', ' ', '\t\n'].map((value): [string, string, string, string, object] => [
        method,
        path,
        field,
        value,
        body,
      ]),
    );
    it.each(cases)('%s %s %s=%j', async (method, path, field, value, body) => {
      const answer = await call(method, path, { ...body, [field]: value });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(answer.body.details).toEqual([
        { field, message: `${field} must not be empty or only whitespace` },
      ]);
    });

    it('nothing was stored, and a name with text (spaces inside or around) is kept as given', async () => {
      expect((await call('GET', '/api/jobs')).body.total).toBe(0);
      const ok = await call('POST', '/api/queue', { ...job, name: ' my job ' });
      expect(ok.status).toBe(201);
      expect(ok.body.name).toBe(' my job ');
      // Leaving the name out is still fine.
      const unnamed = await call('POST', '/api/queue', job);
      expect(unnamed.status).toBe(201);
      expect(unnamed.body.name).toBeNull();
    });
  });
});
