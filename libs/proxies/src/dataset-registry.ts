import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { SERVER_CONFIG, ServerConfig, writeFileAtomic } from '@trainyard/core';
import { normalizedBase } from './upstream';

export interface RegisteredDatasetServer {
  id: string;
  label: string;
  base_url: string;
  auth_token?: string;
}

/**
 * Dataset servers the user registered (the dataset proxy's allowlist). One JSON file in the state
 * directory, written atomically with mode 0600 (it holds tokens); read on every use, so edits by
 * another server process on the same state directory are seen.
 */
@Injectable()
export class DatasetServerRegistry {
  private readonly file: string;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.file = config.paths.datasetServerRegistry;
  }

  list(): RegisteredDatasetServer[] {
    if (!existsSync(this.file)) return [];
    const data = JSON.parse(readFileSync(this.file, 'utf8')) as { servers?: RegisteredDatasetServer[] };
    return Array.isArray(data.servers) ? data.servers : [];
  }

  add(entry: Omit<RegisteredDatasetServer, 'id'>): RegisteredDatasetServer {
    const saved = { id: randomBytes(8).toString('hex'), ...entry };
    this.save([...this.list(), saved]);
    return saved;
  }

  /** False when there was no such entry. */
  remove(id: string): boolean {
    const servers = this.list();
    const kept = servers.filter((s) => s.id !== id);
    if (kept.length === servers.length) return false;
    this.save(kept);
    return true;
  }

  /** The entry registered for this base URL (scheme, host, port and path compared), if any. */
  find(base: URL): RegisteredDatasetServer | undefined {
    const key = normalizedBase(base);
    return this.list().find((s) => normalizedBase(new URL(s.base_url)) === key);
  }

  private save(servers: RegisteredDatasetServer[]): void {
    writeFileAtomic(this.file, `${JSON.stringify({ servers }, null, 2)}\n`, 0o600);
  }
}
