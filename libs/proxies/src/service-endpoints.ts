import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { Job, JobRepository, readRegularFile } from '@trainyard/jobs';
import { JobEndpoint, JobTypeRegistry } from '@trainyard/queue';

export interface RunningService {
  job: Job;
  endpoint: JobEndpoint;
}

/** Running service jobs and where they listen — asked of each job's type, never parsed here. */
@Injectable()
export class ServiceEndpoints {
  constructor(
    private readonly jobs: JobRepository,
    private readonly types: JobTypeRegistry,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** The job's endpoint while it runs; null for an unknown, unfinished-starting or ended job. */
  async running(queueId: string, jobType: string): Promise<RunningService | null> {
    const job = await this.jobs.get(queueId);
    if (!job || job.job_type !== jobType || job.status !== 'running') return null;
    return this.withEndpoint(job);
  }

  /** Every running job of `jobType` that has an endpoint. */
  async list(jobType: string): Promise<RunningService[]> {
    const jobs = await this.jobs.withStatus(['running']);
    return jobs
      .filter((j) => j.job_type === jobType)
      .map((j) => this.withEndpoint(j))
      .filter((s): s is RunningService => s !== null);
  }

  /**
   * The running `jobType` job whose socket a connection to host:port (`host` without brackets)
   * reaches, or null: its token goes only there. Each loopback address is a socket of its own
   * (`127.0.0.1:P`, `[::1]:P` and `127.0.0.2:P` may be three programs, another user's among them), and
   * `localhost` may resolve to either family; so the host must be the job's bind or connect address,
   * or a loopback address its wildcard bind covers — 127.0.0.0/8 for `0.0.0.0`, that or `::1` for `::`.
   * Nobody else can bind those while the job's server listens; before it does (a server may take
   * minutes to bind), anyone may: the proxies check who holds the port first (JobListeners).
   */
  async at(jobType: string, host: string, port: number): Promise<RunningService | null> {
    const wanted = host.toLowerCase();
    for (const service of await this.list(jobType)) {
      const { bindHost, host: connect } = service.endpoint;
      if (service.endpoint.port === port && reaches(wanted, bindHost.toLowerCase(), connect.toLowerCase()))
        return service;
    }
    return null;
  }

  /**
   * The running `jobType` job whose port is `port`, on whichever loopback address it binds: a base
   * on another loopback address (`localhost`, `[::1]`, `127.0.0.2`) of a job's port reaches no socket
   * {@link at} can vouch for, so the proxies still check who holds it before sending anything there.
   */
  async onPort(jobType: string, port: number): Promise<RunningService | null> {
    return (await this.list(jobType)).find((s) => s.endpoint.port === port) ?? null;
  }

  /** The bearer token a service job was launched with (null when it has none or the file is gone). */
  async token(service: RunningService): Promise<string | null> {
    if (!service.endpoint.tokenFile) return null;
    try {
      return (await readRegularFile(service.endpoint.tokenFile)).trim() || null;
    } catch {
      return null;
    }
  }

  private withEndpoint(job: Job): RunningService | null {
    const def = this.types.get(job.job_type);
    if (!def?.endpoint) return null;
    try {
      const endpoint = def.endpoint({
        queueId: job.id,
        params: job.job_params,
        secretsDir: this.config.paths.secretsDir,
      });
      return { job, endpoint };
    } catch {
      return null; // params from an older schema: not a service we can reach
    }
  }
}

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Whether a connection to `wanted` lands on the socket bound to `bindHost` (see ServiceEndpoints.at). */
function reaches(wanted: string, bindHost: string, connect: string): boolean {
  if (wanted === bindHost || wanted === connect) return true;
  if (bindHost === '0.0.0.0' || bindHost === '') return IPV4_LOOPBACK.test(wanted);
  if (bindHost === '::') return IPV4_LOOPBACK.test(wanted) || wanted === '::1';
  return false;
}
