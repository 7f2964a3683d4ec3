/**
 * Ways to spell a route's path that a gate reading the raw URL might not recognise while a router
 * (which percent-decodes, and may be lenient about slashes and case) could still match it. Used by
 * the e2e gate test and the reliability suite's encoded-path auth matrix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const encodeAll = (segment: string) => [...segment].map(hex).join('');

/** [name, spell(path, origin)] where path is e.g. `/api/jobs/q_1` and origin `http://127.0.0.1:8765`. */
export const PATH_TRICKS: ReadonlyArray<readonly [string, (path: string, origin: string) => string]> = [
  ['as is', (p) => p],
  ['%61 for the first letter', (p) => p.replace(/^\/(.)/, (_, c: string) => `/${hex(c)}`)],
  ['first segment fully encoded', (p) => p.replace(/^\/([^/]+)/, (_, s: string) => `/${encodeAll(s)}`)],
  ['upper-case %XX escapes', (p) => p.replace(/^\/(.)/, (_, c: string) => `/${hex(c).toUpperCase()}`)],
  ['every character encoded', (p) => p.split('/').map(encodeAll).join('/')],
  ['double-encoded %2561', (p) => p.replace(/^\/(.)/, (_, c: string) => `/%25${hex(c).slice(1)}`)],
  ['%2F for inner slashes', (p) => `/${p.slice(1).replace(/\//g, '%2F')}`],
  ['%2f lower-case', (p) => `/${p.slice(1).replace(/\//g, '%2f')}`],
  ['double leading slash', (p) => `/${p}`],
  ['every slash doubled', (p) => p.replace(/\//g, '//')],
  ['upper case', (p) => p.toUpperCase()],
  ['capitalised segments', (p) => p.replace(/\/([a-z])/g, (_, c: string) => `/${c.toUpperCase()}`)],
  ['trailing slash', (p) => `${p}/`],
  ['trailing /.', (p) => `${p}/.`],
  ['leading /.', (p) => `/.${p}`],
  ['/./ inside', (p) => p.replace(/^\/([^/]+)\//, '/$1/./')],
  ['/api/.. prefix', (p) => `/api/..${p}`],
  ['/x/.. prefix', (p) => `/x/..${p}`],
  ['%2e segment', (p) => `/%2e${p}`],
  ['%2e%2e segment', (p) => `/x/%2e%2e${p}`],
  ['..;/ suffix', (p) => `${p}/..;/`],
  [';param on first segment', (p) => p.replace(/^\/([^/]+)/, '/$1;x=1')],
  [';param at the end', (p) => `${p};x=1`],
  ['backslashes', (p) => p.replace(/\//g, '\\')],
  ['backslash inside', (p) => `/${p.slice(1).replace(/\//g, '\\')}`],
  ['%5c for inner slashes', (p) => `/${p.slice(1).replace(/\//g, '%5c')}`],
  ['overlong UTF-8 slash', (p) => `/${p.slice(1).replace(/\//g, '%c0%af')}`],
  ['%00 suffix', (p) => `${p}%00`],
  ['%20 suffix', (p) => `${p}%20`],
  ['%09 suffix', (p) => `${p}%09`],
  ['empty query', (p) => `${p}?`],
  ['fragment', (p) => `${p}#x`],
  ['%3F inside', (p) => `${p}%3Fx=1`],
  ['absolute-form request target', (p, origin) => `${origin}${p}`],
  ['absolute-form, encoded', (p, origin) => `${origin}/${hex(p[1])}${p.slice(2)}`],
];

export interface SpecRoute {
  method: string;
  /** As in the spec: `/api/jobs/{queue_id}`. */
  path: string;
  open: boolean;
}

/** Every operation in openapi/openapi.json, plus the gated routes the spec leaves out. */
export function specRoutes(): SpecRoute[] {
  const spec = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8'));
  const routes: SpecRoute[] = [];
  for (const [path, item] of Object.entries<Record<string, { security?: unknown[] }>>(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      routes.push({
        method: method.toUpperCase(),
        path,
        open: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  for (const path of [
    '/metrics',
    '/api/openapi.json',
    '/api/openapi.yaml',
    '/api/docs',
    '/api/docs/swagger-ui-init.js',
  ])
    if (!routes.some((r) => r.path === path)) routes.push({ method: 'GET', path, open: false });
  return routes;
}

/** A concrete path for a spec path: a well-formed id that names nothing, GPU 0, action `stop`. */
export function fillPath(path: string, queueId = 'q_1234567890123_deadbeef'): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    name === 'queue_id' ? queueId : name === 'index' ? '0' : name === 'action' ? 'stop' : 'x',
  );
}

/** The WebSocket routes (not in the spec). */
export const WS_ROUTES = [
  '/api/gpus/stream',
  '/api/jobs/stream',
  '/api/jobs/{queue_id}/tty',
  '/api/cluster/nodes/{node_id}/jobs/{queue_id}/tty',
  '/api/tb/{queue_id}/x',
];
