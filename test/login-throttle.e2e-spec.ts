import { request as httpRequest } from 'node:http';
import { request, sessionCookie } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** A JSON POST sent from a chosen local address (any of 127.0.0.0/8 reaches a 127.0.0.1 listener). */
function postFrom(
  localAddress: string,
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const countOf = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('login throttle (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  beforeAll(async () => {
    server = await startInProcessServer();
    base = server.baseUrl;
    const set = await request(base, 'POST', '/api/auth/set-password', {
      token: server.token,
      body: { new_password: 'the-right-one' },
    });
    expect(set.status).toBe(200);
  });
  afterAll(() => server.close(true));

  const failedLogins = async () =>
    (await request(base, 'GET', '/api/journal?limit=1000', { token: server.token })).body.items.filter(
      (e: { type: string }) => e.type === 'auth.login_failed.v1',
    );

  it('30 parallel wrong passwords from 30 loopback addresses: 5 are checked (401), 25 refused (429)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        postFrom(`127.0.0.${i + 2}`, `${base}/api/auth/login`, { password: `guess-${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(countOf(statuses, 401)).toBe(5);
    expect(countOf(statuses, 429)).toBe(25);
    for (const a of answers.filter((x) => x.status === 429)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
    // Yet another loopback address is the same client.
    expect(
      (await postFrom('127.9.9.9', `${base}/api/auth/login`, { password: 'the-right-one' })).status,
    ).toBe(429);
    expect(
      (await failedLogins()).filter((e: { payload: { via: string } }) => e.payload.via === 'password'),
    ).toHaveLength(5);
  });

  it('the right token still signs in while the client is locked out; a wrong one is refused', async () => {
    expect((await postFrom('127.0.0.7', `${base}/api/auth/login`, { token: 'f'.repeat(64) })).status).toBe(
      429,
    );
    const answer = await request(base, 'POST', '/api/auth/login', { body: { token: server.token } });
    expect(answer.status).toBe(200);
    expect(
      (await request(base, 'GET', '/api/auth/status', { cookie: sessionCookie(answer) })).body,
    ).toMatchObject({
      authenticated: true,
      method: 'cookie',
    });
  });

  it('a current_password sent as null is one left out (403), never a 500 nor a guess counted', async () => {
    const cookie = sessionCookie(
      await request(base, 'POST', '/api/auth/login', { body: { token: server.token } }),
    );
    // Before: null reached the password check, which threw (500), and each one counted as a wrong guess.
    for (let i = 0; i < 6; i++) {
      const answer = await postFrom(
        '127.0.2.1',
        `${base}/api/auth/set-password`,
        { new_password: 'a-new-password', current_password: null },
        { cookie, origin: base },
      );
      expect(answer.status).toBe(403);
    }
    expect(
      (await postFrom('127.0.2.1', `${base}/api/auth/login`, { password: 'the-right-one' })).status,
    ).toBe(200);
  });

  it("set-password's current_password guesses share the budget and are journaled", async () => {
    // The token login above proved the owner: the client's failures were forgiven.
    const cookie = sessionCookie(
      await request(base, 'POST', '/api/auth/login', { body: { token: server.token } }),
    );
    const guess = (from: string, current: string) =>
      postFrom(
        from,
        `${base}/api/auth/set-password`,
        { new_password: 'a-new-password', current_password: current },
        { cookie, origin: base },
      );
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => guess(`127.0.1.${i + 1}`, `nope-${i}`)),
    );
    expect(
      countOf(
        answers.map((a) => a.status),
        401,
      ),
    ).toBe(5);
    expect(
      countOf(
        answers.map((a) => a.status),
        429,
      ),
    ).toBe(3);
    // The same budget: a login guess (even the right password) now waits too.
    expect(
      (await postFrom('127.0.0.1', `${base}/api/auth/login`, { password: 'the-right-one' })).status,
    ).toBe(429);
    // And the right current_password is refused like any other guess until the window passes.
    expect((await guess('127.0.0.1', 'the-right-one')).status).toBe(429);
    const journaled = (await failedLogins()).filter(
      (e: { payload: { via: string } }) => e.payload.via === 'current_password',
    );
    expect(journaled).toHaveLength(5);
    expect(journaled[0].payload.client_address).toMatch(/^127\.0\.1\.\d$/);
  });
});
