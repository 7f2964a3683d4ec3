import { Injectable, computed, inject, signal } from '@angular/core';
import {
  type JobTypeDto,
  type ServiceDto,
  deleteService,
  listJobTypes,
  listJobs,
  listServices,
  setServiceEnabled,
  upsertService,
} from '@trainyard/sdk';
import { API } from '../core/api';
import { NewestAnswer } from '../core/newest-answer';

/** A launcher row: a type that can run as a service, its configured services and running jobs. */
export interface ServiceGroup {
  type: JobTypeDto;
  services: ServiceDto[];
  /** Jobs of this type in status running (services or not), as the Jobs count does it. */
  running: number;
}

/**
 * The sidebar's Services: GET /api/services, the service-capable job types, running jobs per type,
 * and the actions (upsert, enable toggle, delete). Shared by the sidebar and the submit dialog's
 * "Save as service…", so a save shows in the sidebar at once.
 */
@Injectable({ providedIn: 'root' })
export class ServicesStore {
  private readonly api = inject(API);

  private readonly types = signal<JobTypeDto[]>([]);
  readonly services = signal<ServiceDto[]>([]);
  private readonly runningByType = signal<Record<string, number>>({});
  /** `type/name` of the services with a request in flight (their buttons wait). */
  readonly busy = signal<ReadonlySet<string>>(new Set());

  readonly groups = computed<ServiceGroup[]>(() => {
    const services = this.services();
    const running = this.runningByType();
    const groups = this.types().map((type) => ({
      type,
      services: services.filter((s) => s.type === type.name),
      running: running[type.name] ?? 0,
    }));
    // An entry of a type the server no longer has is still listed (state invalid), so it can be deleted.
    for (const s of services) {
      if (groups.some((g) => g.type.name === s.type)) continue;
      const type: JobTypeDto = {
        name: s.type,
        description: '',
        params: [],
        default_gpus: 0,
        service_port_param: null,
        can_be_service: false,
      };
      groups.push({ type, services: services.filter((x) => x.type === s.type), running: 0 });
    }
    return groups;
  });

  /** Whether anything may change without a job event: a health probe, a restart countdown. */
  readonly needsPolling = computed(() =>
    this.services().some((s) => s.health_check || s.state === 'backoff' || s.state === 'crash_loop'),
  );

  private readonly answers = new NewestAnswer();

  /**
   * `withTypes`: read the job types again too (the Refresh button). Resolves true when this answer
   * is shown, false when a newer one was already; throws the error of a failed load only when no
   * newer answer was shown either (an old failure must not cover fresh data).
   */
  async load(withTypes = false): Promise<boolean> {
    const ticket = this.answers.begin();
    let answered;
    try {
      answered = await Promise.all([
        listServices({ client: this.api }),
        listJobs({ client: this.api, query: { status: 'running', limit: 1000 } }),
        // Types change only with the server's config: read once, then again after a failure.
        this.types().length && !withTypes ? null : listJobTypes({ client: this.api }),
      ]);
    } catch (err) {
      if (this.answers.accept(ticket)) throw err;
      return false;
    }
    const [services, jobs, types] = answered;
    // Loads overlap (a job's events come in bursts: queued, starting, running): an answer older than
    // the one shown would put the row back in time, a running service shown as starting again.
    if (!this.answers.accept(ticket)) return false;
    if (types) this.types.set(types.data.filter((t) => t.can_be_service));
    this.services.set(services.data);
    const running: Record<string, number> = {};
    for (const job of jobs.data.items) running[job.job_type] = (running[job.job_type] ?? 0) + 1;
    this.runningByType.set(running);
    return true;
  }

  /**
   * POST /api/services, enabled (so it starts now): creates `type/name` or replaces it. Throws the
   * SDK error (a 400's `details` name `name`, `type`, `args.<param>`, `requested_gpus`, `priority`).
   */
  async save(
    type: string,
    name: string,
    args: Record<string, unknown>,
    placement: { requested_gpus?: number; priority?: number } = {},
  ): Promise<ServiceDto> {
    const { data } = await upsertService({
      client: this.api,
      body: { type, name, enabled: true, args, ...placement },
    });
    await this.load().catch(() => undefined);
    return data;
  }

  /** ▶ (true) starts it now and at every boot; ⏹ (false) aborts its running instance. */
  setEnabled(s: ServiceDto, enabled: boolean): Promise<void> {
    return this.act(s, () =>
      setServiceEnabled({ client: this.api, path: { type: s.type, name: s.name }, body: { enabled } }),
    );
  }

  /** Aborts the running instance (server side) and removes the entry from server_config.yaml. */
  remove(s: ServiceDto): Promise<void> {
    return this.act(s, () => deleteService({ client: this.api, path: { type: s.type, name: s.name } }));
  }

  isBusy(s: ServiceDto): boolean {
    return this.busy().has(key(s));
  }

  private async act(s: ServiceDto, request: () => Promise<unknown>): Promise<void> {
    const k = key(s);
    this.busy.update((b) => new Set(b).add(k));
    try {
      await request();
      await this.load().catch(() => undefined);
    } finally {
      this.busy.update((b) => {
        const next = new Set(b);
        next.delete(k);
        return next;
      });
    }
  }
}

function key(s: ServiceDto): string {
  return `${s.type}/${s.name}`;
}
