import type { JobDto, JobTypeDto } from '@trainyard/sdk';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const ANY = new Set(['0.0.0.0', '::', '']);

/**
 * Where a running service job (TensorBoard, mkdocs, an inference server) serves, or null for jobs
 * that serve nothing. TensorBoard is reached through the console's authenticated /api/tb proxy;
 * others at their bind address, or at the console's host when they listen on every interface.
 * `local` is false when the address is loopback on another machine (the link only works there).
 */
export function serviceUrl(
  job: JobDto,
  type: JobTypeDto | undefined,
  consoleHost: string,
): { url: string; local: boolean } | null {
  if (job.status !== 'running' || !type?.service_port_param) return null;
  if (job.job_type === 'tensorboard') return { url: `/api/tb/${job.queue_id}/`, local: true };
  const port = Number(job.job_params[type.service_port_param]);
  if (!Number.isInteger(port) || port <= 0) return null;
  const bind = typeof job.job_params['host'] === 'string' ? job.job_params['host'] : '127.0.0.1';
  const host = ANY.has(bind) ? consoleHost : bind;
  const local = !LOOPBACK.has(host) || LOOPBACK.has(consoleHost);
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, local };
}

/** The tooltip of a link to what {@link serviceUrl} gives: a loopback address of another machine opens only there. */
export function serviceLinkTitle(svc: { url: string; local: boolean }): string {
  return svc.local
    ? `Open ${svc.url}`
    : `${svc.url} listens on loopback: it opens only on the server machine`;
}
