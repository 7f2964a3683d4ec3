import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { ClusterService } from './cluster.service';
import {
  ClusterMasterDto,
  ClusterMembersDto,
  ClusterSelfDto,
  ListReplicatedQueryDto,
  ReplicatedPageDto,
} from './cluster.dto';

/** Cluster state. In standalone mode every route answers 200 with null or empty payloads. */
@ApiTags('cluster')
@ApiExtraModels(ClusterSelfDto)
@Controller('cluster')
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    private readonly journal: Journal,
  ) {}

  /** This node: identity, NATS connection state and replication progress; `null` when standalone. */
  @Get('self')
  @ApiErrors(401)
  @ApiOkResponse({ schema: { nullable: true, allOf: [{ $ref: getSchemaPath(ClusterSelfDto) }] } })
  async getClusterSelf(): Promise<ClusterSelfDto | null> {
    const connection = this.cluster.connectionState();
    const replication = await this.cluster.replicationState();
    if (!this.cluster.cluster || !connection || !replication) return null;
    const last = await this.journal.list({ order: 'desc', limit: 1 });
    return {
      cluster: this.cluster.cluster,
      node: {
        ...this.cluster.selfRecord(),
        reachable: connection.state === 'connected',
        last_seen_at: new Date().toISOString(),
        is_master: this.cluster.isMaster(),
        is_self: true,
      },
      connection,
      replication: { ...replication, journal_seq: last.items[0]?.seq ?? 0 },
    };
  }

  /** The member table: every node seen, with `reachable` from fresh heartbeats, and the master. */
  @Get('members')
  @ApiErrors(401)
  getClusterMembers(): ClusterMembersDto {
    const master = this.cluster.master();
    return {
      cluster: this.cluster.cluster,
      master_node_id: master?.node_id ?? null,
      members: this.cluster.memberList().map((m) => ({
        ...m,
        is_master: m.node_id === master?.node_id,
        is_self: m.node_id === this.cluster.nodeId,
      })),
    };
  }

  /** The master lease as this node sees it. */
  @Get('master')
  @ApiErrors(401)
  getClusterMaster(): ClusterMasterDto {
    const master = this.cluster.master();
    return {
      master_node_id: master?.node_id ?? null,
      is_self_master: this.cluster.isMaster(),
      lease_revision: master?.revision ?? null,
      acquired_at: master?.acquired_at ?? null,
    };
  }

  /**
   * The replicated journal view: every cluster node's entries in arrival order (empty when
   * standalone). Each (origin_node_id, seq) appears once.
   */
  @Get('journal')
  @ApiErrors(400, 401)
  async listClusterJournal(@Query() query: ListReplicatedQueryDto): Promise<ReplicatedPageDto> {
    const limit = query.limit ?? 100;
    const { items, total } = await this.cluster.replicatedView(query.after ?? 0, limit);
    const last = items.at(-1);
    return {
      items: items.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> })),
      total,
      next_cursor: items.length === limit && last ? String(last.stream_seq) : null,
    };
  }
}
