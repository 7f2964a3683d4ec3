/**
 * Auth matrix, generated from openapi/openapi.json: every route (paths × methods) and every
 * WebSocket route × {no credentials, bad bearer, bearer, session cookie, used URL token, expired
 * session, cookie without Origin}. Only the documented open routes answer without credentials;
 * bad credentials get 401; bearer and cookie pass the gate (any answer but 401/403); a cookie
 * change without Origin gets 403 CSRF_ORIGIN_MISMATCH; WebSocket upgrades without credentials are
 * refused with 401 and open with the bearer token.
 *
 * Then the encoded-path matrix: every gated route (and /metrics, the Swagger UI and spec) spelled
 * every way in test/support/path-tricks.ts (%61pi, %2F, //, /API, trailing slash, /./, /api/../api,
 * ;params, %2e, backslashes, absolute-form…) without credentials answers 400, 401 or 404, never
 * anything else; the WebSocket routes likewise never open. And the source rules: a foreign Host is
 * 421 HOST_NOT_ALLOWED everywhere, a change with a foreign Origin is 403 even with the bearer token.
 */
import Database from 'better-sqlite3';
import { once } from 'node:events';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { CheckResult, Profile } from './profile';
import { loadSpec, Operation, operations } from './openapi';
import { fillPath, PATH_TRICKS, specRoutes, WS_ROUTES } from '../support/path-tricks';
import { api, httpRequest, log, RawAnswer, Scope, Server, sessionCookieOf, table } from './harness';

/** The README's list of routes that answer without credentials. */
const DOCUMENTED_OPEN = new Set(['GET /api/health', 'GET /api/auth/status', 'POST /api/auth/login']);
const CREDENTIALS = [
  'none',
  'bad bearer',
  'bearer',
  'cookie',
  'used URL token',
  'expired session',
  'cookie w/o Origin',
] as const;
type Credential = (typeof CREDENTIALS)[number];
type Expected = 'passes the gate' | '401' | '403 CSRF' | 'open';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Row {
  label: string;
  cells: Array<{ credential: Credential; expected: Expected; got: string; ok: boolean }>;
}

/** How a WebSocket upgrade ends: 'open', or the HTTP status it was refused with. */
async function wsOutcome(url: string, headers: Record<string, string>): Promise<string> {
  const ws = new WebSocket(url, { headers });
  try {
    return await Promise.race([
      once(ws, 'open').then(() => 'open'),
      once(ws, 'unexpected-response').then(([, res]) => String((res as { statusCode: number }).statusCode)),
      once(ws, 'error').then(([err]) => `error: ${String(err)}`),
      new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
    ]);
  } finally {
    ws.terminate();
  }
}

export async function authMatrixCheck(_profile: Profile, scope: Scope): Promise<CheckResult> {
  const failures: string[] = [];
  const spec = loadSpec();
  const ops = operations(spec);

  // The spec's open operations must be exactly the documented ones.
  const specOpen = ops.filter((o) => o.open).map((o) => `${o.method} ${o.path}`);
  const undocumented = specOpen.filter((k) => !DOCUMENTED_OPEN.has(k));
  const missingOpen = [...DOCUMENTED_OPEN].filter((k) => !specOpen.includes(k));
  if (undocumented.length) failures.push(`spec marks undocumented routes open: ${undocumented.join(', ')}`);
  if (missingOpen.length)
    failures.push(`documented open routes not open in the spec: ${missingOpen.join(', ')}`);

  // An expired session: log in on a --persist-sessions server, stop it, age the row, restart.
  const home = scope.newHome();
  const args = ['--persist-sessions', '--fake-gpus', '1'];
  const login = async (server: Server) =>
    sessionCookieOf(await api(server.baseUrl, null, 'POST', '/api/auth/login', { token: server.token }));
  let server = await scope.start(home, args);
  const expiredCookie = await login(server);
  await scope.stop(server);
  const db = new Database(join(home, 'trainyard.db'));
  const aged = db.prepare('UPDATE sessions SET expires_at = ?').run('2000-01-01T00:00:00.000Z').changes;
  db.close();
  if (aged < 1) failures.push('no persisted session row to expire');
  server = await scope.start(home, args);
  const base = server.baseUrl;
  let cookie = await login(server);

  const headersFor = async (
    credential: Credential,
  ): Promise<{ headers: Record<string, string>; query: string }> => {
    switch (credential) {
      case 'none':
        return { headers: {}, query: '' };
      case 'bad bearer':
        return { headers: { authorization: `Bearer ${'f'.repeat(64)}` }, query: '' };
      case 'bearer':
        return { headers: { authorization: `Bearer ${server.token}` }, query: '' };
      case 'cookie':
        return { headers: { cookie, origin: base }, query: '' };
      case 'cookie w/o Origin':
        return { headers: { cookie }, query: '' };
      case 'expired session':
        return { headers: { cookie: expiredCookie, origin: base }, query: '' };
      case 'used URL token': {
        const issued = await api(base, server.token, 'POST', '/api/auth/url-token');
        const token = issued.json?.token as string;
        const first = await httpRequest(base, {
          method: 'GET',
          path: `/api/server-config-path?token=${token}`,
        });
        if (first.status !== 200)
          failures.push(`a fresh URL token was refused on first use (${first.status})`);
        return { headers: {}, query: `token=${token}` };
      }
    }
  };

  const rows: Row[] = [];
  const extraRoutes: Operation[] = [
    {
      operationId: '(not in spec) openapi.json',
      method: 'GET',
      path: '/api/openapi.json',
      parameters: [],
      open: false,
    },
    {
      operationId: '(not in spec) Swagger UI',
      method: 'GET',
      path: '/api/docs',
      parameters: [],
      open: false,
    },
    {
      operationId: '(no such route)',
      method: 'GET',
      path: '/api/no-such-route',
      parameters: [],
      open: false,
    },
    {
      operationId: '(no such route)',
      method: 'POST',
      path: '/api/no-such-route',
      parameters: [],
      open: false,
    },
  ];
  for (const op of [...ops, ...extraRoutes]) {
    const key = `${op.method} ${op.path}`;
    const open = DOCUMENTED_OPEN.has(key);
    const mutation = MUTATIONS.has(op.method);
    // Bodies that pass the gate and then fail validation, so that no cell changes anything.
    // restartServer takes no body: a malformed one is refused by the parser, after the gate.
    const probe =
      op.operationId === 'restartServer'
        ? { body: '{', note: '*' }
        : op.body
          ? { body: JSON.stringify({ reliability_probe: true }), note: '' }
          : { body: undefined, note: '' };
    const row: Row = { label: `${op.method} ${op.path}${probe.note}`, cells: [] };
    for (const credential of CREDENTIALS) {
      const expected: Expected = open
        ? 'passes the gate'
        : credential === 'bearer' || credential === 'cookie'
          ? 'passes the gate'
          : credential === 'cookie w/o Origin'
            ? mutation
              ? '403 CSRF'
              : 'passes the gate'
            : '401';
      const { headers, query } = await headersFor(credential);
      const path = fillPath(op.path);
      let answer: RawAnswer;
      try {
        answer = await httpRequest(base, {
          method: op.method,
          path: query ? `${path}?${query}` : path,
          headers: {
            ...headers,
            ...(probe.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: probe.body,
        });
      } catch (err) {
        row.cells.push({ credential, expected, got: `error`, ok: false });
        failures.push(`${row.label} × ${credential}: ${String(err)}`);
        continue;
      }
      const code = answer.json?.code;
      // A HEAD answer has no body to carry the code: its status is all there is.
      const codeOk = (want: string) => op.method === 'HEAD' || code === want;
      const ok =
        expected === '401'
          ? answer.status === 401 && codeOk('UNAUTHENTICATED')
          : expected === '403 CSRF'
            ? answer.status === 403 && codeOk('CSRF_ORIGIN_MISMATCH')
            : answer.status !== 401 && answer.status !== 403 && answer.status < 500;
      row.cells.push({ credential, expected, got: String(answer.status), ok });
      if (!ok)
        failures.push(`${row.label} × ${credential}: ${answer.status} ${code ?? ''}, expected ${expected}`);
      // Logging out with the cookie, or everywhere with any credential, ends the session: take a new one.
      if (
        answer.status === 200 &&
        (op.operationId === 'logoutAll' || (op.operationId === 'logout' && credential === 'cookie'))
      )
        cookie = await login(server);
    }
    rows.push(row);
  }

  const wsBase = base.replace('http://', 'ws://');
  for (const route of WS_ROUTES) {
    const row: Row = { label: `WS ${route}`, cells: [] };
    for (const credential of CREDENTIALS) {
      const expected: Expected =
        credential === 'bearer' || credential === 'cookie'
          ? 'open'
          : credential === 'cookie w/o Origin'
            ? '403 CSRF'
            : '401';
      const { headers, query } = await headersFor(credential);
      const url = `${wsBase}${fillPath(route)}${query ? `?${query}` : ''}`;
      const got = await wsOutcome(url, headers);
      const ok = expected === 'open' ? got === 'open' : got === (expected === '401' ? '401' : '403');
      row.cells.push({ credential, expected, got, ok });
      if (!ok) failures.push(`${row.label} × ${credential}: ${got}, expected ${expected}`);
    }
    rows.push(row);
  }

  log(
    table(
      ['route', ...CREDENTIALS],
      rows.map((r) => [r.label, ...r.cells.map((c) => `${c.got}${c.ok ? '' : ' ✗'}`)]),
    ),
  );
  log(
    '  Expected: 401 for none / bad bearer / used URL token / expired session (except the documented open routes);',
  );
  log('  bearer and cookie (with Origin) pass the gate (any answer but 401/403); cookie w/o Origin: 403 on');
  log(
    '  POST/PUT/PATCH/DELETE (CSRF_ORIGIN_MISMATCH) and on WebSocket upgrades. Bodies are validation probes',
  );
  log(
    '  (an unknown field → 400) so no cell changes anything; * = sent a malformed JSON body (the gate runs',
  );
  log('  before body parsing), so passing the gate ends in 400 instead of a restart.');
  const cells = rows.reduce((n, r) => n + r.cells.length, 0);
  const bad = rows.reduce((n, r) => n + r.cells.filter((c) => !c.ok).length, 0);
  const encoded = await encodedPathMatrix(base, server.token, failures);
  return {
    ok: failures.length === 0,
    figures:
      `${rows.length - WS_ROUTES.length} routes + ${WS_ROUTES.length} WebSockets × ${CREDENTIALS.length} credentials = ${cells} cells, ${bad} unexpected; open: ${[...DOCUMENTED_OPEN].length} documented routes only; ` +
      encoded,
    failures,
  };
}

/**
 * Every gated route × every spelling in PATH_TRICKS, without credentials: 400, 401 or 404 only
 * (a body-less request, as a foreign page's no-cors POST would be). WebSocket routes spelled the
 * same ways never open. A foreign Host is 421 on every route; a foreign Origin on every change is
 * 403, bearer token or not. Appends to `failures`; returns the figures.
 */
async function encodedPathMatrix(base: string, token: string, failures: string[]): Promise<string> {
  const statuses = new Map<number, number>();
  let requests = 0;
  const routes = specRoutes();
  for (const route of routes.filter((r) => !r.open)) {
    for (const [trick, spell] of PATH_TRICKS) {
      const path = spell(fillPath(route.path), base);
      const answer = await httpRequest(base, { method: route.method, path });
      requests += 1;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (![400, 401, 404].includes(answer.status))
        failures.push(`${route.method} ${path} (${trick}) without credentials: ${answer.status}`);
    }
  }
  const wsBase = base.replace('http://', 'ws://');
  let upgrades = 0;
  for (const route of WS_ROUTES) {
    for (const [trick, spell] of PATH_TRICKS) {
      const path = spell(fillPath(route), base);
      if (/^http|[#\\]/.test(path)) continue; // not something a WebSocket client sends
      upgrades += 1;
      const got = await wsOutcome(`${wsBase}${path}`, {});
      if (got === 'open') failures.push(`WS ${path} (${trick}) opened without credentials`);
    }
  }
  let source = 0;
  for (const route of routes) {
    const path = fillPath(route.path);
    const host = await httpRequest(base, {
      method: route.method,
      path,
      headers: { host: 'rebound.evil.example', authorization: `Bearer ${token}` },
    });
    source += 1;
    if (host.status !== 421 || host.json?.code !== 'HOST_NOT_ALLOWED')
      failures.push(`${route.method} ${route.path} with a foreign Host: ${host.status}, expected 421`);
    if (MUTATIONS.has(route.method)) {
      const origin = await httpRequest(base, {
        method: route.method,
        path,
        headers: { origin: 'http://127.0.0.1:1', authorization: `Bearer ${token}` },
      });
      source += 1;
      if (origin.status !== 403 || origin.json?.code !== 'CSRF_ORIGIN_MISMATCH')
        failures.push(`${route.method} ${route.path} with a foreign Origin: ${origin.status}, expected 403`);
    }
  }
  const spread = [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
  log(
    `  Encoded paths: ${routes.filter((r) => !r.open).length} gated routes × ${PATH_TRICKS.length} spellings = ${requests} requests without credentials: ${spread}; ${upgrades} WebSocket spellings; ${source} foreign Host/Origin requests.`,
  );
  return `encoded paths: ${requests} requests (${spread}), ${upgrades} WebSocket spellings, ${source} foreign Host/Origin requests`;
}
