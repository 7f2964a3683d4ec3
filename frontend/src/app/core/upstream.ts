/**
 * Calls through the server's same-origin proxies (/api/inference, /api/dataset-server/proxy). Plain
 * fetch, not the SDK client: answers may stream, and an upstream's 502/504 says nothing about
 * whether Trainyard itself is reachable (the SDK's fetch would report it so).
 */
export async function proxyFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', ...init });
  if (!res.ok) throw new Error(await upstreamFailure(res));
  return res;
}

/** A failed answer in words: the proxy's or upstream's `message` / `error.message`, else its text. */
export async function upstreamFailure(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  let message = text.trim().slice(0, 300);
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | string };
    const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof m === 'string' && m) message = m;
  } catch {
    // not JSON: the text itself
  }
  const auth = res.headers.get('x-upstream-auth-failed') === '1' ? ' (the server refused the token)' : '';
  return `HTTP ${res.status}${message ? `: ${message}` : ''}${auth}`;
}
