import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { DomSanitizer, type SafeHtml } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';
import {
  type ArtifactsDto,
  type CheckpointDto,
  type ConfigDto,
  type ProjectDetailDto,
  type ProjectSummaryDto,
  type ProjectTreeDto,
  type RunDirDto,
  createProject,
  createProjectConfig,
  deleteConfigArtifact,
  getProject,
  listConfigArtifacts,
  listProjects,
  listRunsPage,
  type RunDto,
  readSource,
  refreshProjects,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore, type MenuItem } from '../core/context-menu.store';
import { formatTime } from '../core/format';
import { NewestAnswer } from '../core/newest-answer';
import { RefreshBus } from '../core/refresh';
import { readStored, writeStored } from '../core/storage';
import { ToastStore } from '../core/toast.store';
import { renderMarkdown } from '../shared/markdown';
import { type NamePrompt, NamePromptComponent } from '../shared/name-prompt.component';
import {
  type ArtifactsState,
  type TreeRow,
  allProjects,
  ancestorKeys,
  buildRows,
  configKey,
} from './project-tree';
import { ConfigActions } from './config-actions';
import { RunDialogComponent, type RunDialogRequest } from './run-dialog.component';

type Tab = 'readme' | 'source' | 'runs';

const STORAGE_KEY = 'trainyard.projects';
/** A config's tracked runs listed in its Runs tab (the Runs view has them all). */
const TRACKED_RUNS = 20;
interface Stored {
  expanded?: string[];
  active?: string | null;
}
type ItemRow = Exclude<TreeRow, { kind: 'note' }>;

/** A one-name question (new project, new or duplicated config), answered through the API. */

const bytes = (n: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
};

/**
 * The Projects view: the tree of projects found under the search roots (roots → workspaces →
 * projects → configs → artifacts) with the original's context menus, and a detail pane for the
 * selection — README (rendered, images through the asset endpoint), the config's source, its runs,
 * checkpoints and evaluations. Running a config goes through the Run dialog.
 */
@Component({
  selector: 'ty-projects-page',
  imports: [RunDialogComponent, RouterLink, NamePromptComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './projects-page.component.html',
  styleUrl: './projects-page.component.css',
})
export class ProjectsPageComponent {
  private readonly api = inject(API);
  /** The tree reloads on file events, Refresh and Rescan: the newest answer wins. */
  private readonly treeAnswers = new NewestAnswer();
  private readonly menu = inject(ContextMenuStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly configActions = inject(ConfigActions);
  private readonly toasts = inject(ToastStore);
  private readonly router = inject(Router);
  private readonly sanitizer = inject(DomSanitizer);
  private readonly injector = inject(Injector);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly tree = signal<ProjectTreeDto | null>(null);
  protected readonly loadError = signal<string | null>(null);
  /** Nothing stored yet: the roots start open. Read before the first write below. */
  private readonly firstVisit = readStored<Stored>(STORAGE_KEY, {}).expanded === undefined;
  protected readonly expanded = signal<ReadonlySet<string>>(
    new Set(readStored<Stored>(STORAGE_KEY, {}).expanded ?? []),
  );
  protected readonly artifacts = signal<ReadonlyMap<string, ArtifactsState>>(new Map());
  protected readonly rows = computed(() => {
    const tree = this.tree();
    return tree ? buildRows(tree, this.expanded(), this.artifacts()) : [];
  });
  protected readonly items = computed(() => this.rows().filter((r): r is ItemRow => r.kind !== 'note'));

  /** The selected row's key (also the roving tab stop). */
  protected readonly active = signal<string | null>(readStored<Stored>(STORAGE_KEY, {}).active ?? null);
  protected readonly tabStop = computed(() => {
    const items = this.items();
    const active = this.active();
    return items.some((r) => r.key === active) ? active : (items[0]?.key ?? null);
  });
  protected readonly selected = computed(() => this.items().find((r) => r.key === this.active()) ?? null);
  protected readonly selectedProject = computed<ProjectSummaryDto | null>(() => {
    const row = this.selected();
    return row && 'project' in row ? row.project : null;
  });
  protected readonly selectedConfig = computed<ConfigDto | null>(() => {
    const row = this.selected();
    if (row && 'config' in row) return row.config;
    const project = this.selectedProject();
    return project?.configs.find((c) => c.name === project.default_config) ?? project?.configs[0] ?? null;
  });

  protected readonly tab = signal<Tab>('readme');
  protected readonly detail = signal<ProjectDetailDto | null>(null);
  protected readonly detailError = signal<string | null>(null);
  protected readonly readmeHtml = computed<SafeHtml | null>(() => {
    const detail = this.detail();
    if (!detail?.readme) return null;
    const images = new Map(detail.images.map((i) => [i.src, i.url]));
    // Sanitised by DOMPurify in renderMarkdown, so Angular need not strip it again.
    return this.sanitizer.bypassSecurityTrustHtml(renderMarkdown(detail.readme, images));
  });
  protected readonly source = signal<{ path: string; text: string | null; error: string | null } | null>(
    null,
  );
  protected readonly configArtifacts = computed<ArtifactsState | null>(() => {
    const project = this.selectedProject();
    const config = this.selectedConfig();
    return project && config ? (this.artifacts().get(configKey(project, config.name)) ?? null) : null;
  });

  /** The selected config's tracked runs (its jobs' runs, newest first), read with its artifacts. */
  private readonly tracked = signal<ReadonlyMap<string, RunDto[]>>(new Map());
  protected readonly trackedRuns = computed<RunDto[] | null>(() => {
    const project = this.selectedProject();
    const config = this.selectedConfig();
    return project && config ? (this.tracked().get(configKey(project, config.name)) ?? null) : null;
  });

  protected readonly runDialog = signal<RunDialogRequest | null>(null);
  protected readonly prompt = signal<NamePrompt | null>(null);

  protected readonly formatTime = formatTime;
  protected readonly bytes = bytes;

  constructor() {
    const refresh = inject(RefreshBus);
    // The tree opens as it was left when the view comes back (e.g. after a run opened its job).
    effect(() => writeStored(STORAGE_KEY, { expanded: [...this.expanded()], active: this.active() }));
    effect(() => {
      refresh.tick();
      untracked(() => void this.load());
    });
    // The detail pane follows the selected project; the source and artifacts follow the config.
    effect(() => {
      const project = this.selectedProject();
      untracked(() => void this.loadDetail(project));
    });
    effect(() => {
      const project = this.selectedProject();
      const config = this.selectedConfig();
      untracked(() => {
        void this.loadSource(config?.file ?? null);
        if (project && config && !this.artifacts().has(configKey(project, config.name)))
          void this.loadArtifacts(project, config);
      });
    });
  }

  async load(rescan = false): Promise<void> {
    const ticket = this.treeAnswers.begin();
    try {
      const tree = rescan
        ? (await refreshProjects({ client: this.api })).data
        : (await listProjects({ client: this.api })).data;
      if (!this.treeAnswers.accept(ticket)) return;
      // Roots open by default the first time ever; later the tree opens as it was left.
      if (this.tree() === null && this.firstVisit)
        this.expanded.set(new Set(tree.roots.map((r) => `root:${r.path}`)));
      this.tree.set(tree);
      this.loadError.set(null);
      // Open configs (and the selected one) list their artifacts again: a run may have written since.
      this.artifacts.set(new Map());
      const selected = this.selectedConfig();
      for (const project of allProjects(tree))
        for (const config of project.configs) {
          const key = configKey(project, config.name);
          if (
            this.expanded().has(key) ||
            (selected?.name === config.name && this.selectedProject()?.id === project.id)
          )
            void this.loadArtifacts(project, config);
        }
      if (this.detail()) void this.loadDetail(this.selectedProject());
    } catch (err) {
      if (this.treeAnswers.accept(ticket)) this.loadError.set(errorMessage(err));
    }
  }

  private async loadDetail(project: ProjectSummaryDto | null): Promise<void> {
    if (!project) {
      this.detail.set(null);
      this.detailError.set(null);
      return;
    }
    try {
      const { data } = await getProject({ client: this.api, path: { id: project.id } });
      if (this.selectedProject()?.id === project.id) {
        this.detail.set(data);
        this.detailError.set(null);
      }
    } catch (err) {
      this.detail.set(null);
      this.detailError.set(errorMessage(err));
    }
  }

  private async loadSource(path: string | null): Promise<void> {
    if (!path) return this.source.set(null);
    if (this.source()?.path === path) return;
    this.source.set({ path, text: null, error: null });
    try {
      const { data } = await readSource({ client: this.api, query: { path }, parseAs: 'text' });
      if (this.source()?.path === path) this.source.set({ path, text: String(data), error: null });
    } catch (err) {
      if (this.source()?.path === path) this.source.set({ path, text: null, error: errorMessage(err) });
    }
  }

  private async loadArtifacts(project: ProjectSummaryDto, config: ConfigDto): Promise<void> {
    const key = configKey(project, config.name);
    const set = (state: ArtifactsState) => this.artifacts.update((m) => new Map(m).set(key, state));
    set({ loading: true });
    void this.loadTracked(project, config);
    try {
      const { data } = await listConfigArtifacts({
        client: this.api,
        path: { id: project.id, config: config.name },
      });
      set({ loading: false, data });
    } catch (err) {
      set({ loading: false, error: errorMessage(err) });
    }
  }

  /** The config's tracked runs: its project's runs named as its Run names jobs (`project/config`). */
  private async loadTracked(project: ProjectSummaryDto, config: ConfigDto): Promise<void> {
    const name = `${project.name}/${config.name}`;
    try {
      const { data } = await listRunsPage({
        client: this.api,
        query: { project: project.name, q: name, source: 'trainyard', limit: TRACKED_RUNS },
      });
      const runs = data.items.filter((r) => r.name === name);
      this.tracked.update((m) => new Map(m).set(configKey(project, config.name), runs));
    } catch {
      // The artifacts' own read says what is wrong with the server; this list stays unshown.
    }
  }

  // ---- tree interaction --------------------------------------------------------------------

  protected indent(row: TreeRow): number {
    return 4 + (row.level - 1) * 14;
  }

  protected select(row: ItemRow): void {
    this.active.set(row.key);
    if (row.kind === 'project') this.tab.set('readme');
    else if (row.kind === 'config' && this.tab() === 'readme') this.tab.set('source');
    else if (row.kind === 'run' || row.kind === 'checkpoint' || row.kind === 'evaluation')
      this.tab.set('runs');
  }

  protected click(row: ItemRow): void {
    this.select(row);
    if (row.expandable) this.toggle(row);
  }

  private toggle(row: ItemRow, open = !row.expanded): void {
    this.expanded.update((s) => {
      const next = new Set(s);
      if (open) next.add(row.key);
      else next.delete(row.key);
      return next;
    });
    if (open && row.kind === 'config' && !this.artifacts().has(row.key))
      void this.loadArtifacts(row.project, row.config);
  }

  protected key(event: KeyboardEvent, row: ItemRow): void {
    const items = this.items();
    const index = items.findIndex((r) => r.key === row.key);
    let handled = true;
    switch (event.key) {
      case 'ArrowDown':
        this.focusKey(items[Math.min(index + 1, items.length - 1)]);
        break;
      case 'ArrowUp':
        this.focusKey(items[Math.max(index - 1, 0)]);
        break;
      case 'Home':
        this.focusKey(items[0]);
        break;
      case 'End':
        this.focusKey(items[items.length - 1]);
        break;
      case 'ArrowRight':
        if (!row.expandable) break;
        if (!row.expanded) this.toggle(row, true);
        else if (items[index + 1]?.level === row.level + 1) this.focusKey(items[index + 1]);
        break;
      case 'ArrowLeft':
        if (row.expandable && row.expanded) this.toggle(row, false);
        else this.focusKey(items.slice(0, index).findLast((r) => r.level === row.level - 1));
        break;
      case 'Enter':
        if (row.kind === 'config') this.openRun(row.project, row.config, 'run');
        else if (row.expandable) this.toggle(row);
        break;
      case 'Delete':
        if (row.kind === 'run' || row.kind === 'checkpoint' || row.kind === 'evaluation')
          void this.deleteArtifact(row.project, row.config, row.artifact.path, row.kind);
        break;
      case 'ContextMenu':
        this.openMenu(event, row);
        break;
      default:
        if (event.key === 'F10' && event.shiftKey) this.openMenu(event, row);
        else handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  private focusKey(row: ItemRow | undefined): void {
    if (!row) return;
    this.select(row);
    afterNextRender(
      () =>
        this.host.nativeElement.querySelector<HTMLElement>(`li[data-key="${CSS.escape(row.key)}"]`)?.focus(),
      { injector: this.injector },
    );
  }

  protected openMenu(event: MouseEvent | KeyboardEvent, row: ItemRow): void {
    this.select(row);
    const items: MenuItem[] = [];
    switch (row.kind) {
      case 'root':
        items.push(
          { label: 'New project…', action: () => this.newProject(row.path) },
          { label: 'Refresh', action: () => void this.load(true) },
        );
        break;
      case 'workspace':
        items.push(
          { label: 'New project…', action: () => this.newProject(row.path) },
          { label: 'Refresh', action: () => void this.load(true) },
        );
        break;
      case 'project':
        items.push(
          { label: 'New config…', action: () => this.newConfig(row.project) },
          { label: 'Open README', action: () => this.tab.set('readme') },
          { label: 'Refresh', action: () => void this.load(true) },
        );
        break;
      case 'config': {
        const { project, config } = row;
        items.push(
          { label: 'Run…', hint: 'Enter', action: () => this.openRun(project, config, 'run') },
          { label: 'Overrides…', action: () => this.openRun(project, config, 'overrides') },
          { label: 'Open in editor', disabled: !config.file, action: () => this.openEditor(config.file!) },
          { label: 'Duplicate config…', action: () => this.duplicateConfig(project, config) },
          { label: 'Clean output…', danger: true, action: () => void this.cleanOutput(project, config) },
          this.configActions.deleteItem(project, config, () => void this.load(true)),
        );
        break;
      }
      default: {
        const { project, config, artifact } = row;
        const logs = row.kind === 'run' ? (artifact as RunDirDto).logs : [];
        for (const log of logs)
          items.push({ label: `Open log ${log.name}`, action: () => this.openEditor(log.path) });
        if (row.kind === 'checkpoint' && (artifact as CheckpointDto).index_file)
          items.push({
            label: 'Open index',
            action: () => this.openEditor((artifact as CheckpointDto).index_file!),
          });
        items.push(
          { label: 'Copy path', action: () => void navigator.clipboard?.writeText(artifact.path) },
          {
            label: 'Delete…',
            hint: 'Del',
            danger: true,
            action: () => void this.deleteArtifact(project, config, artifact.path, row.kind),
          },
        );
      }
    }
    this.menu.open(event, row.label, items);
  }

  // ---- actions -----------------------------------------------------------------------------

  protected openEditor(path: string): void {
    void this.router.navigate(['/edit'], { queryParams: { path } });
  }

  protected openRun(project: ProjectSummaryDto, config: ConfigDto, mode: 'run' | 'overrides'): void {
    this.runDialog.set({ project, config, mode });
  }

  protected runClosed(): void {
    this.runDialog.set(null);
  }

  protected newProject(parent: string): void {
    this.askName({
      title: 'New project',
      label: 'Directory name',
      value: '',
      confirmLabel: 'Create',
      hint: `Made in ${parent} from the template (README, trainyard.yaml, configs/train.yaml).`,
      submit: async (dir_name) => {
        const { data } = await createProject({ client: this.api, body: { parent, dir_name } });
        await this.load(true);
        this.reveal(data.id, `project:${data.id}`);
      },
    });
  }

  protected newConfig(project: ProjectSummaryDto): void {
    this.askName({
      title: 'New config',
      label: 'Config name',
      value: '',
      confirmLabel: 'Create',
      hint: `A copy of the default config (${project.default_config ?? 'none'}) in ${project.name}.`,
      submit: async (name) => {
        const { data } = await createProjectConfig({
          client: this.api,
          path: { id: project.id },
          body: { name },
        });
        await this.load(true);
        this.reveal(project.id, configKey(project, data.name));
      },
    });
  }

  protected duplicateConfig(project: ProjectSummaryDto, config: ConfigDto): void {
    this.askName({
      title: 'Duplicate config',
      label: 'New config name',
      value: `${config.name.replace(/\.ya?ml$/, '')}-copy`,
      confirmLabel: 'Duplicate',
      hint: `A copy of ${config.name}.`,
      submit: async (name) => {
        const { data } = await createProjectConfig({
          client: this.api,
          path: { id: project.id },
          body: { name, from: config.name },
        });
        await this.load(true);
        this.reveal(project.id, configKey(project, data.name));
      },
    });
  }

  private reveal(projectId: string, key: string): void {
    const tree = this.tree();
    if (!tree) return;
    this.expanded.update((s) => new Set([...s, ...ancestorKeys(tree, projectId), `project:${projectId}`]));
    const row = this.items().find((r) => r.key === key);
    if (row) this.focusKey(row);
  }

  private async cleanOutput(project: ProjectSummaryDto, config: ConfigDto): Promise<void> {
    await this.deleteArtifact(project, config, config.output_dir, 'output directory');
  }

  protected async deleteArtifact(
    project: ProjectSummaryDto,
    config: ConfigDto,
    path: string,
    what: string,
  ): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Delete ${what}`,
      message: `Delete ${path} and everything in it? This cannot be undone.`,
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await deleteConfigArtifact({
        client: this.api,
        path: { id: project.id, config: config.name },
        body: { path, confirmed: true },
      });
      this.toasts.success(`Deleted ${path}.`);
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
    await this.loadArtifacts(project, config);
  }

  private askName(prompt: NamePrompt): void {
    this.prompt.set(prompt);
  }

  protected artifactsOf(state: ArtifactsState | null): ArtifactsDto | null {
    return state && !state.loading ? (state.data ?? null) : null;
  }
}
