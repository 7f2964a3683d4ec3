import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Clock, DomainError, findSocketHolder, holderAmong, listenersReachedBy } from '@trainyard/core';
import { JobProcessIdsQuery } from '@trainyard/jobs';
import { hostForUrl } from './upstream';

/** How many (job, host, port) answers are remembered; the oldest goes first. */
const CACHE_LIMIT = 1000;

/**
 * How long a positive answer stands without reading the socket tables again, ms. Reading
 * /proc/net/tcp and tcp6 costs about 1.8 ms a request with a few sockets and 16 ms with 5,000 (a
 * host full of NCCL connections), and a TensorBoard page asks for dozens of files at once. While the
 * job's server holds its socket nobody else can bind that address and port, so a cached answer can
 * only be wrong after that socket closes (the job's server restarting): a failed connection forgets
 * it at once ({@link JobListeners.forget}); this bounds the rest.
 */
export const VERIFIED_TTL_MS = 1000;

/**
 * Whether what listens on a job's loopback port is the job: a job's port is in its command line
 * (`ps` shows it to every local user), and its server may take minutes to bind it, so another user
 * can bind it first and be sent the job's token, the user's prompts, or a page that runs as the
 * console. Before forwarding anything to a job's port, each listening socket a connection there may
 * land on must be held open by one of the job's own processes. A positive answer is kept per
 * (job, host, port) and socket inode, so the hot path reads the socket tables only; a new socket
 * there (another inode) or a failed connection ({@link forget}) asks again.
 */
@Injectable()
export class JobListeners {
  /** Per (job, host, port): the socket inodes found to be the job's, and when (monotonic ms). */
  private readonly verified = new Map<string, { inodes: Set<string>; at: number }>();

  constructor(
    private readonly queries: QueryBus,
    private readonly clock: Clock,
  ) {}

  /**
   * Throws 502 naming the holder when a socket a connection to `targets` (the addresses of this
   * machine the request goes to, see localTargets) on `port` may land on is not job `jobId`'s;
   * returns when every one is the job's, or nothing listens yet (the connection is then refused).
   */
  async assertOwnedBy(jobId: string, targets: readonly string[], port: number): Promise<void> {
    const key = `${jobId} ${targets.join(',')} ${port}`;
    const now = this.clock.monotonic();
    const recent = this.verified.get(key);
    if (recent && now - recent.at < VERIFIED_TTL_MS) return;
    const listeners = listenersReachedBy(targets, port);
    if (listeners.length === 0) return;
    const known = recent?.inodes;
    if (known && listeners.every((l) => known.has(l.inode))) {
      recent.at = now;
      return;
    }
    const pids = await this.queries.execute(new JobProcessIdsQuery(jobId));
    for (const listener of listeners) {
      if (known?.has(listener.inode) || holderAmong(pids, listener.inode) !== null) continue;
      this.verified.delete(key);
      const holder = findSocketHolder(listener.inode);
      const who = holder !== null ? `pid ${holder}, uid ${listener.uid}` : `uid ${listener.uid}`;
      throw new DomainError(
        'UPSTREAM_UNREACHABLE',
        `Port ${hostForUrl(listener.address)}:${port} of job ${jobId} is held by a process that is not the job's (${who}); nothing was sent to it`,
      );
    }
    this.verified.delete(key);
    if (this.verified.size >= CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, { inodes: new Set(listeners.map((l) => l.inode)), at: now });
  }

  /** Awaits a request to job `jobId`'s `port`; when it fails, forgets what was verified there. */
  async forwardTo<T>(jobId: string, port: number, sent: Promise<T>): Promise<T> {
    try {
      return await sent;
    } catch (err) {
      this.forget(jobId, port);
      throw err;
    }
  }

  /** Forgets what was verified for job `jobId`'s `port` (a connection there failed): the next request asks again. */
  forget(jobId: string, port: number): void {
    for (const key of this.verified.keys())
      if (key.startsWith(`${jobId} `) && key.endsWith(` ${port}`)) this.verified.delete(key);
  }
}
