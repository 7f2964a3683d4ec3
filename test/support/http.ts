import { IncomingHttpHeaders, request as httpRequest } from 'node:http';

/** Small fetch helpers so tests read as requests and answers. */
export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: string;
    cookie?: string;
    origin?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

/** The `name=value` part of the session Set-Cookie, ready for a Cookie header. */
export function sessionCookie(answer: Answer): string {
  const raw = answer.headers.getSetCookie().find((c) => c.startsWith('trainyard_session_'));
  if (!raw) throw new Error(`no session cookie in ${JSON.stringify(answer.headers.getSetCookie())}`);
  return raw.split(';')[0];
}

/** One request with node:http: the path goes out byte for byte (fetch would normalise `..`, `%2e`, `\`). */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: Number(url.port),
        method,
        path,
        agent: false,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * How many `method route` requests (`route` as the router has it: `/api/jobs/:queue_id`) the server
 * has answered with a 200, from its Prometheus histogram: for a test to act once a client it started
 * has reached the server, not a fixed time later.
 */
export async function answered(
  server: { baseUrl: string; token: string | null },
  method: string,
  route: string,
): Promise<number> {
  const res = await fetch(`${server.baseUrl}/metrics`, {
    headers: server.token ? { authorization: `Bearer ${server.token}` } : {},
  });
  const line = (await res.text())
    .split('\n')
    .find(
      (l) =>
        l.startsWith('trainyard_http_request_duration_seconds_count{') &&
        l.includes(`method="${method}"`) &&
        l.includes(`route="${route}"`) &&
        l.includes('status="200"'),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
