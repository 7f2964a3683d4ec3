import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '@trainyard/metrics';
import { ClusterJobs } from './cluster-jobs';
import { ClusterService } from './cluster.service';

/**
 * Cluster mode's state for alerting, read at scrape time (nothing is registered standalone):
 * whether this node is connected to NATS and holds the master lease, which members send
 * heartbeats, and how many ranks of cancelled multi-node jobs their nodes have not stopped yet.
 */
@Injectable()
export class ClusterMetrics {
  constructor(metrics: MetricsRegistry, cluster: ClusterService, jobs: ClusterJobs) {
    if (!cluster.enabled) return;
    const registers = [metrics.registry];
    new Gauge({
      name: 'trainyard_cluster_nats_connected',
      help: 'This node is connected to the cluster’s NATS (1) or not (0: connecting or reconnecting)',
      registers,
      collect() {
        this.set(cluster.connectionState()?.state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'trainyard_cluster_is_master',
      help: 'This node holds the master lease (1) or not (0)',
      registers,
      collect() {
        this.set(cluster.isMaster() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'trainyard_cluster_member_up',
      help: 'A member sends heartbeats (1) or has been silent for more than 3 s (0), as this node sees it',
      labelNames: ['node_id', 'hostname'],
      registers,
      collect() {
        this.reset();
        for (const m of cluster.memberList())
          this.set({ node_id: m.node_id, hostname: m.hostname }, m.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'trainyard_cluster_cancels_pending',
      help: 'Ranks of cancelled or rolled-back multi-node jobs still queued, running or unanswered (the master’s last check; 0 elsewhere)',
      registers,
      collect() {
        this.set(cluster.isMaster() ? jobs.cancelsPending : 0);
      },
    });
  }
}
