import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  Clock,
  DomainError,
  fetchErrorCode,
  validationFailed,
  SERVER_CONFIG,
  ServerConfig,
} from '@trainyard/core';
import {
  isActive,
  isTerminationRequest,
  Job,
  JobRepository,
  TERMINAL_STATUSES,
  UNFINISHED_STATUSES,
} from '@trainyard/jobs';
import { CancelQueueItemCommand, JobTypeRegistry, SubmitJobCommand } from '@trainyard/queue';
import { BeforeFirstDispatch } from '@trainyard/scheduler';
import {
  configFields,
  entryToInput,
  isPlainObject,
  jobSignature,
  ServiceInput,
  ServiceSpec,
  validateService,
} from './service-spec';
import {
  deleteServiceEntry,
  servicesBlock,
  ServicesConfigFile,
  upsertServiceEntry,
} from './services-config-file';

/** Restart backoff: 1 s, doubling, capped at 5 min; forgotten once an instance stayed up 10 min. */
export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_MAX_MS = 5 * 60_000;
export const BACKOFF_RESET_AFTER_MS = 10 * 60_000;
/** Waiting to restart after this many crashes in a row is reported as `crash_loop`. */
export const CRASH_LOOP_AFTER = 3;

export const SERVICE_STATES = [
  'invalid',
  'disabled',
  'stopped',
  'queued',
  'starting',
  'running',
  'stopping',
  'backoff',
  'crash_loop',
  'refused',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];
export type HealthState = 'starting' | 'healthy' | 'unhealthy';

/** One configured service as GET /api/services shows it. */
export interface ServiceStatus {
  type: string;
  name: string;
  spec: ServiceSpec | null;
  /** Config problems (state `invalid`) or why the last start failed. */
  error: string | null;
  state: ServiceState;
  job: Job | null;
  health: HealthState | null;
  /** The live instance's last health probe: what it asked and what came back. */
  last_probe: LastProbe | null;
  restarts: number;
  consecutive_failures: number;
  next_attempt_at: string | null;
  last_exit: Pick<Job, 'id' | 'status' | 'termination_reason' | 'exit_code' | 'error' | 'ended_at'> | null;
}

/** One health probe's outcome: `GET /health → HTTP 200`, `… → HTTP 404`, `… → no answer within 5 s`. */
export interface LastProbe {
  /** ISO 8601. */
  at: string;
  ok: boolean;
  /** `GET <path> → <what came back>`. */
  result: string;
}

interface Runtime {
  restarts: number;
  failures: number;
  nextAttemptAt: number | null;
  timer: NodeJS.Timeout | null;
  /** When the current instance was first seen up (running; healthy when probed). */
  upSince: number | null;
  health: HealthState | null;
  lastProbe: LastProbe | null;
  probe: NodeJS.Timeout | null;
  probedJobId: string | null;
  /** The `health` settings the probe of `probedJobId` runs with (JSON): a change restarts it. */
  probedHealth: string | null;
  lastExit: ServiceStatus['last_exit'];
  /**
   * The last start was refused because another job holds the service's port (PORT_IN_USE): it is
   * tried again when a job ends, as the port may be free then.
   */
  blockedByPort: boolean;
  error: string | null;
}

type Entry = { type: string; name: string; spec: ServiceSpec | null; error: string | null };

/**
 * Keeps every enabled service running exactly once. Instances are found by signature among live
 * jobs (so a restarted server, or a job submitted by hand with the same args, counts); a job named
 * for the service (`<type>/<name>`, as its instances are) with other args is a stale instance: of
 * args since changed, through the API or in the file while the server was down. It is aborted, and
 * the new instance starts once it has ended (its port is free then). Every action runs one at a
 * time, so two triggers (the boot pass and a job's end) never both submit.
 */
@Injectable()
export class ServiceSupervisor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Services');
  private readonly file: ServicesConfigFile;
  private entries: Entry[] = [];
  private readonly runtime = new Map<string, Runtime>();
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly registry: JobTypeRegistry,
    private readonly jobs: JobRepository,
    private readonly commandBus: CommandBus,
    private readonly clock: Clock,
    private readonly beforeFirstDispatch: BeforeFirstDispatch,
  ) {
    this.file = new ServicesConfigFile(config.config_file);
    this.load(config.services);
  }

  onModuleInit(): void {
    this.beforeFirstDispatch.add('services autostart', () => this.serial(() => this.autostart('boot')));
  }

  onModuleDestroy(): void {
    this.stopped = true;
    for (const rt of this.runtime.values()) {
      if (rt.timer) clearTimeout(rt.timer);
      if (rt.probe) clearInterval(rt.probe);
    }
  }

  /** Every configured service, in file order, with its live instance and restart state. */
  async list(): Promise<ServiceStatus[]> {
    const unfinished = await this.jobs.withStatus(UNFINISHED_STATUSES);
    const live = this.bySignature(unfinished);
    return this.entries.map((e) => {
      if (!e.spec) return this.status(e, null);
      // Its live instance, else a stale one still shutting down (shown `stopping`).
      const spec = e.spec;
      return this.status(e, live.get(spec.signature) ?? this.stale(spec, unfinished)[0] ?? null);
    });
  }

  async get(type: string, name: string): Promise<ServiceStatus> {
    const found = (await this.list()).find((s) => s.type === type && s.name === name);
    if (!found) throw new DomainError('NOT_FOUND', `no service ${type}/${name}`);
    return found;
  }

  /**
   * Validates, writes the entry (nothing is written on a 400) and brings the running state in line:
   * an instance of the old args is aborted; an enabled service is started now.
   */
  upsert(input: ServiceInput): Promise<ServiceStatus> {
    return this.serial(async () => {
      const { spec, errors } = validateService(this.registry, input);
      if (!spec) throw validationFailed(errors, 'service');
      const before = this.find(spec.type, spec.name)?.spec;
      const entry: Record<string, unknown> = { enabled: spec.enabled };
      for (const key of ['priority', 'requested_gpus', 'restart', 'health'] as const) {
        if (input[key] !== undefined && input[key] !== null) entry[key] = input[key];
      }
      Object.assign(entry, spec.args);
      this.write((text) => upsertServiceEntry(text, spec.type, spec.name, entry));
      const stopped =
        before && (before.signature !== spec.signature || !spec.enabled)
          ? await this.abortInstances(before)
          : [];
      await this.settle(spec);
      return this.answer(spec, stopped);
    });
  }

  /** Aborts the running instance first, then removes the entry. */
  remove(type: string, name: string): Promise<void> {
    return this.serial(async () => {
      const entry = this.find(type, name);
      if (!entry) throw new DomainError('NOT_FOUND', `no service ${type}/${name}`);
      if (entry.spec) await this.abortInstances(entry.spec);
      this.write((text) => deleteServiceEntry(text, type, name));
      this.forget(`${type}/${name}`);
    });
  }

  /** enabled: start now if not running; disabled: abort the running instance. */
  setEnabled(type: string, name: string, enabled: boolean): Promise<ServiceStatus> {
    return this.serial(async () => {
      const entry = this.find(type, name);
      if (!entry) throw new DomainError('NOT_FOUND', `no service ${type}/${name}`);
      if (!entry.spec)
        throw new DomainError('CONFLICT', `service ${type}/${name} is invalid: ${entry.error}`);
      this.write((text) =>
        upsertServiceEntry(text, type, name, { ...this.rawEntry(text, type, name), enabled }),
      );
      const spec = this.find(type, name)?.spec;
      if (!spec)
        throw new DomainError('CONFLICT', `service ${type}/${name} changed on disk and is no longer valid`);
      const stopped = enabled ? [] : await this.abortInstances(spec);
      await this.settle(spec);
      return this.answer(spec, stopped);
    });
  }

  /**
   * A job ended: it is its service's last exit (also when the service was just disabled, which is
   * what stopped it), and the service is restarted if it is enabled and the policy says so (the
   * reason is read from the job's row).
   */
  onJobFinished(queueId: string): Promise<void> {
    if (!this.anyService()) return Promise.resolve();
    return this.serial(async () => {
      const job = await this.jobs.get(queueId);
      if (!job || !TERMINAL_STATUSES.includes(job.status)) return;
      await this.retryBlockedByPort();
      const signature = jobSignature(this.registry, job);
      const spec =
        this.entries.find((e) => e.spec?.signature === signature)?.spec ??
        this.entries.find((e) => e.spec && isNamedFor(e.spec, job))?.spec;
      if (!spec) return;
      const rt = this.rt(spec);
      rt.lastExit = pickExit(job);
      if (signature !== spec.signature) {
        // A stale instance (older args) ended: the current args start now, if nothing stale is left.
        if (spec.enabled) await this.ensureRunning(spec);
        return;
      }
      this.stopProbe(rt);
      const upFor = rt.upSince === null ? 0 : Date.parse(job.ended_at ?? '') - rt.upSince;
      rt.upSince = null;
      if (!spec.enabled || (await this.liveBySignature()).has(spec.signature)) return;
      // A stop someone asked for is not a crash: the service stays down until enabled again.
      if (isTerminationRequest(job.termination_reason)) return;
      const crashed = job.termination_reason !== 'completed';
      if (spec.restart === 'never' || (spec.restart === 'on-failure' && !crashed)) return;
      if (upFor >= BACKOFF_RESET_AFTER_MS) rt.failures = 0;
      const delay = Math.min(BACKOFF_FIRST_MS * 2 ** rt.failures, BACKOFF_MAX_MS);
      rt.failures += 1;
      rt.nextAttemptAt = this.clock.now() + delay;
      rt.timer = setTimeout(() => {
        rt.timer = null;
        rt.nextAttemptAt = null;
        void this.serial(async () => {
          const current = this.find(spec.type, spec.name)?.spec;
          if (!current?.enabled || current.signature !== spec.signature) return;
          if (await this.ensureRunning(current)) rt.restarts += 1;
        });
      }, delay);
      rt.timer.unref();
    });
  }

  /** A job is running: watch its health if its service has a probe. */
  onJobStarted(queueId: string): Promise<void> {
    if (!this.anyService()) return Promise.resolve();
    return this.serial(async () => {
      const job = await this.jobs.get(queueId);
      if (!job) return;
      const signature = jobSignature(this.registry, job);
      const spec = this.entries.find((e) => e.spec?.signature === signature)?.spec;
      if (spec) this.watch(spec, job);
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Boot: every enabled service without a live instance is enqueued, unless a user stopped it last. */
  private async autostart(trigger: 'boot'): Promise<void> {
    const unfinished = await this.jobs.withStatus(UNFINISHED_STATUSES);
    const live = this.bySignature(unfinished);
    for (const { spec } of this.entries) {
      if (!spec) continue;
      const rt = this.rt(spec);
      const last = await this.lastEnded(spec);
      rt.lastExit ??= last && pickExit(last);
      // The file changed while the server was down (other args, or disabled): what runs is stale.
      const stale = this.stale(spec, unfinished);
      if (stale.length) {
        this.logger.log(
          `service ${spec.type}/${spec.name}: ${spec.enabled ? 'its args changed' : 'it is disabled'} in the config; aborting ${stale.map((j) => j.id).join(', ')}`,
        );
        await this.abortInstances(spec);
      }
      if (!spec.enabled) continue;
      const job = live.get(spec.signature);
      if (job) {
        this.watch(spec, job);
        continue;
      }
      // Stopped on request, with these args: it stays stopped (new args are a new start).
      const stoppedOnRequest =
        last &&
        jobSignature(this.registry, last) === spec.signature &&
        isTerminationRequest(last.termination_reason);
      if (trigger === 'boot' && stoppedOnRequest) {
        this.logger.log(`service ${spec.type}/${spec.name} stays stopped: it was stopped on request`);
        continue;
      }
      await this.ensureRunning(spec);
    }
  }

  /** After a change: a fresh start (no backoff held over), started now when enabled. */
  private async settle(spec: ServiceSpec): Promise<void> {
    const rt = this.rt(spec);
    if (rt.timer) clearTimeout(rt.timer);
    Object.assign(rt, { timer: null, nextAttemptAt: null, failures: 0, error: null });
    if (spec.enabled) await this.ensureRunning(spec);
  }

  /**
   * Submits one instance unless one is live, or a stale one is still ending (its end starts this
   * one). True when it submitted.
   */
  private async ensureRunning(spec: ServiceSpec): Promise<boolean> {
    if (this.stopped) return false;
    const unfinished = await this.jobs.withStatus(UNFINISHED_STATUSES);
    const live = this.bySignature(unfinished).get(spec.signature);
    const rt = this.rt(spec);
    if (live) {
      this.watch(spec, live);
      return false;
    }
    if (this.stale(spec, unfinished).length) return false;
    try {
      await this.commandBus.execute(
        new SubmitJobCommand(
          {
            job_type: spec.type,
            name: `${spec.type}/${spec.name}`, // see isNamedFor
            priority: spec.priority,
            requested_gpus: spec.requested_gpus,
            job_params: spec.params,
            // A service runs until it is stopped: no time limit, whatever the server's default.
            time_limit_s: null,
          },
          undefined,
        ),
      );
      rt.error = null;
      rt.blockedByPort = false;
      return true;
    } catch (err) {
      rt.error = err instanceof Error ? err.message : String(err);
      rt.blockedByPort = err instanceof DomainError && err.code === 'PORT_IN_USE';
      this.logger.warn(`service ${spec.type}/${spec.name} could not start: ${rt.error}`);
      return false;
    }
  }

  /** Aborts the service's unfinished instances (of these args, or stale ones named for it); their ids. */
  private async abortInstances(spec: ServiceSpec): Promise<string[]> {
    const stopped: string[] = [];
    const rt = this.rt(spec);
    if (rt.timer) clearTimeout(rt.timer);
    Object.assign(rt, { timer: null, nextAttemptAt: null });
    this.stopProbe(rt);
    for (const job of await this.jobs.withStatus(UNFINISHED_STATUSES)) {
      if (job.status === 'terminating') continue;
      if (!isNamedFor(spec, job) && jobSignature(this.registry, job) !== spec.signature) continue;
      try {
        await this.commandBus.execute(new CancelQueueItemCommand(job.id));
      } catch (err) {
        // It ended meanwhile: nothing left to abort.
        if (!(err instanceof DomainError)) throw err;
      }
      stopped.push(job.id);
    }
    return stopped;
  }

  /**
   * A change's answer. An instance it stopped that has ended by the time the answer is read (the
   * stop waits up to 2 s for its processes) is the last exit; its end's own handler, queued behind
   * this change, records the same. Read after the status, so an instance the status no longer lists
   * as live is found ended.
   */
  private async answer(spec: ServiceSpec, stopped: readonly string[]): Promise<ServiceStatus> {
    const status = await this.get(spec.type, spec.name);
    const rt = this.rt(spec);
    for (const id of stopped) {
      if (status.job?.id === id) continue; // still live in the answer: `stopping`
      const job = await this.jobs.get(id);
      if (job && TERMINAL_STATUSES.includes(job.status)) rt.lastExit = pickExit(job);
    }
    return { ...status, last_exit: rt.lastExit };
  }

  /** The service's last ended instance (of these args or named for it) among the type's last 200 ends. */
  private async lastEnded(spec: ServiceSpec): Promise<Job | null> {
    const { items } = await this.jobs.list({
      statuses: [...TERMINAL_STATUSES],
      jobType: spec.type,
      limit: 200,
    });
    const last = items.find(
      (job) => isNamedFor(spec, job) || jobSignature(this.registry, job) === spec.signature,
    );
    return last ?? null;
  }

  /** Starts again the enabled services whose last start found their port held (it may be free now). */
  private async retryBlockedByPort(): Promise<void> {
    for (const { spec } of this.entries) {
      if (spec?.enabled && this.rt(spec).blockedByPort && !this.rt(spec).timer)
        await this.ensureRunning(spec);
    }
  }

  /**
   * Unfinished jobs named for the service that are not (or no longer) what it should run: of other
   * args, or any when it is disabled.
   */
  private stale(spec: ServiceSpec, unfinished: readonly Job[]): Job[] {
    return unfinished.filter(
      (job) =>
        isNamedFor(spec, job) && (!spec.enabled || jobSignature(this.registry, job) !== spec.signature),
    );
  }

  /**
   * Watches a running instance: probes its health with the service's current `health` settings (a
   * change of them, or of the instance, starts the probe afresh: `starting` until its first answer,
   * `unhealthy` when none came within the start period; after a success, a failure is `unhealthy`).
   */
  private watch(spec: ServiceSpec, job: Job): void {
    const rt = this.rt(spec);
    const settings = JSON.stringify(spec.health ?? null);
    if (job.status !== 'running' || (rt.probedJobId === job.id && rt.probedHealth === settings)) return;
    // New settings for the same instance are given a start period from now; an instance first seen
    // (a new one, or after a server restart) from its own start: up for minutes, it is not "starting".
    const startedProbing =
      rt.probedJobId === job.id ? this.clock.now() : Date.parse(job.started_at ?? '') || this.clock.now();
    this.stopProbe(rt);
    rt.probedJobId = job.id;
    rt.probedHealth = settings;
    if (!spec.health) {
      rt.upSince = this.clock.now();
      return;
    }
    const { path, port, interval_s, start_period_s } = spec.health;
    rt.health = 'starting';
    const timeoutMs = Math.min(interval_s * 1000, 5000);
    rt.probe = setInterval(
      () =>
        void fetch(`http://127.0.0.1:${port}${path}`, {
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        })
          .then((res) => ({ ok: res.status < 400, got: `HTTP ${res.status}` }))
          .catch((err: unknown) => ({ ok: false, got: probeFailure(err, port, timeoutMs) }))
          .then(({ ok, got }) => {
            if (rt.probedJobId !== job.id || rt.probedHealth !== settings) return; // an older probe's answer
            rt.lastProbe = {
              at: new Date(this.clock.now()).toISOString(),
              ok,
              result: `GET ${path} → ${got}`,
            };
            if (ok) {
              if (rt.health !== 'healthy') rt.upSince = this.clock.now();
              rt.health = 'healthy';
            } else if (
              rt.health === 'healthy' ||
              (rt.health === 'starting' && this.clock.now() - startedProbing >= start_period_s * 1000)
            ) {
              rt.health = 'unhealthy';
              rt.upSince = null;
            }
          }),
      interval_s * 1000,
    );
    rt.probe.unref();
  }

  private stopProbe(rt: Runtime): void {
    if (rt.probe) clearInterval(rt.probe);
    Object.assign(rt, { probe: null, probedJobId: null, probedHealth: null, health: null, lastProbe: null });
  }

  private status(entry: Entry, job: Job | null): ServiceStatus {
    const rt = entry.spec ? this.rt(entry.spec) : null;
    let state: ServiceState;
    if (!entry.spec) state = 'invalid';
    else if (job)
      state = job.status === 'terminating' ? 'stopping' : (job.status as 'queued' | 'starting' | 'running');
    else if (rt?.nextAttemptAt) state = rt.failures >= CRASH_LOOP_AFTER ? 'crash_loop' : 'backoff';
    // Enabled, and its start was refused (its port held by another job…): not stopped on request.
    else if (entry.spec.enabled && rt?.error) state = 'refused';
    else state = entry.spec.enabled ? 'stopped' : 'disabled';
    return {
      type: entry.type,
      name: entry.name,
      spec: entry.spec,
      error: entry.error ?? rt?.error ?? null,
      state,
      job,
      health: job && isActive(job.status) && entry.spec?.health ? (rt?.health ?? 'starting') : null,
      last_probe: job && isActive(job.status) ? (rt?.lastProbe ?? null) : null,
      restarts: rt?.restarts ?? 0,
      consecutive_failures: rt?.failures ?? 0,
      next_attempt_at: rt?.nextAttemptAt ? new Date(rt.nextAttemptAt).toISOString() : null,
      last_exit: rt?.lastExit ?? null,
    };
  }

  private async liveBySignature(): Promise<Map<string, Job>> {
    return this.bySignature(await this.jobs.withStatus(UNFINISHED_STATUSES));
  }

  private bySignature(unfinished: readonly Job[]): Map<string, Job> {
    const live = new Map<string, Job>();
    for (const job of unfinished) {
      const signature = jobSignature(this.registry, job);
      // Oldest first wins: the instance that was there before any duplicate.
      if (signature && !live.has(signature)) live.set(signature, job);
    }
    return live;
  }

  private write(edit: (text: string) => string): void {
    this.load(servicesBlock(this.file.update(edit)));
  }

  /** Parses the `services:` block; a bad entry is listed as `invalid` with its errors, not fatal. */
  private load(block: unknown): void {
    const entries: Entry[] = [];
    if (block !== undefined && block !== null && !isPlainObject(block)) {
      this.logger.error('server_config.yaml: services must be a mapping of <type>: <name>: {...}');
    }
    for (const [type, group] of Object.entries(isPlainObject(block) ? block : {})) {
      for (const [name, raw] of Object.entries(isPlainObject(group) ? group : {})) {
        const { spec, errors } = validateService(
          this.registry,
          entryToInput(type, name, raw),
          configFields(type, name),
        );
        const error = errors.length ? errors.map((e) => `${e.field}: ${e.message}`).join('; ') : null;
        if (error) this.logger.warn(`server_config.yaml: service ${type}/${name} ignored: ${error}`);
        entries.push({ type, name, spec, error });
      }
    }
    this.entries = entries;
  }

  private rawEntry(text: string, type: string, name: string): Record<string, unknown> {
    const block = servicesBlock(text) as Record<string, Record<string, unknown>> | undefined;
    const raw = block?.[type]?.[name];
    return isPlainObject(raw) ? raw : {};
  }

  private find(type: string, name: string): Entry | undefined {
    return this.entries.find((e) => e.type === type && e.name === name);
  }

  private rt(spec: { type: string; name: string }): Runtime {
    const key = `${spec.type}/${spec.name}`;
    let rt = this.runtime.get(key);
    if (!rt) {
      rt = {
        restarts: 0,
        failures: 0,
        nextAttemptAt: null,
        timer: null,
        upSince: null,
        health: null,
        lastProbe: null,
        probe: null,
        probedJobId: null,
        probedHealth: null,
        lastExit: null,
        error: null,
        blockedByPort: false,
      };
      this.runtime.set(key, rt);
    }
    return rt;
  }

  private forget(key: string): void {
    const rt = this.runtime.get(key);
    if (rt?.timer) clearTimeout(rt.timer);
    if (rt?.probe) clearInterval(rt.probe);
    this.runtime.delete(key);
  }

  /** Runs `work` after everything queued before it (one action at a time). */
  /** Most hosts define no service: then no job's start or end needs its record read here. */
  private anyService(): boolean {
    return this.entries.some((e) => e.spec !== null);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** The name its instances get (`<type>/<name>`), of the service's job type. */
function isNamedFor(spec: ServiceSpec, job: Job): boolean {
  return job.job_type === spec.type && job.name === `${spec.type}/${spec.name}`;
}

function pickExit(job: Job): ServiceStatus['last_exit'] {
  return {
    id: job.id,
    status: job.status,
    termination_reason: job.termination_reason,
    exit_code: job.exit_code,
    error: job.error,
    ended_at: job.ended_at,
  };
}

/** Why a probe got no answer, in words: `connection refused on port 8000`, `no answer within 5 s`. */
function probeFailure(err: unknown, port: number, timeoutMs: number): string {
  if ((err as Error).name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const code = fetchErrorCode(err);
  if (code === 'ECONNREFUSED') return `connection refused on port ${port}`;
  return code ?? (err as Error).message;
}
