/**
 * Malformed input: for every operation in openapi/openapi.json, generated bad requests (wrong types,
 * missing and extra fields, 1 MB strings, NUL bytes, unicode, negative and huge numbers, `../` and
 * `%2e%2e%2f` in path parameters, oversized bodies, invalid JSON, wrong content types, deep nesting)
 * sent with a valid bearer token. A request the spec forbids must get a 4xx; nothing may get a 5xx;
 * every 4xx must be the JSON error body `{statusCode, code, message}`; and the server must stay up
 * (GET /api/health after each operation, same worker process at the end).
 *
 * Values the spec allows but that are odd (emoji in a name, a deeply nested job_params) are sent
 * too: they may be accepted or refused, but never with a 5xx.
 */
import { CheckResult, Profile } from './profile';
import { Operation, operations, loadSpec, Parameter, Schema, violates } from './openapi';
import { httpRequest, log, NO_SUCH_JOB, pauseScheduler, RawAnswer, Scope, Server, table } from './harness';
import { isAlive } from './proc';

/** `reject`: the spec (or a documented rule) forbids it → must be 4xx. `any`: must not be 5xx. */
type Expect = 'reject' | 'any';

interface Case {
  label: string;
  expect: Expect;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

interface Tally {
  op: Operation;
  sent: number;
  mustReject: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  other: number;
  problems: string[];
  healthy: boolean;
}

const MB = 1_000_000;
const HUGE = 'x'.repeat(MB);
const UNICODE = '🚀 ünïcødé 字 ✓ 🚀🚀';
const NUL = 'a\u0000b';

/** Skipped: its happy path restarts the server under the suite. */
const SKIPPED = new Set(['restartServer']);

/** A valid request body per operation (the generated cases each break one thing in it). */
const BASE_BODIES: Record<string, Record<string, unknown>> = {
  login: { token: 'not-the-token' },
  setPassword: { new_password: 'reliability-pass-1' },
  killGpuProcesses: { confirmed: false },
  setGpuPolicy: { disabled: false },
  submitJob: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
  setScheduler: { enabled: false },
};

/**
 * Path parameters: jobs that exist nowhere, so nothing real is touched. GPU policy bodies go to the
 * existing fake GPU 0 (so the handler runs, not just the 404); kill bodies go to a GPU that does
 * not exist (a `confirmed: true` is never generated either, but killing is not worth the risk).
 */
function plausible(param: Parameter, op: Operation): string {
  if (param.name === 'queue_id') return NO_SUCH_JOB;
  if (param.name === 'index') return op.operationId === 'setGpuPolicy' ? '0' : '9999';
  if (param.schema.enum?.includes('kill')) return 'kill';
  if (param.schema.enum?.length) return String(param.schema.enum[0]);
  return param.schema.type === 'integer' || param.schema.type === 'number'
    ? '9999'
    : 'reliability-nonexistent';
}

function synthesize(schema: Schema | undefined): unknown {
  switch (schema?.type) {
    case 'string':
      return schema.enum?.[0] ?? 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return Object.fromEntries(
        (schema?.required ?? []).map((k) => [k, synthesize(schema?.properties?.[k])]),
      );
  }
}

/**
 * Stands for a value nested 5000 levels deep (alternating objects and arrays, ~15 KB of JSON). It
 * is spliced into the serialised body as text: JSON.stringify itself cannot go that deep.
 */
const DEEP = { __deep__: 5000 };
const DEEP_JSON = JSON.stringify(DEEP);
function deepText(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"a":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

const WRONG_TYPES: Record<string, unknown[]> = {
  string: [12345, true, {}, ['a']],
  integer: ['7', true, 1.5, {}, []],
  number: ['7', true, {}, []],
  boolean: ['true', 1, 'yes', {}, []],
  object: ['x', 42, true, ['a']],
  array: ['x', 42, {}],
};

function edgeValues(schema: Schema): Array<[string, unknown]> {
  switch (schema.type) {
    case 'string':
      return [
        ['empty string', ''],
        ['1 MB string', HUGE],
        ['NUL byte', NUL],
        ['unicode/emoji', UNICODE],
        ['../ traversal', '../../../../etc/passwd'],
        ['SQL-ish', "'; DROP TABLE jobs; --"],
      ];
    case 'integer':
    case 'number':
      return [
        ['-1', -1],
        ['-2^31-1', -2147483649],
        ['2^53+2', 2 ** 53 + 2],
        ['1e308', 1e308],
        ['0.5', 0.5],
      ];
    case 'object':
      return [
        ['empty object', {}],
        ['NUL in a value', { A: NUL }],
        ['1 MB value', { A: HUGE }],
        ['number value', { A: 1 }],
        ['odd key', { 'BAD NAME=': 'x' }],
        ['nested 5000 deep', { a: DEEP }],
      ];
    default:
      return [];
  }
}

function json(value: unknown): string {
  return JSON.stringify(value).split(DEEP_JSON).join(deepText(DEEP.__deep__));
}

/** Paths with a PUT that creates the resource its path names (filled in before the cases are built). */
const UPSERTED_PATHS = new Set<string>();

function casesFor(op: Operation): Case[] {
  const out: Case[] = [];
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const headerParams = op.parameters.filter((p) => p.in === 'header');
  const fill = (overrides: Record<string, string> = {}) =>
    op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const param = pathParams.find((p) => p.name === name)!;
      return overrides[name] ?? encodeURIComponent(plausible(param, op));
    });
  const base =
    BASE_BODIES[op.operationId] ?? (op.body ? (synthesize(op.body) as Record<string, unknown>) : undefined);
  const jsonHeaders = { 'content-type': 'application/json' };
  const withBody = (label: string, expect: Expect, body: string | Buffer, headers = jsonHeaders): Case => ({
    label,
    expect,
    method: op.method,
    path: fill(),
    headers,
    body,
  });

  // Path parameters: traversal, encodings, NUL, unicode, numbers, length. None of these names an
  // existing resource, so every one must be refused (400 or 404).
  for (const param of pathParams) {
    const raw: Array<[string, string]> = [
      ['..%2F encoded traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
      ['%2e%2e%2f traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
      ['../ literal traversal', '../../../etc/passwd'],
      ['..', '..'],
      ['%00', '%00'],
      ['valid id + %00', `${encodeURIComponent(plausible(param, op))}%00`],
      ['emoji', encodeURIComponent('🚀')],
      ['malformed %', '%'],
      ['malformed %ZZ', '%ZZ'],
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['abc', 'abc'],
      ['20 digits', '99999999999999999999'],
      ['4 KB', 'a'.repeat(4096)],
      ['SQL-ish', encodeURIComponent("1' OR '1'='1")],
    ];
    // A PUT names what it creates (and a later DELETE of the same path finds it): a plain, valid
    // name there is accepted, not refused.
    const validName = /^[A-Za-z0-9_-]+$/;
    const createsByName = op.method === 'PUT' || (op.method === 'DELETE' && UPSERTED_PATHS.has(op.path));
    for (const [label, value] of raw) {
      out.push({
        label: `path ${param.name}: ${label}`,
        expect: createsByName && validName.test(value) ? 'any' : 'reject',
        method: op.method,
        path: fill({ [param.name]: value }),
        headers: op.body ? jsonHeaders : undefined,
        body: op.body ? json(base) : undefined,
      });
    }
  }

  // Query parameters: the expectation follows the spec's schema for each value.
  for (const param of queryParams) {
    const numeric = param.schema.type === 'integer' || param.schema.type === 'number';
    const values: Array<[string, string, unknown]> = numeric
      ? [
          ['abc', 'abc', NaN],
          ['-1', '-1', -1],
          ['0', '0', 0],
          ['1.5', '1.5', 1.5],
          ['1e309', '1e309', Infinity],
          ['20 digits', '99999999999999999999', 1e20],
          // An empty value reads as absent/0 in many servers: allowed either way, never a 5xx.
          ['empty', '', 0],
          ['%00', '%00', NaN],
        ]
      : [
          ['%00', '%00', '\u0000'],
          ['emoji', encodeURIComponent(UNICODE), UNICODE],
          ['4 KB', 'a'.repeat(4096), 'a'.repeat(4096)],
          ['../', encodeURIComponent('../../etc'), '../../etc'],
          ['-1', '-1', '-1'],
          ['10 digits', '9999999999', '9999999999'],
        ];
    for (const [label, encoded, decoded] of values) {
      out.push({
        label: `query ${param.name}: ${label}`,
        expect: violates(param.schema, decoded) ? 'reject' : 'any',
        method: op.method,
        path: `${fill()}?${param.name}=${encoded}`,
      });
    }
    out.push({
      label: `query ${param.name}: repeated`,
      expect: 'any',
      method: op.method,
      path: `${fill()}?${param.name}=1&${param.name}=2`,
    });
  }
  // Unknown query parameters on any operation: ignored or refused, never a 5xx.
  out.push({
    label: 'unknown query param with NUL',
    expect: 'any',
    method: op.method,
    path: `${fill()}?zz_unknown=%00`,
    headers: op.body ? jsonHeaders : undefined,
    body: op.body ? json(base) : undefined,
  });

  // Header parameters (Idempotency-Key): documented as 1..128 characters.
  for (const param of headerParams) {
    for (const [label, value, expect] of [
      ['empty', '', 'reject'],
      ['129 chars', 'k'.repeat(129), 'reject'],
      ['latin-1', 'clé-ünï', 'any'],
    ] as Array<[string, string, Expect]>) {
      out.push({
        label: `header ${param.name}: ${label}`,
        expect,
        method: op.method,
        path: fill(),
        headers: { ...jsonHeaders, [param.name]: value },
        body: op.body ? json(base) : undefined,
      });
    }
  }

  // Request bodies.
  if (op.body && base) {
    const props = Object.entries(op.body.properties ?? {});
    const required = new Set(op.body.required ?? []);
    for (const [name, schema] of props) {
      for (const wrong of WRONG_TYPES[schema.type ?? ''] ?? []) {
        out.push(
          withBody(
            `${name}: ${JSON.stringify(wrong)} (wrong type)`,
            'reject',
            json({ ...base, [name]: wrong }),
          ),
        );
      }
      out.push(
        withBody(`${name}: null`, required.has(name) ? 'reject' : 'any', json({ ...base, [name]: null })),
      );
      for (const [label, value] of edgeValues(schema)) {
        const body = { ...base, [name]: value };
        out.push(withBody(`${name}: ${label}`, violates(op.body, body) ? 'reject' : 'any', json(body)));
      }
    }
    for (const name of required) {
      const { [name]: _dropped, ...rest } = base;
      out.push(withBody(`missing ${name}`, 'reject', json(rest)));
    }
    out.push(withBody('empty object', required.size ? 'reject' : 'any', '{}'));
    // A free-form object (e.g. generation parameters) takes any field.
    const freeForm = (op.body as { additionalProperties?: unknown }).additionalProperties === true;
    out.push(withBody('extra field', freeForm ? 'any' : 'reject', json({ ...base, unexpected_field: 'x' })));
    out.push(withBody('extra field nested 5000 deep', 'reject', json({ ...base, unexpected_field: DEEP })));
    out.push(withBody('__proto__ key', 'reject', `{"__proto__":{"polluted":true},${json(base).slice(1)}`));
    out.push(withBody('JSON null', 'reject', 'null'));
    out.push(withBody('JSON array', 'reject', '[]'));
    out.push(withBody('JSON string', 'reject', '"text"'));
    out.push(withBody('JSON number', 'reject', '123'));
    out.push(withBody('text/plain content type', 'reject', json(base), { 'content-type': 'text/plain' }));
  }
  if (op.method !== 'GET' && op.method !== 'HEAD') {
    // Bodies on any state-changing operation, whether or not it takes one.
    out.push(withBody('invalid JSON', 'reject', '{"a": '));
    out.push(withBody('trailing garbage', 'reject', `${json(base ?? {})} trailing`));
    // An empty body is no body: refused only where the body has required fields.
    const needsFields = !!op.body && ((op.body as { required?: string[] }).required?.length ?? 0) > 0;
    out.push(withBody('empty body, JSON content type', needsFields ? 'reject' : 'any', ''));
    out.push(
      withBody('oversized body (1.2 MiB)', 'reject', json({ ...(base ?? {}), pad: 'x'.repeat(1_250_000) })),
    );
    out.push(
      withBody('form content type', 'reject', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
    );
    out.push(withBody('XML content type', 'reject', '<a/>', { 'content-type': 'application/xml' }));
    out.push(
      withBody(
        'invalid UTF-8 in JSON',
        op.body ? 'reject' : 'any',
        Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]),
      ),
    );
  }
  // The same path with a method it does not have.
  out.push({ label: 'unsupported method PATCH', expect: 'reject', method: 'PATCH', path: fill() });
  return out;
}

function errorShapeProblem(answer: RawAnswer): string | null {
  const body = answer.json;
  if (!body || typeof body !== 'object') return `not a JSON error body: ${answer.text.slice(0, 120)}`;
  const missing = ['statusCode', 'code', 'message'].filter((k) => !(k in body));
  if (missing.length) return `error body without ${missing.join(', ')}: ${answer.text.slice(0, 160)}`;
  if (body.statusCode !== answer.status) return `statusCode ${body.statusCode} ≠ HTTP ${answer.status}`;
  if (typeof body.message !== 'string' || body.message.length === 0) return 'empty message';
  return null;
}

export async function malformedInputCheck(_profile: Profile, scope: Scope): Promise<CheckResult> {
  const spec = loadSpec();
  const ops = operations(spec).filter((op) => !SKIPPED.has(op.operationId));
  for (const op of ops) if (op.method === 'PUT') UPSERTED_PATHS.add(op.path);
  const home = scope.newHome();
  const server: Server = await scope.start(home, ['--fake-gpus', '2']);
  await pauseScheduler(server);
  const auth = { authorization: `Bearer ${server.token}` };
  const tallies: Tally[] = [];
  const failures: string[] = [];

  // Before the routes: the HTTP layer itself (limits Node and Fastify enforce before any route).
  const transport: Operation = {
    operationId: '(HTTP layer)',
    method: 'GET',
    path: '/api/jobs',
    parameters: [],
    open: false,
  };
  const transportCases: Case[] = [
    {
      label: 'URL of 64 KB',
      expect: 'reject',
      method: 'GET',
      path: `/api/jobs?job_type=${'a'.repeat(64 * 1024)}`,
    },
    {
      label: 'header of 20 KB',
      expect: 'reject',
      method: 'GET',
      path: '/api/jobs',
      headers: { 'x-padding': 'p'.repeat(20 * 1024) },
    },
  ];

  for (const op of [transport, ...ops]) {
    const tally: Tally = {
      op,
      sent: 0,
      mustReject: 0,
      s2xx: 0,
      s4xx: 0,
      s5xx: 0,
      other: 0,
      problems: [],
      healthy: true,
    };
    tallies.push(tally);
    for (const c of op === transport ? transportCases : casesFor(op)) {
      tally.sent += 1;
      if (c.expect === 'reject') tally.mustReject += 1;
      let answer: RawAnswer;
      try {
        answer = await httpRequest(server.baseUrl, {
          method: c.method,
          path: c.path,
          headers: { ...auth, ...c.headers },
          body: c.body,
          timeoutMs: 30_000,
        });
      } catch (err) {
        // A body over the limit may be refused (413, connection closed) before it is all written: the
        // client then sees EPIPE/ECONNRESET instead of the answer. That is a refusal, not a failure.
        const code = (err as NodeJS.ErrnoException).code;
        if (
          c.expect === 'reject' &&
          c.label.startsWith('oversized') &&
          (code === 'EPIPE' || code === 'ECONNRESET')
        ) {
          tally.s4xx += 1;
          continue;
        }
        tally.other += 1;
        tally.problems.push(`${c.label}: no answer (${String(err)})`);
        continue;
      }
      const s = answer.status;
      if (s >= 500) {
        tally.s5xx += 1;
        tally.problems.push(`${c.label}: ${s} ${answer.text.slice(0, 160)}`);
      } else if (s >= 400) {
        tally.s4xx += 1;
        // A HEAD answer carries no body, so there is no error shape to check.
        const shape = c.method === 'HEAD' ? null : errorShapeProblem(answer);
        if (shape) tally.problems.push(`${c.label}: ${s} ${shape}`);
      } else if (s >= 200 && s < 300) {
        tally.s2xx += 1;
        if (c.expect === 'reject')
          tally.problems.push(`${c.label}: accepted (${s}) although the spec forbids it`);
      } else {
        tally.other += 1;
        tally.problems.push(`${c.label}: unexpected status ${s}`);
      }
    }
    try {
      const health = await httpRequest(server.baseUrl, {
        method: 'GET',
        path: '/api/health',
        timeoutMs: 10_000,
      });
      tally.healthy = health.status === 200 && health.json?.status === 'ok';
    } catch {
      tally.healthy = false;
    }
    if (!tally.healthy) tally.problems.push('GET /api/health failed afterwards');
    for (const p of tally.problems) failures.push(`${op.operationId} (${op.method} ${op.path}) ${p}`);
    if (!tally.healthy) break;
  }
  if (!isAlive(server.workerPid)) failures.push(`the worker process ${server.workerPid} is gone`);

  log(
    table(
      ['operation', 'method', 'path', 'sent', 'must be 4xx', '2xx', '4xx', '5xx', 'other', 'bad', 'health'],
      tallies.map((t) => [
        t.op.operationId,
        t.op.method,
        t.op.path,
        t.sent,
        t.mustReject,
        t.s2xx,
        t.s4xx,
        t.s5xx,
        t.other,
        t.problems.length,
        t.healthy ? 'ok' : 'DOWN',
      ]),
    ),
  );
  const sum = (f: (t: Tally) => number) => tallies.reduce((a, t) => a + f(t), 0);
  log(`  skipped: ${[...SKIPPED].join(', ')} (restarts the server)`);
  return {
    ok: failures.length === 0,
    figures: `${tallies.length} operations, ${sum((t) => t.sent)} requests: ${sum((t) => t.s4xx)} 4xx, ${sum((t) => t.s2xx)} 2xx (allowed edge values), ${sum((t) => t.s5xx)} 5xx; ${sum((t) => t.problems.length)} problems; health ${tallies.every((t) => t.healthy) ? 'ok' : 'LOST'} after each`,
    failures,
  };
}
