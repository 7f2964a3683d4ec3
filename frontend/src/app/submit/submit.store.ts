import { Injectable, inject, signal } from '@angular/core';
import {
  type BundleDto,
  type ClusterSubmitRequestDto,
  type JobDto,
  type JobTypeDto,
  type QueueItemDto,
  type SubmitJobRequestDto,
  listGpus,
  listJobTypes,
  listJobs,
  submitClusterJob,
  submitJob,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { type ResolvedId, resolveJobOrArrayId } from '../core/job-id';
import { readStored, writeStored } from '../core/storage';
import { type FormValues, type MigProfileOption, migProfileOptions } from './submit-form';

const STORAGE_KEY = 'trainyard.submit';
const ADVANCED_KEY = 'trainyard.submit.advanced';

interface Remembered {
  lastType?: string;
  byType?: Record<string, Partial<FormValues>>;
}

/**
 * Job types (GET /api/job-types), submitting (POST /api/queue, or /api/cluster/jobs/submit for a
 * multi-node run), and the last values per type.
 */
@Injectable()
export class SubmitStore {
  private readonly api = inject(API);

  readonly types = signal<JobTypeDto[]>([]);
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  readonly submitting = signal(false);
  /** The MIG profiles this host has (empty: no MIG devices, or the GPUs could not be read). */
  readonly migProfiles = signal<MigProfileOption[]>([]);
  /** Whether the Advanced section is open (remembered across dialogs and reloads). */
  readonly advancedOpen = signal(readStored<boolean>(ADVANCED_KEY, false) === true);
  /** The newest jobs, offered for the Depends on ids (empty until loaded, or when they cannot be read). */
  readonly recentJobs = signal<JobDto[]>([]);

  /** One key per dialog session: a retried submit (network hiccup) cannot queue the job twice. */
  private idempotencyKey = newKey();

  async loadTypes(): Promise<void> {
    this.loading.set(true);
    try {
      this.types.set((await listJobTypes({ client: this.api })).data);
      this.error.set(null);
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.loading.set(false);
    }
  }

  /** Reads GET /api/gpus for the MIG profile select; a failure just hides it (whole GPUs still work). */
  async loadMigProfiles(): Promise<void> {
    try {
      this.migProfiles.set(migProfileOptions((await listGpus({ client: this.api })).data.gpus));
    } catch {
      this.migProfiles.set([]);
    }
  }

  setAdvancedOpen(open: boolean): void {
    this.advancedOpen.set(open);
    writeStored(ADVANCED_KEY, open);
  }

  /** GET /api/jobs, newest 20, for the Depends on suggestions; a failure just offers none. */
  async loadRecentJobs(): Promise<void> {
    try {
      this.recentJobs.set((await listJobs({ client: this.api, query: { limit: 20 } })).data.items);
    } catch {
      this.recentJobs.set([]);
    }
  }

  /** A Depends on id as typed (whole, or the short one the console shows) → the whole id, or why not. */
  async resolveDependency(given: string): Promise<ResolvedId> {
    try {
      return await resolveJobOrArrayId(this.api, given);
    } catch (err) {
      return { error: `Could not look the id up: ${errorMessage(err)}.` };
    }
  }

  /** Throws the SDK's error (with `details` per field) when the server refuses. */
  async submit(body: SubmitJobRequestDto): Promise<QueueItemDto> {
    this.submitting.set(true);
    try {
      const { data } = await submitJob({
        client: this.api,
        body,
        headers: { 'Idempotency-Key': this.idempotencyKey },
      });
      this.idempotencyKey = newKey();
      return data;
    } finally {
      this.submitting.set(false);
    }
  }

  /** POST /api/cluster/jobs/submit (all or nothing across the nodes); throws the SDK's error when refused. */
  async submitCluster(body: ClusterSubmitRequestDto): Promise<BundleDto> {
    this.submitting.set(true);
    try {
      return (await submitClusterJob({ client: this.api, body })).data;
    } finally {
      this.submitting.set(false);
    }
  }

  /** A changed form is a different request: it must not replay an earlier answer. */
  formChanged(): void {
    this.idempotencyKey = newKey();
  }

  lastType(): string | undefined {
    return readStored<Remembered>(STORAGE_KEY, {}).lastType;
  }

  lastValues(type: string): Partial<FormValues> | undefined {
    return readStored<Remembered>(STORAGE_KEY, {}).byType?.[type];
  }

  remember(type: string, values: FormValues): void {
    const stored = readStored<Remembered>(STORAGE_KEY, {});
    writeStored(STORAGE_KEY, { lastType: type, byType: { ...stored.byType, [type]: values } });
  }
}

function newKey(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
