import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, Max, Min } from 'class-validator';
import { CanonicalInt } from '@trainyard/core';

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
  /** The node's HTTP API, null before it listens. */
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
}

export class ClusterMembersDto {
  /** Cluster name, null when standalone. */
  cluster!: string | null;
  /** The current master's node id, null when standalone or while nobody holds the lease. */
  master_node_id!: string | null;
  /** Every member ever seen since this server started; silent ones stay with reachable false. */
  members!: ClusterMemberDto[];
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
