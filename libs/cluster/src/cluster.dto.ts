import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import {
  CanonicalInt,
  Label,
  NODE_ID_PATTERN,
  nodeIdProblem,
  normalNodeId,
  PageQueryDto,
  QUEUE_ID_PATTERN,
} from '@trainyard/core';
import { GpuListDto } from '@trainyard/gpus';
import { EMPTY_PARTICIPANTS } from './bundles';

export class NetworkInterfaceDto {
  /** Interface name, e.g. `eth0` (what `NCCL_SOCKET_IFNAME` takes). */
  name!: string;
  @ApiProperty({ enum: ['IPv4', 'IPv6'] })
  family!: 'IPv4' | 'IPv6';
  address!: string;
  /** `address/prefix`, e.g. `192.168.1.27/24`. */
  cidr!: string;
  /** True for loopback. */
  internal!: boolean;
}

export class NodeVersionsDto {
  trainyard!: string;
  /** Node.js version of the server. */
  node!: string;
  /** torch version, null when `python3 -c 'import torch'` fails on this node. */
  torch!: string | null;
  /** CUDA runtime torch was built with. */
  cuda!: string | null;
  /** NCCL version torch bundles. */
  nccl!: string | null;
}

export class GpuSummaryDto {
  count!: number;
  /** Distinct model names. */
  names!: string[];
  /** Sum of every GPU's memory, MiB. */
  memory_total_mib!: number;
}

export class ClusterMemberDto {
  /** Stable node id (a UUID kept in the state dir). */
  node_id!: string;
  hostname!: string;
  /** Addresses peers dial, preferred first (`--cluster-address`, else detected IPv4 addresses). */
  addresses!: string[];
  /**
   * The node's HTTP API: `--advertise-url`, else what it listens on (a loopback URL when it is bound
   * to loopback: other hosts cannot reach it); null before it listens.
   */
  api_url!: string | null;
  versions!: NodeVersionsDto;
  interfaces!: NetworkInterfaceDto[];
  cpu_count!: number;
  cpu_model!: string | null;
  ram_total_bytes!: number;
  gpus!: GpuSummaryDto;
  /** ISO 8601 start time of the node's server process. */
  started_at!: string;
  /** ISO 8601 time of its last heartbeat, by its own clock. */
  heartbeat_at!: string;
  /** True while its heartbeats (every 1 s) keep arriving; false after 3 s of silence. */
  reachable!: boolean;
  /** ISO 8601 time this node last saw its heartbeat, by this node's clock. */
  last_seen_at!: string;
  /** Whether it holds the master lease. */
  is_master!: boolean;
  /** Whether it is the node answering. */
  is_self!: boolean;
}

export class ClusterConnectionDto {
  @ApiProperty({ enum: ['connecting', 'connected', 'reconnecting', 'closed'] })
  state!: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  /** The NATS server in use, null when not connected. */
  server!: string | null;
  /** ISO 8601 time the state last changed. */
  since!: string;
  /** Why it is not connected, null once it is. */
  last_error!: string | null;
}

export class ClusterReplicationDto {
  /** The last local journal seq the cluster stream acknowledged (later ones are still to send). */
  published_seq!: number;
  /** The highest local journal seq. */
  journal_seq!: number;
  /** The last stream sequence copied into the replicated view. */
  consumed_stream_seq!: number;
}

export class ClusterSelfDto {
  cluster!: string;
  node!: ClusterMemberDto;
  connection!: ClusterConnectionDto;
  replication!: ClusterReplicationDto;
  /**
   * What is wrong with this node's id, null when nothing: another live server holds it (this one is
   * refused a place: it serves no node calls and takes no ranks), or another server with this id
   * was refused. Says how to fix it.
   */
  identity_problem!: string | null;
  /**
   * Whether this server is refused its node id (identity_problem says why): another server is that
   * node, so the member listed with this `node.node_id` is that other server (`is_self` false), not this one.
   */
  refused!: boolean;
}

export class ClusterMembersDto {
  /** Cluster name, null when standalone. */
  cluster!: string | null;
  /** The current master's node id, null when standalone or while nobody holds the lease. */
  master_node_id!: string | null;
  /** Every member ever seen since this server started; silent ones stay with reachable false. */
  members!: ClusterMemberDto[];
  /**
   * Why this table is not live, null while it is: this node is not connected to NATS (the other
   * members' `reachable` is as last seen, their state unknown now), or another server holds its id.
   */
  problem!: string | null;
}

export class ClusterMasterDto {
  master_node_id!: string | null;
  is_self_master!: boolean;
  /** The lease key's revision for the current term: a fencing token, larger for each new master. */
  lease_revision!: number | null;
  /** ISO 8601 time this master took the lease. */
  acquired_at!: string | null;
}

export class ListReplicatedQueryDto {
  /** Entries that arrived after this stream sequence (a cursor from next_cursor). */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  after?: number;

  /** Page size, 1..1000. */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ReplicatedEntryDto {
  origin_node_id!: string;
  /** The entry's seq in its origin node's journal. */
  seq!: number;
  ts!: string;
  type!: string;
  payload!: Record<string, unknown>;
  /** Arrival order across the cluster (the stream sequence). */
  stream_seq!: number;
}

export class ReplicatedPageDto {
  items!: ReplicatedEntryDto[];
  /** Entries in the whole replicated view. */
  total!: number;
  /** Pass as `after` for the next page; null at the end. */
  next_cursor!: string | null;
}

// ---- inter-node views (GPUs, jobs, logs of any node) ----

/** A node id field or path parameter: one rule everywhere; upper-case hex is taken as its lower case. */
function IsNodeId(field: string): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (normalNodeId(value) ?? value) : value,
    ),
    Matches(NODE_ID_PATTERN, { message: (args) => nodeIdProblem(field, args.value) }),
  );
}

export class NodeIdParamDto {
  /** A cluster member's node id (GET /api/cluster/members). */
  @IsNodeId('node_id')
  node_id!: string;
}

export class NodeGpuParamDto extends NodeIdParamDto {
  /** The GPU's index on that node. */
  @CanonicalInt()
  @Min(0)
  @ApiProperty({ type: 'integer' })
  index!: number;
}

export class NodeJobParamDto extends NodeIdParamDto {
  /** A queue id on that node, `q_<ms>_<8 hex>`. */
  @Matches(QUEUE_ID_PATTERN, { message: 'queue_id must look like q_<13 digits>_<8 hex>' })
  queue_id!: string;
}

/** Page size 1..1000 (default 100); `cursor`: the `next_cursor` of the previous page. */
export class NodeJobsQueryDto extends PageQueryDto {}

export class NodeJobTtyQueryDto {
  /** Byte offset to read from (a previous `X-Trainyard-Log-Next-Offset`); left out: the backlog (last 512 KiB). */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  offset?: number;

  /**
   * Start this many lines before the end instead of `offset`, as `tail -n` counts them (an
   * unfinished last line is one); 0 starts at the end. Found by reading back from the end.
   */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  @Max(1e15)
  last?: number;

  /** With `offset` at the end of the log, wait up to this many ms for new bytes (long poll; 0..20000). */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  @Max(20000)
  wait_ms?: number;
}

/** Idle GPUs a node's scheduler holds for its top waiting job until that job can start. */
export class HeldGpusDto {
  /** The waiting job they are held for. */
  queue_id!: string;
  /** Its ordering priority (aging included; may be fractional): a rank of this priority or lower comes after it. */
  priority!: number;
  /** The held GPUs, ascending. */
  @ApiProperty({ type: 'integer', isArray: true })
  gpu_indices!: number[];
}

export class ClusterNodeGpusDto {
  node_id!: string;
  hostname!: string;
  reachable!: boolean;
  /** The node's GET /api/gpus answer; null when it did not answer. */
  gpus!: GpuListDto | null;
  /**
   * How many of its GPUs a rank of the asked `priority` could be placed on now (not excluded, not in
   * MIG mode, not disabled, not reserved, minimum priority met; none while `start_blocker`): the
   * count a multi-node submit picks nodes by. Null when `gpus` is.
   */
  idle_eligible!: number | null;
  /**
   * Why nothing can start on the node now (its scheduler is paused or still starting, its state
   * directory is missing): a submit neither picks it nor sends it a rank. Null when jobs can start
   * there (or `gpus` is null).
   */
  start_blocker!: string | null;
  /**
   * Idle GPUs the node's scheduler holds for a waiting job that a rank of the asked `priority` would
   * be placed after (not counted in `idle_eligible`); null when none are, or `gpus` is null.
   */
  @ApiProperty({ type: () => HeldGpusDto, nullable: true })
  held!: HeldGpusDto | null;
  /** Why `gpus` is null. */
  error!: string | null;
}

export class ClusterGpusQueryDto {
  /** The job priority the `idle_eligible` counts are for (default 0). */
  @ApiProperty({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000, required: false, default: 0 })
  @IsOptional()
  @CanonicalInt({ signed: true })
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;
}

export class ClusterGpusDto {
  /** Every member, this node included (empty when standalone). */
  nodes!: ClusterNodeGpusDto[];
}

export class PeerSessionRequestDto {
  /** The node to sign in to. */
  @IsString()
  @IsNodeId('node_id')
  node_id!: string;
}

export class PeerSessionDto {
  node_id!: string;
  hostname!: string;
  /** Open in a browser: the node's console with a 60 s single-use `?token=`. */
  url!: string;
}

// ---- multi-node training ----

export class BundleParticipantDto {
  /** A cluster member; the list order is the node rank order. */
  @IsString()
  @IsNodeId('node_id')
  node_id!: string;

  /** GPUs to reserve on that node (0..1024). */
  @IsInt()
  @Min(0)
  @Max(1024)
  gpus!: number;

  /** torchrun workers on that node (default: gpus, or 1). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  nproc_per_node?: number;

  /** The socket interface for NCCL/Gloo/TensorPipe (default: the one carrying the node's advertised address). */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:@-]{1,64}$/, { message: 'ifname must be an interface name' })
  ifname?: string;
}

export class ClusterSubmitRequestDto {
  /** The training script, at the same path on every node. */
  @IsString()
  @MaxLength(4096)
  @Matches(/^[^\0]+$/, { message: 'script must be a non-empty path without NUL bytes' })
  script!: string;

  /** Arguments passed to the script. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  args?: string[];

  /** torchrun executable on every node (default `torchrun`). */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  torchrun?: string;

  @IsOptional()
  @Label(200, { required: false })
  name?: string;

  @ApiProperty({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000, required: false, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;

  /** Working directory on every node (default: the server user's home). */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  cwd?: string;

  /** Extra environment for every rank. */
  @IsOptional()
  @IsObject()
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  env?: Record<string, string>;

  /** The nodes in rank order with their GPUs; or give `nodes` + `gpus_per_node` instead (one of the two). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: EMPTY_PARTICIPANTS })
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => BundleParticipantDto)
  participants?: BundleParticipantDto[];

  /** Let Trainyard pick this many nodes with `gpus_per_node` idle eligible GPUs each (not with participants). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  nodes?: number;

  /** GPUs to reserve on each of the `nodes` picked (required with `nodes`). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  gpus_per_node?: number;

  /** The rendezvous host (default: the first participant, rank 0). */
  @IsOptional()
  @IsString()
  @IsNodeId('rdzv_node_id')
  rdzv_node_id?: string;

  /** The c10d rendezvous port (default 29400). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  rdzv_port?: number;

  /** Submit even when the nodes' trainyard/torch/CUDA/NCCL versions differ (else 409). */
  @IsOptional()
  @IsBoolean()
  allow_version_mismatch?: boolean;
}

const RANK_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'not_queued', 'unknown'] as const;
// A bundle is never `not_queued`: one with such a rank is `submitting` or (rolled back) `failed`.
const BUNDLE_STATUSES = [
  'queued',
  'running',
  'done',
  'failed',
  'cancelled',
  'unknown',
  'submitting',
] as const;
const BUNDLE_STATES = ['submitting', 'submitted', 'failed'] as const;

export class BundleRankDto {
  node_rank!: number;
  node_id!: string;
  hostname!: string;
  /**
   * The rank's job on its node (GET /api/cluster/nodes/{node_id}/jobs/{queue_id}/tty for its log);
   * null while the bundle is `submitting` and the rank not yet enqueued, or when it was rolled back first.
   */
  @ApiProperty({ type: String, nullable: true })
  queue_id!: string | null;
  /** The rank's plan key `<bundle id>/<node rank>`: its enqueue's idempotency key on its node. */
  enqueue_key!: string;
  gpus!: number;
  nproc_per_node!: number;
  /** NCCL_SOCKET_IFNAME = GLOO_SOCKET_IFNAME = TP_SOCKET_IFNAME on that node. */
  ifname!: string;
  /** The rank's command line (torchrun in c10d rendezvous mode). */
  argv!: string[];
  /**
   * `unknown`: its node did not answer. `not_queued`: its node has no job for it — it refused the
   * rank, or the order never went out (a rolled-back bundle), or not yet (`submitting`); `cancelled`:
   * its job was removed from the queue or aborted.
   */
  @ApiProperty({ enum: RANK_STATUSES, enumName: 'ClusterRankStatus' })
  status!: (typeof RANK_STATUSES)[number];
}

export class BundleDto {
  /** `cj_<ms>_<8 hex>`. */
  id!: string;
  name!: string | null;
  created_at!: string;
  /**
   * failed > running > cancelled > queued > done over the ranks; done only when every rank is done.
   * A rolled-back bundle (state `failed`) is `failed`; one still being fanned out is `submitting`.
   */
  @ApiProperty({ enum: BUNDLE_STATUSES, enumName: 'ClusterBundleStatus' })
  status!: (typeof BUNDLE_STATUSES)[number];
  /**
   * The submit: `submitting` (intent journaled, ranks going out — or its master stopped and the next
   * master has not resolved it yet), `submitted` (every rank enqueued), `failed` (rolled back: every
   * enqueued rank cancelled; see failure_reason).
   */
  @ApiProperty({ enum: BUNDLE_STATES, enumName: 'ClusterBundleState' })
  state!: (typeof BUNDLE_STATES)[number];
  /** Why a `failed` bundle was rolled back; null otherwise. */
  @ApiProperty({ type: String, nullable: true })
  failure_reason!: string | null;
  cancelled_at!: string | null;
  /** The master that fanned it out and its lease revision then. */
  master_node_id!: string;
  lease_revision!: number;
  script!: string;
  args!: string[];
  priority!: number;
  /** `host:port` of the c10d rendezvous. */
  rdzv_endpoint!: string;
  rdzv_id!: string;
  rdzv_node_id!: string;
  ranks!: BundleRankDto[];
  /** Version differences an `allow_version_mismatch` submit went ahead with. */
  warnings!: string[];
}

export class BundleListDto {
  /** Newest first; the same on every node. */
  items!: BundleDto[];
  /** How many bundles there are in all. */
  total!: number;
  /** Pass as `cursor` to get the next page; null at the end. */
  next_cursor!: string | null;
}

/** `?limit=&cursor=` for GET /api/cluster/jobs. */
export class ListBundlesQueryDto extends PageQueryDto {}

export class BundleIdParamDto {
  @Matches(/^cj_\d{13}_[0-9a-f]{8}$/, { message: 'id must look like cj_<13 digits>_<8 hex>' })
  id!: string;
}

// ---- network probes ----

export class ProbeRefreshQueryDto {
  /** Measure only this peer (a member's node id); left out: every reachable peer. */
  @IsOptional()
  @IsNodeId('peer')
  peer?: string;
}

const PROBE_STATES = ['measuring', 'done', 'failed'];

export class LatencyResultDto {
  peer_node_id!: string;
  hostname!: string;
  /** `measuring` while a refresh runs (the previous figures stay until it ends). */
  @ApiProperty({ enum: PROBE_STATES })
  state!: 'measuring' | 'done' | 'failed';
  /** Why the last measurement failed. */
  error!: string | null;
  /** ISO 8601 time of the last finished measurement. */
  measured_at!: string | null;
  /** Round trips kept (30 sent, the first 3 dropped). */
  samples!: number | null;
  /** NATS request/reply round trip, milliseconds. */
  min_ms!: number | null;
  median_ms!: number | null;
  max_ms!: number | null;
}

export class LatencyListDto {
  /** One row per peer measured in the last hour (empty when standalone). */
  items!: LatencyResultDto[];
}

export class BandwidthResultDto {
  peer_node_id!: string;
  hostname!: string;
  @ApiProperty({ enum: PROBE_STATES })
  state!: 'measuring' | 'done' | 'failed';
  error!: string | null;
  measured_at!: string | null;
  /** Parallel TCP streams used (4). */
  streams!: number | null;
  /** Bytes received from the peer in all streams. */
  bytes!: number | null;
  /** Wall time from the first connect to the last stream's end. */
  seconds!: number | null;
  /** Throughput from the peer to this node, MB/s (10^6 bytes per second). */
  mb_per_s!: number | null;
}

export class BandwidthListDto {
  items!: BandwidthResultDto[];
}
