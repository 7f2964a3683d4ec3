import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import {
  type DatasetServerDto,
  listLocalDatasetServers,
  listUserDatasetServers,
  registerDatasetServer,
  unregisterDatasetServer,
} from '@trainyard/sdk';
import { API, errorMessage, fieldErrors } from '../core/api';
import { ToastStore } from '../core/toast.store';
import { proxyFetch } from '../core/upstream';

const PAGE = 25;
const proxy = (endpoint: string, base: string, extra = '') =>
  `/api/dataset-server/proxy/${endpoint}?base=${encodeURIComponent(base)}${extra}`;

type Health = { ok: boolean; text: string };

/** dataset_server servers: local jobs and ones you add; their status; a paged preview of a dataset's rows. */
@Component({
  selector: 'ty-datasets-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './datasets-page.component.html',
  styleUrl: './datasets-page.component.css',
})
export class DatasetsPageComponent {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);

  protected readonly local = signal<DatasetServerDto[] | null>(null);
  protected readonly user = signal<DatasetServerDto[] | null>(null);
  protected readonly health = signal<Record<string, Health>>({});
  protected readonly selected = signal<DatasetServerDto | null>(null);
  protected readonly datasets = signal<string | null>(null);
  protected readonly handles = signal<string[]>([]);
  protected readonly handle = signal('');
  protected readonly position = signal(0);
  protected readonly rows = signal<unknown[] | null>(null);
  protected readonly rowsError = signal<string | null>(null);
  protected readonly columns = computed(() => {
    const keys = new Set<string>();
    for (const r of this.rows() ?? [])
      if (r && typeof r === 'object') Object.keys(r).forEach((k) => keys.add(k));
    return [...keys];
  });

  protected readonly label = signal('');
  protected readonly baseUrl = signal('');
  protected readonly token = signal('');
  protected readonly formErrors = signal<Record<string, string>>({});

  constructor() {
    void this.refresh();
  }

  protected async refresh(): Promise<void> {
    try {
      const [local, user] = await Promise.all([
        listLocalDatasetServers({ client: this.api }),
        listUserDatasetServers({ client: this.api }),
      ]);
      this.local.set(local.data);
      this.user.set(user.data);
      for (const s of [...local.data, ...user.data]) void this.check(s);
    } catch (err) {
      this.toasts.error(`Could not list dataset servers: ${errorMessage(err)}`);
    }
  }

  private async check(s: DatasetServerDto): Promise<void> {
    let h: Health;
    try {
      await proxyFetch(proxy('health', s.base_url));
      h = { ok: true, text: 'up' };
    } catch (err) {
      h = { ok: false, text: errorMessage(err) };
    }
    this.health.update((all) => ({ ...all, [s.id]: h }));
  }

  protected async select(s: DatasetServerDto): Promise<void> {
    this.selected.set(s);
    this.datasets.set(null);
    this.handles.set([]);
    this.rows.set(null);
    this.rowsError.set(null);
    try {
      const body = (await (await proxyFetch(proxy('datasets', s.base_url))).json()) as unknown;
      this.datasets.set(JSON.stringify(body, null, 2));
      this.handles.set(handlesIn(body));
    } catch (err) {
      this.datasets.set(`Could not list datasets: ${errorMessage(err)}`);
    }
  }

  protected async preview(position: number): Promise<void> {
    const s = this.selected();
    const handle = this.handle().trim();
    if (!s || !handle) return;
    this.rowsError.set(null);
    try {
      const extra = `&handle=${encodeURIComponent(handle)}&position=${position}&limit=${PAGE}`;
      const body = (await (await proxyFetch(proxy('iter', s.base_url, extra))).json()) as { rows: unknown[] };
      this.rows.set(body.rows);
      this.position.set(position);
    } catch (err) {
      this.rowsError.set(errorMessage(err));
    }
  }

  protected readonly page = PAGE;

  protected cell(row: unknown, key: string): string {
    const v = (row as Record<string, unknown>)?.[key];
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return text === undefined ? '' : text.length > 400 ? `${text.slice(0, 400)}…` : text;
  }

  protected async add(): Promise<void> {
    this.formErrors.set({});
    try {
      await registerDatasetServer({
        client: this.api,
        body: {
          label: this.label().trim(),
          base_url: this.baseUrl().trim(),
          ...(this.token() ? { auth_token: this.token() } : {}),
        },
      });
      this.label.set('');
      this.baseUrl.set('');
      this.token.set('');
      await this.refresh();
    } catch (err) {
      const fields = fieldErrors(err);
      this.formErrors.set(Object.keys(fields).length ? fields : { '': errorMessage(err) });
    }
  }

  protected async remove(s: DatasetServerDto): Promise<void> {
    try {
      await unregisterDatasetServer({ client: this.api, path: { entry_id: s.id.replace(/^user:/, '') } });
      if (this.selected()?.id === s.id) this.selected.set(null);
      await this.refresh();
    } catch (err) {
      this.toasts.error(`Could not remove ${s.label}: ${errorMessage(err)}`);
    }
  }
}

/** Dataset handles a `/v1/datasets` answer names: strings, or objects' `handle`/`name`/`id`. */
function handlesIn(body: unknown): string[] {
  const list = Array.isArray(body) ? body : ((body as { datasets?: unknown })?.datasets ?? []);
  if (!Array.isArray(list)) return [];
  return list
    .map((d) => (typeof d === 'string' ? d : ((d?.handle ?? d?.name ?? d?.id) as unknown)))
    .filter((h): h is string => typeof h === 'string')
    .slice(0, 200);
}
