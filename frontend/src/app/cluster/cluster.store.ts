import { Injectable, computed, inject, signal } from '@angular/core';
import {
  type ClusterMemberDto,
  type ClusterSelfDto,
  createPeerSession,
  getClusterMembers,
  getClusterSelf,
} from '@trainyard/sdk';
import { API } from '../core/api';
import { NewestAnswer } from '../core/newest-answer';
import { nodeLabels } from './node-label';

/**
 * Cluster membership for the console: GET /api/cluster/self (null = standalone, and the Nodes section
 * and Cluster view stay hidden) and the member table. Shared by the sidebar and the Cluster view.
 */
@Injectable({ providedIn: 'root' })
export class ClusterStore {
  private readonly api = inject(API);
  /** undefined until the first answer; null when the server is standalone. */
  readonly self = signal<ClusterSelfDto | null | undefined>(undefined);
  readonly members = signal<ClusterMemberDto[]>([]);
  /** What each member is called (see {@link nodeLabels}): its hostname, with an id suffix when shared. */
  private readonly labels = computed(() => nodeLabels(this.members()));
  /** Loads overlap (the sidebar's poll and the Cluster view's): the newest answer wins. */
  private readonly answers = new NewestAnswer();

  /** The console's name for node `nodeId`: its label, or `hostname` for a node not in the member table. */
  labelOf(nodeId: string, hostname: string): string {
    return this.labels().get(nodeId) ?? hostname;
  }

  async load(): Promise<void> {
    const ticket = this.answers.begin();
    const { data: self } = await getClusterSelf({ client: this.api });
    if (!this.answers.accept(ticket)) return;
    this.self.set(self ?? null);
    if (!self) {
      this.members.set([]);
      return;
    }
    const { data } = await getClusterMembers({ client: this.api });
    if (!this.answers.accept(ticket)) return;
    this.members.set(
      [...data.members].sort(
        (a, b) => a.hostname.localeCompare(b.hostname) || a.node_id.localeCompare(b.node_id),
      ),
    );
  }

  /** A one-shot sign-in URL for another node (its console with a 60 s single-use token). */
  async peerUrl(nodeId: string): Promise<string> {
    const { data } = await createPeerSession({ client: this.api, body: { node_id: nodeId } });
    return data.url;
  }
}
