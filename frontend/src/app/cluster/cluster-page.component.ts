import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  inject,
  input,
  signal,
} from '@angular/core';
import {
  type BandwidthResultDto,
  type BundleDto,
  type ClusterMemberDto,
  type ClusterNodeGpusDto,
  type GpuDto,
  type JobDto,
  type LatencyResultDto,
  cancelClusterJob,
  getClusterBandwidth,
  getClusterGpus,
  getClusterLatency,
  listClusterJobs,
  listNodeJobs,
  refreshClusterBandwidth,
  refreshClusterLatency,
  setNodeGpuPolicy,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { NewestAnswer } from '../core/newest-answer';
import { ConfirmStore } from '../core/confirm.store';
import { formatTime, plural } from '../core/format';
import { startPolling } from '../core/poll';
import { ToastStore } from '../core/toast.store';
import { ClusterStore } from './cluster.store';
import { nodeHealth } from './health';
import { NodeLogComponent } from './node-log.component';

const POLL_MS = 3000;
/** Faster while a probe row says measuring, so it turns into figures as soon as it can. */
const MEASURING_POLL_MS = 1000;

interface ProbeRow {
  node_id: string;
  /** The peer's hostname, with a node id suffix when another node shares it. */
  name: string;
  latency: LatencyResultDto | undefined;
  bandwidth: BandwidthResultDto | undefined;
  /** False while the peer sends no heartbeats: a probe could not reach it. */
  reachable: boolean;
}

/**
 * A node's job list as last read. A read that failed is not an empty list: it says why, and only a
 * read that succeeded may say "No jobs".
 */
type NodeJobs =
  { state: 'loading' } | { state: 'loaded'; items: JobDto[] } | { state: 'failed'; error: string };

/** What a node card says when the node's GPUs could not be read. */
interface NoAnswer {
  /** Plain words, e.g. `Unreachable since 14:02:11`. */
  headline: string;
  /** The full time of the last heartbeat, for the tooltip; empty when not known. */
  since: string;
  /** What it means, in a sentence. */
  explanation: string;
}

/**
 * The Cluster view (`/cluster`): every node with its GPUs (a GPU's toggle disables it through the
 * node that owns it), a node's jobs and a job's log in place, the cluster jobs (bundles) with
 * per-rank status and Cancel, and the network probe table (latency and bandwidth per peer, Refresh
 * per peer, live "measuring…" rows).
 */
@Component({
  selector: 'ty-cluster-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [NodeLogComponent],
  templateUrl: './cluster-page.component.html',
  styleUrl: './cluster-page.component.css',
})
export class ClusterPageComponent {
  private readonly api = inject(API);
  /** Reloads overlap (the poll, Refresh, a probe's end): the newest answer wins. */
  private readonly answers = new NewestAnswer();
  private readonly confirm = inject(ConfirmStore);
  private readonly toasts = inject(ToastStore);
  protected readonly store = inject(ClusterStore);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  /** `?bundle=cj_…`: the cluster job to highlight (a multi-node submit lands here). */
  readonly bundle = input<string | undefined>();
  /** The highlighted bundle already scrolled into view and focused (once per id). */
  private revealed: string | undefined;

  protected readonly nodes = signal<ClusterNodeGpusDto[]>([]);
  /** The newest page of the bundles (GET /api/cluster/jobs' default 100), and how many there are in all. */
  protected readonly bundles = signal<BundleDto[]>([]);
  protected readonly bundlesTotal = signal(0);
  protected readonly latency = signal<LatencyResultDto[]>([]);
  protected readonly bandwidth = signal<BandwidthResultDto[]>([]);
  protected readonly error = signal<string | null>(null);
  /** `node:index` of GPU toggles in flight. */
  protected readonly busyGpus = signal<ReadonlySet<string>>(new Set());
  /** The node whose jobs are listed, and its jobs. */
  protected readonly jobsOf = signal<ClusterNodeGpusDto | null>(null);
  protected readonly nodeJobs = signal<NodeJobs>({ state: 'loading' });
  /** Counts the job list reads, so an older answer (a poll's) never replaces a newer one's. */
  private jobReads = 0;
  /** The log pane: a job on a node. */
  protected readonly log = signal<{ node_id: string; hostname: string; queue_id: string } | null>(null);

  protected readonly health = computed(() => {
    const members = this.store.members();
    return new Map(members.map((m) => [m.node_id, nodeHealth(m, members)]));
  });

  private readonly members = computed(
    () => new Map<string, ClusterMemberDto>(this.store.members().map((m) => [m.node_id, m])),
  );

  protected readonly probes = computed<ProbeRow[]>(() => {
    const lat = new Map(this.latency().map((r) => [r.peer_node_id, r]));
    const bw = new Map(this.bandwidth().map((r) => [r.peer_node_id, r]));
    return this.store
      .members()
      .filter((m) => !m.is_self)
      .map((m) => ({
        node_id: m.node_id,
        name: this.store.labelOf(m.node_id, m.hostname),
        latency: lat.get(m.node_id),
        bandwidth: bw.get(m.node_id),
        reachable: m.reachable,
      }));
  });

  private readonly measuring = computed(() =>
    [...this.latency(), ...this.bandwidth()].some((r) => r.state === 'measuring'),
  );

  constructor() {
    const stop = startPolling(
      () => this.load(),
      () => (this.measuring() ? MEASURING_POLL_MS : POLL_MS),
    );
    inject(DestroyRef).onDestroy(stop);
  }

  protected async load(): Promise<void> {
    const ticket = this.answers.begin();
    try {
      const [gpus, jobs, lat, bw] = await Promise.all([
        getClusterGpus({ client: this.api }),
        listClusterJobs({ client: this.api }),
        getClusterLatency({ client: this.api }),
        getClusterBandwidth({ client: this.api }),
        this.store.load(),
      ]);
      if (!this.answers.accept(ticket)) return;
      this.nodes.set(
        [...gpus.data.nodes].sort(
          (a, b) => a.hostname.localeCompare(b.hostname) || a.node_id.localeCompare(b.node_id),
        ),
      );
      this.bundles.set(jobs.data.items);
      this.bundlesTotal.set(jobs.data.total);
      this.reveal();
      this.latency.set(lat.data.items);
      this.bandwidth.set(bw.data.items);
      // The open job list is read again too; its failure is its own (shown in the list), not the page's.
      const of = this.jobsOf();
      if (of) await this.loadNodeJobs(of);
      this.error.set(null);
    } catch (err) {
      if (this.answers.accept(ticket)) this.error.set(errorMessage(err));
    }
  }

  /** Scrolls the highlighted bundle's row into view and focuses it, once it is listed. */
  private reveal(): void {
    const id = this.bundle();
    if (!id || id === this.revealed || !this.bundles().some((b) => b.id === id)) return;
    this.revealed = id;
    requestAnimationFrame(() => {
      const row = this.host.nativeElement.querySelector<HTMLElement>(`tr[data-bundle="${CSS.escape(id)}"]`);
      row?.scrollIntoView({ block: 'nearest' });
      row?.focus();
    });
  }

  /** What the page calls a node: its hostname, with a node id suffix when another node shares it. */
  protected name(node: { node_id: string; hostname: string }): string {
    return this.store.labelOf(node.node_id, node.hostname);
  }

  /**
   * What a card says instead of GPUs its node did not send: that it is unreachable and since when
   * (the member table's last heartbeat), in plain words. The server's error (NATS subjects, node ids)
   * is for whoever digs: the card shows it only under Details.
   */
  protected noAnswer(node: ClusterNodeGpusDto): NoAnswer {
    const member = this.members().get(node.node_id);
    if (!(member?.reachable ?? node.reachable)) {
      // formatTime: hh:mm:ss today, with the date before that; '—' when the time is not known.
      const seen = formatTime(member?.last_seen_at);
      return seen === '—'
        ? {
            headline: 'Unreachable',
            since: '',
            explanation: 'No heartbeat: the node is down or not connected to NATS.',
          }
        : {
            headline: `Unreachable since ${seen}`,
            since: `Last heartbeat ${new Date(member?.last_seen_at ?? '').toLocaleString()}`,
            explanation: 'No heartbeat since then: the node is down or not connected to NATS.',
          };
    }
    // Heartbeats arrive (or only just stopped: a node counts as unreachable after 3 s of silence).
    return {
      headline: 'No answer',
      since: '',
      explanation: 'The node did not answer when asked for its GPUs; the view asks again every few seconds.',
    };
  }

  /** Whether the node is this server: the member table says (a server refused its id is not that node). */
  protected isSelf(nodeId: string): boolean {
    return this.members().get(nodeId)?.is_self ?? false;
  }

  /** On a server refused its node id: whether the node is the other server, the one holding that id. */
  protected holdsOurId(nodeId: string): boolean {
    const self = this.store.self();
    return !!self?.refused && self.node.node_id === nodeId;
  }

  protected gpuBusy(node: ClusterNodeGpusDto, gpu: GpuDto): boolean {
    return this.busyGpus().has(`${node.node_id}:${gpu.index}`);
  }

  /** Flips a GPU's `disabled` policy on the node that owns it. */
  protected async toggleGpu(node: ClusterNodeGpusDto, gpu: GpuDto): Promise<void> {
    const key = `${node.node_id}:${gpu.index}`;
    this.busyGpus.update((s) => new Set(s).add(key));
    try {
      await setNodeGpuPolicy({
        client: this.api,
        path: { node_id: node.node_id, index: gpu.index },
        body: { disabled: !gpu.disabled },
      });
      await this.load();
    } catch (err) {
      this.toasts.error(`Could not change GPU ${gpu.index} on ${this.name(node)}: ${errorMessage(err)}.`);
    } finally {
      this.busyGpus.update((s) => {
        const next = new Set(s);
        next.delete(key);
        return next;
      });
    }
  }

  protected async showJobs(node: ClusterNodeGpusDto): Promise<void> {
    if (this.jobsOf()?.node_id === node.node_id) {
      this.jobsOf.set(null);
      return;
    }
    this.jobsOf.set(node);
    this.nodeJobs.set({ state: 'loading' });
    await this.loadNodeJobs(node);
  }

  /** The failed job list's Try again. */
  protected async retryJobs(): Promise<void> {
    const node = this.jobsOf();
    if (!node) return;
    this.nodeJobs.set({ state: 'loading' });
    await this.loadNodeJobs(node);
  }

  /** Reads a node's jobs into {@link nodeJobs} (the list says when that failed, and why); never throws. */
  private async loadNodeJobs(node: ClusterNodeGpusDto): Promise<void> {
    const read = ++this.jobReads;
    // Only the latest read counts, and only while this node's list is still open.
    const current = () => read === this.jobReads && this.jobsOf()?.node_id === node.node_id;
    try {
      const { data } = await listNodeJobs({
        client: this.api,
        path: { node_id: node.node_id },
        query: { limit: 50 },
      });
      if (current()) this.nodeJobs.set({ state: 'loaded', items: data.items });
    } catch (err) {
      if (current()) this.nodeJobs.set({ state: 'failed', error: errorMessage(err) });
    }
  }

  protected openLog(node_id: string, hostname: string, queue_id: string): void {
    this.log.set({ node_id, hostname, queue_id });
  }

  protected async cancel(b: BundleDto): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Cancel cluster job ${b.name ?? b.id}?`,
      message: `All ${plural(b.ranks.length, 'rank')} are stopped on their nodes (queued ones are removed).`,
      confirmLabel: 'Cancel job',
      dismissLabel: 'Keep',
      danger: true,
    });
    if (!ok) return;
    try {
      await cancelClusterJob({ client: this.api, path: { id: b.id } });
      await this.load();
    } catch (err) {
      this.toasts.error(`Could not cancel ${b.id}: ${errorMessage(err)}.`);
    }
  }

  /**
   * Cancel is offered while some rank can still be stopped: a queued or running bundle not cancelled
   * yet. Not for `unknown` (every rank that answered is done; the others' nodes are not answering, so
   * a cancel cannot reach them), nor `submitting` (the fan-out resolves it: rollback or submitted).
   */
  protected canCancel(b: BundleDto): boolean {
    return b.cancelled_at === null && (b.status === 'queued' || b.status === 'running');
  }

  /** A rank's status in words: `not queued` (its node has no job for it: refused, or never sent). */
  protected rankStatusText(status: string): string {
    return status === 'not_queued' ? 'not queued' : status;
  }

  /** Measures latency and bandwidth to one peer (or all, without `peer`); the rows say measuring at once. */
  protected async refreshProbes(peer?: string): Promise<void> {
    const query = peer ? { peer } : {};
    try {
      const [lat, bw] = await Promise.all([
        refreshClusterLatency({ client: this.api, query }),
        refreshClusterBandwidth({ client: this.api, query }),
      ]);
      this.latency.set(lat.data.items);
      this.bandwidth.set(bw.data.items);
    } catch (err) {
      this.toasts.error(`Could not start the probes: ${errorMessage(err)}.`);
    }
  }

  protected ms(v: number | null | undefined): string {
    return v === null || v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1);
  }
}
