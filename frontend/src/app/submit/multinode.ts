import type { ClusterMemberDto, ClusterSubmitRequestDto, SubmitJobRequestDto } from '@trainyard/sdk';
import { parseInteger } from '../core/numbers';
import type { FieldErrors } from './submit-form';

/** The job type a multi-node submit runs: torchrun with a script (POST /api/cluster/jobs/submit). */
export const MULTI_NODE_TYPE = 'training';
/** torchrun's c10d rendezvous port when none is given (the server's default too). */
export const DEFAULT_RDZV_PORT = 29400;

/** `off`: a plain single-node submit; `pick`: the nodes ticked in the list; `any`: N nodes the server picks. */
export type MultiNodeMode = 'off' | 'pick' | 'any';

/** One node's row in the pick list (text for the inputs, so empty is possible). */
export interface NodeChoice {
  use: boolean;
  gpus: string;
  /** NCCL/Gloo/TensorPipe interface; empty: the server derives it from the node's address. */
  ifname: string;
}

export interface MultiNodeValues {
  mode: MultiNodeMode;
  /** By node id; a node without an entry is unticked with 1 GPU (this node: ticked). */
  choices: Record<string, NodeChoice>;
  nodes: string;
  gpusPerNode: string;
  rdzvPort: string;
  allowVersionMismatch: boolean;
}

export function initialMultiNode(): MultiNodeValues {
  return {
    mode: 'off',
    choices: {},
    nodes: '2',
    gpusPerNode: '1',
    rdzvPort: String(DEFAULT_RDZV_PORT),
    allowVersionMismatch: false,
  };
}

/** Panel field keys for a node's row: `node.<id>`. */
export function nodeField(nodeId: string): string {
  return `node.${nodeId}`;
}

/** The panel's own error keys (besides `node.<id>`); `multinode` is the refusal as a whole. */
export const MULTI_NODE_FIELDS = ['multinode', 'nodes', 'gpus_per_node', 'rdzv_port'];

/** The members one can pick, in rank order: reachable only, this node first, then by hostname. */
export function pickable(members: readonly ClusterMemberDto[]): ClusterMemberDto[] {
  return members
    .filter((m) => m.reachable)
    .sort(
      (a, b) =>
        Number(b.is_self) - Number(a.is_self) ||
        a.hostname.localeCompare(b.hostname) ||
        a.node_id.localeCompare(b.node_id),
    );
}

export function choiceOf(values: MultiNodeValues, member: ClusterMemberDto): NodeChoice {
  return values.choices[member.node_id] ?? { use: member.is_self, gpus: '1', ifname: '' };
}

/**
 * POST /api/cluster/jobs/submit's body from the dialog's training request (`single`, already checked
 * by buildBody) and the panel: the ticked nodes in rank order (`members` as `pickable` lists them),
 * or `nodes` × `gpus_per_node`. Errors by panel field (`node.<id>`, `nodes`, ...) stop it.
 */
export function buildClusterBody(
  single: SubmitJobRequestDto,
  mn: MultiNodeValues,
  members: readonly ClusterMemberDto[],
): { body: ClusterSubmitRequestDto } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const params = single.job_params ?? {};
  const nproc = typeof params['nproc_per_node'] === 'number' ? params['nproc_per_node'] : undefined;
  const body: ClusterSubmitRequestDto = {
    script: String(params['script'] ?? ''),
    priority: single.priority ?? 0,
  };
  if (Array.isArray(params['args'])) body.args = params['args'] as string[];
  if (typeof params['torchrun'] === 'string' && params['torchrun']) body.torchrun = params['torchrun'];
  if (single.name) body.name = single.name;
  if (single.cwd) body.cwd = single.cwd;
  if (single.env) body.env = single.env;

  if (mn.mode === 'pick') {
    const participants: NonNullable<ClusterSubmitRequestDto['participants']> = [];
    for (const m of pickable(members)) {
      const c = choiceOf(mn, m);
      if (!c.use) continue;
      const gpus = parseInteger(c.gpus);
      if (gpus === null || gpus < 0 || gpus > 1024) {
        errors[nodeField(m.node_id)] = 'GPUs: a whole number, 0 to 1024.';
        continue;
      }
      const ifname = c.ifname.trim();
      participants.push({
        node_id: m.node_id,
        gpus,
        ...(nproc !== undefined ? { nproc_per_node: nproc } : {}),
        ...(ifname ? { ifname } : {}),
      });
    }
    if (!participants.length && !Object.keys(errors).length) errors['multinode'] = 'Tick at least one node.';
    body.participants = participants;
  } else {
    const nodes = parseInteger(mn.nodes);
    if (nodes === null || nodes < 1 || nodes > 256) errors['nodes'] = 'A whole number, 1 to 256.';
    const perNode = parseInteger(mn.gpusPerNode);
    if (perNode === null || perNode < 1 || perNode > 1024)
      errors['gpus_per_node'] = 'A whole number, 1 to 1024.';
    if (nproc !== undefined)
      errors['job_params.nproc_per_node'] =
        'With "any N nodes" each node runs one worker per GPU: leave this empty, or pick the nodes.';
    body.nodes = nodes ?? undefined;
    body.gpus_per_node = perNode ?? undefined;
  }

  if (mn.rdzvPort.trim() !== '') {
    const port = parseInteger(mn.rdzvPort);
    if (port === null || port < 1 || port > 65535) errors['rdzv_port'] = 'A port, 1 to 65535.';
    else body.rdzv_port = port;
  }
  if (mn.allowVersionMismatch) body.allow_version_mismatch = true;
  return Object.keys(errors).length ? { errors } : { body };
}

/**
 * Maps a refusal's `details[].field` to the field showing it: `participants[1].ifname` → that node's
 * row (by the order sent), `script`/`args`/`torchrun` → the training parameters.
 */
export function clusterFormField(field: string, body: ClusterSubmitRequestDto): string {
  const participant = /^participants\[(\d+)\]/.exec(field);
  if (participant) {
    const p = body.participants?.[Number(participant[1])];
    return p ? nodeField(p.node_id) : 'multinode';
  }
  if (field === 'participants') return 'multinode';
  if (['script', 'args', 'torchrun'].includes(field)) return `job_params.${field}`;
  return field.split(/[.[]/)[0] ?? field;
}
