import type { Command } from 'commander';
import {
  cancelClusterJob,
  getClusterGpus,
  getClusterJob,
  getClusterMaster,
  getClusterMembers,
  getClusterSelf,
  getNodeJob,
  getNodeJobLog,
  listClusterJobsUpTo,
  submitClusterJob,
  TrainyardApiError,
  type BundleDto,
  type BundleParticipantDto,
  type BundleRankDto,
  type Client,
  type ClusterGpusDto,
  type ClusterMasterDto,
  type ClusterMemberDto,
  type ClusterMembersDto,
  type ClusterSelfDto,
  type ClusterSubmitRequestDto,
  type ErrorDetailDto,
  escapeControls,
} from '@trainyard/sdk';
import {
  collect,
  listLimit,
  parseInteger,
  parsePriority,
  parseTailLines,
  splitKeyValue,
  tailLinesOption,
} from '../args';
import type { CliContext } from '../context';
import { jobCwd, shellCwd } from '../job-cwd';
import { CliError, EXIT, formatFieldError, toCliError } from '../errors';
import { TerminalOutputFilter } from '../terminal-filter';
import { Cell, formatAge, renderPairs, renderTable } from '../format';
import { onlyOne } from '../job-id';
import type { CommandRunner } from './runner';
import { exitCodeFor } from './job.command';
import { statusStyle } from './sched.command';

/** A whole bundle id, as the server makes them (`cj_<ms>_<8 hex>`). */
export const BUNDLE_ID = /^cj_\d{13}_[0-9a-f]{8}$/;

/**
 * A node as the server's messages name it: `gpu-box (1234abcd)`, the hostname and the first 8 hex
 * of its node id (nodes may share a hostname).
 */
export function nodeLabel(node: Pick<ClusterMemberDto, 'hostname' | 'node_id'>): string {
  return `${node.hostname} (${node.node_id.slice(0, 8)})`;
}

/**
 * `reachable`, or `unreachable (last seen 12s ago)`; `unknown (...)` for another member while this
 * node is not connected to NATS (`connected` false): it cannot tell.
 */
export function memberState(
  member: Pick<ClusterMemberDto, 'reachable' | 'last_seen_at'> & Partial<Pick<ClusterMemberDto, 'is_self'>>,
  now = Date.now(),
  connected = true,
): string {
  if (!connected && !member.is_self)
    return `unknown (this node is not connected to NATS; last seen ${formatAge(member.last_seen_at, now)} ago)`;
  return member.reachable
    ? 'reachable'
    : `unreachable (last seen ${formatAge(member.last_seen_at, now)} ago)`;
}

/** `1/1 idle`: GPUs a priority-0 job could be placed on now (GET /api/cluster/gpus) of all; `-` unknown. */
export function gpuCell(
  member: Pick<ClusterMemberDto, 'node_id' | 'gpus'>,
  gpus: ClusterGpusDto | null,
): string {
  const view = gpus?.nodes.find((n) => n.node_id === member.node_id);
  if (!view?.gpus || view.idle_eligible === null) return `?/${member.gpus.count}`;
  return `${view.idle_eligible}/${view.gpus.gpus.length} idle`;
}

/** What `cluster status --json` prints: the four answers it is made of. */
export interface ClusterStatus {
  self: ClusterSelfDto | null;
  members: ClusterMembersDto;
  master: ClusterMasterDto;
  /** Null when GET /api/cluster/gpus did not answer. */
  gpus: ClusterGpusDto | null;
}

/** GET /api/cluster/self answers `null` standalone (an empty body reads as `{}`). */
export function isStandalone(self: ClusterSelfDto | null | undefined): boolean {
  return !self?.cluster;
}

/**
 * Who member `m` is to the server answering: `this node`, or — on a server refused its node id — the
 * other server, the one that holds that id (its row has the same node id, but is not this server).
 */
function whoIs(self: ClusterSelfDto, m: Pick<ClusterMemberDto, 'node_id' | 'is_self'>): string {
  if (m.is_self) return 'this node';
  return self.refused && m.node_id === self.node.node_id ? 'another server with this node id' : '';
}

export function renderClusterStatus(ctx: CliContext, status: ClusterStatus, now = Date.now()): string {
  const { self, members, master, gpus } = status;
  if (!self || isStandalone(self)) return 'standalone (not in a cluster)\n';
  const c = self.connection;
  const nats =
    c.state === 'connected'
      ? `connected to ${c.server ?? '?'}, for ${formatAge(c.since, now)}`
      : `${c.state}, for ${formatAge(c.since, now)}${c.last_error ? `: ${c.last_error}` : ''}`;
  const masterMember = members.members.find((m) => m.node_id === members.master_node_id);
  const masterText =
    members.master_node_id === null
      ? 'none right now (a failover is under way, or no NATS)'
      : `${masterMember ? nodeLabel(masterMember) : members.master_node_id}` +
        `${masterMember && whoIs(self, masterMember) ? `, ${whoIs(self, masterMember)}` : ''}` +
        `${master.lease_revision === null ? '' : ` (lease revision ${master.lease_revision})`}`;
  const reachable = members.members.filter((m) => m.reachable).length;
  let text = renderPairs([
    ['cluster', self.cluster],
    [
      'node',
      `${nodeLabel(self.node)}  ${self.node.node_id}` +
        (self.refused ? '  (refused a place in the cluster under this node id, see problem)' : ''),
    ],
    ['nats', nats],
    ['master', masterText],
    ['members', `${members.members.length} (${reachable} reachable)`],
    ...(self.identity_problem ? [['problem', self.identity_problem] as [string, string]] : []),
    ...(members.problem && members.problem !== self.identity_problem
      ? [['problem', members.problem] as [string, string]]
      : []),
  ]);
  const connected = c.state === 'connected';
  if (!members.members.length) return text;
  const rows: Cell[][] = members.members.map((m) => [
    nodeLabel(m),
    {
      text: memberState(m, now, connected),
      style: !connected && !m.is_self ? ctx.colors.yellow : m.reachable ? ctx.colors.green : ctx.colors.red,
    },
    [m.is_master ? 'master' : '', whoIs(self, m)].filter(Boolean).join(', '),
    gpuCell(m, gpus),
    m.versions.trainyard,
    m.addresses[0] ?? '-',
  ]);
  text +=
    '\n' +
    renderTable(
      [
        { header: 'NODE' },
        { header: 'STATE' },
        { header: 'ROLE' },
        { header: 'GPUS', align: 'right' },
        { header: 'VERSION' },
        { header: 'ADDRESS' },
      ],
      rows,
    );
  return text;
}

function rankStyle(ctx: CliContext, status: string) {
  // A rank's job that was aborted reads `cancelled` in a bundle; `unknown`: its node did not answer;
  // `not_queued`: its node has no job for it (refused, or never sent: nothing ran).
  if (status === 'unknown') return ctx.colors.red;
  if (status === 'not_queued') return ctx.colors.dim;
  return statusStyle(ctx, status === 'cancelled' ? 'aborted' : status);
}

/** A rank's status in words: `not queued` for `not_queued`, else as the API says it. */
export function rankStatusText(status: string): string {
  return status === 'not_queued' ? 'not queued' : status;
}

/** `gpu-box (1234abcd): running, gpu-box (5678abcd): not queued`. */
export function ranksSummary(ranks: readonly BundleRankDto[]): string {
  return ranks.map((r) => `${nodeLabel(r)}: ${rankStatusText(r.status)}`).join(', ');
}

/** The bundles table of `cluster jobs`; RANKS is cut to fit a terminal, whole into a file or a pipe. */
export function renderBundles(ctx: CliContext, bundles: readonly BundleDto[], now = Date.now()): string {
  const rows: Cell[][] = bundles.map((b) => [
    b.id,
    b.name ?? '',
    { text: b.status, style: rankStyle(ctx, b.status) },
    formatAge(b.created_at, now),
    ranksSummary(b.ranks),
  ]);
  return renderTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'STATUS' },
      { header: 'AGE', align: 'right' },
      { header: 'RANKS' },
    ],
    rows,
    { width: ctx.terminalWidth },
  );
}

/** One row per rank: its node, status, GPUs and its job there. */
export function renderRanks(ctx: CliContext, ranks: readonly BundleRankDto[]): string {
  return renderTable(
    [
      { header: 'RANK', align: 'right' },
      { header: 'NODE' },
      { header: 'STATUS' },
      { header: 'GPUS', align: 'right' },
      { header: 'NPROC', align: 'right' },
      { header: 'IFNAME' },
      { header: 'JOB' },
    ],
    ranks.map((r) => [
      String(r.node_rank),
      nodeLabel(r),
      { text: rankStatusText(r.status), style: rankStyle(ctx, r.status) },
      String(r.gpus),
      String(r.nproc_per_node),
      r.ifname,
      r.queue_id ?? '-',
    ]),
  );
}

/** `cluster jobs <id>`: the bundle's fields, then its ranks. */
export function renderBundle(ctx: CliContext, bundle: BundleDto, now = Date.now()): string {
  const when = (iso: string | null) => (iso ? `${iso}  (${formatAge(iso, now)} ago)` : '-');
  const byId = (id: string) => {
    const rank = bundle.ranks.find((r) => r.node_id === id);
    return rank ? nodeLabel(rank) : id.slice(0, 8);
  };
  const pairs: Array<[string, string]> = [
    ['id', bundle.id],
    ['name', bundle.name ?? '-'],
    ['status', bundle.state === 'submitted' ? bundle.status : `${bundle.status} (submit ${bundle.state})`],
    ['created', when(bundle.created_at)],
    ['cancelled', when(bundle.cancelled_at)],
    ['script', [bundle.script, ...bundle.args].join(' ')],
    ['priority', String(bundle.priority)],
    ['rendezvous', `${bundle.rdzv_endpoint} on ${byId(bundle.rdzv_node_id)}, id ${bundle.rdzv_id}`],
    ['master', `${byId(bundle.master_node_id)} (lease revision ${bundle.lease_revision})`],
  ];
  if (bundle.failure_reason) pairs.push(['failure', bundle.failure_reason]);
  for (const warning of bundle.warnings) pairs.push(['warning', warning]);
  return `${renderPairs(pairs)}\n${renderRanks(ctx, bundle.ranks)}`;
}

/** Each warning of an answer, on stderr (stdout stays the result); with --json they are in the JSON. */
function printWarnings(ctx: CliContext, warnings: readonly string[]): void {
  for (const warning of warnings) ctx.note(`warning: ${escapeControls(warning)}`);
}

/**
 * The bundle a user means: a whole `cj_…` id as is (an unknown one: the server's 404, exit 5), or a
 * unique prefix or suffix of one (the 8 hex digits). No match: exit 5; several: exit 2, naming them.
 */
export async function resolveBundleId(client: Client, given: string): Promise<string> {
  if (given.trim() === '') throw new CliError('a cluster job id cannot be empty', EXIT.invalid);
  if (BUNDLE_ID.test(given)) return given;
  const { items } = await listClusterJobsUpTo(client, Infinity);
  const ids = items.map((b) => b.id).filter((id) => id.startsWith(given) || id.endsWith(given));
  if (!ids.length)
    throw new CliError(
      `no cluster job id starts or ends with "${given}" (trainyard cluster jobs lists them)`,
      EXIT.notFound,
    );
  return onlyOne(given, ids, 'cluster jobs', 'give more of the id');
}

/**
 * The member a user means by `given`: a node id, a unique prefix of one, or else a hostname only one
 * member has. None or several: exit 2, naming the members (or the matches).
 */
export function resolveNodeId(members: readonly ClusterMemberDto[], given: string, what = '--node'): string {
  const byId = members.filter((m) => m.node_id.startsWith(given.toLowerCase()));
  const matches = given && byId.length ? byId : members.filter((m) => m.hostname === given);
  if (!given || !matches.length)
    throw new CliError(
      `${what} ${given}: no cluster member's node id starts with "${given}", nor is any named so ` +
        `(members: ${members.map((m) => `${nodeLabel(m)} ${m.node_id}`).join(', ') || 'none'})`,
      EXIT.invalid,
    );
  const labels = matches.map((m) => `${nodeLabel(m)} ${m.node_id}`);
  const label = onlyOne(given, labels, 'cluster members', `give more of the node id (${what})`);
  return matches[labels.indexOf(label)].node_id;
}

/** `--node NODE:GPUS`: the node as typed (resolved later) and its GPUs; `NODE` alone takes `defaultGpus`. */
export function parseNodeSpec(text: string, defaultGpus: number | undefined): { node: string; gpus: number } {
  const at = text.lastIndexOf(':');
  const node = at < 0 ? text : text.slice(0, at);
  if (!node)
    throw new CliError(`--node takes NODE:GPUS (a node id or a prefix of one), got "${text}"`, EXIT.invalid);
  if (at < 0) {
    if (defaultGpus === undefined)
      throw new CliError(
        `--node ${text}: say how many GPUs, e.g. --node ${text}:8 (or give --gpus-per-node)`,
        EXIT.invalid,
      );
    return { node, gpus: defaultGpus };
  }
  return { node, gpus: parseInteger(text.slice(at + 1), `--node ${text}: GPUS`, { min: 0 }) };
}

export interface ClusterSubmitOptions {
  nodes?: string;
  gpusPerNode?: string;
  node?: string[];
  torchrun?: string;
  name?: string;
  priority?: string;
  env?: string[];
  cwd?: string;
  rdzvPort?: string;
  allowVersionMismatch?: boolean;
}

/**
 * The request body from the flags; pure (so unit-tested): `--node` values stay as typed in
 * `participants[].node_id` until {@link resolveParticipants}. As `submit`, the ranks run where the
 * caller is: `cwd` defaults to `callerCwd` (the same path must exist on every node).
 */
export function buildClusterSubmitBody(
  options: ClusterSubmitOptions,
  argv: string[],
  callerCwd: string | null,
): ClusterSubmitRequestDto {
  const [script, ...args] = argv;
  if (!script)
    throw new CliError(
      'cluster submit needs the training script after --, e.g. ' +
        'trainyard cluster submit --nodes 2 --gpus-per-node 8 -- train.py --epochs 3',
      EXIT.invalid,
    );
  const gpusPerNode =
    options.gpusPerNode === undefined
      ? undefined
      : parseInteger(options.gpusPerNode, '--gpus-per-node', { min: 1 });
  const body: ClusterSubmitRequestDto = { script, args };
  if (options.node?.length) {
    if (options.nodes !== undefined)
      throw new CliError(
        '--nodes lets Trainyard pick the nodes, --node names them: give one or the other',
        EXIT.invalid,
      );
    body.participants = options.node.map((spec): BundleParticipantDto => {
      const { node, gpus } = parseNodeSpec(spec, gpusPerNode);
      return { node_id: node, gpus };
    });
  } else if (options.nodes !== undefined) {
    if (gpusPerNode === undefined)
      throw new CliError('--nodes needs --gpus-per-node (GPUs to reserve on each node)', EXIT.invalid);
    body.nodes = parseInteger(options.nodes, '--nodes', { min: 1 });
    body.gpus_per_node = gpusPerNode;
  } else {
    throw new CliError(
      'say where to run: --nodes N --gpus-per-node G (Trainyard picks the nodes), or --node NODE:GPUS for each node',
      EXIT.invalid,
    );
  }
  if (options.torchrun !== undefined) body.torchrun = options.torchrun;
  if (options.name !== undefined) body.name = options.name;
  if (options.priority !== undefined) body.priority = parsePriority(options.priority, '--priority');
  if (options.env?.length) {
    body.env = {};
    for (const entry of options.env) {
      const [key, value] = splitKeyValue(entry, '--env');
      body.env[key] = value;
    }
  }
  body.cwd = jobCwd(callerCwd, options.cwd);
  if (options.rdzvPort !== undefined)
    body.rdzv_port = parseInteger(options.rdzvPort, '--rdzv-port', { min: 1 });
  if (options.allowVersionMismatch) body.allow_version_mismatch = true;
  return body;
}

/** Each `--node` given by a prefix (or hostname) becomes the member's whole node id. */
export async function resolveParticipants(client: Client, body: ClusterSubmitRequestDto): Promise<void> {
  if (!body.participants) return;
  const { data } = await getClusterMembers({ client });
  for (const p of body.participants) p.node_id = resolveNodeId(data.members, p.node_id);
}

/** The flags of the cluster submit's own fields (the shared ones, --name, --env, ..., errors.ts names). */
const SUBMIT_FLAGS: Array<[RegExp, string]> = [
  [/^participants\b/, '--node'],
  [/^gpus_per_node$/, '--gpus-per-node'],
  [/^nodes$/, '--nodes'],
  [/^torchrun$/, '--torchrun'],
  [/^script$/, 'the script after --'],
  [/^args\b/, 'the arguments after the script'],
  [/^rdzv_port$/, '--rdzv-port'],
];

/** A detail with its flag; `ofRank`: a node's refusal of its rank, whose message is about the rank's own job. */
function describeDetail(detail: ErrorDetailDto, ofRank: boolean): string {
  const { field, message } = detail;
  const flag = field ? SUBMIT_FLAGS.find(([re]) => re.test(field))?.[1] : undefined;
  if (!field || !flag) return formatFieldError(detail);
  return message.includes(field) || ofRank ? `${message} (${flag})` : `${field} (${flag}): ${message}`;
}

/** A refused cluster submit, in the CLI's words: flags for fields, what to add for a version mismatch. */
export function clusterSubmitError(err: unknown): unknown {
  if (!(err instanceof TrainyardApiError)) return err;
  if (err.status === 409 && err.code === 'VERSION_MISMATCH') {
    const differences = err.details.map((d) => d.message).join('; ') || err.message;
    return new CliError(
      `the nodes' versions differ: ${differences}; add --allow-version-mismatch to submit anyway`,
    );
  }
  if (err.status === 409 && err.code === 'CLUSTER_DISABLED')
    return new CliError(
      'this server is standalone (not in a cluster): cluster submit needs servers started with --cluster NAME --nats URL',
    );
  if (err.status !== 400 || !err.details.length) return err;
  // A node's refusal of its rank: the message names the node, which the details do not.
  const rank = /^(.*\brefused rank \d+): /.exec(err.message)?.[1];
  const details = err.details.map((d) => describeDetail(d, rank !== undefined));
  return new CliError(`invalid request: ${rank ? `${rank}: ` : ''}${details.join('; ')}`, EXIT.invalid);
}

/**
 * One line for `trainyard submit` refused for asking more GPUs than this host has, when this server
 * is a node of a cluster: where a job across several nodes goes. Null otherwise.
 */
export async function clusterSubmitHint(client: Client, err: unknown): Promise<string | null> {
  if (!(err instanceof TrainyardApiError) || err.status !== 400) return null;
  if (!err.details.some((d) => d.field === 'requested_gpus' && d.message.includes('but this host has')))
    return null;
  const self = await getClusterSelf({ client }).then(
    ({ data }) => data,
    () => null,
  );
  if (!self || isStandalone(self)) return null;
  return (
    `this server is a node of cluster "${escapeControls(self.cluster)}": to train across several nodes' GPUs with ` +
    'torchrun, use trainyard cluster submit --nodes N --gpus-per-node G -- train.py (see trainyard cluster --help)'
  );
}

/**
 * `err` from `trainyard submit`, with {@link clusterSubmitHint}'s line after it when there is one:
 * printed here (the runner prints one line), answering the exit code. Without a hint, thrown as is.
 */
export async function reportWithClusterHint(ctx: CliContext, err: unknown): Promise<number> {
  const hint = await clusterSubmitHint(ctx.client, err);
  if (!hint) throw err;
  const failure = toCliError(err, ctx.connection);
  process.stderr.write(`trainyard: ${escapeControls(failure.message)}\n${hint}\n`);
  return failure.exitCode;
}

/**
 * Why `rank` (of `bundle`) has no job to show: not yet while the bundle is still being submitted;
 * never when its node never queued it (a rolled-back bundle: with its failure reason); or unknown
 * when its node did not answer.
 */
export function noJobText(bundle: BundleDto, rank: BundleRankDto): string {
  const which = `rank ${rank.node_rank} of ${bundle.id}`;
  if (bundle.state === 'submitting') return `${which} has no job on ${nodeLabel(rank)} (yet)`;
  if (rank.status === 'not_queued')
    return (
      `${which} was never queued on ${nodeLabel(rank)}` +
      (bundle.failure_reason ? `: the submit was rolled back (${bundle.failure_reason})` : '')
    );
  return `${which} has no job on ${nodeLabel(rank)} that this server knows of (its node did not answer)`;
}

/**
 * `cj_… has failed: rank 0 (q_… on gpu-box (1234abcd)) failed: <its job's error>; ...` with the
 * `cluster tail` that shows the first failed rank's output. Each error is its node's (none when
 * the node does not answer).
 */
export async function failedBundleText(ctx: CliContext, bundle: BundleDto): Promise<string> {
  const client = ctx.clientWith({ answerAtOnce: ['NODE_UNREACHABLE'] });
  const failed = bundle.ranks.filter((r) => r.status === 'failed' && r.queue_id);
  const ranks = await Promise.all(
    failed.map(async (r) => {
      const path = { node_id: r.node_id, queue_id: r.queue_id! };
      const job = await getNodeJob({ client, path }).then(
        ({ data }) => data,
        () => null,
      );
      const code = job?.exit_code ?? null;
      const why = job?.error ?? (code === null ? null : `exited with code ${code}`);
      return `rank ${r.node_rank} (${r.queue_id} on ${nodeLabel(r)}) failed${why ? `: ${why}` : ''}`;
    }),
  );
  const tail = failed.length
    ? `; trainyard cluster tail ${bundle.id} --rank ${failed[0].node_rank} shows its output`
    : '';
  return `${bundle.id} has failed${ranks.length ? `: ${ranks.join(', ')}` : ''}${tail}`;
}

/** How long one read of a rank's log waits at its end for more (the API's long poll; ≤ 20 s). */
const RANK_LOG_WAIT_MS = 15_000;

/**
 * Streams rank `rank`'s terminal output from its node (through this server:
 * GET /api/cluster/nodes/{node}/jobs/{job}/tty, long-polling at the end) until its job ends;
 * resolves with the job's exit code as `job tail` gives it. It starts with the backlog, or with the
 * last `lines` lines. Output goes through {@link TerminalOutputFilter} on a terminal unless `raw`.
 */
async function tailRank(
  ctx: CliContext,
  bundle: BundleDto,
  rank: number,
  { raw, lines }: { raw: boolean; lines?: number },
): Promise<number> {
  const target = bundle.ranks.find((r) => r.node_rank === rank);
  if (!target)
    throw new CliError(
      `${bundle.id} has no rank ${rank} (its ranks: ${bundle.ranks.map((r) => r.node_rank).join(', ')})`,
      EXIT.invalid,
    );
  if (!target.queue_id) throw new CliError(`${noJobText(bundle, target)}: nothing to show`);
  const path = { node_id: target.node_id, queue_id: target.queue_id };
  // Silence until it starts would look like a hang (stderr: stdout is its output).
  if (target.status === 'queued')
    process.stderr.write(
      `trainyard: rank ${rank} (${target.queue_id} on ${target.hostname}) is queued; its output follows once it starts\n`,
    );
  const filter = process.stdout.isTTY && !raw ? new TerminalOutputFilter() : null;
  const node = new NodeWatch(ctx, target, rank);
  let offset: number | undefined; // the backlog (or last lines) first, then from where the last read stopped
  try {
    for (;;) {
      const first = offset === undefined;
      const { data, response } = await node.whileAway(() =>
        getNodeJobLog({
          client: node.client,
          path,
          query: !first ? { offset, wait_ms: RANK_LOG_WAIT_MS } : lines === undefined ? {} : { last: lines },
          parseAs: 'arrayBuffer',
        }),
      );
      const bytes = new Uint8Array(data as unknown as ArrayBuffer);
      if (bytes.length) process.stdout.write(filter ? filter.write(bytes) : bytes);
      const ended = response.headers.get('x-trainyard-log-ended') === 'true';
      // The backlog of an ended job is all there is; its last lines may take more than one read.
      if (ended && (bytes.length === 0 || (first && lines === undefined))) break;
      offset = Number(response.headers.get('x-trainyard-log-next-offset'));
    }
  } finally {
    if (filter) process.stdout.write(Buffer.concat([filter.end(), filter.restore()]));
  }
  const { data: job } = await node.whileAway(() => getNodeJob({ client: node.client, path }));
  return exitCodeFor(job);
}

/** How often `cluster tail` asks again for a log whose node is unreachable. */
const NODE_RETRY_MS = 1000;
/** How often `cluster tail` looks at the member table while a read of the log waits for an answer. */
const NODE_LOOK_MS = 1000;

/**
 * A rank's node as `cluster tail` reads from it: while it is unreachable (down, frozen, cut off
 * from NATS) the tail waits for it, saying so on stderr once when it goes and once when it is back
 * (stdout is the log, which then goes on from the offset it stopped at: no line lost or repeated).
 * A frozen node's read only fails after its timeout (up to 20 s), so while a read waits the member
 * table (GET /api/cluster/members: unreachable after about 3 s without a heartbeat) is looked at too,
 * as the server's log WebSocket does.
 */
class NodeWatch {
  /** Answers a node's 503 NODE_UNREACHABLE at once (not after 10 s of silent repeats). */
  readonly client: CliContext['client'];
  private away = false;

  constructor(
    ctx: CliContext,
    private readonly node: Pick<ClusterMemberDto, 'hostname' | 'node_id'>,
    private readonly rank: number,
  ) {
    this.client = ctx.clientWith({ answerAtOnce: ['NODE_UNREACHABLE'] });
  }

  async whileAway<T>(read: () => Promise<T>): Promise<T> {
    for (;;) {
      const stopLooking = this.lookWhile();
      try {
        const answer = await read();
        if (this.away)
          process.stderr.write(
            `trainyard: node ${nodeLabel(this.node)} is back; rank ${this.rank}'s output goes on\n`,
          );
        this.away = false;
        return answer;
      } catch (err) {
        if (!(err instanceof TrainyardApiError) || err.code !== 'NODE_UNREACHABLE') throw err;
        this.wentAway(escapeControls(err.message));
      } finally {
        stopLooking();
      }
      await sleep(NODE_RETRY_MS);
    }
  }

  /** Looks at the member table every NODE_LOOK_MS until the returned function is called. */
  private lookWhile(): () => void {
    let reading = true;
    void (async () => {
      while (reading) {
        await sleep(NODE_LOOK_MS);
        const member = await getClusterMembers({ client: this.client }).then(
          ({ data }) => data.members.find((m) => m.node_id === this.node.node_id),
          () => undefined, // the read says what is wrong, if anything
        );
        if (reading && member?.reachable === false)
          this.wentAway(`last seen ${formatAge(member.last_seen_at)} ago`);
      }
    })();
    return () => (reading = false);
  }

  private wentAway(why: string): void {
    if (this.away) return;
    this.away = true;
    process.stderr.write(
      `trainyard: node ${nodeLabel(this.node)} of rank ${this.rank} is unreachable (${why}); ` +
        'waiting for it, its output goes on when it answers (Ctrl-C to stop)\n',
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerCluster(program: Command, run: CommandRunner): void {
  const cluster = program
    .command('cluster')
    .summary('cluster mode: members, multi-node jobs')
    .description(
      'Cluster mode (servers started with --cluster): the members, and multi-node torchrun jobs ' +
        '(bundles: one rank per node). The same on every node.',
    );

  cluster
    .command('status')
    .description(
      "this node's cluster, node id, NATS connection and master, and every member: reachable or not, " +
        'its idle/total GPUs — idle for a priority-0 job: not busy, disabled, gated above 0 or held ' +
        '(`gpu status` on the node says which) (standalone: says so)',
    )
    .action(
      run(async (ctx) => {
        const [{ data: self }, { data: members }, { data: master }, gpus] = await Promise.all([
          getClusterSelf({ client: ctx.client }),
          getClusterMembers({ client: ctx.client }),
          getClusterMaster({ client: ctx.client }),
          // Asks every member over NATS: the table goes without it when it fails.
          getClusterGpus({ client: ctx.client }).then(
            ({ data }) => data,
            () => null,
          ),
        ]);
        const status: ClusterStatus = { self: isStandalone(self) ? null : self, members, master, gpus };
        ctx.output(status, () => renderClusterStatus(ctx, status));
      }),
    );

  cluster
    .command('jobs')
    .alias('job')
    .description('the multi-node jobs (bundles), newest first; with an id, that one in detail')
    .argument('[id]', 'a bundle id (cj_…), or a unique prefix or suffix of one (e.g. its 8 hex digits)')
    .option('--limit <n>', 'at most this many jobs (default: 100 in the table, all of them with --json)')
    .action(
      run(async (ctx, given: string | undefined, options: { limit?: string }) => {
        if (given !== undefined) {
          const id = await resolveBundleId(ctx.client, given);
          const { data } = await getClusterJob({ client: ctx.client, path: { id } });
          return ctx.output(data, () => renderBundle(ctx, data));
        }
        const page = await listClusterJobsUpTo(ctx.client, listLimit(ctx, options.limit));
        if (ctx.json) return ctx.printJson({ items: page.items, total: page.total });
        if (!page.items.length) return ctx.note('no cluster jobs');
        ctx.print(renderBundles(ctx, page.items));
        if (page.total > page.items.length)
          ctx.note(`${page.items.length} of ${page.total} shown (--limit to see more)`);
      }),
    );

  cluster
    .command('tail')
    .description(
      "stream one rank's terminal output live from its node (through this server), until its job " +
        "ends; exits with that job's exit code, as `job tail` does. On a terminal, title/clipboard " +
        'sequences and terminal queries are dropped (colours and progress bars kept)',
    )
    .argument('<id>', 'a bundle id (cj_…), or a unique prefix or suffix of one')
    .option('-r, --rank <n>', 'the node rank (default 0: the one hosting the rendezvous)')
    .option('--raw', 'write the output byte for byte, escape sequences included')
    .addOption(tailLinesOption())
    .action(
      run(async (ctx, given: string, options: { rank?: string; raw?: boolean; lines?: string }) => {
        const rank = options.rank === undefined ? 0 : parseInteger(options.rank, '--rank', { min: 0 });
        const lines = parseTailLines(options.lines);
        const id = await resolveBundleId(ctx.client, given);
        const { data } = await getClusterJob({ client: ctx.client, path: { id } });
        return tailRank(ctx, data, rank, { raw: options.raw === true, lines });
      }),
    );

  cluster
    .command('cancel')
    .description(
      'cancel every rank of a bundle on its node (queued ones removed, running ones stopped); a rank ' +
        'whose node does not answer is named in a warning and cancelled once its node answers again',
    )
    .argument('<id>', 'a bundle id (cj_…), or a unique prefix or suffix of one')
    .action(
      run(async (ctx, given: string) => {
        const id = await resolveBundleId(ctx.client, given);
        const { data } = await cancelClusterJob({ client: ctx.client, path: { id } });
        ctx.output(
          data,
          () => `${data.id}: cancel sent; status ${data.status}\n${renderRanks(ctx, data.ranks)}`,
        );
        printWarnings(ctx, data.warnings);
      }),
    );

  cluster
    .command('submit')
    .summary('run a multi-node torchrun job')
    .description(
      'Run torchrun (c10d rendezvous) on several nodes at once, all or nothing: one rank per node, a ' +
        '`command` job there. The script and what follows it come after `--`; the script, the working ' +
        'directory (default: the current one) and torchrun must be at the same path on every node. ' +
        'Prints the bundle id, then its ranks (the bundle with --json).',
    )
    .option('--nodes <n>', 'let Trainyard pick n reachable nodes with --gpus-per-node idle GPUs each')
    .option('--gpus-per-node <g>', 'GPUs to reserve on each node (with --nodes; the default of --node)')
    .option(
      '--node <node:gpus>',
      'run on this node (a node id, a unique prefix of one, or a hostname) with this many GPUs; ' +
        'repeatable, in rank order (the first hosts the rendezvous)',
      collect,
    )
    .option('--torchrun <path>', 'torchrun on every node (default: torchrun on the PATH)')
    .option('-n, --name <name>', 'label shown in lists')
    .option('-P, --priority <p>', 'higher runs first; may be negative (default 0)')
    .option('-e, --env <KEY=VALUE>', 'extra environment variable for every rank (repeatable)', collect)
    .option(
      '--cwd <dir>',
      'working directory on every node, relative to the current one (default: the current one)',
    )
    .option('--rdzv-port <port>', 'the c10d rendezvous port (default 29400)')
    .option(
      '--allow-version-mismatch',
      "submit even when the nodes' trainyard/torch/CUDA/NCCL versions differ",
    )
    .argument('[argv...]', 'after `--`: the training script and its arguments')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  trainyard cluster submit --nodes 2 --gpus-per-node 8 --name llm -- train.py --epochs 3\n' +
        '  trainyard cluster submit --node 1a2b:8 --node 9f8e:4 -- /shared/train.py\n' +
        '  trainyard cluster submit --nodes 4 --gpus-per-node 1 --torchrun /opt/venv/bin/torchrun -- train.py\n',
    )
    .action(
      run(async (ctx, argv: string[], options: ClusterSubmitOptions) => {
        const body = buildClusterSubmitBody(options, argv, shellCwd());
        await resolveParticipants(ctx.client, body);
        const { data } = await submitClusterJob({ client: ctx.client, body }).catch((err: unknown) => {
          throw clusterSubmitError(err);
        });
        ctx.output(data, () => `${data.id}\n${renderRanks(ctx, data.ranks)}`);
        printWarnings(ctx, data.warnings);
        // Queued is no success yet, but a rank that failed already (a torchrun or script not there
        // fails at once) is a failure to say now, not a 0 for a script to go on with.
        if (data.status === 'failed' || data.ranks.some((r) => r.status === 'failed'))
          throw new CliError(await failedBundleText(ctx, data));
      }),
    );
}
