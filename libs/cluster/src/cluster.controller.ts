import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, atMostOneOf, DomainError, validationFailed } from '@trainyard/core';
import { SetGpuPolicyRequestDto, GpuPolicyDto } from '@trainyard/gpus';
import { JobDto, JobPageDto } from '@trainyard/jobs';
import { Journal } from '@trainyard/journal';
import { ClusterService } from './cluster.service';
import { ClusterJobs } from './cluster-jobs';
import type { LogChunk, NodeGpus } from './node-endpoint';
import {
  BundleDto,
  BundleIdParamDto,
  BundleListDto,
  ListBundlesQueryDto,
  ClusterGpusDto,
  ClusterGpusQueryDto,
  ClusterSubmitRequestDto,
  NodeGpuParamDto,
  NodeIdParamDto,
  NodeJobParamDto,
  NodeJobsQueryDto,
  NodeJobTtyQueryDto,
  PeerSessionDto,
  PeerSessionRequestDto,
  ClusterMasterDto,
  ClusterMembersDto,
  ClusterSelfDto,
  ListReplicatedQueryDto,
  ReplicatedPageDto,
  LatencyListDto,
  BandwidthListDto,
  ProbeRefreshQueryDto,
} from './cluster.dto';
import { NetworkProbes } from './probes';
import { capacityOf, submitTargetProblems } from './bundles';

/** Cluster state. In standalone mode every route answers 200 with null or empty payloads. */
@ApiTags('cluster')
@ApiExtraModels(ClusterSelfDto)
@Controller('cluster')
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    private readonly journal: Journal,
    private readonly jobs: ClusterJobs,
    private readonly probes: NetworkProbes,
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
        reachable: true, // to itself, always (the connection says how it stands with NATS)
        last_seen_at: new Date().toISOString(),
        is_master: this.cluster.isMaster(),
        is_self: true,
      },
      connection,
      replication: { ...replication, journal_seq: last.items[0]?.seq ?? 0 },
      identity_problem: this.cluster.identityProblem(),
      refused: this.cluster.refused,
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
        is_self: this.cluster.isThisNode(m.node_id),
      })),
      problem: this.cluster.connectionProblem(),
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

  // ---- any node's GPUs, jobs and logs, through the owning node ----

  /**
   * Every member's GPUs, each asked over NATS in parallel (a silent node has `gpus: null`), with how
   * many are idle eligible for a job of `priority`; empty when standalone.
   */
  @Get('gpus')
  @ApiErrors(400, 401)
  async getClusterGpus(@Query() query: ClusterGpusQueryDto): Promise<ClusterGpusDto> {
    const priority = query.priority ?? 0;
    const members = this.cluster.memberList();
    return {
      nodes: await Promise.all(
        members.map(async (m) => {
          try {
            const answer = await this.cluster.call<NodeGpus>(m.node_id, 'gpus', {}, 2000);
            const { start_blocker: _, held: __, ...gpus } = answer;
            const capacity = capacityOf(m, answer, priority);
            return {
              node_id: m.node_id,
              hostname: m.hostname,
              reachable: m.reachable,
              gpus,
              idle_eligible: capacity.idle,
              start_blocker: capacity.blocker,
              held: capacity.held,
              error: null,
            };
          } catch (err) {
            return {
              node_id: m.node_id,
              hostname: m.hostname,
              reachable: m.reachable,
              gpus: null,
              idle_eligible: null,
              start_blocker: null,
              held: null,
              error: (err as Error).message,
            };
          }
        }),
      ),
    };
  }

  /** Changes a GPU's policy on the node that owns it (as POST /api/gpus/{index}/policy there). */
  @Post('nodes/:node_id/gpus/:index/policy')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 503)
  async setNodeGpuPolicy(
    @Param() params: NodeGpuParamDto,
    @Body() body: SetGpuPolicyRequestDto,
  ): Promise<GpuPolicyDto> {
    this.knownNode(params.node_id);
    return this.cluster.call<GpuPolicyDto>(params.node_id, 'gpu_policy', {
      index: params.index,
      disabled: body.disabled,
      min_priority: body.min_priority,
    });
  }

  /** A node's jobs, newest first (as GET /api/jobs there). */
  @Get('nodes/:node_id/jobs')
  @ApiErrors(400, 401, 404, 503)
  async listNodeJobs(@Param() params: NodeIdParamDto, @Query() query: NodeJobsQueryDto): Promise<JobPageDto> {
    this.knownNode(params.node_id);
    return this.cluster.call<JobPageDto>(params.node_id, 'jobs', {
      limit: query.limit ?? 100,
      cursor: query.cursor,
    });
  }

  /** One job of a node. */
  @Get('nodes/:node_id/jobs/:queue_id')
  @ApiErrors(400, 401, 404, 503)
  async getNodeJob(@Param() params: NodeJobParamDto): Promise<JobDto> {
    this.knownNode(params.node_id);
    return this.cluster.call<JobDto>(params.node_id, 'job', { queue_id: params.queue_id });
  }

  /**
   * A job's terminal output from the node that runs it. Without `offset` or `last`: the backlog (the
   * last 512 KiB from a line start). With `offset`: the bytes from there (≤ 512 KiB); at the end of a
   * live log it waits up to `wait_ms` for more (long poll). With `last`: from that many lines before
   * the end (≤ 512 KiB). Follow a log by asking again at `X-Trainyard-Log-Next-Offset` until a read
   * is empty with `X-Trainyard-Log-Ended: true`. Giving both `offset` and `last`: 400.
   */
  @Get('nodes/:node_id/jobs/:queue_id/tty')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Raw terminal bytes (ANSI escapes included)', schema: { type: 'string' } })
  @ApiErrors(400, 401, 404, 503)
  @Header('Cache-Control', 'no-store')
  async getNodeJobLog(
    @Param() params: NodeJobParamDto,
    @Query() query: NodeJobTtyQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    atMostOneOf(query, ['offset', 'last']);
    this.knownNode(params.node_id);
    const waitMs = query.wait_ms ?? 0;
    const chunk = await this.cluster.call<LogChunk>(
      params.node_id,
      'log_read',
      { queue_id: params.queue_id, offset: query.offset ?? null, wait_ms: waitMs, last: query.last ?? null },
      waitMs + 5000,
    );
    await reply
      .header('Content-Type', 'text/plain; charset=utf-8')
      .header('X-Trainyard-Log-Offset', String(chunk.offset))
      .header('X-Trainyard-Log-Next-Offset', String(chunk.next_offset))
      .header('X-Trainyard-Log-Truncated', String(chunk.truncated))
      .header('X-Trainyard-Log-Ended', String(chunk.ended))
      .send(Buffer.from(chunk.data, 'base64'));
  }

  /**
   * A one-click sign-in link to another node: that node mints a 60 s single-use URL token (asked over
   * NATS) and this answers its console URL with it. 400 for this node itself, 503 when it is unreachable.
   * A server refused its node id signs in to the server that holds it, as to any other member.
   */
  @Post('peer_session')
  @HttpCode(200)
  @ApiErrors(400, 401, 404, 503)
  async createPeerSession(@Body() body: PeerSessionRequestDto): Promise<PeerSessionDto> {
    if (this.cluster.isThisNode(body.node_id))
      throw new DomainError('VALIDATION_FAILED', 'node_id is this node: you are signed in here already', [
        { field: 'node_id', message: 'is this node' },
      ]);
    const member = this.cluster.member(body.node_id);
    if (!member.reachable || !member.api_url)
      throw new DomainError('NODE_UNREACHABLE', `${member.hostname} is unreachable`);
    const { token } = await this.cluster.call<{ token: string }>(member.node_id, 'url_token');
    return { node_id: member.node_id, hostname: member.hostname, url: `${member.api_url}/?token=${token}` };
  }

  // ---- multi-node training ----

  /**
   * The multi-node bundles, newest first, a page at a time (`limit` default 100, `cursor` from
   * `next_cursor`), with per-rank and rolled-up status; the same list on every node (empty when
   * standalone). 400 for a malformed cursor or limit.
   */
  @Get('jobs')
  @ApiErrors(400, 401)
  async listClusterJobs(@Query() query: ListBundlesQueryDto): Promise<BundleListDto> {
    return this.jobs.list(query.limit ?? 100, query.cursor);
  }

  /**
   * Submits a multi-node training job: torchrun in c10d rendezvous mode on each participant, all or
   * nothing (a refused rank kills those already enqueued). Coordinated by the master. 400 without
   * exactly one of `participants` or `nodes` + `gpus_per_node`, or when `nodes` × `gpus_per_node`
   * can never be placed on this cluster (more nodes than it has, more GPUs than its nodes have); 409
   * CONFLICT when it could be but too few nodes have the GPUs idle now; 409 VERSION_MISMATCH unless
   * `allow_version_mismatch`; 422 NO_NETWORK_INTERFACE when a node's interface cannot be derived;
   * 409 CLUSTER_DISABLED when standalone.
   */
  @Post('jobs/submit')
  @HttpCode(201)
  @ApiErrors(400, 401, 403, 404, 409, 422, 503, 504)
  async submitClusterJob(@Body() body: ClusterSubmitRequestDto): Promise<BundleDto> {
    const problems = submitTargetProblems(body);
    if (problems.length) throw validationFailed(problems);
    return this.jobs.submit(body);
  }

  /** One bundle with live status. */
  @Get('jobs/:id')
  @ApiErrors(400, 401, 404)
  async getClusterJob(@Param() params: BundleIdParamDto): Promise<BundleDto> {
    return this.jobs.get(params.id);
  }

  /**
   * Cancels every rank of a bundle on its node (queued ones are removed, running ones stopped); 409
   * when nothing of it is left to stop (rolled back, or every rank ended).
   */
  @Post('jobs/:id/cancel')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async cancelClusterJob(@Param() params: BundleIdParamDto): Promise<BundleDto> {
    return this.jobs.cancel(params.id);
  }

  // ---- network probes ----

  /** The latest latency to each peer (cached 1 h), rows being measured included; empty when standalone. */
  @Get('latency')
  @ApiErrors(401)
  getClusterLatency(): LatencyListDto {
    return { items: this.probes.latencyList() };
  }

  /**
   * Measures the latency to `peer` (or every reachable peer) in the background: 30 NATS ping round
   * trips, the first 3 dropped, min/median/max in ms. Answers at once with those rows `measuring`;
   * poll GET /api/cluster/latency. 404 for an unknown peer, 400 for this node.
   */
  @Post('latency/refresh')
  @HttpCode(202)
  @ApiErrors(400, 401, 404)
  refreshClusterLatency(@Query() query: ProbeRefreshQueryDto): LatencyListDto {
    return { items: this.probes.refreshLatency(query.peer) };
  }

  /** The latest bandwidth from each peer (cached 1 h), rows being measured included; empty when standalone. */
  @Get('bandwidth')
  @ApiErrors(401)
  getClusterBandwidth(): BandwidthListDto {
    return { items: this.probes.bandwidthList() };
  }

  /**
   * Measures the bandwidth from `peer` (or every reachable peer) in the background: 4 parallel raw
   * TCP streams for ~2 s to a one-shot listener on the peer, authorised by a 32-byte token sent over
   * NATS; MB/s. Answers at once with those rows `measuring`. 404 for an unknown peer, 400 for this node.
   */
  @Post('bandwidth/refresh')
  @HttpCode(202)
  @ApiErrors(400, 401, 404)
  refreshClusterBandwidth(@Query() query: ProbeRefreshQueryDto): BandwidthListDto {
    return { items: this.probes.refreshBandwidth(query.peer) };
  }

  /** 404 for a node this node has never seen (its own id always works, standalone too). */
  private knownNode(nodeId: string): void {
    if (!this.cluster.isThisNode(nodeId)) this.cluster.member(nodeId);
  }
}
