// Test helper (specs only): the cluster API as ClusterStore reads it, for a mocked API client.

/**
 * A member as GET /api/cluster/members lists it: reachable, neither master nor this node, one
 * address `10.0.0.<hostname length>`, 2 GPUs; `extra` overrides any of it (`is_self`, `reachable`…).
 */
export function clusterMember(node_id: string, hostname: string, extra: Record<string, unknown> = {}) {
  return {
    node_id,
    hostname,
    addresses: [`10.0.0.${hostname.length}`],
    api_url: null,
    versions: { trainyard: '1.0.0', node: '22', torch: null, cuda: null, nccl: null },
    interfaces: [],
    cpu_count: 4,
    cpu_model: null,
    ram_total_bytes: 1,
    gpus: { count: 2, names: [], memory_total_mib: 0 },
    started_at: '',
    heartbeat_at: '',
    reachable: true,
    last_seen_at: '',
    is_master: false,
    is_self: false,
    ...extra,
  };
}

type Member = ReturnType<typeof clusterMember>;
export type ClusterQuery = { priority?: number };

/**
 * Answers the cluster GETs of a cluster named `lab` of these members: /api/cluster/self (the member
 * marked `is_self`), /api/cluster/members (master: the member marked `is_master`) and
 * /api/cluster/gpus (`nodes(query)` as its nodes). Undefined for any other URL: the spec's own
 * mock answers those, e.g. `get: vi.fn(async ({ url, query }) => cluster(url, query) ?? …)`.
 */
export function clusterApi(members: Member[], nodes: (query: ClusterQuery | undefined) => unknown[]) {
  return (url: string, query?: ClusterQuery): { data: unknown } | undefined => {
    if (url === '/api/cluster/self')
      return { data: { cluster: 'lab', node: members.find((m) => m.is_self) } };
    if (url === '/api/cluster/members') {
      const master = members.find((m) => m.is_master)?.node_id ?? null;
      return { data: { cluster: 'lab', master_node_id: master, members } };
    }
    if (url === '/api/cluster/gpus') return { data: { nodes: nodes(query) } };
    return undefined;
  };
}
